"""bonegrid.readouts.markers: CTX and P1NP from smoothed resorption and formation, by hand."""

import pytest

from bonegrid.readouts.markers import MarkerParameters, TurnoverMarkers

P = MarkerParameters()


def test_markers_start_at_their_reference_values():
    m = TurnoverMarkers(P)
    assert m.resorption_per_year == m.formation_per_year == P.reference_turnover_per_year
    assert m.ctx_ng_per_ml == pytest.approx(P.ctx_reference_ng_per_ml)    # 0.3 ng/mL
    assert m.p1np_ug_per_l == pytest.approx(P.p1np_reference_ug_per_l)    # 45 ug/L


def test_one_day_moves_the_smoothed_rate_by_w_times_the_gap():
    # tau = 7 days -> w = 1/7. 1000 matrix voxels; 2 resorbed, 0 formed in the day.
    # x_res = 2 * 365.25 / 1000 = 0.7305 /year; r = 0.25 -> r' = 0.25 + (0.7305 - 0.25)/7 = 0.3186428...
    # x_form = 0 -> f' = 0.25 - 0.25/7 = 0.2142857...
    m = TurnoverMarkers(P)
    m.update(resorbed_voxels=2, formed_voxels=0, matrix_voxels=1000)
    assert m.resorption_per_year == pytest.approx(0.25 + (0.7305 - 0.25) / 7)
    assert m.resorption_per_year == pytest.approx(0.31864286, rel=1e-7)
    assert m.formation_per_year == pytest.approx(0.25 * 6 / 7)
    # markers proportional to the rate over the reference: CTX = 0.3 * 0.3186428 / 0.25
    assert m.ctx_ng_per_ml == pytest.approx(0.3 * 0.31864286 / 0.25, rel=1e-7)
    assert m.p1np_ug_per_l == pytest.approx(45.0 * 6 / 7)


def test_smoothing_time_constant_sets_the_step():
    # tau = 1 day: w = 1, the rate jumps straight to today's value 365.25 * 1 / 365.25 = 1 /year
    m = TurnoverMarkers(MarkerParameters(marker_smoothing_days=1.0))
    m.update(1, 1, 365)
    assert m.resorption_per_year == pytest.approx(365.25 / 365)
    assert m.formation_per_year == pytest.approx(365.25 / 365)


def test_constant_activity_relaxes_geometrically_to_its_rate():
    # 4 voxels resorbed and formed per day out of 2922: x = 4 * 365.25 / 2922 = 0.5 /year (twice the reference).
    # After n days the gap to x shrinks by (1 - w)^n: r_n = 0.5 - 0.25 * (6/7)^n.
    m = TurnoverMarkers(P)
    for n in range(1, 61):
        m.update(4, 4, 2922)
        if n in (1, 10):
            assert m.resorption_per_year == pytest.approx(0.5 - 0.25 * (6 / 7) ** n)
    assert m.resorption_per_year == pytest.approx(0.5, abs=0.25 * (6 / 7) ** 60 * 1.01)
    assert m.ctx_ng_per_ml == pytest.approx(2 * P.ctx_reference_ng_per_ml, rel=1e-3)    # steady state: twice 0.3
    assert m.p1np_ug_per_l == pytest.approx(2 * P.p1np_reference_ug_per_l, rel=1e-3)    # and twice 45


def test_reference_turnover_is_a_fixed_point():
    # 0.25/year on 1461 voxels is 1461 * 0.25 / 365.25 = 1 voxel/day: markers stay at reference exactly
    m = TurnoverMarkers(P)
    for _ in range(30):
        m.update(1, 1, 1461)
    assert m.ctx_ng_per_ml == pytest.approx(P.ctx_reference_ng_per_ml, rel=1e-12)
    assert m.p1np_ug_per_l == pytest.approx(P.p1np_reference_ug_per_l, rel=1e-12)


def test_empty_matrix_does_not_divide_by_zero():
    # matrix_voxels = 0 counts as 1: x = 365.25 * 1 /year
    m = TurnoverMarkers(MarkerParameters(marker_smoothing_days=1.0))
    m.update(1, 0, 0)
    assert m.resorption_per_year == pytest.approx(365.25)
    assert m.formation_per_year == 0.0
