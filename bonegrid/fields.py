r"""Signal fields: the daily quasi-steady solve of RANKL, OPG, TGF-β and Wnt antagonists.

Four proteins diffuse and decay in the slice: total RANKL (``rankl``), its decoy receptor
OPG (``opg``), active TGF-β (``tgfb``) and the pooled Wnt antagonists sclerostin + DKK1
(``wnt_antagonist``). They cross a millimetre within a day but decay within hours, so
each day every field is taken at its steady state for that day's secretion (the
screened Poisson problem)

.. math::

    D \nabla^2 c - k c = -s,

with :math:`c` in pM, :math:`D` in µm²/day, :math:`k` in 1/day and :math:`s` in pM/day.
The solution varies on the screening length :math:`\ell = \sqrt{D/k}`.

Boundary condition: no flux (homogeneous Neumann, :math:`\partial c/\partial n = 0`) at
the slice edges. The slice is a window into a larger piece of tissue, not an isolated
box: zero concentration at the edge (Dirichlet) would make the edges a sink that drains
signal from cells near them, and periodic edges would let cells on one side signal to
the opposite side. No flux treats the edges as mirrors (tissue outside is assumed to
look like the tissue inside), loses no protein, and keeps the steady-state balance
:math:`k \sum c = \sum s` exact.

Discretisation and solver: the 5-point Laplacian with reflective edges is diagonalised
by the type-II discrete cosine transform, with eigenvalue

.. math::

    -\lambda_{pq} = -\frac{(2 - 2\cos(\pi p/M_y)) + (2 - 2\cos(\pi q/M_x))}{H^2}

for mode :math:`(p, q)` on an :math:`M_y \times M_x` mesh of spacing :math:`H`. Hence
:math:`\hat c_{pq} = \hat s_{pq} / (D\lambda_{pq} + k)`: one forward DCT, one division,
one inverse DCT, done for all four fields in a single batched call.

Fields are smooth on their screening length (≥ 140 µm with the defaults), far coarser
than a 10 µm voxel, so they are solved on a coarser mesh of spacing about
``field_mesh_um``: sources are block-averaged onto the mesh (which conserves the amount
secreted), solved there, and sampled back by the nearest mesh cell.

RANKL–OPG binding: OPG is a decoy receptor. From the total concentrations the free
RANKL follows by exact mass action (:func:`free_rankl`), and RANK occupancy on
osteoclast precursors by a single-site binding curve (:func:`rank_occupancy`).

References
----------
Pivonka P, Zimak J, Smith DW, Gardiner BS, Dunstan CR, Sims NA, Martin TJ, Mundy GR
(2008). Model structure and control of bone remodeling: a theoretical study. Bone
43(2):249–263. doi:10.1016/j.bone.2008.03.025 (binding constants and degradation rates,
as coded in the ``bone-models`` package).

"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numba
import numpy as np
import scipy.fft

from bonegrid.parameters import ParameterError, ParameterSet, param

FIELD_NAMES = ("rankl", "opg", "tgfb", "wnt_antagonist")
"""Names of the solved fields, in the order of the batched solve."""

_MAP_NAMES = (*FIELD_NAMES, "free_rankl")

_PIVONKA = "Pivonka et al. 2008, Bone 43:249, doi:10.1016/j.bone.2008.03.025 (as coded in bone-models)"


@dataclasses.dataclass(frozen=True)
class FieldParameters(ParameterSet):
    """Transport and binding of the signal proteins (diffusivity, decay, RANKL–OPG–RANK binding)."""

    field_mesh_um: float = param(
        20.0, unit="µm", low=0.1, high=1000.0, symbol="H",
        doc="target spacing of the mesh the fields are solved on (coarsened from the voxel grid)",
        source="modelling choice: ≥ 7 mesh cells per RANKL screening length (140 µm); "
        "coarsening to 20 µm makes the solve ~4× cheaper")
    rankl_diffusivity_um2_per_day: float = param(
        2.0e5, unit="µm²/day", low=0.0, high=1.0e8, symbol="D_{RANKL}",
        doc="effective diffusivity of RANKL",
        source="modelling choice: RANKL is largely membrane-bound or matrix-hindered, so it is kept "
        "local: 2e5 µm²/day (2.3 µm²/s) with k = 10.13/day gives a screening length of 141 µm")
    rankl_decay_per_day: float = param(
        10.13, unit="1/day", low=1.0e-3, high=1.0e4, symbol="k_{RANKL}",
        doc="degradation rate of RANKL (half-life 1.6 h)",
        source=f"{_PIVONKA}: degradation rate of RANKL 10.13/day")
    opg_diffusivity_um2_per_day: float = param(
        1.0e6, unit="µm²/day", low=0.0, high=1.0e8, symbol="D_{OPG}",
        doc="effective diffusivity of soluble OPG",
        source="modelling choice: soluble dimeric glycoprotein (~110 kDa), ~40 µm²/s free in water, "
        "slowed ~3-4× by tissue tortuosity → 1e6 µm²/day (screening length 1.7 mm: nearly uniform)")
    opg_decay_per_day: float = param(
        0.35, unit="1/day", low=1.0e-3, high=1.0e4, symbol="k_{OPG}",
        doc="degradation rate of OPG (half-life 2 days)",
        source=f"{_PIVONKA}: degradation rate of OPG 0.35/day")
    tgfb_diffusivity_um2_per_day: float = param(
        2.0e6, unit="µm²/day", low=0.0, high=1.0e8, symbol="D_{TGF\\beta}",
        doc="effective diffusivity of active TGF-β",
        source="modelling choice: 25 kDa dimer, ~90 µm²/s free in water, slowed ~4× by tortuosity and "
        "matrix binding → 2e6 µm²/day; with k = 30/day the screening length is 258 µm")
    tgfb_decay_per_day: float = param(
        30.0, unit="1/day", low=1.0e-3, high=1.0e4, symbol="k_{TGF\\beta}",
        doc="inactivation/clearance rate of active TGF-β (half-life 33 min)",
        source="modelling choice: active TGF-β lives minutes to hours in tissue (k ~ 20-50/day); "
        "Pivonka 2008 uses 1/day for its lumped (latent + active) pool, not used here")
    wnt_antagonist_diffusivity_um2_per_day: float = param(
        1.0e6, unit="µm²/day", low=0.0, high=1.0e8, symbol="D_{W}",
        doc="effective diffusivity of the Wnt antagonists (sclerostin 22 kDa, DKK1 29 kDa)",
        source="modelling choice: small glycoproteins hindered in the lacuno-canalicular network and "
        "marrow → 1e6 µm²/day; with k = 7/day the screening length is 378 µm")
    wnt_antagonist_decay_per_day: float = param(
        7.0, unit="1/day", low=1.0e-3, high=1.0e4, symbol="k_{W}",
        doc="degradation rate of sclerostin and DKK1 (half-life 2.4 h)",
        source="modelling choice: local turnover of sclerostin/DKK1 of hours (k ~ 5-10/day)")
    opg_rankl_association_per_pM: float = param(
        1.0e-3, unit="1/pM", low=0.0, high=1.0e3, symbol="K_A",
        doc="equilibrium association constant of RANKL with OPG",
        source=f"{_PIVONKA}: K_A1,RANKL = 1e-3/pM. Some versions of the model use much larger values; "
        "1e-3 is kept because the model's secretion rates are calibrated around it")
    rank_rankl_dissociation_pM: float = param(
        4.457, unit="pM", low=1.0e-6, high=1.0e6, symbol="K_{D,RANK}",
        doc="RANKL concentration at which half of RANK on osteoclast precursors is occupied",
        source=f"{_PIVONKA}: activation coefficient of RANKL on osteoclast precursors, 4.457 pM")
    denosumab_rankl_association_per_pM: float = param(
        0.33, unit="1/pM", low=0.0, high=1.0e3, symbol="K_{A,D}",
        doc="equilibrium association constant of RANKL with denosumab (K_D ~ 3 pM)",
        source="Kostenuik 2009 (denosumab binds human RANKL with K_D ~ 3 pM)")
    denosumab_interstitial_fraction: float = param(
        0.2, unit="1", low=0.0, high=1.0, symbol="f_D",
        doc="denosumab in bone-marrow interstitial fluid relative to serum (IgG tissue penetration)",
        source="modelling choice: interstitial IgG is ~10-30% of serum (approx.)")

    denosumab_shielded_rankl_fraction: float = param(
        0.16, unit="1", low=0.0, high=1.0, symbol="\\phi_D",
        doc="share of RANKL presented to precursors in direct cell contact (osteocyte dendrites, "
            "osteoblast-lineage cells under the remodeling canopy) that circulating denosumab does not "
            "reach; locally secreted OPG does",
        source="membrane RANKL of osteocytes and osteoblasts drives remodeling (Xiong 2011, "
               "doi:10.1038/nm.2452); the remodeling compartment is canopied (Hauge 2001, "
               "doi:10.1359/jbmr.2001.16.9.1575); fitted to the postmenopausal_denosumab CTX band: CTX -85% "
               "on the drug (FREEDOM, Cummings 2009, doi:10.1056/NEJMoa0809493: -86% at 1 month, -72% before "
               "each dose); re-fit: python -m bonegrid.runs.calibrate denosumab_shielded_rankl_fraction")

    field_interval_days: int = param(
        3, unit="day", low=1, high=30, symbol="\\Delta t_F",
        doc="days between solves of the fields: in between, cells sense the last solve's fields (the RANKL "
            "they bind re-evaluated each day for the day's denosumab); 1 solves every day",
        source="numerical choice: the fields answer a changed secretion within hours, but what they drive "
               "(osteoclastogenesis, osteoblast recruitment after a reversal of 1-2 weeks, osteoclast lives of "
               "weeks) changes over weeks. Measured against 1 (256² spine): the healthy balance (seeds 1-5, 10 "
               "years) and the validation table (seeds 1-3) stay within their seed noise (89 of 91 rows within 2 "
               "standard errors; denosumab's CTX +10%, 3.8 SE: TGF-beta's osteoclast apoptosis acts a day late on "
               "average), and a simulated day costs about a quarter less CPU (ratios 0.66-0.82 in 2-year runs; 0.72 for 5 "
               "builds and 10-year runs)")

    def diffusivity_um2_per_day(self, name: str) -> float:
        """Diffusivity :math:`D` of field ``name`` (µm²/day)."""
        return getattr(self, f"{_check_field(name)}_diffusivity_um2_per_day")

    def decay_per_day(self, name: str) -> float:
        """Decay rate :math:`k` of field ``name`` (1/day)."""
        return getattr(self, f"{_check_field(name)}_decay_per_day")

    def screening_length_um(self, name: str) -> float:
        r"""Screening length :math:`\ell = \sqrt{D/k}` of field ``name`` (µm)."""
        return float(np.sqrt(self.diffusivity_um2_per_day(name) / self.decay_per_day(name)))


def _check_field(name: str, allowed: tuple[str, ...] = FIELD_NAMES) -> str:
    if name not in allowed:
        raise KeyError(f"unknown field {name!r}: expected one of {', '.join(allowed)}")
    return name


def coarsening_factor(shape: tuple[int, int], voxel_size_um: float, field_mesh_um: float) -> int:
    """Choose the number of voxels per field-mesh cell along each axis.

    The factor is the largest integer ``f`` with ``f <= field_mesh_um / voxel_size_um``
    that divides both grid dimensions, and at least 1. Examples with 10 µm voxels and a
    20 µm target: 256 → 2, 250 → 2, 255 → 1 (2 does not divide 255); with a 30 µm
    target 255 → 3 but 256 → 2.

    Parameters
    ----------
    shape : (int, int)
        Fine grid shape ``(ny, nx)``.
    voxel_size_um : float
        Voxel edge (µm).
    field_mesh_um : float
        Target field-mesh spacing (µm).

    Returns
    -------
    int
        Coarsening factor ``f >= 1``; the mesh is ``(ny // f, nx // f)`` with spacing
        ``f * voxel_size_um``.

    Examples
    --------
    >>> coarsening_factor((256, 256), 10.0, 20.0), coarsening_factor((255, 255), 10.0, 20.0)
    (2, 1)
    >>> coarsening_factor((255, 255), 10.0, 30.0)
    3

    """
    ny, nx = shape
    target = int(np.floor(field_mesh_um / voxel_size_um * (1.0 + 1e-9)))  # 0.3/0.1 counts as 3
    for f in range(max(1, min(target, ny, nx)), 1, -1):
        if ny % f == 0 and nx % f == 0:
            return f
    return 1


def free_rankl(rankl_total: np.ndarray, opg_total: np.ndarray, association_per_pM: float) -> np.ndarray:
    r"""Free RANKL left after binding to the decoy receptor OPG (exact mass action).

    With totals :math:`R_T`, :math:`O_T` and association constant :math:`K_A`, the complex
    :math:`x = [RO]` solves :math:`K_A (R_T - x)(O_T - x) = x`; its root in
    :math:`[0, \min(R_T, O_T)]` is

    .. math::

        x = \frac{2 K_A R_T O_T}{b + \sqrt{b^2 - 4 K_A^2 R_T O_T}}, \qquad b = K_A (R_T + O_T) + 1,

    and free RANKL is :math:`r = R_T - x`. To stay accurate when nearly all RANKL is bound
    (:math:`K_A O_T \gg 1`, where :math:`R_T - x` would cancel), :math:`r` is computed from
    its own quadratic :math:`K_A r^2 + \beta r - R_T = 0`, :math:`\beta = 1 + K_A (O_T - R_T)`,
    whose discriminant is the sum :math:`\beta^2 + 4 K_A R_T` (equal to
    :math:`b^2 - 4K_A^2 R_T O_T`):

    .. math::

        r = \frac{2 R_T}{\beta + \sqrt{\beta^2 + 4 K_A R_T}} \quad (\beta \ge 0), \qquad
        r = \frac{\sqrt{\beta^2 + 4 K_A R_T} - \beta}{2 K_A} \quad (\beta < 0),

    each free of cancellation on its branch (:math:`\beta < 0` only when RANKL exceeds OPG
    by more than :math:`1/K_A`). RANK is not subtracted: it is read out by
    :func:`rank_occupancy`, not treated as a sink.

    Parameters
    ----------
    rankl_total : ndarray, pM
        Total RANKL :math:`R_T` (free + bound to OPG), non-negative.
    opg_total : ndarray, pM
        Total OPG :math:`O_T`, non-negative; same shape as ``rankl_total`` or broadcastable.
    association_per_pM : float, 1/pM
        :math:`K_A` of RANKL–OPG.

    Returns
    -------
    ndarray, pM
        Free RANKL, :math:`0 \le r \le R_T`; equal to :math:`R_T` when :math:`O_T = 0`.

    Examples
    --------
    Without OPG all RANKL is free; with equal totals of 1000 pM and :math:`K_A = 10^{-3}`/pM,
    :math:`b = 3` and :math:`x = 2000 / (3 + \sqrt 5) = 381.966` pM are bound:

    >>> free_rankl(np.array([100.0]), np.array([0.0]), 1e-3)
    array([100.])
    >>> free_rankl(np.array([1000.0]), np.array([1000.0]), 1e-3).round(3)
    array([618.034])

    """
    r_t, o_t = _real(rankl_total), _real(opg_total)
    shape = np.broadcast_shapes(r_t.shape, o_t.shape)
    r_t, o_t = np.broadcast_to(r_t, shape), np.broadcast_to(o_t, shape)  # read-only views
    out = np.empty(shape)
    _free_rankl_into(out.reshape(-1), r_t.reshape(-1), o_t.reshape(-1), float(association_per_pM))
    return out


def _real(values) -> np.ndarray:
    """``values`` as a float32 or float64 array (kept as it is if it is one; else converted to float64)."""
    a = np.asarray(values)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


@numba.njit(cache=True)
def _free_rankl_into(out: np.ndarray, r_t: np.ndarray, o_t: np.ndarray, k: float) -> None:
    """Write :func:`free_rankl` of the flat totals ``r_t``, ``o_t`` (pM, float32 or float64) into ``out`` (float64).

    One compiled pass in float64, operation for operation the formulas of :func:`free_rankl` (the
    numpy passes it replaces gave the same bits): the branch ``beta >= 0`` serves every site unless
    some site has ``beta < 0`` (RANKL in excess of OPG by more than 1/K_A, with K_A > 0); then every
    site is taken again with the formula of its own sign. The result is clipped to [0, R_T]
    (round-off only).
    """
    k4, twice_k = 4.0 * k, 2.0 * k
    mixed = False
    for i in range(out.size):
        r = np.float64(r_t[i])
        beta = (np.float64(o_t[i]) - r) * k + 1.0
        mixed |= not beta >= 0.0
        disc = math.sqrt(beta * beta + k4 * r)
        out[i] = _clip(r / (disc + beta) * 2.0, r)
    if mixed and k != 0.0:
        for i in range(out.size):
            r = np.float64(r_t[i])
            beta = (np.float64(o_t[i]) - r) * k + 1.0
            disc = math.sqrt(beta * beta + k4 * r)
            out[i] = _clip((2.0 * r) / (beta + disc) if beta >= 0.0 else (disc - beta) / twice_k, r)


@numba.njit(cache=True)
def _clip(free: float, total: float) -> float:
    """``free`` clipped to [0, ``total``] as ``np.maximum(np.minimum(free, total), 0)`` does (NaN stays NaN)."""
    if free > total:
        free = total
    if free < 0.0:
        free = 0.0
    return free


def rank_occupancy(free_rankl: np.ndarray, dissociation_pM: float) -> np.ndarray:
    r"""Fraction of RANK on osteoclast precursors occupied by RANKL.

    .. math::

        \theta = \frac{R_{free}}{R_{free} + K_{D,RANK}}

    Parameters
    ----------
    free_rankl : ndarray, pM
        Free RANKL (see :func:`free_rankl`).
    dissociation_pM : float or ndarray, pM
        :math:`K_{D,RANK}`, the free RANKL at half occupancy (> 0); an array (broadcast
        with ``free_rankl``) gives an effective value per site.

    Returns
    -------
    ndarray, 1
        Occupancy in [0, 1).

    Examples
    --------
    >>> float(rank_occupancy(4.457, dissociation_pM=4.457))  # half occupied at K_D
    0.5

    """
    r = np.asarray(free_rankl, dtype=float)
    return r / (r + dissociation_pM)


@dataclasses.dataclass
class Fields:
    """Coarse-mesh concentrations of one day (pM), plus derived free RANKL.

    Attributes
    ----------
    rankl, opg, tgfb, wnt_antagonist : (my, mx) float ndarray, pM
        Total concentrations on the field mesh, ``(my, mx) = (ny // factor, nx // factor)``.
    free_rankl : (my, mx) float ndarray, pM
        RANKL not bound to OPG.
    factor : int
        Coarsening factor: mesh cell ``(i, j)`` covers fine voxels
        ``[i*factor:(i+1)*factor, j*factor:(j+1)*factor]``.

    """

    rankl: np.ndarray
    opg: np.ndarray
    tgfb: np.ndarray
    wnt_antagonist: np.ndarray
    free_rankl: np.ndarray
    factor: int
    denosumab_nM: float = 0.0
    """Serum denosumab the free RANKL was bound for, nM."""

    def at(self, name: str, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Values of one map at fine voxel indices (nearest mesh cell).

        Parameters
        ----------
        name : str
            One of ``FIELD_NAMES`` or ``"free_rankl"``.
        ys, xs : int ndarray
            Fine-grid row and column indices (broadcast together).

        Returns
        -------
        float ndarray, pM
            Concentrations, shaped like ``ys`` and ``xs`` broadcast.

        """
        f = self.factor
        c = getattr(self, _check_field(name, _MAP_NAMES))
        return c.reshape(-1)[np.floor_divide(ys, f) * c.shape[1] + np.floor_divide(xs, f)]  # flat: a 1D take is faster

    def fine(self, name: str) -> np.ndarray:
        """Full-resolution map of one field (each mesh cell repeated over its voxels).

        Parameters
        ----------
        name : str
            One of ``FIELD_NAMES`` or ``"free_rankl"``.

        Returns
        -------
        (ny, nx) float ndarray, pM
            A new array.

        """
        c = getattr(self, _check_field(name, _MAP_NAMES))
        f = self.factor
        return c.copy() if f == 1 else np.repeat(np.repeat(c, f, axis=0), f, axis=1)

    def rank_occupancy(self, ys: np.ndarray, xs: np.ndarray, dissociation_pM: float) -> np.ndarray:
        """RANK occupancy at fine voxel indices; see :func:`rank_occupancy`."""
        return rank_occupancy(self.at("free_rankl", ys, xs), dissociation_pM)


@numba.njit(cache=True)
def _pair_sums_into(out: np.ndarray, source: np.ndarray) -> None:
    """Block-sum a fine ``(2 my, 2 mx)`` source into ``out`` ``(my, mx)``, in 2 x 2 blocks.

    The sums of :meth:`FieldSolver._coarsen_into`'s strided adds, operation for operation: each
    row's pair added in the source's precision and rounded to ``out``'s, then the two rows' sums
    added in ``out``'s precision.
    """
    precision = out.dtype.type
    for i in range(out.shape[0]):
        upper, lower, row = source[2 * i], source[2 * i + 1], out[i]
        for j in range(out.shape[1]):
            row[j] = precision(upper[2 * j] + upper[2 * j + 1]) + precision(lower[2 * j] + lower[2 * j + 1])


class FieldSolver:
    r"""Steady-state solver of the four signal fields on a coarsened mesh.

    For each field :math:`c_i` it solves :math:`(D_i \lambda + k_i)\,\hat c_i = \hat{\bar s}_i`
    in DCT-II space, where :math:`\bar s_i` is the fine source block-averaged onto the
    mesh and :math:`\lambda \ge 0` the eigenvalues of the negative reflective Laplacian
    (see the module docstring). The inverse denominators are computed once here, and
    ``solve`` reuses one work array: use one solver per model (not thread-safe).

    Parameters
    ----------
    shape : (int, int)
        Fine voxel grid ``(ny, nx)``.
    voxel_size_um : float
        Voxel edge (µm).
    params : FieldParameters
        Transport and binding parameters.
    dtype : numpy float dtype, optional
        Precision of the transforms and returned fields. ``float64`` (default) is exact to
        round-off; ``float32`` halves the time of the transforms with relative errors ~1e-6,
        far below the model's other approximations (the model uses it).

    Attributes
    ----------
    factor : int
        Coarsening factor (see :func:`coarsening_factor`).
    mesh_shape : (int, int)
        Field mesh ``(ny // factor, nx // factor)``.
    mesh_um : float
        Mesh spacing :math:`H` = ``factor * voxel_size_um`` (µm).

    Examples
    --------
    A uniform source with no-flux edges gives the uniform steady state :math:`c = s / k`:
    101.3 pM/day of RANKL decaying at 10.13/day holds 10 pM everywhere. The 32 x 32 grid of
    10 µm voxels is solved on a 16 x 16 mesh of 20 µm.

    >>> solver = FieldSolver((32, 32), 10.0, FieldParameters())
    >>> fields = solver.solve({"rankl": np.full((32, 32), 101.3)})
    >>> fields.rankl.shape, bool(np.allclose(fields.rankl, 10.0))
    ((16, 16), True)
    >>> float(fields.opg.max())  # no OPG secreted, none present
    0.0

    """

    def __init__(self, shape: tuple[int, int], voxel_size_um: float, params: FieldParameters,
                 dtype: type = np.float64) -> None:
        ny, nx = (int(n) for n in shape)
        if ny < 1 or nx < 1:
            raise ParameterError(f"grid shape={shape!r} must have two positive dimensions")
        if not voxel_size_um > 0:
            raise ParameterError(f"voxel_size_um={voxel_size_um!r} must be > 0")
        self.shape = (ny, nx)
        self.params = params
        self.factor = coarsening_factor(self.shape, voxel_size_um, params.field_mesh_um)
        f = self.factor
        my, mx = ny // f, nx // f
        self.mesh_shape = (my, mx)
        self.mesh_um = f * float(voxel_size_um)
        lam_y = (2.0 - 2.0 * np.cos(np.pi * np.arange(my) / my)) / self.mesh_um**2
        lam_x = (2.0 - 2.0 * np.cos(np.pi * np.arange(mx) / mx)) / self.mesh_um**2
        lam = lam_y[:, None] + lam_x[None, :]  # (my, mx), 1/µm², >= 0
        d = np.array([params.diffusivity_um2_per_day(n) for n in FIELD_NAMES])[:, None, None]
        k = np.array([params.decay_per_day(n) for n in FIELD_NAMES])[:, None, None]
        # 1 / (D λ + k), with the 1/f² of the block average folded in (sources are block-summed).
        self._inverse = (1.0 / ((d * lam + k) * (f * f))).astype(dtype)
        self._work = np.empty((len(FIELD_NAMES), my, mx), dtype=dtype)
        self._rows = np.empty((ny, mx), dtype=dtype) if f > 1 else None

    def _coarsen_into(self, out: np.ndarray, source: np.ndarray) -> None:
        """Block-sum a fine ``(ny, nx)`` source into ``out`` ``(my, mx)`` (strided adds, no copies)."""
        f = self.factor
        if f == 1:
            np.copyto(out, source)
            return
        if f == 2:  # the default mesh of 10 µm voxels: one compiled pass
            _pair_sums_into(out, source)
            return
        rows = self._rows
        np.add(source[:, 0::f], source[:, 1::f], out=rows)
        for j in range(2, f):
            rows += source[:, j::f]
        np.add(rows[0::f], rows[1::f], out=out)
        for i in range(2, f):
            out += rows[i::f]

    def solve(self, sources: Mapping[str, np.ndarray], denosumab_nM: float = 0.0) -> Fields:
        r"""Solve the day's steady state of all four fields.

        Parameters
        ----------
        sources : mapping of str to (ny, nx) float ndarray, pM/day
            Fine-grid secretion of each field, as the concentration the amount secreted
            per day would add within one fine voxel. Must be non-negative (not checked,
            for speed). Missing names mean zero source; unknown names raise ``KeyError``.
        denosumab_nM : float
            Serum denosumab. The antibody, far in excess of RANKL, sequesters it as a second
            decoy; in the binding it acts as OPG of concentration
            :math:`f_D D K_{A,D} / K_A` (uniform in the slice), on all RANKL but the share
            :math:`\phi_D` presented in cell contacts it does not reach.

        Returns
        -------
        Fields
            The day's concentrations on the field mesh, with free RANKL from RANKL–OPG
            binding, in new arrays that later solves do not change. Values are clipped
            at 0: the discrete operator :math:`D(-\nabla_h^2) + k` is an M-matrix, so for
            non-negative sources the exact solution is non-negative and the clip removes
            only round-off undershoot.

        """
        work = self._work
        for name in sources:
            _check_field(name)
        for i, name in enumerate(FIELD_NAMES):
            source = sources.get(name)
            if source is None:
                work[i].fill(0.0)
                continue
            if source.shape != self.shape:
                raise ValueError(f"source {name!r} has shape {source.shape}, expected {self.shape}")
            self._coarsen_into(work[i], source)
        # Both transforms run in place in ``work`` (overwrite_x with a C-contiguous input of ``dtype``).
        spectrum = scipy.fft.dctn(work, type=2, axes=(-2, -1), norm="ortho", workers=1, overwrite_x=True)
        spectrum *= self._inverse
        conc = scipy.fft.idctn(spectrum, type=2, axes=(-2, -1), norm="ortho", workers=1, overwrite_x=True)
        rankl, opg, tgfb, wnt = np.maximum(conc, 0.0)  # the clip is also the copy out of ``work``
        return Fields(rankl=rankl, opg=opg, tgfb=tgfb, wnt_antagonist=wnt, factor=self.factor,
                      free_rankl=self._bind(rankl, opg, denosumab_nM), denosumab_nM=denosumab_nM)

    def rebind(self, fields: Fields, denosumab_nM: float) -> Fields:
        """Return ``fields`` with free RANKL bound for ``denosumab_nM`` (itself if that is what it was bound for).

        Binding is pointwise and quick to equilibrate, so a drug given today acts today even on
        the days the fields themselves are not solved (``field_interval_days``).
        """
        if denosumab_nM == fields.denosumab_nM:
            return fields
        return dataclasses.replace(fields, free_rankl=self._bind(fields.rankl, fields.opg, denosumab_nM),
                                   denosumab_nM=denosumab_nM)

    def _bind(self, rankl: np.ndarray, opg: np.ndarray, denosumab_nM: float) -> np.ndarray:
        """Free RANKL (pM) from the total RANKL and OPG maps, with denosumab as a second decoy (see :meth:`solve`)."""
        p = self.params
        free = free_rankl(rankl, opg, p.opg_rankl_association_per_pM)
        if denosumab_nM > 0.0 and p.opg_rankl_association_per_pM > 0.0:
            decoy = opg + np.float32(1000.0 * denosumab_nM * p.denosumab_interstitial_fraction
                                     * p.denosumab_rankl_association_per_pM / p.opg_rankl_association_per_pM)
            shielded = np.float32(p.denosumab_shielded_rankl_fraction)
            free = shielded * free + (1 - shielded) * free_rankl(rankl, decoy, p.opg_rankl_association_per_pM)
        return free
