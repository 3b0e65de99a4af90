"""Surface cells: what osteoclasts and osteoblasts share as members of a remodeling team.

A surface cell is a bone cell that works on the bone surface from one voxel beside the
matrix (an osteoclast in the marrow against the bone it dissolves, an osteoblast in the
cavity it refills), for a lifespan drawn at birth and spent at the pace the day's systemic
conditions set, on behalf of one remodeling unit. Their biology (resorbing and crawling;
laying osteoid, burial and retirement) lives in :mod:`bonegrid.agents.osteoclast` and
:mod:`bonegrid.agents.osteoblast`.
"""

from __future__ import annotations

import mesa

from bonegrid.remodeling_units import RemodelingUnit


class SurfaceCell(mesa.Agent):
    """A cell of a remodeling team living in one voxel on the bone surface.

    A surface cell has a lifespan, a place and an employer, and this class holds exactly
    that (as Mesa's ``CellAgent`` holds a cell and the moves between cells):

    - lifespan ``L ~ Gamma(k, L_mean / k)`` in a healthy adult's days, drawn once at birth from the
      model's RNG (coefficient of variation ``1 / sqrt(k)``), and its ``wear``: each day adds
      ``1 / M``, ``M`` being that day's systemic lifespan modifier (e.g. estrogen loss lengthening
      osteoclast life), and the cell dies once its wear reaches ``L``. A modifier is a change of the
      apoptosis hazard, so it acts on the cells alive when it changes, not only on those born after
      (under a constant ``M`` the life lasts ``L M`` days); ``age`` counts the days lived;
    - its voxel ``pos``, marked in ``tissue.occupied`` while it lives there (one cell per
      voxel): birth occupies it, :meth:`move_to` carries the mark along, :meth:`remove` frees it;
    - the remodeling unit it works for, ``unit`` (0: none), whose record counts it among its
      working cells from :meth:`join` until it joins another unit or is removed.

    Subclasses add their biology (``step``) and say which head count of the unit's record
    they belong to (:meth:`_count_in_unit`).

    Parameters
    ----------
    model : BoneModel
    pos : (int, int)
        (y, x) voxel, free.
    unit : int
        Id of the remodeling unit it works for (0: none).
    lifespan_days : float
        Mean lifespan ``L_mean`` of a healthy adult's cell, days.
    lifespan_shape : float
        Gamma shape ``k`` of the lifespan distribution, dimensionless.
    """

    def __init__(self, model, pos: tuple[int, int], unit: int, *, lifespan_days: float,
                 lifespan_shape: float) -> None:
        super().__init__(model)
        self.lifespan = model.rng.gamma(lifespan_shape, lifespan_days / lifespan_shape)
        self.age = 0
        self.wear = 0.0
        self.pos = pos
        model.tissue.occupied[pos] = 1
        self.unit = unit
        self._recount(unit, +1)

    def grow_older(self, lifespan_modifier: float) -> bool:
        """Live one day under today's lifespan modifier ``M`` (1 in health): age 1 day, wear ``1 / M``.

        Return True once the wear reaches the lifespan (the cell is due to die).
        """
        self.age += 1
        self.wear += 1.0 / lifespan_modifier
        return self.wear >= self.lifespan

    def move_to(self, pos: tuple[int, int]) -> None:
        """Step to voxel ``pos`` (the caller has found it free), carrying the occupancy mark."""
        occupied = self.model.tissue.occupied
        occupied[self.pos] = 0
        occupied[pos] = 1
        self.pos = pos

    def join(self, unit: int) -> None:
        """Work for remodeling unit ``unit`` from now on: leave the current unit's head count, enter ``unit``'s."""
        self._recount(self.unit, -1)
        self.unit = unit
        self._recount(unit, +1)

    def remove(self) -> None:
        """Leave the surface: free the voxel, leave the unit's head count and the model."""
        self.model.tissue.occupied[self.pos] = 0
        self._recount(self.unit, -1)
        super().remove()

    def _recount(self, unit: int, change: int) -> None:
        units = self.model.units
        units.restaff(unit, change)
        record = units.units.get(unit)
        if record is not None:
            self._count_in_unit(record, change)

    def _count_in_unit(self, record: RemodelingUnit, change: int) -> None:
        """Add ``change`` (+1 or -1) to this kind of cell's head count in ``record``."""
        raise NotImplementedError(f"{type(self).__name__} must say which head count of a remodeling unit it is in")


__all__ = ["SurfaceCell"]
