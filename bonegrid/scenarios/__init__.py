"""Scenarios: a virtual patient's causes over time, one TOML file each.

A scenario states causes only: driver time courses (hormones, doses, diet, loading),
parameter overrides each with its reason (a rate, a secretion, a lifespan, a tumour
seed), and treatments with their start and stop. It never states an outcome; what it
expects to emerge is listed under ``[[expect]]`` as reference bands that
``python run.py validate`` checks the model against.

File format (every key is checked; unknown keys, wrong types and impossible times are
rejected with a message naming the file and the key)::

    name = "glucocorticoid"              # identifier (file stem of the built-in ones)
    title = "Glucocorticoid excess"      # short human title
    description = "..."                  # the mechanism in plain language (what a visitor reads)
    site = "spine"                       # "spine" or "hip"
    years = 3.0                          # duration after burn-in, years (0 < years <= 100)

    [patient]
    age_years = 60.0                     # at day 0 (20..90, the span of the DXA reference curves)
    sex = "female"                       # "female" or "male"

    [drivers]                            # piecewise-linear courses; held after the last point
    glucocorticoid = { years = [0.0, 0.02], values = [0.0, 15.0] }   # or days = [...]

    [parameters]                         # model, readout or treatment parameters, each with its reason
    osteoclast_lifespan_days = { value = 20.0, reason = "..." }
    osteoblast_lifespan_days = { years = [1.0, 1.05, 4.0, 4.05], values = [90.0, 45.0, 45.0, 90.0], reason = "..." }
                                         # a model parameter may follow a course, as drivers do

    [[treatments]]                       # any of bonegrid.treatments.TREATMENTS
    name = "bisphosphonate"
    start_years = 1.0                    # or start_days; default 0
    stop_years = 3.0                     # or stop_days; default never
    dose = 1.0                           # relative; default 1

    base = "glucocorticoid"              # optional: start from another scenario (name or path relative
                                         # to this file); its drivers, parameters and treatments are
                                         # kept unless given here, its expectations are not

    [[expect]]                           # a reference band for `run.py validate`
    metric = "bone_loss_pct_per_year"    # one of bonegrid.readouts.signatures.METRICS
    band = [-4.5, -2.0]
    from_years = 0.0                     # optional window
    to_years = 2.0
    source = "SWAN (Sowers 2010)"
    fitted = ["estrogen_rankl_gain"]     # optional: parameters calibrated to this band (validate marks it)

Built-in scenarios live beside this module (diseases) and in ``treated/`` (a disease with a
treatment, built on it with ``base``); :func:`load_scenario` takes a built-in name
(``"celiac"``, ``"celiac_gluten_free"``) or a path.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import bonegrid.overrides as override_names
import bonegrid.tomlcheck as check
from bonegrid.constants import ADULT_AGE_RANGE_YEARS, DAYS_PER_YEAR, DEFAULT_GRID, MAX_YEARS, SEXES, SITES
from bonegrid.drivers import DriverSchedule
from bonegrid.model import BoneModel, ModelParameters
from bonegrid.parameter_courses import ParameterCourses, is_course
from bonegrid.parameters import ParameterError
from bonegrid.readouts.signatures import METRICS
from bonegrid.treatments import TREATMENTS, TreatedSchedule, Treatment, TreatmentParameters

SCENARIO_DIR = Path(__file__).parent
TREATED_DIR = SCENARIO_DIR / "treated"


@dataclasses.dataclass(frozen=True)
class Expectation:
    """A band a scenario's emergent metric should land in (checked by ``run.py validate``)."""

    metric: str
    band: tuple[float, float]
    source: str
    from_years: float = 0.0
    to_years: float | None = None
    fitted: tuple[str, ...] = ()
    """Parameters whose default was calibrated to this band: the band is no independent check."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A validated scenario (see the module docstring for the file format)."""

    name: str
    title: str
    description: str
    site: str = "spine"
    years: float = 3.0
    age_years: float = 50.0
    sex: str = "female"
    drivers: Mapping[str, tuple[tuple[float, float], ...]] = dataclasses.field(default_factory=dict)
    parameters: Mapping[str, tuple[Any, str]] = dataclasses.field(default_factory=dict)
    treatments: tuple[Treatment, ...] = ()
    expect: tuple[Expectation, ...] = ()
    path: Path | None = None

    @property
    def days(self) -> int:
        """Duration after burn-in, whole days."""
        return round(self.years * DAYS_PER_YEAR)

    def schedule(self) -> TreatedSchedule:
        """Return the drivers over time with the treatments applied (``day -> Drivers``)."""
        return TreatedSchedule(DriverSchedule(self.drivers), self.treatments,
                               TreatmentParameters(**self._split()["treatment"]))

    def model_parameters(self) -> dict[str, Any]:
        """Return the overrides of model and readout parameters (name -> value)."""
        parts = self._split()
        return {**parts["model"], **parts["readout"]}

    def _split(self) -> dict[str, dict[str, Any]]:
        return override_names.split({name: value for name, (value, _reason) in self.parameters.items()})

    def model(self, seed: int = 1, grid: int | Sequence[int] = DEFAULT_GRID, **params) -> BoneModel:
        """Build the :class:`~bonegrid.model.BoneModel` of this scenario (burn-in included).

        ``params`` are passed to :class:`~bonegrid.model.BoneModel` on top of the scenario's own
        parameters (more parameters, or ``observers=[...]``).
        """
        return BoneModel(site=self.site, grid=grid, seed=seed, drivers=self.schedule(), age_years=self.age_years,
                         sex=self.sex, **{**self.model_parameters(), **params})

    def with_overrides(self, overrides: Mapping[str, Any], reason: str = "command line") -> Scenario:
        """Return a copy with ``overrides`` applied (as from ``--set key=value``).

        Keys are any name :mod:`bonegrid.overrides` allows: ``site``, ``years``, ``age_years``,
        ``sex``; a driver (a constant level from day 1 on: the burn-in and day 0 keep the
        scenario's own level, so the run starts at the onset of the change, as a scheduled
        course does); a model, readout or treatment parameter. Changing ``years`` drops the
        expectations whose window no longer fits.
        """
        fields: dict[str, Any] = {}
        drivers = dict(self.drivers)
        onset = DriverSchedule(self.drivers)(0.0)  # the burn-in keeps the scenario's own levels
        parameters = dict(self.parameters)
        where = f"override ({reason})"
        for key, value in overrides.items():
            try:
                what = override_names.kind(key)
            except ParameterError as err:
                raise ParameterError(f"{where}: {err}") from None
            if what == "scenario":
                reader = check.string if override_names.value_type(key) is str else check.number
                fields[key] = reader(value, where, key)
            elif what == "driver":
                check.number(value, where, key)
                drivers[key] = ((0.0, getattr(onset, key)), (1.0, float(value)))
            else:
                parameters[key] = (value, reason)
        if "years" in fields:  # expectations whose window no longer fits are dropped (they serve `validate`)
            years = fields["years"]
            fields["expect"] = tuple(e for e in self.expect if e.from_years < years
                                     and (e.to_years is None or e.to_years <= years))
        new = dataclasses.replace(self, drivers=drivers, parameters=parameters, **fields)
        return _validated(new, where)

    def with_treatments(self, treatments: Sequence[Treatment]) -> Scenario:
        """Return a copy with ``treatments`` added after the scenario's own."""
        new = dataclasses.replace(self, treatments=self.treatments + tuple(treatments))
        return _validated(new, "treatments")


# ---------------------------------------------------------------------------- loading
def scenario_names(treated: bool = False) -> list[str]:
    """Names of the built-in disease scenarios, healthy first (with ``treated``: then the treated ones)."""
    names = sorted((p.stem for p in SCENARIO_DIR.glob("*.toml")), key=lambda n: (n != "healthy", n))
    if treated:
        names += sorted(p.stem for p in TREATED_DIR.glob("*.toml"))
    return names


def _builtin(name: str) -> Path:
    """Path of built-in scenario ``name`` (a disease, or a treated one with or without ``treated/``)."""
    for path in (SCENARIO_DIR / f"{name}.toml", TREATED_DIR / f"{name.removeprefix('treated/')}.toml"):
        if path.is_file():
            return path
    known = scenario_names(treated=True)
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ParameterError(f"unknown scenario {name!r}: {hint}expected a built-in one ({', '.join(known)}; "
                         "`bonegrid scenarios` describes them) or the path of a .toml file")


def load_scenario(name_or_path: str | Path, *, _chain: tuple[Path, ...] = ()) -> Scenario:
    """Load and validate a built-in scenario by name, or a scenario file by path.

    Raises
    ------
    ParameterError
        Naming the file, the key and what is allowed; a ``base`` chain that comes back to a
        file it passed through is named.
    """
    text = str(name_or_path)
    path = Path(text) if text.endswith(".toml") or Path(text).is_file() else _builtin(text)
    if not path.is_file():
        raise ParameterError(f"scenario file {str(path)!r} does not exist")
    here = path.resolve()
    if here in _chain:
        loop = " -> ".join(p.name for p in (*_chain[_chain.index(here):], here))
        raise ParameterError(f"{path}: base = ... comes back to itself ({loop}): a scenario cannot build on itself")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ParameterError(f"{path}: not valid TOML: {err}") from None
    return _parse(data, path, (*_chain, here))


def parse_scenario(data: Mapping[str, Any], path: Path | str | None = None) -> Scenario:
    """Validate a scenario given as a parsed TOML mapping (``path`` names it in messages)."""
    return _parse(data, path, (Path(path).resolve(),) if path is not None else ())


def _parse(data: Mapping[str, Any], path: Path | str | None, chain: tuple[Path, ...]) -> Scenario:
    where = str(path) if path is not None else "scenario"
    check.keys(data, where, required=("name", "title", "description"),
          allowed=("base", "site", "years", "patient", "drivers", "parameters", "treatments", "expect"))
    base = None
    if "base" in data:
        ref = check.string(data["base"], where, "base")
        relative = Path(path).parent / ref if path is not None else None
        try:
            base = load_scenario(relative if relative is not None and relative.is_file() else ref, _chain=chain)
        except ParameterError as err:
            raise ParameterError(f"{where}: base={ref!r}: {err}") from None
    patient = data.get("patient", {})
    check.table(patient, where, "patient")
    check.keys(patient, where, required=(), allowed=("age_years", "sex"), prefix="patient.")
    years = check.number(data.get("years", base.years if base else 3.0), where, "years")
    drivers = dict(base.drivers) if base else {}
    for name, course in check.table(data.get("drivers", {}), where, "drivers").items():
        drivers[name] = _course(course, where, f"drivers.{name}")
    parameters = dict(base.parameters) if base else {}
    for name, entry in check.table(data.get("parameters", {}), where, "parameters").items():
        key = f"parameters.{name}"
        check.table(entry, where, key)
        if "values" in entry:  # a course: the same piecewise form as a driver's
            check.keys(entry, where, required=("values", "reason"), allowed=("days", "years"), prefix=key + ".")
            value = _course({k: v for k, v in entry.items() if k != "reason"}, where, key)
        else:
            check.keys(entry, where, required=("value", "reason"), allowed=(), prefix=key + ".")
            value = entry["value"]
        parameters[name] = (value, check.string(entry["reason"], where, key + ".reason"))
    treatments = (base.treatments if base else ()) + tuple(
        _treatment(t, where, i) for i, t in enumerate(check.array(data.get("treatments", []), where, "treatments")))
    expect = tuple(_expectation(e, where, i) for i, e in enumerate(check.array(data.get("expect", []), where, "expect")))
    scenario = Scenario(
        name=check.string(data["name"], where, "name"), title=check.string(data["title"], where, "title"),
        description=check.string(data["description"], where, "description").strip(),
        site=data.get("site", base.site if base else "spine"), years=years,
        age_years=check.number(patient.get("age_years", base.age_years if base else 50.0), where, "patient.age_years"),
        sex=patient.get("sex", base.sex if base else "female"), drivers=drivers, parameters=parameters,
        treatments=treatments,
        expect=expect, path=Path(path) if path is not None else None)
    return _validated(scenario, where)


def _validated(s: Scenario, where: str) -> Scenario:
    """Check the cross-field rules and that every override and driver value is allowed."""
    if s.site not in SITES:
        raise ParameterError(f"{where}: site={s.site!r} is not allowed: expected one of {', '.join(SITES)}")
    if s.sex not in SEXES:
        raise ParameterError(f"{where}: patient.sex={s.sex!r} is not allowed: expected one of {', '.join(SEXES)}")
    if not 0.0 < s.years <= MAX_YEARS:
        raise ParameterError(f"{where}: years={s.years!r} is out of range: allowed 0 < years <= {MAX_YEARS:g}")
    low, high = ADULT_AGE_RANGE_YEARS
    if not low <= s.age_years <= high:
        raise ParameterError(f"{where}: patient.age_years={s.age_years!r} is out of range: allowed {low:g} <= age "
                             f"<= {high:g} (the span of the DXA reference curves)")
    try:
        values = {name: value for name, (value, _reason) in s.parameters.items()}
        parts = override_names.split(values)
        if parts["scenario"] or parts["driver"]:
            raise ParameterError(f"{', '.join([*parts['scenario'], *parts['driver']])} cannot be set under "
                                 "[parameters]: set the patient under [patient], years at the top, drivers under "
                                 "[drivers]")
        constant = {name: value for name, value in values.items() if not is_course(value)}
        override_names.check_values(constant)
        ParameterCourses({name: value for name, value in values.items() if is_course(value)},
                         ModelParameters.groups(), lambda course: override_names.check_values({**constant, **course}))
        DriverSchedule(s.drivers)
    except ParameterError as err:
        raise ParameterError(f"{where}: {err}") from None
    for t in s.treatments:
        if t.start_day >= s.days:
            raise ParameterError(f"{where}: treatment {t.name!r} starts on day {t.start_day:g}, at or after the end "
                                 f"of the scenario (day {s.days}): allowed 0 <= start < years")
    for e in s.expect:
        if e.metric not in METRICS:
            raise ParameterError(f"{where}: expect metric={e.metric!r} is not allowed: expected one of "
                                 f"{', '.join(METRICS)}")
        end = s.years if e.to_years is None else e.to_years
        if not 0.0 <= e.from_years < end <= s.years:
            raise ParameterError(f"{where}: expect {e.metric!r}: window {e.from_years!r}..{end!r} years is not "
                                 f"allowed: expected 0 <= from_years < to_years <= years ({s.years:g})")
    return s


# ----------------------------------------------------------------------- field checks


def _time(table: Mapping[str, Any], where: str, key: str, stem: str, default: float | None) -> float | None:
    """Read ``<stem>_days`` or ``<stem>_years`` (not both) from a table, in days."""
    days, years = table.get(f"{stem}_days"), table.get(f"{stem}_years")
    if days is not None and years is not None:
        raise ParameterError(f"{where}: {key}: give {stem}_days or {stem}_years, not both")
    if days is not None:
        return check.number(days, where, f"{key}.{stem}_days")
    if years is not None:
        return check.number(years, where, f"{key}.{stem}_years") * DAYS_PER_YEAR
    return default


def _course(course: Any, where: str, key: str) -> tuple[tuple[float, float], ...]:
    check.table(course, where, key)
    check.keys(course, where, required=("values",), allowed=("days", "years"), prefix=key + ".")
    if ("days" in course) == ("years" in course):
        raise ParameterError(f"{where}: {key}: give the breakpoint times as days = [...] or years = [...] (one of them)")
    unit = "days" if "days" in course else "years"
    times, values = course[unit], course["values"]
    if not isinstance(times, list) or not isinstance(values, list) or len(times) != len(values) or not times:
        raise ParameterError(f"{where}: {key}: {unit} and values must be non-empty arrays of equal length")
    days = _numbers(times, where, f"{key}.{unit}") * (1.0 if unit == "days" else DAYS_PER_YEAR)
    levels = _numbers(values, where, f"{key}.values")
    if days[0] < 0 or np.any(np.diff(days) < 0):
        shown = times if len(times) <= 8 else [*times[:4], "...", *times[-2:]]
        raise ParameterError(f"{where}: {key}.{unit}={shown!r} is not allowed: times must be >= 0 and non-decreasing")
    return tuple(zip(days.tolist(), levels.tolist(), strict=True))


def _numbers(items: list, where: str, key: str) -> np.ndarray:
    """Return a TOML array of finite numbers as a float array (a course may hold millions of breakpoints)."""
    if not all(type(x) in (int, float) for x in items):
        for x in items:
            check.number(x, where, key)   # raises, naming the first bad entry
    array = np.asarray(items, dtype=float)
    if not np.isfinite(array).all():
        check.number(items[int(np.argmin(np.isfinite(array)))], where, key)
    return array


def _treatment(entry: Any, where: str, i: int) -> Treatment:
    key = f"treatments[{i}]"
    check.table(entry, where, key)
    check.keys(entry, where, required=("name",),
          allowed=("start_days", "start_years", "stop_days", "stop_years", "dose"), prefix=key + ".")
    name = check.string(entry["name"], where, f"{key}.name")
    if name not in TREATMENTS:
        raise ParameterError(f"{where}: {key}.name={name!r} is not allowed: expected one of {', '.join(TREATMENTS)}")
    try:
        return Treatment(name, start_day=_time(entry, where, key, "start", 0.0),
                         stop_day=_time(entry, where, key, "stop", math.inf),
                         dose=check.number(entry.get("dose", 1.0), where, f"{key}.dose"))
    except ParameterError as err:
        raise ParameterError(f"{where}: {key}: {err}") from None


def _expectation(entry: Any, where: str, i: int) -> Expectation:
    key = f"expect[{i}]"
    check.table(entry, where, key)
    check.keys(entry, where, required=("metric", "band", "source"), allowed=("from_years", "to_years", "fitted"),
               prefix=key + ".")
    band = entry["band"]
    if not isinstance(band, list) or len(band) != 2:
        raise ParameterError(f"{where}: {key}.band={band!r} is not allowed: expected [low, high]")
    low, high = (check.number(b, where, f"{key}.band") for b in band)
    if not low <= high:
        raise ParameterError(f"{where}: {key}.band={band!r} is not allowed: expected low <= high")
    to = entry.get("to_years")
    return Expectation(metric=check.string(entry["metric"], where, f"{key}.metric"), band=(low, high),
                       source=check.string(entry["source"], where, f"{key}.source"),
                       from_years=check.number(entry.get("from_years", 0.0), where, f"{key}.from_years"),
                       to_years=None if to is None else check.number(to, where, f"{key}.to_years"),
                       fitted=_fitted(entry.get("fitted", []), where, key))


def _fitted(names: Any, where: str, key: str) -> tuple[str, ...]:
    """Check an expectation's ``fitted`` list: names of model parameters calibrated to its band."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ParameterError(f"{where}: {key}.fitted={names!r} is not allowed: expected a list of parameter names")
    for name in names:
        if override_names.kind(name) != "model":
            raise ParameterError(f"{where}: {key}.fitted: {name!r} is not allowed: expected a model parameter "
                                 "(see `bonegrid params`)")
    return tuple(names)


def parse_treatment(text: str) -> Treatment:
    """Parse a command-line treatment ``NAME[@START_YEARS[:STOP_YEARS]][*DOSE]``.

    Examples
    --------
    >>> parse_treatment("bisphosphonate@1:3").stop_day
    1095.75
    """
    body, _, dose = text.partition("*")
    name, _, when = body.partition("@")
    start, _, stop = when.partition(":")
    try:
        start_day = float(start or 0.0) * DAYS_PER_YEAR
        stop_day = float(stop) * DAYS_PER_YEAR if stop else math.inf
        amount = float(dose or 1.0)
    except ValueError:
        raise ParameterError(f"--treat {text!r} is not allowed: expected NAME[@START[:STOP]][*DOSE], "
                             "times in years, e.g. bisphosphonate@1:3") from None
    return Treatment(name.strip(), start_day=start_day, stop_day=stop_day, dose=amount)


__all__ = ["Expectation", "Scenario", "load_scenario", "parse_scenario", "parse_treatment", "scenario_names"]
