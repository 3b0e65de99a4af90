r"""The mechanostat: loading above the habitual builds bone where the tissue is strained (steps 1 and 3 of the day).

Bone cells sense the strain of their matrix. Below the habitual, disuse raises the osteocytes'
sclerostin and RANKL (:mod:`bonegrid.effects`); above it, quiescent bone surfaces are turned back
into forming surfaces without resorption first: *modeling*, Frost's mechanostat (Frost 1987,
doi:10.1002/ar.1092190104; Frost 2003, doi:10.1002/ar.a.10119). Where it happens is where the
tissue carries the load: in loaded bones new bone is laid on the surfaces of highest strain
(Rubin & Lanyon 1985; Robling 2008, doi:10.1074/jbc.M705092200, found sclerostin falling most
where strain is highest), and the lining cells that take up formation there are the same cells
teriparatide reactivates (Kim 2012, doi:10.1002/jbmr.1741; on loading: Robling 2008).

Bone answers unusual strain, not customary strain: the cells accommodate to a loading they keep
meeting, so its anabolic effect fades over weeks (Turner 1999, Am J Hum Biol 11:145; Schriefer
2005, J Biomech 38:1838). The model keeps one accommodated loading :math:`L_a`, which
follows today's loading :math:`L` with time constant :math:`\tau_a` (it starts at the loading of
the first day, so the slice starts adapted):

.. math::

    \frac{dL_a}{dt} = \frac{L - L_a}{\tau_a}, \qquad H = \max(1, L_a),

where :math:`H` is the loading the cells take as customary: the habitual, or a higher loading
they have accommodated to. Each free quiescent matrix surface voxel :math:`x` (touching matrix,
not a cavity) gains a forming osteoblast with the daily chance

.. math::

    P_M(x) = \nu_M \, \max(0, L - H) \, \frac{\varepsilon(x)}{\bar\varepsilon}
             \, \frac{K_W}{K_W + W(x)},

where :math:`\varepsilon(x)/\bar\varepsilon` is the effective strain of the tissue that the
surface voxel :math:`x` lines (the most strained within one voxel of it) per unit of apparent
strain of the slice (the strain amplification, from a micro-finite-element compression of the
slice as in the stiffness readout, :mod:`bonegrid.elasticity`, along the site's load axis,
:data:`LOAD_AXIS`), and the last
factor the Wnt-antagonist gate every osteoblast recruitment has (:mod:`bonegrid.recruitment`).
Loading below :math:`H` is disuse (:func:`bonegrid.effects.cell_modifiers`): after training
stops, until the cells have re-accommodated. :math:`H` does not fall below the habitual, so
disuse lasts as long as immobility does (as before this module) and reloading after it restores
bone by remodeling without the overshoot that treating the habitual as overload would give
(measured with :math:`L_a` as the reference: 17 weeks of bed rest then a year of reloading ended
+2.9% above the starting BMD, seeds 1-4, against -1.1% with :math:`H`; recovery after spaceflight
takes months to years and is often incomplete, Sibonga 2007, Bone 41:973).
The strains are re-solved every ``mechanostat_interval_days`` while :math:`L > H`, and never
otherwise: at habitual or reduced loading the mechanostat does nothing and costs nothing.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage

from bonegrid.elasticity import SliceMechanics
from bonegrid.parameters import ParameterSet, param


@dataclasses.dataclass(frozen=True)
class MechanostatParameters(ParameterSet):
    """Modeling-based formation by loading above the habitual."""

    modeling_activation_per_day: float = param(
        0.06, unit="1/day per surface voxel", low=0.0, high=1.0, symbol="\\nu_M",
        doc="daily chance that the lining cell of a quiescent surface turns into a forming osteoblast, per unit "
            "of loading above the customary loading and of tissue strain per apparent strain",
        source="fitted to the postmenopausal_exercise BMD band (exercise against none, spine: Howe 2011, "
               "doi:10.1002/14651858.CD000333.pub2; Watson 2018, doi:10.1002/jbmr.3284) for an effect of +2 "
               "points in a year: levels 0, 0.04, 0.06, 0.08, 0.12 read -0.32, +0.44, +0.65, +1.41, +2.45% "
               "(8 replicates, sd 1.2-1.8), fit 0.074; three runs with other levels fitted 0.055-0.074 (a year's "
               "BMD change of one slice scatters by ~1.5 points), the pooled levels' linear trend 0.058; re-fit: "
               "python -m bonegrid.runs.calibrate modeling_activation_per_day")
    loading_accommodation_days: float = param(
        90.0, unit="day", low=1.0, high=3650.0, symbol="\\tau_a",
        doc="time constant with which the cells' reference loading follows a changed loading",
        source="bone cells accommodate to a customary loading over weeks (Turner 1999; Schriefer 2005, "
               "J Biomech 38:1838: the formation response to daily loading wanes within 5 weeks in rats); approx.")
    mechanostat_interval_days: int = param(
        30, unit="day", low=1, high=3650, symbol="\\Delta t_M",
        doc="days between strain solves of the slice while the loading is above the customary loading",
        source="numerical choice: modeling adds bone slowly, a few voxels per surface in a month")


LOAD_AXIS = {"spine": 0, "hip": 1}
"""Axis of the slice along which each site is loaded: a vertebral body along the spine (the slice's rows); the
femoral neck along its length, which is where its slice's cortex runs (along the bottom edge, the columns), as the
joint's load bends the neck and compresses its inferior cortex along its axis."""


class Mechanostat:
    """The loading the slice's cells are accommodated to and, while today's exceeds the customary, its tissue strain.

    Parameters
    ----------
    voxel_size_um : float
        Voxel edge, um.
    site : {"spine", "hip"}
        Where the slice is: it sets the axis of the load (:data:`LOAD_AXIS`).
    """

    def __init__(self, voxel_size_um: float, site: str = "spine") -> None:
        self.mechanics = SliceMechanics(voxel_size_um)
        self.load_axis = LOAD_AXIS[site]
        self.accommodated_loading = math.nan
        """:math:`L_a`, the loading the cells are accommodated to, 1 (habitual = 1)."""
        self.drive = 0.0
        """Today's loading above the customary loading, :math:`\\max(0, L - H)` with :math:`H = \\max(1, L_a)`, 1."""
        self.customary_loading = 1.0
        """:math:`H = \\max(1, L_a)`, the loading the osteocytes take as customary (after today's step), 1:
        the habitual, or a higher loading they have accommodated to, so that loading below it (training
        stopped) reads as disuse (:func:`bonegrid.effects.cell_modifiers`)."""
        self.amplification: np.ndarray | None = None
        """Effective strain per apparent strain of the slice (from the last solve) of the most strained tissue
        within one voxel: at a marrow voxel on a bone surface, that of the bone it lines, 1."""
        self._solved_day = -math.inf

    def step(self, day: int, loading: float, mineral: np.ndarray, params: MechanostatParameters) -> float:
        """Accommodate to today's ``loading`` (1 = habitual); re-solve the strains if due; return the drive."""
        if math.isnan(self.accommodated_loading):
            self.accommodated_loading = loading
        self.drive = max(0.0, loading - max(1.0, self.accommodated_loading))
        self.accommodated_loading += (loading - self.accommodated_loading) * -math.expm1(
            -1.0 / params.loading_accommodation_days)
        self.customary_loading = max(1.0, self.accommodated_loading)
        if self.drive > 0.0 and day - self._solved_day >= params.mechanostat_interval_days:
            if self.load_axis == 0:
                strain = self.mechanics.strain_amplification(mineral)
            else:
                strain = self.mechanics.strain_amplification(mineral.T).T
            self.amplification = ndimage.maximum_filter(strain, size=3, mode="nearest")
            self._solved_day = day
        return self.drive

    def activation(self, sites: np.ndarray, params: MechanostatParameters) -> np.ndarray | float:
        """Daily chance of modeling activation at the flat voxel indices ``sites``, before the Wnt gate, 1/day.

        A driven day always has strains: the first day of a drive is solved (:meth:`step`).
        """
        if self.drive <= 0.0:
            return 0.0
        return params.modeling_activation_per_day * self.drive * self.amplification.reshape(-1)[sites]
