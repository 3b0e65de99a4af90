"""Tissue: the mineralisation lag, mineralisation limited by supply, matrix adjacency."""


import numpy as np
import pytest
from conftest import half_bone

from bonegrid.tissue import BONE, MARROW, OSTEOID, Tissue, TissueParameters, touches


def test_osteoid_does_not_mineralise_before_the_lag():
    params = TissueParameters(mineralisation_lag_days=10.0)
    t = Tissue(half_bone(20, 10), 10.0, params, np.random.default_rng(0), start_day=0.0)
    t.resorb(10, 5, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 5, 0.0)
    for day in range(1, 10):
        t.mineralise(day, supply=1.0, max_mineral=np.inf)
        assert t.kind[10, 5] == OSTEOID and t.mineral[10, 5] == 0.0
    t.mineralise(10, supply=1.0, max_mineral=np.inf)
    assert t.kind[10, 5] == BONE and t.mineral[10, 5] > 0.0
    # with no mineral supply osteoid stays osteoid however old
    t.resorb(10, 6, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 6, 0.0)
    for day in range(11, 60):
        t.mineralise(day, supply=0.0, max_mineral=np.inf)
    assert t.kind[10, 6] == OSTEOID


def test_mineralisation_never_takes_more_than_supplied():
    t = Tissue(half_bone(20, 10), 10.0, TissueParameters(), np.random.default_rng(0), start_day=0.0)
    t.mineral[t.kind == BONE] = 0.5
    taken = t.mineralise(1.0, supply=1.0, max_mineral=3.0)
    assert taken == pytest.approx(3.0)
    assert t.mineral.sum() == pytest.approx(0.5 * (t.kind == BONE).sum() + 3.0)


def test_matrix_surface_mask_matches_the_scalar_adjacency_on_marrow():
    t = Tissue(half_bone(12, 6), 10.0, TissueParameters(), np.random.default_rng(0))
    x = int(np.flatnonzero(t.kind[6] == BONE)[0])
    t.resorb(6, x, 1, 1, 0.0, 0.0)
    ys, xs = np.mgrid[0:12, 0:12]
    slow = np.array([t.is_matrix_adjacent(int(y), int(x)) for y, x in zip(ys.ravel(), xs.ravel(), strict=True)])
    marrow = t.kind == MARROW
    assert (t.surfaces().matrix_surface == (slow.reshape(12, 12) & marrow)).all()
    assert t.surfaces().matrix_surface[6, x]                     # the resorbed voxel: marrow beside matrix
    assert (slow.reshape(12, 12) == touches(t.kind != MARROW)).all()
