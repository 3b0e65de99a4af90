"""Calibration as code: re-fit a calibrated parameter to the band it was fitted to.

``python -m bonegrid.runs.calibrate [NAME ...] [--workers N] [--check] [--fresh]`` runs
``examples/calibration/NAME.toml`` (every spec there without a NAME). A calibration spec is a sweep
spec (:mod:`bonegrid.sweep.spec`: scenario, grid, years, replicates, ``[fixed]``) whose
``[parameters]`` gives the levels of ONE parameter, plus a ``[fit]`` table::

    [fit]
    metric = "ctx_ng_per_ml"      # a validate metric (bonegrid.readouts.signatures.METRICS)
    direction = "falling"         # how the metric moves as the parameter rises: "rising" or "falling"
    target = "band centre"        # the centre of the band below, or a number with its source:
    # target = -0.85
    # source = "FREEDOM (Cummings 2009): CTX -86% at 1 month, -72% before each dose"
    # from_years = 1.25           # the metric's window (default: the band's; its end at most the horizon)
    # to_years = 2.75
    # baseline_from_years = 0.5   # optional: fit metric / (the metric over this window) - 1 instead
    # baseline_to_years = 1.0

The band is the scenario's ``[[expect]]`` row of that metric whose ``fitted`` names the swept
parameter (one must exist: it is how ``validate`` knows not to count it as independent). Each run
is a validate job (:func:`bonegrid.runs.ensemble.run_job`) of the scenario with the spec's fixed
values and the run's level over the spec's horizon and grid, with the run's seed from the sweep
design (:func:`bonegrid.sweep.design_runs`), so the metric is measured exactly as ``validate``
measures the band. Finished runs are appended to ``<output>/runs-<fingerprint>.csv`` (default
output ``results/calibration/NAME``) and skipped when the command is run again; a changed spec
writes a new file, and so does a changed model (its fingerprint holds a digest of the package's
sources); ``--fresh`` discards the stored runs.

Prints the metric per level (mean ± sd over replicates) and the level interpolated linearly at
the target beside the shipped value. Exit status 1 with one line if the target is not bracketed
by the levels, the metric moves against ``direction`` or a run fails; 2 for a bad spec.
``--check`` only validates the specs (the levels must include the shipped value and bracket it)
and prints their plans.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import bonegrid
import bonegrid.tomlcheck as check
from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.files import check_folder
from bonegrid.overrides import default
from bonegrid.parameters import ParameterError
from bonegrid.readouts.signatures import METRICS
from bonegrid.runs.ensemble import run_jobs
from bonegrid.scenarios import Expectation, Scenario
from bonegrid.sweep import SweepSpec, design_runs, parse_spec

SPEC_DIR = Path(__file__).resolve().parents[2] / "examples" / "calibration"
"""Where ``NAME`` is looked up: the repository's ``examples/calibration/``."""
FIT_KEYS = ("metric", "direction", "target", "source", "from_years", "to_years", "baseline_from_years",
            "baseline_to_years")
DIRECTIONS = ("rising", "falling")
BAND_CENTRE = "band centre"
STORE_COLUMNS = ("run_id", "replicate", "level", "seed", "value", "baseline")
"""Columns of the file of finished runs (``baseline`` only with a baseline window)."""


class CalibrationFailed(Exception):
    """The fit has no answer (target not bracketed, metric against its direction, a run failed)."""


@dataclasses.dataclass(frozen=True)
class Calibration:
    """A validated calibration spec.

    Attributes
    ----------
    spec : SweepSpec
        The sweep (one factorial factor: the fitted parameter).
    band : Expectation
        The scenario's band that names the parameter under ``fitted``.
    measured : Expectation
        The metric and its window as run: ``band`` with the spec's window.
    baseline : Expectation or None
        The same metric over the baseline window (the fit is then on ``measured / baseline - 1``).
    direction : str
        ``"rising"`` or ``"falling"``: how the metric moves as the parameter rises.
    target : float
        In the metric's unit, or a fractional change with a baseline.
    target_source : str
        Where the target comes from (the band's source for the band centre).
    shipped : float
        The value the scenario runs with (its own ``[parameters]`` entry, else the default).
    """

    spec: SweepSpec
    band: Expectation
    measured: Expectation
    baseline: Expectation | None
    direction: str
    target: float
    target_source: str
    shipped: float

    @property
    def parameter(self) -> str:
        """The fitted (swept) parameter."""
        return self.spec.factors[0].name

    @property
    def levels(self) -> tuple[float, ...]:
        """The swept levels, ascending."""
        return tuple(sorted(self.spec.factors[0].levels()))

    def run_scenario(self, level: float) -> Scenario:
        """Return the scenario of one run: the spec's, at ``level``, over the spec's horizon, measuring the fit."""
        scenario = self.spec.scenario.with_overrides({self.parameter: level}, reason="calibration")
        expect = (self.measured,) if self.baseline is None else (self.measured, self.baseline)
        return dataclasses.replace(scenario, years=self.spec.days / DAYS_PER_YEAR, expect=expect)

    def fingerprint(self) -> str:
        """SHA-256 of what fixes the stored values: the sweep, the measured windows (not the target) and the model's code."""
        text = json.dumps([STORE_COLUMNS, self.spec.fingerprint(), dataclasses.asdict(self.measured),
                           None if self.baseline is None else dataclasses.asdict(self.baseline), model_code_digest()],
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> str:
        """Return what is fitted to what, for a person (two lines)."""
        label, unit, _ = METRICS[self.band.metric]
        window = _window_text(self.measured, self.spec.days)
        change = "" if self.baseline is None else f" / ({_window_text(self.baseline, self.spec.days)}) - 1"
        unit_of_target = unit if self.baseline is None else "(a fractional change)"
        return (f"{self.parameter}: {self.spec.scenario.name} {label} ({unit}) over {window}{change}; band "
                f"{self.band.band[0]:g}-{self.band.band[1]:g} {unit}, marked fitted\n"
                f"  target {self.target:g} {unit_of_target} ({self.target_source})")


def _window_text(e: Expectation, days: int) -> str:
    end = days / DAYS_PER_YEAR if e.to_years is None else e.to_years
    return f"{e.from_years:g}-{end:.3g} y"


# ---------------------------------------------------------------------------- loading
def spec_path(name: str) -> Path:
    """Return the spec file of ``name``: a path to a .toml file, or ``examples/calibration/NAME.toml``."""
    path = Path(name)
    if path.suffix == ".toml":
        return path
    return SPEC_DIR / f"{name}.toml"


def load_calibration(path: str | Path) -> Calibration:
    """Load and validate a calibration spec (see the module docstring).

    Raises
    ------
    ParameterError
        Naming the file, the key and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SPEC_DIR.glob("*.toml")))
        raise ParameterError(f"calibration spec {str(path)!r} does not exist: give a .toml file or one of {known}")
    try:
        text = path.read_text(encoding="utf-8")
        data = dict(tomllib.loads(text))
    except UnicodeDecodeError as err:
        raise ParameterError(f"{path}: not a text file in UTF-8 (byte {err.start}): give a TOML calibration spec") from None
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    where = str(path)
    if "fit" not in data:
        raise ParameterError(f"{where}: missing table [fit]: say the metric, its direction and the target")
    fit = check.table(data.pop("fit"), where, "fit")
    data.setdefault("output", str(Path("results") / "calibration" / path.stem))
    spec = parse_spec(data, path, text)
    return _calibration(spec, fit, where)


def _calibration(spec: SweepSpec, fit: Mapping[str, Any], where: str) -> Calibration:
    if spec.design.method != "factorial" or len(spec.factors) != 1 or spec.factors[0].kind is not float:
        raise ParameterError(f"{where}: a calibration sweeps the levels of one float parameter (factorial design): "
                             f"got {spec.design.method} over {', '.join(spec.names)}")
    name = spec.factors[0].name
    check.keys(fit, where, FIT_KEYS, required=("metric", "direction", "target"), prefix="fit.")
    metric = check.string(fit["metric"], where, "fit.metric")
    if metric not in METRICS:
        raise ParameterError(f"{where}: fit.metric={metric!r} is not a validate metric: expected one of "
                             f"{', '.join(METRICS)}")
    direction = check.string(fit["direction"], where, "fit.direction")
    if direction not in DIRECTIONS:
        raise ParameterError(f"{where}: fit.direction={direction!r} is not allowed: expected rising or falling")
    bands = [e for e in spec.scenario.expect if e.metric == metric and name in e.fitted]
    if not bands:
        raise ParameterError(f"{where}: scenario {spec.scenario.name!r} has no [[expect]] band of {metric} that names "
                             f"{name} under fitted: mark the band the parameter is fitted to")
    band = bands[0]
    years = spec.days / DAYS_PER_YEAR
    measured = _windowed(band, fit, "", years, where)
    baseline = None
    given = [k for k in ("baseline_from_years", "baseline_to_years") if k in fit]
    if len(given) == 1:
        raise ParameterError(f"{where}: fit.{given[0]} alone is not a window: give baseline_from_years and "
                             "baseline_to_years together")
    if given:
        baseline = _windowed(band, fit, "baseline_", years, where)
    raw = fit["target"]
    if raw == BAND_CENTRE:
        if baseline is not None:
            raise ParameterError(f"{where}: fit.target='band centre' is a level, but a baseline makes the fit a "
                                 "change: give the target change as a number with its source")
        if "source" in fit:
            raise ParameterError(f"{where}: fit.source is for a numeric target; the band centre's source is the band's")
        target, source = 0.5 * (band.band[0] + band.band[1]), f"band centre; {band.source}"
    else:
        if isinstance(raw, str):
            raise ParameterError(f"{where}: fit.target={raw!r} is not allowed: expected 'band centre' or a number")
        target = check.number(raw, where, "fit.target")
        if "source" not in fit:
            raise ParameterError(f"{where}: fit.target={target!r} needs fit.source: where the number comes from")
        source = check.string(fit["source"], where, "fit.source")
    shipped = spec.scenario.parameters[name][0] if name in spec.scenario.parameters else default(name)
    levels = spec.factors[0].levels()
    if not min(levels) < shipped < max(levels) or shipped not in levels:
        raise ParameterError(f"{where}: parameters.{name}: levels {', '.join(f'{v:g}' for v in levels)} must include "
                             f"the shipped value {shipped:g} and levels on both sides of it")
    return Calibration(spec, band, measured, baseline, direction, float(target), source, float(shipped))


def _windowed(band: Expectation, fit: Mapping[str, Any], prefix: str, years: float, where: str) -> Expectation:
    """``band`` with the window ``fit.<prefix>from_years .. <prefix>to_years`` (default the band's).

    The band's own end is clipped to the run's horizon; ``None`` is the end of the run.
    """
    start = check.number(fit.get(f"{prefix}from_years", band.from_years), where, f"fit.{prefix}from_years")
    key = f"{prefix}to_years"
    end = check.number(fit[key], where, f"fit.{key}") if key in fit else band.to_years
    if key not in fit and end is not None and end >= years:
        end = None
    if not 0.0 <= start < (years if end is None else end) <= years:
        raise ParameterError(f"{where}: fit.{prefix}from_years={start!r}, to_years={end!r} is not a window of the "
                             f"{years:g}-year run: expected 0 <= from < to <= years")
    return dataclasses.replace(band, from_years=start, to_years=end)


# ---------------------------------------------------------------------------- running

@functools.cache
def model_code_digest() -> str:
    """SHA-256 of the bonegrid package's sources (Python and scenario files) as installed.

    Part of a calibration's fingerprint: stored runs of an older model (another default of any
    parameter, another mechanism) are never mixed with new ones.
    """
    root = Path(bonegrid.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def store_path(cal: Calibration) -> Path:
    """Return the file of the finished runs of this spec: ``<output>/runs-<first 12 digits of the fingerprint>.csv``."""
    return cal.spec.output / f"runs-{cal.fingerprint()[:12]}.csv"


def run_calibration(cal: Calibration, workers: int | None = None, fresh: bool = False) -> pd.DataFrame:
    """Run the runs not yet stored and return every run: ``run_id, replicate, level, seed, value[, baseline]``.

    Raises
    ------
    CalibrationFailed
        If a run raised (the others are stored).
    """
    store = store_path(cal)
    if fresh and store.exists():
        store.unlink()
    runs = design_runs(cal.spec).rename(columns={cal.parameter: "level"})
    done = pd.read_csv(store) if store.exists() else pd.DataFrame(columns=["run_id"])
    todo = runs[~runs.run_id.isin(done.run_id)]
    by_seed = {int(r.seed): r for r in todo.itertuples()}
    failed: list[str] = []
    store.parent.mkdir(parents=True, exist_ok=True)

    def keep(result, finished: int, total: int) -> None:
        row = by_seed[result.seed]
        if result.error:
            failed.append(f"run {row.run_id} ({cal.parameter}={row.level:g}): {result.error}")
            return
        values = {"run_id": row.run_id, "replicate": row.replicate, "level": row.level, "seed": row.seed,
                  "value": result.metrics[0]}
        if cal.baseline is not None:
            values["baseline"] = result.metrics[1]
        pd.DataFrame([values]).to_csv(store, mode="a", header=not store.exists(), index=False)
        print(f"  run {finished}/{total}: {cal.parameter}={row.level:g} -> {result.metrics[0]:.4g}", flush=True)

    if len(todo):
        jobs = [(cal.run_scenario(float(r.level)), int(r.seed)) for r in todo.itertuples()]
        run_jobs(jobs, grid=cal.spec.grid, workers=workers, progress=keep)
    if failed:
        raise CalibrationFailed(f"{len(failed)} run(s) failed, first: {failed[0]}")
    return pd.read_csv(store).sort_values("run_id").reset_index(drop=True)


def fitted_quantity(cal: Calibration, table: pd.DataFrame) -> pd.Series:
    """Return the quantity fitted of each run: the metric, or its fractional change from the baseline window."""
    return table["value"] if cal.baseline is None else table["value"] / table["baseline"] - 1.0


def by_level(cal: Calibration, table: pd.DataFrame) -> pd.DataFrame:
    """Return the fitted quantity per level (ascending): ``mean``, ``sd`` and ``runs`` over replicates."""
    grouped = fitted_quantity(cal, table).groupby(table["level"])
    return pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(ddof=1), "runs": grouped.size()}).sort_index()


def replicate_fits(cal: Calibration, table: pd.DataFrame) -> list[float | None]:
    """Return the level fitted to each replicate's runs alone (``None`` where it has no answer): the fit's noise."""
    quantity = fitted_quantity(cal, table)
    fits: list[float | None] = []
    for _, runs in quantity.groupby(table["replicate"]):
        curve = runs.groupby(table["level"]).mean().sort_index()
        try:
            fits.append(fit_level(curve.index.to_numpy(), curve.to_numpy(), cal.target, cal.direction))
        except CalibrationFailed:
            fits.append(None)
    return fits


def fit_level(levels: Sequence[float], means: Sequence[float], target: float, direction: str) -> float:
    """Return the level at which the metric meets ``target``, interpolated linearly between two levels.

    Parameters
    ----------
    levels : sequence of float
        Ascending parameter levels.
    means : sequence of float
        The metric at each level (mean over replicates).
    target : float
        The value to meet.
    direction : {"rising", "falling"}
        How the metric should move as the parameter rises.

    Raises
    ------
    CalibrationFailed
        If the metric moves against ``direction`` from the first level to the last, or no two
        neighbouring levels bracket the target.
    """
    x, y = np.asarray(levels, dtype=float), np.asarray(means, dtype=float)
    if not np.all(np.isfinite(y)):
        raise CalibrationFailed(f"the metric is undefined at level(s) {', '.join(f'{v:g}' for v in x[~np.isfinite(y)])}")
    sign = 1.0 if direction == "rising" else -1.0
    if sign * (y[-1] - y[0]) <= 0.0:
        raise CalibrationFailed(f"the metric goes from {y[0]:.4g} to {y[-1]:.4g} as the parameter rises from {x[0]:g} "
                                f"to {x[-1]:g}, but the spec says {direction}")
    for i in range(len(x) - 1):
        low, high = sorted((y[i], y[i + 1]))
        if low <= target <= high and y[i] != y[i + 1]:
            return float(x[i] + (target - y[i]) * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    raise CalibrationFailed(f"target {target:.4g} is not bracketed: the metric spans {y.min():.4g}..{y.max():.4g} "
                            f"over levels {x[0]:g}..{x[-1]:g}: widen the levels")


def calibrate(cal: Calibration, workers: int | None = None, fresh: bool = False) -> float:
    """Run (resuming) and fit one calibration; print the metric per level and the fitted value; return it."""
    print(cal.describe())
    print(f"  {cal.spec.replicates * len(cal.levels)} runs at {cal.spec.grid}², {cal.spec.days} days; "
          f"stored in {store_path(cal)}", flush=True)
    runs = run_calibration(cal, workers, fresh)
    table = by_level(cal, runs)
    for level, row in table.iterrows():
        sd = f" ± {row['sd']:.3g}" if math.isfinite(row["sd"]) else ""
        shipped = "  <- shipped" if level == cal.shipped else ""
        print(f"  {cal.parameter} = {level:<8g} {row['mean']:.4g}{sd} (n={int(row['runs'])}){shipped}")
    fitted = fit_level(table.index.to_numpy(), table["mean"].to_numpy(), cal.target, cal.direction)
    each = ", ".join("none" if f is None else f"{f:.3g}" for f in replicate_fits(cal, runs))
    print(f"  fitted {cal.parameter} = {fitted:.4g} (shipped {cal.shipped:g}) for target {cal.target:g}; "
          f"each replicate alone: {each}")
    return fitted


def spec_names() -> list[str]:
    """Names of the calibration specs in ``examples/calibration``."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


def main(argv: list[str] | None = None) -> int:
    """Run (or ``--check``) the named calibrations; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bonegrid.runs.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="spec names in examples/calibration or .toml paths (default: all)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the cores)")
    parser.add_argument("--check", action="store_true", help="only validate the specs and print their plans")
    parser.add_argument("--fresh", action="store_true", help="discard stored runs")
    args = parser.parse_args(argv)
    status = 0
    try:
        if args.workers is not None and args.workers < 1:
            raise ParameterError(f"--workers={args.workers} is not allowed: expected an integer >= 1")
        names = args.names or spec_names()
        if not names:
            raise ParameterError(f"no calibration specs in {SPEC_DIR}: run from a checkout of the bonegrid repository, "
                                 "or give the spec files")
        calibrations = [load_calibration(spec_path(n)) for n in names]
        if not args.check:
            for cal in calibrations:
                check_folder(cal.spec.output, f"{cal.spec.name}: output")
    except ParameterError as err:
        print(f"{parser.prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    for cal in calibrations:
        if args.check:
            print(cal.describe())
            print(f"  levels {', '.join(f'{v:g}' for v in cal.levels)} (shipped {cal.shipped:g}); "
                  f"{cal.spec.replicates * len(cal.levels)} runs at {cal.spec.grid}², {cal.spec.days} days")
            continue
        try:
            calibrate(cal, args.workers, args.fresh)
        except CalibrationFailed as err:
            print(f"{parser.prog}: {cal.spec.name}: {err}", file=sys.stderr)
            status = 1
    return status


__all__ = ["BAND_CENTRE", "Calibration", "CalibrationFailed", "by_level", "calibrate", "fit_level",
           "fitted_quantity", "load_calibration", "main", "replicate_fits", "run_calibration", "spec_names",
           "spec_path", "store_path"]

if __name__ == "__main__":
    sys.exit(main())
