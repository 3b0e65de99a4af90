"""The compiled neighbour searches of the surface cells: depth, matrix contact and relocation, inside and at the border."""

import numpy as np
import pytest
from conftest import half_bone, random_tissue

from bonegrid.agents.surface_search import matrix_adjacent, relocation_sites, resorption_depth
from bonegrid.tissue import BONE, DEEPEST, MARROW, NEIGHBOURS_4, Tissue, TissueParameters, touches


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_resorption_depth_counts_only_marrow_neighbours_inside_the_slice(seed):
    t = random_tissue(np.random.default_rng(seed))
    for y in range(7):
        for x in range(9):
            depths = [int(t.cavity_depth[v, u]) for v, u in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1))
                      if 0 <= v < 7 and 0 <= u < 9 and t.kind[v, u] == MARROW]
            assert resorption_depth(t.kind, t.cavity_depth, y, x) == min(depths, default=DEEPEST) + 1


def test_matrix_contact_is_the_surface_mask_on_marrow():
    t = Tissue(half_bone(12, 6), 10.0, TissueParameters(), np.random.default_rng(0))
    x = int(np.flatnonzero(t.kind[6] == BONE)[0])
    t.resorb(6, x, 1, 1, 0.0, 0.0)
    ys, xs = np.mgrid[0:12, 0:12]
    scalar = np.array([matrix_adjacent(t.kind, int(y), int(x)) for y, x in zip(ys.ravel(), xs.ravel(), strict=True)])
    marrow = t.kind == MARROW
    assert (t.surfaces().matrix_surface == (scalar.reshape(12, 12) & marrow)).all()
    assert t.surfaces().matrix_surface[6, x]                     # the resorbed voxel: marrow beside matrix
    assert (scalar.reshape(12, 12) == touches(t.kind != MARROW)).all()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_relocation_sites_are_the_nearest_free_cavity_voxels_touching_matrix(seed):
    t = random_tissue(np.random.default_rng(seed))
    disc = np.array(sorted((dy * dy + dx * dx, dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                           if dy * dy + dx * dx <= 9), dtype=np.int64)
    touching = touches(t.kind != MARROW)

    def free(v, u):
        return 0 <= v < 7 and 0 <= u < 9 and t.cavity[v, u] and not t.occupied[v, u] and touching[v, u]

    for y in range(7):
        for x in range(9):
            next_door = [(y + dy, x + dx) for dy, dx in NEIGHBOURS_4 if free(y + dy, x + dx)]
            in_disc = [(d, y + dy, x + dx) for d, dy, dx in disc.tolist() if free(y + dy, x + dx)]
            nearest = [(v, u) for d, v, u in in_disc if d == in_disc[0][0]] if in_disc else []
            expected = next_door[:1] or nearest
            assert relocation_sites(t.kind, t.cavity, t.occupied, y, x, disc).tolist() == [list(s) for s in expected]
