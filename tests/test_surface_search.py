"""The compiled neighbour searches of the surface cells read the tissue as the tissue's own rules do."""

import numpy as np
import pytest
from conftest import random_tissue

from bonegrid.agents.surface_search import matrix_adjacent, relocation_sites, resorption_depth
from bonegrid.tissue import NEIGHBOURS_4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_depth_and_matrix_contact_match_the_tissue_inside_and_at_the_border(seed):
    t = random_tissue(np.random.default_rng(seed))
    for y in range(7):
        for x in range(9):
            assert resorption_depth(t.kind, t.cavity_depth, y, x) == t.resorption_depth(y, x)
            assert matrix_adjacent(t.kind, y, x) == t.is_matrix_adjacent(y, x)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_relocation_sites_are_the_nearest_free_cavity_voxels_touching_matrix(seed):
    t = random_tissue(np.random.default_rng(seed))
    disc = np.array(sorted((dy * dy + dx * dx, dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                           if dy * dy + dx * dx <= 9), dtype=np.int64)

    def free(v, u):
        return 0 <= v < 7 and 0 <= u < 9 and t.cavity[v, u] and not t.occupied[v, u] and t.is_matrix_adjacent(v, u)

    for y in range(7):
        for x in range(9):
            next_door = [(y + dy, x + dx) for dy, dx in NEIGHBOURS_4 if free(y + dy, x + dx)]
            in_disc = [(d, y + dy, x + dx) for d, dy, dx in disc.tolist() if free(y + dy, x + dx)]
            nearest = [(v, u) for d, v, u in in_disc if d == in_disc[0][0]] if in_disc else []
            expected = next_door[:1] or nearest
            assert relocation_sites(t.kind, t.cavity, t.occupied, y, x, disc).tolist() == [list(s) for s in expected]
