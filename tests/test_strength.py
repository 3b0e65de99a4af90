"""Micro-FE stiffness readout: analytic composites, connectivity handling, cross-checks."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve
from skfem import Basis, BilinearForm, ElementQuad1, ElementVector, MeshQuad, asm
from skfem.helpers import ddot, eye, sym_grad, trace

import bonegrid.elasticity as fe
from bonegrid.microarchitecture import MicroarchitectureParameters, generate
from bonegrid.parameters import ParameterError
from bonegrid.readouts.strength import (
    SliceTest,
    Stiffness,
    StrengthParameters,
    apparent_stiffness,
    relative_stiffness,
    slice_stiffness,
)

P = StrengthParameters()
E0 = P.tissue_modulus_gpa * 1e3  # MPa


def tissue_modulus(m, p=P):
    return p.tissue_modulus_gpa * 1e3 * np.asarray(m) ** p.mineral_exponent


def modulus(mineral, **params):
    return apparent_stiffness(mineral, StrengthParameters(**params)).apparent_modulus_mpa


@pytest.fixture(scope="module")
def spine48():
    """A small generated spine network (no rod profiles) with heterogeneous mineral (0.4..1 in bone, 0 in marrow)."""
    dense = MicroarchitectureParameters(trabecular_spacing_um=500.0, trabecular_thickness_um=120.0,
                                        trabecular_bone_fraction=0.0)
    bone = generate("spine", (48, 48), 50.0, np.random.default_rng(3), dense)
    mineral = np.where(bone, np.random.default_rng(4).uniform(0.4, 1.0, bone.shape), 0.0)
    return mineral


# ----------------------------------------------------------------------------- solid block
@pytest.mark.parametrize("shape", [(1, 1), (12, 7), (5, 20)])
def test_solid_block_plane_stress_is_tissue_modulus(shape):
    s = apparent_stiffness(np.ones(shape))
    assert s.apparent_modulus_mpa == pytest.approx(E0, rel=1e-9)
    # Clapeyron: mean strain energy density of a homogeneous block is E eps^2 / 2 (MPa -> kPa)
    assert s.tissue_strain_energy_density_kpa == pytest.approx(1e3 * 0.5 * E0 * P.applied_strain**2, rel=1e-9)
    assert s.load_bearing_fraction == 1.0


def test_solid_block_plane_strain_is_stiffer_by_one_minus_nu_squared():
    for nu in (0.0, 0.3, 0.45):
        e = modulus(np.ones((10, 6)), plane_condition="strain", poisson_ratio=nu)
        assert e == pytest.approx(E0 / (1 - nu**2), rel=1e-9)


# ----------------------------------------------------------------------------- layered composites
def test_layers_parallel_to_load_give_voigt_average():
    # vertical layers strain alike, and with equal nu their lateral expansion is compatible: exact
    mineral_of_column = np.random.default_rng(0).uniform(0.3, 1.0, 11)
    mineral = np.tile(mineral_of_column, (16, 1))
    voigt = tissue_modulus(mineral_of_column).mean()
    for plane, factor in (("stress", 1.0), ("strain", 1 / (1 - 0.3**2))):
        assert modulus(mineral, plane_condition=plane) == pytest.approx(voigt * factor, rel=1e-9)


def test_layers_in_series_without_poisson_effect_give_reuss_average():
    # with nu = 0 the layers do not expand sideways, so there is no interface constraint: exact
    mineral_of_row = np.random.default_rng(1).uniform(0.3, 1.0, 13)
    mineral = np.tile(mineral_of_row[:, None], (1, 9))
    reuss = 1.0 / np.mean(1.0 / tissue_modulus(mineral_of_row))
    assert modulus(mineral, poisson_ratio=0.0) == pytest.approx(reuss, rel=1e-9)


def test_layers_in_series_with_poisson_effect_lie_between_reuss_and_laminate_bound():
    # With nu > 0 each layer would expand sideways by nu sigma / E_i; bonded interfaces force a
    # common lateral strain, which stiffens the stack. For layers bonded over an infinite width
    # (plane stress, sum of f_i sigma_xx,i = 0) the exact result is
    #     1 / E_lam = (1 - nu^2) / E_Reuss + nu^2 / E_Voigt,
    # reached where layers are thin against the width; free lateral edges relax the constraint
    # within about one layer thickness of the edge, so E_Reuss < E_app <= E_lam, and for
    # one-voxel layers in a 64-voxel-wide slice E_app is within a few per mille of the gap to E_lam.
    nu = 0.3
    n = 64
    mineral = np.where((np.arange(n) % 2 == 0)[:, None], 1.0, 0.5) * np.ones((n, n))
    e1, e2 = tissue_modulus([1.0, 0.5])
    reuss, voigt = 2.0 / (1 / e1 + 1 / e2), 0.5 * (e1 + e2)
    laminate = 1.0 / ((1 - nu**2) / reuss + nu**2 / voigt)
    e = modulus(mineral, poisson_ratio=nu)
    assert reuss * 1.04 < e <= laminate * (1 + 1e-9)          # the constraint stiffens by ~5 %
    assert (e - reuss) / (laminate - reuss) > 0.99


# ----------------------------------------------------------------------------- mineral and modulus scaling
def test_uniform_half_mineral_scales_by_half_to_the_exponent(spine48):
    assert modulus(np.full((9, 9), 0.5)) == pytest.approx(0.5**P.mineral_exponent * E0, rel=1e-9)
    bone = spine48 > 0
    full = modulus(np.where(bone, 1.0, 0.0))
    assert modulus(np.where(bone, 0.5, 0.0)) == pytest.approx(0.5**P.mineral_exponent * full, rel=1e-9)
    assert modulus(np.where(bone, 1.0, 0.0), tissue_modulus_gpa=10.0) == pytest.approx(full / 2, rel=1e-9)


def test_less_mineral_or_less_bone_is_less_stiff(spine48):
    base = modulus(spine48)
    assert modulus(spine48 * 0.9) < base
    thinned = spine48.copy()
    thinned[:, 20:28] = 0.0                                      # a vertical band of marrow
    assert modulus(thinned) < base


# ----------------------------------------------------------------------------- connectivity
def column(ny=20, nx=9, cols=slice(3, 6)):
    m = np.zeros((ny, nx))
    m[:, cols] = 1.0
    return m


def test_cut_column_has_no_stiffness_and_does_not_crash():
    m = column()
    m[10, :] = 0.0                                               # a horizontal gap cuts the only load path
    s = apparent_stiffness(m)
    assert s == Stiffness(0.0, 0.0, 0.0)
    soft = modulus(m, mesh_marrow=True)                         # soft marrow bridges the gap: ~ f_m E0
    assert 0.0 < soft < 1e-4 * modulus(column())
    assert apparent_stiffness(np.zeros((6, 6))).apparent_modulus_mpa == 0.0


def test_vertical_gap_leaves_two_columns_each_held_in_x():
    # two separate load-bearing pieces: each gets its own x-fixed node, the result is Voigt
    m = np.ones((16, 10))
    m[:, 4:6] = 0.0
    assert modulus(m) == pytest.approx(E0 * 8 / 10, rel=1e-9)
    assert modulus(m, mesh_marrow=True, marrow_modulus_fraction=1e-10) == pytest.approx(E0 * 8 / 10, rel=1e-6)


def test_floating_islands_and_hanging_pieces_are_dropped():
    m = column(nx=15)
    m[12, 6:9] = 1.0                                            # a strut attached at one end: load-bearing
    reference = apparent_stiffness(m)
    m[2:5, 9:12] = 0.8                                          # a floating island
    m[14, 14] = 1.0                                             # a one-voxel island at the edge
    m[0:8, 0:2] = 1.0                                           # a piece hanging from the top edge
    m[13, 9] = 0.9                                              # a voxel held by one corner (a free hinge)
    m[14, 10] = 0.9                                             # ... and another, hinged to it
    s = apparent_stiffness(m)
    assert s.apparent_modulus_mpa == pytest.approx(reference.apparent_modulus_mpa, rel=1e-12)
    assert s.load_bearing_fraction == pytest.approx((60 + 3) / (60 + 3 + 9 + 1 + 16 + 2), abs=1e-12)
    soft = modulus(m, mesh_marrow=True, marrow_modulus_fraction=1e-10)
    assert soft == pytest.approx(s.apparent_modulus_mpa, rel=1e-6)


def test_columns_joined_only_at_corners_form_one_cluster_and_solve():
    # two load-bearing columns (4-connected pieces) touching only at voxel corners (pin joints)
    m = np.zeros((20, 7))
    m[:, 0:3] = 1.0
    m[:, 4:7] = 1.0
    m[9, 3] = 1.0                                               # belongs to the left column ...
    m[9, 4] = 0.0                                               # ... and touches the right one at two corners
    e = modulus(m)
    both = E0 * 6 / 7
    assert np.isfinite(e)
    assert both * 0.95 < e < both * 1.05


# ----------------------------------------------------------------------------- symmetry, determinism, cross-checks
def test_mirror_images_and_loading_axis(spine48):
    e = modulus(spine48)
    assert modulus(spine48[:, ::-1]) == pytest.approx(e, rel=1e-9)
    assert modulus(spine48[::-1, :]) == pytest.approx(e, rel=1e-9)
    along_columns = apparent_stiffness(spine48.T.copy(), axis=1).apparent_modulus_mpa
    assert along_columns == pytest.approx(e, rel=1e-12)


def test_readout_is_deterministic_and_leaves_state_alone(spine48):
    before = spine48.copy()
    first = apparent_stiffness(spine48)
    second = apparent_stiffness(spine48)
    assert first == second
    np.testing.assert_array_equal(spine48, before)
    assert 0.0 < first.apparent_modulus_mpa < E0


def test_void_marrow_agrees_with_very_soft_meshed_marrow(spine48):
    void = apparent_stiffness(spine48)
    soft = apparent_stiffness(spine48, StrengthParameters(mesh_marrow=True, marrow_modulus_fraction=1e-10))
    assert soft.apparent_modulus_mpa == pytest.approx(void.apparent_modulus_mpa, rel=1e-4)


def test_fast_assembly_matches_scikit_fem_general_assembly():
    # slow general route: skfem assembles the heterogeneous weak form over the whole mesh
    rng = np.random.default_rng(7)
    ny, nx = 9, 12
    mineral = rng.uniform(0.2, 1.0, (ny, nx))
    nu = 0.3
    mesh = MeshQuad.init_tensor(np.arange(nx + 1.0), np.arange(ny + 1.0))
    basis = Basis(mesh, ElementVector(ElementQuad1()))
    centre = mesh.p[:, mesh.t].mean(axis=1)
    e = tissue_modulus(mineral)[(ny - 1 - np.floor(centre[1])).astype(int), np.floor(centre[0]).astype(int)]

    @BilinearForm
    def elasticity(u, v, w):
        lam, mu = w.E * nu / (1 - nu**2), w.E / (2 * (1 + nu))
        strain = sym_grad(u)
        return ddot(2 * mu * strain + lam * eye(trace(strain), 2), sym_grad(v))

    k = sp.csr_array(asm(elasticity, basis, E=np.repeat(e[:, None], basis.X.shape[-1], axis=1)))
    bottom, top = np.flatnonzero(mesh.p[1] == 0), np.flatnonzero(mesh.p[1] == ny)
    fixed = np.concatenate([basis.nodal_dofs[1, bottom], basis.nodal_dofs[1, top], basis.nodal_dofs[0, bottom[:1]]])
    u = np.zeros(k.shape[0])
    u[basis.nodal_dofs[1, top]] = -P.applied_strain * ny
    free = np.setdiff1d(np.arange(k.shape[0]), fixed)
    u[free] = spsolve(k[free][:, free].tocsc(), -(k[free][:, fixed] @ u[fixed]))
    expected = -(k @ u)[basis.nodal_dofs[1, top]].sum() / (nx * P.applied_strain)
    assert modulus(mineral) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------- API
def test_relative_stiffness():
    a, b = Stiffness(50.0, 1.0, 1.0), Stiffness(200.0, 2.0, 1.0)
    assert relative_stiffness(a, b) == 0.25
    assert relative_stiffness(50.0, b) == 0.25
    with pytest.raises(ValueError, match="reference"):
        relative_stiffness(a, Stiffness(0.0, 0.0, 0.0))


def test_bad_inputs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        apparent_stiffness(np.full((4, 4), 1.5))
    with pytest.raises(ValueError, match="non-empty"):
        apparent_stiffness(np.ones(5))
    with pytest.raises(ValueError, match="axis"):
        apparent_stiffness(np.ones((4, 4)), axis=2)
    with pytest.raises(ParameterError, match="plane_condition"):
        StrengthParameters(plane_condition="shell")
    with pytest.raises(ParameterError, match="poisson_ratio"):
        StrengthParameters(poisson_ratio=0.5)


def test_slice_stiffness_coarsens_and_bridges_a_cut_strut_out_of_plane():
    column = np.zeros((64, 64))
    column[:, 24:40] = 1.0
    cut = column.copy()
    cut[30:34, :] = 0.0
    p = StrengthParameters()
    intact = slice_stiffness(column, 10.0, p).apparent_modulus_mpa
    broken = slice_stiffness(cut, 10.0, p).apparent_modulus_mpa
    assert apparent_stiffness(cut).apparent_modulus_mpa == 0.0      # the 2D test alone: no load path
    assert 0.0 < broken < 0.7 * intact                                # the out-of-plane fill bridges, softer
    # a solid slice reads E_0 whatever the element size
    assert slice_stiffness(np.ones((64, 64)), 10.0, p).apparent_modulus_mpa == pytest.approx(20000.0, rel=1e-9)


# ----------------------------------------------------------------------------- the model's slice test
def direct_slice_test(mineral, k=4, p=P):
    """The slice test the slow, exact way: block-average, fill the voids out of plane, solve directly."""
    ny, nx = (mineral.shape[0] // k) * k, (mineral.shape[1] // k) * k
    blocks = mineral[:ny, :nx].reshape(ny // k, k, nx // k, k).mean(axis=(1, 3))
    filled = StrengthParameters(mesh_marrow=True, marrow_modulus_fraction=p.out_of_plane_fill_fraction)
    return apparent_stiffness(blocks, filled)


@pytest.fixture(scope="module")
def spine_slices():
    """A non-square generated spine slice (53 x 101 elements: two multigrid levels) and a remodeled copy."""
    bone = generate("spine", (212, 406), 10.0, np.random.default_rng(5), MicroarchitectureParameters())
    mineral = np.where(bone, np.random.default_rng(6).uniform(0.5, 1.0, bone.shape), 0.0)
    remodeled = mineral.copy()
    remodeled[100:130, 50:90] = 0.0                         # a resorption cavity
    remodeled[20:24, :] *= 0.5                              # a poorly mineralised band
    return mineral, remodeled


def test_slice_test_matches_the_direct_solve_cold_and_warm(spine_slices):
    mineral, remodeled = spine_slices
    test = SliceTest(10.0)
    assert len(fe._GridTest.of(53, 101, P.poisson_ratio, P.plane_condition).interpolations) == 2
    for m in (mineral, remodeled, mineral):
        got, exact = test(m), direct_slice_test(m)
        assert test.iterations > 1 and not test.direct
        assert got.apparent_modulus_mpa == pytest.approx(exact.apparent_modulus_mpa, rel=1e-7)
        assert got.tissue_strain_energy_density_kpa == pytest.approx(exact.tissue_strain_energy_density_kpa, rel=1e-7)
        assert got.load_bearing_fraction == exact.load_bearing_fraction
    assert slice_stiffness(remodeled, 10.0).apparent_modulus_mpa < slice_stiffness(mineral, 10.0).apparent_modulus_mpa


def test_slice_test_starts_from_its_last_displacement(spine_slices):
    mineral, remodeled = spine_slices
    warm = SliceTest(10.0)
    warm(mineral)
    warm(remodeled)
    cold = SliceTest(10.0)
    cold(remodeled)
    assert warm.iterations < cold.iterations
    again = SliceTest(10.0)
    again(remodeled)
    again(remodeled)
    assert again.iterations == 0 and not again.direct     # the same slice: solved already


def test_slice_test_falls_back_to_the_direct_solve(spine_slices, monkeypatch):
    mineral, _ = spine_slices
    monkeypatch.setattr(fe, "SLICE_SOLVER_MAX_ITERATIONS", 1)
    test = SliceTest(10.0)
    got = test(mineral)
    assert test.direct and test.iterations == 1
    assert got.apparent_modulus_mpa == pytest.approx(direct_slice_test(mineral).apparent_modulus_mpa, rel=1e-12)
