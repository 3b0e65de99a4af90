r"""The marrow's pool of RANK-expressing osteoclast precursors (part of step 3 of the day).

Osteoclasts form when committed precursors of the monocyte lineage, carrying RANK, meet RANKL
on a bone surface and fuse. The precursors are a pool that the marrow replenishes and that
empties two ways: precursors die or leave, and precursors fuse into osteoclasts. When a drug
blocks RANKL (denosumab) fewer fuse, so the pool fills; when the block wears off, the enlarged
pool meets RANKL at once and forms more osteoclasts than before treatment for as long as the
excess lasts: the rebound of bone turnover after denosumab is stopped (Bone 2011; McDonald 2021:
under RANKL inhibition osteoclasts fission into "osteomorphs" that persist and re-fuse).

The pool is one number for the whole marrow, relative to its size in a healthy adult without the
drug (:math:`P = 1`), a well-mixed systemic compartment like the blood. Endogenous changes of RANKL
(estrogen loss, PTH, cytokines) also raise precursor supply (Jilka 1992; D'Amelio 2008), and the
model takes supply to follow such demand; what moves the pool is the drug's block and a cause that
acts on the marrow's production of precursors itself, the supply :math:`S` (1 in health;
glucocorticoids lower it, :mod:`bonegrid.effects`). With :math:`a` the share of the surfaces'
osteoclastogenic signal (RANK occupancy to the power n) left by the drug today (:math:`a = 1`
without it):

.. math::

    \frac{dP}{dt} = \frac{1}{\tau_P}\,\bigl(S - (1 + c\,(a - 1))\,P\bigr),

where :math:`c` is the share of the pool's turnover that is fusion and :math:`\tau_P` the
pool's turnover time. Without the drug the pool settles at :math:`S` (1 in health) with time
constant :math:`\tau_P`; with fusion blocked (:math:`a = 0`) it fills towards :math:`S/(1 - c)`
with time constant :math:`\tau_P/(1 - c)`. Each surface
site's chance of osteoclastogenesis is multiplied by :math:`P`
(:func:`bonegrid.recruitment.recruit_osteoclasts`). A day is the exact exponential update for
the day's :math:`a`, stable for any :math:`\tau_P`.

Commitment is not yet an osteoclast. Precursors that RANKL commits on a bone surface take
:math:`\tau_D` days (``osteoclast_differentiation_days``) to differentiate and fuse into a
multinucleated, resorbing osteoclast there (:class:`CommittedPrecursors`): RANKL, M-CSF and the
transcription factors they induce (NFATc1) act in sequence over several days (Arai 1999;
Boyle 2003). Meanwhile the committed cells carry RANK and bind RANKL like the osteoclasts
they become, and one may be lost: if its site is built over or taken, it never forms. So a rise of
RANKL shows in resorption a differentiation time later, and a drug that blocks RANKL still lets
the precursors already committed mature.
"""

from __future__ import annotations

import math

import numpy as np


class OsteoclastPrecursorPool:
    """The marrow's RANK-expressing precursor pool, relative to a healthy adult's without the drug.

    The pool holds only its state; its constants come with each day (so a course of them,
    :mod:`bonegrid.parameter_courses`, takes effect).
    """

    def __init__(self) -> None:
        self.relative = 1.0
        """Pool size relative to a healthy adult's without the drug, 1."""
        self.signal_left = 1.0
        """Today's share of the osteoclastogenic signal that the drug leaves, 1 (osteoclasts read it as
        their survival signal)."""

    def step(self, signal_left: float, turnover_days: float, fusion_share: float, supply: float = 1.0) -> float:
        r"""Advance one day; return the new relative pool size.

        Parameters
        ----------
        signal_left : float
            :math:`a`, the share of the osteoclastogenic signal that the drug leaves today, 0..1
            (exactly 1 without the drug, which keeps a pool of 1 exactly 1).
        turnover_days : float
            :math:`\tau_P`, turnover time of the pool, days (> 0).
        fusion_share : float
            :math:`c`, share of the pool's outflow that is fusion into osteoclasts, 1 (0 <= c < 1).
        supply : float
            :math:`S`, the marrow's production of precursors relative to a healthy adult's, 1 (>= 0).
        """
        self.signal_left = signal_left
        loss = 1.0 + fusion_share * (signal_left - 1.0)  # outflow per unit pool, in units of 1/tau_P
        target = supply / loss
        self.relative = target + (self.relative - target) * math.exp(-loss / turnover_days)
        return self.relative


class CommittedPrecursors:
    """Precursors committed on bone-surface voxels, each becoming an osteoclast there on its due day.

    Holds flat voxel indices with the model day each is due; a voxel holds at most one.
    """

    def __init__(self) -> None:
        self._due: dict[int, int] = {}   # flat voxel index -> model day it is due to form

    def __len__(self) -> int:
        return len(self._due)

    def commit(self, flat: np.ndarray, due_day: int) -> None:
        """Commit precursors on the voxels ``flat`` (flat indices, none already holding one), due on ``due_day``."""
        self._due.update(dict.fromkeys(flat.tolist(), due_day))

    def sites(self) -> np.ndarray:
        """Flat indices of the voxels holding a committed precursor, in commitment order (int ndarray)."""
        return np.fromiter(self._due, dtype=np.intp, count=len(self._due))

    def due(self, day: int) -> list[int]:
        """Remove and return, in commitment order, the flat indices of the precursors due by ``day``."""
        ready = [flat for flat, due in self._due.items() if due <= day]
        for flat in ready:
            del self._due[flat]
        return ready
