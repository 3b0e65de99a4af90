"""Sensitivity of a sweep's readouts to its parameters: Sobol and Morris indices, response plots.

:func:`analyze` reads a sweep folder (:mod:`bonegrid.sweep.store`) and, for each chosen
readout at each chosen day (optionally as the change since a baseline day), averages the
replicates of each design point and computes

- for a Sobol design, first-order and total indices ``S1``, ``ST`` with bootstrap
  confidence intervals (Saltelli 2002, doi:10.1016/S0010-4655(02)00280-1; Jansen/Saltelli
  2010 estimators as in SALib);
- for a Morris design, ``mu*`` (mean absolute elementary effect: overall influence),
  ``sigma`` (spread of the effects: interactions or non-linearity) and ``mu`` (Morris 1991,
  doi:10.1080/00401706.1991.10484804; Campolongo et al. 2007, doi:10.1016/j.envsoft.2006.10.004),
  in the readout's unit per the parameter's whole range;
- for factorial, table and Latin hypercube designs, the response of each readout to each
  parameter (points, and level means for designs with few levels).

It writes CSV tables and PNG figures to ``SWEEP_DIR/analysis/``. Indices come from SALib
(Herman & Usher 2017, doi:10.21105/joss.00097), with the sweep's root seed for the bootstrap.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bonegrid.files import atomic_write, make_folder, read  # noqa: E402
from bonegrid.parameters import ParameterError  # noqa: E402
from bonegrid.sweep.spec import check_day  # noqa: E402
from bonegrid.sweep.store import SweepStore  # noqa: E402
from bonegrid.timeseries import columns  # noqa: E402

CONFIDENCE = 0.95
RESAMPLES = 1000
MAX_LEVEL_LINES = 12
"""Designs with at most this many levels of a parameter get a line through the level means."""
UNITS = {c.name: c.unit for c in columns()}
"""Unit of every time-series column (from the one schema, :mod:`bonegrid.timeseries`)."""


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A sweep folder as the analysis needs it.

    Attributes
    ----------
    root : Path
    manifest : dict
        ``manifest.json`` (spec, resolved factors and design, analysis defaults, run status).
    runs : pandas.DataFrame
        ``design.csv``: ``run_id, point, replicate, seed`` and the swept parameters.
    """

    root: Path
    manifest: dict
    runs: pd.DataFrame

    @property
    def method(self) -> str:
        """Design method: factorial, table, latin, sobol or morris."""
        return self.manifest["resolved"]["design"]["method"]

    @property
    def factors(self) -> list[dict]:
        """Swept parameters: name, kind, values or low/high/log."""
        return self.manifest["resolved"]["factors"]

    @property
    def seed(self) -> int:
        """Root seed of the sweep (also seeds the bootstrap)."""
        return self.manifest["resolved"]["seed"]

    def problem(self) -> dict:
        """Return the SALib problem (bounds in sampling space: log10 for ``log`` factors)."""
        bounds = [[math.log10(f["low"]), math.log10(f["high"])] if f["log"] else [f["low"], f["high"]]
                  for f in self.factors]
        return {"num_vars": len(self.factors), "names": [f["name"] for f in self.factors], "bounds": bounds}

    def tables(self) -> list[Path]:
        """Return the files to read: ``results.parquet``, or the readable parts while the sweep is unfinished."""
        store = SweepStore(self.root)
        if store.results.is_file():
            return [store.results]
        return [store.part(run_id) for run_id in sorted(store.finished())] if store.parts.is_dir() else []


def load_sweep(root: str | Path) -> Sweep:
    """Open a sweep folder written by ``python run.py sweep``.

    Raises
    ------
    ParameterError
        If ``root`` holds no sweep.
    """
    root = Path(root)
    if not (root / "manifest.json").is_file() or not (root / "design.csv").is_file():
        raise ParameterError(f"{str(root)!r} holds no sweep (manifest.json and design.csv are missing): give the "
                             "output folder of `bonegrid sweep`")
    manifest = SweepStore(root).read_manifest()
    try:
        resolved, runs = manifest["resolved"], manifest["design"]["runs"]
        ok = {"design", "factors", "seed", "days", "outputs"} <= set(resolved) and {"outputs", "days"} <= set(
            manifest["analysis"])
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise ParameterError(f"{root / 'manifest.json'}: cannot read the sweep's manifest, the file is damaged "
                             "(fields missing)")

    def design(path: Path) -> pd.DataFrame:
        table = pd.read_csv(path)
        if len(table) != runs or not {"run_id", "point"} <= set(table.columns):
            raise ValueError(f"{len(table)} rows of {runs}, or run_id/point missing")
        return table

    return Sweep(root, manifest, read(root / "design.csv", design, "the sweep's design"))


def point_responses(sweep: Sweep, outputs: Sequence[str], days: Sequence[int],
                    change_from_day: int | None = None) -> pd.DataFrame:
    """Return each run's readouts at ``days``, long format.

    Returns
    -------
    pandas.DataFrame
        Columns ``run_id, point, output, day, value``; ``value`` is the readout on ``day``
        minus that on ``change_from_day`` when given. Runs not finished are absent.
    """
    wanted = sorted({*days, *([] if change_from_day is None else [change_from_day])})
    tables = sweep.tables()
    if not tables:
        raise ParameterError(f"{str(sweep.root)!r}: no run has finished yet: nothing to analyse")
    import pyarrow.parquet as pq

    source = tables[0] if len(tables) == 1 else [str(t) for t in tables]
    columns_kept = ["run_id", "day", *outputs]
    frame = read(tables[0] if len(tables) == 1 else sweep.root / "parts",
                 lambda _: pq.read_table(source, columns=columns_kept, filters=[("day", "in", wanted)]).to_pandas(),
                 "the sweep's table" if len(tables) == 1 else "the sweep's parts")
    wide = frame.set_index(["run_id", "day"])
    parts = []
    for day in days:
        at = wide.xs(day, level="day")
        if change_from_day is not None:
            at = at - wide.xs(change_from_day, level="day").reindex(at.index)
        parts.append(at.assign(day=day))
    long = pd.concat(parts).reset_index().melt(id_vars=["run_id", "day"], var_name="output", value_name="value")
    long = long.merge(sweep.runs[["run_id", "point"]], on="run_id")
    return long[["run_id", "point", "output", "day", "value"]]


def _point_means(long: pd.DataFrame, output: str, day: int, points: int) -> np.ndarray:
    """Mean over replicates of each design point, (points,) float array; NaN where no run finished."""
    sel = long[(long["output"] == output) & (long["day"] == day)]
    return sel.groupby("point")["value"].mean().reindex(range(points)).to_numpy(dtype=float)


def morris_indices(sweep: Sweep, y: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Morris screening measures of point responses ``y`` (points,) in design order.

    Trajectories holding a point without a finished run are left out.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``mu_star, mu_star_conf, mu, sigma`` (readout units per the
        parameter's range), sorted by ``mu_star``.
    int
        Trajectories used.

    Raises
    ------
    ParameterError
        If fewer than two complete trajectories remain.
    """
    from SALib.analyze import morris

    problem = sweep.problem()
    k = problem["num_vars"]
    x = _sampling_space(sweep)
    complete = np.isfinite(y.reshape(-1, k + 1)).all(axis=1)
    if complete.sum() < 2:
        raise ParameterError(f"{sweep.root}: only {int(complete.sum())} Morris trajectories have every run "
                             "finished: finish the sweep (`sweep SPEC --resume`) before analysing")
    keep = np.repeat(complete, k + 1)
    levels = sweep.manifest["resolved"]["design"]["levels"]
    res = morris.analyze(problem, x[keep], y[keep], num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                         num_levels=levels, seed=sweep.seed)
    out = pd.DataFrame({"parameter": problem["names"], "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                        "mu": res["mu"], "sigma": res["sigma"]})
    return out.sort_values("mu_star", ascending=False, ignore_index=True), int(complete.sum())


def sobol_indices(sweep: Sweep, y: np.ndarray) -> pd.DataFrame:
    """Sobol first-order and total indices of point responses ``y`` (points,) in design order.

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``S1, S1_conf, ST, ST_conf`` (dimensionless; conf = half-width
        of the bootstrap interval), sorted by ``ST``; NaN for an output that does not vary.

    Raises
    ------
    ParameterError
        If a point has no finished run (the Saltelli estimators need every point).
    """
    from SALib.analyze import sobol

    problem = sweep.problem()
    missing = np.flatnonzero(~np.isfinite(y))
    if missing.size:
        raise ParameterError(f"{sweep.root}: {missing.size} Sobol points have no finished run (e.g. point "
                             f"{missing[0]}): Sobol indices need every point; rerun them with `sweep SPEC --resume`")
    names = problem["names"]
    if np.ptp(y) == 0.0:
        nan = np.full(len(names), np.nan)
        return pd.DataFrame({"parameter": names, "S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
    second = sweep.manifest["resolved"]["design"]["second_order"]
    res = sobol.analyze(problem, y, calc_second_order=second, num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                        seed=sweep.seed)
    out = pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                        "ST_conf": res["ST_conf"]})
    return out.sort_values("ST", ascending=False, ignore_index=True)


def _sampling_space(sweep: Sweep) -> np.ndarray:
    """Design points in SALib's sampling space, (points, k) float array (log10 for ``log`` factors)."""
    first = sweep.runs.drop_duplicates("point").sort_values("point")
    return np.column_stack([np.log10(first[f["name"]].to_numpy(float)) if f["log"] else first[f["name"]].to_numpy(float)
                            for f in sweep.factors])


@dataclasses.dataclass
class Analysis:
    """What :func:`analyze` wrote and what it had to leave out."""

    paths: list[Path]
    notes: list[str]


def analyze(root: str | Path, outputs: Sequence[str] | None = None, days: Sequence[int] | None = None,
            change_from_day: int | None = None, levels: bool = False) -> Analysis:
    """Analyse a sweep folder and write CSV tables and PNG figures to ``root/analysis/``.

    Parameters
    ----------
    root : path
        The sweep folder.
    outputs : sequence of str, optional
        Readouts (default: the spec's ``[analysis] outputs``).
    days : sequence of int, optional
        Days after burn-in, each a recorded day (default: the spec's ``[analysis] days``).
    change_from_day : int, optional
        Analyse the change since this day (default: the spec's ``change_from_day``).
    levels : bool
        Analyse levels, ignoring the spec's ``change_from_day``.

    Returns
    -------
    Analysis
        The files written (Sobol: ``sobol.csv``, ``sobol.png``; Morris: ``morris.csv``,
        ``morris.png``; other designs: ``response.csv``, ``response.png``; each named
        ``..._change`` when changes are analysed) and notes.

    Raises
    ------
    ParameterError
        For readouts or days the sweep did not keep, or runs missing for the method.
    """
    sweep = load_sweep(root)
    defaults = sweep.manifest["analysis"]
    kept = sweep.manifest["resolved"]["outputs"]
    outputs = list(outputs or defaults["outputs"])
    for name in outputs:
        if name not in kept["readouts"]:
            raise ParameterError(f"--outputs {name!r} is not allowed: the sweep kept {', '.join(kept['readouts'])}")
    horizon, interval = sweep.manifest["resolved"]["days"], kept["interval_days"]
    days = [check_day(d, horizon, interval, str(root), "--days") for d in (days or defaults["days"])]
    base = None if levels else change_from_day if change_from_day is not None else defaults["change_from_day"]
    if base is not None:
        check_day(base, horizon, interval, str(root), "--change-from-day")
    long = point_responses(sweep, outputs, days, base)
    notes: list[str] = []
    suffix = "" if base is None else "_change"  # levels and changes of one sweep are kept side by side
    points = int(sweep.runs["point"].max()) + 1
    if sweep.method in ("sobol", "morris"):
        rows = []
        for output in outputs:
            for day in days:
                y = _point_means(long, output, day, points)
                if sweep.method == "sobol":
                    table = sobol_indices(sweep, y)
                else:
                    table, used = morris_indices(sweep, y)
                    total = points // (len(sweep.factors) + 1)
                    if used < total:
                        notes.append(f"{output} day {day}: {total - used} of {total} trajectories left out "
                                     "(a run failed or is pending)")
                    table["trajectories"] = used
                rows.append(table.assign(output=output, day=day, change_from_day=base))
        indices = pd.concat(rows, ignore_index=True)
        indices = indices[["output", "day", "change_from_day", *[c for c in indices if c not in
                                                                  ("output", "day", "change_from_day")]]]
        plot = (plot_sobol if sweep.method == "sobol" else plot_morris)
        return _write(sweep, f"{sweep.method}{suffix}", indices, lambda png: plot(indices, png, sweep), notes)
    design = sweep.runs.drop(columns=["run_id", "replicate", "seed"]).drop_duplicates("point")
    summary = long.merge(design, on="point")
    stats = long.groupby(["output", "day", "point"], as_index=False)["value"].agg(["mean", "std", "count"])
    stats = stats.merge(design, on="point")
    stats.insert(2, "change_from_day", base)
    return _write(sweep, f"response{suffix}", stats, lambda png: plot_response(summary, png, sweep, base), notes)


def _write(sweep: Sweep, stem: str, table: pd.DataFrame, plot, notes: list[str]) -> Analysis:
    """Write ``table`` as ``analysis/STEM.csv`` and ``plot(path)`` as ``analysis/STEM.png``, each atomically."""
    folder = make_folder(sweep.root / "analysis")
    csv = atomic_write(folder / f"{stem}.csv", lambda tmp: table.to_csv(tmp, index=False))
    png = atomic_write(folder / f"{stem}.png", plot)
    return Analysis([csv, png], notes)


# ------------------------------------------------------------------------------ figures
def _label(output: str, day: int, base: int | None) -> str:
    unit = UNITS.get(output, "")
    what = f"change in {output} since day {base}" if base is not None else output
    return f"{what} at day {day}" + (f" ({unit})" if unit and unit != "1" else "")


def _grid(n: int, width: float, height: float) -> tuple[plt.Figure, np.ndarray]:
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _legend_below(fig: plt.Figure, ax: plt.Axes) -> None:
    """Lay the figure out with the legend of ``ax`` centred below the panels."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))


def plot_morris(indices: pd.DataFrame, path: Path, sweep: Sweep) -> None:
    """Draw mu* (bars, with confidence interval), sigma and signed mu per parameter, a panel per readout and day."""
    groups = list(indices.groupby(["output", "day"], sort=False))
    k = len(sweep.factors)
    fig, axes = _grid(len(groups), 6.0, 1.2 + 0.42 * k)
    for ax, ((output, day), table) in zip(axes, groups, strict=False):
        table = table.sort_values("mu_star")
        y = np.arange(len(table))
        ax.barh(y, table["mu_star"], xerr=table["mu_star_conf"], color="#4477aa", capsize=3,
                label=f"μ* (mean |effect|), {CONFIDENCE:.0%} CI")
        ax.scatter(table["sigma"], y, marker="D", color="#ee6677", zorder=3, label="σ (spread: interaction, non-linearity)")
        ax.scatter(table["mu"], y, marker="|", s=250, linewidths=2.5, color="black", zorder=4,
                   label="μ (signed mean: direction)")
        ax.set_yticks(y, table["parameter"])
        ax.axvline(0.0, color="black", linewidth=0.8)
        unit = UNITS.get(output, "")
        ax.set_xlabel("effect over the parameter's whole range" + (f" ({unit})" if unit not in ("", "1") else ""))
        ax.set_title(_label(output, day, table["change_from_day"].iloc[0]), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    used = int(indices["trajectories"].min())
    fig.suptitle(f"Morris screening: {sweep.root.name} ({used} trajectories, {k} parameters; "
                 "right = more influential, high σ = interactions)", fontsize=11)
    _legend_below(fig, axes[0])
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_sobol(indices: pd.DataFrame, path: Path, sweep: Sweep) -> None:
    """Draw S1 and ST with confidence intervals per parameter, one panel per readout and day."""
    groups = list(indices.groupby(["output", "day"], sort=False))
    k = len(sweep.factors)
    fig, axes = _grid(len(groups), 6.0, 1.2 + 0.5 * k)
    for ax, ((output, day), table) in zip(axes, groups, strict=False):
        table = table.sort_values("ST")
        y = np.arange(len(table))
        ax.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color="#4477aa", capsize=3,
                label="ST (total: alone and in interactions)")
        ax.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color="#ccbb44", capsize=3,
                label="S1 (first order: alone)")
        ax.set_yticks(y, table["parameter"])
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlim(min(-0.05, float((table["S1"] - table["S1_conf"]).min()) - 0.05),
                    max(1.0, float((table["ST"] + table["ST_conf"]).max()) + 0.05))
        ax.set_xlabel(f"share of the output's variance ({CONFIDENCE:.0%} CI)")
        ax.set_title(_label(output, day, table["change_from_day"].iloc[0]), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Sobol indices: {sweep.root.name} ({len(sweep.runs)} runs, {k} parameters)", fontsize=11)
    _legend_below(fig, axes[0])
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_response(summary: pd.DataFrame, path: Path, sweep: Sweep, base: int | None) -> None:
    """Draw each readout at each day against each parameter: runs as dots, level means as a line.

    Rows are readout and day, columns the swept parameters; for two or more parameters the
    dots are coloured by the levels of the second one.
    """
    rows = list(summary.groupby(["output", "day"], sort=False))
    factors = sweep.factors
    fig, axes = plt.subplots(len(rows), len(factors), figsize=(4.2 * len(factors), 3.2 * len(rows)), squeeze=False)
    for r, ((output, day), table) in enumerate(rows):
        for c, factor in enumerate(factors):
            ax = axes[r, c]
            name = factor["name"]
            other = factors[1 - c]["name"] if len(factors) > 1 and c < 2 else None
            colour = None
            if other is not None and table[other].nunique() <= MAX_LEVEL_LINES:
                codes = {v: i for i, v in enumerate(sorted(table[other].unique()))}
                colour = table[other].map(codes)
            x = table[name]
            numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
            xs = x if numeric else x.astype(str)
            dots = ax.scatter(xs, table["value"], s=14, alpha=0.7, c=colour, cmap="viridis" if colour is not None
                              else None)
            if colour is not None:
                handles, _ = dots.legend_elements()
                ax.legend(handles, [f"{other}={v:g}" if isinstance(v, float) else f"{other}={v}" for v in codes],
                          fontsize=7, loc="best")
            if x.nunique() <= MAX_LEVEL_LINES:
                means = table.groupby(xs)["value"].mean()
                ax.plot(means.index, means.to_numpy(), color="black", linewidth=1.5, label="mean")
            if factor["log"]:
                ax.set_xscale("log")
            ax.set_xlabel(name)
            ax.set_ylabel(_label(output, day, base), fontsize=8)
            ax.grid(alpha=0.3)
    fig.suptitle(f"Responses: {sweep.root.name} ({sweep.method} design, {len(sweep.runs)} runs; dots = runs, "
                 "line = mean)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


__all__ = ["Analysis", "Sweep", "analyze", "load_sweep", "morris_indices", "plot_morris", "plot_response",
           "plot_sobol", "point_responses", "sobol_indices"]
