"""BoneModel: a 2D slice of bone remodeled by Mesa agents under local signals.

One simulated day (``BoneModel.step``) runs, in this order (docs/model.md, "Process
overview and scheduling"):

1. physiology: drivers at day t; serum Ca/P, PTH, calcitriol, 25(OH)D updated from the
   bone fluxes (the slice's net mineral flux, averaged over ``skeletal_flux_averaging_days``
   as the skeleton's); the mechanostat accommodates to the day's loading (and re-solves the
   tissue strains while the loading exceeds what it is accommodated to); systemic cell
   modifiers derived;
2. fields: secretion maps from cells and drivers; RANKL, OPG (binding -> free RANKL),
   TGF-beta and Wnt antagonists solved to their quasi-steady state (every
   ``field_interval_days``; in between the last solve's fields, bound for the day's denosumab);
3. recruitment: osteoclasts on bone surfaces where free RANKL is high; osteoblasts on
   reversal surfaces where TGF-beta is high and Wnt antagonists low; under intermittent PTH,
   and where loading above the customary loading strains the tissue (the mechanostat),
   lining cells of quiescent surfaces turned into osteoblasts;
4. cells act, osteoclasts and osteoblasts in one random order (model RNG); then the
   osteocyte population (vectorised);
5. tissue: osteoid past the lag mineralises, limited by the Ca x P supply;
6. observation: the attached observers (:class:`bonegrid.timeseries.Observer`) that are due
   sample the model; every ``record_interval_days`` a row of the time series is recorded.

Data flow one way; the model knows no readout, only the observer protocol, and observers
never change state.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import mesa
import numpy as np
import pandas as pd

from bonegrid.agents.myeloma import MyelomaClone, MyelomaParameters
from bonegrid.agents.osteoblast import Osteoblast, OsteoblastDays, OsteoblastParameters
from bonegrid.agents.osteoclast import Osteoclast, OsteoclastParameters
from bonegrid.agents.osteocyte import OsteocyteNetwork, OsteocyteParameters
from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID, GRID_LIMITS, SITES
from bonegrid.drivers import Drivers, DriverSchedule
from bonegrid.effects import EffectParameters, cell_modifiers
from bonegrid.fields import FieldParameters, FieldSolver
from bonegrid.mechanostat import Mechanostat, MechanostatParameters
from bonegrid.microarchitecture import (
    RELIABLE_SIDE,
    MicroarchitectureParameters,
    StartingSlice,
    generate_slice,
    starting_parameters,
)
from bonegrid.osteoclast_precursors import CommittedPrecursors, OsteoclastPrecursorPool
from bonegrid.parameter_courses import ParameterCourses, is_course
from bonegrid.parameters import ParameterError, ParameterSet, param, split_overrides
from bonegrid.patient import check_patient
from bonegrid.physiology import Physiology, PhysiologyParameters
from bonegrid.recruitment import RecruitmentParameters, activate_lining_cells, recruit_osteoblasts, recruit_osteoclasts
from bonegrid.remodeling_units import RemodelingUnits
from bonegrid.secretion import SecretionParameters, source_maps
from bonegrid.timeseries import Observer, Recorder, default_observers
from bonegrid.tissue import MARROW, Surfaces, Tissue, TissueParameters, touches


@dataclasses.dataclass(frozen=True)
class RunParameters(ParameterSet):
    """Resolution, burn-in and recording."""

    voxel_size_um: float = param(
        10.0, unit="um", low=2.0, high=50.0, symbol="h",
        doc="voxel edge", source="resorption pits 40-60 um deep (Eriksen 1994), trabeculae 100-200 um thick (Parfitt 1983)")
    burn_in_days: int = param(
        365, unit="day", low=0, high=36500, symbol="T_{burn}",
        doc="days simulated before day 0 so that remodeling space, osteoid and fields are at steady state",
        source="modelling choice: > one remodeling cycle (~200 days) plus mineralisation")
    skeletal_flux_averaging_days: float = param(
        30.0, unit="day", low=1.0, high=365.0, symbol="\\tau_{sk}",
        doc="the slice stands for a skeleton whose units run in all phases: its net mineral flux reaches "
            "the blood averaged over this time (a conserved transit pool drained at 1/tau per day), so that "
            "one unit's resorption and its refill meet in the blood as the phases of a skeleton's many units do",
        source="numerical choice: the default slice holds a few resorbing units, each voxel of a patient's "
               "vertebral slice (BV/TV ~0.13, 360 x 360) moving ~0.5 mmol of skeletal calcium; 30 days is the shortest "
               "window tried (20, 30, 45; seeds 1-2) that keeps healthy serum calcium within 2.2-2.6 mmol/L and "
               "celiac PTH's late max/min below 4 (the bounds of tests/test_blood.py); shorter windows let the "
               "slice's units drive a PTH cycle, longer ones delay systemic changes (a drug acting on every unit at "
               "once) by months; on a 256 x 256 patient's slice the rule gives 60 days; "
               "re-run: python examples/calibration/flux_window.py")
    record_interval_days: int = param(
        1, unit="day", low=1, high=3650, symbol="\\Delta t_{rec}",
        doc="days between time-series records", source="modelling choice")
    mineralisation_pool_share_per_day: float = param(
        0.5, unit="1/day", low=0.01, high=1.0, symbol="s_M",
        doc="largest share of the exchangeable bone-surface calcium pool that mineralising osteoid may take "
            "in one day",
        source="numerical choice: taking the whole pool in one day would empty it and swing serum calcium; "
               "half leaves room for the slice's day-to-day noise")


@dataclasses.dataclass(frozen=True)
class ModelParameters:
    """All parameter sets of a model, one per module that owns a mechanism."""

    run: RunParameters
    microarchitecture: MicroarchitectureParameters
    tissue: TissueParameters
    fields: FieldParameters
    secretion: SecretionParameters
    recruitment: RecruitmentParameters
    mechanostat: MechanostatParameters
    osteoclast: OsteoclastParameters
    osteoblast: OsteoblastParameters
    osteocyte: OsteocyteParameters
    myeloma: MyelomaParameters
    effects: EffectParameters
    physiology: PhysiologyParameters

    @classmethod
    def groups(cls) -> dict[str, type[ParameterSet]]:
        """Name -> parameter-set class, in documentation order."""
        return {f.name: f.type if isinstance(f.type, type) else globals()[f.type] for f in dataclasses.fields(cls)}

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, object]) -> ModelParameters:
        """Build from flat ``name=value`` overrides (unknown names and bad values raise ParameterError)."""
        groups = cls.groups()
        built = split_overrides(groups.values(), overrides)
        return cls(**{name: built[g] for name, g in groups.items()})


def attach_observers(observers: Sequence[Observer | type[Observer]] | None, overrides: Mapping[str, object]
                     ) -> tuple[list[Observer], dict[str, object]]:
    """Build the observers of a model and take their parameters out of ``overrides``.

    Parameters
    ----------
    observers : sequence of Observer instances or classes, optional
        Default: the registered defaults (:func:`bonegrid.timeseries.default_observers`).
    overrides : mapping
        ``name=value`` overrides; those that name a parameter of an observer *class* given
        (or of a default) configure it.

    Returns
    -------
    observers : list of Observer
    rest : dict
        The overrides no observer owns (for the model's own parameters).

    Raises
    ------
    ParameterError
        If an override names a parameter of an observer passed as an instance (set it there).
    """
    built, rest = [], dict(overrides)
    for observer in default_observers() if observers is None else observers:
        group = observer.parameters
        mine = {k: rest.pop(k) for k in list(rest) if group is not None and k in group.names()}
        if isinstance(observer, Observer):
            if mine:
                raise ParameterError(f"{', '.join(mine)} configure{'s' if len(mine) == 1 else ''} the "
                                     f"{type(observer).__name__} observer passed in: set it there")
            built.append(observer)
        else:
            built.append(observer(group(**mine)) if group is not None else observer())
    return built, rest


def grid_shape(grid: int | Sequence[int]) -> tuple[int, int]:
    """Validate ``grid`` (an int for a square, or (ny, nx)) and return (ny, nx)."""
    dims = (grid, grid) if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool) else tuple(grid)
    low, high = GRID_LIMITS
    if len(dims) != 2 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
        raise ParameterError(f"grid={grid!r} is not allowed: give an int or (ny, nx) of ints")
    if not all(low <= d <= high for d in dims):
        raise ParameterError(f"grid={grid!r} is out of range: allowed {low} <= size <= {high} voxels per side")
    return int(dims[0]), int(dims[1])


class BoneModel(mesa.Model):
    """A 2D slice of bone that remodels itself.

    Parameters
    ----------
    site : {"spine", "hip"}
        Starting microarchitecture: trabecular vertebral bone, or a femoral-neck window
        (cortex along the bottom edge, trabecular core above).
    grid : int or (int, int)
        Voxels per side (or (ny, nx)); 256 at 10 um is a 2.56 mm square.
    seed : int
        Seed of the model's random number generators (the only source of randomness).
    initial_bone : (ny, nx) bool ndarray, optional
        A starting slice of your own (True = mineralised bone), e.g. a segmented micro-CT
        section; replaces the generated microarchitecture (``grid`` is then its shape). Its
        starting matrix takes the trabecular ages throughout (no cortex is known in it).
    age_years, sex : float, {"female", "male"}
        The virtual patient at day 0 (age 20-90 years, the span of the DXA reference curves).
        The generated slice has the published microarchitecture of healthy bone of that site,
        sex and age (:func:`bonegrid.microarchitecture.starting_parameters`); microarchitecture
        parameters given in ``params`` win over the derived ones.
    drivers : DriverSchedule, mapping or callable, optional
        Systemic drivers over time: a :class:`DriverSchedule`, a mapping accepted by it
        (``{"estrogen": [(0, 1.0), (365, 0.1)]}``) or a callable ``day -> Drivers``.
        Default: a healthy adult throughout.
    observers : sequence of Observer instances or classes, optional
        Readouts attached to the run (:class:`bonegrid.timeseries.Observer`); each adds its
        columns to the time series. Default: the clinical observers (virtual DXA, micro-FE
        stiffness, turnover markers; :mod:`bonegrid.readouts.observers`). ``[]`` records the
        model's state columns only.
    **params
        Overrides of any documented parameter by name (``bonegrid params`` lists them), e.g.
        ``osteoclast_lifespan_days=20``; parameters of the attached observers' classes too.
        A model parameter may instead follow a course, ``((day, value), ...)`` as drivers do
        (:mod:`bonegrid.parameter_courses`), e.g. ``osteoblast_lifespan_days=((365, 90), (380, 45))``.
        Unknown names or out-of-range values raise :class:`~bonegrid.parameters.ParameterError`.

    Examples
    --------
    >>> model = BoneModel(site="spine", grid=64, seed=1, burn_in_days=0)
    >>> model = model.run(days=10)
    >>> list(model.timeseries().columns[:3])
    ['day', 'bv_tv', 'ov_bv']
    """

    def __init__(self, site: str = "spine", grid: int | Sequence[int] = DEFAULT_GRID, seed: int = 1, *,
                 drivers: DriverSchedule | Mapping | Callable[[float], Drivers] | None = None,
                 initial_bone: np.ndarray | None = None, age_years: float = 50.0, sex: str = "female",
                 observers: Sequence[Observer | type[Observer]] | None = None, **params) -> None:
        if site not in SITES:
            raise ParameterError(f"site={site!r} is not allowed: expected one of {', '.join(SITES)}")
        if initial_bone is not None:
            initial_bone = np.asarray(initial_bone)
            if initial_bone.dtype != bool or initial_bone.ndim != 2:
                raise ParameterError("initial_bone is not allowed: expected a 2D bool array (True = bone)")
            grid = initial_bone.shape
        shape = grid_shape(grid)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ParameterError(f"seed={seed!r} is not allowed: expected a non-negative int")
        observers, params = attach_observers(observers, params)
        constant = {k: v for k, v in params.items() if not is_course(v)}
        self.parameter_courses = ParameterCourses(
            {k: v for k, v in params.items() if is_course(v)}, ModelParameters.groups(),
            lambda values: ModelParameters.from_overrides({**constant, **values}))
        self._constant_overrides = constant
        self._course_values = self.parameter_courses.at(-math.inf)
        self.params = ModelParameters.from_overrides({**constant, **self._course_values})
        self.age_years, self.sex = check_patient(age_years, sex)
        # the patient's starting microarchitecture, held as constant overrides (explicit values win)
        explicit = {k: v for k, v in constant.items() if k in MicroarchitectureParameters.names()}
        derived = starting_parameters(site, self.sex, self.age_years, **explicit)
        self._constant_overrides = constant = {**constant, **dataclasses.asdict(derived)}
        self.params = ModelParameters.from_overrides({**constant, **self._course_values})
        if self.params.myeloma.myeloma_opg_degradation_per_day > self.params.fields.opg_decay_per_day:
            raise ParameterError(
                f"myeloma_opg_degradation_per_day={self.params.myeloma.myeloma_opg_degradation_per_day!r} is not "
                f"allowed: at most opg_decay_per_day ({self.params.fields.opg_decay_per_day!r})")
        super().__init__(rng=int(seed))
        self.site = site
        self.seed = int(seed)
        if drivers is None or isinstance(drivers, Mapping):
            drivers = DriverSchedule(drivers)
        self.schedule = drivers
        p = self.params
        self.day = -p.run.burn_in_days

        if initial_bone is None:
            start = generate_slice(site, shape, p.run.voxel_size_um, self.rng, p.microarchitecture)
            if not start.bone.any():
                raise ParameterError(f"the generated {site} slice has no bone at grid {grid!r} (seed {seed}): use a "
                                     f"grid of at least {RELIABLE_SIDE} voxels, or another seed")
        elif not initial_bone.any():
            raise ParameterError("initial_bone has no bone: expected a slice with some True (bone) voxels")
        else:
            start = StartingSlice(initial_bone, None)
        self.tissue = Tissue(start.bone, p.run.voxel_size_um, p.tissue, self.rng, start_day=self.day,
                             reach_um=p.osteoclast.osteoclast_max_depth_um,
                             patient_age_years=self.age_years + self.day / DAYS_PER_YEAR, cortex=start.cortex)
        self.units = RemodelingUnits()
        self.osteoclast_precursors = OsteoclastPrecursorPool()
        self.committed_precursors = CommittedPrecursors()
        self.osteoblast_days = OsteoblastDays()
        self.mechanostat = Mechanostat(p.run.voxel_size_um, site)
        self.myeloma = MyelomaClone(self, p.myeloma)
        self.osteocytes = OsteocyteNetwork(self, p.osteocyte)
        self._seed_osteocytes()
        self.solver = FieldSolver(shape, p.run.voxel_size_um, p.fields, dtype=np.float32)
        self.drivers = self.schedule(self.day)
        self.physiology = Physiology(
            p.physiology, self.drivers,
            glucocorticoid_half_effect_mg_per_day=p.effects.glucocorticoid_half_effect_mg_per_day)
        self.modifiers = cell_modifiers(self.drivers, self.physiology.pth_skeletal_relative, p.effects)
        self.apposition_um_today = p.osteoblast.osteoblast_apposition_um_per_day * self.modifiers.osteoblast_apposition
        self._skeleton(p.physiology)
        self.osteoblast_fates: collections.Counter[str] = collections.Counter()
        self.resorbed_today = 0
        self.formed_today = 0
        self.osteoid_laid_today = 0.0    # osteoid synthesised by the day's osteoblasts (voxels, fractional)
        self.resorbed_total = 0
        self.formed_total = 0
        self._transit_mineral = 0.0      # net mineral between slice and blood (voxel-equivalents, may be < 0)
        self._recorded_mineral_mass: float | None = None  # the slice's mineral while a record is taken (_record)
        self.fields = self.solver.solve(self._sources(self.tissue.surfaces()))
        self.recorder = Recorder(self._state_getters(), observers)
        for observer in observers:
            observer.attach(self)
        for _ in range(p.run.burn_in_days):
            self.step()
        self.day = 0
        self.resorbed_total = self.formed_total = 0
        self.osteoblast_fates.clear()
        for observer in observers:
            observer.start(self)
        self._record()

    # ---------------------------------------------------------------- set-up
    def _seed_osteocytes(self) -> None:
        """Place lacunae in starting bone at the density burial produces at steady state."""
        kind = self.tissue.kind
        interior = np.flatnonzero(((kind != MARROW) & ~touches(kind == MARROW)).ravel())
        chosen = interior[self.rng.random(interior.size) < self.params.osteoblast.osteoblast_burial_probability]
        ages = self.day - self.tissue.formed_day.reshape(-1)[chosen]
        self.osteocytes.seed(chosen, ages, self.day, self.rng)

    def _skeleton(self, p: PhysiologyParameters) -> None:
        """Scale the slice to the skeleton: a trabecular compartment and a cortical one beside it.

        The slice's mineral stands for the trabecular share f_T of skeletal calcium S; cortical
        units answer the same systemic signals at kappa_C of the slice's fractional rate. So one
        voxel of net slice mineral moves S (f_T + kappa_C (1 - f_T)) / M_0 mmol of skeletal calcium
        (:attr:`ca_mmol_per_mineral`), and the cortical calcium that does not turn over with the
        slice, S (1 - f_T)(1 - kappa_C), is a constant of the ledger.
        """
        share, ratio = p.trabecular_calcium_share, p.cortical_turnover_ratio
        self.ca_mmol_per_mineral = p.skeletal_calcium_mmol * (share + ratio * (1.0 - share)) / self.tissue.mineral_mass()
        self._ca_unturned_mmol = p.skeletal_calcium_mmol * (1.0 - share) * (1.0 - ratio)

    # -------------------------------------------------------------- queries
    @property
    def osteoclasts(self) -> Sequence[Osteoclast]:
        """Living osteoclasts."""
        return self.agents_by_type.get(Osteoclast, ())

    @property
    def osteoblasts(self) -> Sequence[Osteoblast]:
        """Active osteoblasts."""
        return self.agents_by_type.get(Osteoblast, ())

    def osteoblast_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(ys, xs) int arrays of active osteoblast voxels."""
        return self.osteoblast_days.positions()

    # --------------------------------------------------------------- actions
    def resorb(self, osteoclast: Osteoclast, y: int, x: int, depth: int) -> float:
        """Osteoclast ``osteoclast`` removes mineralised voxel (y, x) (and any osteocyte in it).

        Returns the bisphosphonate the voxel carried (lethal doses) that the osteoclast takes up.
        """
        drug = float(self.tissue.bisphosphonate[y, x])
        self._transit_mineral += self.tissue.resorb(
            y, x, osteoclast.unit, depth, self.day, self.params.secretion.tgfb_release_pM_per_voxel)
        if self.osteocytes.state[y, x]:
            self.osteocytes.remove_at(y, x)
        self.resorbed_today += 1
        self.units.record_resorption(osteoclast.unit, self.day)
        return drug

    def form(self, osteoblast: Osteoblast, y: int, x: int) -> None:
        """Osteoblast ``osteoblast`` fills cavity voxel (y, x) with osteoid (overfill: a marrow voxel on the surface).

        The voxel is credited to the unit the osteoblast works for (that of the cavity, unless the
        cavity was another unit's arrested reversal surface, :meth:`Osteoblast.move_to`), or to the
        cavity's unit if the osteoblast works for none.
        """
        cavity_unit = self.tissue.deposit_osteoid(y, x, self.day)
        self.formed_today += 1
        self.units.record_formation(osteoblast.unit or cavity_unit, self.day)

    def bury(self, osteoblast: Osteoblast) -> None:
        """Osteoblast ``osteoblast`` is embedded in the osteoid it laid and becomes an osteocyte."""
        self.osteocytes.add(*osteoblast.pos, self.day)
        self.osteoblast_fates["buried"] += 1
        osteoblast.remove()

    # ------------------------------------------------------------------ step
    def _sources(self, surfaces: Surfaces) -> dict[str, np.ndarray]:
        voxels, activated = self.tissue.decay_latent_tgfb(self.params.secretion.tgfb_activation_per_day)
        tgfb = np.zeros(self.tissue.shape)
        tgfb.reshape(-1)[voxels] = activated
        return source_maps(self, self.modifiers, self.params.secretion, tgfb, surfaces)

    def step(self) -> None:
        """Advance one day (see the module docstring for the order)."""
        self.day += 1
        if self.parameter_courses:
            self._follow_parameter_courses()
        p = self.params
        # 1. physiology, from the bone fluxes so far (averaged as the skeleton's)
        self.drivers = self.schedule(self.day)
        net = self._transit_mineral / p.run.skeletal_flux_averaging_days
        self._transit_mineral -= net
        flux = net * self.ca_mmol_per_mineral
        self.physiology.step(self.drivers, max(flux, 0.0), max(-flux, 0.0))
        self.mechanostat.step(self.day, self.drivers.mechanical_loading, self.tissue.mineral, p.mechanostat)
        self.modifiers = cell_modifiers(self.drivers, self.physiology.pth_skeletal_relative, p.effects,
                                        self.mechanostat.customary_loading)
        self.apposition_um_today = p.osteoblast.osteoblast_apposition_um_per_day * self.modifiers.osteoblast_apposition
        # 2. fields
        surfaces = self.tissue.surfaces()
        if self.drivers.bisphosphonate > 0.0:
            self.tissue.bind_bisphosphonate(self.drivers.bisphosphonate, surfaces.marrow)
        if self.day % p.fields.field_interval_days == 0:
            self.fields = self.solver.solve(self._sources(surfaces), self.drivers.denosumab_nM)
        else:  # between solves: the latent TGF-beta still activates, the drug still binds
            self.tissue.decay_latent_tgfb(p.secretion.tgfb_activation_per_day)
            self.fields = self.solver.rebind(self.fields, self.drivers.denosumab_nM)
        # 3. recruitment (the tissue has not changed since the surfaces were taken)
        recruit_osteoclasts(self, p.recruitment, surfaces)
        recruit_osteoblasts(self, p.recruitment, surfaces)
        activate_lining_cells(self, p.recruitment, surfaces)
        # 4. cells act
        self.resorbed_today = self.formed_today = 0
        self._cells_act()
        self.osteocytes.step(self.day, self.modifiers.osteocyte_apoptosis, self.rng,
                            self.modifiers.osteocyte_unsignalled_death_share)
        self.myeloma.step(self.day, self.rng)
        # 5. tissue
        ca_per_voxel_today = self.ca_mmol_per_mineral / p.run.mineralisation_pool_share_per_day
        available = self.physiology.available_for_mineralisation_mmol() / ca_per_voxel_today
        self._transit_mineral -= self.tissue.mineralise(self.day, self.physiology.mineralisation_supply,
                                                        self.physiology.crystal_growth_supply,
                                                        max(available + self._transit_mineral, 0.0))
        self.resorbed_total += self.resorbed_today
        self.formed_total += self.formed_today
        # 6. observation
        self.recorder.observe(self, self.day)
        if self.day > 0 and self.day % p.run.record_interval_days == 0:
            self._record()

    def _record(self) -> None:
        """Record a row of the time series, the slice's mineral summed once for the columns that read it."""
        self._recorded_mineral_mass = self.tissue.mineral_mass()
        try:
            self.recorder.collect(self)
        finally:
            self._recorded_mineral_mass = None

    def _cells_act(self) -> None:
        """Step 4: osteoclasts and osteoblasts act in one random order.

        The osteoblasts' ageing and apposition run first for all at once (no cell's step reads
        another's counters); in the random order only the osteoblasts with more to do today
        (:meth:`Osteoblast.work`) act, so the order, and the draws, of all that touches shared
        state are those of stepping every cell in turn.
        """
        osteoclasts, osteoblasts = list(self.osteoclasts), list(self.osteoblasts)
        cells = osteoclasts + osteoblasts
        order = self.rng.permutation(len(cells))
        self.osteoid_laid_today = len(osteoblasts) * self.apposition_um_today / self.tissue.voxel_size_um
        if osteoblasts:
            slots = np.array([ob.slot for ob in osteoblasts], dtype=np.intp)
            due = self.osteoblast_days.advance(slots, self.apposition_um_today, self.tissue.voxel_size_um,
                                               self.modifiers.osteoblast_lifespan)
            acts = np.concatenate([np.ones(len(osteoclasts), dtype=bool), due])
            order = order[acts[order]]
        n_oc = len(osteoclasts)
        for i in order.tolist():
            if i < n_oc:
                cells[i].step()
            else:
                cells[i].work()

    def _follow_parameter_courses(self) -> None:
        """Take today's values of the parameters that follow a course, and hand each group to its owner."""
        values = self.parameter_courses.at(self.day)
        if values == self._course_values:
            return
        self._course_values = values
        self.params = p = ModelParameters.from_overrides({**self._constant_overrides, **values})
        self.tissue.params = p.tissue
        self.osteocytes.params = p.osteocyte
        self.myeloma.params = p.myeloma
        self.physiology.retune(p.physiology,
                               glucocorticoid_half_effect_mg_per_day=p.effects.glucocorticoid_half_effect_mg_per_day)

    def run(self, days: int) -> BoneModel:
        """Simulate ``days`` more days; return the model."""
        if not isinstance(days, (int, np.integer)) or isinstance(days, bool) or days < 0:
            raise ParameterError(f"days={days!r} is not allowed: expected a non-negative int")
        for _ in range(int(days)):
            self.step()
        return self

    # -------------------------------------------------------------- readouts
    def tumour_mask(self) -> np.ndarray:
        """(ny, nx) bool: voxels holding a myeloma cell."""
        return self.myeloma.tumour > 0

    def remodeling_space(self) -> float:
        """Open cavity still in a remodeling cycle (resorbed, not yet refilled) over bone volume.

        An arrested reversal surface (:meth:`arrested`) whose unit has no
        osteoclast or osteoblast left is bone lost, not remodeling space: it leaves the count, though
        it stays a cavity that a neighbouring unit's osteoblasts may still refill (and re-enters if its
        own unit works again). Counting it made the space grow for as long as units refilled
        incompletely (a postmenopausal slice: 34% of bone volume by year 6, 23 points of it arrested).
        """
        tissue = self.tissue
        open_ = tissue.open_cavities.indices()
        arrested = open_[self.arrested(open_)]
        per_unit = np.bincount(tissue.cavity.reshape(-1)[arrested])  # arrested voxels of each unit id
        still_worked = sum(int(per_unit[uid]) for uid in self.units.staffed() if uid < per_unit.size)
        return (open_.size - arrested.size + still_worked) / max(tissue.n_matrix, 1)

    def arrested(self, cavity: np.ndarray, params: RecruitmentParameters | None = None) -> np.ndarray:
        """Which of the cavity voxels ``cavity`` (flat indices) are arrested reversal surfaces, as a bool array.

        A cavity voxel is arrested once ``arrested_after_days`` have passed since its erosion (the
        reversal phase and the osteoblasts' recruitment window), unless its unit has at least
        ``osteoblast_canopy_team`` osteoblasts at work (when that is > 0): the canopy over a forming
        team keeps supplying osteoprogenitors (Delaisse 2020). No new osteoblast settles on an arrested
        voxel, and it counts as bone lost, not remodeling space, while its unit has no cell left
        (:meth:`remodeling_space`). Which unit an osteoblast moving onto it works for follows the window
        alone (:meth:`~bonegrid.agents.osteoblast.Osteoblast.move_to`). ``params``:
        the recruitment parameters to apply (default: the model's).
        """
        rec = self.params.recruitment if params is None else params
        tissue = self.tissue
        arrested = self.day - tissue.eroded_day.reshape(-1)[cavity] > rec.arrested_after_days
        if rec.osteoblast_canopy_team > 0 and arrested.any():
            canopied = self.units.forming_teams(rec.osteoblast_canopy_team)
            arrested[arrested] = ~np.isin(tissue.cavity.reshape(-1)[cavity[arrested]], canopied)
        return arrested

    def active_units(self) -> int:
        """Remodeling units with at least one osteoclast or osteoblast working now."""
        return self.units.n_staffed

    def osteocyte_viability(self) -> float:
        """Fraction of lacunae holding a living, non-apoptotic osteocyte."""
        viable, apoptotic, empty = self.osteocytes.counts()
        total = viable + apoptotic + empty
        return viable / total if total else float("nan")

    def mineral_mass(self) -> float:
        """Sum of the slice's mineral fractions now (voxel-equivalents of full mineral).

        While a record is taken (nothing changes then) the sum taken for it, so the columns that
        read it (``mineral_mean``, the DXA's BMD) share one pass over the slice.
        """
        if self._recorded_mineral_mass is not None:
            return self._recorded_mineral_mass
        return self.tissue.mineral_mass()

    def calcium_total_mmol(self) -> float:
        """Calcium in bone (the skeleton: trabecular and cortical), in the serum pools and in transit, mmol.

        Conservation: this minus cumulative gut absorption plus cumulative urinary loss
        is constant over a run.
        """
        in_bone = self._ca_unturned_mmol + self.tissue.mineral_mass() * self.ca_mmol_per_mineral
        in_transit = self._transit_mineral * self.ca_mmol_per_mineral
        return in_bone + self.physiology.total_calcium_mmol() + in_transit

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The observers attached to this run."""
        return self.recorder.observers

    def _state_getters(self) -> dict[str, Callable[[BoneModel], float]]:
        """Getter of each :data:`~bonegrid.timeseries.STATE_COLUMNS` entry."""
        return {
            "day": lambda m: m.day,
            "bv_tv": lambda m: m.tissue.bone_volume_fraction,
            "ov_bv": lambda m: m.tissue.osteoid_fraction,
            "remodeling_space": BoneModel.remodeling_space,
            "n_osteoclasts": lambda m: len(m.osteoclasts),
            "n_osteoblasts": lambda m: len(m.osteoblasts),
            "n_osteocytes": lambda m: len(m.osteocytes.agents),
            "osteocyte_viability": BoneModel.osteocyte_viability,
            "resorbed_voxels": lambda m: m.resorbed_today,
            "formed_voxels": lambda m: m.formed_today,
            "serum_ca": lambda m: m.physiology.serum_calcium_mmol_per_l,
            "serum_phosphate": lambda m: m.physiology.serum_phosphate_mmol_per_l,
            "pth": lambda m: m.physiology.pth_pmol_per_l,
            "calcitriol": lambda m: m.physiology.calcitriol_pmol_per_l,
            "vitamin_d_25oh": lambda m: m.physiology.vitamin_d_25oh_nmol_per_l,
            "fgf23": lambda m: m.physiology.fgf23_ru_per_ml,
            "mineral_mean": lambda m: float(m.mineral_mass() / max(m.tissue.n_matrix, 1)),
            "active_units": BoneModel.active_units,
            "n_tumour_cells": lambda m: len(m.myeloma),
            "m_protein": lambda m: m.myeloma.m_protein_g_per_l(),
            "mineralisation_onsets": lambda m: m.tissue.mineralisation_onsets,
            "mineralisation_onset_age_days": lambda m: m.tissue.mineralisation_onset_age_days,
        }

    def timeseries(self) -> pd.DataFrame:
        """Return the recorded time series, one row per record (day 0 = end of burn-in).

        Columns: :func:`bonegrid.timeseries.columns` of the attached observers (name, unit,
        meaning and sampling of each; ``bonegrid columns`` prints them).
        """
        return self.recorder.table()


__all__ = ["BoneModel", "ModelParameters", "RunParameters", "attach_observers", "grid_shape"]
