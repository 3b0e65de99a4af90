"""Morphometry of a slice on hand-made arrays: BV/TV, local thickness, Tb.Th, Tb.Sp, connectivity."""


import numpy as np
import pytest
from scipy import ndimage

from bonegrid.readouts.morphometry import (
    bone_volume_fraction,
    connectivity,
    local_thickness,
    trabecular_separation_um,
    trabecular_thickness_um,
)

H = 10.0  # um


def test_bone_volume_fraction_counts_bone_voxels():
    bone = np.zeros((10, 20), dtype=bool)
    bone[:3, :5] = True
    assert bone_volume_fraction(bone) == pytest.approx(15 / 200)


@pytest.mark.parametrize("rows, expected_um", [(12, 120.0), (11, 120.0), (20, 200.0)])
def test_thickness_of_a_plate(rows, expected_um):
    # Even plates measure exactly; odd ones one voxel more (documented convention).
    bone = np.zeros((64, 80), dtype=bool)
    bone[25:25 + rows] = True
    assert trabecular_thickness_um(bone, 10.0) == pytest.approx(expected_um)
    assert abs(trabecular_thickness_um(bone, 10.0) - 10.0 * rows) <= 10.0
    assert trabecular_thickness_um(bone, 5.0) == pytest.approx(expected_um / 2)


def test_thickness_of_a_disc_is_its_diameter():
    yy, xx = np.mgrid[:101, :101]
    disc = (yy - 50) ** 2 + (xx - 50) ** 2 <= 20**2
    thickness = local_thickness(disc, 1.0)
    assert np.ptp(thickness[disc]) == 0.0                  # one largest disc covers every voxel
    assert thickness[disc][0] == pytest.approx(40.0, abs=1.0)
    assert np.all(thickness[~disc] == 0.0)


def test_local_thickness_matches_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(4):
        mask = ndimage.gaussian_filter(rng.random((30, 40)), 2.5) > 0.5
        dist = ndimage.distance_transform_edt(mask)
        yy, xx = np.mgrid[:30, :40]
        slow = np.zeros(mask.shape)
        for y, x in zip(*np.nonzero(mask), strict=True):   # every voxel's largest inscribed disc
            cover = (yy - y) ** 2 + (xx - x) ** 2 < dist[y, x] ** 2 - 1e-9
            slow[cover] = np.maximum(slow[cover], 2 * dist[y, x])
        slow[~mask] = 0.0
        np.testing.assert_allclose(local_thickness(mask, 1.0), slow)


def test_separation_of_parallel_plates():
    bone = np.zeros((110, 60), dtype=bool)
    bone[0:10] = bone[50:60] = bone[100:110] = True         # two marrow gaps of 40 rows
    assert trabecular_separation_um(bone, 10.0) == pytest.approx(400.0)


def test_connectivity_of_hand_made_slices():
    ring = np.zeros((40, 40), dtype=bool)
    ring[10:30, 10:30] = True
    ring[14:26, 14:26] = False                             # marrow sealed inside a ring
    c = connectivity(ring)
    assert c["bone_largest"] == 1.0 and c["bone_components"] == 1
    assert c["marrow_open"] == pytest.approx(1 - 144 / (1600 - 256))
    bars = np.zeros((40, 40), dtype=bool)
    bars[5:10] = bars[20:25] = True                        # two bars cut the marrow into three
    c = connectivity(bars)
    assert c["bone_largest"] == pytest.approx(0.5)
    assert c["marrow_components"] == 3 and c["marrow_open"] == 1.0


# ------------------------------------------------------------------------------------ spine
