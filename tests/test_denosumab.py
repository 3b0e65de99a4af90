"""Denosumab on and off, from mechanism (slow: a 256² slice for 5 years).

On the drug, RANKL that the antibody reaches is sequestered, osteoclasts lose their survival
signal and precursors pile up in the marrow; remodeling is suppressed but not abolished
(FREEDOM: CTX -72 to -86%). When the last dose wears off, the enlarged precursor pool meets
RANKL: turnover rebounds and the bone gained is lost again (Bone 2011; Cummings 2018).
"""

import pytest

from bonegrid import load_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def table():
    model = load_scenario("postmenopausal_denosumab_stopped").model(seed=1, grid=256)
    model.run(5 * 365)
    return model.recorder.table().set_index("day")


def _mean(table, column, start_years, end_years):
    return table.loc[int(start_years * 365) + 1:int(end_years * 365), column].mean()


def test_on_the_drug_remodeling_is_suppressed_not_abolished(table):
    before = _mean(table, "ctx", 0.5, 1.0)
    on = _mean(table, "ctx", 1.25, 2.75)
    assert 0.05 < on / before < 0.35
    assert _mean(table, "n_osteoclasts", 1.25, 2.75) > 0.3  # osteoclasts still form
    assert _mean(table, "n_osteoblasts", 1.25, 2.75) > 20.0  # and bone is still formed
    assert table.loc[int(2.75 * 365), "bmd"] > table.loc[365, "bmd"]


@pytest.mark.xfail(strict=True, reason="no overshoot: CTX over months 9-15 after the last injection is 0.81 x "
                   "pre-treatment (seeds 1-4) and 0.67 x the untreated twin's. The code before the skeleton change "
                   "passed at 1.31 x pre-treatment, but against its untreated twin it was 0.80 x: its pass came from the "
                   "untreated patient's own turnover, 1.61 x the pre-treatment window by then, not from a rebound "
                   "(docs/model.md section 4.4)")
def test_after_the_last_injection_resorption_stays_low_while_it_is_due_then_overshoots_within_the_year(table):
    # last injection at 2.5 years, the next due at 3.0: markers rise above pre-treatment within months
    # of the missed dose and peak about a year after the last injection (Bone 2011; Anastasilakis 2021)
    before = _mean(table, "ctx", 0.5, 1.0)
    assert _mean(table, "ctx", 2.5, 3.0) < 0.6 * before
    assert _mean(table, "ctx", 2.5 + 9 / 12, 2.5 + 15 / 12) > before


def test_stopping_the_drug_rebounds_turnover_and_loses_the_gain(table):
    on = _mean(table, "ctx", 1.25, 2.75)
    after = _mean(table, "ctx", 4.0, 5.0)
    assert after > 3.0 * on
    assert after > 0.8 * _mean(table, "ctx", 0.5, 1.0)
    assert table.loc[5 * 365, "bmd"] < table.loc[3 * 365, "bmd"] - 0.02


def _serum_calcium_after_injection(name: str, months: float):
    scenario = load_scenario(name)
    start = scenario.treatments[0].start_day
    model = scenario.model(seed=1, grid=256)
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
