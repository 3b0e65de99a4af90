r"""Linear elasticity of the slice: a micro-finite-element compression test on a grid of elements.

The slice is compressed between two frictionless plates along its rows (axis 0) by an apparent
strain :math:`\bar\varepsilon`; its mineral is block-averaged to square elements of about
``slice_element_um``, each with the modulus :math:`E = E_0 m^p` of its mean mineral fraction and
void elements filled with a compliant stand-in for the out-of-plane trabeculae a 2D section cuts
away (the parameters below; the equations, boundary conditions and references are in
:mod:`bonegrid.readouts.strength`). Every element is meshed, so the grid and its constraints are
set up once per grid size and each solve only scales the element matrices by the moduli; the
system is solved by conjugate gradients preconditioned with one geometric multigrid V-cycle,
warm-started from the previous solve (:class:`SliceMechanics`).

Two users read the solve: the stiffness readout (:class:`bonegrid.readouts.strength.SliceTest`,
the apparent modulus from the strain energy) and the mechanostat (:mod:`bonegrid.mechanostat`,
the effective strain of the tissue in each element, which its cells sense).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from skfem import Basis, ElementQuad1, ElementVector, MeshQuad, asm
from skfem.assembly import Dofs
from skfem.models.elasticity import lame_parameters, linear_elasticity, plane_stress

from bonegrid.parameters import ParameterSet, param

__all__ = ["SliceMechanics", "StrengthParameters", "element_grid", "unit_element", "factorise"]

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



@functools.lru_cache(maxsize=4)
def element_grid(ny: int, nx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
def unit_element(nu: float, plane: str) -> np.ndarray:
    """Stiffness matrix (8, 8) of one unit-square element with E = 1, in :func:`element_grid` dof order."""
    mesh = MeshQuad.init_tensor(np.arange(2.0), np.arange(2.0))
    basis = Basis(mesh, ElementVector(ElementQuad1()))
    lam, mu = plane_stress(1.0, nu) if plane == "stress" else lame_parameters(1.0, nu)
    k = asm(linear_elasticity(lam, mu), basis).toarray()
    local = basis.element_dofs[:, 0]
    return k[np.ix_(local, local)]




def factorise(k: sp.sparray) -> object:
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

    The constrained dofs are those of the readout's direct solve
    (:func:`bonegrid.readouts.strength.apparent_stiffness`) on a grid with every element
    meshed: y at the bottom and top edges, and x at the bottom-left node. For moduli ``E``
    (one per element, row-major), the free-dof stiffness matrix ``K_ff`` has the fixed
    sparsity pattern ``(indices, indptr)`` and entries ``assembly @ E``; the load of the
    top plate displaced by ``-d`` is ``d * (load @ E)``; and ``u_c^T K_cc u_c = d^2 (plate @ E)``.
    """

    def __init__(self, ny: int, nx: int, nu: float, plane: str) -> None:
        element_dofs, node_row, node_col = element_grid(ny, nx)
        n = 2 * node_row.size
        height = node_row[np.arange(n) // 2]
        is_y = (np.arange(n) % 2) == 1
        top = is_y & (height == ny)
        free = ~(top | (is_y & (height == 0)))
        free[element_dofs[(ny - 1) * nx, 0]] = False         # x of the bottom-left node
        n_free = int(free.sum())
        index = (np.cumsum(free) - 1).astype(np.int64)              # dof -> free dof
        dofs = element_dofs.astype(np.int32)
        value = np.broadcast_to(unit_element(nu, plane).ravel(), (ny * nx, 64))  # (n_elements, 64), :func:`_pairs` order
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
        self.element_dofs, self.free, self.top = element_dofs, free, top
        self.unit = unit_element(nu, plane)
        self.interpolations = []
        coarse = (node_row, node_col, ny, nx, free)
        while int(coarse[4].sum()) > COARSEST_DOFS and min(coarse[2], coarse[3]) >= 4:
            interpolation, coarse = _coarsen(*coarse)
            self.interpolations.append(interpolation)
        self.restrictions = [sp.csr_array(p.T) for p in self.interpolations]  # P^T of each level, formed once

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
        preconditioner = _Multigrid(k, self.interpolations, self.restrictions).vcycle
        u, iterations, converged = _conjugate_gradients(k, f, u, preconditioner)
        if not converged:
            u = factorise(k).solve(f)
        return 0.5 * (_dot(u, k @ u) - 2.0 * _dot(u, f) + d * d * float(self.plate @ e)), u, iterations, not converged

    def effective_strain(self, displacement: np.ndarray, strain: float) -> np.ndarray:
        r"""Effective strain :math:`\sqrt{u_e^T K_1 u_e}` of each element, (ny, nx), from a solve's free displacements.

        :math:`K_1` is the unit-modulus element matrix, so this is :math:`\sqrt{2 w / E}` for an element
        of strain energy density :math:`w` and modulus :math:`E` (displacements in element units).
        """
        u = np.zeros(self.free.size)
        u[self.free] = displacement
        u[self.top] = -strain * self.ny
        ue = u[self.element_dofs]                                   # (n_elements, 8)
        quadratic = np.einsum("ei,ij,ej->e", ue, self.unit, ue)
        return np.sqrt(np.maximum(quadratic, 0.0)).reshape(self.ny, -1)


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

    def __init__(self, k: sp.sparray, interpolations: list[sp.sparray], restrictions: list[sp.sparray]) -> None:
        self.operators = [k]
        for p, r in zip(interpolations, restrictions, strict=True):
            self.operators.append(sp.csr_array(r @ self.operators[-1] @ p))
        self.interpolations = interpolations
        self.restrictions = restrictions
        self.smoothing = [JACOBI_WEIGHT / a.diagonal() for a in self.operators[:-1]]
        self.coarsest = factorise(self.operators[-1])

    def vcycle(self, r: np.ndarray, level: int = 0) -> np.ndarray:
        """Approximate ``K^-1 r``: smooth, correct on the coarser grid, smooth (symmetric, as CG needs)."""
        if level == len(self.interpolations):
            return self.coarsest.solve(r)
        a, w, p = self.operators[level], self.smoothing[level], self.interpolations[level]
        x = w * r
        x += p @ self.vcycle(self.restrictions[level] @ (r - a @ x), level + 1)
        x += w * (r - a @ x)
        return x


class SliceMechanics:
    r"""The model's slice compressed between two plates, repeated as the slice remodels.

    The mineral is block-averaged to elements of about ``slice_element_um`` (rows and columns
    beyond a whole block are dropped) and void elements are meshed with the out-of-plane fill
    ``out_of_plane_fill_fraction`` x E_0; each solve starts from the displacement of the last.

    Parameters
    ----------
    voxel_size_um : float
        Voxel edge of the slices to be solved, um.
    params : StrengthParameters, optional
        Defaults to ``StrengthParameters()``.

    Attributes
    ----------
    iterations : int
        Conjugate-gradient iterations of the last solve (0: the start was the solution already).
    direct : bool
        Whether the last solve was direct, the iterations not having converged within
        :data:`SLICE_SOLVER_MAX_ITERATIONS`.
    """

    def __init__(self, voxel_size_um: float, params: StrengthParameters | None = None) -> None:
        self.params = StrengthParameters() if params is None else params
        self.voxel_size_um = float(voxel_size_um)
        self.iterations = 0
        self.direct = False
        self._displacement: np.ndarray | None = None

    @property
    def element_voxels(self) -> int:
        """Voxels per element edge at this voxel size (at least 1)."""
        return max(1, int(round(self.params.slice_element_um / self.voxel_size_um)))

    def relative_moduli(self, mineral: np.ndarray) -> np.ndarray:
        """:math:`E / E_0` per element, (ny // k, nx // k), from the mineral fractions ``mineral`` (0..1)."""
        k = self.element_voxels
        ny, nx = (mineral.shape[0] // k) * k, (mineral.shape[1] // k) * k
        if ny == 0 or nx == 0:
            raise ValueError(f"a {mineral.shape} slice is smaller than one {self.params.slice_element_um:g} um element")
        return mineral[:ny, :nx].reshape(ny // k, k, nx // k, k).mean(axis=(1, 3)) ** self.params.mineral_exponent

    def solve(self, relative: np.ndarray) -> tuple[float, _GridTest]:
        """Compress the elements of relative moduli ``relative``; return the strain energy and the grid.

        The energy is ``u^T K u / 2`` in MPa x element^2 per unit depth; the displacement is kept
        for the next solve.
        """
        p = self.params
        modulus = np.maximum(relative, p.out_of_plane_fill_fraction) * (p.tissue_modulus_gpa * 1e3)
        grid = _GridTest.of(*relative.shape, p.poisson_ratio, p.plane_condition)
        energy, self._displacement, self.iterations, self.direct = grid.strain_energy(
            modulus, p.applied_strain, self._displacement)
        return energy, grid

    def strain_amplification(self, mineral: np.ndarray) -> np.ndarray:
        r"""Effective strain of each voxel's tissue element per unit of the applied strain, (ny, nx), 1.

        The effective strain of an element is :math:`\sqrt{2 w / E}` with :math:`w` its strain
        energy density: the strain a uniaxially loaded element of the same modulus would need to
        store the same energy (1 everywhere in a uniform block). It is 0 in void elements (no
        stiffer than the out-of-plane fill), whose strain is the fill's, not tissue's. Voxels beyond
        the last whole element take the nearest element's value.
        """
        relative = self.relative_moduli(mineral)
        _, grid = self.solve(relative)
        per_element = grid.effective_strain(self._displacement, self.params.applied_strain) / self.params.applied_strain
        per_element[relative <= self.params.out_of_plane_fill_fraction] = 0.0
        k = self.element_voxels
        voxels = np.repeat(np.repeat(per_element, k, axis=0), k, axis=1)
        return np.pad(voxels, [(0, mineral.shape[0] - voxels.shape[0]), (0, mineral.shape[1] - voxels.shape[1])],
                      mode="edge")
