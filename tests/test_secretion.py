"""bonegrid.secretion: which voxels secrete what, and how much, on a 16 x 16 slice computed by hand."""

import dataclasses

import numpy as np
import pytest
from conftest import half_bone, quiet_model

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.effects import CellModifiers
from bonegrid.secretion import SecretionParameters, source_maps
from bonegrid.tissue import APOPTOTIC, BONE, OSTEOID

# Round numbers, so the expected maps below can be written out by hand.
P = SecretionParameters(rankl_osteocyte_pM_per_day=200.0, rankl_apoptotic_osteocyte_pM_per_day=1.0e5,
                        rankl_surface_pM_per_day=60.0, opg_osteoblast_pM_per_day=2000.0, opg_marrow_pM_per_day=200.0,
                        sclerostin_osteocyte_pM_per_day=100.0)
MODS = CellModifiers(rankl=2.0, opg=0.5, sclerostin=3.0, osteocyte_rankl=4.0)


def slice16():
    """Rows 0-7 marrow, rows 8-15 bone (16 is the smallest grid a model takes); a viable osteocyte at
    (10, 5), an apoptotic one at (12, 9), an osteoblast at (7, 3) and an osteoclast at (7, 9) on surface row 7."""
    m = quiet_model(half_bone(16, 8))
    assert (m.tissue.kind[8:] == BONE).all() and m.osteocytes.counts() == (0, 0, 0)
    m.osteocytes.add(10, 5, m.day)
    m.osteocytes.add(12, 9, m.day)
    m.osteocytes.state[12, 9] = APOPTOTIC
    unit = m.units.open(m.day)
    Osteoblast(m, (7, 3), unit)
    Osteoclast(m, (7, 9), unit)
    return m


def maps(m, tgfb=None):
    tgfb = np.zeros(m.tissue.shape) if tgfb is None else tgfb
    return source_maps(m, MODS, P, tgfb, m.tissue.surfaces())


def test_rankl_from_surface_lining_viable_and_apoptotic_osteocytes():
    s = maps(slice16())
    expected = np.zeros((16, 16))
    expected[7, :] = 60.0 * 2.0          # every marrow voxel on the surface: s_RS x M_rankl = 120
    expected[10, 5] = 200.0 * 4.0 * 2.0   # viable osteocyte: s_ROt x M_OtR x M_rankl = 1600
    expected[12, 9] = 1.0e5 * 2.0         # apoptotic osteocyte: s_Rapo x M_rankl (not disuse-scaled) = 2e5
    np.testing.assert_array_equal(s["rankl"], expected)  # osteoclasts and osteoblasts add no RANKL
    assert s["rankl"].dtype == np.float32


def test_opg_from_marrow_stroma_and_osteoblasts():
    s = maps(slice16())
    expected = np.zeros((16, 16))
    expected[:8, :] = 200.0 * 0.5            # every marrow voxel: s_OM x M_opg = 100
    expected[7, 3] = (200.0 + 2000.0) * 0.5  # plus the osteoblast's s_OOb: 1100
    np.testing.assert_array_equal(s["opg"], expected)
    assert s["opg"].dtype == np.float32


def test_sclerostin_only_from_viable_osteocytes():
    s = maps(slice16())
    expected = np.zeros((16, 16))
    expected[10, 5] = 100.0 * 3.0  # s_S x M_scl; the apoptotic one at (12, 9) makes none
    np.testing.assert_array_equal(s["wnt_antagonist"], expected)


def test_tgfb_source_is_the_activated_latent_map_passed_in():
    m = slice16()
    activated = np.zeros(m.tissue.shape)
    activated[7, 3] = 7.0
    assert maps(m, activated)["tgfb"] is activated


def test_a_resorption_pit_moves_the_surface():
    # Resorbing (8, 0) makes it marrow: it becomes a surface voxel (touches (9, 0) and (8, 1)),
    # and (7, 0) above it no longer touches matrix, so it loses its lining RANKL.
    m = slice16()
    m.tissue.resorb(8, 0, m.units.open(m.day), 1, m.day, 0.0)
    s = maps(m)
    assert s["rankl"][7, 0] == 0.0 and s["rankl"][8, 0] == pytest.approx(120.0)
    assert s["rankl"][7, 1] == pytest.approx(120.0)   # still touches bone at (8, 1)
    assert s["opg"][8, 0] == pytest.approx(100.0)     # a new marrow voxel hosts stroma
    assert np.count_nonzero(s["rankl"] == 120.0) == 16  # row 7 minus (7, 0), plus (8, 0)


def test_sources_are_linear_in_the_rates():
    # Doubling every rate doubles every map (nothing secretes outside the rate terms).
    m = slice16()
    twice = SecretionParameters(**{k: 2 * getattr(P, k) for k in (
        "rankl_osteocyte_pM_per_day", "rankl_apoptotic_osteocyte_pM_per_day", "rankl_surface_pM_per_day",
        "opg_osteoblast_pM_per_day", "opg_marrow_pM_per_day", "sclerostin_osteocyte_pM_per_day")})
    one = maps(m)
    two = source_maps(m, MODS, twice, np.zeros(m.tissue.shape), m.tissue.surfaces())
    for name in ("rankl", "opg", "wnt_antagonist"):
        np.testing.assert_array_equal(two[name], 2 * one[name])


def test_lining_rankl_covers_osteoid_surfaces_too():
    # (7, 12) touches only the osteoid voxel (8, 12) below it: a matrix surface, though not a bone surface.
    m = slice16()
    t = m.tissue
    t.kind[8, 12] = OSTEOID
    t.mineral[8, 12] = 0.0
    surfaces = t.surfaces()
    assert not surfaces.bone_surface[7, 12]
    assert maps(m)["rankl"][7, 12] == pytest.approx(60.0 * 2.0)


def test_a_pannus_adds_rankl_and_dkk1_along_the_left_border_only():
    m = slice16()
    params = dataclasses.replace(P, pannus_width_um=30.0, pannus_rankl_pM_per_day=400.0, pannus_dkk1_pM_per_day=300.0)
    without = maps(m)
    with_pannus = source_maps(m, dataclasses.replace(MODS, pannus=0.5), params, np.zeros(m.tissue.shape),
                              m.tissue.surfaces())
    strip = np.zeros(m.tissue.shape, dtype=bool)
    strip[:, :3] = True  # 30 um at 10 um voxels
    np.testing.assert_allclose((with_pannus["rankl"] - without["rankl"])[strip], 200.0)  # 400 x synovitis 0.5
    np.testing.assert_allclose((with_pannus["wnt_antagonist"] - without["wnt_antagonist"])[strip], 150.0)
    for name in ("rankl", "wnt_antagonist", "opg"):
        np.testing.assert_array_equal(with_pannus[name][~strip], without[name][~strip])  # nothing beyond the strip
