"""Myeloma cells: a malignant plasma-cell clone growing in the marrow.

Each tumour cell is a Mesa agent with a voxel (identity and lineage matter), but the
clone's daily work is vectorised over all cells by :class:`MyelomaClone`, because a
lesion holds thousands. The clone is seeded on ``myeloma_seed_day`` as
``myeloma_seed_cells`` cells in the marrow voxels nearest the seed point, and occupies the
``tumour`` property layer (1 where a tumour cell sits). A run can also be given a clone, or more
cells, on any later day (:meth:`MyelomaClone.seed_on`), or lose its tumour
(:meth:`MyelomaClone.remove_on`, as in a complete remission): both act in the clone's daily step,
as the scenario's seed does.

Daily rule (step 4 of the day, after the bone cells):

- each cell dies with probability ``myeloma_death_per_day`` (and is crushed out if
  osteoblasts have filled its voxel with matrix);
- each cell divides with probability ``r (1 + g T / (T + K_T))``, where ``T`` is the local
  active TGF-beta (released by resorption: the "vicious cycle", Mundy 2002), placing its
  daughter in a random free 8-neighbour marrow voxel; with none free it does not divide.

What the clone secretes (read by :mod:`bonegrid.secretion`): osteoclast-activating
factors acting as RANKL (``myeloma_rankl_pM_per_day``), DKK1 added to the Wnt antagonists
(``myeloma_dkk1_pM_per_day``), and it degrades OPG (binding and internalisation through
syndecan-1, Standal 2002) at ``myeloma_opg_degradation_per_day`` of the local OPG (a sink
taken from yesterday's OPG; stable because the rate may not exceed OPG's own decay rate). Lesions,
suppressed refill and the M-protein are not written in: they follow from these causes.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
from mesa.discrete_space import PropertyLayer

from bonegrid.parameters import ParameterSet, param
from bonegrid.tissue import MARROW, NEIGHBOURS_8


@dataclasses.dataclass(frozen=True)
class MyelomaParameters(ParameterSet):
    """The tumour clone: seed, growth, secretion and M-protein."""

    myeloma_seed_cells: int = param(
        0, unit="cells", low=0, high=100000, symbol="N_0",
        doc="tumour cells seeded in the marrow (0 = no myeloma)", source="scenario choice")
    myeloma_seed_day: int = param(
        0, unit="day", low=0, high=36500, symbol="t_0",
        doc="model day the clone is seeded (day 0 = end of burn-in)", source="scenario choice")
    myeloma_seed_y_fraction: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="y_0",
        doc="seed point, fraction of the slice height from the top", source="scenario choice")
    myeloma_seed_x_fraction: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="x_0",
        doc="seed point, fraction of the slice width from the left", source="scenario choice")
    myeloma_division_per_day: float = param(
        0.012, unit="1/day", low=0.0, high=1.0, symbol="r_{MM}",
        doc="division probability per day of a tumour cell with free marrow next to it (no TGF-beta)",
        source="modelling choice: net marrow doubling of months (Ayati et al. 2010; approx.)")
    myeloma_death_per_day: float = param(
        0.004, unit="1/day", low=0.0, high=1.0, symbol="d_{MM}",
        doc="death probability per day of a tumour cell", source="modelling choice (approx.)")
    myeloma_tgfb_growth_gain: float = param(
        1.0, unit="1", low=0.0, high=20.0, symbol="g_{MM}",
        doc="division x (1 + g T / (T + K_T)) for local active TGF-beta T (vicious cycle)",
        source="Mundy 2002 (bone-derived growth factors feed tumour growth); approx.")
    myeloma_tgfb_half_pM: float = param(
        10.0, unit="pM", low=1e-6, high=1e6, symbol="K_{T,MM}",
        doc="TGF-beta at half the growth gain", source="modelling choice")
    myeloma_rankl_pM_per_day: float = param(
        1500.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{R,MM}",
        doc="osteoclast-activating factors (RANKL, MIP-1a, IL-6 via stroma) from one tumour cell, as RANKL",
        source="modelling choice; Roodman 2009, Ayati et al. 2010 (myeloma cells raise RANKL in their niche)")
    myeloma_dkk1_pM_per_day: float = param(
        2000.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{DKK1}",
        doc="DKK1 (a Wnt antagonist) from one tumour cell", source="Tian 2003 (myeloma cells secrete DKK1)")
    myeloma_opg_degradation_per_day: float = param(
        0.3, unit="1/day", low=0.0, high=100.0, symbol="k_{O,MM}",
        doc="rate at which a tumour cell takes up and degrades the OPG in its voxel "
            "(at most OPG's own decay rate: the sink uses yesterday's OPG, which is stable only then)",
        source="Standal 2002 (syndecan-1-mediated OPG internalisation); rate a modelling choice")
    mprotein_g_per_l_full_marrow: float = param(
        80.0, unit="g/L", low=0.0, high=500.0, symbol="M_{max}",
        doc="serum M-protein if the whole marrow of the slice were tumour (scales with the marrow fraction)",
        source="approx.: M-protein ~30-40 g/L with ~40% marrow plasma cells at diagnosis (Kyle 2003)")


class MyelomaCell(mesa.Agent):
    """One tumour cell at marrow voxel ``pos`` (its daily work is done by the clone)."""

    def __init__(self, model, pos: tuple[int, int]) -> None:
        super().__init__(model)
        self.pos = pos


class MyelomaClone:
    """All tumour cells of a model, stepped together.

    Parameters
    ----------
    model : BoneModel
    params : MyelomaParameters

    Attributes
    ----------
    cells : list of MyelomaCell
    planned : (float, int) or None
        (day, cells): tumour cells still to be seeded on the first step on or after that model day.
    removal_day : float or None
        Model day on whose step (or the first after it) every tumour cell is removed.
    """

    def __init__(self, model, params: MyelomaParameters) -> None:
        self.model = model
        self.params = params
        self.layer = PropertyLayer("tumour", model.tissue.shape, default_value=0, dtype=np.int8)
        self.tumour = self.layer.data
        self.cells: list[MyelomaCell] = []
        self.planned: tuple[float, int] | None = None
        self.removal_day: float | None = None
        self.seed_on(params.myeloma_seed_day, params.myeloma_seed_cells)

    def __len__(self) -> int:
        return len(self.cells)

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(ys, xs) int arrays of tumour cells."""
        pos = np.array([c.pos for c in self.cells], dtype=np.intp).reshape(-1, 2)
        return pos[:, 0], pos[:, 1]

    def seed_on(self, day: float, cells: int) -> None:
        """Seed ``cells`` tumour cells on model day ``day`` (the first step on or after it).

        The scenario's own clone is planned this way when the clone is made (``myeloma_seed_day``,
        ``myeloma_seed_cells``). A plan not yet carried out is replaced by the new one. Seeding puts the
        cells in the free marrow voxels nearest the seed point, so cells seeded into a living clone
        join it at its rim.

        Parameters
        ----------
        day : float
            Model day, d (day 0 = end of burn-in).
        cells : int
            Tumour cells to seed; 0 cancels a plan.
        """
        if cells < 0:
            raise ValueError(f"cells={cells!r} is not allowed: expected 0 or more tumour cells")
        self.planned = (float(day), int(cells)) if cells else None

    def remove_on(self, day: float) -> None:
        """Remove every tumour cell on model day ``day`` (the first step on or after it), and any seed still planned.

        What the cells did stays: the bone they had dissolved is not given back.
        """
        self.removal_day = float(day)
        self.planned = None

    def _seed(self, cells: int) -> None:
        """Put ``cells`` cells in the free marrow voxels nearest the seed point (fewer if the marrow is full)."""
        p = self.params
        ys, xs = np.nonzero((self.model.tissue.kind == MARROW) & (self.tumour == 0))
        ny, nx = self.tumour.shape
        d2 = (ys - p.myeloma_seed_y_fraction * (ny - 1)) ** 2 + (xs - p.myeloma_seed_x_fraction * (nx - 1)) ** 2
        for i in np.argsort(d2, kind="stable")[:cells]:
            self._add((int(ys[i]), int(xs[i])))

    def _add(self, pos: tuple[int, int]) -> None:
        self.tumour[pos] = 1
        self.cells.append(MyelomaCell(self.model, pos))

    def _remove(self, gone: np.ndarray) -> None:
        """Remove the cells where bool array ``gone`` (one entry per cell) is True."""
        for i in np.flatnonzero(gone):
            cell = self.cells[i]
            self.tumour[cell.pos] = 0
            cell.remove()
        self.cells = [c for c, g in zip(self.cells, gone, strict=True) if not g]

    def step(self, day: float, rng: np.random.Generator) -> None:
        """One day: a planned removal or seed, then death and division (see the module docstring)."""
        p = self.params
        if self.removal_day is not None and day >= self.removal_day:
            self.removal_day = None
            self._remove(np.ones(len(self.cells), dtype=bool))
        if self.planned is not None and day >= self.planned[0]:
            cells = self.planned[1]
            self.planned = None
            self._seed(cells)
        if not self.cells:
            return
        ys, xs = self.positions()
        kind, tumour = self.model.tissue.kind, self.tumour
        # death, or crushed out where osteoblasts have refilled the voxel with matrix
        gone = (rng.random(ys.size) < p.myeloma_death_per_day) | (kind[ys, xs] != MARROW)
        if gone.any():
            self._remove(gone)
            ys, xs = ys[~gone], xs[~gone]
        if not self.cells:
            return
        tgfb = self.model.fields.at("tgfb", ys, xs)
        rate = p.myeloma_division_per_day * (1.0 + p.myeloma_tgfb_growth_gain * tgfb / (tgfb + p.myeloma_tgfb_half_pM))
        ny, nx = tumour.shape
        for i in np.flatnonzero(rng.random(ys.size) < rate):
            y, x = int(ys[i]), int(xs[i])
            free = [(y + dy, x + dx) for dy, dx in NEIGHBOURS_8
                    if 0 <= y + dy < ny and 0 <= x + dx < nx and kind[y + dy, x + dx] == MARROW
                    and not tumour[y + dy, x + dx]]
            if free:
                self._add(free[rng.integers(len(free))] if len(free) > 1 else free[0])

    def m_protein_g_per_l(self) -> float:
        """Serum M-protein, g/L: the tumour's share of the slice's marrow x ``mprotein_g_per_l_full_marrow``."""
        if not self.cells:
            return 0.0
        marrow = int(np.count_nonzero(self.model.tissue.kind == MARROW))
        return self.params.mprotein_g_per_l_full_marrow * len(self.cells) / marrow if marrow else 0.0


__all__ = ["MyelomaCell", "MyelomaClone", "MyelomaParameters"]
