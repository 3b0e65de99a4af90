"""Virtual DXA scanner: projects the slice's mineral onto areal BMD (g/cm^2), with spine artefacts.

A readout: it samples the mineral layer and never changes it.

Projection
----------
A DXA scanner sends a beam through the body and measures the mineral in its path per unit
of projected area (g/cm^2). Here the beam runs along axis 0 (the row index, top to bottom of
the slice). At the hip this is the only sensible choice: the cortex lies along the bottom
edge, so each ray crosses the trabecular core and then the cortex, as the antero-posterior
beam through a femoral neck crosses core and shell; rays along axis 1 would run inside the
cortex or inside the core, which no ray through a neck does. The spine slice has no
preferred direction and uses the same axis. (Areal BMD is the mean over the region of
interest of a sum along the rays, so the axis changes the per-ray profile, not the mean.)

For ray ``j`` (column) of a slice of ``n_y`` rows of voxel edge ``h`` (depth ``D = n_y h``),
with mineral fraction ``m_ij`` (0..1 of full mineralisation):

    slice areal mineral    a_j = rho_m * h * sum_i m_ij                      (g/cm^2)
    projected fraction     p_j = a_j / (rho_m * D) = mean_i m_ij             (1)
    areal BMD              BMD = rho_m * L_site * mean_j p_j + B_site + A    (g/cm^2)

The slice stands for a path of bone of effective length ``L_site`` in the beam (it is a
sample of that path, so its mineral is scaled by ``L_site / D``); ``B_site`` is mineral in
the beam that the slice does not represent and that does not remodel in the model, and ``A``
is artefact mineral (spine only). ``rho_m`` is the mineral (ash, hydroxyapatite) density of
bone tissue at full mineralisation (``m = 1``).

Calibration rule
----------------
``L_site`` is chosen so that healthy generated slices at the model's own steady-state
mineral read the young-adult reference mean of women (T = 0):

    L_site = (mu_young(women) - B_site) / (rho_m * mean_j p_j)

:func:`calibrated_path_length_cm` is this rule as code (use it to recalibrate for another
window or voxel size). The measured fractions, the recipe to re-measure them and the
plausibility of the resulting path lengths are in ``docs/model.md``, "Virtual DXA calibration".

Consequences. (i) At the spine the fixed ``B_spine = 0.45 g/cm^2`` (posterior elements and
the vertebral body's cortical shell, which are not in the slice) makes the slice ~58 % of
the reading (0.614 / 1.064): a relative change of the slice's mineral moves spine BMD by
~0.58 of that change, as PA DXA of the spine changes less than trabecular QCT. At the hip
the slice holds its own cortex and ``B_hip = 0``. (ii) The hip cortex has a fixed thickness
(800 um) whatever the window, so ``L_hip`` holds for a 2.56 mm tall window (256 rows of
10 um); a 128-row window has twice the cortex share and reads ~+1.2 SD high: recalibrate.

Artefacts (spine only)
----------------------
Mineral in the PA beam that is not vertebral bone raises spine BMD:

    A = k_aac * AAC + k_op * G

with ``AAC`` the Kauppila AAC-24 score of abdominal aortic calcification (0-24; Kauppila et
al. 1997, Atherosclerosis 132:245) and ``G`` the mean osteophyte grade over L1-L4 (0 none,
1 mild, 2 moderate, 3 severe). Default sensitivities (approx.): severe osteophytes add
~0.15 g/cm^2 (~1.4 SD; Liu et al. 1997, Osteoporos Int 7:564; Rand et al. 1997, Calcif
Tissue Int 60:430), severe aortic calcification ~0.05 g/cm^2 (its effect on PA spine BMD is
small). Neither lies in the beam of a femoral-neck scan: non-zero artefacts with
``site="hip"`` raise :class:`~bonegrid.parameters.ParameterError` (rather than being silently
ignored).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from bonegrid.constants import SITES
from bonegrid.parameters import ParameterError, ParameterSet, param
from bonegrid.patient import check_choice
from bonegrid.readouts.dxa.reference import YOUNG_ADULT

BEAM_AXIS = 0
"""The beam runs along the row index (see the module docstring for why)."""


@dataclasses.dataclass(frozen=True)
class DXAParameters(ParameterSet):
    """Calibration of the virtual DXA scanner and its reporting rules."""

    tissue_mineral_density_g_cm3: float = param(
        1.2, unit="g/cm^3", low=0.5, high=2.0, symbol="\\rho_m",
        doc="mineral (ash) mass per volume of bone tissue at full mineralisation (mineral fraction 1)",
        source="approx.: ash density of cortical bone tissue ~1.2 g/cm^3 (Keller 1994, J Biomech 27:1159); "
               "ash/wet density ~0.6 of ~2.0 g/cm^3 (Morgan et al. 2003, J Biomech 36:897)")
    spine_path_length_cm: float = param(
        1.97, unit="cm", low=0.01, high=20.0, symbol="L_{spine}",
        doc="effective path of vertebral-body bone in the PA beam that the spine slice stands for",
        source="calibrated: healthy spine slices (BoneModel grid 256, seeds 1-3, mean projected fraction 0.25991) "
               "read the women's young-adult mean 1.064 g/cm^2 (rule: calibrated_path_length_cm)")
    hip_path_length_cm: float = param(
        1.56, unit="cm", low=0.01, high=20.0, symbol="L_{hip}",
        doc="effective path of femoral-neck bone in the AP beam that the hip slice stands for",
        source="calibrated: healthy hip slices (BoneModel grid 256, seeds 1-3, mean projected fraction 0.45842) "
               "read the women's young-adult femoral-neck mean 0.858 g/cm^2 (rule: calibrated_path_length_cm)")
    spine_posterior_elements_g_cm2: float = param(
        0.35, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{post}",
        doc="mineral of the posterior elements (pedicles, laminae, spinous process) in the PA spine beam, "
            "not represented by the slice and not remodeled",
        source="approx.: posterior elements ~1/3 of PA lumbar BMC (PA vs lateral DXA comparisons)")
    spine_cortical_shell_g_cm2: float = param(
        0.10, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{shell}",
        doc="mineral of the vertebral body's cortical shell (crossed twice by the beam), not in the slice",
        source="approx.: shell ~0.3-0.5 mm at ~1 g/cm^3, two walls plus the lateral walls at the ROI edges")
    hip_outside_slice_g_cm2: float = param(
        0.0, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{hip}",
        doc="mineral in the femoral-neck beam not represented by the slice",
        source="modelling choice: the hip slice holds its own cortex, so none")
    aortic_calcification_g_cm2_per_point: float = param(
        0.002, unit="g/cm^2 per AAC-24 point", low=0.0, high=0.05, symbol="k_{aac}",
        doc="spine BMD added per point of the Kauppila AAC-24 aortic calcification score",
        source="approx.: severe calcification (AAC-24 = 24) adds ~0.05 g/cm^2 to PA spine BMD, a small effect")
    osteophyte_g_cm2_per_grade: float = param(
        0.05, unit="g/cm^2 per grade", low=0.0, high=0.5, symbol="k_{op}",
        doc="spine BMD added per grade (0-3) of lumbar osteophytes",
        source="approx.: severe osteophytes add ~0.1-0.2 g/cm^2 (Liu et al. 1997, Osteoporos Int 7:564; "
               "Rand et al. 1997, Calcif Tissue Int 60:430)")
    discordance_t_difference: float = param(
        1.0, unit="SD", low=0.1, high=5.0, symbol="\\Delta T_{disc}",
        doc="spine-hip T-score difference at or above which the two sites are called discordant",
        source="approx.: clinical rule of thumb (1 SD); Woodson 2000, J Clin Densitom 3:319")
    menopause_age_years: float = param(
        51.0, unit="year", low=20.0, high=90.0, symbol="a_{meno}",
        doc="age from which a woman is taken as postmenopausal when her status is not given",
        source="approx.: median age at natural menopause ~51 years (McKinlay et al. 1992, Maturitas 14:103)")
    who_min_age_men_years: float = param(
        50.0, unit="year", low=20.0, high=90.0, symbol="a_{WHO}",
        doc="age from which WHO T-score categories apply to men (younger: Z-scores)",
        source="ISCD official positions (adult)")
    male_t_reference: str = param(
        "male", unit="1", choices=("male", "female"), symbol="",
        doc="young-adult reference for men's T-scores: men's own, or white women's as the ISCD recommends",
        source="ISCD official positions (female reference for men); default: NHANES men's reference")


@dataclasses.dataclass(frozen=True)
class Artefacts(ParameterSet):
    """Mineral in the PA beam of the lumbar spine that is not vertebral bone (all zero: none)."""

    aortic_calcification_score: float = param(
        0.0, unit="AAC-24 point", low=0.0, high=24.0, symbol="AAC",
        doc="abdominal aortic calcification over L1-L4 (Kauppila AAC-24 score, 0 none to 24 severe)",
        source="Kauppila et al. 1997, Atherosclerosis 132:245")
    osteophyte_grade: float = param(
        0.0, unit="grade", low=0.0, high=3.0, symbol="G",
        doc="mean osteophyte grade over L1-L4 (0 none, 1 mild, 2 moderate, 3 severe)",
        source="radiographic osteophyte grading 0-3 (approx.; Lane et al. 1993 atlas)")

    def added_g_cm2(self, params: DXAParameters) -> float:
        """Artefact mineral added to spine BMD, ``A = k_aac AAC + k_op G`` (g/cm^2)."""
        return (params.aortic_calcification_g_cm2_per_point * self.aortic_calcification_score
                + params.osteophyte_g_cm2_per_grade * self.osteophyte_grade)

    @property
    def present(self) -> bool:
        """Whether any artefact is present."""
        return self.aortic_calcification_score > 0 or self.osteophyte_grade > 0


def projected_fraction(mineral: np.ndarray) -> np.ndarray:
    """Per-ray projected mineral fraction ``p_j = mean_i m_ij`` (the beam along axis 0).

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction of full mineralisation, 0..1 (0 for marrow and osteoid).

    Returns
    -------
    (nx,) float ndarray
        Mineral along each ray over what the ray would hold in fully mineralised bone, 0..1.
    """
    return _check_mineral(mineral).mean(axis=BEAM_AXIS)


def slice_areal_mineral_g_cm2(mineral: np.ndarray, voxel_size_um: float,
                              params: DXAParameters | None = None) -> np.ndarray:
    """Mineral of the slice itself along each ray, ``a_j = rho_m h sum_i m_ij``.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1.
    voxel_size_um : float
        Voxel edge ``h``, um.
    params : DXAParameters, optional

    Returns
    -------
    (nx,) float ndarray
        g/cm^2 over the slice's own depth ``ny h`` (before scaling to the site's path length).
    """
    p = DXAParameters() if params is None else params
    m = _check_mineral(mineral)
    h_cm = _check_voxel_size(voxel_size_um) * 1e-4
    return p.tissue_mineral_density_g_cm3 * h_cm * m.sum(axis=BEAM_AXIS)


def _site_terms(site: str, p: DXAParameters) -> tuple[float, float]:
    """(effective path length, cm; mineral outside the slice, g/cm^2) of a site."""
    if site == "spine":
        return p.spine_path_length_cm, p.spine_posterior_elements_g_cm2 + p.spine_cortical_shell_g_cm2
    return p.hip_path_length_cm, p.hip_outside_slice_g_cm2


def _artefact_g_cm2(site: str, artefacts: Artefacts | None, p: DXAParameters) -> float:
    if artefacts is None:
        return 0.0
    if not isinstance(artefacts, Artefacts):
        raise ParameterError(f"artefacts={artefacts!r} is not allowed: expected None or an Artefacts(...)")
    if site != "spine" and artefacts.present:
        raise ParameterError(f"artefacts={artefacts!r} are not allowed at site={site!r}: a calcified aorta and "
                             "lumbar osteophytes lie in the PA beam of the spine only; pass artefacts=None for 'hip'")
    return artefacts.added_g_cm2(p)


def areal_bmd(mineral: np.ndarray, voxel_size_um: float, site: str, *, params: DXAParameters | None = None,
              artefacts: Artefacts | None = None) -> float:
    """Areal BMD, ``rho_m L_site mean_j p_j + B_site + A`` (g/cm^2).

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1; the beam runs along axis 0.
    voxel_size_um : float
        Voxel edge, um (the slice depth ``ny h`` cancels against the scaling to ``L_site``).
    site : {"spine", "hip"}
    params : DXAParameters, optional
    artefacts : Artefacts, optional
        Spine only (non-zero artefacts at the hip raise).

    Returns
    -------
    float
        g/cm^2.

    Raises
    ------
    ParameterError
        For a bad site, mineral array, voxel size, or artefacts at the hip.
    """
    p = DXAParameters() if params is None else params
    return _measure(mineral, voxel_size_um, check_choice("site", site, SITES), p, artefacts)[2]


def _measure(mineral: np.ndarray, voxel_size_um: float, site: str, p: DXAParameters,
             artefacts: Artefacts | None) -> tuple[float, float, float]:
    """Check a scan's inputs and project: the numbers behind :func:`areal_bmd` and a clinical scan.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1.
    voxel_size_um : float
        Voxel edge, um (checked; it cancels from the BMD).
    site : {"spine", "hip"}
        Already checked.
    p : DXAParameters
    artefacts : Artefacts or None
        Spine only.

    Returns
    -------
    fraction : float
        ``mean_j p_j``, 0..1.
    artefact_g_cm2 : float
        ``A``, g/cm^2.
    bmd_g_cm2 : float
        ``rho_m L_site mean_j p_j + B_site + A``, g/cm^2.
    """
    fraction = float(_check_mineral(mineral).mean())
    _check_voxel_size(voxel_size_um)
    artefact = _artefact_g_cm2(site, artefacts, p)
    return fraction, artefact, _bmd(fraction, site, p, artefact)


def bmd_from_mean_mineral(fraction: float, site: str, params: DXAParameters | None = None) -> float:
    """Areal BMD (g/cm^2) of a slice whose mean mineral fraction over all voxels is ``fraction`` (no artefacts).

    The projection is linear, so this equals :func:`areal_bmd` of any slice with that mean; the
    model's time series uses it (``bmd`` column).
    """
    return _bmd(float(fraction), check_choice("site", site, SITES), params or DXAParameters(), 0.0)


def _bmd(fraction: float, site: str, p: DXAParameters, artefact_g_cm2: float) -> float:
    """``rho_m L_site p + B_site + A`` for validated inputs (``p = mean_j p_j = mean of a_j / (rho_m D)``)."""
    length_cm, outside = _site_terms(site, p)
    return p.tissue_mineral_density_g_cm3 * length_cm * fraction + outside + artefact_g_cm2


def calibrated_path_length_cm(mean_projected_fraction: float, site: str,
                              params: DXAParameters | None = None) -> float:
    """Effective path length that makes a slice of this projected fraction read the young-adult mean.

    ``L = (mu_young(women) - B_site) / (rho_m * p)``: the calibration rule of the module docstring.

    Parameters
    ----------
    mean_projected_fraction : float
        ``mean_j p_j`` of healthy steady-state slices (``mineral.mean()``), 0 < p <= 1.
    site : {"spine", "hip"}
    params : DXAParameters, optional
        Supplies ``rho_m`` and ``B_site``.

    Returns
    -------
    float
        cm.
    """
    p = DXAParameters() if params is None else params
    site = check_choice("site", site, SITES)
    if not (0.0 < mean_projected_fraction <= 1.0):
        raise ParameterError(f"mean_projected_fraction={mean_projected_fraction!r} is out of range: allowed 0 < p <= 1")
    _, outside = _site_terms(site, p)
    mean, _ = YOUNG_ADULT[(site, "female")]
    return (mean - outside) / (p.tissue_mineral_density_g_cm3 * mean_projected_fraction)


def _check_mineral(mineral: object) -> np.ndarray:
    m = np.asarray(mineral)
    if m.dtype == bool or not np.issubdtype(m.dtype, np.number) or m.ndim != 2 or m.size == 0:
        raise ParameterError(f"mineral of dtype {m.dtype} and shape {m.shape} is not allowed: expected a non-empty "
                             "(ny, nx) float array of mineral fractions 0..1 (for a bone mask use "
                             "bone.astype(float) * mineral_fraction)")
    lo, hi = float(m.min()), float(m.max())
    if not (0.0 <= lo and hi <= 1.0):   # also rejects NaN
        raise ParameterError(f"mineral spans {lo!r}..{hi!r}: expected mineral fractions 0 <= m <= 1")
    return m


def _check_voxel_size(voxel_size_um: object) -> float:
    if (isinstance(voxel_size_um, bool) or not isinstance(voxel_size_um, (int, float, np.integer, np.floating))
            or not math.isfinite(voxel_size_um) or voxel_size_um <= 0):
        raise ParameterError(f"voxel_size_um={voxel_size_um!r} is not allowed: expected a finite value > 0 um")
    return float(voxel_size_um)


__all__ = ["BEAM_AXIS", "Artefacts", "DXAParameters", "areal_bmd", "bmd_from_mean_mineral", "calibrated_path_length_cm",
           "projected_fraction", "slice_areal_mineral_g_cm2"]
