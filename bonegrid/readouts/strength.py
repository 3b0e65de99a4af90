r"""Strength: apparent stiffness of the slice from a 2D micro-finite-element compression test.

The slice is tested as a specimen in a materials-testing machine: compressed between two
plates along its vertical (row, axis 0) direction, and its apparent Young's modulus is the
plate force over the specimen width and the applied strain. Because the answer comes from
the tissue's layout and not only its amount, thinning, perforated or disconnected trabeculae
and poorly mineralised matrix lower it more than they lower bone mass (Hernandez 2008).

Tissue modulus
    Each voxel is one bilinear quadrilateral element (scikit-fem ``ElementQuad1``, vector
    valued) with an isotropic, linear-elastic modulus set by its mineral fraction ``m``
    (0..1 of full mineralisation; 0 for marrow and osteoid):

    .. math:: E = E_0 \, m^{p}, \qquad \nu \text{ uniform},

    with :math:`E_0` the modulus of fully mineralised lamellar bone and :math:`p` the
    mineral exponent (modulus rises steeply with mineral content; Currey 1988, Hernandez
    2001). Tissue softer than :math:`f_m E_0` (marrow, osteoid, matrix that has just begun to
    mineralise) is *void*: by default it is left out of the mesh, as in standard micro-FE
    practice (van Rietbergen 1995). With ``mesh_marrow=True`` every voxel is meshed instead
    and void voxels get the soft modulus :math:`f_m E_0` (the default
    :math:`f_m = 10^{-6}`, 20 kPa, is at the stiff end of measured marrow, Jansen 2015).

Field equations (plane stress, the default)
    :math:`\nabla\cdot\sigma = 0` in the meshed voxels, :math:`\sigma = C(E,\nu)\,\varepsilon(u)`,
    :math:`\varepsilon = (\nabla u + \nabla u^T)/2`, with the 2D constitutive law

    .. math:: \sigma = 2\mu\,\varepsilon + \lambda^*\,\mathrm{tr}(\varepsilon)\,I,\qquad
              \mu = \frac{E}{2(1+\nu)},\quad
              \lambda^* = \frac{E\nu}{1-\nu^2}\ \text{(plane stress)}\ \text{or}\
              \frac{E\nu}{(1+\nu)(1-2\nu)}\ \text{(plane strain)}.

    Plane stress (:math:`\sigma_{zz}=0`) treats the slice as a thin section with free faces,
    which is what a 2D slice is; its solid-block modulus is exactly :math:`E`, so apparent
    moduli compare directly with tissue moduli. Plane strain (:math:`\varepsilon_{zz}=0`)
    would make every strut an infinitely deep wall and raise all moduli by
    :math:`1/(1-\nu^2)` (1.10 at :math:`\nu = 0.3`); it is available as ``plane_condition="strain"``.

Boundary conditions (on a slice of ``ny`` x ``nx`` voxels, height :math:`H`, width :math:`W`)
    - bottom edge: :math:`u_y = 0` (frictionless support), :math:`u_x` free;
    - top edge: :math:`u_y = -\bar\varepsilon H` (frictionless plate), :math:`u_x` free;
    - lateral edges and all bone-marrow surfaces: traction free;
    - rigid-body motion: :math:`u_x = 0` at one bottom node of each separate load-bearing
      piece (an x-translation of a piece changes no stress, so this adds no force).

Readout
    .. math:: E_{app} = \frac{F}{W\,\bar\varepsilon}, \qquad
              F = -\sum_{\text{top nodes}} (K u)_y ,

    the plate reaction per unit depth over the width, in MPa. The voxel size cancels (a
    linear-elastic structure scaled uniformly keeps its apparent modulus), so none is
    needed. The stored strain energy (Clapeyron) is :math:`U = F \bar\varepsilon H / 2`;
    its mean over the tissue voxels is reported as a mechanostat-style stimulus.

Void, disconnected and floating bone
    With void marrow (the default), only tissue that carries load is meshed: the
    4-connected (edge-sharing) tissue pieces that touch both the top and the bottom row.
    Everything else (floating islands, trabeculae broken off at one end, pieces hanging by
    a single voxel corner) carries no load at zero marrow stiffness, and would make the
    stiffness matrix singular (free rigid motion, or a free hinge at a shared corner node),
    so it is dropped; ``load_bearing_fraction`` reports how much tissue is left. A slice
    with no load path (e.g. a column cut through) has :math:`E_{app} = 0`, returned without
    a solve. Each remaining piece is rigid except for an x-translation, removed per
    8-connected cluster of pieces by the rule above, so the system is positive definite.
    With ``mesh_marrow=True`` the soft marrow ties everything together (one x-fixed node).
    The two routes converge as :math:`f_m \to 0` (on generated slices they agree to ~1e-6
    relative at :math:`f_m = 10^{-9}`; meshed marrow at the default :math:`f_m = 10^{-6}` adds
    ~0.1 %), except for load carried across corner-only contacts, which the soft route
    counts and the void route drops.

Solver
    The element stiffness matrix of a unit square is assembled once by scikit-fem from the
    weak form :math:`\int \sigma(u):\varepsilon(v)` and scaled by each element's modulus
    (every voxel element has the same shape, so this is exact); the global matrix is then
    built with numpy. This is ~30x faster than a heterogeneous ``skfem.asm`` over the grid
    (0.11 s against 3.3 s at 256 x 256 on one core). :func:`apparent_stiffness` solves the
    reduced system by SuperLU with a minimum-degree ordering of :math:`K + K^T` in symmetric
    mode (no pivoting, the matrix being symmetric positive definite): exact, for any mesh,
    about 0.3 s for a 256 x 256 spine slice and 0.9 s for a hip slice on one core, where
    conjugate gradients with a Jacobi preconditioner take 9-15 s (the bone-to-void contrast
    and thin struts make the system ill-conditioned). The model's repeated readout
    (:class:`SliceTest`) meshes every element of a coarser grid, so it sets the grid up once
    and solves by conjugate gradients with a geometric multigrid preconditioner, warm-started
    from its previous solve: 1.8x faster than the direct solve at 256², 8x at 1024², with memory
    near linear in the area (the direct solve's fill-in grows faster).

References
----------
- Currey JD (1988) The effect of porosity and mineral content on the Young's modulus of
  elasticity of compact bone. J Biomech 21:131-139. doi:10.1016/0021-9290(88)90006-1
- Hernandez CJ, Beaupre GS, Keller TS, Carter DR (2001) The influence of bone volume
  fraction and ash fraction on bone strength and modulus. Bone 29:74-78.
- Hernandez CJ (2008) How can bone turnover modify bone strength independent of bone
  mass? Bone 42:1014-1020.
- Jansen LE, Birch NP, Schiffman JD, Crosby AJ, Peyton SR (2015) Mechanics of intact bone
  marrow. J Mech Behav Biomed Mater 50:299-307. doi:10.1016/j.jmbbm.2015.06.023
- Rho JY, Tsui TY, Pharr GM (1997) Elastic properties of human cortical and trabecular
  lamellar bone measured by nanoindentation. Biomaterials 18:1325-1330.
- van Rietbergen B, Weinans H, Huiskes R, Odgaard A (1995) A new method to determine
  trabecular bone elastic properties and loading using micromechanical finite-element
  models. J Biomech 28:69-81.
- Zysset PK, Guo XE, Hoffler CE, Moore KE, Goldstein SA (1999) Elastic modulus and hardness
  of cortical and trabecular bone lamellae measured by nanoindentation in the human femur.
  J Biomech 32:1005-1012.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import scipy.sparse as sp
from scipy import ndimage
from scipy.sparse.linalg import splu
from skfem import Basis, ElementQuad1, ElementVector, MeshQuad, asm
from skfem.assembly import Dofs
from skfem.models.elasticity import lame_parameters, linear_elasticity, plane_stress

from bonegrid.parameters import ParameterSet, param

__all__ = ["SliceTest", "slice_stiffness", "StrengthParameters", "Stiffness", "apparent_stiffness", "relative_stiffness"]


@dataclasses.dataclass(frozen=True)
class StrengthParameters(ParameterSet):
    """Micro-finite-element compression test of the slice: tissue elasticity and test set-up."""

    tissue_modulus_gpa: float = param(
        20.0, unit="GPa", low=1.0, high=40.0, symbol="E_0",
        doc="Young's modulus of fully mineralised lamellar bone tissue",
        source="Zysset et al. 1999 (nanoindentation, lamellae 7-25 GPa); Rho et al. 1997 (approx. 20-25 GPa)")
    mineral_exponent: float = param(
        2.74, unit="1", low=1.0, high=5.0, symbol="p",
        doc="exponent of the tissue modulus in the mineral fraction, E = E_0 m^p",
        source="Hernandez et al. 2001 (E ~ ash fraction^2.74; m taken as ash fraction relative to full, "
               "approx.); Currey 1988 (steeper, ~3-4, in calcium content)")
    poisson_ratio: float = param(
        0.3, unit="1", low=0.0, high=0.49, symbol="\\nu",
        doc="Poisson ratio of bone tissue (uniform)",
        source="van Rietbergen et al. 1995; Zysset et al. 1999 (assumed 0.3)")
    plane_condition: str = param(
        "stress", unit="1", choices=("stress", "strain"), symbol="",
        doc="2D idealisation: plane stress (thin slice, free faces) or plane strain (infinitely deep walls)",
        source="modelling choice: a slice is a thin section; solid-block modulus equals E")
    marrow_modulus_fraction: float = param(
        1e-6, unit="1", low=1e-12, high=1e-2, symbol="f_m",
        doc="tissue softer than f_m E_0 (marrow, osteoid, barely mineralised matrix) is void; "
            "with mesh_marrow it is meshed with modulus f_m E_0",
        source="Jansen et al. 2015 (marrow 0.25-24.7 kPa; 1e-6 x 20 GPa = 20 kPa)")
    mesh_marrow: bool = param(
        False, unit="1", symbol="",
        doc="mesh the void voxels as soft marrow (slower: ~4.5 s against ~0.3 s at 256 x 256) instead of leaving them out",
        source="numerical choice: leaving marrow out is standard micro-FE practice (van Rietbergen et al. 1995)")
    applied_strain: float = param(
        0.001, unit="1", low=1e-6, high=0.05, symbol="\\bar\\varepsilon",
        doc="apparent compressive strain imposed by the top plate (moduli do not depend on it; strain "
            "energies scale with its square)",
        source="modelling choice: ~1000 microstrain, the order of habitual peak bone strains")
    stiffness_interval_days: int = param(
        180, unit="day", low=1, high=36500, symbol="\\Delta t_{FE}",
        doc="days between stiffness solves of the model's slice (day 0 is always solved)",
        source="numerical choice: a 256² slice solve (:class:`SliceTest`) costs ~35 ms")
    slice_element_um: float = param(
        40.0, unit="um", low=1.0, high=200.0, symbol="h_{FE}",
        doc="element size of the model's slice test: mineral is block-averaged from voxels to elements",
        source="numerical choice: ~4 elements across a 150 um trabecula; 64² elements solve in ~35 ms, within "
               "~5% of the 20 um mesh on the healthy slices")
    out_of_plane_fill_fraction: float = param(
        1e-2, unit="1", low=1e-12, high=1e-2, symbol="f_{3D}",
        doc="in the model's slice test, void elements get f E_0: a compliant stand-in for the out-of-plane "
            "trabeculae a 2D section cuts away",
        source="modelling choice: without it one cavity crossing the only vertical strut of a 2.56 mm section "
               "takes the modulus to 0 and back (measured: 180 -> 0 -> 156 MPa in 2 years of healthy remodeling)")


@dataclasses.dataclass(frozen=True)
class Stiffness:
    """Result of one compression test of the slice.

    Attributes
    ----------
    apparent_modulus_mpa : float
        Apparent Young's modulus along the loading axis, MPa (0 if no load path).
    tissue_strain_energy_density_kpa : float
        Strain energy stored at the applied strain, averaged over the tissue voxels
        (modulus above the void threshold), kPa (= kJ/m^3).
    load_bearing_fraction : float
        Fraction of tissue voxels in the load-bearing network (4-connected pieces that
        touch both loaded edges), 0..1.
    """

    apparent_modulus_mpa: float
    tissue_strain_energy_density_kpa: float
    load_bearing_fraction: float


def relative_stiffness(current: Stiffness | float, reference: Stiffness | float) -> float:
    """Apparent modulus of ``current`` relative to ``reference`` (e.g. the slice at day 0).

    Parameters
    ----------
    current, reference : Stiffness or float
        Results of :func:`apparent_stiffness`, or apparent moduli in MPa.

    Returns
    -------
    float
        ``current / reference``, dimensionless.

    Raises
    ------
    ValueError
        If the reference has no stiffness (no load path), so that no ratio exists.
    """
    cur = current.apparent_modulus_mpa if isinstance(current, Stiffness) else float(current)
    ref = reference.apparent_modulus_mpa if isinstance(reference, Stiffness) else float(reference)
    if not ref > 0.0:
        raise ValueError(f"reference apparent modulus is {ref!r} MPa; a relative stiffness needs a reference "
                         "slice with a load path (modulus > 0)")
    return cur / ref


def apparent_stiffness(mineral: np.ndarray, params: StrengthParameters | None = None, *,
                       axis: int = 0) -> Stiffness:
    """Apparent modulus of the slice under uniaxial compression, from a micro-FE solve.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction of full mineralisation per voxel, 0..1 (the ``Tissue.mineral``
        layer: 0 for marrow and osteoid). Read only.
    params : StrengthParameters, optional
        Defaults to ``StrengthParameters()``.
    axis : {0, 1}
        Loading direction: 0 compresses along rows (vertical, top to bottom edge); 1 along
        columns (horizontal, e.g. along the cortex of the hip window).

    Returns
    -------
    Stiffness
        Apparent modulus (MPa), tissue strain energy density (kPa) and load-bearing fraction.

    Raises
    ------
    ValueError
        If ``mineral`` is not a 2D array of finite values in [0, 1], or ``axis`` is not 0 or 1.

    Notes
    -----
    The voxel size does not enter: apparent moduli of a linear-elastic voxel structure do
    not depend on its scale. See the module docstring for equations and boundary conditions.
    """
    p = StrengthParameters() if params is None else params
    m = _check_mineral(mineral)
    if axis not in (0, 1):
        raise ValueError(f"axis={axis!r} is not allowed: expected 0 (compress along rows) or 1 (along columns)")
    if axis == 1:
        m = m.T
    rel = m ** p.mineral_exponent                 # E / E_0 per voxel
    tissue = rel > p.marrow_modulus_fraction
    bearing = _load_bearing(tissue)
    n_tissue, fraction = _tissue(tissue, bearing)
    if p.mesh_marrow:
        active = np.ones_like(tissue)
        rel = np.maximum(rel, p.marrow_modulus_fraction)
    else:
        active = bearing
    if not bearing.any() and not p.mesh_marrow:
        return Stiffness(0.0, 0.0, fraction)
    force = _plate_force(rel * (p.tissue_modulus_gpa * 1e3), active, p.poisson_ratio, p.plane_condition,
                         p.applied_strain)
    return _stiffness(force, m.shape, p.applied_strain, n_tissue, fraction)


SLICE_SOLVER_RTOL = 1e-6
"""Relative residual ``|K u - f| / |f|`` at which the slice test stops its conjugate-gradient iterations.

Measured against the direct solve on healthy spine slices of 256², 512² and 1024² voxels (64² to
256² elements of 40 um): the apparent modulus agrees to 2e-8 (relative) or better, warm or cold.
The modulus is read from the strain energy, whose error is the square of the displacement error."""

SLICE_SOLVER_MAX_ITERATIONS = 500
"""Conjugate-gradient iterations after which the slice test solves directly instead (it takes 10-40)."""

COARSEST_DOFS = 2000
"""The multigrid hierarchy coarsens until a level has at most this many free dofs, solved directly there."""

JACOBI_WEIGHT = 0.6
"""Damping of the Jacobi smoother of the multigrid preconditioner (one sweep before and one after)."""


class SliceTest:
    r"""The model's slice compression test (the ``stiffness`` readout), repeated as the slice remodels.

    The mineral is block-averaged to elements of about ``slice_element_um`` (rows and columns
    beyond a whole block are dropped) and void elements are meshed with the out-of-plane fill
    ``out_of_plane_fill_fraction`` x E_0 (see the parameters); the slice is then compressed
    vertically as in :func:`apparent_stiffness`, with the same boundary conditions.

    Every element is meshed, so the grid and its constraints are the same at every test: they
    are set up once per grid size, and each test only scales the element matrices by the
    moduli. The system is solved by conjugate gradients preconditioned with one geometric
    multigrid V-cycle (bilinear interpolation between grids of halved element counts, Galerkin
    coarse operators, damped Jacobi smoothing, a direct solve on the coarsest grid), starting
    from the displacement of the previous test: between two tests the slice changes little, so
    the warm start saves iterations (measured 180 days apart: 15 instead of 18 at 256², 20 instead
    of 35 at 1024²). The modulus is read from the strain
    energy, :math:`E_{app} = u^T K u / (\bar\varepsilon^2 W H)` (by Clapeyron equal to the plate
    reaction of the exact solution), which is accurate to the square of the solver's error: it
    agrees with the direct solve to better than 1e-7 (:data:`SLICE_SOLVER_RTOL`). Measured on
    healthy spine slices, one core (warm test / set-up once per grid / peak memory added): 256²
    (64² elements) 34 ms / 58 ms / 11 MB, 512² 93 ms / 0.16 s / 44 MB, 1024² 0.41 s / 0.64 s /
    181 MB; the direct solve of :func:`apparent_stiffness` takes 62 ms / 30 MB, 0.54 s / 142 MB
    and 3.5 s / 664 MB.

    Parameters
    ----------
    voxel_size_um : float
        Voxel edge of the slices to be tested, um.
    params : StrengthParameters, optional
        Defaults to ``StrengthParameters()``.

    Attributes
    ----------
    iterations : int
        Conjugate-gradient iterations of the last test (0: the start was the solution already).
    direct : bool
        Whether the last test was solved directly, the iterations not having converged within
        :data:`SLICE_SOLVER_MAX_ITERATIONS`.
    """

    def __init__(self, voxel_size_um: float, params: StrengthParameters | None = None) -> None:
        self.params = StrengthParameters() if params is None else params
        self.voxel_size_um = float(voxel_size_um)
        self.iterations = 0
        self.direct = False
        self._displacement: np.ndarray | None = None

    def __call__(self, mineral: np.ndarray) -> Stiffness:
        """Test the slice ``mineral`` ((ny, nx) mineral fractions, 0..1) now; see :class:`Stiffness`."""
        p = self.params
        m = _check_mineral(mineral)
        k = max(1, int(round(p.slice_element_um / self.voxel_size_um)))
        ny, nx = (m.shape[0] // k) * k, (m.shape[1] // k) * k
        if ny == 0 or nx == 0:
            raise ValueError(f"a {m.shape} slice is smaller than one {p.slice_element_um:g} um element")
        blocks = m[:ny, :nx].reshape(ny // k, k, nx // k, k).mean(axis=(1, 3))
        rel = blocks ** p.mineral_exponent                 # E / E_0 per element
        n_tissue, fraction = _tissue(rel > p.out_of_plane_fill_fraction)
        modulus = np.maximum(rel, p.out_of_plane_fill_fraction) * (p.tissue_modulus_gpa * 1e3)
        grid = _GridTest.of(*blocks.shape, p.poisson_ratio, p.plane_condition)
        energy, self._displacement, self.iterations, self.direct = grid.strain_energy(
            modulus, p.applied_strain, self._displacement)
        return _stiffness(2.0 * energy / (p.applied_strain * blocks.shape[0]), blocks.shape, p.applied_strain,
                          n_tissue, fraction)


def slice_stiffness(mineral: np.ndarray, voxel_size_um: float, params: StrengthParameters | None = None) -> Stiffness:
    """Apparent modulus of a model's slice as the model reports it (the ``stiffness`` readout): one :class:`SliceTest`."""
    return SliceTest(voxel_size_um, params)(mineral)


# ----------------------------------------------------------------------------- internals
def _check_mineral(mineral: np.ndarray) -> np.ndarray:
    m = np.asarray(mineral, dtype=np.float64)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"mineral must be a non-empty (ny, nx) array, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or m.min() < 0.0 or m.max() > 1.0:
        raise ValueError(f"mineral fractions must be finite and in [0, 1], got range [{m.min()}, {m.max()}]; "
                         "pass the Tissue.mineral layer")
    return m


def _tissue(tissue: np.ndarray, bearing: np.ndarray | None = None) -> tuple[int, float]:
    """Tissue voxels and the fraction of them in the load-bearing network (``bearing``, default found here)."""
    n_tissue = int(tissue.sum())
    bearing = _load_bearing(tissue) if bearing is None else bearing
    return n_tissue, float(bearing.sum() / n_tissue) if n_tissue else 0.0


def _stiffness(force: float, shape: tuple[int, int], strain: float, n_tissue: int, fraction: float) -> Stiffness:
    """Read a test: plate force per unit depth (MPa x voxel) -> modulus, strain energy density."""
    ny, nx = shape
    modulus = force / (nx * strain)
    energy = 0.5 * force * strain * ny          # MPa x voxel^2 per unit depth
    sed = 1e3 * energy / n_tissue if n_tissue else 0.0
    return Stiffness(float(modulus), float(sed), fraction)


def _load_bearing(tissue: np.ndarray) -> np.ndarray:
    """Tissue voxels in 4-connected pieces that touch both the top and the bottom row."""
    labels, _ = ndimage.label(tissue)
    spanning = np.intersect1d(labels[0][labels[0] > 0], labels[-1][labels[-1] > 0])
    return np.isin(labels, spanning)


@functools.lru_cache(maxsize=4)
def _grid(ny: int, nx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Element dofs in voxel order and node positions of the (ny, nx) voxel mesh.

    Returns
    -------
    element_dofs : (ny * nx, 8) int ndarray
        Global dofs of the element of voxel ``(i, j)`` at row ``i * nx + j``; node ``k``
        owns dofs ``2k`` (x) and ``2k + 1`` (y).
    node_row : (n_nodes,) int ndarray
        Height of each node in voxels above the bottom edge (0 bottom, ``ny`` top).
    node_col : (n_nodes,) int ndarray
        Position of each node in voxels from the left edge (0 .. ``nx``).
    """
    mesh = MeshQuad.init_tensor(np.arange(nx + 1.0), np.arange(ny + 1.0))
    dofs = Dofs(mesh, ElementVector(ElementQuad1())).element_dofs       # (8, n_elements)
    centre = mesh.p[:, mesh.t].mean(axis=1)                              # (2, n_elements), y up
    row = (ny - 1 - np.floor(centre[1])).astype(np.int64)
    col = np.floor(centre[0]).astype(np.int64)
    order = np.empty(dofs.shape[1], dtype=np.int64)
    order[row * nx + col] = np.arange(dofs.shape[1])
    return dofs[:, order].T.copy(), np.rint(mesh.p[1]).astype(np.int64), np.rint(mesh.p[0]).astype(np.int64)


@functools.lru_cache(maxsize=8)
def _unit_element(nu: float, plane: str) -> np.ndarray:
    """Stiffness matrix (8, 8) of one unit-square element with E = 1, in ``_grid`` dof order."""
    mesh = MeshQuad.init_tensor(np.arange(2.0), np.arange(2.0))
    basis = Basis(mesh, ElementVector(ElementQuad1()))
    lam, mu = plane_stress(1.0, nu) if plane == "stress" else lame_parameters(1.0, nu)
    k = asm(linear_elasticity(lam, mu), basis).toarray()
    local = basis.element_dofs[:, 0]
    return k[np.ix_(local, local)]


def _plate_force(modulus: np.ndarray, active: np.ndarray, nu: float, plane: str, strain: float) -> float:
    """Solve the compression test; return the top-plate reaction per unit depth, MPa x voxel.

    Parameters
    ----------
    modulus : (ny, nx) float ndarray
        Young's modulus per voxel, MPa.
    active : (ny, nx) bool ndarray
        Voxels to mesh: 4-connected pieces touching both the top and the bottom row.
    """
    ny, nx = modulus.shape
    element_dofs, node_row, _ = _grid(ny, nx)
    cells = np.flatnonzero(active.ravel())
    edofs = element_dofs[cells]                                         # (n_active, 8)
    used, local = np.unique(edofs, return_inverse=True)
    local = local.reshape(edofs.shape)
    ke = _unit_element(nu, plane)
    values = ke.ravel()[None, :] * modulus.ravel()[cells, None]          # (n_active, 64)
    rows = np.repeat(local, 8, axis=1)
    cols = np.tile(local, (1, 8))
    n = used.size
    k = sp.csr_array(sp.coo_array((values.ravel(), (rows.ravel(), cols.ravel())), shape=(n, n)))

    node = used // 2
    is_y = (used % 2) == 1
    height = node_row[node]
    bottom_y = is_y & (height == 0)
    top_y = is_y & (height == ny)
    # one x-fixed node per 8-connected cluster: the bottom-left node of its leftmost bottom voxel
    clusters, _ = ndimage.label(active, structure=np.ones((3, 3), dtype=bool))
    labels, first = np.unique(clusters[-1], return_index=True)
    first = first[labels > 0]
    fixed_x_dofs = element_dofs[(ny - 1) * nx + first, 0]                # x dof of local node 0 (bottom left)
    fixed = bottom_y | top_y | np.isin(used, fixed_x_dofs)

    u = np.zeros(n)
    u[top_y] = -strain * ny
    free = ~fixed
    k_ff = k[free][:, free].tocsc()
    rhs = -(k[free][:, fixed] @ u[fixed])
    u[free] = _factor(k_ff).solve(rhs)
    return float(-(k @ u)[top_y].sum())


def _factor(k: sp.sparray) -> object:
    """Sparse LU of a symmetric positive-definite matrix (SuperLU, minimum degree on K + K^T, no pivoting)."""
    return splu(sp.csc_array(k), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})


def _interpolation_1d(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation from a coarse line of ``ceil(n / 2)`` intervals to a fine line of ``n``.

    Returns
    -------
    left : (n + 1,) int ndarray
        Coarse node at or left of each fine node (the right neighbour is ``left + 1``).
    weight : (n + 1,) float ndarray
        Weight of the right neighbour (1 - weight of the left one).
    at : (ceil(n / 2) + 1,) int ndarray
        Fine node on which each coarse node sits (every second one, and the last).
    """
    nc = (n + 1) // 2
    at = np.minimum(2 * np.arange(nc + 1), n)
    j = np.arange(n + 1)
    left = np.minimum(j // 2, nc - 1)
    return left, (j - at[left]) / (at[left + 1] - at[left]), at


def _coarsen(node_row: np.ndarray, node_col: np.ndarray, ny: int, nx: int, free: np.ndarray):
    """One multigrid coarsening of an (ny, nx) element grid: halve the elements along each axis.

    Returns
    -------
    interpolation : (free fine dofs, free coarse dofs) sparse array
        Bilinear interpolation of coarse displacements (both components alike) to the fine free dofs.
    coarse : tuple
        ``(node_row, node_col, ny, nx, free)`` of the coarse grid; a coarse dof is constrained
        where the fine node under it is.
    """
    left_y, wy, at_y = _interpolation_1d(ny)
    left_x, wx, at_x = _interpolation_1d(nx)
    cy, cx = at_y.size, at_x.size
    ry, rx = left_y[node_row], left_x[node_col]
    fy, fx = wy[node_row], wx[node_col]
    fine = np.arange(node_row.size)
    rows = np.tile(fine, 4)
    cols = np.concatenate([rx * cy + ry, rx * cy + ry + 1, (rx + 1) * cy + ry, (rx + 1) * cy + ry + 1])
    vals = np.concatenate([(1 - fx) * (1 - fy), (1 - fx) * fy, fx * (1 - fy), fx * fy])
    keep = vals != 0.0
    nodes = sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=(node_row.size, cx * cy))
    dofs = sp.kron(nodes, sp.eye_array(2), format="csr")
    coarse_row, coarse_col = np.tile(np.arange(cy), cx), np.repeat(np.arange(cx), cy)
    fine_node = np.empty((ny + 1, nx + 1), dtype=np.int64)
    fine_node[node_row, node_col] = fine
    under = fine_node[at_y[coarse_row], at_x[coarse_col]]
    coarse_free = free[np.stack([2 * under, 2 * under + 1], axis=1).ravel()]
    return dofs[free][:, coarse_free], (coarse_row, coarse_col, cy - 1, cx - 1, coarse_free)


class _GridTest:
    """The compression test on a full grid of (ny, nx) elements: everything that does not depend on the moduli.

    The constrained dofs are those of :func:`_plate_force` on a grid with every element
    meshed: y at the bottom and top edges, and x at the bottom-left node. For moduli ``E``
    (one per element, row-major), the free-dof stiffness matrix ``K_ff`` has the fixed
    sparsity pattern ``(indices, indptr)`` and entries ``assembly @ E``; the load of the
    top plate displaced by ``-d`` is ``d * (load @ E)``; and ``u_c^T K_cc u_c = d^2 (plate @ E)``.
    """

    def __init__(self, ny: int, nx: int, nu: float, plane: str) -> None:
        element_dofs, node_row, node_col = _grid(ny, nx)
        n = 2 * node_row.size
        height = node_row[np.arange(n) // 2]
        is_y = (np.arange(n) % 2) == 1
        top = is_y & (height == ny)
        free = ~(top | (is_y & (height == 0)))
        free[element_dofs[(ny - 1) * nx, 0]] = False         # x of the bottom-left node
        n_free = int(free.sum())
        index = (np.cumsum(free) - 1).astype(np.int64)              # dof -> free dof
        dofs = element_dofs.astype(np.int32)
        value = np.broadcast_to(_unit_element(nu, plane).ravel(), (ny * nx, 64))  # (n_elements, 64), :func:`_pairs` order
        ff = _pairs(free[dofs], np.logical_and)
        keys = _pairs(index[dofs] * n_free, np.add, index[dofs])[ff]  # entries of K_ff, element by element
        entries = np.sort(keys)                                     # the CSR order, with repeats
        entries = entries[np.concatenate([[True], entries[1:] != entries[:-1]])]
        self.indices = (entries % n_free).astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(entries // n_free, minlength=n_free))]).astype(np.int32)
        position = np.searchsorted(entries, keys).astype(np.int32)
        del keys
        by_element = np.concatenate([[0], np.cumsum(ff.sum(axis=1))]).astype(np.int32)
        self.assembly = sp.csr_array((value[ff], position, by_element), shape=(ny * nx, entries.size)).T
        ft = _pairs(free[dofs], np.logical_and, top[dofs])
        element = np.broadcast_to(np.arange(ny * nx)[:, None], value.shape)
        row_dof = np.repeat(dofs, 8, axis=1)
        self.load = sp.csr_array((value[ft], (index[row_dof[ft]], element[ft])), shape=(n_free, ny * nx))
        tt = _pairs(top[dofs], np.logical_and)
        self.plate = np.bincount(element[tt], weights=value[tt], minlength=ny * nx)
        self.ny = ny
        self.interpolations = []
        coarse = (node_row, node_col, ny, nx, free)
        while int(coarse[4].sum()) > COARSEST_DOFS and min(coarse[2], coarse[3]) >= 4:
            interpolation, coarse = _coarsen(*coarse)
            self.interpolations.append(interpolation)

    @classmethod
    @functools.lru_cache(maxsize=4)
    def of(cls, ny: int, nx: int, nu: float, plane: str) -> _GridTest:
        """Return the test of an (ny, nx) element grid, set up once."""
        return cls(ny, nx, nu, plane)

    def strain_energy(self, modulus: np.ndarray, strain: float, guess: np.ndarray | None
                      ) -> tuple[float, np.ndarray, int, bool]:
        """Solve for the displacement under ``strain`` and return the strain energy.

        Parameters
        ----------
        modulus : (ny, nx) float ndarray
            Young's modulus per element, MPa.
        strain : float
            Applied compressive strain.
        guess : (n_free,) float ndarray or None
            Free displacements to start from (a previous test's), voxel units.

        Returns
        -------
        energy : float
            ``u^T K u / 2``, MPa x voxel^2 per unit depth.
        displacement : (n_free,) float ndarray
            The free displacements.
        iterations : int
            Conjugate-gradient iterations.
        direct : bool
            Whether they did not converge, so that the displacement comes from a direct solve.
        """
        e = modulus.ravel()
        d = strain * self.ny
        k = sp.csr_array((self.assembly @ e, self.indices, self.indptr), shape=(self.load.shape[0],) * 2)
        f = d * (self.load @ e)
        u = guess.copy() if guess is not None and guess.shape == f.shape else np.zeros_like(f)
        u, iterations, converged = _conjugate_gradients(k, f, u, _Multigrid(k, self.interpolations).vcycle)
        if not converged:
            u = _factor(k).solve(f)
        return 0.5 * (_dot(u, k @ u) - 2.0 * _dot(u, f) + d * d * float(self.plate @ e)), u, iterations, not converged


def _pairs(row: np.ndarray, op: np.ufunc, column: np.ndarray | None = None) -> np.ndarray:
    """``op`` of every (row dof, column dof) pair of each element, in the (8 x 8) order of its stiffness matrix.

    Parameters
    ----------
    row, column : (n_elements, 8) ndarray
        A value per element dof (``column`` defaults to ``row``).

    Returns
    -------
    (n_elements, 64) ndarray
        Entry ``8 i + j`` of element ``e`` is ``op(row[e, i], column[e, j])``.
    """
    column = row if column is None else column
    return op(row[:, :, None], column[:, None, :]).reshape(row.shape[0], -1)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product of two vectors, summed by numpy itself.

    BLAS would start threads above 10,000 entries, which on cores busy with other work makes each
    product wait for a time slice (measured: a solve 4x slower).
    """
    return float(np.einsum("i,i->", a, b))


def _conjugate_gradients(k: sp.sparray, f: np.ndarray, u: np.ndarray, precondition
                         ) -> tuple[np.ndarray, int, bool]:
    """Preconditioned conjugate gradients for ``k u = f`` from ``u`` (updated in place).

    Stops when ``|f - k u| <= SLICE_SOLVER_RTOL |f|``; returns the solution, the iterations and
    whether it converged within :data:`SLICE_SOLVER_MAX_ITERATIONS`.
    """
    r = f - k @ u
    stop = SLICE_SOLVER_RTOL * np.sqrt(_dot(f, f))
    z = precondition(r)
    direction, rz = z, _dot(r, z)
    for iteration in range(SLICE_SOLVER_MAX_ITERATIONS + 1):
        if np.sqrt(_dot(r, r)) <= stop:
            return u, iteration, True
        if iteration == SLICE_SOLVER_MAX_ITERATIONS:
            break
        kd = k @ direction
        step = rz / _dot(direction, kd)
        u += step * direction
        r -= step * kd
        z = precondition(r)
        rz, previous = _dot(r, z), rz
        direction = z + (rz / previous) * direction
    return u, SLICE_SOLVER_MAX_ITERATIONS, False


class _Multigrid:
    """One V-cycle on Galerkin coarse operators ``P^T K P``: the preconditioner of :class:`_GridTest`."""

    def __init__(self, k: sp.sparray, interpolations: list[sp.sparray]) -> None:
        self.operators = [k]
        for p in interpolations:
            self.operators.append(sp.csr_array(p.T @ self.operators[-1] @ p))
        self.interpolations = interpolations
        self.smoothing = [JACOBI_WEIGHT / a.diagonal() for a in self.operators[:-1]]
        self.coarsest = _factor(self.operators[-1])

    def vcycle(self, r: np.ndarray, level: int = 0) -> np.ndarray:
        """Approximate ``K^-1 r``: smooth, correct on the coarser grid, smooth (symmetric, as CG needs)."""
        if level == len(self.interpolations):
            return self.coarsest.solve(r)
        a, w, p = self.operators[level], self.smoothing[level], self.interpolations[level]
        x = w * r
        x += p @ self.vcycle(p.T @ (r - a @ x), level + 1)
        x += w * (r - a @ x)
        return x
