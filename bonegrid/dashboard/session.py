"""One visitor's simulation: the patient's bone, its healthy twin, the causes changed mid-run, and frames.

A :class:`Session` holds everything that changes while a visitor plays, and nothing is shared
between sessions: the dashboard keeps one per browser connection (in Solara component state),
so one visitor's play never moves another's slice. It knows nothing about Solara; the page
asks it to step and to draw a :class:`Frame`, an immutable snapshot that the components render.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import math
import threading
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from bonegrid.constants import ADULT_AGE_RANGE_YEARS, DAYS_PER_YEAR, DEFAULT_GRID
from bonegrid.dashboard.knobs import rate_overrides
from bonegrid.dashboard.slice_image import cell_positions, png_bytes, render_rgb
from bonegrid.drivers import Drivers
from bonegrid.model import BoneModel
from bonegrid.readouts import dxa
from bonegrid.readouts.panel import Result, panel, panel_values
from bonegrid.scenarios import Scenario, load_scenario, scenario_names
from bonegrid.timeseries import Recorder, column
from bonegrid.tissue import MARROW
from bonegrid.treatments import Treatment

OPEN_ENDED_YEARS = 100.0
"""The dashboard runs until the visitor stops; scenarios are opened this long so treatments can start any time."""
DAY0_CACHE_SIZE = 8
"""Day-0 bones kept per server process. Building one takes a new slice and a year of burn-in (2-6 s at
256²); a visitor who comes back to a setup, or the next visitor with it, gets a copy in ~20 ms."""
_day0: collections.OrderedDict[tuple, BoneModel] = collections.OrderedDict()
_day0_lock = threading.Lock()
_building: dict[tuple, threading.Event] = {}
MAX_POINTS = 400
"""Time-series points sent to a chart (evenly thinned beyond this)."""
SERIES = tuple(column(name).name for name in (
    "day", "bv_tv", "bmd", "t_score", "z_score", "ctx", "p1np", "serum_ca", "pth", "n_osteoclasts", "n_osteoblasts",
    "osteocyte_viability", "remodeling_space"))
"""Time-series columns a frame carries (each checked against the schema, :mod:`bonegrid.timeseries`)."""


@dataclasses.dataclass(frozen=True)
class Setup:
    """What a bone is built from; changing any of it builds a new bone (one year of burn-in first).

    Attributes
    ----------
    scenario : str
        A built-in scenario name.
    site : {"spine", "hip"} or None
        None: the scenario's site.
    age_years : float or None
        The patient's age at day 0; None: the scenario's.
    seed : int
        Seed of the model's random number generator (the same seed gives the same bone).
    grid : int
        Voxels per side.
    rates : tuple of (str, float)
        Restart-knob values (:data:`bonegrid.dashboard.knobs.RESTART_KNOBS`), as pairs so a setup is hashable.
    twin : bool
        Also run a healthy twin: the same bone, patient and seed with no cause.
    mystery : bool
        The scenario is hidden from the visitor.
    """

    scenario: str = "healthy"
    site: str | None = None
    age_years: float | None = None
    seed: int = 1
    grid: int = DEFAULT_GRID
    rates: tuple[tuple[str, float], ...] = ()
    twin: bool = True
    mystery: bool = False

    def patient_scenario(self) -> Scenario:
        """Return the scenario with this setup's patient, open-ended in time."""
        return _open_ended(load_scenario(self.scenario), self.site, self.age_years)

    def twin_scenario(self) -> Scenario:
        """Return the healthy scenario with this setup's patient (site, age and sex)."""
        patient = self.patient_scenario()
        healthy = dataclasses.replace(load_scenario("healthy"), sex=patient.sex)
        return _open_ended(healthy, patient.site, patient.age_years)


def _open_ended(scenario: Scenario, site: str | None, age_years: float | None) -> Scenario:
    overrides: dict[str, object] = {"years": OPEN_ENDED_YEARS}
    if site is not None:
        overrides["site"] = site
    if age_years is not None:
        overrides["age_years"] = float(age_years)
    return scenario.with_overrides(overrides, reason="dashboard")


def mystery_setup(seed: int, base: Setup) -> Setup:
    """Return a setup with a scenario drawn from the built-in diseases and health by ``seed`` (reproducible)."""
    names = scenario_names()
    choice = names[int(np.random.default_rng(seed).integers(len(names)))]
    return dataclasses.replace(base, scenario=choice, site=None, age_years=None, rates=(), mystery=True, seed=seed)


@dataclasses.dataclass(frozen=True)
class Frame:
    """What the page shows at one moment (immutable; built by :meth:`Session.frame`).

    Attributes
    ----------
    day : int
        Model day (0 = end of burn-in).
    age_years, start_age_years : float
        The patient's age now and at day 0.
    image, twin_image : bytes
        PNG of the patient's and the twin's slice (``twin_image`` is None without a twin).
    series, twin_series : dict of str to ndarray
        Columns :data:`SERIES` of the time series, thinned to at most :data:`MAX_POINTS`.
    scan : DXAResult
        The virtual DXA now.
    labs : list of Result
        The blood panel now, each with its flag.
    drivers : Drivers
        Driver levels today (after treatments).
    counts : dict of str to int
        Cells of each kind in the slice.
    overlay : str
        Overlay drawn on ``image`` and ``twin_image``.
    treatments : tuple of Treatment
        Treatments switched on in this session.
    tumour_planned : int
        Myeloma cells to be seeded at the next step (0: none planned).
    tumour_removal : bool
        Every myeloma cell will be removed at the next step.
    """

    day: int
    age_years: float
    start_age_years: float
    image: bytes
    twin_image: bytes | None
    series: Mapping[str, np.ndarray]
    twin_series: Mapping[str, np.ndarray] | None
    scan: dxa.DXAResult
    labs: list[Result]
    drivers: Drivers
    counts: Mapping[str, int]
    overlay: str
    treatments: tuple[Treatment, ...]
    tumour_planned: int
    tumour_removal: bool

    @property
    def tumour(self) -> Tumour:
        """The myeloma clone as the causes card shows it."""
        return Tumour(self.counts["tumour"], self.tumour_planned, self.tumour_removal)


class Tumour(NamedTuple):
    """The patient's myeloma clone: cells today, cells to be seeded at the next step, removal at the next step."""

    cells: int
    planned: int
    removal: bool


def thinned(recorder: Recorder, columns: tuple[str, ...] = SERIES, max_points: int = MAX_POINTS
            ) -> dict[str, np.ndarray]:
    """Columns of a model's records, evenly thinned to at most ``max_points`` rows (last row kept).

    Read from the record table itself (no DataFrame), so a frame costs the same on day 10 and day 10,000.
    """
    n = recorder.rows
    rows = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int)) if n else np.zeros(0, int)
    return {c: recorder.column(c, rows) for c in columns}


def day0_model(key: tuple, build: Callable[[], BoneModel]) -> BoneModel:
    """Return a model of its own at day 0 for ``key``: built by ``build`` the first time, copied after that.

    A copy shares nothing with the cached model or other copies (it records its own series and draws
    from its own copy of the random generator), so it continues exactly as a fresh build would. A
    second request while the first is still building waits for it instead of building again.
    """
    while True:
        with _day0_lock:
            cached = _day0.get(key)
            if cached is not None:
                _day0.move_to_end(key)
                return copy.deepcopy(cached)
            underway = _building.get(key)
            if underway is None:
                _building[key] = threading.Event()
                break
        underway.wait()   # then take the copy (or, if that build failed, build here)
    try:
        model = build()
        with _day0_lock:
            _day0[key] = copy.deepcopy(model)
            while len(_day0) > DAY0_CACHE_SIZE:
                _day0.popitem(last=False)
        return model
    finally:
        with _day0_lock:
            _building.pop(key).set()


class Session:
    """One visitor's patient (and healthy twin), built from a :class:`Setup`.

    Parameters
    ----------
    setup : Setup

    Attributes
    ----------
    lock : threading.RLock
        Held while the models step or are read, so the play loop and button clicks never interleave.
    """

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.scenario = setup.patient_scenario()
        self.rates = dict(setup.rates)
        patient = ("patient", setup.scenario, setup.site, setup.age_years, setup.seed, setup.grid, setup.rates)
        self.model = day0_model(patient, lambda: self.scenario.model(
            seed=setup.seed, grid=setup.grid, **rate_overrides(self.rates, self.scenario)))
        twin = self.setup.twin_scenario()
        self.twin = day0_model(("twin", twin.site, twin.age_years, twin.sex, setup.seed, setup.grid),
                               lambda: twin.model(seed=setup.seed, grid=setup.grid)) if setup.twin else None
        self.start_matrix = self.model.tissue.kind != MARROW
        self.driver_levels: dict[str, float] = {}
        self.treatments: list[Treatment] = []
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ causes
    def set_driver(self, name: str, value: float) -> None:
        """Hold driver ``name`` at ``value`` from the next day on (replaces the scenario's course)."""
        with self.lock:
            self.driver_levels[name] = float(value)
            self._reschedule()

    def active_treatments(self) -> list[str]:
        """Names of the treatments on now."""
        return [t.name for t in self.treatments if t.active(self.model.day + 1)]

    def start_treatment(self, name: str) -> None:
        """Start treatment ``name`` (a key of :data:`bonegrid.treatments.TREATMENTS`) from the next day."""
        with self.lock:
            if name not in self.active_treatments():
                self.treatments.append(Treatment(name, start_day=float(max(self.model.day, 0))))
                self._reschedule()

    def stop_treatment(self, name: str) -> None:
        """Stop treatment ``name`` from the next day (a removed cause returns, a drug wears off)."""
        with self.lock:
            day = float(max(self.model.day, 0))
            kept = []
            for t in self.treatments:
                if t.name == name and t.stop_day == math.inf:
                    if t.start_day < day:
                        kept.append(dataclasses.replace(t, stop_day=day + 1.0))
                else:
                    kept.append(t)
            self.treatments = kept
            self._reschedule()

    def seed_myeloma(self, cells: int) -> None:
        """Seed ``cells`` myeloma cells in the patient's marrow on the next day (added to a clone already there).

        The clone's own seeding (:meth:`bonegrid.agents.myeloma.MyelomaClone.seed_on`) does it, at the
        scenario's seed point, and the cells grow, secrete and die by the model's myeloma parameters.
        """
        with self.lock:
            self.model.myeloma.seed_on(self.model.day + 1, cells)

    def remove_myeloma(self) -> None:
        """Remove every myeloma cell of the patient on the next day (as a complete remission would; lesions stay)."""
        with self.lock:
            self.model.myeloma.remove_on(self.model.day + 1)

    def _reschedule(self) -> None:
        """Rebuild the patient's drivers: the scenario, then the visitor's levels, then the treatments.

        The model reads ``model.schedule(day)`` every day, so the new schedule acts from the next step.
        """
        scenario = self.scenario.with_overrides(self.driver_levels, reason="dashboard") if self.driver_levels \
            else self.scenario
        self.model.schedule = scenario.with_treatments(self.treatments).schedule()

    # -------------------------------------------------------------------- time
    def step(self, days: int = 1) -> None:
        """Advance the patient (and the twin) by ``days`` days."""
        with self.lock:
            for _ in range(days):
                self.model.step()
                if self.twin is not None:
                    self.twin.step()

    def age_now(self) -> float:
        """Return the patient's age today, capped at the end of the DXA reference curves."""
        return min(self.model.age_years + max(self.model.day, 0) / DAYS_PER_YEAR, ADULT_AGE_RANGE_YEARS[1])

    def frame(self, overlay: str = "none") -> Frame:
        """Snapshot of the patient (and twin) now, with both slices drawn under ``overlay``."""
        with self.lock:
            m = self.model
            labs = panel(panel_values(m.recorder.last(), m.drivers))
            positions = cell_positions(m)
            return Frame(
                day=int(m.day), age_years=self.age_now(), start_age_years=m.age_years,
                image=png_bytes(render_rgb(m, overlay, positions)),
                twin_image=png_bytes(render_rgb(self.twin, overlay)) if self.twin is not None else None,
                series=thinned(m.recorder), twin_series=thinned(self.twin.recorder) if self.twin is not None else None,
                scan=dxa.dxa(m, self.age_now(), m.sex), labs=labs, drivers=m.drivers,
                counts={name: len(p) for name, p in positions.items()}, overlay=overlay,
                treatments=tuple(self.treatments),
                tumour_planned=m.myeloma.planned[1] if m.myeloma.planned is not None else 0,
                tumour_removal=m.myeloma.removal_day is not None)


__all__ = ["DAY0_CACHE_SIZE", "day0_model", "Frame", "Session", "Setup", "Tumour", "mystery_setup", "thinned"]
