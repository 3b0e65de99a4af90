"""Published time courses of the whole system, starting and stopping a drug (slow: default 360² slices).

These check shapes a clinician knows, not bands a parameter was fitted to:

- **Alendronate on and off.** On the drug CTX falls by about half or more (FIT, Black 1996).
  Bisphosphonate stays bound in bone, so when it is stopped turnover returns slowly: markers
  stay below the pre-treatment level for years, with no rebound (FLEX, Black 2006), the
  opposite of denosumab (``test_denosumab.py``).
- **Teriparatide's anabolic window.** Daily PTH raises formation markers first and more: P1NP
  rises within the first month, CTX later and less (Glover 2009; McClung 2005), so the
  P1NP/CTX ratio rises in months 1-6. Judged against the same patients without the drug. The
  rate at which the drug turns lining cells into osteoblasts is chosen for the size of the P1NP
  rise, so that part is no independent check; that resorption lags is.
- **Prednisolone uncouples formation from resorption.** Formation markers fall within weeks
  (Pearce 1998; Ton 2005) while resorption rises only modestly and early (Compston 2018).
- **Where bone is lost.** Estrogen loss perforates and removes thin trabeculae while thick ones
  are only thinned (Parfitt 1983; Mosekilde 1990): a resorption cavity has one depth whatever
  the strut, so the share of bone lost is larger in thin struts.
"""

import numpy as np
import pytest

from bonegrid import load_scenario
from bonegrid.constants import DEFAULT_GRID
from bonegrid.readouts.morphometry import local_thickness
from bonegrid.tissue import MARROW
from bonegrid.treatments import Treatment

pytestmark = pytest.mark.slow

YEAR = 365


SEEDS = (1, 2)
"""A 3.6 mm slice holds a handful of osteoclasts: marker means are taken over two seeds."""


def _mean(tables, column, start_years, end_years):
    """Mean of ``column`` over days (start, end] of each table, averaged over the tables."""
    return sum(t.loc[int(start_years * YEAR) + 1:int(end_years * YEAR), column].mean() for t in tables) / len(tables)


def _tables(scenario, treatments, years):
    return [_run(load_scenario(scenario).with_treatments(treatments), seed, years) for seed in SEEDS]


@pytest.fixture(scope="module")
def alendronate():
    """Postmenopausal bone, alendronate from year 1 to year 4, then 2 years off."""
    return _tables("postmenopausal", [Treatment("bisphosphonate", 1 * YEAR, 4 * YEAR)], 6.0)


TERIPARATIDE_SEEDS = tuple(range(1, 9))
"""Teriparatide is judged against the same patients without it (paired seeds): a slice's markers swing
by tens of percent from month to month, more than the drug's first-month effect on CTX. A woman's
sparse vertebral slice (BV/TV ~0.13) holds half the units of a dense one, so eight seeds are pooled
(256²: on four, months 3-6 CTX read 1.08 against 1.29 on eight)."""


@pytest.fixture(scope="module")
def teriparatide():
    """Postmenopausal bone with daily teriparatide from year 1 ("on") and without ("off"), 1.5 years."""
    scenario = load_scenario("postmenopausal")
    return {label: [_run(s, seed, 1.5) for seed in TERIPARATIDE_SEEDS]
            for label, s in (("on", scenario.with_treatments([Treatment("teriparatide", 1 * YEAR)])),
                             ("off", scenario))}


def _run(scenario, seed, years):
    model = scenario.model(seed=seed, grid=DEFAULT_GRID)
    model.run(int(years * YEAR))
    return model.recorder.table().set_index("day")


def test_alendronate_suppresses_resorption_and_its_offset_is_slow_without_rebound(alendronate):
    before = _mean(alendronate, "ctx", 0.5, 1.0)
    on = _mean(alendronate, "ctx", 2.0, 4.0)
    first_year_off = _mean(alendronate, "ctx", 4.0, 5.0)
    second_year_off = _mean(alendronate, "ctx", 5.0, 6.0)
    assert on < 0.6 * before
    assert first_year_off < 0.8 * before            # the bound drug still acts a year after the last dose
    assert second_year_off < before                 # no rebound above pre-treatment
    assert second_year_off > on                     # but turnover is coming back


def _drug_over_none(teriparatide, column, start_months, end_months):
    """Mean of ``column`` on the drug over its mean without, months after the first injection (pooled seeds)."""
    start, end = 1.0 + start_months / 12, 1.0 + end_months / 12
    return _mean(teriparatide["on"], column, start, end) / _mean(teriparatide["off"], column, start, end)


def test_teriparatide_raises_formation_markers_first_and_more(teriparatide):
    # P1NP +105% at 1 month and +218% at 6 months, a resorption marker +58% only at 6 months (McClung 2005);
    # a month's mean of a cohort that grows through the month is below its day-30 value
    month_1, months_2_3 = (_drug_over_none(teriparatide, "p1np", a, b) for a, b in ((0, 1), (1, 3)))
    assert month_1 > 1.25
    assert month_1 > _drug_over_none(teriparatide, "ctx", 0, 1)
    assert months_2_3 > _drug_over_none(teriparatide, "ctx", 1, 3)


@pytest.mark.xfail(strict=True, reason=(
    "P1NP in months 2-3 reads 1.64 x the untreated twin (seeds 1-8; 1.81 x before the reversal-resorption phase): the "
    "drug's formation (141 against 149 ug/L) adds to an untreated formation that is now higher (86 against 82 ug/L), "
    "while McClung's +105% at 1 month and +218% at 6 months put months 2-3 near 2.3 x (docs/model.md section 4.4)"))
def test_teriparatide_more_than_doubles_formation_markers_within_three_months(teriparatide):
    assert _drug_over_none(teriparatide, "p1np", 1, 3) > 1.8


def test_teriparatide_resorption_markers_lag_then_follow(teriparatide):
    # the anabolic window: resorption does not move in month 1 and rises by months 4-6 (Glover 2009; McClung 2005);
    # seeds 1-8 read 0.97 x in month 1 (1.33 x before the reversal-resorption phase, a strict xfail then)
    assert _drug_over_none(teriparatide, "ctx", 0, 1) < 1.3
    assert _drug_over_none(teriparatide, "ctx", 3, 6) > 1.1


STRUT_SEEDS = tuple(range(1, 17))
"""Which strut a unit lands on is chance: per seed the thin/thick ratio ranges 1.10-2.72 on the patients' sparse
slices (360², seeds 1-16; 0.42-2.94 at 256² before units travelled), so sixteen seeds are pooled: 1.60 (seeds 1-8
alone 1.47: eight no longer resolve it since a unit's front travels along the surface, thick struts' too)."""


@pytest.fixture(scope="module")
def loss_by_strut_thickness():
    """Postmenopausal bone over 3 years: share of day-0 bone that is marrow at the end, thin vs thick struts."""
    shares = []
    for seed in STRUT_SEEDS:
        model = load_scenario("postmenopausal").model(seed=seed, grid=DEFAULT_GRID)
        bone = model.tissue.kind != MARROW
        thickness = local_thickness(bone, model.params.run.voxel_size_um)
        thin = bone & (thickness < np.median(thickness[bone]))
        model.run(3 * YEAR)
        lost = bone & (model.tissue.kind == MARROW)
        shares.append((lost[thin].mean(), lost[bone & ~thin].mean()))
    return np.mean(shares, axis=0)


@pytest.mark.xfail(strict=True, reason=(
    "with the canopy thin struts lose 20.4% against 14.0% of thick strut bone over 3 years (1.46 x, seeds as below; "
    "1.85 x without it; 19.4% against 10.5%): thick struts now lose more; which units do it is not yet measured "
    "(docs/model.md section 4.4)"))
def test_estrogen_loss_takes_thin_struts_first(loss_by_strut_thickness):
    """Cavities of one depth perforate thin trabeculae and only scallop thick ones (Parfitt 1983)."""
    thin, thick = loss_by_strut_thickness
    assert thin > 1.5 * thick


PREDNISOLONE_SEEDS = tuple(range(1, 9))
"""Prednisolone is judged against the same patients without it over eight seeds: paired per seed, P1NP in
months 1-3 ranges 0.41-1.88 x the untreated twin's and CTX in months 0-3 0.60-4.76 x (slice noise), so two
seeds decide little."""


@pytest.fixture(scope="module")
def prednisolone():
    """The glucocorticoid scenario (15 mg/day from day 0) and the same patient without the drug."""
    without = load_scenario("glucocorticoid").with_overrides({"glucocorticoid": 0.0})
    tables = {}
    for label, scenario in (("on", load_scenario("glucocorticoid")), ("off", without)):
        tables[label] = []
        for seed in PREDNISOLONE_SEEDS:
            model = scenario.model(seed=seed, grid=DEFAULT_GRID)
            model.run(YEAR // 2)
            tables[label].append(model.recorder.table().set_index("day"))
    return tables


@pytest.mark.xfail(strict=True, reason=(
    "with the canopy P1NP reads 0.83 x the untreated patients' in months 1-3 (41.8 against 50.6 ug/L, seeds 1-8; 0.73 x "
    "without it): likely the canopy's cavities, open past the window, on which the fewer osteoprogenitors still "
    "settle; not yet measured apart (docs/model.md section 4.4)"))
def test_prednisolone_lowers_the_formation_marker_within_three_months(prednisolone):
    """P1NP falls by 30-50% within weeks (Pearce 1998; Ton 2005). The osteoblast recruitment loss was chosen with
    this check in view (between 0.6, where P1NP did not fall, and 0.9): it is not independent of that value."""
    assert _mean(prednisolone["on"], "p1np", 1 / 12, 0.25) < 0.8 * _mean(prednisolone["off"], "p1np", 1 / 12, 0.25)


def test_prednisolone_uncouples_formation_from_resorption_which_rises_only_modestly(prednisolone):
    """Formation falls while resorption rises a little, early (Compston 2018; Dovio 2004): not the tripled turnover
    of a drug that opens more units (before the mend CTX was ~4.5x the untreated patient's in month 1)."""
    on, off = prednisolone["on"], prednisolone["off"]
    ratio = {label: _mean(t, "p1np", 1 / 12, 0.25) / _mean(t, "ctx", 1 / 12, 0.25)
             for label, t in (("on", on), ("off", off))}
    assert ratio["on"] < 0.8 * ratio["off"]
    assert _mean(on, "ctx", 0.0, 0.25) < 1.6 * _mean(off, "ctx", 0.0, 0.25)
