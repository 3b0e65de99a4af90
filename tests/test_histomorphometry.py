"""Histomorphometry readouts: known answers on hand-made slices, and a real model left untouched."""

import copy
import dataclasses
import math

import numpy as np
import pytest
from skimage.measure import perimeter_crofton

from bonegrid.model import BoneModel
from bonegrid.readouts.balance import unit_statistics
from bonegrid.readouts.histomorphometry import (
    AXIS_WEIGHT,
    DIAGONAL_WEIGHT,
    Histomorphometry,
    histomorphometry,
    measure,
    unit_refill,
)
from bonegrid.remodeling_units import RemodelingUnits
from bonegrid.tissue import APOPTOTIC, BONE, EMPTY, MARROW, OSTEOID, VIABLE

H = 10.0  # um
W = 64    # window width, voxels


def surface_length(n_axis: int, n_diag: int) -> float:
    """Crofton length in um of n_axis 4-neighbour and n_diag diagonal matrix-marrow pairs."""
    return H * (AXIS_WEIGHT * n_axis + DIAGONAL_WEIGHT * n_diag)


def flat_surface() -> float:
    """Crofton length of one flat surface spanning the window: W vertical pairs, 2 (W - 1) diagonal pairs."""
    return surface_length(W, 2 * (W - 1))


def plates(thickness: int = 12, pitch: int = 40, n: int = 2) -> np.ndarray:
    """Horizontal plates spanning the window, ``pitch`` apart, the window edges at mid-gap."""
    kind = np.full((n * pitch, W), MARROW, dtype=np.int8)
    for i in range(n):
        top = i * pitch + (pitch - thickness) // 2
        kind[top:top + thickness] = BONE
    return kind


def run(kind: np.ndarray, **kw) -> Histomorphometry:
    return measure(kind, (kind == BONE).astype(float), H, **kw)


# ----------------------------------------------------------------------------- structure
def test_parallel_plates_have_their_thickness_spacing_and_number():
    kind = plates(thickness=12, pitch=40)           # 2 plates 120 um thick, 280 um of marrow between
    r = run(kind)
    assert r.bv_tv_pct == pytest.approx(100.0 * 24 / 80)
    assert r.tb_th_um == pytest.approx(120.0)
    assert r.tb_sp_um == pytest.approx(280.0)
    assert r.tb_n_per_mm == pytest.approx(1000.0 / 400.0)   # one plate per 400 um pitch
    # bone perimeter: four flat surfaces (the window edges are not surfaces)
    assert r.b_pm_mm * 1e3 == pytest.approx(4 * flat_surface())
    # BS/BV = 2/Th up to the Crofton bias of axis-aligned boundaries, (pi/8)(1 + sqrt 2) = 0.948
    bias = 4 * flat_surface() / (4 * W * H)
    assert bias == pytest.approx(math.pi / 8 * (1 + math.sqrt(2)), rel=0.02)
    assert r.bs_bv_per_mm == pytest.approx(2.0 / 0.120 * bias)
    assert abs(r.bs_bv_per_mm / (2.0 / 0.120) - 1.0) < 0.065   # 0.948 less the diagonal pairs lost at the edges
    # parallel-plate derivation: Th = 2 B.Ar / B.Pm, Sp = Th (TV/BV - 1), Tb.N = (BV/TV) / Th
    assert r.tb_th_plate_um == pytest.approx(120.0 / bias)
    assert r.tb_sp_plate_um == pytest.approx(280.0 / bias)
    assert r.tb_n_plate_per_mm == pytest.approx(2.5 * bias)
    assert r.t_ar_mm2 == pytest.approx(80 * W * H * H * 1e-6)
    assert r.b_ar_mm2 == pytest.approx(24 * W * H * H * 1e-6)


def test_direct_false_skips_only_the_local_thickness():
    kind = plates()
    fast, full = run(kind, direct=False), run(kind)
    assert math.isnan(fast.tb_th_um) and math.isnan(fast.tb_sp_um) and math.isnan(fast.tb_n_per_mm)
    assert dataclasses.replace(fast, tb_th_um=full.tb_th_um, tb_sp_um=full.tb_sp_um,
                               tb_n_per_mm=full.tb_n_per_mm) == full


def test_bv_tv_counts_osteoid_and_bone_as_matrix():
    rng = np.random.default_rng(3)
    kind = rng.choice([MARROW, OSTEOID, BONE], size=(50, 40), p=[0.6, 0.1, 0.3]).astype(np.int8)
    n_osteoid, n_bone = np.count_nonzero(kind == OSTEOID), np.count_nonzero(kind == BONE)
    r = run(kind, direct=False)
    assert r.bv_tv_pct == pytest.approx(100.0 * (n_osteoid + n_bone) / kind.size)
    assert r.ov_bv_pct == pytest.approx(100.0 * n_osteoid / (n_osteoid + n_bone))
    assert r.mineral_mean == pytest.approx(n_bone / (n_osteoid + n_bone))    # mineral 1 in bone, 0 in osteoid


def test_perimeter_is_the_crofton_estimate_of_skimage_and_near_the_true_length():
    yy, xx = np.mgrid[:90, :90]
    disc = (yy - 45) ** 2 + (xx - 43) ** 2 < 30 ** 2
    r = measure(np.where(disc, BONE, MARROW).astype(np.int8), disc * 1.0, 1.0, direct=False)
    assert r.b_pm_mm * 1e3 == pytest.approx(perimeter_crofton(disc, directions=4), rel=1e-12)
    assert r.b_pm_mm * 1e3 == pytest.approx(2 * math.pi * 30, rel=0.02)
    # a surface at 22.5 degrees reads about 2.6 % long (the other end of the Crofton bias)
    rows = np.arange(200)[:, None]
    cols = np.arange(200)[None, :]
    half = rows > np.tan(np.radians(22.5)) * cols + 20
    r = measure(np.where(half, BONE, MARROW).astype(np.int8), half * 1.0, 1.0, direct=False)
    true_length = 200 / np.cos(np.radians(22.5))
    assert r.b_pm_mm * 1e3 / true_length == pytest.approx(1.026, abs=0.01)


def test_connectivity_counts_fragments_and_holes():
    bars = np.zeros((40, 40), dtype=np.int8)
    bars[5:35, 8:14] = BONE
    bars[5:35, 24:30] = OSTEOID                    # osteoid is matrix too
    r = run(bars, direct=False)
    assert (r.n_fragments, r.euler_number) == (2, 2)
    assert r.largest_fragment_pct == pytest.approx(50.0)
    ring = np.zeros((40, 40), dtype=np.int8)
    ring[5:35, 5:35] = BONE
    ring[10:30, 10:30] = MARROW
    assert (run(ring).n_fragments, run(ring).euler_number) == (1, 0)
    ring[18:22, 10:30] = BONE                      # a strut across the hole: two holes
    assert run(ring, direct=False).euler_number == -1
    touching = np.zeros((10, 10), dtype=np.int8)   # diagonal contact joins matrix (8-connectivity)
    touching[2:5, 2:5] = BONE
    touching[5:8, 5:8] = BONE
    assert (run(touching).n_fragments, run(touching).euler_number) == (1, 1)
    # a network running out of the window: marrow reaching the edge is not a hole
    open_net = np.zeros((30, 30), dtype=np.int8)
    open_net[:, 10:13] = BONE
    open_net[15:18, :] = BONE
    assert run(open_net, direct=False).euler_number == 1


# ------------------------------------------------------------------------------ osteoid
@pytest.mark.parametrize("width", [1, 3])
def test_osteoid_seam_on_a_plate(width):
    kind = plates(thickness=12, pitch=40, n=1)
    top = (40 - 12) // 2
    kind[top:top + width] = OSTEOID
    r = run(kind)
    assert r.o_th_um == pytest.approx(width * H)
    assert r.os_bs_pct == pytest.approx(50.0)           # the top surface of two equal ones
    assert r.ov_bv_pct == pytest.approx(100.0 * width / 12)
    assert r.tb_th_um == pytest.approx(120.0)           # osteoid is part of the trabecula


def test_osteoid_seam_width_is_measured_perpendicular_to_an_oblique_surface():
    yy, xx = np.mgrid[:120, :120]
    s = yy + xx
    kind = np.where(s >= 100, BONE, MARROW).astype(np.int8)
    kind[(s >= 100) & (s < 108)] = OSTEOID             # 8 diagonal layers: 8 / sqrt 2 voxels wide
    r = run(kind, direct=False)
    assert r.o_th_um == pytest.approx(8 / math.sqrt(2) * H, rel=0.05)


def test_no_osteoid_gives_no_seam_width():
    r = run(plates(), direct=False)
    assert math.isnan(r.o_th_um) and r.os_bs_pct == 0.0 and r.ov_bv_pct == 0.0


# ------------------------------------------------------------------- eroded and cell surfaces
def test_eroded_surface_is_mineralised_bone_facing_an_open_cavity():
    kind = plates(thickness=12, pitch=40, n=1)
    top = (40 - 12) // 2
    cavity = np.zeros(kind.shape, dtype=np.int32)
    cavity[top - 3:top, :] = 7                          # the whole top surface faces cavity 7
    assert run(kind, cavity=cavity).es_bs_pct == pytest.approx(50.0)
    part = np.zeros_like(cavity)
    k = 20
    part[top - 1, :k] = 3                               # cavity over the first k columns only
    expected = surface_length(k, 2 * k - 1) / (2 * flat_surface())
    assert run(kind, cavity=part).es_bs_pct == pytest.approx(100.0 * expected)
    # osteoid laid in the cavity is osteoid surface, not eroded surface
    refilling = kind.copy()
    refilling[top] = OSTEOID
    r = run(refilling, cavity=cavity)
    assert r.es_bs_pct == 0.0 and r.os_bs_pct == pytest.approx(50.0)
    assert math.isnan(run(kind).es_bs_pct)             # not measured without the cavity layer


def test_cell_surfaces_are_the_faces_and_corners_their_voxels_touch():
    kind = plates(thickness=12, pitch=40, n=1)
    top, bottom = (40 - 12) // 2, (40 - 12) // 2 + 12   # marrow rows top - 1 and bottom touch the plate
    bs = 2 * flat_surface()
    clasts = (np.array([top - 1, top - 1, 2, top + 5]), np.array([30, 30, 30, 10]))  # duplicate, far, inside bone
    blasts = (np.array([bottom, bottom, bottom]), np.array([40, 41, 42]))
    r = run(kind, osteoclasts=clasts, osteoblasts=blasts)
    assert r.oc_s_bs_pct == pytest.approx(100.0 * surface_length(1, 2) / bs)
    assert r.ob_s_bs_pct == pytest.approx(100.0 * surface_length(3, 6) / bs)
    empty = (np.array([], dtype=int), np.array([], dtype=int))
    r = run(kind, osteoclasts=empty)
    assert r.oc_s_bs_pct == 0.0 and math.isnan(r.ob_s_bs_pct)
    with pytest.raises(ValueError, match="outside"):
        run(kind, osteoclasts=(np.array([0]), np.array([W])))


# ------------------------------------------------------------------------------ osteocytes
def test_osteocyte_density_and_empty_lacunae():
    kind = plates(thickness=12, pitch=40, n=1)          # 12 x 64 voxels = 0.0768 mm^2 of matrix
    top = (40 - 12) // 2
    state = np.zeros(kind.shape, dtype=np.int8)
    state[top + 2, 2:7] = VIABLE
    state[top + 5, 10:12] = APOPTOTIC
    state[top + 8, 20:23] = EMPTY
    state[0, 0] = VIABLE                                # not in matrix: not counted
    r = run(kind, osteocyte_state=state)
    b_ar = 12 * W * H * H * 1e-6
    assert r.n_ot_per_mm2 == pytest.approx(7 / b_ar)
    assert r.n_lacunae_per_mm2 == pytest.approx(10 / b_ar)
    assert r.empty_lacunae_pct == pytest.approx(30.0)
    assert math.isnan(run(kind).n_ot_per_mm2)
    state[top + 2, 2] = 4
    with pytest.raises(ValueError, match="osteocyte_state"):
        run(kind, osteocyte_state=state)


def test_empty_and_full_slices_do_not_fail():
    marrow = np.zeros((20, 20), dtype=np.int8)
    r = run(marrow)
    assert r.bv_tv_pct == 0.0 and r.n_fragments == 0 and math.isnan(r.tb_th_um) and math.isnan(r.bs_bv_per_mm)
    bone = np.full((20, 20), BONE, dtype=np.int8)
    r = run(bone)
    assert r.bv_tv_pct == 100.0 and r.bs_bv_per_mm == 0.0 and math.isnan(r.tb_th_plate_um)
    assert math.isnan(r.tb_sp_um) and math.isnan(r.o_th_um) and math.isnan(r.os_bs_pct)


def test_bad_inputs_are_refused_with_a_reason():
    kind = plates()
    with pytest.raises(ValueError, match="OSTEOID"):
        run(np.where(kind == BONE, 5, 0).astype(np.int8))
    with pytest.raises(ValueError, match="match kind"):
        measure(kind, np.zeros((3, 3)), H)
    with pytest.raises(ValueError, match="voxel_size_um"):
        measure(kind, np.zeros(kind.shape), 0.0)


def test_as_dict_uses_asbmr_names_with_units():
    r = run(plates(), direct=False)
    d, units = r.as_dict(), Histomorphometry.units()
    assert list(d) == list(units)
    for name, unit in [("BV/TV", "%"), ("Tb.Th", "um"), ("Tb.Sp", "um"), ("Tb.N", "1/mm"), ("BS/BV", "1/mm"),
                       ("OV/BV", "%"), ("O.Th", "um"), ("OS/BS", "%"), ("ES/BS", "%"), ("Oc.S/BS", "%"),
                       ("Ob.S/BS", "%"), ("N.Ot/B.Ar", "1/mm^2"), ("Ot.E.Lac/Ot.Lac", "%")]:
        assert units[name] == unit
    assert d["BV/TV"] == r.bv_tv_pct
    assert Histomorphometry.markdown_table().count("\n") == len(d) + 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.bv_tv_pct = 0.0


# ---------------------------------------------------------------------------------- refill
def test_refill_of_completed_units():
    units = RemodelingUnits()

    def unit(resorbed: int, formed: int, start: float, **cells) -> int:
        uid = units.open(start)
        for i in range(resorbed):
            units.record_resorption(uid, start + i)
        for i in range(formed):
            units.record_formation(uid, start + 30 + i)
        for key, value in cells.items():
            setattr(units.units[uid], key, value)
        return uid

    unit(10, 10, 0.0)                  # full refill
    unit(10, 5, 10.0)                  # half
    unit(20, 14, 20.0)                 # 0.7
    unit(8, 2, 150.0)                  # active until day 181: not yet quiet on day 200
    unit(8, 2, 0.0, osteoblasts=1)     # an osteoblast still works for it
    units.open(5.0)                    # nothing resorbed: not a unit that can be refilled
    r = unit_refill(units, 200.0)
    assert r["completed_units"] == 3
    assert r["refill_pooled"] == pytest.approx(29 / 40)
    assert r["refill_median"] == pytest.approx(0.7)
    assert r["refill_pooled"] == pytest.approx(unit_statistics(units, 200.0)["refill_total"])
    none = unit_refill(RemodelingUnits(), 200.0)
    assert none["completed_units"] == 0 and math.isnan(none["refill_pooled"]) and math.isnan(none["refill_median"])


# ------------------------------------------------------------------------------ real model
def snapshot(model: BoneModel) -> dict:
    return {
        "layers": {k: v.data.copy() for k, v in {**model.tissue.layers, **model.osteocytes.layers}.items()},
        "cells": sorted((type(a).__name__, a.pos) for a in model.agents),
        "units": copy.deepcopy(model.units.units),
        "rng": copy.deepcopy(model.rng.bit_generator.state),
        "random": model.random.getstate(),
        "day": model.day,
        "counters": (model.tissue.n_matrix, model.tissue.n_osteoid, model.osteocytes.counts()),
    }


@pytest.fixture(scope="module")
def remodeling_model():
    # a 0.96 mm window of a dense network at steady state (after the default burn-in); a 50-year-old's sparse
    # vertebral slice holds few trabeculae in it
    model = BoneModel(grid=96, seed=1, trabecular_spacing_um=500.0, trabecular_thickness_um=120.0,
                      trabecular_bone_fraction=0.0)
    for _ in range(365):                # wait for a unit with an open cavity and osteoid
        model.step()
        if model.tissue.n_osteoid and np.count_nonzero(model.tissue.cavity) and len(model.osteoblasts):
            break
    return model


def test_real_model_is_physiological_and_left_untouched(remodeling_model):
    model = remodeling_model
    assert model.tissue.n_osteoid and len(model.osteoblasts), "no remodeling unit within a year"
    before = snapshot(model)
    r = histomorphometry(model)
    again = histomorphometry(model)
    after = snapshot(model)
    np.testing.assert_equal(after, before)
    np.testing.assert_equal(again.as_dict(), r.as_dict())

    # consistent with the model's own bookkeeping
    assert r.bv_tv_pct == pytest.approx(100.0 * model.tissue.bone_volume_fraction)
    assert r.ov_bv_pct == pytest.approx(100.0 * model.tissue.osteoid_fraction)
    viable, apoptotic, empty = model.osteocytes.counts()
    assert r.empty_lacunae_pct == pytest.approx(100.0 * empty / (viable + apoptotic + empty))
    assert r.t_ar_mm2 == pytest.approx((96 * 10e-3) ** 2)

    # physiological ranges (trabecular bone; iliac/vertebral reference values, loose for a 0.64 mm window)
    d = r.as_dict()
    for key in ("BV/TV", "Tb.Th", "Tb.Sp", "Tb.N", "BS/BV", "OV/BV", "O.Th", "OS/BS", "ES/BS", "Oc.S/BS",
                "Ob.S/BS", "N.Ot/B.Ar", "Ot.E.Lac/Ot.Lac", "Tb.Th.plate", "Min.Mean"):
        assert math.isfinite(d[key]), key
    assert 10.0 <= r.bv_tv_pct <= 45.0
    # the plate model (2 B.Ar / B.Pm) reads eroded, rough surfaces as thinner than local thickness does
    assert 80.0 <= r.tb_th_um <= 250.0 and 60.0 <= r.tb_th_plate_um <= r.tb_th_um
    assert 200.0 <= r.tb_sp_um <= 1500.0
    assert 0.5 <= r.tb_n_per_mm <= 4.0
    assert 8.0 <= r.bs_bv_per_mm <= 40.0
    assert 0.0 < r.ov_bv_pct <= 10.0 and 10.0 <= r.o_th_um <= 50.0
    # ES/BS of a 0.96 mm window is that of the one or two units in it: over seeds 1-6 the first day with a unit
    # reads 4-43% (9-28% with the faster secondary mineralisation of earlier releases, another random path)
    assert 0.0 < r.os_bs_pct <= 60.0 and 0.0 <= r.es_bs_pct <= 50.0
    assert 0.0 <= r.oc_s_bs_pct <= 10.0 and 0.0 < r.ob_s_bs_pct <= 60.0
    assert 100.0 <= r.n_ot_per_mm2 <= 1000.0 and 0.0 <= r.empty_lacunae_pct <= 80.0
    assert 0.5 <= r.mineral_mean <= 1.0
    assert r.n_fragments >= 1
