"""Voxel state of the bone slice: kind, mineral, formation day, cavities; mineralisation.

Each voxel of the ``(ny, nx)`` grid is marrow, osteoid (unmineralised matrix) or
mineralised bone. The arrays are Mesa property layers (``mesa.discrete_space.PropertyLayer``)
updated in place, so visualisation and data collection see the same memory.

The remodeling cavity is recorded where it is made: a voxel resorbed by an osteoclast keeps
the id of its remodeling unit (``cavity``) and its depth below the pre-existing surface
(``cavity_depth``) until an osteoblast refills it. The set of such voxels is the cavity
bounded by its cement (reversal) line; refilling stops where it ends.

Mineralisation (step 5 of the day): osteoid older than the mineralisation lag starts to
mineralise with daily probability equal to the mineral supply ``phi`` (the serum Ca x P
factor from :mod:`bonegrid.physiology`); once started, mineral fraction ``m`` follows

    dm/dt = phi * k_p * max(m_p - m, 0) + phi_s * k_s * (1 - m)

(primary mineralisation to ``m_p`` within days, applied daily; slow secondary mineralisation
to 1 over years, applied exactly every ``secondary_mineralisation_step_days``). The crystal
growth factor ``phi_s`` (:attr:`bonegrid.physiology.Physiology.crystal_growth_supply`) is ~1
unless serum Ca x P is far below normal: old mineral keeps maturing in osteomalacia, but does
not take calcium from a blood that has none to give.
"""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np
from mesa.discrete_space import PropertyLayer
from scipy import ndimage

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.parameters import ParameterSet, param

MARROW, OSTEOID, BONE = 0, 1, 2
"""Voxel kinds (values of the ``kind`` layer)."""

NO_OSTEOCYTE, VIABLE, APOPTOTIC, EMPTY = 0, 1, 2, 3
"""Lacuna states (values of the osteocyte network's ``osteocyte`` layer): no lacuna, a viable
osteocyte, an apoptotic osteocyte still signalling, an empty lacuna."""

NEIGHBOURS_4 = ((-1, 0), (1, 0), (0, -1), (0, 1))
NEIGHBOURS_8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclasses.dataclass(frozen=True)
class TissueParameters(ParameterSet):
    """Matrix maturation: mineralisation lag and kinetics, initial matrix age."""

    mineralisation_lag_days: float = param(
        10.0, unit="day", low=0.0, high=200.0, symbol="\\tau_{Mlt}",
        doc="age of osteoid before mineralisation can start (healthy supply)",
        source="Eriksen 1994: mineralisation lag ~8 days, normal 8-15")
    primary_mineralisation_per_day: float = param(
        0.25, unit="1/day", low=0.0, high=5.0, symbol="k_p",
        doc="rate constant of primary mineralisation (to ~70% within ~1-2 weeks)",
        source="Martinez-Reina & Pivonka 2019 (approx.: primary phase days)")
    primary_mineral_fraction: float = param(
        0.7, unit="1", low=0.1, high=1.0, symbol="m_p",
        doc="mineral fraction reached by primary mineralisation",
        source="Martinez-Reina & Pivonka 2019 (~60-70% of maximum)")
    secondary_mineralisation_per_day: float = param(
        0.001, unit="1/day", low=0.0, high=1.0, symbol="k_s",
        doc="rate constant of secondary mineralisation (years: time constant 1/k_s = 2.7 years)",
        source="bone left in place keeps mineralising for years: under alendronate, which opens fewer units, "
               "the mean degree of mineralisation of cancellous bone is 7.3% above placebo after 2 years and 11.4% "
               "after 3 (Boivin 2000, doi:10.1016/s8756-3282(00)00376-8), which a secondary phase complete within "
               "1-2 years cannot give (0.004/day, Martinez-Reina & Pivonka 2019's approx.: +3.5% over the "
               "scenario's 3 years on the drug, 360²; 0.001/day: +5.3%, inside the band 5-16); fitted to the band's "
               "lower edge, as the rise from the first dose peaks near +7% (256², 4 seeds: +6.1, +5.9, +4.8, +3.5% "
               "at 0.0005, 0.001, 0.002, 0.004/day; fit 0.0018, replicates 0.0006-0.0025; the round 0.001 lies "
               "within them, nearer the band's centre; approx.); re-fit: python -m "
               "bonegrid.runs.calibrate secondary_mineralisation_per_day")
    secondary_mineralisation_step_days: int = param(
        7, unit="day", low=1, high=60, symbol="\\Delta t_s",
        doc="secondary mineralisation (a years-long process) is applied every this many days, exactly",
        source="numerical choice: exact exponential update; saves work on the slowly maturing matrix")
    initial_matrix_age_years: float = param(
        3.0, unit="year", low=0.1, high=50.0, symbol="\\bar a_0",
        doc="mean age of starting matrix within remodeling reach of a surface (exponential ages)",
        source="approx.: the reachable layer (~2/3 of trabecular bone) carries the ~25%/year turnover "
               "(Parfitt), so its matrix is a few years old; healthy turnover hardly follows it (19-22 %/yr "
               "for 1-8 years, calibration runner)")
    cortical_matrix_age_years: float = param(
        33.0, unit="year", low=0.1, high=100.0, symbol="\\bar a_C",
        doc="mean age of starting cortical matrix within remodeling reach of a canal or surface (exponential "
            "ages): matrix renewed at random at a fraction r a year is on average 1/r years old",
        source="1 / (3 %/year): each year ~3% of cortical bone is remodeled, against ~25% of trabecular bone "
               "(Manolagas 2000, doi:10.1210/edrv.21.2.0395, the figure of cortical_turnover_ratio; Parfitt 1983: "
               "~2-5 %/year in adult cortex, approx.)")
    interstitial_matrix_age_years: float = param(
        40.0, unit="year", low=0.1, high=100.0, symbol="\\bar a_i",
        doc="age scale of starting matrix deeper than remodeling reaches (interstitial bone; exponential ages "
            "truncated at the years since skeletal maturity, so nearly uniform over adult life)",
        source="modelling choice: interstitial bone is old (decades); Frost 1960 (empty lacunae accumulate there)")
    skeletal_maturity_age_years: float = param(
        20.0, unit="year", low=0.0, high=40.0, symbol="Y_m",
        doc="age at which growth ends: no starting matrix is older than the years since (childhood turnover "
            "renews cancellous bone), so older patients start with older interstitial bone",
        source="Bonjour 1991 (spinal peak bone mass reached by ~20 y); Rauch & Schoenau 2001 (high turnover in growth)")
    bisphosphonate_uptake_per_day: float = param(
        0.002, unit="lethal doses/day", low=0.0, high=10.0, symbol="u_B",
        doc="bisphosphonate bound per day by a mineralised surface voxel at dose 1 (in osteoclast-lethal doses)",
        source="fitted to the postmenopausal_bisphosphonate CTX band: alendronate lowers resorption markers by "
               "~50-70% (Black 1996, FIT; approx.): fit 0.0019 for -60% (replicates 0.0009-0.0020) with the "
               "reversal-resorption phase, 0.0022 before it; re-fit: "
               "python -m bonegrid.runs.calibrate bisphosphonate_uptake_per_day")
    bisphosphonate_eroded_affinity: float = param(
        5.0, unit="1", low=1.0, high=100.0, symbol="a_B",
        doc="uptake on mineral exposed in an open resorption cavity, relative to quiescent surface",
        source="Roelofs 2006 (bisphosphonates concentrate at sites of active resorption; approx.)")


def touches(mask: np.ndarray) -> np.ndarray:
    """Voxels 4-adjacent to ``mask`` (not including ``mask`` itself unless adjacent to it).

    Parameters
    ----------
    mask : (ny, nx) bool ndarray

    Returns
    -------
    (ny, nx) bool ndarray
        True where at least one 4-neighbour is True; the slice border has no outside neighbours.
    """
    return neighbour_max(mask)


def neighbour_max(layer: np.ndarray) -> np.ndarray:
    """Largest value among each voxel's 4-neighbours (0 outside the slice); for a bool mask, :func:`touches`.

    Parameters
    ----------
    layer : (ny, nx) bool or non-negative integer ndarray

    Returns
    -------
    (ny, nx) ndarray of ``layer``'s dtype
    """
    ny, nx = layer.shape
    flat = np.ascontiguousarray(layer).reshape(-1)  # shifts of the flat array: contiguous, no per-row loops
    out = np.zeros_like(flat)
    out[nx:] = flat[:-nx]
    np.maximum(out[:-nx], flat[nx:], out=out[:-nx])
    side = np.empty_like(flat)  # the row neighbours: a flat shift by one, cut at the row ends
    side[0] = 0
    side[1:] = flat[:-1]
    side.reshape(ny, nx)[:, 0] = 0
    np.maximum(out, side, out=out)
    side[-1] = 0
    side[:-1] = flat[1:]
    side.reshape(ny, nx)[:, -1] = 0
    np.maximum(out, side, out=out)
    return out.reshape(ny, nx)


@numba.njit(cache=True)
def _update_surface_masks(kind: np.ndarray, marrow: np.ndarray, matrix_surface: np.ndarray, bone_surface: np.ndarray,
                          changed: np.ndarray) -> None:
    """Redo the masks of :meth:`Tissue.surfaces` at the voxels ``changed`` (flat indices) and their 4-neighbours.

    A voxel's masks depend on its own kind and its 4-neighbours' (outside the slice counts as
    marrow), so these are the only voxels a change of kind can affect. The values are those of
    the full computation, voxel for voxel.
    """
    ny, nx = kind.shape
    for c in changed:
        cy, cx = c // nx, c % nx
        for k in range(5):
            y, x = cy, cx
            if k == 1:
                y -= 1
            elif k == 2:
                y += 1
            elif k == 3:
                x -= 1
            elif k == 4:
                x += 1
            if not (0 <= y < ny and 0 <= x < nx):
                continue
            beside = 0
            if y > 0:
                beside = max(beside, kind[y - 1, x])
            if y < ny - 1:
                beside = max(beside, kind[y + 1, x])
            if x > 0:
                beside = max(beside, kind[y, x - 1])
            if x < nx - 1:
                beside = max(beside, kind[y, x + 1])
            is_marrow = kind[y, x] == MARROW
            marrow[y, x] = is_marrow
            matrix_surface[y, x] = is_marrow and beside != MARROW
            bone_surface[y, x] = is_marrow and beside == BONE


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two C-contiguous arrays of one shape and dtype hold the same bytes (compared 8 at a time)."""
    x, y = a.reshape(-1).view(np.uint8), b.reshape(-1).view(np.uint8)
    n = x.size - x.size % 8
    return bool(np.array_equal(x[:n].view(np.int64), y[:n].view(np.int64)) and np.array_equal(x[n:], y[n:]))


def truncated_exponential(scale: float | np.ndarray, upper: float, u: np.ndarray) -> np.ndarray:
    """Exponential variates of mean ``scale`` conditioned on being below ``upper`` (inverse CDF of ``u``).

    Parameters
    ----------
    scale : float or ndarray
        Mean of the untruncated exponential (any unit; ``upper`` in the same).
    upper : float
        Largest value, > 0.
    u : ndarray
        Uniform variates on [0, 1).

    Examples
    --------
    >>> truncated_exponential(10.0, 5.0, np.array([0.0, 0.5, 0.999999])).round(2)
    array([0.  , 2.19, 5.  ])
    """
    return -scale * np.log1p(-u * -np.expm1(-upper / scale))


DEEPEST = 1 << 14
"""Cavity depth, in voxels, deeper than any cavity: what a resorption depth starts from (one more for a
voxel with no marrow neighbour; :func:`bonegrid.agents.surface_search.resorption_depth`)."""


class VoxelSet:
    """The voxels in one state (flat indices into the slice), kept as the cells change them.

    What the day reads of a sparse state (osteoid, open cavities, living osteocytes: a few
    thousandths of the slice) is read from here instead of rescanning the whole grid; the
    owner of the state adds and removes voxels where it changes it. The members are held as a
    set and as a sorted array; the array is brought up to date when read: a large set's at the
    voxels changed since (a few a day), a small one's rebuilt (:attr:`REBUILD_BELOW`).

    Parameters
    ----------
    flat_indices : iterable of int, optional
        The starting members.
    """

    def __init__(self, flat_indices=()) -> None:
        self._sorted = np.unique(np.asarray(flat_indices, dtype=np.intp))
        self._members = set(self._sorted.tolist())
        self._changed: set[int] = set()

    def __len__(self) -> int:
        return len(self._members)

    def add(self, flat_index: int) -> None:
        """Add one voxel."""
        self._members.add(flat_index)
        self._changed.add(flat_index)

    def discard(self, flat_index: int) -> None:
        """Remove one voxel if it is a member."""
        self._members.discard(flat_index)
        self._changed.add(flat_index)

    def update(self, flat_indices: np.ndarray) -> None:
        """Add the voxels ``flat_indices``."""
        voxels = flat_indices.tolist()
        self._members.update(voxels)
        self._changed.update(voxels)

    def difference_update(self, flat_indices: np.ndarray) -> None:
        """Remove the voxels ``flat_indices`` (members or not)."""
        voxels = flat_indices.tolist()
        self._members.difference_update(voxels)
        self._changed.update(voxels)

    REBUILD_BELOW = 1000
    """Sets smaller than this (or changed at more than an eighth of their members) rebuild the sorted array
    from the set when read; larger ones update it. Measured (3,700 members, 110 changed): rebuild 115 us,
    update 42 us; the update costs ~20 us whatever the size, a rebuild ~3 us + 30 ns a member."""

    def indices(self) -> np.ndarray:
        """Return the members' flat indices in increasing order (the order of a grid scan); do not modify them."""
        if self._changed and (len(self._members) < self.REBUILD_BELOW or 8 * len(self._changed) > len(self._members)):
            self._sorted = np.sort(np.fromiter(self._members, dtype=np.intp, count=len(self._members)))
            self._changed = set()
        elif self._changed:
            changed = np.sort(np.fromiter(self._changed, dtype=np.intp, count=len(self._changed)))
            kept = self._sorted
            at = np.searchsorted(kept, changed)
            listed = at < kept.size
            listed[listed] = kept[at[listed]] == changed[listed]
            kept = np.delete(kept, at[listed])
            members = self._members
            now = changed[np.array([v in members for v in changed.tolist()], dtype=bool)]
            self._sorted = np.insert(kept, np.searchsorted(kept, now), now)
            self._changed = set()
        return self._sorted


@dataclasses.dataclass(frozen=True)
class Surfaces:
    """Marrow and surface masks of one moment, each (ny, nx) bool.

    ``marrow``; ``matrix_surface``: marrow touching matrix (osteoid or bone); ``bone_surface``:
    marrow touching mineralised bone (where osteoclasts can attach).
    """

    marrow: np.ndarray
    matrix_surface: np.ndarray
    bone_surface: np.ndarray


class Tissue:
    """The voxel grid of one slice and the operations cells perform on it.

    Parameters
    ----------
    bone : (ny, nx) bool ndarray
        Starting mineralised bone (True) and marrow (False).
    voxel_size_um : float
        Voxel edge, µm.
    params : TissueParameters
    rng : numpy.random.Generator
        The model's generator (initial matrix ages and mineralisation onsets).
    start_day : float
        Model day at which the slice is created (matrix ages are counted back from it).
    reach_um : float
        How deep remodeling reaches below a surface (the osteoclasts' maximum depth); matrix
        deeper than this starts as old interstitial bone.
    cortex : (ny, nx) bool ndarray, optional
        The cortical shell (True), whose reachable matrix starts with the cortical mean age
        (``cortical_matrix_age_years``: cortical bone turns over slowly), not the trabecular one
        (``initial_matrix_age_years``). None: no cortex (all bone is trabecular).
    patient_age_years : float
        The patient's age, years: starting matrix is no older than the years since skeletal
        maturity (``skeletal_maturity_age_years``), and never capped below ``initial_matrix_age_years``.

    Attributes
    ----------
    kind : (ny, nx) int8 ndarray
        MARROW, OSTEOID or BONE.
    mineral : (ny, nx) float64 ndarray
        Mineral fraction of full mineralisation, 0..1 (0 for marrow and osteoid).
    formed_day : (ny, nx) float64 ndarray
        Day the matrix was deposited (negative: before the run); NaN for marrow.
    cavity : (ny, nx) int32 ndarray
        Id of the remodeling unit that resorbed this marrow voxel and has not refilled it; 0 otherwise.
    cavity_depth : (ny, nx) int16 ndarray
        Depth of a cavity voxel below the pre-existing surface, in voxels (0 outside cavities).
    eroded_day : (ny, nx) float64 ndarray
        Day a cavity voxel was resorbed (NaN outside cavities).
    latent_tgfb : (ny, nx) float64 ndarray
        Matrix-derived TGF-beta released by resorption and not yet activated, pM (in one voxel).
    occupied : (ny, nx) int8 ndarray
        1 where a bone-surface cell (osteoclast or osteoblast) sits, else 0.
    bisphosphonate : (ny, nx) float64 ndarray
        Bisphosphonate bound to the mineral of a voxel, in lethal doses for an osteoclast
        (see :meth:`bind_bisphosphonate`); it stays until the voxel is resorbed.
    osteoid_voxels : VoxelSet
        The osteoid voxels (``kind`` OSTEOID).
    open_cavities : VoxelSet
        The cavity voxels not yet refilled (``cavity`` not 0): the only voxels holding latent TGF-beta.
    """

    LAYERS = ("kind", "mineral", "formed_day", "cavity", "cavity_depth", "eroded_day",
              "latent_tgfb", "occupied", "bisphosphonate")

    def __init__(self, bone: np.ndarray, voxel_size_um: float, params: TissueParameters,
                 rng: np.random.Generator, start_day: float = 0.0, reach_um: float = 50.0,
                 patient_age_years: float = math.inf, cortex: np.ndarray | None = None) -> None:
        shape = bone.shape
        self.shape = shape
        self.voxel_size_um = float(voxel_size_um)
        self.params = params
        self.rng = rng
        spec = dict(kind=(MARROW, np.int8), mineral=(0.0, np.float64), formed_day=(np.nan, np.float64),
                    cavity=(0, np.int32), cavity_depth=(0, np.int16), eroded_day=(np.nan, np.float64),
                    latent_tgfb=(0.0, np.float64), occupied=(0, np.int8), bisphosphonate=(0.0, np.float64))
        self.layers: dict[str, PropertyLayer] = {}
        for name in self.LAYERS:
            default, dtype = spec[name]
            layer = PropertyLayer(name, shape, default_value=0, dtype=dtype)
            layer.data[:] = default
            self.layers[name] = layer
            setattr(self, name, layer.data)
        self.kind[bone] = BONE
        n = int(bone.sum())
        depth_um = ndimage.distance_transform_edt(bone)[bone] * self.voxel_size_um
        reachable_age = (params.initial_matrix_age_years if cortex is None else
                         np.where(cortex[bone], params.cortical_matrix_age_years, params.initial_matrix_age_years))
        mean_age = np.where(depth_um <= reach_um + 0.5 * self.voxel_size_um, reachable_age,
                            params.interstitial_matrix_age_years)
        oldest = max(patient_age_years - params.skeletal_maturity_age_years, params.initial_matrix_age_years)
        age_days = DAYS_PER_YEAR * truncated_exponential(mean_age, oldest, rng.random(n))
        self.formed_day[bone] = start_day - age_days
        self.mineral[bone] = self.equilibrium_mineral(age_days)
        young = bone & (self.mineral == 0.0)  # matrix younger than the lag is still osteoid
        self.kind[young] = OSTEOID
        self.n_matrix = n
        self.n_osteoid = int(young.sum())
        self.osteoid_voxels = VoxelSet(np.flatnonzero(young))
        self.open_cavities = VoxelSet()
        self.mineralisation_onsets = 0               # osteoid voxels that began to mineralise (cumulative)
        self.mineralisation_onset_age_days = 0.0     # their summed age at onset, days (cumulative)
        self._primary_candidates: np.ndarray | None = None  # see _primary_mineralising
        self._primary_fraction = math.nan
        self._surface_masks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # see surfaces
        self._kind_seen: np.ndarray | None = None  # the kind layer the masks were made from
        self._kind_changed: list[int] = []  # flat indices whose kind changed since the masks were last brought up to date

    # ------------------------------------------------------------------ state
    def equilibrium_mineral(self, age_days: np.ndarray) -> np.ndarray:
        """Mineral fraction of matrix of a given age under healthy supply (phi = 1).

        Closed form used for the starting slice, with ``a`` the time since the lag ended:
        ``m = m_p (1 - exp(-k_p a)) + (1 - m_p)(1 - exp(-k_s a))`` (primary then secondary
        mineralisation; a close approximation of the daily rule when k_p >> k_s).
        """
        p = self.params
        after = np.clip(age_days - p.mineralisation_lag_days, 0.0, None)
        m = (p.primary_mineral_fraction * -np.expm1(-p.primary_mineralisation_per_day * after)
             + (1.0 - p.primary_mineral_fraction) * -np.expm1(-p.secondary_mineralisation_per_day * after))
        return np.where(age_days >= p.mineralisation_lag_days, np.maximum(m, 1e-6), 0.0)

    @property
    def bone_volume_fraction(self) -> float:
        """BV/TV: matrix (osteoid + mineralised bone) voxels over all voxels."""
        return self.n_matrix / self.kind.size

    @property
    def osteoid_fraction(self) -> float:
        """OV/BV: osteoid voxels over matrix voxels."""
        return self.n_osteoid / self.n_matrix if self.n_matrix else 0.0

    def mineral_mass(self) -> float:
        """Sum of mineral fractions over the slice (voxel-equivalents of full mineral)."""
        return float(self.mineral.sum())

    def in_grid(self, y: int, x: int) -> bool:
        """Whether (y, x) lies inside the slice."""
        return 0 <= y < self.shape[0] and 0 <= x < self.shape[1]

    def surfaces(self) -> Surfaces:
        """Today's marrow and bone-surface masks (computed once, shared by secretion and recruitment).

        The masks are kept between calls and redone only around the voxels whose kind the
        tissue's own methods changed since (a few a day; :func:`_update_surface_masks`), instead
        of a scan of the slice. A write to ``kind`` from outside them (a test or a user shaping
        the slice) is caught by comparing ``kind`` with the copy the masks were made from, and
        the masks are then made anew. The :class:`Surfaces` returned holds copies, which later
        changes of the tissue leave alone.
        """
        kind, seen = self.kind, self._kind_seen
        changed = np.array(self._kind_changed, dtype=np.intp)
        self._kind_changed = []
        if seen is not None:
            seen.reshape(-1)[changed] = kind.reshape(-1)[changed]
        if seen is None or not _same_bytes(seen, kind):
            marrow = kind == MARROW
            beside = neighbour_max(kind)  # MARROW < OSTEOID < BONE: a matrix neighbour is > MARROW, a bone one is BONE
            self._surface_masks = (marrow, (beside != MARROW) & marrow, (beside == BONE) & marrow)
            self._kind_seen = kind.copy()
        elif changed.size:
            _update_surface_masks(kind, *self._surface_masks, changed)
        marrow, matrix_surface, bone_surface = (mask.copy() for mask in self._surface_masks)
        return Surfaces(marrow=marrow, matrix_surface=matrix_surface, bone_surface=bone_surface)

    # -------------------------------------------------------------- cell work
    def resorb(self, y: int, x: int, unit: int, depth: int, day: float, tgfb_release_pM: float) -> float:
        """Remove the mineralised voxel (y, x); return the mineral released (voxel-equivalents).

        The voxel becomes marrow in cavity ``unit`` at ``depth`` below the old surface and
        releases matrix-bound TGF-beta (``tgfb_release_pM``) into ``latent_tgfb``.
        """
        if self.kind[y, x] != BONE:
            raise ValueError(f"voxel {(y, x)} is not mineralised bone; osteoclasts resorb only mineralised bone")
        released = float(self.mineral[y, x])
        self.bisphosphonate[y, x] = 0.0
        self.kind[y, x] = MARROW
        self._kind_changed.append(y * self.shape[1] + x)
        self.mineral[y, x] = 0.0
        self.formed_day[y, x] = np.nan
        self.cavity[y, x] = unit
        self.cavity_depth[y, x] = depth
        self.eroded_day[y, x] = day
        self.latent_tgfb[y, x] += tgfb_release_pM
        self.open_cavities.add(y * self.shape[1] + x)
        self.n_matrix -= 1
        return released

    def bind_bisphosphonate(self, dose: float, marrow: np.ndarray) -> None:
        """Bind one day's bisphosphonate to exposed mineral.

        Each mineralised voxel facing marrow binds ``u * dose`` lethal doses per day, and
        ``u * a * dose`` where it faces an open resorption cavity (freshly exposed mineral
        with a high affinity for the drug); buried or osteoid-covered mineral binds none.

        Parameters
        ----------
        dose : float
            Today's relative bisphosphonate intake (1 = alendronate 70 mg/week).
        marrow : (ny, nx) bool ndarray
            Today's marrow mask.
        """
        p = self.params
        exposed = touches(marrow) & (self.kind == BONE)
        eroded = touches(self.cavity > 0) & exposed
        bound = self.bisphosphonate  # masked in-place adds: no gather and scatter of the exposed voxels
        np.add(bound, p.bisphosphonate_uptake_per_day * dose, out=bound, where=exposed)
        np.add(bound, p.bisphosphonate_uptake_per_day * dose * (p.bisphosphonate_eroded_affinity - 1.0), out=bound,
               where=eroded)

    def deposit_osteoid(self, y: int, x: int, day: float) -> int:
        """Fill marrow voxel (y, x) with osteoid laid down on ``day``; return its cavity's unit id (0: none)."""
        if self.kind[y, x] != MARROW:
            raise ValueError(f"voxel {(y, x)} is not marrow; osteoid is laid only into marrow space")
        unit = int(self.cavity[y, x])
        self.kind[y, x] = OSTEOID
        self._kind_changed.append(y * self.shape[1] + x)
        self.formed_day[y, x] = day
        self.cavity[y, x] = 0
        self.cavity_depth[y, x] = 0
        self.eroded_day[y, x] = np.nan
        self.latent_tgfb[y, x] = 0.0
        flat_index = y * self.shape[1] + x
        self.open_cavities.discard(flat_index)
        self.osteoid_voxels.add(flat_index)
        self.n_matrix += 1
        self.n_osteoid += 1
        return unit

    # ---------------------------------------------------------- mineralisation
    def mineralise(self, day: float, supply: float, growth_supply: float, max_mineral: float) -> float:
        """Advance mineralisation by one day; return the mineral taken up (voxel-equivalents).

        Parameters
        ----------
        day : float
            Today.
        supply : float
            Mineral supply factor phi in [0, 1] for new osteoid (serum Ca x P relative to normal).
        growth_supply : float
            Crystal growth factor phi_s in [0, 1] for secondary mineralisation.
        max_mineral : float
            Upper bound on today's uptake (the calcium the exchangeable pool can give, in
            voxel-equivalents); growth is scaled down uniformly if demand exceeds it.
        """
        p = self.params
        kind, mineral, formed_day = self.kind.reshape(-1), self.mineral.reshape(-1), self.formed_day.reshape(-1)
        onset = None
        if len(self.osteoid_voxels):
            osteoid = self.osteoid_voxels.indices()
            idx = osteoid[day - formed_day[osteoid] >= p.mineralisation_lag_days]
            if idx.size:
                onset = idx[self.rng.random(idx.size) < supply]
                kind[onset] = BONE
                self._kind_changed.extend(onset.tolist())
                self.osteoid_voxels.difference_update(onset)
                self.n_osteoid -= onset.size
                self.mineralisation_onsets += onset.size
                self.mineralisation_onset_age_days += float((day - formed_day[onset]).sum())
        primary = self._primary_mineralising(onset)
        dm_primary = supply * p.primary_mineralisation_per_day * (p.primary_mineral_fraction
                                                                   - mineral[primary])
        step = p.secondary_mineralisation_step_days
        if int(day) % step == 0:
            secondary = np.flatnonzero((self.kind == BONE) & (self.mineral < 0.999))
            dm_secondary = (1.0 - mineral[secondary]) * -np.expm1(-growth_supply * p.secondary_mineralisation_per_day * step)
        else:
            secondary, dm_secondary = primary[:0], dm_primary[:0]
        demand = float(dm_primary.sum() + dm_secondary.sum())
        if demand > max_mineral:
            dm_primary *= max_mineral / demand
            dm_secondary *= max_mineral / demand
            demand = max_mineral
        mineral[primary] += dm_primary
        mineral[secondary] += dm_secondary
        return demand

    def _primary_mineralising(self, onset: np.ndarray | None) -> np.ndarray:
        """Flat indices, in increasing order, of the mineralised voxels still below ``primary_mineral_fraction``.

        The same voxels as a scan of the slice, found among yesterday's (kept as candidates) and
        today's onsets: mineral only grows in bone, and a resorbed voxel leaves bone, so no other
        voxel can be below the fraction. The candidates are rebuilt by a scan the first time and
        whenever the fraction changes (a parameter course).

        Parameters
        ----------
        onset : (k,) int ndarray or None
            Flat indices, increasing, of the osteoid voxels that became bone today (None: none).
        """
        fraction = self.params.primary_mineral_fraction
        kind, mineral = self.kind.reshape(-1), self.mineral.reshape(-1)
        candidates = self._primary_candidates
        if candidates is None or self._primary_fraction != fraction:
            candidates = np.flatnonzero((self.kind == BONE) & (self.mineral < fraction))
            self._primary_fraction = fraction
        elif onset is not None and onset.size:
            candidates = np.sort(np.concatenate((candidates, onset)))  # onsets were osteoid: not candidates
        candidates = candidates[(kind[candidates] == BONE) & (mineral[candidates] < fraction)]
        self._primary_candidates = candidates
        return candidates

    def decay_latent_tgfb(self, fraction_released: float) -> tuple[np.ndarray, np.ndarray]:
        """Activate a fraction of latent TGF-beta; return where and how much, pM/day (in one voxel).

        Only open cavities hold latent TGF-beta (resorption releases it there, refilling clears
        it), so only they are updated; nothing is activated elsewhere.

        Returns
        -------
        voxels : (k,) int ndarray
            Flat indices of the open cavities (:attr:`open_cavities`).
        activated : (k,) float ndarray
            TGF-beta activated today in each, pM/day.
        """
        voxels = self.open_cavities.indices()
        latent = self.latent_tgfb.reshape(-1)
        activated = latent[voxels] * fraction_released
        latent[voxels] -= activated
        return voxels, activated
