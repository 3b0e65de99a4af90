"""The sweep spec: one TOML file that says what to run, how to sample it and what to keep.

File format (every key is checked; unknown keys, wrong types and values the scenario would
not accept are rejected with a message naming the file, the key and what is allowed)::

    scenario = "healthy"          # built-in scenario name, or a scenario file (path relative to this file)
    grid = 128                    # voxels per side (default 256)
    years = 2.0                   # horizon after burn-in, at most 100; or days = 730, at most 36525
                                  # (default: the scenario's duration)
    replicates = 2                # runs per design point, each with its own seed (default 1)
    seed = 1                      # root seed: every run's seed is derived from it (default 1)
    common_seeds = false          # true: replicate r of every point gets the same seed (common random numbers)
    retries = 2                   # resubmissions of a run whose worker was lost (default 2)
    output = "results/sweeps/x"   # sweep folder, relative to the working directory
                                  # (default results/sweeps/<spec file stem>)

    [fixed]                       # every run: model or treatment parameters, drivers (a constant
    burn_in_days = 180            # level), site, sex, age_years -- what `run --set` accepts

    [parameters]                  # swept, the same names as [fixed]
    osteoclast_lifespan_days = { low = 8.0, high = 20.0 }           # a range (latin, sobol, morris)
    osteoblast_lifespan_days = { low = 60.0, high = 160.0, num = 3 }  # evenly spaced levels (factorial)
    rankl_surface_pM_per_day = { low = 20.0, high = 180.0, log = true }  # sampled evenly in log10
    estrogen = [1.0, 0.5, 0.1]                                       # explicit levels (factorial)

    [design]
    method = "morris"             # factorial, table, latin, sobol or morris
    trajectories = 10             # morris: r trajectories, r (k + 1) points for k parameters
    levels = 4                    # morris: grid levels p (even, default 4)
    # samples = 64                # latin: points; sobol: base sample N, a power of 2 (N (k + 2) points)
    # second_order = false        # sobol: also second-order indices (N (2k + 2) points)
    # file = "points.csv"         # table: a CSV, one column per parameter and one row per point,
    # points = [{ estrogen = 0.5 }, { estrogen = 0.1, glucocorticoid = 7.5 }]   # or the rows inline

    [outputs]
    readouts = ["bmd", "bv_tv", "ctx"]   # time-series columns to keep (default: all of them)
    interval_days = 30            # keep days 0, 30, 60, ... and the last day (default 30)
    snapshots = false             # also save each run's final slice as snapshots/run-<id>.npz

    [analysis]                    # defaults for `analyze` (the command line can override them)
    outputs = ["bmd", "ctx"]      # readouts to analyse (default: every kept readout)
    days = [730]                  # days to analyse (default: the last day)
    change_from_day = 0           # analyse the change since this day instead of the level

A sweep makes at most :data:`MAX_RUNS` runs (design points times replicates), checked
before the design is built. Each swept or fixed value is checked by :meth:`bonegrid.scenarios.Scenario.with_overrides`,
as the scenario loader would check it. ``years`` cannot be overridden (the horizon is the
spec's ``days``/``years``), nor can ``grid`` or ``seed`` be swept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import bonegrid.tomlcheck as check
from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID, GRID_LIMITS, MAX_YEARS
from bonegrid.overrides import value_type
from bonegrid.parameters import ParameterError
from bonegrid.scenarios import Scenario, load_scenario
from bonegrid.timeseries import columns

METHODS = ("factorial", "table", "latin", "sobol", "morris")
TOP_KEYS = ("scenario", "grid", "days", "years", "replicates", "seed", "common_seeds", "retries", "output",
            "fixed", "parameters", "design", "outputs", "analysis")
DESIGN_KEYS = {"factorial": (), "table": ("file", "points"), "latin": ("samples",),
               "sobol": ("samples", "second_order"), "morris": ("trajectories", "levels")}
MAX_RUNS = 100_000
"""Most runs (design points x replicates) one sweep may make. The coordinator holds the design
in memory and checks every point before the first run (about 1 ms a point: two minutes at
the limit), and ``manifest.json`` lists every run (about 30 MB at the limit); more runs belong
in several sweeps."""
MAX_DAYS = round(MAX_YEARS * DAYS_PER_YEAR)
"""Longest horizon of a sweep, days after burn-in (:data:`bonegrid.constants.MAX_YEARS`)."""
NOT_OVERRIDABLE = {"years": "the horizon is the spec's top-level days or years",
                   "grid": "set grid at the top level of the spec (it cannot be swept)",
                   "seed": "runs get their seeds from the top-level root seed"}


@dataclasses.dataclass(frozen=True)
class Factor:
    """One swept parameter: explicit levels, or a range ``low..high`` (evenly in log10 with ``log``).

    Attributes
    ----------
    name : str
        A name :meth:`Scenario.with_overrides` accepts (model/treatment parameter, driver, site...).
    kind : type
        ``float``, ``int``, ``bool`` or ``str``: the type the parameter takes; sampled ints are rounded.
    values : tuple or None
        Explicit levels (factorial designs).
    low, high : float or None
        Range for samplers, or for ``num`` evenly spaced factorial levels; in the parameter's unit.
    num : int or None
        Number of factorial levels spanning ``low..high``.
    log : bool
        Space the range evenly in log10 (for rates spanning orders of magnitude; needs ``low > 0``).
    """

    name: str
    kind: type
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    log: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """The range in sampling space (log10 of the unit with ``log``)."""
        if self.log:
            return math.log10(self.low), math.log10(self.high)
        return float(self.low), float(self.high)

    def levels(self) -> tuple[Any, ...]:
        """Factorial levels: the explicit values, or ``num`` evenly spaced points of the range."""
        if self.values is not None:
            return self.values
        return tuple(self.from_sample(np.linspace(*self.bounds, self.num)))

    def from_sample(self, x: np.ndarray) -> list[Any]:
        """Map sampling-space values ``x`` (within :attr:`bounds`) to typed parameter values."""
        values = np.power(10.0, x) if self.log else np.asarray(x, dtype=float)
        values = np.clip(values, self.low, self.high)  # 10**log10(v) may miss v by an ulp
        if self.kind is int:
            return [int(v) for v in np.rint(values)]
        return [float(v) for v in values]

    def describe(self) -> dict[str, Any]:
        """Describe the factor, JSON-ready (for the manifest and the analysis)."""
        return {"name": self.name, "kind": self.kind.__name__, "values": None if self.values is None
                else list(self.values), "low": self.low, "high": self.high, "num": self.num, "log": self.log}


@dataclasses.dataclass(frozen=True)
class DesignSpec:
    """How the design points are made (see the module docstring for the keys)."""

    method: str
    samples: int | None = None
    trajectories: int | None = None
    levels: int = 4
    second_order: bool = False
    points: tuple[Mapping[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """What each run keeps: ``readouts`` at days ``0, interval_days, ...`` and the last day; snapshots."""

    readouts: tuple[str, ...]
    interval_days: int = 30
    snapshots: bool = False


@dataclasses.dataclass(frozen=True)
class AnalysisSpec:
    """Defaults of ``analyze``: readouts, days and an optional baseline day (``None``: levels)."""

    outputs: tuple[str, ...]
    days: tuple[int, ...]
    change_from_day: int | None = None


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A validated sweep (see the module docstring for the file format)."""

    name: str
    scenario_ref: str
    scenario: Scenario
    fixed: Mapping[str, Any]
    factors: tuple[Factor, ...]
    design: DesignSpec
    grid: int
    days: int
    replicates: int
    seed: int
    common_seeds: bool
    retries: int
    outputs: OutputSpec
    analysis: AnalysisSpec
    output: Path
    text: str = ""
    path: Path | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the swept parameters, in spec order."""
        return tuple(f.name for f in self.factors)

    def describe(self) -> dict[str, Any]:
        """Describe what fixes the runs, JSON-ready (the output folder, retries and analysis do not)."""
        scenario = dataclasses.asdict(dataclasses.replace(self.scenario, path=None, expect=()))
        return {"scenario_ref": self.scenario_ref, "scenario": scenario, "fixed": dict(self.fixed),
                "factors": [f.describe() for f in self.factors], "design": dataclasses.asdict(self.design),
                "grid": self.grid, "days": self.days, "replicates": self.replicates, "seed": self.seed,
                "common_seeds": self.common_seeds, "outputs": dataclasses.asdict(self.outputs)}

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`describe`: two specs with the same fingerprint make the same runs."""
        text = json.dumps(self.describe(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- loading
def load_spec(path: str | Path) -> SweepSpec:
    """Load and validate a sweep spec file.

    Raises
    ------
    ParameterError
        Naming the file, the key and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"sweep spec {str(path)!r} does not exist: give the path of a .toml file")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as err:
        raise ParameterError(f"{path}: not a text file in UTF-8 (byte {err.start}): give a TOML sweep spec") from None
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise ParameterError(f"{path}: cannot read the sweep spec: {err.strerror}") from None
    return parse_spec(data, path, text)


def parse_spec(data: Mapping[str, Any], path: Path | str | None = None, text: str = "") -> SweepSpec:
    """Validate a sweep spec given as a parsed TOML mapping (``path`` names it in messages)."""
    where = str(path) if path is not None else "sweep spec"
    here = Path(path).parent if path is not None else Path.cwd()
    check.keys(data, where, TOP_KEYS, required=("scenario",))
    ref = check.string(data["scenario"], where, "scenario")
    relative = here / ref
    try:
        base = load_scenario(relative if relative.is_file() else ref)
    except ParameterError as err:
        raise ParameterError(f"{where}: scenario={ref!r}: {err}") from None
    fixed = dict(check.table(data.get("fixed", {}), where, "fixed"))
    for key, value in fixed.items():
        _overridable(key, where, f"fixed.{key}")
        fixed[key] = coerce(value, _kind(key, where, f"fixed.{key}"), where, f"fixed.{key}")
    scenario = check_overrides(base, fixed, where, "fixed")

    design = _design(check.table(data.get("design", {"method": "factorial"}), where, "design"), where, here)
    factors = tuple(_factor(name, entry, design.method, scenario, where)
                    for name, entry in check.table(data.get("parameters", {}), where, "parameters").items())
    for factor in factors:
        if factor.name in fixed:
            raise ParameterError(f"{where}: parameters.{factor.name} is also in [fixed]: a parameter is either fixed "
                                 "or swept")
    if design.method == "table":
        if factors:
            raise ParameterError(f"{where}: [parameters] must be empty with design.method='table': the table's "
                                 "columns are the swept parameters")
        factors = _table_factors(design.points, scenario, fixed, where)
    elif not factors:
        raise ParameterError(f"{where}: [parameters] is empty: name at least one parameter to sweep")

    if "days" in data and "years" in data:
        raise ParameterError(f"{where}: give days or years (the horizon), not both")
    if "days" in data:
        days = check.integer(data["days"], where, "days", low=1, high=MAX_DAYS)
    elif "years" in data:
        years = check.number(data["years"], where, "years")
        if not 0.0 < years <= MAX_YEARS:
            raise ParameterError(f"{where}: years={years!r} is out of range: allowed 0 < years <= {MAX_YEARS:g}")
        days = round(years * DAYS_PER_YEAR)
    else:
        days = scenario.days
    grid = check.integer(data.get("grid", DEFAULT_GRID), where, "grid", low=GRID_LIMITS[0], high=GRID_LIMITS[1])
    replicates = check.integer(data.get("replicates", 1), where, "replicates", low=1, high=MAX_RUNS)
    points = design_size(design, factors)
    if points * replicates > MAX_RUNS:
        raise ParameterError(f"{where}: the {design.method} design makes {points} points x {replicates} replicate(s) = "
                             f"{points * replicates} runs: allowed at most {MAX_RUNS} runs per sweep (fewer levels, "
                             "samples or replicates, or several sweeps)")
    outputs = _outputs(check.table(data.get("outputs", {}), where, "outputs"), where)
    stem = Path(path).stem if path is not None else "sweep"
    return SweepSpec(
        name=stem, scenario_ref=ref, scenario=scenario, fixed=fixed, factors=factors, design=design,
        grid=grid, days=days, replicates=replicates,
        seed=check.integer(data.get("seed", 1), where, "seed", low=0),
        common_seeds=check.boolean(data.get("common_seeds", False), where, "common_seeds"),
        retries=check.integer(data.get("retries", 2), where, "retries", low=0, high=100), outputs=outputs,
        analysis=_analysis(check.table(data.get("analysis", {}), where, "analysis"), outputs, days, where),
        output=Path(check.string(data.get("output", str(Path("results") / "sweeps" / stem)), where, "output")),
        text=text, path=Path(path) if path is not None else None)


def design_size(design: DesignSpec, factors: Sequence[Factor]) -> int:
    """Return the number of points ``design`` makes of ``factors``, without making them.

    Factorial: the product of the level counts; table: its rows; Latin: ``samples``; Sobol:
    ``N (k + 2)``, or ``N (2k + 2)`` with second-order indices; Morris: ``r (k + 1)``, for
    ``k`` factors.
    """
    k = len(factors)
    if design.method == "factorial":
        return math.prod(f.num if f.values is None else len(f.values) for f in factors)
    if design.method == "table":
        return len(design.points)
    if design.method == "latin":
        return design.samples
    if design.method == "sobol":
        return design.samples * (2 * k + 2 if design.second_order else k + 2)
    return design.trajectories * (k + 1)


def timeseries_columns() -> tuple[str, ...]:
    """Return the readouts a run records: the columns of :func:`bonegrid.timeseries.columns` but ``day``."""
    return tuple(c.name for c in columns() if c.name != "day")


def check_overrides(scenario: Scenario, overrides: Mapping[str, Any], where: str, key: str) -> Scenario:
    """Apply ``overrides`` with :meth:`Scenario.with_overrides`; re-raise its error naming ``where`` and ``key``."""
    reason = "sweep"
    try:
        return scenario.with_overrides(overrides, reason=reason)
    except ParameterError as err:
        detail = str(err).removeprefix(f"override ({reason}): ")
        raise ParameterError(f"{where}: {key}: {detail}") from None


def check_day(day: int, horizon: int, interval: int, where: str, key: str) -> int:
    """Check that ``day`` is a recorded day (a multiple of ``interval`` or the horizon) and return it."""
    if day > horizon or (day % interval and day != horizon):
        raise ParameterError(f"{where}: {key}={day} is not a recorded day: runs keep days 0, {interval}, "
                             f"{2 * interval}, ... up to {horizon}, and day {horizon}")
    return day


def coerce(value: Any, kind: type, where: str, key: str) -> Any:
    """Return ``value`` as ``kind`` (ints accepted for floats, integral floats for ints), or raise ParameterError."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in (int, float) and not (isinstance(value, kind) and not isinstance(value, bool)):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected {kind.__name__}")
    if kind in (str, bool) and not isinstance(value, kind):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected {kind.__name__}")
    return value


# ------------------------------------------------------------------------ sections
def _kind(name: str, where: str, key: str) -> type:
    """Return the type of override ``name`` (:func:`bonegrid.overrides.value_type`), naming ``where`` and ``key``."""
    try:
        return value_type(name)
    except ParameterError as err:
        raise ParameterError(f"{where}: {key}: {err}") from None


def _overridable(name: str, where: str, key: str) -> None:
    if name in NOT_OVERRIDABLE:
        raise ParameterError(f"{where}: {key} is not allowed: {NOT_OVERRIDABLE[name]}")


def _factor(name: str, entry: Any, method: str, scenario: Scenario, where: str) -> Factor:
    key = f"parameters.{name}"
    _overridable(name, where, key)
    kind = _kind(name, where, key)
    if isinstance(entry, list):
        entry = {"values": entry}
    check.table(entry, where, key)
    check.keys(entry, where, ("values", "low", "high", "num", "log"), prefix=key + ".")
    if "values" in entry:
        if set(entry) != {"values"}:
            raise ParameterError(f"{where}: {key}: give values = [...] or a range low/high, not both")
        if method != "factorial":
            raise ParameterError(f"{where}: {key}: explicit values need design.method='factorial'; {method} "
                                 "samples a range: give {{ low = ..., high = ... }}")
        values = entry["values"]
        if not isinstance(values, list) or not values:
            raise ParameterError(f"{where}: {key}.values={values!r} is not allowed: expected a non-empty array")
        values = tuple(coerce(v, kind, where, f"{key}.values") for v in values)
        if len(set(values)) != len(values):
            raise ParameterError(f"{where}: {key}.values={list(values)!r} repeats a level")
        for v in values:
            check_overrides(scenario, {name: v}, where, key)
        return Factor(name, kind, values=values)
    if "low" not in entry or "high" not in entry:
        raise ParameterError(f"{where}: {key}: give a range {{ low = ..., high = ... }} or values = [...]")
    if kind not in (int, float):
        raise ParameterError(f"{where}: {key}: {name} takes {kind.__name__} values, which have no range: give "
                             "values = [...] (factorial)")
    low, high = (coerce(entry[k], kind, where, f"{key}.{k}") for k in ("low", "high"))
    if not low < high:
        raise ParameterError(f"{where}: {key}: low={low!r} high={high!r} is not allowed: expected low < high")
    log = check.boolean(entry.get("log", False), where, f"{key}.log")
    if log and low <= 0:
        raise ParameterError(f"{where}: {key}: log = true needs low > 0 (got low={low!r})")
    for v in (low, high):
        check_overrides(scenario, {name: v}, where, key)
    num = None
    if method == "factorial":
        if "num" not in entry:
            raise ParameterError(f"{where}: {key}: a factorial design needs levels: add num = N (evenly spaced "
                                 "from low to high) or give values = [...]")
        num = check.integer(entry["num"], where, f"{key}.num", low=2, high=MAX_RUNS)
    elif "num" in entry:
        raise ParameterError(f"{where}: {key}.num is only for design.method='factorial' ({method} samples the range)")
    factor = Factor(name, kind, low=low, high=high, num=num, log=log)
    if num is not None and len(set(factor.levels())) != num:
        raise ParameterError(f"{where}: {key}: num={num} levels of the int parameter {name} from {low} to {high} "
                             "would repeat after rounding: give fewer levels or values = [...]")
    return factor


def _design(table: Mapping[str, Any], where: str, here: Path) -> DesignSpec:
    check.keys(table, where, ("method", "samples", "trajectories", "levels", "second_order", "file", "points"),
          required=("method",), prefix="design.")
    method = check.string(table["method"], where, "design.method")
    if method not in METHODS:
        raise ParameterError(f"{where}: design.method={method!r} is not allowed: expected one of {', '.join(METHODS)}")
    for key in table:
        if key != "method" and key not in DESIGN_KEYS[method]:
            allowed = ", ".join(DESIGN_KEYS[method]) or "no other keys"
            raise ParameterError(f"{where}: design.{key} does not apply to method={method!r}: allowed {allowed}")
    if method in ("latin", "sobol") and "samples" not in table:
        raise ParameterError(f"{where}: design.samples is missing: method={method!r} needs the number of samples")
    if method == "morris" and "trajectories" not in table:
        raise ParameterError(f"{where}: design.trajectories is missing: method='morris' needs the number of "
                             "trajectories (10-20 is usual for screening)")
    samples = (check.integer(table["samples"], where, "design.samples", low=1, high=MAX_RUNS)
               if "samples" in table else None)
    if method == "sobol" and samples & (samples - 1):
        raise ParameterError(f"{where}: design.samples={samples} is not allowed: Sobol sequences need a power of 2 "
                             f"(e.g. {1 << samples.bit_length()})")
    trajectories = (check.integer(table["trajectories"], where, "design.trajectories", low=2, high=MAX_RUNS)
                    if "trajectories" in table else None)
    levels = check.integer(table.get("levels", 4), where, "design.levels", low=2, high=100)
    if levels % 2:
        raise ParameterError(f"{where}: design.levels={levels} is not allowed: Morris grids need an even number of "
                             "levels (4 is usual)")
    points: tuple[Mapping[str, Any], ...] = ()
    if method == "table":
        points = _table_points(table, where, here)
    return DesignSpec(method=method, samples=samples, trajectories=trajectories, levels=levels,
                      second_order=check.boolean(table.get("second_order", False), where, "design.second_order"),
                      points=points)


def _table_points(table: Mapping[str, Any], where: str, here: Path) -> tuple[Mapping[str, Any], ...]:
    if ("file" in table) == ("points" in table):
        raise ParameterError(f"{where}: method='table' needs design.file (a CSV) or design.points (inline), one of them")
    if "points" in table:
        rows = check.array(table["points"], where, "design.points")
        for i, row in enumerate(rows):
            check.table(row, where, f"design.points[{i}]")
    else:
        file = here / check.string(table["file"], where, "design.file")
        if not file.is_file():
            raise ParameterError(f"{where}: design.file={table['file']!r}: {file} does not exist (paths are relative "
                                 "to the spec file)")
        try:
            frame = pd.read_csv(file)
        except (ValueError, UnicodeDecodeError) as err:
            raise ParameterError(f"{where}: design.file={table['file']!r}: not a readable CSV: {err}") from None
        rows = [{k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
                for row in frame.to_dict(orient="records")]
    if not rows:
        raise ParameterError(f"{where}: the design table has no rows: give at least one point")
    names = list(rows[0])
    for i, row in enumerate(rows):
        if list(row) != names:
            raise ParameterError(f"{where}: design row {i} sets {sorted(row)}, row 0 sets {sorted(names)}: every row "
                                 "must set the same parameters")
    return tuple(rows)


def _table_factors(points: Sequence[Mapping[str, Any]], scenario: Scenario, fixed: Mapping[str, Any],
                   where: str) -> tuple[Factor, ...]:
    """One factor per column of the design table, its values the column's distinct values."""
    factors = []
    for name in points[0]:
        _overridable(name, where, f"design column {name}")
        if name in fixed:
            raise ParameterError(f"{where}: design column {name} is also in [fixed]: a parameter is either fixed or swept")
        kind = _kind(name, where, f"design column {name}")
        values = tuple(dict.fromkeys(coerce(row[name], kind, where, f"design column {name}") for row in points))
        factors.append(Factor(name, kind, values=values))
    return tuple(factors)


def _outputs(table: Mapping[str, Any], where: str) -> OutputSpec:
    check.keys(table, where, ("readouts", "interval_days", "snapshots"), prefix="outputs.")
    known = timeseries_columns()
    readouts = tuple(check.names(table.get("readouts", list(known)), where, "outputs.readouts", known))
    return OutputSpec(readouts=readouts,
                      interval_days=check.integer(table.get("interval_days", 30), where, "outputs.interval_days", low=1),
                      snapshots=check.boolean(table.get("snapshots", False), where, "outputs.snapshots"))


def _analysis(table: Mapping[str, Any], outputs: OutputSpec, days: int, where: str) -> AnalysisSpec:
    check.keys(table, where, ("outputs", "days", "change_from_day"), prefix="analysis.")
    names = tuple(check.names(table.get("outputs", list(outputs.readouts)), where, "analysis.outputs", outputs.readouts))
    chosen = check.array(table.get("days", [days]), where, "analysis.days")
    if not chosen:
        raise ParameterError(f"{where}: analysis.days is empty: give at least one day")
    picked = tuple(check_day(check.integer(d, where, "analysis.days", low=0), days, outputs.interval_days, where,
                             "analysis.days") for d in chosen)
    base = table.get("change_from_day")
    if base is not None:
        base = check_day(check.integer(base, where, "analysis.change_from_day", low=0), days, outputs.interval_days, where,
                         "analysis.change_from_day")
    return AnalysisSpec(outputs=names, days=picked, change_from_day=base)


__all__ = ["MAX_DAYS", "MAX_RUNS", "AnalysisSpec", "DesignSpec", "Factor", "OutputSpec", "SweepSpec", "check_day",
           "check_overrides", "coerce", "design_size", "load_spec", "parse_spec", "timeseries_columns"]
