"""Denosumab on and off, from mechanism (slow: a default 360² slice for 5 years).

On the drug, RANKL that the antibody reaches is sequestered, osteoclasts lose their survival
signal and precursors pile up in the marrow; remodeling is suppressed but not abolished
(FREEDOM: CTX -72 to -86%). When the last dose wears off, the enlarged precursor pool meets
RANKL: turnover rebounds and the bone gained is lost again (Bone 2011; Cummings 2018).
"""

import pytest

from bonegrid import load_scenario
from bonegrid.constants import DEFAULT_GRID

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def table():
    model = load_scenario("postmenopausal_denosumab_stopped").model(seed=1, grid=DEFAULT_GRID)
    model.run(5 * 365)
    return model.recorder.table().set_index("day")


def _mean(table, column, start_years, end_years):
    return table.loc[int(start_years * 365) + 1:int(end_years * 365), column].mean()


def test_on_the_drug_remodeling_is_suppressed_not_abolished(table):
    before = _mean(table, "ctx", 0.5, 1.0)
    on = _mean(table, "ctx", 1.25, 2.75)
    assert 0.05 < on / before < 0.35
    assert _mean(table, "n_osteoclasts", 1.25, 2.75) > 0.3  # osteoclasts still form
    # and bone is still formed: osteoblasts fall with the units that call them, by as much as the
    # resorption marker, but do not vanish. Counted against the same slice before the drug, since a
    # slice's osteoblasts scale with its bone surface (a 51-year-old's BV/TV 0.13 slice has fewer
    # than a BV/TV 0.27 one: 17 against 52 on the drug, 119 against 311 before; both ~0.15 of it).
    # Denosumab lowers formation markers by ~50-80% and histomorphometric formation by more
    # (FREEDOM: Eastell 2011, J Bone Miner Res 26:530; Reid 2010, J Bone Miner Res 25:2256; approx.).
    formation_left = _mean(table, "n_osteoblasts", 1.25, 2.75) / _mean(table, "n_osteoblasts", 0.5, 1.0)
    assert 0.05 < formation_left < 0.5
    assert table.loc[int(2.75 * 365), "bmd"] > table.loc[365, "bmd"]


@pytest.fixture(scope="module")
def paired():
    """CTX of seeds 1-4: (treated and stopped, the same patient never treated), each day."""
    treated, twin = load_scenario("postmenopausal_denosumab_stopped"), load_scenario("postmenopausal")
    pairs = []
    for seed in range(1, 5):
        a, b = (s.model(seed=seed, grid=DEFAULT_GRID).run(5 * 365).recorder.table().set_index("day")
                for s in (treated, twin))
        pairs.append((a, b))
    return pairs


@pytest.mark.xfail(strict=True, reason=(
    "the overshoot above the untreated twin is not robust: months 9-15 read 0.89 x the twin (needed 1.2) at the "
    "shipped estrogen setting and 0.90-1.00 x at three others (RANKL gain 0.75, 1.0, 1.5 with osteoblast lifespan "
    "loss 0.35 or 0.4), 1.29 x only at the previous 1.5 / 0.35 (docs/model.md section 4.4)"))
def test_after_the_last_injection_resorption_stays_low_while_it_is_due_then_overshoots_within_the_year(paired):
    # last injection at 2.5 years, the next due at 3.0: markers rise above pre-treatment, and above patients who
    # never took the drug (placebo), within months of the missed dose and peak about a year after the last
    # injection, often at 1.5-2 x baseline (Bone 2011; Anastasilakis 2021). Since lifespan modifiers act on the
    # cells alive (docs/model.md 3.3), seeds 1-4 read 1.46 x pre-treatment and 1.29 x the untreated twin (1.16-1.57
    # per seed) over months 9-15, 0.12-0.13 x pre-treatment in the six months the next dose is due.
    before = sum(_mean(a, "ctx", 0.5, 1.0) for a, _ in paired)
    assert sum(_mean(a, "ctx", 2.5, 3.0) for a, _ in paired) < 0.6 * before
    after = sum(_mean(a, "ctx", 2.5 + 9 / 12, 2.5 + 15 / 12) for a, _ in paired)
    untreated = sum(_mean(b, "ctx", 2.5 + 9 / 12, 2.5 + 15 / 12) for _, b in paired)
    assert after > before
    assert after > 1.2 * untreated


def test_stopping_the_drug_rebounds_turnover_and_loses_the_gain(table):
    on = _mean(table, "ctx", 1.25, 2.75)
    after = _mean(table, "ctx", 4.0, 5.0)
    assert after > 3.0 * on
    assert after > 0.8 * _mean(table, "ctx", 0.5, 1.0)
    assert table.loc[5 * 365, "bmd"] < table.loc[3 * 365, "bmd"] - 0.02


def _serum_calcium_after_injection(name: str, months: float):
    scenario = load_scenario(name)
    start = scenario.treatments[0].start_day
    model = scenario.model(seed=1, grid=DEFAULT_GRID)
    model.run(int(start + months * 30.4))
    ca = model.recorder.table().set_index("day").serum_ca
    return ca.loc[start - 90:start].mean(), ca.loc[start + 1:].min()


def test_in_advanced_kidney_disease_denosumab_causes_severe_hypocalcaemia_and_not_with_healthy_kidneys():
    # the label's warning: with resorption stopped, failing kidneys cannot raise calcitriol while the
    # forming units go on taking calcium up (Block 2012); healthy kidneys hold calcium near normal
    # (FREEDOM: hypocalcaemia < 0.1%)
    before, nadir = _serum_calcium_after_injection("ckd_denosumab", 6)
    assert before > 2.15 and nadir < 1.9
    before, nadir = _serum_calcium_after_injection("postmenopausal_denosumab", 6)
    assert nadir > 2.25 and before - nadir < 0.15
