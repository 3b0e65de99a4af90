"""Osteoclasts: multinucleated cells that dissolve mineralised bone.

Rule (step 4 of the day), for each living osteoclast in random order:

1. age by one day; die at the end of its lifespan (drawn at birth, gamma-distributed,
   mean ``osteoclast_lifespan_days`` x the estrogen effect) or by TGF-beta-induced
   apoptosis with daily hazard ``h_T * T / (T + K_T)`` (T: local TGF-beta), or, when a drug
   blocks RANKL, by losing RANKL's survival signal with daily hazard
   ``1 - exp(-h_R (1 - a))`` (a: the share of the RANK signal the drug leaves,
   :mod:`bonegrid.osteoclast_precursors`);
2. turn up the free-RANKL gradient (towards the signalling osteocyte that called it);
   earn resorption credit at ``osteoclast_resorption_um2_per_day`` (scaled by thyroid
   activity); spend each whole voxel of credit on one adjacent mineralised voxel (never
   osteoid), chosen to dig towards the maximum depth ``osteoclast_max_depth_um`` below the
   pre-existing surface before widening, and along its heading, so that a trench of bounded
   depth emerges and reaches the signal's source;
   an osteoclast that dissolves mineral carrying bound bisphosphonate (``b`` lethal doses)
   dies on the spot with probability ``1 - exp(-b)``;
3. when nothing is resorbable in reach, crawl along the bone surface (at most
   ``osteoclast_speed_um_per_day``), preferring sites on mineralised bone and its current
   heading: the resorption front travels.
"""

from __future__ import annotations

import dataclasses
import math

from bonegrid.agents.surface_cell import SurfaceCell
from bonegrid.agents.surface_search import crawl_site, dig_target
from bonegrid.parameters import ParameterSet, param
from bonegrid.remodeling_units import RemodelingUnit
from bonegrid.tissue import NEIGHBOURS_8


@dataclasses.dataclass(frozen=True)
class OsteoclastParameters(ParameterSet):
    """Osteoclast behaviour."""

    osteoclast_lifespan_days: float = param(
        14.0, unit="day", low=1.0, high=200.0, symbol="L_{Oc}",
        doc="mean osteoclast lifespan", source="Manolagas 2000 (~2 weeks)")
    osteoclast_lifespan_shape: float = param(
        4.0, unit="1", low=0.5, high=100.0, symbol="k_{Oc}",
        doc="gamma shape of the lifespan distribution (CV = 1/sqrt(k))", source="modelling choice")
    osteoclast_resorption_um2_per_day: float = param(
        300.0, unit="um^2/day", low=0.0, high=1e4, symbol="r_{Oc}",
        doc="area of mineralised bone one osteoclast removes per day in the slice",
        source="approx.: sets the area a unit resorbs (the median healthy unit ~50 voxels of 10 um in its "
               "~27-day phase, Eriksen 1994: erosion ~4.7 um/day); the phase's length comes from the units' "
               "reversal-resorption (recruitment.reversal_osteoclastogenesis_per_day)")
    osteoclast_max_depth_um: float = param(
        50.0, unit="um", low=10.0, high=500.0, symbol="d_{max}",
        doc="deepest an osteoclast digs below the pre-existing surface",
        source="Eriksen 1994 (trabecular resorption depth 40-60 um)")
    osteoclast_speed_um_per_day: float = param(
        30.0, unit="um/day", low=0.0, high=500.0, symbol="v_{Oc}",
        doc="how far an osteoclast crawls along the surface per day when nothing is in reach",
        source="modelling choice (cutting-cone advance ~20-40 um/day, Parfitt 1994)")
    osteoclast_tgfb_apoptosis_per_day: float = param(
        0.1, unit="1/day", low=0.0, high=10.0, symbol="h_T",
        doc="maximal TGF-beta-induced osteoclast apoptosis hazard",
        source="Pivonka et al. 2008 (TGF-beta promotes osteoclast apoptosis)")
    osteoclast_rankl_withdrawal_apoptosis_per_day: float = param(
        0.3, unit="1/day", low=0.0, high=10.0, symbol="h_R",
        doc="apoptosis hazard of a working osteoclast whose RANK signal a drug blocks completely "
            "(RANKL is a survival factor of mature osteoclasts)",
        source="Lacey 2000 (doi:10.1016/S0002-9440(10)64794-1: OPG/RANKL blockade induces osteoclast "
               "apoptosis within days); Bekker 2004 (doi:10.1359/JBMR.040305: urinary NTx -80% within "
               "days of one denosumab dose); hazard approx.")
    osteoclast_tgfb_half_pM: float = param(
        50.0, unit="pM", low=1e-6, high=1e6, symbol="K_T",
        doc="TGF-beta at half-maximal osteoclast apoptosis", source="modelling choice")
    osteoclast_chemotaxis_threshold: float = param(
        0.01, unit="1 per field-mesh cell", low=0.0, high=1.0, symbol="\\epsilon_R",
        doc="smallest free-RANKL gradient, relative to the local level, that turns an osteoclast's heading "
            "(shallower gradients leave it going the way it was: a resorption front keeps going)",
        source="modelling choice: cells resolve ~1% concentration differences across their length "
               "(Zigmond 1977, doi:10.1083/jcb.75.2.606); here per field-mesh cell")
    osteoclast_heading_weight: float = param(
        0.9, unit="voxel", low=0.0, high=100.0, symbol="w_{dig}",
        doc="weight of alignment with the heading against depth (voxels) in choosing the next voxel to "
            "resorb; below 0.5 depth always wins, at 0.9 a well-aligned voxel one shallower can win",
        source="modelling choice: trenches deepen to d_max yet advance along the heading")
    osteoclast_bone_preference: float = param(
        2.0, unit="1", low=0.0, high=100.0, symbol="w_{bone}",
        doc="score bonus, in units of alignment with the heading, of a crawl site touching mineralised "
            "bone over one touching only osteoid",
        source="modelling choice: an osteoclast seeks surface it can resorb (it never resorbs osteoid)")
    osteoclast_crawl_noise: float = param(
        0.5, unit="1", low=0.0, high=100.0, symbol="w_{rnd}",
        doc="amplitude of the uniform random term, in units of alignment with the heading, added to each "
            "crawl site's score (random motility)",
        source="modelling choice: breaks ties between equivalent sites and lets the front wander")


class Osteoclast(SurfaceCell):
    """A resorbing osteoclast sitting in marrow voxel ``pos`` on the bone surface.

    Lifespan, voxel and unit are those of a :class:`~bonegrid.agents.surface_cell.SurfaceCell`;
    at birth it also draws a random heading (after its lifespan, from the model's RNG).

    Parameters
    ----------
    model : BoneModel
    pos : (int, int)
        (y, x) voxel.
    unit : int
        Id of the remodeling unit it works for.
    """

    def __init__(self, model, pos: tuple[int, int], unit: int) -> None:
        p = model.params.osteoclast
        super().__init__(model, pos, unit, lifespan_days=p.osteoclast_lifespan_days,
                         lifespan_shape=p.osteoclast_lifespan_shape)
        self.credit = 0.0
        self.resorbed = 0
        angle = model.rng.uniform(0.0, 2.0 * math.pi)
        self.heading = (math.sin(angle), math.cos(angle))
        vox = model.tissue.voxel_size_um
        self._max_depth = max(1, round(p.osteoclast_max_depth_um / vox))
        self._rate = p.osteoclast_resorption_um2_per_day / vox**2
        self._moves = max(0, round(p.osteoclast_speed_um_per_day / vox))
        model.units.units[unit].osteoclasts_formed += 1

    def _count_in_unit(self, record: RemodelingUnit, change: int) -> None:
        record.osteoclasts += change

    def step(self) -> None:
        """Live one day: maybe die, else resorb and travel."""
        model = self.model
        p = model.params.osteoclast
        f = model.fields.factor
        tgfb = float(model.fields.tgfb[self.pos[0] // f, self.pos[1] // f])
        hazard = p.osteoclast_tgfb_apoptosis_per_day * tgfb / (tgfb + p.osteoclast_tgfb_half_pM)
        left = model.osteoclast_precursors.signal_left
        if left < 1.0:  # a drug blocks RANKL, the mature osteoclast's survival signal
            hazard += (1.0 - hazard) * -math.expm1(-p.osteoclast_rankl_withdrawal_apoptosis_per_day * (1.0 - left))
        if self.grow_older(model.modifiers.osteoclast_lifespan) or model.rng.random() < hazard:
            self.remove()  # apoptosis at the end of its life, induced by TGF-beta or by RANKL withdrawal
            return
        self._sense()
        self.credit += self._rate * model.modifiers.osteoclast_activity
        moves = self._moves
        while self.credit >= 1.0:
            target = self._target()
            if target is None:
                if moves == 0 or not self._crawl():
                    break
                moves -= 1
                continue
            y, x, depth = target
            drug = model.resorb(self, y, x, depth)
            self.resorbed += 1
            self.credit -= 1.0
            if drug > 0.0 and model.rng.random() < -math.expm1(-drug):
                self.remove()  # bisphosphonate taken up with the mineral: apoptosis
                return
        self.credit = min(self.credit, 1.0)  # an idle osteoclast does not bank resorption

    def _sense(self) -> None:
        """Turn up the free-RANKL gradient (chemotaxis towards the signalling osteocyte).

        The gradient is taken across the neighbouring field-mesh cells; a slope, relative to the
        local level, below ``osteoclast_chemotaxis_threshold`` per mesh cell leaves the heading
        unchanged (a front keeps going).
        """
        fields = self.model.fields
        free = fields.free_rankl
        my, mx = free.shape
        cy, cx = self.pos[0] // fields.factor, self.pos[1] // fields.factor
        up, down = free[max(cy - 1, 0), cx], free[min(cy + 1, my - 1), cx]
        left, right = free[cy, max(cx - 1, 0)], free[cy, min(cx + 1, mx - 1)]
        gy, gx = float(down - up), float(right - left)
        norm = math.hypot(gy, gx)
        threshold = self.model.params.osteoclast.osteoclast_chemotaxis_threshold
        if norm > threshold * float(up + down + left + right) / 2.0:
            self.heading = (gy / norm, gx / norm)

    def _target(self) -> tuple[int, int, int] | None:
        """Adjacent mineralised voxel to resorb next, as (y, x, depth), or None.

        Score: depth (voxels, at most the maximum depth) + ``osteoclast_heading_weight`` x the
        alignment of the step with the heading (in [-1, 1]). Depth leads (dig to the maximum
        depth before widening), the heading breaks ties and, for weights above 0.5, can draw the
        cell to a well-aligned voxel one shallower (:func:`~bonegrid.agents.surface_search.dig_target`).
        """
        tissue = self.model.tissue
        y, x = self.pos
        heading_y, heading_x = self.heading
        ty, tx, depth = dig_target(tissue.kind, tissue.cavity_depth, y, x, heading_y, heading_x,
                                   self.model.params.osteoclast.osteoclast_heading_weight, self._max_depth)
        return None if ty < 0 else (ty, tx, depth)

    def _crawl(self) -> bool:
        """Move one voxel along the bone surface; return False if boxed in.

        Score of a free marrow neighbour touching matrix: ``osteoclast_bone_preference`` if it
        touches mineralised bone, plus its alignment with the heading (in [-1, 1]), plus
        ``osteoclast_crawl_noise`` x a uniform random number in [0, 1), one drawn for each of the
        8 neighbours (:func:`~bonegrid.agents.surface_search.crawl_site`).
        """
        model = self.model
        p = model.params.osteoclast
        y, x = self.pos
        heading_y, heading_x = self.heading
        v, u = crawl_site(model.tissue.kind, model.tissue.occupied, y, x, heading_y, heading_x,
                          p.osteoclast_bone_preference, p.osteoclast_crawl_noise, model.rng.random(len(NEIGHBOURS_8)))
        if v < 0:
            return False
        norm = math.hypot(v - y, u - x)
        self.heading = ((v - y) / norm, (u - x) / norm)
        self.move_to((v, u))
        return True
