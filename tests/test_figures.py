"""The figures of a run and of the tour: what changed, distinct colours, units on every axis, no legend over data."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.figure import Figure

from bonegrid.readouts.panel import NORMAL_RANGES
from bonegrid.runs.plotting import CELL_STYLE, GAINED_RGB, LOST_RGB, mark_changes, most_changed_window
from bonegrid.runs.slice_snapshot import CAVITY_RGB, MARROW_RGB, OSTEOID_RGB
from bonegrid.runs.tour import run_tour, scenario_colours


@pytest.fixture
def saved_figures(monkeypatch) -> list[Figure]:
    """Every figure saved while the test runs (still open for inspection)."""
    figures: list[Figure] = []
    save = Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_most_changed_window_finds_the_densest_square():
    changed = np.zeros((8, 8), dtype=bool)
    changed[0, 7] = True  # one stray voxel
    changed[4:7, 2:5] = True  # a 3 x 3 block
    assert most_changed_window(changed, 3) == (4, 2)
    assert most_changed_window(changed, 20) == (0, 0)  # the window is clipped to the slice
    assert most_changed_window(np.zeros((4, 4), dtype=bool), 2) == (0, 0)


def test_mark_changes_paints_lost_and_gained_and_keeps_refilled_bone():
    start_matrix = np.array([[True, True, False, False]])
    end_matrix = np.array([[True, False, True, False]])  # kept, lost, gained, marrow throughout
    end = {"rgb": np.zeros((1, 4, 3)), "matrix": end_matrix}
    marked = mark_changes(end, {"matrix": start_matrix})
    assert marked["rgb"][0, 1].tolist() == LOST_RGB.tolist() and marked["rgb"][0, 2].tolist() == GAINED_RGB.tolist()
    assert marked["rgb"][0, 0].tolist() == [0, 0, 0] == marked["rgb"][0, 3].tolist()
    assert marked["changed"].tolist() == [[False, True, True, False]] and not end["rgb"].any()


def test_change_colours_differ_from_every_tissue_and_cell_colour():
    others = [mcolors.to_rgb(s["color"]) for s in CELL_STYLE.values()] + [tuple(c) for c in (MARROW_RGB, CAVITY_RGB,
                                                                                            OSTEOID_RGB)]
    for colour in (LOST_RGB, GAINED_RGB):
        assert min(np.abs(np.subtract(colour, other)).sum() for other in others) > 0.5
    assert np.abs(LOST_RGB - GAINED_RGB).sum() > 0.5


@pytest.mark.parametrize("n", [1, 9, 10, 14])
def test_scenario_colours_are_distinct(n):
    assert len({mcolors.to_hex(c) for c in scenario_colours(n)}) == n


def test_tour_figure_has_units_own_marker_bands_and_no_legend_inside_a_plot(tmp_path, saved_figures):
    run_tour(tmp_path, years=0.05, grid=48, workers=1, names=["healthy", "celiac"])
    fig, = saved_figures
    for ax in fig.axes:
        assert ax.get_xlabel(), f"an axis without a unit: {ax.get_title()!r}"
        legend = ax.get_legend()
        if legend is not None:  # beside the plot, never on it
            assert legend.get_bbox_to_anchor().x0 >= ax.get_window_extent().x1 - 1
    bars = {ax.get_xlabel().split(",")[0]: ax for ax in fig.axes if "grey)" in ax.get_xlabel()}
    assert set(bars) == {"CTX (resorption)", "P1NP (formation)"}
    for name, test in (("CTX (resorption)", "ctx_ng_per_ml"), ("P1NP (formation)", "p1np_ug_per_l")):
        band = next(p for p in bars[name].patches if p.get_alpha() is not None and p.get_alpha() < 0.5)
        x0, x1 = band.get_x(), band.get_x() + band.get_width()
        assert (x0, x1) == pytest.approx((NORMAL_RANGES[test].low, NORMAL_RANGES[test].high))
    assert (tmp_path / "tour.png").stat().st_size > 0


def test_run_figures_have_a_title_units_and_no_legend_on_a_plot(tmp_path, saved_figures):
    from bonegrid.cli import main

    assert main(["run", "healthy", "--grid", "48", "--years", "0.05", "--out", str(tmp_path / "run"),
                 "--set", "burn_in_days=20"]) == 0
    slices, series = saved_figures
    assert "spine slice, day 0 and day 18" in slices.get_suptitle()
    for ax in series.axes:
        assert ax.get_legend() is None and ax.get_ylabel(), ax.get_title()


def test_the_bv_tv_axis_holds_a_curve_that_leaves_the_ten_percent_span(tmp_path, saved_figures):
    # teriparatide builds ~30% more bone in 21 months: the panel must not clip it
    from bonegrid.model import BoneModel
    from bonegrid.runs.plotting import timeseries_figure

    ts = BoneModel(grid=48, seed=1, burn_in_days=10).run(20).timeseries()
    ts["bv_tv"] *= np.linspace(1.0, 1.3, len(ts))
    timeseries_figure(ts, tmp_path / "series.png")
    low, high = saved_figures[-1].axes[0].get_ylim()
    assert low <= 100 * ts["bv_tv"].min() and high >= 100 * ts["bv_tv"].max()
