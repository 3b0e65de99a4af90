"""The tour (``python run.py`` with no arguments): healthy bone beside every disease.

Runs every built-in scenario for the same number of years with the same seed and grid,
in parallel processes, and writes to ``results/tour/``:

- ``tour.png``: the final slice of each scenario side by side (healthy first), with the
  BMD trajectories (virtual DXA) and the turnover markers of the last year;
- ``summary.md``: one row per scenario (DXA BMD change, T- and Z-score, BV/TV change, turnover,
  markers, blood, osteoid, osteocytes, M-protein), then each scenario's plain-language description;
- ``timeseries.csv``: all time series in long format (a ``scenario`` column).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from bonegrid import __version__
from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID
from bonegrid.readouts.balance import turnover_per_year
from bonegrid.runs.ensemble import JobResult, run_jobs
from bonegrid.runs.plotting import draw_slice, legend_handles, mark_lost
from bonegrid.scenarios import Scenario, load_scenario, scenario_names

TOUR_CELLS = ("osteoclast", "tumour")
COLOURS = ["#2e7d32", "#c2185b", "#7b1fa2", "#ef6c00", "#0277bd", "#6d4c41", "#f9a825", "#455a64", "#d32f2f",
           "#00897b", "#5e35b1", "#9e9d24"]


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


def tour_figure(results: Sequence[JobResult], scenarios: Sequence[Scenario], path: Path) -> None:
    """Write the final slices side by side and the bone-mineral and CTX trajectories."""
    n = len(scenarios)
    cols = 4 if n > 9 else 3
    rows = -(-n // cols)
    fig = plt.figure(figsize=(4.0 * cols + 7.5, 4.1 * max(rows, 2)), constrained_layout=True)
    grid = fig.add_gridspec(max(rows, 2), cols + 2)
    for k, (s, r) in enumerate(zip(scenarios, results, strict=True)):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        if r.error:
            ax.text(0.5, 0.5, f"{s.name}\nfailed:\n{r.error[:80]}", ha="center", va="center", wrap=True)
            ax.axis("off")
            continue
        ts = r.timeseries
        last = ts[ts["day"] > ts["day"].iloc[-1] - 90]
        bv = 100 * (last["bv_tv"].mean() / ts["bv_tv"].iloc[0] - 1)
        bmd = 100 * (last["bmd"].mean() / ts["bmd"].iloc[0] - 1)
        draw_slice(ax, mark_lost(r.end_snapshot, r.start_snapshot), cells=TOUR_CELLS, fontsize=9,
                   title=f"{s.title}\nin {s.years:g} y: BV/TV {bv:+.1f}%, BMD {bmd:+.1f}%")
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_edgecolor(COLOURS[k % len(COLOURS)])
            spine.set_linewidth(3)
    half = max(rows, 2) // 2
    trajectories = fig.add_subplot(grid[:half, cols:])
    markers = fig.add_subplot(grid[half:, cols:])
    names, ctx, p1np, colours = [], [], [], []
    for k, (s, r) in enumerate(zip(scenarios, results, strict=True)):
        if r.error:
            continue
        ts = r.timeseries
        years = ts["day"] / DAYS_PER_YEAR
        colour = COLOURS[k % len(COLOURS)]
        trajectories.plot(years, 100 * (ts["bmd"] / ts["bmd"].iloc[0] - 1), color=colour, lw=1.5, label=s.title)
        last_year = ts[ts["day"] > ts["day"].iloc[-1] - 365]
        names.append(s.name.replace("_", " "))
        ctx.append(last_year["ctx"].mean())
        p1np.append(last_year["p1np"].mean())
        colours.append(colour)
    trajectories.axhline(0, color="black", lw=0.6)
    trajectories.set_title("BMD by virtual DXA at the slice's site, % change from day 0", fontsize=10)
    trajectories.set_xlabel("years")
    trajectories.grid(alpha=0.3)
    trajectories.legend(fontsize=8, frameon=False, loc="lower left")
    y = range(len(names))
    markers.barh([v - 0.2 for v in y], ctx, height=0.4, color=colours, label="CTX, ng/mL (resorption)")
    twin = markers.twiny()
    twin.barh([v + 0.2 for v in y], p1np, height=0.4, color=colours, alpha=0.45, hatch="//",
              label="P1NP, ug/L (formation)")
    markers.axvspan(0.1, 0.6, color="grey", alpha=0.15)
    markers.set_yticks(list(y), names, fontsize=9)
    markers.invert_yaxis()
    markers.set_xlabel("CTX, ng/mL (solid bars; grey: normal 0.1-0.6)")
    twin.set_xlabel("P1NP, ug/L (hatched bars; normal 15-75)")
    markers.set_xlim(0, max(max(ctx, default=1.0) * 1.15, 0.7))
    twin.set_xlim(0, max(max(p1np, default=1.0) * 1.15, 80.0))
    markers.set_title("turnover markers, mean of the last year", fontsize=10, pad=28)
    markers.grid(alpha=0.3, axis="x")
    fig.legend(handles=legend_handles(TOUR_CELLS, lost=True), loc="outside lower center", ncol=7, frameon=False,
               fontsize=10)
    fig.suptitle("bonegrid tour: the same healthy slice under each cause of bone loss (final slices)", fontsize=13)
    fig.savefig(path, dpi=90)
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
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_voxels = grid * grid
    rows = summary_rows(results, scenarios, n_voxels)
    tour_figure(results, scenarios, out / "tour.png")
    frames = [r.timeseries.assign(scenario=r.scenario) for r in results if not r.error]
    if frames:
        pd.concat(frames, ignore_index=True).to_csv(out / "timeseries.csv", index=False)
    header = (f"# bonegrid tour\n\nbonegrid {__version__}; every scenario on the same {grid}x{grid} slice "
              f"(seed {seed}), {years:g} simulated years after a healthy burn-in; wall time "
              f"{time.perf_counter() - started:.0f} s. Values are means of the last 90 days.")
    (out / "summary.md").write_text(format_summary(rows, scenarios, header))
    return rows


__all__ = ["run_tour", "summary_rows", "tour_figure", "tour_scenarios"]
