"""Tissue: starting matrix ages, the mineralisation lag, mineralisation limited by supply, matrix adjacency."""


import numpy as np
import pytest
from conftest import half_bone, random_tissue

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.tissue import BONE, MARROW, OSTEOID, Tissue, TissueParameters, VoxelSet, touches


def _truncated_mean(scale, upper):
    """Mean of an exponential of mean ``scale`` conditioned on being below ``upper``."""
    return scale - upper / np.expm1(upper / scale)


def test_starting_matrix_in_reach_of_a_surface_is_young_in_the_trabecular_core_and_old_in_the_cortex():
    # a slab under a marrow row: rows 1-5 lie within the 50 um reach; the right half is cortex
    bone = np.ones((20, 2000), dtype=bool)
    bone[0] = False
    cortex = np.zeros_like(bone)
    cortex[:, 1000:] = True
    p = TissueParameters()
    t = Tissue(bone, 10.0, p, np.random.default_rng(4), patient_age_years=85.0, cortex=cortex)
    age = -t.formed_day / DAYS_PER_YEAR
    oldest = 85.0 - p.skeletal_maturity_age_years
    assert np.nanmax(age) <= oldest
    # exponential ages of each compartment's mean, truncated at the years since skeletal maturity
    assert age[1:6, :1000].mean() == pytest.approx(_truncated_mean(p.initial_matrix_age_years, oldest), rel=0.05)
    assert age[1:6, 1000:].mean() == pytest.approx(_truncated_mean(p.cortical_matrix_age_years, oldest), rel=0.05)
    # deeper than remodeling reaches, both are interstitial bone
    for half in (slice(0, 1000), slice(1000, None)):
        assert age[7:, half].mean() == pytest.approx(_truncated_mean(p.interstitial_matrix_age_years, oldest), rel=0.05)
    # no cortex: the trabecular rule throughout, drawn from the same numbers as an empty cortex
    plain = Tissue(bone, 10.0, p, np.random.default_rng(4), patient_age_years=85.0)
    empty = Tissue(bone, 10.0, p, np.random.default_rng(4), patient_age_years=85.0, cortex=np.zeros_like(bone))
    assert np.array_equal(plain.formed_day, empty.formed_day, equal_nan=True)


def test_osteoid_does_not_mineralise_before_the_lag():
    params = TissueParameters(mineralisation_lag_days=10.0)
    t = Tissue(half_bone(20, 10), 10.0, params, np.random.default_rng(0), start_day=0.0)
    t.resorb(10, 5, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 5, 0.0)
    for day in range(1, 10):
        t.mineralise(day, supply=1.0, growth_supply=1.0, max_mineral=np.inf)
        assert t.kind[10, 5] == OSTEOID and t.mineral[10, 5] == 0.0
    t.mineralise(10, supply=1.0, growth_supply=1.0, max_mineral=np.inf)
    assert t.kind[10, 5] == BONE and t.mineral[10, 5] > 0.0
    # with no mineral supply osteoid stays osteoid however old
    t.resorb(10, 6, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 6, 0.0)
    for day in range(11, 60):
        t.mineralise(day, supply=0.0, growth_supply=0.0, max_mineral=np.inf)
    assert t.kind[10, 6] == OSTEOID


def test_mineralisation_never_takes_more_than_supplied():
    t = Tissue(half_bone(20, 10), 10.0, TissueParameters(), np.random.default_rng(0), start_day=0.0)
    t.mineral[t.kind == BONE] = 0.5
    taken = t.mineralise(1.0, supply=1.0, growth_supply=1.0, max_mineral=3.0)
    assert taken == pytest.approx(3.0)
    assert t.mineral.sum() == pytest.approx(0.5 * (t.kind == BONE).sum() + 3.0)


def test_touches_is_four_adjacency_that_does_not_wrap_around_rows():
    rng = np.random.default_rng(5)
    for shape in ((5, 8), (8, 5), (1, 6), (6, 1), (64, 64)):
        mask = rng.random(shape) < 0.3
        p = np.pad(mask, 1)
        assert (touches(mask) == (p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:])).all()


def test_surfaces_are_marrow_beside_matrix_and_beside_mineralised_bone():
    t = random_tissue(np.random.default_rng(9))
    t.kind[(t.kind == BONE) & (np.random.default_rng(10).random(t.shape) < 0.4)] = OSTEOID
    p = np.pad(t.kind, 1, constant_values=MARROW)
    around = np.stack([p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]])
    marrow = t.kind == MARROW
    s = t.surfaces()
    assert (s.marrow == marrow).all()
    assert (s.matrix_surface == (marrow & (around != MARROW).any(axis=0))).all()
    assert (s.bone_surface == (marrow & (around == BONE).any(axis=0))).all()


def test_surfaces_kept_between_days_match_a_fresh_scan_through_any_change_of_the_tissue():
    rng = np.random.default_rng(11)
    t = Tissue(rng.random((12, 15)) < 0.5, 10.0, TissueParameters(mineralisation_lag_days=2.0), rng)
    for day in range(40):
        s = t.surfaces()
        fresh = Tissue(t.kind != MARROW, 10.0, TissueParameters(), np.random.default_rng(0))
        fresh.kind[:] = t.kind
        expected = fresh.surfaces()
        for name in ("marrow", "matrix_surface", "bone_surface"):
            assert (getattr(s, name) == getattr(expected, name)).all(), (day, name)
        s.bone_surface[:] = False  # the masks handed out are copies: changing them changes nothing kept
        bone, marrow = np.flatnonzero(t.kind == BONE), np.flatnonzero(t.kind == MARROW)
        for f in rng.choice(bone, min(3, bone.size), replace=False):
            t.resorb(*divmod(int(f), t.shape[1]), 1, 1, float(day), 0.0)
        for f in rng.choice(marrow, min(3, marrow.size), replace=False):
            t.deposit_osteoid(*divmod(int(f), t.shape[1]), float(day))
        t.mineralise(float(day), supply=1.0, growth_supply=1.0, max_mineral=10.0)  # osteoid of 2 days becomes bone
        if day % 7 == 3:  # a write to the layer from outside the tissue's methods is seen too
            t.kind[rng.integers(t.shape[0]), rng.integers(t.shape[1])] = OSTEOID


def test_voxel_set_indices_match_a_plain_set_through_any_changes():
    """VoxelSet keeps its sorted indices equal to its members, whether it updates or rebuilds them."""
    rng = np.random.default_rng(7)
    for start_size in (0, 10, 5000):
        start = rng.choice(100_000, start_size, replace=False)
        voxels, plain = VoxelSet(start), set(start.tolist())
        for _ in range(60):
            what = rng.integers(4)
            picked = rng.integers(0, 100_000, size=int(rng.integers(1, 50)))
            if what == 0:
                voxels.add(int(picked[0]))
                plain.add(int(picked[0]))
            elif what == 1:
                victim = int(rng.choice(sorted(plain))) if plain and rng.random() < 0.5 else int(picked[0])
                voxels.discard(victim)
                plain.discard(victim)
            elif what == 2:
                voxels.update(picked)
                plain.update(picked.tolist())
            else:
                voxels.difference_update(picked)
                plain.difference_update(picked.tolist())
            if rng.random() < 0.5:
                assert voxels.indices().tolist() == sorted(plain)
                assert len(voxels) == len(plain)
        assert voxels.indices().tolist() == sorted(plain)


def test_secondary_mineralisation_needs_crystal_growth_supply():
    """Old mineral matures towards full mineralisation only while the bone fluid can feed crystal growth."""
    params = TissueParameters(secondary_mineralisation_step_days=1)
    t = Tissue(half_bone(20, 10), 10.0, params, np.random.default_rng(0), start_day=0.0)
    t.mineral[t.kind == BONE] = 0.8
    assert t.mineralise(1.0, supply=1.0, growth_supply=0.0, max_mineral=np.inf) == 0.0
    assert np.all(t.mineral[t.kind == BONE] == 0.8)
    taken = t.mineralise(2.0, supply=0.0, growth_supply=1.0, max_mineral=np.inf)
    assert taken > 0.0 and np.all(t.mineral[t.kind == BONE] > 0.8)
