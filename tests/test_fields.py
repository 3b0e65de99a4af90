"""Tests of the daily signal-field solve (bonegrid.fields).

Analytic steady states, a slow general (sparse direct) solver as reference for the
spectral one, conservation, coarse-vs-fine agreement and hand-computed RANKL–OPG binding.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from bonegrid.fields import (
    FIELD_NAMES,
    FieldParameters,
    Fields,
    FieldSolver,
    coarsening_factor,
    free_rankl,
    rank_occupancy,
)
from bonegrid.parameters import ParameterError, markdown_table

VOXEL_UM = 10.0


def neumann_laplacian_1d(n: int, h: float) -> sp.csr_matrix:
    """Minus the 1D 3-point Laplacian with reflecting ends (ghost cell = edge cell)."""
    main = np.full(n, 2.0)
    main[[0, -1]] = 1.0
    off = -np.ones(n - 1)
    return sp.diags([off, main, off], [-1, 0, 1], format="csr") / h**2


def direct_solve_2d(source: np.ndarray, h: float, d: float, k: float) -> np.ndarray:
    """Slow general reference: sparse LU of (D(-lap_h) + k) c = s with no-flux edges."""
    my, mx = source.shape
    lap = sp.kron(neumann_laplacian_1d(my, h), sp.identity(mx)) + sp.kron(
        sp.identity(my), neumann_laplacian_1d(mx, h)
    )
    a = (d * lap + k * sp.identity(my * mx)).tocsc()
    return spla.spsolve(a, source.ravel()).reshape(my, mx)


def block_mean(a: np.ndarray, f: int) -> np.ndarray:
    ny, nx = a.shape
    return a.reshape(ny // f, f, nx // f, f).mean(axis=(1, 3))


def random_sparse_sources(rng, shape, density=0.01):
    return {n: rng.exponential(100.0, shape) * (rng.random(shape) < density) for n in FIELD_NAMES}


# (1) zero sources -------------------------------------------------------------------------


def test_zero_or_missing_sources_give_zero_fields():
    solver = FieldSolver((64, 96), VOXEL_UM, FieldParameters())
    for sources in ({}, {n: np.zeros((64, 96)) for n in FIELD_NAMES}):
        fields = solver.solve(sources)
        for name in (*FIELD_NAMES, "free_rankl"):
            assert getattr(fields, name).shape == (32, 48)
            assert np.all(getattr(fields, name) == 0.0)


# (2) uniform source -> s/k ------------------------------------------------------------------


def test_uniform_source_gives_s_over_k():
    params = FieldParameters()
    solver = FieldSolver((64, 96), VOXEL_UM, params)
    levels = {"rankl": 30.0, "opg": 7.0, "tgfb": 0.6, "wnt_antagonist": 2.0}
    fields = solver.solve({n: np.full((64, 96), s) for n, s in levels.items()})
    for name, s in levels.items():
        expected = s / params.decay_per_day(name)
        np.testing.assert_allclose(getattr(fields, name), expected, rtol=1e-10, atol=0)
    # binding is applied to the solved totals, cell by cell
    expected_free = free_rankl(30.0 / params.rankl_decay_per_day, 7.0 / params.opg_decay_per_day, 1e-3)
    np.testing.assert_allclose(fields.free_rankl, expected_free, rtol=1e-10)


# (3) 1D step source: discrete exact solution and continuum decay ----------------------------


def step_case():
    nx, h = 400, VOXEL_UM
    d, k = 4.0e5, 10.0  # screening length sqrt(D/k) = 200 µm = 20 cells; half-domain = 10 lengths
    params = FieldParameters(field_mesh_um=VOXEL_UM, rankl_diffusivity_um2_per_day=d, rankl_decay_per_day=k)
    s = 50.0
    row = np.where(np.arange(nx) < nx // 2, s, 0.0)
    solver = FieldSolver((3, nx), h, params)
    assert solver.factor == 1
    c = solver.solve({"rankl": np.tile(row, (3, 1))}).rankl
    return c, row, nx, h, d, k, s


def test_step_source_matches_sparse_direct_solve_of_discrete_problem():
    c, row, nx, h, d, k, _ = step_case()
    a = d * neumann_laplacian_1d(nx, h) + k * sp.identity(nx, format="csr")
    exact = spla.spsolve(a.tocsc(), row)
    for y in range(3):  # uniform in y
        np.testing.assert_allclose(c[y], exact, rtol=0, atol=1e-8 * exact.max())


def test_step_source_decays_with_screening_length():
    c, _, nx, h, d, k, s = step_case()
    ell = np.sqrt(d / k)
    x = (np.arange(nx) + 0.5) * h
    step = nx // 2 * h
    # Infinite-domain continuum solution (the no-flux ends are 10 lengths away: e^-20 corrections).
    continuum = np.where(
        x < step, s / k * (1 - 0.5 * np.exp(-(step - x) / ell)), s / (2 * k) * np.exp(-(x - step) / ell)
    )
    np.testing.assert_allclose(c[0], continuum, rtol=0, atol=0.01 * s / k)
    # Away from the step on the source-free side, ln c falls with slope -1/ell.
    far = (x > step + ell) & (x < step + 4 * ell)
    slope = np.polyfit(x[far], np.log(c[0, far]), 1)[0]
    assert slope == pytest.approx(-1 / ell, rel=0.02)
    # Deep on the source side c -> s/k (the end is 10 lengths from the step: O(e^-10) short).
    assert c[0, 0] == pytest.approx(s / k, rel=1e-4)


# (4) conservation: decay balances secretion --------------------------------------------------


@pytest.mark.parametrize("shape", [(256, 256), (96, 160)])
def test_total_decay_equals_total_secretion(shape):
    params = FieldParameters()
    solver = FieldSolver(shape, VOXEL_UM, params)
    assert solver.factor == 2
    sources = random_sparse_sources(np.random.default_rng(4), shape, density=0.05)
    fields = solver.solve(sources)
    f2 = solver.factor**2
    for name in FIELD_NAMES:
        k = params.decay_per_day(name)
        secreted = sources[name].sum()
        # a mesh cell holds f² voxels: k * f² * sum over cells = sum of fine sources
        assert k * f2 * getattr(fields, name).sum() == pytest.approx(secreted, rel=1e-8)
        assert k * fields.fine(name).sum() == pytest.approx(secreted, rel=1e-8)


# (5) coarse mesh vs full resolution -----------------------------------------------------------


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_coarse_and_fine_meshes_agree_beyond_one_screening_length(name):
    n = 256
    source = np.zeros((n, n))
    source[128:130, 128:130] = 250.0  # point source filling exactly one 20 µm mesh cell
    fine_params, coarse_params = FieldParameters(field_mesh_um=VOXEL_UM), FieldParameters()
    fine = FieldSolver((n, n), VOXEL_UM, fine_params).solve({name: source})
    coarse = FieldSolver((n, n), VOXEL_UM, coarse_params).solve({name: source})
    assert (fine.factor, coarse.factor) == (1, 2)
    ell = coarse_params.screening_length_um(name)

    # Solve accuracy: coarse values vs the fine solution averaged over each mesh cell.
    centre = (np.arange(128) - 64) * 20.0  # mesh-cell centres relative to the source (µm)
    r_mesh = np.hypot(centre[:, None], centre[None, :])
    reference = block_mean(getattr(fine, name), 2)
    rel = np.abs(getattr(coarse, name) - reference) / reference
    assert rel[r_mesh > ell].max() < 0.01

    # Point lookups: nearest mesh cell; voxel centres lie up to 7 µm from their cell centre,
    # and |d ln c/dr| <= 1.45/ell beyond ell (2D Green's function K0), so <= ~7.5% at 140 µm.
    centre_fine = (np.arange(n) - 128.5) * VOXEL_UM
    r_fine = np.hypot(centre_fine[:, None], centre_fine[None, :])
    a, b = fine.fine(name), coarse.fine(name)
    bound = 1.05 * np.hypot(5.0, 5.0) * 1.45 / ell
    assert (np.abs(b - a) / a)[r_fine > ell].max() < bound


# (6) RANKL–OPG binding, RANK occupancy -------------------------------------------------------


def test_free_rankl_hand_computed():
    # R_T = 10 pM, O_T = 1000 pM, K_A = 1e-3 /pM:
    #   b = K_A (R_T + O_T) + 1 = 1.01 + 1 = 2.01
    #   b² - 4 K_A² R_T O_T = 4.0401 - 4e-6 * 1e4 = 4.0001, sqrt = 2.0000249998
    #   x = 2 K_A R_T O_T / (b + sqrt) = 20 / 4.0100249998 = 4.9875000781 pM bound
    #   free = 10 - 4.9875000781 = 5.0124999219 pM
    # check: R_T / (1 + K_A (O_T - x)) = 10 / 1.9950125 = 5.01250 (mass action holds)
    r = free_rankl(np.array([10.0]), np.array([1000.0]), 1e-3)
    assert r[0] == pytest.approx(5.0124999219, rel=1e-9)


def test_free_rankl_properties():
    k_a = 1e-3
    opg = np.linspace(0.0, 1e5, 1001)
    r_t = np.full_like(opg, 10.0)
    r = free_rankl(r_t, opg, k_a)
    assert np.all(r <= r_t) and np.all(r > 0)
    assert np.all(np.diff(r) < 0)  # strictly decreasing in OPG
    assert r[0] == pytest.approx(10.0, rel=1e-15)  # no OPG: all RANKL free
    assert free_rankl(10.0, 1e-9, k_a) == pytest.approx(10.0, rel=1e-11)
    assert np.all(free_rankl(r_t, opg, 0.0) == r_t)  # no binding
    assert np.all(free_rankl(np.zeros(3), np.array([0.0, 5.0, 1e6]), k_a) == 0.0)


@pytest.mark.parametrize(
    ("r_t", "o_t"),
    [(10.0, 1e12), (1e5, 10.0), (3.0, 3.0), (1e-6, 1e3), (5e3, 4e3)],
)
def test_free_rankl_solves_mass_action_without_cancellation(r_t, o_t):
    k_a = 1e-3
    r = float(free_rankl(r_t, o_t, k_a))
    x = r_t - r  # complex
    # K_A (R_T - x)(O_T - x) = x, rewritten in r to avoid forming R_T - x: K_A r (O_T - R_T + r) = R_T - r
    beta = 1 + k_a * (o_t - r_t)
    assert k_a * r * r + beta * r - r_t == pytest.approx(0.0, abs=1e-12 * max(r_t, beta * r))
    assert 0 <= x <= min(r_t, o_t) * (1 + 1e-12)
    if o_t == 1e12:  # nearly all bound: r ≈ R_T/β to 1e-18; naive R_T - x loses ~6 digits here
        assert r == pytest.approx(r_t / beta, rel=1e-12)


def test_rank_occupancy():
    kd = FieldParameters().rank_rankl_dissociation_pM
    assert rank_occupancy(kd, kd) == pytest.approx(0.5)
    assert rank_occupancy(0.0, kd) == 0.0
    assert rank_occupancy(3 * kd, kd) == pytest.approx(0.75)
    fields = Fields(*(np.full((2, 2), v) for v in (1.0, 2.0, 3.0, 4.0, kd)), factor=2)
    np.testing.assert_allclose(fields.rank_occupancy(np.array([0, 3]), np.array([1, 2]), kd), 0.5)


# (7) non-negativity, and the spectral solve against a slow direct solve ----------------------


def test_random_sparse_sources_give_non_negative_fields():
    solver = FieldSolver((256, 256), VOXEL_UM, FieldParameters())
    rng = np.random.default_rng(7)
    for _ in range(3):
        fields = solver.solve(random_sparse_sources(rng, (256, 256), density=0.002))
        for name in (*FIELD_NAMES, "free_rankl"):
            assert getattr(fields, name).min() >= 0.0


@pytest.mark.parametrize("field_mesh_um", [10.0, 20.0, 30.0])
def test_spectral_solve_matches_sparse_direct_solve(field_mesh_um):
    # Short screening lengths (down to 1 mesh cell) make far values underflow towards
    # round-off, where an oscillating or wrongly-signed solver would show.
    params = FieldParameters(
        field_mesh_um=field_mesh_um, tgfb_diffusivity_um2_per_day=1e4, tgfb_decay_per_day=50.0
    )
    shape = (36, 60)
    solver = FieldSolver(shape, VOXEL_UM, params)
    sources = random_sparse_sources(np.random.default_rng(11), shape, density=0.03)
    fields = solver.solve(sources)
    f = solver.factor
    for name in FIELD_NAMES:
        exact = direct_solve_2d(
            block_mean(sources[name], f),
            f * VOXEL_UM,
            params.diffusivity_um2_per_day(name),
            params.decay_per_day(name),
        )
        assert exact.min() >= 0  # M-matrix: non-negative sources -> non-negative solution
        c = getattr(fields, name)
        assert c.min() >= 0
        # LU of the stiff OPG operator (D λ_max / k ~ 1e5) is itself only good to ~1e-11.
        np.testing.assert_allclose(c, exact, rtol=0, atol=1e-10 * exact.max())


# (8) coarsening factor and mesh shape --------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "voxel", "mesh", "factor"),
    [
        ((256, 256), 10.0, 20.0, 2),
        ((250, 250), 10.0, 20.0, 2),  # 250 is even
        ((255, 255), 10.0, 20.0, 1),  # 2 does not divide 255 and no larger factor is allowed
        ((255, 255), 10.0, 30.0, 3),
        ((256, 256), 10.0, 30.0, 2),  # 3 does not divide 256: next smaller divisor
        ((256, 384), 10.0, 40.0, 4),
        ((256, 384), 10.0, 50.0, 4),  # 5 divides neither
        ((256, 384), 10.0, 5.0, 1),  # mesh finer than the voxels: no coarsening
        ((90, 90), 0.1, 0.3, 3),  # 0.3/0.1 = 2.9999999999999996 in floats, still 3
        ((4, 6), 10.0, 1000.0, 2),  # never coarser than the grid allows
    ],
)
def test_coarsening_factor_rule(shape, voxel, mesh, factor):
    assert coarsening_factor(shape, voxel, mesh) == factor


def test_solver_mesh_for_default_grid():
    solver = FieldSolver((256, 256), VOXEL_UM, FieldParameters())
    assert (solver.factor, solver.mesh_shape, solver.mesh_um) == (2, (128, 128), 20.0)
    solver = FieldSolver((512, 512), VOXEL_UM, FieldParameters())
    assert solver.mesh_shape == (256, 256)


# Sampling, purity, errors, parameters --------------------------------------------------------


def test_point_lookup_matches_full_resolution_map():
    solver = FieldSolver((64, 96), VOXEL_UM, FieldParameters())
    fields = solver.solve(random_sparse_sources(np.random.default_rng(2), (64, 96), density=0.05))
    rng = np.random.default_rng(3)
    ys, xs = rng.integers(0, 64, 50), rng.integers(0, 96, 50)
    for name in (*FIELD_NAMES, "free_rankl"):
        full = fields.fine(name)
        assert full.shape == (64, 96)
        np.testing.assert_array_equal(fields.at(name, ys, xs), full[ys, xs])
        np.testing.assert_array_equal(fields.at(name, ys, xs), getattr(fields, name)[ys // 2, xs // 2])


def test_results_are_independent_of_later_solves():
    solver = FieldSolver((64, 64), VOXEL_UM, FieldParameters())
    rng = np.random.default_rng(5)
    first_sources, second_sources = random_sparse_sources(rng, (64, 64)), random_sparse_sources(rng, (64, 64))
    first = solver.solve(first_sources)
    kept = {n: getattr(first, n).copy() for n in (*FIELD_NAMES, "free_rankl")}
    second = solver.solve(second_sources)
    for name, values in kept.items():
        np.testing.assert_array_equal(getattr(first, name), values)
        assert not np.array_equal(getattr(second, name), values)


def test_bad_names_and_shapes_are_rejected():
    solver = FieldSolver((64, 64), VOXEL_UM, FieldParameters())
    with pytest.raises(KeyError, match="RANKL"):
        solver.solve({"RANKL": np.ones((64, 64))})
    with pytest.raises(ValueError, match="shape"):
        solver.solve({"rankl": np.ones((32, 32))})
    fields = solver.solve({})
    with pytest.raises(KeyError, match="sclerostin"):
        fields.at("sclerostin", np.array([0]), np.array([0]))


def test_parameters_are_validated_and_documented():
    with pytest.raises(ParameterError, match="rankl_decay_per_day"):
        FieldParameters(rankl_decay_per_day=0.0)  # the operator must stay invertible
    with pytest.raises(ParameterError, match="opg_diffusivity_um2_per_day"):
        FieldParameters(opg_diffusivity_um2_per_day=-1.0)
    params = FieldParameters()
    assert 100.0 <= params.screening_length_um("rankl") <= 200.0
    assert params.screening_length_um("opg") > 1000.0
    table = markdown_table(FieldParameters)
    assert "K_A" in table and "Pivonka" in table and "modelling choice" in table


def test_single_precision_solver_agrees_with_double():
    rng = np.random.default_rng(3)
    shape = (64, 64)
    sources = {name: rng.random(shape) * (rng.random(shape) < 0.05) * 1e4 for name in FIELD_NAMES}
    double = FieldSolver(shape, 10.0, FieldParameters()).solve(sources)
    single = FieldSolver(shape, 10.0, FieldParameters(), dtype=np.float32).solve(sources)
    for name in (*FIELD_NAMES, "free_rankl"):
        a, b = getattr(double, name), getattr(single, name)
        if name != "free_rankl":
            assert b.dtype == np.float32
        assert np.allclose(b, a, rtol=1e-4, atol=1e-4 * a.max()), name


# (7) solves on an interval: the drug still binds every day ---------------------------------


def test_rebind_binds_yesterdays_totals_for_todays_denosumab():
    rng = np.random.default_rng(5)
    sources = random_sparse_sources(rng, (64, 64), density=0.05)
    solver = FieldSolver((64, 64), VOXEL_UM, FieldParameters())
    untreated = solver.solve(sources)
    assert solver.rebind(untreated, 0.0) is untreated  # nothing to redo
    rebound = solver.rebind(untreated, 10.0)
    fresh = solver.solve(sources, denosumab_nM=10.0)
    assert rebound.denosumab_nM == 10.0 and rebound.rankl is untreated.rankl and rebound.opg is untreated.opg
    assert np.array_equal(rebound.free_rankl, fresh.free_rankl)
    assert rebound.free_rankl.max() < 0.5 * untreated.free_rankl.max()
    assert np.array_equal(solver.rebind(rebound, 0.0).free_rankl, untreated.free_rankl)
