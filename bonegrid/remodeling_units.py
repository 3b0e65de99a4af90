"""Bookkeeping of basic multicellular units (BMUs): who resorbed and who refilled what.

A remodeling unit is born when an osteoclast forms away from any other; osteoclasts that
form close to a working one join its unit. Each resorbed voxel carries its unit's id
(``Tissue.cavity``) and osteoblasts credit the voxels they refill to that id, except that
an osteoblast of another unit refilling an arrested reversal surface (past its recruitment
window) credits its own unit, whose team re-activated the surface: the abandoned unit ends
when its own team does. So the refill of every unit (formed / resorbed voxels) and the
length of its resorption and formation phases are measured, not assumed. This is an observer: it never changes cells
or tissue.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable


@dataclasses.dataclass
class RemodelingUnit:
    """One BMU's record. Days are model days; voxel counts are in voxels.

    ``osteoclasts``/``osteoblasts`` count the cells working for it now;
    ``osteoclasts_formed``/``osteoblasts_recruited`` count all it ever had.
    """

    id: int
    origin_day: float
    resorbed: int = 0
    formed: int = 0
    osteoclasts: int = 0
    osteoblasts: int = 0
    osteoclasts_formed: int = 0
    osteoblasts_recruited: int = 0
    first_resorption_day: float = math.nan
    last_resorption_day: float = math.nan
    first_formation_day: float = math.nan
    last_formation_day: float = math.nan

    @property
    def refill(self) -> float:
        """Formed over resorbed voxels (NaN if nothing was resorbed)."""
        return self.formed / self.resorbed if self.resorbed else math.nan

    @property
    def resorption_days(self) -> float:
        """Length of the resorption phase, first to last resorbed voxel, days."""
        return self.last_resorption_day - self.first_resorption_day + 1

    @property
    def formation_days(self) -> float:
        """Length of the formation phase, first to last voxel of osteoid laid, days."""
        return self.last_formation_day - self.first_formation_day + 1


class RemodelingUnits:
    """Registry of all units of a run."""

    def __init__(self) -> None:
        self.units: dict[int, RemodelingUnit] = {}
        self._next = 1
        self._staff: dict[int, int] = {}

    @property
    def n_staffed(self) -> int:
        """Number of unit ids (0, none, included) with at least one osteoclast or osteoblast working for them now."""
        return len(self._staff)

    def staffed(self) -> Iterable[int]:
        """Ids of the units (0, none, included) with at least one osteoclast or osteoblast working for them now."""
        return self._staff.keys()

    def forming_teams(self, osteoblasts: int) -> list[int]:
        """Ids of the units with at least ``osteoblasts`` (>= 1) osteoblasts working for them now."""
        return [uid for uid in self._staff if uid and self.units[uid].osteoblasts >= osteoblasts]

    def restaff(self, uid: int, change: int) -> None:
        """Add ``change`` (+1 or -1) to the osteoclasts and osteoblasts working for unit ``uid`` (0: none).

        Kept as cells join and leave, so that :attr:`n_staffed` need not look at every cell.
        """
        staff = self._staff.get(uid, 0) + change
        if staff:
            self._staff[uid] = staff
        else:
            del self._staff[uid]

    def open(self, day: float) -> int:
        """Start a new unit on ``day``; return its id (ids start at 1; 0 means none)."""
        uid = self._next
        self._next += 1
        self.units[uid] = RemodelingUnit(uid, day)
        return uid

    def record_resorption(self, uid: int, day: float) -> None:
        """Count one voxel resorbed by unit ``uid`` on ``day``."""
        u = self.units[uid]
        u.resorbed += 1
        if u.resorbed == 1:
            u.first_resorption_day = day
        u.last_resorption_day = day

    def record_formation(self, uid: int, day: float) -> None:
        """Count one voxel of unit ``uid``'s cavity refilled with osteoid on ``day``."""
        u = self.units.get(uid)
        if u is None:
            return
        u.formed += 1
        if u.formed == 1:
            u.first_formation_day = day
        u.last_formation_day = day

    def completed(self, day: float, quiet_days: float) -> list[RemodelingUnit]:
        """Units with no cells left and no activity in the last ``quiet_days`` days."""
        done = []
        for u in self.units.values():
            last = max(x for x in (u.last_resorption_day, u.last_formation_day, u.origin_day) if not math.isnan(x))
            if u.osteoclasts == 0 and u.osteoblasts == 0 and day - last >= quiet_days and u.resorbed:
                done.append(u)
        return done
