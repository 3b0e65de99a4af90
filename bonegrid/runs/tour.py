"""The tour (``python run.py`` with no arguments): healthy bone beside every disease.

Runs every built-in scenario for the same number of years with the same seed and grid,
in parallel processes, and writes to ``results/tour/``:

- ``tour.png``: the final slice of each scenario side by side (healthy first) with the bone
  lost (cyan) and gained (indigo) since day 0 and a zoom on the most changed square, the BMD
  trajectories (virtual DXA) and the turnover markers of the last year against their normal ranges;
- ``summary.md``: one row per scenario (DXA BMD change, T- and Z-score, BV/TV change, turnover,
  markers, blood, osteoid, osteocytes, M-protein), then each scenario's plain-language description;
- ``timeseries.csv``: all time series in long format (a ``scenario`` column).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator

from bonegrid import __version__
from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID
from bonegrid.files import atomic_write, staged_folder, write_text
from bonegrid.readouts.balance import turnover_per_year
from bonegrid.readouts.panel import NORMAL_RANGES
from bonegrid.runs.ensemble import JobResult, run_jobs
from bonegrid.runs.plotting import draw_slice, legend_handles, mark_changes, most_changed_window
from bonegrid.scenarios import Scenario, load_scenario, scenario_names

TOUR_CELLS = ("osteoclast", "tumour")


def tour_scenarios(years: float, names: Sequence[str] | None = None) -> list[Scenario]:
    """Return the built-in scenarios (or ``names``), each run for ``years`` (expectations dropped)."""
    return [dataclasses.replace(load_scenario(n), years=float(years), expect=()) for n in (names or scenario_names())]


def summary_rows(results: Sequence[JobResult], scenarios: Sequence[Scenario], n_voxels: int) -> pd.DataFrame:
    """One row per scenario: the numbers a clinician and a histomorphometrist would look at first."""
    rows = []
    for s, r in zip(scenarios, results, strict=True):
        if r.error:
            rows.append({"scenario": s.name, "error": r.error})
            continue
        ts = r.timeseries
        last = ts[ts["day"] > ts["day"].iloc[-1] - 90]
        rows.append({
            "scenario": s.name,
            "BMD change %": 100 * (last["bmd"].mean() / ts["bmd"].iloc[0] - 1),
            "T-score": last["t_score"].mean(),
            "Z-score": last["z_score"].mean(),
            "BV/TV change %": 100 * (last["bv_tv"].mean() / ts["bv_tv"].iloc[0] - 1),
            "turnover %/yr": 100 * turnover_per_year(ts, n_voxels),
            "CTX ng/mL": last["ctx"].mean(),
            "P1NP ug/L": last["p1np"].mean(),
            "Ca mmol/L": last["serum_ca"].mean(),
            "PTH pmol/L": last["pth"].mean(),
            "25(OH)D nmol/L": last["vitamin_d_25oh"].mean(),
            "OV/BV %": 100 * last["ov_bv"].mean(),
            "viable osteocytes %": 100 * ts["osteocyte_viability"].iloc[-1],
            "M-protein g/L": last["m_protein"].mean(),
            "seconds": r.seconds,
        })
    return pd.DataFrame(rows)


def scenario_colours(n: int) -> list[tuple[float, float, float, float]]:
    """Return ``n`` distinct line colours: matplotlib's ``tab10`` up to 10, evenly spaced hues beyond."""
    if n <= 10:
        return [matplotlib.colormaps["tab10"](k) for k in range(n)]
    return [matplotlib.colormaps["hsv"](k / n) for k in range(n)]


def _change_pct(ts: pd.DataFrame, name: str) -> float:
    """Change of column ``name`` from day 0 to the mean of the last 90 days, %."""
    last = ts[ts["day"] > ts["day"].iloc[-1] - 90]
    return 100 * (last[name].mean() / ts[name].iloc[0] - 1)


# The layout of tour.png, inches. Every axes is placed at a fixed position (only the right-hand column
# is fitted to its widest texts), so the figure is drawn once, without a layout engine.
SLICE_SIDE_IN = 2.6
"""Side of each slice and of its zoom."""
SLICE_LEFT_IN = 0.55
"""Room left of a slice for its y tick labels and unit."""
ZOOM_GAP_IN = 0.6
"""Room between a slice and its zoom for the zoom's y tick labels."""
CELL_WIDTH_IN = SLICE_LEFT_IN + 2 * SLICE_SIDE_IN + ZOOM_GAP_IN + 0.1
"""Width of one scenario."""
TITLE_IN = 0.5
"""Room above a slice for its two-line title."""
ROW_HEIGHT_IN = 3.7
"""Height of one row of scenarios: title, slices, x tick labels and x label."""
SIDE_WIDTH_IN = 8.0
"""Width of the right-hand column: the BMD trajectories with their legend, the marker bars."""
TOP_IN, BOTTOM_IN = 0.5, 0.7
"""Room above the first row for the figure's title, below the last for the shared legend."""


def _text_width_in(texts: Sequence[str], fontsize: float) -> float:
    """Width of the widest of ``texts`` at ``fontsize`` points, inches (0 for none)."""
    prop = FontProperties(size=fontsize)
    return max((text_to_path.get_text_width_height_descent(t, prop, ismath=False)[0] for t in texts),
               default=0.0) / 72.0


def _ticks_in_view(ax) -> None:
    """Fix the ticks of both axes of ``ax`` to the locations its locators put inside the view.

    The locators also return a location or two beyond the view; matplotlib builds a tick (two
    lines, a grid line and two labels) for each, drawn or not. Call once the axes are placed
    and their limits final: what is drawn is unchanged.
    """
    for axis in (ax.xaxis, ax.yaxis):
        low, high = sorted(axis.get_view_interval())
        locs = axis.get_majorticklocs()
        tolerance = 1e-9 * (high - low)
        axis.set_ticks(locs[(locs >= low - tolerance) & (locs <= high + tolerance)])


def _scenario_panels(slice_ax, zoom_ax, scenario: Scenario, result: JobResult, colour, zoom_voxels: int) -> None:
    """Draw one scenario: the final slice with what changed, a frame on the most changed square and its zoom."""
    if result.error:
        slice_ax.text(0.5, 0.5, f"{scenario.name}\nfailed:\n{result.error[:80]}", ha="center", va="center",
                      wrap=True)
        slice_ax.axis("off")
        zoom_ax.axis("off")
        return
    snap = mark_changes(result.end_snapshot, result.start_snapshot)
    changed = snap["changed"].any()
    # nothing lost or gained (a short run): zoom on the square with the most bone instead of an empty corner
    y0, x0 = most_changed_window(snap["changed"] if changed else snap["matrix"], zoom_voxels)
    draw_slice(slice_ax, snap, cells=TOUR_CELLS, title="")
    slice_ax.set_title(f"{scenario.title.split(' (')[0]}\nin {scenario.years:g} y: BV/TV "
                       f"{_change_pct(result.timeseries, 'bv_tv'):+.1f}%, BMD "
                       f"{_change_pct(result.timeseries, 'bmd'):+.1f}%", fontsize=10, loc="left", y=1.0)
    mm = snap["voxel_size_um"] / 1000.0
    slice_ax.add_patch(Rectangle((x0 * mm, y0 * mm), zoom_voxels * mm, zoom_voxels * mm, fill=False,
                                 edgecolor="black", lw=1.2))
    draw_slice(zoom_ax, snap, cells=TOUR_CELLS, title="", window=(y0, x0, zoom_voxels))
    zoom_ax.set_xlabel(f"mm (zoom: the most changed {zoom_voxels * mm:.2g} mm square)" if changed else
                       f"mm (no bone lost or gained; zoom: the densest {zoom_voxels * mm:.2g} mm square)")
    zoom_ax.set_ylabel("")
    for ax in (slice_ax, zoom_ax):
        for spine in ax.spines.values():
            spine.set_edgecolor(colour)
            spine.set_linewidth(3)


def _marker_bars(ax, names: list[str], values: list[float], colours: list, test: str, label: str) -> None:
    """Horizontal bars of one turnover marker with its normal range (:data:`NORMAL_RANGES`) shaded on its own axis."""
    normal = NORMAL_RANGES[test]
    ax.barh(range(len(names)), values, color=colours, height=0.6)
    ax.axvspan(normal.low, normal.high, color="grey", alpha=0.18, zorder=0)
    ax.set_xlim(0, max(max(values, default=0.0), normal.high) * 1.15)
    ax.set_xlabel(f"{label},\n{normal.unit}\n(normal {normal.low:g}-{normal.high:g}:\ngrey)")
    ax.grid(alpha=0.3, axis="x")


def tour_figure(results: Sequence[JobResult], scenarios: Sequence[Scenario], path: Path) -> None:
    """Write the final slices (with what changed and a zoom), the BMD trajectories and the turnover markers.

    Each scenario has its own colour (:func:`scenario_colours`): the frame of its slices, its BMD line
    and its marker bars. Legends sit outside the plots. The axes are placed in inches (the ``*_IN``
    constants), titles at the top of their axes (``y=1.0``: nothing sits above an axes, so matplotlib
    need not measure its tick labels to place them).
    """
    n = len(scenarios)
    cols = 3
    rows = max(-(-n // cols), 2)
    grid_side = results[0].end_snapshot["rgb"].shape[0] if results and not results[0].error else 256
    zoom_voxels = max(grid_side // 4, 8)
    width, height = CELL_WIDTH_IN * cols + SIDE_WIDTH_IN, ROW_HEIGHT_IN * rows + TOP_IN + BOTTOM_IN
    fig = plt.figure(figsize=(width, height))

    def axes_at(left: float, bottom: float, w: float, h: float, **kwargs):
        """Add axes with the lower-left corner at (``left``, ``bottom``) and size ``w`` x ``h``, inches."""
        return fig.add_axes((left / width, bottom / height, w / width, h / height), **kwargs)

    colours = scenario_colours(n)
    side = SLICE_SIDE_IN
    last_zoom_labels = []
    for k, (s, r) in enumerate(zip(scenarios, results, strict=True)):
        left = CELL_WIDTH_IN * (k % cols) + SLICE_LEFT_IN
        bottom = height - TOP_IN - ROW_HEIGHT_IN * (k // cols) - TITLE_IN - side
        zoom_ax = axes_at(left + side + ZOOM_GAP_IN, bottom, side, side)
        _scenario_panels(axes_at(left, bottom, side, side), zoom_ax, s, r, colours[k], zoom_voxels)
        if k % cols == cols - 1:
            last_zoom_labels.append(zoom_ax.get_xlabel())

    drawn = [(k, s, r) for k, (s, r) in enumerate(zip(scenarios, results, strict=True)) if not r.error]
    names = [s.name.replace("_", " ") for _, s, _ in drawn]
    # the right-hand column starts where the x labels of the last zooms (centred, wider than a zoom) end;
    # widths of texts are measured without hinting, so 10% are added
    overhang = max(1.1 * _text_width_in(last_zoom_labels, 10) / 2 - side / 2 - 0.1, 0.0)
    side_left = CELL_WIDTH_IN * cols + overhang + 0.1
    legend_width = 1.1 * _text_width_in([s.title.split(" (")[0] for _, s, _ in drawn], 8) + 0.6  # with handles
    top = height - TOP_IN - 0.35          # below the trajectories' title
    bottom = BOTTOM_IN + 0.85             # above the bars' x tick labels and four-line x labels
    free = top - bottom - 0.9             # less the trajectories' x label and the bars' title
    trajectories = axes_at(side_left + 0.8, top - free * 1.1 / 2.1, width - side_left - 0.8 - legend_width,
                           free * 1.1 / 2.1)   # 0.8 in: the y tick labels and label
    bars_left = side_left + 1.1 * _text_width_in(names, 9) + 0.25
    bar_width = (width - bars_left - 0.65) / 2     # 0.3 in between, 0.35 in right of the bars
    ctx_ax = axes_at(bars_left, bottom, bar_width, free / 2.1)
    p1np_ax = axes_at(bars_left + bar_width + 0.3, bottom, bar_width, free / 2.1, sharey=ctx_ax)
    ctx, p1np, bar_colours = [], [], []
    for k, s, r in drawn:
        ts = r.timeseries
        trajectories.plot(ts["day"] / DAYS_PER_YEAR, 100 * (ts["bmd"] / ts["bmd"].iloc[0] - 1), color=colours[k],
                          lw=1.5, label=s.title.split(" (")[0])
        last_year = ts[ts["day"] > ts["day"].iloc[-1] - DAYS_PER_YEAR]
        ctx.append(last_year["ctx"].mean())
        p1np.append(last_year["p1np"].mean())
        bar_colours.append(colours[k])
    trajectories.axhline(0, color="black", lw=0.6)
    trajectories.set_title("BMD by virtual DXA at the slice's site", fontsize=10, y=1.0)
    trajectories.set_xlabel("years since day 0")
    # matplotlib's own steps, at most 6 intervals: long labels (0.0025 y) of a short run do not run together
    trajectories.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    trajectories.set_ylabel("change from day 0, %")
    trajectories.grid(alpha=0.3)
    trajectories.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _marker_bars(ctx_ax, names, ctx, bar_colours, "ctx_ng_per_ml", "CTX (resorption)")
    _marker_bars(p1np_ax, names, p1np, bar_colours, "p1np_ug_per_l", "P1NP (formation)")
    ctx_ax.set_yticks(range(len(names)), names, fontsize=9)
    ctx_ax.invert_yaxis()
    p1np_ax.tick_params(labelleft=False)
    ctx_ax.set_title("turnover markers, mean of the last year", fontsize=10, loc="left", y=1.0)
    fig.legend(handles=legend_handles(TOUR_CELLS, changes=True), loc="lower center", ncol=8, frameon=False,
               fontsize=10, bbox_to_anchor=(0.5, 0.05 / height))
    fig.suptitle("bonegrid tour: the same healthy slice under each cause (final slices; black frame: the zoomed "
                 "square)", fontsize=13, y=1 - 0.12 / height, va="top")
    for ax in fig.axes:
        if ax not in (ctx_ax, p1np_ax):   # their ticks (the scenarios) are fixed already
            _ticks_in_view(ax)
    # zlib level 1: a PNG about 10% larger, written several times faster
    fig.savefig(path, dpi=80, pil_kwargs={"compress_level": 1})
    plt.close(fig)


def _markdown(rows: pd.DataFrame) -> str:
    def cell(v) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(rows.columns) + " |", "|" + " --- |" * len(rows.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows.itertuples(index=False)]
    return "\n".join(lines)


def format_summary(rows: pd.DataFrame, scenarios: Sequence[Scenario], header: str) -> str:
    """Markdown: the header, the summary table, then each scenario's description."""
    lines = [header, "", _markdown(rows.drop(columns=["seconds"], errors="ignore")), "", "## The scenarios", ""]
    for s in scenarios:
        lines += [f"### {s.title} (`{s.name}`)", "", s.description, ""]
    return "\n".join(lines)


def run_tour(out: Path, years: float = 3.0, grid: int = DEFAULT_GRID, seed: int = 1, workers: int | None = None,
             names: Sequence[str] | None = None, progress=None) -> pd.DataFrame:
    """Run the tour and write its folder (see the module docstring); return the summary rows."""
    started = time.perf_counter()
    scenarios = tour_scenarios(years, names)
    results = run_jobs([(s, seed) for s in scenarios], grid=grid, workers=workers, snapshots=True, progress=progress)
    n_voxels = grid * grid
    rows = summary_rows(results, scenarios, n_voxels)
    frames = [r.timeseries.assign(scenario=r.scenario) for r in results if not r.error]
    header = (f"# bonegrid tour\n\nbonegrid {__version__}; every scenario on the same {grid}x{grid} slice "
              f"(seed {seed}), {years:g} simulated years after a healthy burn-in; wall time "
              f"{time.perf_counter() - started:.0f} s. Values are means of the last 90 days.")
    with staged_folder(Path(out)) as stage:   # whole or not at all
        atomic_write(stage / "tour.png", lambda tmp: tour_figure(results, scenarios, tmp))
        if frames:
            atomic_write(stage / "timeseries.csv",
                         lambda tmp: pd.concat(frames, ignore_index=True).to_csv(tmp, index=False))
        write_text(stage / "summary.md", format_summary(rows, scenarios, header))
    return rows


__all__ = ["run_tour", "scenario_colours", "summary_rows", "tour_figure", "tour_scenarios"]
