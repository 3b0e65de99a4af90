"""Compiled neighbour searches of the surface cells: where an osteoclast digs or crawls next, where an osteoblast moves.

An osteoclast's day is a few searches of its 4- and 8-neighbourhood (:meth:`Osteoclast._target
<bonegrid.agents.osteoclast.Osteoclast._target>`, :meth:`Osteoclast._crawl
<bonegrid.agents.osteoclast.Osteoclast._crawl>`), an osteoblast's a search of the cavity around it
(:meth:`Osteoblast._relocate <bonegrid.agents.osteoblast.Osteoblast._relocate>`), repeated for every
living cell every day. Here they read the tissue layers in place, compiled with Numba (``cache=True``: compiled once per
installation, loaded from the cache by later processes and the tour's workers): the scores,
comparisons and tie-breaks are those of the rules, operation for operation (the release before ran
the same searches in Python and gave the same runs, bit for bit). Outside the slice is marrow that is no
cavity, deeper than any (:data:`~bonegrid.tissue.DEEPEST`) and holds a cell: nothing a cell can touch,
resorb, refill or move to.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bonegrid.tissue import BONE, DEEPEST, MARROW, NEIGHBOURS_4, NEIGHBOURS_8

_STEPS_4 = np.array(NEIGHBOURS_4, dtype=np.int64)
"""The 4-neighbour steps (dy, dx), voxels, in the rules' order."""
_STEPS_8 = np.array(NEIGHBOURS_8, dtype=np.int64)
"""The 8-neighbour steps (dy, dx), voxels, in the rules' order."""
_LENGTHS_8 = np.array([math.hypot(dy, dx) for dy, dx in NEIGHBOURS_8])
"""Length of each 8-neighbour step, voxels."""


@numba.njit(cache=True)
def _kind_at(kind: np.ndarray, y: int, x: int) -> int:
    """Voxel kind at (y, x); MARROW outside the slice."""
    if 0 <= y < kind.shape[0] and 0 <= x < kind.shape[1]:
        return kind[y, x]
    return MARROW


@numba.njit(cache=True)
def resorption_depth(kind: np.ndarray, cavity_depth: np.ndarray, y: int, x: int) -> int:
    """Depth, voxels below the pre-existing surface, voxel (y, x) would have once resorbed.

    One more than the shallowest marrow 4-neighbour's cavity depth (0 for marrow that is no cavity;
    :data:`~bonegrid.tissue.DEEPEST` + 1 without a marrow neighbour in the slice).
    """
    best = DEEPEST
    for k in range(4):
        v, u = y + _STEPS_4[k, 0], x + _STEPS_4[k, 1]
        if 0 <= v < kind.shape[0] and 0 <= u < kind.shape[1] and kind[v, u] == MARROW and cavity_depth[v, u] < best:
            best = cavity_depth[v, u]
    return best + 1


@numba.njit(cache=True)
def dig_target(kind: np.ndarray, cavity_depth: np.ndarray, y: int, x: int, heading_y: float, heading_x: float,
               heading_weight: float, max_depth: int) -> tuple[int, int, int]:
    """Return the mineralised 4-neighbour of (y, x) an osteoclast resorbs next, as (y, x, depth); (-1, -1, -1) if none.

    Score: depth (voxels below the pre-existing surface, at most ``max_depth``) +
    ``heading_weight`` x the alignment of the step with the heading; the first best wins.
    """
    best_y, best_x, best_depth = -1, -1, -1
    best_score = -math.inf
    for k in range(4):
        dy, dx = _STEPS_4[k, 0], _STEPS_4[k, 1]
        if _kind_at(kind, y + dy, x + dx) != BONE:
            continue
        depth = resorption_depth(kind, cavity_depth, y + dy, x + dx)
        if depth > max_depth:
            continue
        score = depth + heading_weight * (dy * heading_y + dx * heading_x)
        if score > best_score:
            best_y, best_x, best_depth, best_score = y + dy, x + dx, depth, score
    return best_y, best_x, best_depth


@numba.njit(cache=True)
def crawl_site(kind: np.ndarray, occupied: np.ndarray, y: int, x: int, heading_y: float, heading_x: float,
               bone_preference: float, noise_weight: float, noise: np.ndarray) -> tuple[int, int]:
    """Return the free marrow 8-neighbour of (y, x) touching matrix an osteoclast crawls to, as (y, x); (-1, -1) if none.

    Score: ``bone_preference`` if it touches mineralised bone, plus the alignment of the step
    with the heading, plus ``noise_weight`` x its uniform draw ``noise[k]`` (one per step of
    :data:`~bonegrid.tissue.NEIGHBOURS_8`); the first best wins.
    """
    ny, nx = kind.shape
    best_y, best_x = -1, -1
    best_score = -math.inf
    for k in range(8):
        dy, dx = _STEPS_8[k, 0], _STEPS_8[k, 1]
        i, j = y + dy, x + dx
        if not (0 <= i < ny and 0 <= j < nx) or kind[i, j] != MARROW or occupied[i, j]:
            continue
        touching = max(_kind_at(kind, i - 1, j), _kind_at(kind, i + 1, j),
                       _kind_at(kind, i, j - 1), _kind_at(kind, i, j + 1))  # MARROW < OSTEOID < BONE
        if touching == MARROW:
            continue  # touches no matrix
        score = (bone_preference * (1.0 if touching == BONE else 0.0)
                 + (dy * heading_y + dx * heading_x) / _LENGTHS_8[k]
                 + noise_weight * noise[k])
        if score > best_score:
            best_y, best_x, best_score = i, j, score
    return best_y, best_x


@numba.njit(cache=True)
def matrix_adjacent(kind: np.ndarray, y: int, x: int) -> bool:
    """Whether voxel (y, x) has a 4-neighbour of osteoid or bone (in the slice)."""
    return (_kind_at(kind, y - 1, x) != MARROW or _kind_at(kind, y + 1, x) != MARROW
            or _kind_at(kind, y, x - 1) != MARROW or _kind_at(kind, y, x + 1) != MARROW)


@numba.njit(cache=True)
def _free_cavity(kind: np.ndarray, cavity: np.ndarray, occupied: np.ndarray, y: int, x: int) -> bool:
    """Whether (y, x) is a cavity voxel that no cell holds and that touches matrix (False outside the slice)."""
    return (0 <= y < kind.shape[0] and 0 <= x < kind.shape[1] and cavity[y, x] != 0 and occupied[y, x] == 0
            and matrix_adjacent(kind, y, x))


@numba.njit(cache=True)
def relocation_sites(kind: np.ndarray, cavity: np.ndarray, occupied: np.ndarray, y: int, x: int,
                     disc: np.ndarray) -> np.ndarray:
    """Return the free cavity voxels touching matrix an osteoblast at (y, x) may move to, (k, 2) (y, x) rows.

    The first such 4-neighbour (in :data:`~bonegrid.tissue.NEIGHBOURS_4` order: the common case,
    the cavity's next voxel next door) alone; else all those at the nearest distance within the
    ``disc`` ((d², dy, dx) rows, nearest first and row-major among equals), in the disc's order;
    none (k = 0) if there is none.
    """
    sites = np.empty((disc.shape[0], 2), dtype=np.int64)
    for k in range(4):
        v, u = y + _STEPS_4[k, 0], x + _STEPS_4[k, 1]
        if _free_cavity(kind, cavity, occupied, v, u):
            sites[0, 0], sites[0, 1] = v, u
            return sites[:1]
    n, nearest = 0, -1
    for k in range(disc.shape[0]):
        if nearest >= 0 and disc[k, 0] > nearest:
            break
        v, u = y + disc[k, 1], x + disc[k, 2]
        if _free_cavity(kind, cavity, occupied, v, u):
            nearest = disc[k, 0]
            sites[n, 0], sites[n, 1] = v, u
            n += 1
    return sites[:n]


__all__ = ["crawl_site", "dig_target", "matrix_adjacent", "relocation_sites", "resorption_depth"]
