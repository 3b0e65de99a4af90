"""Morphometry of a slice on hand-made arrays: BV/TV, local thickness, Tb.Th, Tb.Sp, Tb.N, connectivity, Euler, Conn.D."""


import numpy as np
import pytest
from scipy import ndimage

from bonegrid.readouts.morphometry import (
    bone_volume_fraction,
    connectivity,
    euler_characteristic,
    euler_contribution,
    local_thickness,
    measure,
    trabecular_number_per_mm,
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


# ------------------------------------------------------------------------------ BoneJ's indices in 2D
def _cross(n=40, width=6):
    bone = np.zeros((n, n), dtype=bool)
    lo = (n - width) // 2
    bone[lo:lo + width] = True
    bone[:, lo:lo + width] = True
    return bone


@pytest.mark.parametrize("name, expected_chi, expected_delta", [
    ("empty", 0, 0.0),
    ("full", 1, 0.0),          # the plane of bone, cut: no contribution
    ("plate", 1, 0.0),         # a plate through the window: one strut of a larger network
    ("cross", 1, -1.0),        # two crossing struts: one node, one independent loop of the network
    ("island", 1, 1.0),        # a fragment inside the window: +1 wherever it is
    ("ring", 0, 0.0),          # a fragment enclosing a marrow cavity
])
def test_euler_characteristic_and_edge_corrected_contribution(name, expected_chi, expected_delta):
    bone = np.zeros((40, 40), dtype=bool)
    if name == "full":
        bone[:] = True
    elif name == "plate":
        bone[10:16] = True
    elif name == "cross":
        bone = _cross()
    elif name == "island":
        bone[12:20, 5:9] = True
    elif name == "ring":
        bone[10:30, 10:30] = True
        bone[14:26, 14:26] = False
    assert euler_characteristic(bone) == expected_chi
    assert euler_contribution(bone) == expected_delta


def test_contributions_of_windows_add_up_to_the_whole():
    # Cut a random structure into 3 x 3 windows. Where the bone crosses each cut the same way on
    # both sides (rows and columns repeated across the cut), the windows' Delta chi sum to the
    # whole's: the correction counts each cut edge half in each window and each corner a quarter.
    rng = np.random.default_rng(5)
    for _ in range(5):
        bone = ndimage.gaussian_filter(rng.random((120, 120)), 3.0) > 0.5
        for cut in (40, 80):
            bone[cut] = bone[cut - 1]
            bone[:, cut] = bone[:, cut - 1]
        pieces = [bone[i:i + 40, j:j + 40] for i in (0, 40, 80) for j in (0, 40, 80)]
        assert sum(euler_contribution(p) for p in pieces) == pytest.approx(euler_contribution(bone))


def test_a_lattice_has_one_loop_per_cell():
    # A square lattice of struts, 8 cells by 8 within the window: Conn.D is one loop per cell area.
    bone = np.zeros((160, 160), dtype=bool)
    for k in range(8):
        bone[20 * k + 8:20 * k + 12] = True
        bone[:, 20 * k + 8:20 * k + 12] = True
    m = measure(bone, 10.0)
    assert m.delta_euler == -64.0 and m.conn == 65.0
    assert m.conn_d_per_mm2 == pytest.approx(65.0 / 1.6**2)


def test_measure_gathers_the_indices_as_bonej_reports_them():
    bone = _cross(60, 8)
    m = measure(bone, 10.0)
    assert m.bv_tv == bone_volume_fraction(bone)
    assert m.tb_th_um == pytest.approx(trabecular_thickness_um(bone, 10.0))
    assert m.tb_sp_um == pytest.approx(trabecular_separation_um(bone, 10.0))
    assert m.tb_n_per_mm == pytest.approx(trabecular_number_per_mm(bone, 10.0))
    assert m.tb_n_per_mm == pytest.approx(1000.0 / (m.tb_th_um + m.tb_sp_um))
    thickness = local_thickness(bone, 10.0)[bone]
    assert m.tb_th_sd_um == pytest.approx(thickness.std()) and m.tb_th_max_um == thickness.max()
    assert [row[0] for row in m.rows()] == ["BV/TV", "Tb.Th", "Tb.Th.SD", "Tb.Th.Max", "Tb.Sp", "Tb.Sp.SD",
                                            "Tb.Sp.Max", "Tb.N", "Euler.N", "Delta.Euler", "Conn", "Conn.D"]


def test_trabecular_number_of_parallel_plates():
    # 100 um plates 400 um apart (the window cut mid-marrow): Tb.N = 1 / 0.5 mm.
    plates = ((np.arange(250) + 30) % 50 < 10)[:, None] & np.ones((1, 12), dtype=bool)
    assert trabecular_number_per_mm(plates, 10.0) == pytest.approx(2.0)
    assert trabecular_number_per_mm(plates, 5.0) == pytest.approx(4.0)
