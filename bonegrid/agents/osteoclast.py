"""Osteoclasts: multinucleated cells that dissolve mineralised bone.

Rule (step 4 of the day), for each living osteoclast in random order:

1. age by one day; die at the end of its lifespan (drawn at birth, gamma-distributed,
   mean ``osteoclast_lifespan_days`` x the estrogen effect) or by TGF-beta-induced
   apoptosis with daily hazard ``h_T * T / (T + K_T)`` (T: local TGF-beta);
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

import mesa

from bonegrid.parameters import ParameterSet, param
from bonegrid.tissue import BONE, MARROW, NEIGHBOURS_4, NEIGHBOURS_8


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
        source="calibrated: ~27-day resorption phase at 4.7 um/day erosion (Eriksen 1994)")
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
    osteoclast_tgfb_half_pM: float = param(
        50.0, unit="pM", low=1e-6, high=1e6, symbol="K_T",
        doc="TGF-beta at half-maximal osteoclast apoptosis", source="modelling choice")


class Osteoclast(mesa.Agent):
    """A resorbing osteoclast sitting in marrow voxel ``pos`` on the bone surface.

    Parameters
    ----------
    model : BoneModel
    pos : (int, int)
        (y, x) voxel.
    unit : int
        Id of the remodeling unit it works for.
    """

    def __init__(self, model, pos: tuple[int, int], unit: int) -> None:
        super().__init__(model)
        p = model.params.osteoclast
        mean = p.osteoclast_lifespan_days * model.modifiers.osteoclast_lifespan
        self.lifespan = model.rng.gamma(p.osteoclast_lifespan_shape, mean / p.osteoclast_lifespan_shape)
        self.pos = pos
        self.unit = unit
        self.age = 0
        self.credit = 0.0
        self.resorbed = 0
        angle = model.rng.uniform(0.0, 2.0 * math.pi)
        self.heading = (math.sin(angle), math.cos(angle))
        vox = model.tissue.voxel_size_um
        self._max_depth = max(1, round(p.osteoclast_max_depth_um / vox))
        self._rate = p.osteoclast_resorption_um2_per_day / vox**2
        self._moves = max(0, round(p.osteoclast_speed_um_per_day / vox))
        model.tissue.occupied[pos] = 1
        record = model.units.units[unit]
        record.osteoclasts += 1
        record.osteoclasts_formed += 1

    def step(self) -> None:
        """Live one day: maybe die, else resorb and travel."""
        model = self.model
        p = model.params.osteoclast
        self.age += 1
        f = model.fields.factor
        tgfb = float(model.fields.tgfb[self.pos[0] // f, self.pos[1] // f])
        hazard = p.osteoclast_tgfb_apoptosis_per_day * tgfb / (tgfb + p.osteoclast_tgfb_half_pM)
        if self.age >= self.lifespan or model.rng.random() < hazard:
            self.die()
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
                self.die()  # bisphosphonate taken up with the mineral: apoptosis
                return
        self.credit = min(self.credit, 1.0)  # an idle osteoclast does not bank resorption

    def _sense(self) -> None:
        """Turn up the free-RANKL gradient (chemotaxis towards the signalling osteocyte).

        The gradient is taken across the neighbouring field-mesh cells; a relative slope below
        1% per mesh cell leaves the heading unchanged (a front keeps going).
        """
        fields = self.model.fields
        free = fields.free_rankl
        my, mx = free.shape
        cy, cx = self.pos[0] // fields.factor, self.pos[1] // fields.factor
        up, down = free[max(cy - 1, 0), cx], free[min(cy + 1, my - 1), cx]
        left, right = free[cy, max(cx - 1, 0)], free[cy, min(cx + 1, mx - 1)]
        gy, gx = float(down - up), float(right - left)
        norm = math.hypot(gy, gx)
        if norm > 0.01 * float(up + down + left + right) / 2.0:
            self.heading = (gy / norm, gx / norm)

    def _target(self) -> tuple[int, int, int] | None:
        """Adjacent mineralised voxel to resorb next, as (y, x, depth), or None.

        Deepest allowed first (dig to the maximum depth before widening); ties broken by heading.
        """
        tissue = self.model.tissue
        y, x = self.pos
        best, best_score = None, -1e9
        for dy, dx in NEIGHBOURS_4:
            v, u = y + dy, x + dx
            if not tissue.in_grid(v, u) or tissue.kind[v, u] != BONE:
                continue
            depth = tissue.resorption_depth(v, u)
            if depth > self._max_depth:
                continue
            score = depth + 0.9 * (dy * self.heading[0] + dx * self.heading[1])
            if score > best_score:
                best, best_score = (v, u, depth), score
        return best

    def _crawl(self) -> bool:
        """Move one voxel along the bone surface; return False if boxed in.

        Score of a free marrow neighbour touching matrix: 2 if it touches mineralised bone,
        plus its alignment with the heading, plus RANK occupancy there, plus a little noise.
        """
        model = self.model
        tissue = model.tissue
        kind, occupied = tissue.kind, tissue.occupied
        ny, nx = tissue.shape
        y, x = self.pos
        best, best_score = None, -1e9
        noise = model.rng.random(8)
        for k, (dy, dx) in enumerate(NEIGHBOURS_8):
            v, u = y + dy, x + dx
            if not (0 <= v < ny and 0 <= u < nx) or kind[v, u] != MARROW or occupied[v, u]:
                continue
            touching_bone = False
            touching_matrix = False
            for ey, ex in NEIGHBOURS_4:
                a, b = v + ey, u + ex
                if 0 <= a < ny and 0 <= b < nx and kind[a, b] != MARROW:
                    touching_matrix = True
                    if kind[a, b] == BONE:
                        touching_bone = True
                        break
            if not touching_matrix:
                continue
            score = (2.0 * touching_bone + (dy * self.heading[0] + dx * self.heading[1]) / math.hypot(dy, dx)
                     + 0.5 * noise[k])
            if score > best_score:
                best, best_score = (v, u), score
        if best is None:
            return False
        v, u = best
        norm = math.hypot(v - y, u - x)
        self.heading = ((v - y) / norm, (u - x) / norm)
        occupied[y, x] = 0
        occupied[v, u] = 1
        self.pos = best
        return True

    def die(self) -> None:
        """Apoptosis: leave the surface and the model."""
        self.model.tissue.occupied[self.pos] = 0
        self.model.units.units[self.unit].osteoclasts -= 1
        self.remove()
