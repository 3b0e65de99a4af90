"""Osteoblasts: cells that refill resorption cavities with osteoid.

Rule (step 4 of the day), for each living osteoblast in random order:

1. age by one day; at the end of its active lifespan (gamma-distributed, mean
   ``osteoblast_lifespan_days``, spent faster or slower as the day's systemic effects raise or
   lower the apoptosis hazard: :class:`~bonegrid.agents.surface_cell.SurfaceCell`) it dies by
   apoptosis, wherever the refilling stands, so too few or too short-lived osteoblasts leave a deficit;
2. lay down osteoid at the apposition rate: every ``voxel / MAR`` days it fills the cavity
   voxel it sits in (a cavity voxel touching matrix) with osteoid;
3. after each voxel it is buried in it as an osteocyte with probability
   ``osteoblast_burial_probability``; otherwise it moves to the nearest unfilled cavity
   voxel touching matrix within ``osteoblast_search_radius_um``; if none is left, the
   cavity is refilled to its cement-line extent and it retires: it becomes a lining cell
   (probability ``osteoblast_lining_fraction``) or dies.

Refilling stops where the cavity ends because only voxels recorded as resorbed
(``Tissue.cavity``) are refilled: the cavity's extent is the biology's cement line.
The one exception is anabolic signalling (intermittent PTH, :mod:`bonegrid.effects`):
with probability ``osteoblast_overfill`` an osteoblast that has nothing left to refill
stays active and keeps laying osteoid on the adjacent surface for the rest of its life
(overfilled units and modelling-based formation, Dempster 2001; Lindsay 2006).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from bonegrid.agents.surface_cell import SurfaceCell
from bonegrid.agents.surface_search import matrix_adjacent, relocation_sites
from bonegrid.parameters import ParameterSet, param
from bonegrid.remodeling_units import RemodelingUnit
from bonegrid.tissue import MARROW, NEIGHBOURS_4


@dataclasses.dataclass(frozen=True)
class OsteoblastParameters(ParameterSet):
    """Osteoblast behaviour."""

    osteoblast_lifespan_days: float = param(
        110.0, unit="day", low=1.0, high=1000.0, symbol="L_{Ob}",
        doc="mean active osteoblast lifespan", source="Manolagas 2000 (~3 months)")
    osteoblast_lifespan_shape: float = param(
        6.0, unit="1", low=0.5, high=100.0, symbol="k_{Ob}",
        doc="gamma shape of the lifespan distribution (CV = 1/sqrt(k))", source="modelling choice")
    osteoblast_apposition_um_per_day: float = param(
        0.55, unit="um/day", low=0.0, high=10.0, symbol="MAR",
        doc="matrix apposition rate of one osteoblast",
        source="Eriksen 1994: mineral apposition rate ~0.5-1.2 um/day")
    osteoblast_burial_probability: float = param(
        0.04, unit="1 per voxel laid", low=0.0, high=1.0, symbol="p_{bur}",
        doc="chance an osteoblast is embedded in the voxel it has just laid (becomes an osteocyte)",
        source="calibrated: ~10-20% of osteoblasts buried (Manolagas 2000)")
    osteoblast_lining_fraction: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="p_{lin}",
        doc="fraction of osteoblasts that finish their cavity and become lining cells (rest die)",
        source="Manolagas 2000 (most die, some become lining cells)")
    osteoblast_search_radius_um: float = param(
        50.0, unit="um", low=0.0, high=500.0, symbol="r_{Ob}",
        doc="how far an osteoblast looks for unfilled cavity after laying a voxel",
        source="modelling choice (osteoblasts move within their canopy)")


class OsteoblastDays:
    """The day counters and voxels of all active osteoblasts, as arrays.

    Most days an osteoblast only grows a day older and adds the day's apposition to the
    voxel it is filling (95% of its days); :meth:`advance` does that for the whole
    population at once and says which cells have more to do today (die, or lay a voxel).
    Each :class:`Osteoblast` holds a slot here; its ``age`` (days), ``wear`` and ``lifespan`` (a healthy
    adult's days, :class:`~bonegrid.agents.surface_cell.SurfaceCell`) and ``progress`` (voxels of
    osteoid) read and write its slot, and its moves update ``y``, ``x``
    (:meth:`positions`). Slots of cells that left are reused.
    """

    ARRAYS = {"age": (0, np.int64), "wear": (0.0, np.float64), "lifespan": (np.inf, np.float64),
              "progress": (0.0, np.float64),
              "y": (0, np.intp), "x": (0, np.intp), "alive": (False, bool)}

    def __init__(self) -> None:
        for name, (default, dtype) in self.ARRAYS.items():
            setattr(self, name, np.full(0, default, dtype=dtype))
        self._free: list[int] = []

    def enter(self, pos: tuple[int, int]) -> int:
        """Give a new osteoblast at voxel ``pos`` a slot (age 0, progress 0); return the slot."""
        if not self._free:
            n = self.age.size
            grow = max(n, 64)
            for name, (default, dtype) in self.ARRAYS.items():
                setattr(self, name, np.concatenate([getattr(self, name), np.full(grow, default, dtype=dtype)]))
            self._free = list(range(n + grow - 1, n - 1, -1))
        slot = self._free.pop()
        self.age[slot] = 0
        self.wear[slot] = 0.0
        self.progress[slot] = 0.0
        self.alive[slot] = True
        self.moved(slot, pos)
        return slot

    def moved(self, slot: int, pos: tuple[int, int]) -> None:
        """Record that the osteoblast in ``slot`` now sits in voxel ``pos``."""
        self.y[slot], self.x[slot] = pos

    def leave(self, slot: int) -> None:
        """Free the slot of an osteoblast that left."""
        self.lifespan[slot] = np.inf
        self.alive[slot] = False
        self._free.append(slot)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(ys, xs) int arrays of the active osteoblasts' voxels (in slot order)."""
        alive = self.alive
        return self.y[alive], self.x[alive]

    def advance(self, slots: np.ndarray, apposition_um: float, voxel_size_um: float,
                lifespan_modifier: float) -> np.ndarray:
        """Age the osteoblasts in ``slots`` by a day and add a day's progress; return who has more to do.

        Parameters
        ----------
        slots : (n,) int ndarray
            Slots of the osteoblasts living today (each once).
        apposition_um : float
            Today's apposition of one osteoblast, µm.
        voxel_size_um : float
            Voxel edge, µm.
        lifespan_modifier : float
            Today's systemic lifespan modifier ``M`` (1 in health): each cell's wear grows by ``1 / M``.

        Returns
        -------
        (n,) bool ndarray
            True where the cell's lifespan is spent or a whole voxel of osteoid is due: its
            :meth:`Osteoblast.work` must run today.
        """
        self.age[slots] += 1
        self.wear[slots] += 1.0 / lifespan_modifier
        self.progress[slots] += apposition_um * (1.0 / voxel_size_um)
        return (self.wear[slots] >= self.lifespan[slots]) | (self.progress[slots] >= 1.0)


def _slot_attribute(name: str, doc: str) -> property:
    """Make a property of an :class:`Osteoblast` kept in its slot of the model's :class:`OsteoblastDays` array ``name``."""

    def get(self):
        return getattr(self.model.osteoblast_days, name)[self.slot]

    def set_(self, value) -> None:
        getattr(self.model.osteoblast_days, name)[self.slot] = value

    return property(get, set_, doc=doc)


@functools.cache
def _disc(radius: int) -> tuple[tuple[int, int, int], ...]:
    """Return the steps (d², dy, dx) to the voxels within ``radius`` voxels, nearest first and row-major among equals."""
    return tuple(sorted((dy * dy + dx * dx, dy, dx) for dy in range(-radius, radius + 1)
                        for dx in range(-radius, radius + 1) if dy * dy + dx * dx <= radius * radius))


@functools.cache
def _disc_array(radius: int) -> np.ndarray:
    """Return :func:`_disc` as an (n, 3) int array of (d², dy, dx) rows, voxels."""
    return np.array(_disc(radius), dtype=np.int64).reshape(-1, 3)


class Osteoblast(SurfaceCell):
    """An osteoid-forming osteoblast in cavity voxel ``pos``.

    Lifespan, voxel and unit are those of a :class:`~bonegrid.agents.surface_cell.SurfaceCell`;
    moving onto another unit's cavity while it is open to recruitment, it works for that unit from
    then on; on another unit's arrested reversal surface it keeps its own unit (:meth:`move_to`). Its day counters
    (age, lifespan, progress) live in the model's :class:`OsteoblastDays`, so that the day's
    ageing and apposition run as array operations over the population.

    Parameters
    ----------
    model : BoneModel
    pos : (int, int)
        (y, x) cavity voxel touching matrix.
    unit : int
        Id of the remodeling unit whose cavity it refills.
    """

    age = _slot_attribute("age", "Days lived.")
    wear = _slot_attribute("wear", "Life spent, in a healthy adult's days.")
    lifespan = _slot_attribute("lifespan", "Life it has, in a healthy adult's days (drawn at birth).")
    progress = _slot_attribute("progress", "Osteoid laid towards the next voxel, in voxels.")

    def __init__(self, model, pos: tuple[int, int], unit: int) -> None:
        p = model.params.osteoblast
        self.model = model
        self.slot = model.osteoblast_days.enter(pos)
        super().__init__(model, pos, unit, lifespan_days=p.osteoblast_lifespan_days,
                         lifespan_shape=p.osteoblast_lifespan_shape)
        self.overfilling = False
        vox = model.tissue.voxel_size_um
        self._radius = max(1, round(p.osteoblast_search_radius_um / vox))

    def _count_in_unit(self, record: RemodelingUnit, change: int) -> None:
        record.osteoblasts += change

    def step(self) -> None:
        """Live one day: grow older and add the day's osteoid, then :meth:`work`.

        The model does the first half for all osteoblasts at once (:meth:`OsteoblastDays.advance`)
        and calls :meth:`work` for those that have more to do.
        """
        model = self.model
        model.osteoblast_days.advance(np.array([self.slot]), model.apposition_um_today, model.tissue.voxel_size_um,
                                      model.modifiers.osteoblast_lifespan)
        self.work()

    def work(self) -> None:
        """Do the rest of the day, once aged and progressed: maybe die, else lay osteoid and move on or retire."""
        model = self.model
        if self.wear >= self.lifespan:
            self._end("apoptosis")
            return
        if self.progress < 1.0:
            return
        p = model.params.osteoblast
        y, x = self.pos
        tissue = model.tissue
        if not ((tissue.cavity[y, x] or self.overfilling) and matrix_adjacent(tissue.kind, y, x)):
            if not self._relocate():
                self._retire()
            return
        self.progress -= 1.0
        model.form(self, y, x)
        if model.rng.random() < p.osteoblast_burial_probability:
            model.bury(self)  # an osteocyte now: the model removes the osteoblast
            return
        if not self._relocate():
            self._retire()

    def _retire(self) -> None:
        """Nothing left to refill: overfill (anabolic signal) or leave as a lining cell or by apoptosis."""
        model = self.model
        overfill = model.modifiers.osteoblast_overfill
        if overfill > 0.0 and (self.overfilling or model.rng.random() < overfill) and self._step_onto_surface():
            self.overfilling = True
            return
        self._end(self._retirement_fate())

    def _step_onto_surface(self) -> bool:
        """Move to a free marrow voxel next door that touches matrix (to lay osteoid there); False if none."""
        tissue = self.model.tissue
        y, x = self.pos
        free = [(y + dy, x + dx) for dy, dx in NEIGHBOURS_4
                if tissue.in_grid(y + dy, x + dx) and tissue.kind[y + dy, x + dx] == MARROW
                and not tissue.occupied[y + dy, x + dx] and matrix_adjacent(tissue.kind, y + dy, x + dx)]
        if not free:
            return False
        self.move_to(free[self.model.rng.integers(len(free))] if len(free) > 1 else free[0])
        return True

    def _relocate(self) -> bool:
        """Move to the nearest free cavity voxel touching matrix; False if there is none in reach.

        The next voxel of the cavity next door first; else the nearest within the search radius,
        row-major among equals, one drawn at random among those as near
        (:func:`~bonegrid.agents.surface_search.relocation_sites`).
        """
        tissue = self.model.tissue
        y, x = self.pos
        sites = relocation_sites(tissue.kind, tissue.cavity, tissue.occupied, y, x, _disc_array(self._radius))
        if len(sites) == 0:
            return False
        v, u = sites[self.model.rng.integers(len(sites))] if len(sites) > 1 else sites[0]
        self.move_to((int(v), int(u)))
        return True

    def move_to(self, pos: tuple[int, int]) -> None:
        """Step to free voxel ``pos``; on another unit's open cavity, work for that unit from now on.

        On another unit's cavity past its recruitment window (:meth:`_past_window`) it stays with its
        own unit, whether or not that cavity is still open under its unit's canopy: its team
        re-activates the older surface, and the osteoid it lays there is its own unit's formation,
        not a late end of the other unit's. (Joining there instead moves osteoblasts between teams,
        so that teams fall below the canopy's threshold and their cavities arrest: the healthy slice
        then loses 1.1% over years 2-10, six seeds; model description, section 4.1.)
        """
        super().move_to(pos)
        self.model.osteoblast_days.moved(self.slot, pos)
        unit = int(self.model.tissue.cavity[pos])
        if unit and unit != self.unit and not self._past_window(pos):
            self.join(unit)

    def _past_window(self, pos: tuple[int, int]) -> bool:
        """Whether cavity voxel ``pos`` was eroded longer ago than the reversal phase and the recruitment window."""
        since = self.model.day - self.model.tissue.eroded_day[pos]
        return bool(since > self.model.params.recruitment.arrested_after_days)

    def remove(self) -> None:
        """Leave the surface and free the slot of the day counters."""
        super().remove()
        self.model.osteoblast_days.leave(self.slot)

    def _retirement_fate(self) -> str:
        return "lining" if self.model.rng.random() < self.model.params.osteoblast.osteoblast_lining_fraction else "apoptosis"

    def _end(self, fate: str) -> None:
        """Leave the model as a lining cell or by apoptosis (``fate``), counted in the model's fates."""
        self.model.osteoblast_fates[fate] += 1
        self.remove()
