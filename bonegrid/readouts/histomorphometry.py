"""Histomorphometry of a slice: the static indices a bone histomorphometrist reads from a section.

Names and abbreviations follow the ASBMR nomenclature (Dempster et al. 2013). All
measurements are made on the 2D slice and reported with the 3D-style names (BV, BS) that
the nomenclature allows for 2D work; no stereological 2D -> 3D correction (x 4/pi or
x 1.199) is applied. Readouts are observers: they read arrays and never change them.

Phases. ``kind`` is MARROW, OSTEOID or BONE (:mod:`bonegrid.tissue`). *Matrix* (the
ASBMR "bone", BV) is osteoid plus mineralised bone; *marrow* is everything else. The edge
of the window is not a surface: the structure continues beyond it (a section through
larger bone), so no surface, thickness or hole is counted along it.

Formulas (``h``: voxel edge, um; ``N``: voxel counts)

BV/TV, %
    ``100 N_matrix / N_total``.
Tb.Th, um (direct)
    Mean over matrix voxels of the local thickness (diameter of the largest disc inside
    the matrix covering the voxel; Hildebrand & Ruegsegger 1997), computed by
    :func:`bonegrid.readouts.morphometry.trabecular_thickness_um`. Volume-weighted; a plate
    ``n`` voxels thick reads ``n h`` for even ``n`` and ``(n + 1) h`` for odd ``n``.
Tb.Sp, um (direct)
    The same for marrow (:func:`bonegrid.readouts.morphometry.trabecular_separation_um`).
Tb.N, 1/mm
    Parallel-plate model from the direct thickness: ``(BV/TV) / Tb.Th`` (Parfitt 1983,
    1987). Exact for parallel plates; in a network it is the number of plate-equivalents
    per mm that would hold the same bone volume at the measured thickness.
Tb.Th.plate, Tb.N.plate, Tb.Sp.plate
    The classical 2D histomorphometry derivation from area and perimeter (parallel-plate
    model, Parfitt et al. 1983, 1987): ``Tb.Th = 2 B.Ar / B.Pm``,
    ``Tb.N = (B.Ar / T.Ar) / Tb.Th``, ``Tb.Sp = 1 / Tb.N - Tb.Th``. Cheap (no local
    thickness) and available when ``direct=False``; they inherit the perimeter bias below.
Euler.N, N.Frag, BV.largest/BV
    Connectivity of the matrix: the 2D Euler characteristic
    ``chi = (fragments) - (marrow cavities enclosed by matrix)``
    (:func:`bonegrid.readouts.morphometry.euler_characteristic`: 8-connected matrix,
    4-connected marrow, the outside of the window counted as marrow, so marrow that reaches
    the window edge is never a hole); the number of 8-connected matrix fragments and the share of BV in the
    largest (:func:`bonegrid.readouts.morphometry.connectivity`, scipy.ndimage.label).
    Perforated or disconnected trabeculae raise N.Frag and lower BV.largest/BV. These
    are not ASBMR indices (connectivity has no agreed 2D histomorphometric measure).
B.Pm (= BS), BS/BV, 1/mm
    Bone perimeter by the discrete Crofton formula with 4 directions (Legland, Kieu &
    Devaux 2007): every pair of neighbouring voxels, one matrix and one marrow, is an
    intercept of a test line through voxel centres; a 4-neighbour pair weighs
    ``pi h / 8`` and a diagonal pair ``pi h / (8 sqrt 2)``. This is the estimator of
    :func:`skimage.measure.perimeter_crofton` (``directions=4``), written as a pair count
    so that the window edge is left out and each intercept can be attributed to a kind of
    surface (osteoid, eroded, under a cell) with the same weights, so partial surfaces
    add up to BS. Known bias: unbiased for isotropic boundaries; for a straight boundary
    at angle ``t`` it reads ``(pi / 8)(|cos t| + |sin t| + |cos(t - 45)| + |sin(t - 45)|)``
    of the true length, from 0.948 (axis-aligned or diagonal, -5.2 %) to 1.026
    (22.5 degrees, +2.6 %). Plain edge counting would be exact on axis-aligned plates but
    +27 % on average over orientations (+41 % at 45 degrees). ``BS/BV = B.Pm / B.Ar``.
OV/BV, %
    ``100 N_osteoid / N_matrix``.
O.Th, um
    Mean osteoid seam width perpendicular to the surface, from the Euclidean distance
    ``d`` of each osteoid voxel centre to the nearest marrow voxel centre (in voxels; the
    surface lies half a voxel from both): ``O.Th = h (2 mean(d) - 1)``. Exact for seams of
    uniform width along a straight surface of any orientation up to the digitisation of
    the seam (a 45-degree seam of 4 diagonal layers reads 2.78 against 2.83 voxels).
    Averaged over osteoid area, so thick seams weigh more (like Tb.Th); 1-voxel seams
    read ``h``. NaN without osteoid.
OS/BS, %
    Intercepts whose matrix voxel is osteoid, over all intercepts (Crofton weights).
ES/BS, %
    Eroded surface: intercepts between mineralised bone and a marrow voxel of an open
    remodeling cavity (``cavity != 0``: resorbed and not yet refilled), over BS. Osteoid
    laid in a cavity is osteoid surface, not eroded surface; as in ASBMR practice ES
    includes the surface under osteoclasts.
Oc.S/BS, Ob.S/BS, %
    Intercepts whose marrow voxel holds an osteoclast (resp. osteoblast), over BS: the
    surface a cell's voxel touches (its faces and corners). Cells on matrix voxels touch
    no surface and are ignored.
N.Ot/B.Ar, N.Ot.Lac/B.Ar, 1/mm^2; Ot.E.Lac/Ot.Lac, %
    Osteocytes (viable + apoptotic lacunae: an apoptotic osteocyte is still a cell) and
    all lacunae (viable + apoptotic + empty) per matrix area; empty lacunae over all
    lacunae. Only lacunae inside matrix are counted.
Min.Mean, 1
    Mean mineral fraction over matrix (osteoid counts 0): the degree of mineralisation
    (a virtual analogue of quantitative backscattered imaging, not an ASBMR index).
Refill, Refill.median, N.BMU.done
    Formed over resorbed voxels of completed remodeling units (no cell working, nothing
    done for ``quiet_days``): pooled over units (sum formed / sum resorbed) and the median
    of the per-unit ratios (:func:`unit_refill`). Model-specific, not ASBMR: a histologist
    sees it as wall thickness over erosion depth (W.Th / E.De).

Cost at 256 x 256 (one core): about 10 ms with ``direct=False``; the direct local
thicknesses add about 20 ms (matrix) and 140 ms (marrow).

References
----------
Dempster DW et al. (2013) Standardized nomenclature, symbols, and units for bone
histomorphometry: a 2012 update of the report of the ASBMR Histomorphometry Nomenclature
Committee. J Bone Miner Res 28:2-17. doi:10.1002/jbmr.1805
Parfitt AM et al. (1983) Relationships between surface, volume, and thickness of iliac
trabecular bone in aging and in osteoporosis. J Clin Invest 72:1396-1409.
Parfitt AM et al. (1987) Bone histomorphometry: standardization of nomenclature, symbols,
and units. J Bone Miner Res 2:595-610. doi:10.1002/jbmr.5650020617
Hildebrand T, Ruegsegger P (1997) A new method for the model-independent assessment of
thickness in three-dimensional images. J Microsc 185:67-75.
doi:10.1046/j.1365-2818.1997.1340694.x
Legland D, Kieu K, Devaux M-F (2007) Computation of Minkowski measures on 2D and 3D binary
images. Image Anal Stereol 26:83-92.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage

from bonegrid.readouts.morphometry import (
    connectivity,
    euler_characteristic,
    trabecular_separation_um,
    trabecular_thickness_um,
)
from bonegrid.remodeling_units import RemodelingUnits
from bonegrid.tissue import APOPTOTIC, BONE, EMPTY, MARROW, OSTEOID, VIABLE

AXIS_WEIGHT = math.pi / 8.0
"""Crofton length of one 4-neighbour matrix-marrow pair, in voxel edges."""
DIAGONAL_WEIGHT = math.pi / (8.0 * math.sqrt(2.0))
"""Crofton length of one diagonal matrix-marrow pair, in voxel edges."""


def _index(asbmr: str, unit: str, doc: str, default: float | None = None):
    """Declare a field with its ASBMR name, unit and meaning (``default``: value when not measured)."""
    meta = dict(asbmr=asbmr, unit=unit, doc=doc)
    if default is None:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Histomorphometry:
    """Static histomorphometric indices of one slice (see the module docstring for the formulas).

    Percentages are in % (0-100), lengths in um, densities per mm or mm^2. Indices whose
    input was not given, or whose denominator is zero, are NaN. :meth:`as_dict` gives the
    values under their ASBMR names and :meth:`units` the unit of each.
    """

    t_ar_mm2: float = _index("T.Ar", "mm^2", "tissue (window) area")
    b_ar_mm2: float = _index("B.Ar", "mm^2", "matrix (osteoid + mineralised bone) area")
    b_pm_mm: float = _index("B.Pm", "mm", "bone perimeter (= BS), Crofton estimate")
    bv_tv_pct: float = _index("BV/TV", "%", "matrix area over tissue area")
    tb_th_um: float = _index("Tb.Th", "um", "mean local thickness of matrix (direct)")
    tb_sp_um: float = _index("Tb.Sp", "um", "mean local thickness of marrow (direct)")
    tb_n_per_mm: float = _index("Tb.N", "1/mm", "(BV/TV) / Tb.Th, parallel plates, direct Tb.Th")
    tb_th_plate_um: float = _index("Tb.Th.plate", "um", "2 B.Ar / B.Pm (parallel-plate model)")
    tb_sp_plate_um: float = _index("Tb.Sp.plate", "um", "1 / Tb.N.plate - Tb.Th.plate (parallel-plate model)")
    tb_n_plate_per_mm: float = _index("Tb.N.plate", "1/mm", "(BV/TV) / Tb.Th.plate (parallel-plate model)")
    euler_number: int = _index("Euler.N", "1", "fragments minus enclosed marrow cavities (8/4-connectivity)")
    n_fragments: int = _index("N.Frag", "1", "8-connected matrix fragments")
    largest_fragment_pct: float = _index("BV.largest/BV", "%", "share of matrix in the largest fragment")
    bs_bv_per_mm: float = _index("BS/BV", "1/mm", "bone perimeter over matrix area")
    ov_bv_pct: float = _index("OV/BV", "%", "osteoid area over matrix area")
    o_th_um: float = _index("O.Th", "um", "mean osteoid seam width, from the distance to marrow")
    os_bs_pct: float = _index("OS/BS", "%", "osteoid surface over bone surface")
    es_bs_pct: float = _index("ES/BS", "%", "mineralised surface facing an open cavity over bone surface")
    oc_s_bs_pct: float = _index("Oc.S/BS", "%", "surface touched by an osteoclast voxel over bone surface")
    ob_s_bs_pct: float = _index("Ob.S/BS", "%", "surface touched by an osteoblast voxel over bone surface")
    n_ot_per_mm2: float = _index("N.Ot/B.Ar", "1/mm^2", "viable + apoptotic osteocytes per matrix area")
    n_lacunae_per_mm2: float = _index("N.Ot.Lac/B.Ar", "1/mm^2", "lacunae (viable, apoptotic, empty) per matrix area")
    empty_lacunae_pct: float = _index("Ot.E.Lac/Ot.Lac", "%", "empty lacunae over all lacunae")
    mineral_mean: float = _index("Min.Mean", "1", "mean mineral fraction over matrix (osteoid 0)")
    completed_units: int = _index("N.BMU.done", "1", "completed remodeling units (refill sample size)", 0)
    refill_pooled: float = _index("Refill", "1", "formed / resorbed voxels pooled over completed units", math.nan)
    refill_median: float = _index("Refill.median", "1", "median over completed units of formed / resorbed", math.nan)

    def as_dict(self) -> dict[str, float]:
        """Return the values keyed by ASBMR name (``"BV/TV"``, ``"Tb.Th"``, ...), in the units of :meth:`units`."""
        return {f.metadata["asbmr"]: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def units(cls) -> dict[str, str]:
        """Return the unit of each index, keyed by ASBMR name (``"%"``, ``"um"``, ``"1/mm"``, ``"1/mm^2"``, ...)."""
        return {f.metadata["asbmr"]: f.metadata["unit"] for f in dataclasses.fields(cls)}

    @classmethod
    def markdown_table(cls) -> str:
        """Render the indices as a Markdown table (name, unit, field, meaning) for the model documentation."""
        rows = ["| index | unit | field | meaning |", "| --- | --- | --- | --- |"]
        rows += [f"| {f.metadata['asbmr']} | {f.metadata['unit']} | `{f.name}` | {f.metadata['doc']} |"
                 for f in dataclasses.fields(cls)]
        return "\n".join(rows)


def _neighbour_counts(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count each voxel's osteoid and bone neighbours along the axes and along the diagonals.

    Parameters
    ----------
    kind : (ny, nx) int ndarray
        MARROW, OSTEOID or BONE.

    Returns
    -------
    axis, diagonal : (ny, nx) uint8 ndarrays
        Packed counts ``n_osteoid + 16 n_bone`` (each 0..4) over the 4-neighbours and over
        the diagonal neighbours; nothing outside the window counts.
    """
    code = np.zeros(kind.shape, dtype=np.uint8)
    code[kind == OSTEOID] = 1
    code[kind == BONE] = 16
    axis = np.zeros_like(code)
    axis[1:, :] += code[:-1, :]
    axis[:-1, :] += code[1:, :]
    axis[:, 1:] += code[:, :-1]
    axis[:, :-1] += code[:, 1:]
    diag = np.zeros_like(code)
    diag[1:, 1:] += code[:-1, :-1]
    diag[1:, :-1] += code[:-1, 1:]
    diag[:-1, 1:] += code[1:, :-1]
    diag[:-1, :-1] += code[1:, 1:]
    return axis, diag


def _unpack(packed: np.ndarray, side: str) -> int:
    """Total count of ``side`` ("osteoid", "bone" or "matrix") neighbours in packed counts."""
    osteoid, bone = int((packed & 15).sum()), int((packed >> 4).sum())
    return {"osteoid": osteoid, "bone": bone, "matrix": osteoid + bone}[side]


def _positions_mask(positions: tuple[np.ndarray, np.ndarray], shape: tuple[int, int], what: str) -> np.ndarray:
    """Bool mask of the voxels at ``positions`` = (ys, xs); raises if any lies outside the window."""
    ys, xs = (np.asarray(p, dtype=np.intp).ravel() for p in positions)
    if ys.shape != xs.shape:
        raise ValueError(f"{what}: ys and xs have different lengths ({ys.size} and {xs.size}); pass (ys, xs)")
    ny, nx = shape
    if ys.size and (ys.min() < 0 or xs.min() < 0 or ys.max() >= ny or xs.max() >= nx):
        raise ValueError(f"{what}: positions outside the {ny} x {nx} window; pass voxel indices (ys, xs)")
    out = np.zeros(shape, dtype=bool)
    out[ys, xs] = True
    return out


def _ratio(num: float, den: float, scale: float = 1.0) -> float:
    return scale * num / den if den > 0 else math.nan


@dataclasses.dataclass(frozen=True)
class _Slice:
    """Validated phases of one slice: masks and voxel counts."""

    kind: np.ndarray
    """(ny, nx) int array: MARROW, OSTEOID or BONE."""
    mineral: np.ndarray
    """(ny, nx) float array: mineral fraction, 0..1."""
    h: float
    """Voxel edge, um."""
    marrow: np.ndarray
    """(ny, nx) bool array: marrow voxels."""
    osteoid: np.ndarray
    """(ny, nx) bool array: osteoid voxels."""
    matrix: np.ndarray
    """(ny, nx) bool array: osteoid or mineralised bone."""
    n_marrow: int
    n_osteoid: int
    n_matrix: int

    @property
    def tissue_area_um2(self) -> float:
        """T.Ar, um^2."""
        return self.kind.size * (self.h * self.h)

    @property
    def matrix_area_um2(self) -> float:
        """B.Ar, um^2."""
        return self.n_matrix * (self.h * self.h)


def _validated_slice(kind: np.ndarray, mineral: np.ndarray, voxel_size_um: float,
                     osteocyte_state: np.ndarray | None, cavity: np.ndarray | None) -> _Slice:
    """Check the inputs of :func:`measure` (see its Raises) and split ``kind`` into phases."""
    kind = np.asarray(kind)
    mineral = np.asarray(mineral)
    if kind.ndim != 2:
        raise ValueError(f"kind must be a 2D (ny, nx) array, got shape {kind.shape}")
    shape = kind.shape
    for name, arr in (("mineral", mineral), ("osteocyte_state", osteocyte_state), ("cavity", cavity)):
        if arr is not None and np.shape(arr) != shape:
            raise ValueError(f"{name} has shape {np.shape(arr)}; it must match kind, {shape}")
    h = float(voxel_size_um)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"voxel_size_um={voxel_size_um!r} must be a positive number of micrometres")
    marrow = kind == MARROW
    osteoid = kind == OSTEOID
    bone = kind == BONE
    n_marrow, n_osteoid, n_bone = (int(np.count_nonzero(m)) for m in (marrow, osteoid, bone))
    if n_marrow + n_osteoid + n_bone != kind.size:
        raise ValueError(f"kind holds values other than MARROW={MARROW}, OSTEOID={OSTEOID}, BONE={BONE}")
    if osteocyte_state is not None:
        state = np.asarray(osteocyte_state)
        if state.size and (state.min() < 0 or state.max() > EMPTY):
            raise ValueError(f"osteocyte_state holds values outside 0..{EMPTY} (none, viable, apoptotic, empty)")
    return _Slice(kind=kind, mineral=mineral, h=h, marrow=marrow, osteoid=osteoid, matrix=~marrow,
                  n_marrow=n_marrow, n_osteoid=n_osteoid, n_matrix=n_osteoid + n_bone)


class _MarrowFaces:
    """Matrix faces seen from marrow voxels, counted by the kind on the matrix side (Crofton pairs).

    Parameters
    ----------
    s : _Slice
        The slice.
    """

    def __init__(self, s: _Slice) -> None:
        self._h = s.h
        self._axis, self._diag = _neighbour_counts(s.kind)
        self._axis[~s.marrow] = 0
        self._diag[~s.marrow] = 0

    def length_um(self, where: np.ndarray, side: str) -> float:
        """Crofton length, um, of the ``side`` ("osteoid", "bone", "matrix") faces seen from the marrow voxels ``where``.

        Parameters
        ----------
        where : (ny, nx) bool ndarray
            Marrow voxels whose faces count (other voxels contribute nothing).
        side : str
            Kind of the matrix voxel across the face.
        """
        return self._h * (AXIS_WEIGHT * _unpack(self._axis[where], side)
                          + DIAGONAL_WEIGHT * _unpack(self._diag[where], side))


def _structure_indices(s: _Slice, b_pm_um: float, direct: bool) -> dict[str, float]:
    """T.Ar, B.Ar (mm^2), BV/TV (%), direct Tb.Th, Tb.Sp (um) and Tb.N (1/mm), the parallel-plate indices and BS/BV (1/mm).

    Parameters
    ----------
    s : _Slice
        The slice.
    b_pm_um : float
        Bone perimeter B.Pm, um.
    direct : bool
        Compute the local-thickness indices (else NaN).
    """
    b_ar = s.matrix_area_um2
    bv_tv = s.n_matrix / s.kind.size
    if direct:
        tb_th = trabecular_thickness_um(s.matrix, s.h)
        tb_sp = trabecular_separation_um(s.matrix, s.h)
        tb_n = _ratio(bv_tv, tb_th, 1000.0)
    else:
        tb_th = tb_sp = tb_n = math.nan
    tb_th_plate = _ratio(2.0 * b_ar, b_pm_um)
    tb_n_plate = _ratio(bv_tv, tb_th_plate, 1000.0)
    return dict(
        t_ar_mm2=s.tissue_area_um2 * 1e-6, b_ar_mm2=b_ar * 1e-6, bv_tv_pct=100.0 * bv_tv,
        tb_th_um=tb_th, tb_sp_um=tb_sp, tb_n_per_mm=tb_n,
        tb_th_plate_um=tb_th_plate, tb_sp_plate_um=_ratio(1000.0, tb_n_plate) - tb_th_plate,
        tb_n_plate_per_mm=tb_n_plate, bs_bv_per_mm=_ratio(b_pm_um, b_ar, 1000.0))


def _connectivity_indices(s: _Slice) -> dict[str, float]:
    """Euler.N and N.Frag (counts) and BV.largest/BV (%) of the matrix."""
    conn = connectivity(s.matrix)
    return dict(
        euler_number=euler_characteristic(s.matrix),
        n_fragments=int(conn["bone_components"]),
        largest_fragment_pct=100.0 * conn["bone_largest"] if s.n_matrix else math.nan)


def _cell_surface_pct(faces: _MarrowFaces, b_pm_um: float, positions: tuple[np.ndarray, np.ndarray] | None,
                      shape: tuple[int, int], what: str) -> float:
    """Surface touched by the cell voxels ``positions`` = (ys, xs) over BS, %; NaN without positions."""
    if positions is None:
        return math.nan
    return _ratio(faces.length_um(_positions_mask(positions, shape, what), "matrix"), b_pm_um, 100.0)


def _surface_indices(s: _Slice, faces: _MarrowFaces, b_pm_um: float,
                     osteoclasts: tuple[np.ndarray, np.ndarray] | None,
                     osteoblasts: tuple[np.ndarray, np.ndarray] | None,
                     cavity: np.ndarray | None) -> dict[str, float]:
    """B.Pm (mm) and the surface fractions OS/BS, ES/BS, Oc.S/BS, Ob.S/BS (%).

    Parameters
    ----------
    s : _Slice
        The slice.
    faces : _MarrowFaces
        Its matrix faces.
    b_pm_um : float
        Bone perimeter B.Pm, um.
    osteoclasts, osteoblasts, cavity
        As in :func:`measure`; a missing one gives NaN.
    """
    shape = s.kind.shape
    return dict(
        b_pm_mm=b_pm_um * 1e-3,
        os_bs_pct=_ratio(faces.length_um(s.marrow, "osteoid"), b_pm_um, 100.0),
        es_bs_pct=math.nan if cavity is None else _ratio(
            faces.length_um(np.asarray(cavity) != 0, "bone"), b_pm_um, 100.0),
        oc_s_bs_pct=_cell_surface_pct(faces, b_pm_um, osteoclasts, shape, "osteoclasts"),
        ob_s_bs_pct=_cell_surface_pct(faces, b_pm_um, osteoblasts, shape, "osteoblasts"))


def _osteoid_thickness_um(s: _Slice) -> float:
    """O.Th = h (2 mean(d) - 1), um, from the distance d (voxels) of osteoid to marrow voxel centres; NaN without osteoid."""
    if not (s.n_osteoid and s.n_marrow):
        return math.nan
    depth = ndimage.distance_transform_edt(s.matrix)[s.osteoid]
    return s.h * (2.0 * float(depth.mean()) - 1.0)


def _mineralisation_indices(s: _Slice) -> dict[str, float]:
    """OV/BV (%), O.Th (um) and Min.Mean (1) of the matrix."""
    return dict(
        ov_bv_pct=_ratio(s.n_osteoid, s.n_matrix, 100.0), o_th_um=_osteoid_thickness_um(s),
        mineral_mean=_ratio(float(s.mineral[s.matrix].sum()), s.n_matrix))


def _osteocyte_indices(s: _Slice, osteocyte_state: np.ndarray | None) -> dict[str, float]:
    """N.Ot/B.Ar and N.Ot.Lac/B.Ar (1/mm^2) and Ot.E.Lac/Ot.Lac (%) from lacunae inside matrix; NaN without states."""
    if osteocyte_state is None:
        return dict(n_ot_per_mm2=math.nan, n_lacunae_per_mm2=math.nan, empty_lacunae_pct=math.nan)
    counts = np.bincount(np.asarray(osteocyte_state)[s.matrix].astype(np.intp), minlength=EMPTY + 1)
    cells = int(counts[VIABLE] + counts[APOPTOTIC])
    lacunae = cells + int(counts[EMPTY])
    b_ar_mm2 = s.matrix_area_um2 * 1e-6
    return dict(n_ot_per_mm2=_ratio(cells, b_ar_mm2), n_lacunae_per_mm2=_ratio(lacunae, b_ar_mm2),
                empty_lacunae_pct=_ratio(int(counts[EMPTY]), lacunae, 100.0))


def measure(kind: np.ndarray, mineral: np.ndarray, voxel_size_um: float, *,
            osteoclasts: tuple[np.ndarray, np.ndarray] | None = None,
            osteoblasts: tuple[np.ndarray, np.ndarray] | None = None,
            osteocyte_state: np.ndarray | None = None, cavity: np.ndarray | None = None,
            direct: bool = True) -> Histomorphometry:
    """Measure the static histomorphometric indices of a slice (formulas in the module docstring).

    Parameters
    ----------
    kind : (ny, nx) int ndarray
        MARROW (0), OSTEOID (1) or BONE (2) per voxel.
    mineral : (ny, nx) float ndarray
        Mineral fraction of full mineralisation, 0..1.
    voxel_size_um : float
        Voxel edge, um.
    osteoclasts, osteoblasts : (ys, xs) of (n,) int ndarrays, optional
        Voxels holding an osteoclast / osteoblast (duplicates count once). Without them
        Oc.S/BS / Ob.S/BS are NaN.
    osteocyte_state : (ny, nx) int ndarray, optional
        0 none, 1 viable, 2 apoptotic, 3 empty lacuna (:mod:`bonegrid.agents.osteocyte`).
        Without it the osteocyte indices are NaN.
    cavity : (ny, nx) int ndarray, optional
        Nonzero on marrow voxels of an open remodeling cavity (resorbed, not refilled).
        Without it ES/BS is NaN.
    direct : bool
        Compute the direct (local-thickness) Tb.Th, Tb.Sp and Tb.N, about 160 ms at
        256 x 256; with False they are NaN and the call takes about 10 ms (the
        parallel-plate ``*.plate`` indices are always computed).

    Returns
    -------
    Histomorphometry
        The refill fields keep their defaults (0 units, NaN); :func:`histomorphometry`
        fills them from a model.

    Raises
    ------
    ValueError
        If the arrays are not 2D of one shape, ``kind`` or ``osteocyte_state`` holds
        unknown values, a position lies outside the window, or the voxel size is not positive.
    """
    s = _validated_slice(kind, mineral, voxel_size_um, osteocyte_state, cavity)
    faces = _MarrowFaces(s)
    b_pm = faces.length_um(s.marrow, "matrix")
    return Histomorphometry(
        **_structure_indices(s, b_pm, direct),
        **_connectivity_indices(s),
        **_surface_indices(s, faces, b_pm, osteoclasts, osteoblasts, cavity),
        **_mineralisation_indices(s),
        **_osteocyte_indices(s, osteocyte_state),
    )


def unit_refill(units: RemodelingUnits, day: float, *, quiet_days: float = 60.0) -> dict[str, float]:
    """Refill of completed remodeling units: formed over resorbed voxels.

    A unit is completed as defined by :meth:`RemodelingUnits.completed` (no osteoclast or
    osteoblast working for it, nothing done for ``quiet_days``, something resorbed); the
    default ``quiet_days`` is that of :func:`bonegrid.readouts.balance.unit_statistics`,
    whose ``refill_total`` equals ``refill_pooled`` here.

    Parameters
    ----------
    units : RemodelingUnits
        The registry of a run (``model.units``).
    day : float
        Today (model day).
    quiet_days : float
        Days without activity after which a unit without cells counts as completed.

    Returns
    -------
    dict
        ``completed_units`` (int); ``refill_pooled``: sum of formed over sum of resorbed
        voxels (1 = full refill, < 1 a deficit); ``refill_median``: median of the per-unit
        ratios. NaN when no unit is completed.
    """
    done = units.completed(day, quiet_days)
    if not done:
        return {"completed_units": 0, "refill_pooled": math.nan, "refill_median": math.nan}
    formed = np.array([u.formed for u in done], dtype=float)
    resorbed = np.array([u.resorbed for u in done], dtype=float)
    return {"completed_units": len(done), "refill_pooled": float(formed.sum() / resorbed.sum()),
            "refill_median": float(np.median(formed / resorbed))}


def histomorphometry(model, *, direct: bool = True, quiet_days: float = 60.0) -> Histomorphometry:
    """Histomorphometry of a :class:`~bonegrid.model.BoneModel` today (reads state, changes nothing).

    Parameters
    ----------
    model : BoneModel
    direct : bool
        Compute the direct (local-thickness) Tb.Th, Tb.Sp, Tb.N (see :func:`measure`).
    quiet_days : float
        Quiet period after which a remodeling unit counts as completed (see :func:`unit_refill`).

    Returns
    -------
    Histomorphometry
    """
    tissue = model.tissue
    clasts = np.array([c.pos for c in model.osteoclasts], dtype=np.intp).reshape(-1, 2)
    result = measure(tissue.kind, tissue.mineral, tissue.voxel_size_um,
                     osteoclasts=(clasts[:, 0], clasts[:, 1]), osteoblasts=model.osteoblast_positions(),
                     osteocyte_state=model.osteocytes.state, cavity=tissue.cavity, direct=direct)
    return dataclasses.replace(result, **unit_refill(model.units, model.day, quiet_days=quiet_days))


__all__ = ["Histomorphometry", "histomorphometry", "measure", "unit_refill"]
