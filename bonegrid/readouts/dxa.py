"""Virtual DXA: areal BMD of the slice, T- and Z-scores, WHO category, artefacts, two-site report.

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
mineral read the young-adult reference mean of women (T = 0). Measured on this code
(``BoneModel(site=..., grid=256, seed=s)``, default parameters, after its 365-day burn-in;
``model.tissue.mineral.mean()``, which is ``mean_j p_j``), seeds 1-3::

    spine: p = 0.25090, 0.26265, 0.26619   mean 0.25991  (BV/TV ~0.27, matrix mineral ~0.96)
    hip:   p = 0.45975, 0.46179, 0.45373   mean 0.45842  (800 um cortex + trabecular core)

    spine: L = (1.064 - 0.35 - 0.10) / (1.2 * 0.25991) = 0.614 / 0.31189 = 1.969 -> 1.97 cm
    hip:   L = (0.858 - 0)           / (1.2 * 0.45842) = 0.858 / 0.55010 = 1.560 -> 1.56 cm

    check: spine 1.2 * 1.97 * 0.25991 + 0.45 = 1.0644 g/cm^2  (T = +0.00; seeds 1-3: T -0.20 .. +0.14)
           hip   1.2 * 1.56 * 0.45842       = 0.8582 g/cm^2  (T = +0.00; seeds 1-3: T -0.07 .. +0.05)

Measured on commit e911169 with other modules being edited; a re-measure minutes later
(spine 0.26162, hip 0.45736) moved the mean T by +0.04 and -0.02, well inside the spread
between seeds. Re-measure and re-derive with :func:`calibrated_path_length_cm` when the
defaults that set BV/TV or steady-state mineral change::

    python -c "from bonegrid.model import BoneModel; import numpy as np; \
    print([np.mean([BoneModel(site=s, grid=256, seed=k).tissue.mineral.mean() for k in (1, 2, 3)]) \
    for s in ('spine', 'hip')])"

:func:`calibrated_path_length_cm` is this rule as code (use it to recalibrate for another
window or voxel size). Plausibility: the generated spine slice is denser than vertebral
trabecular bone (volumetric 1.2 x 0.26 = 0.31 g/cm^3 against ~0.18 g/cm^3 by QCT in young
women), so its effective path is shorter than the vertebral body's antero-posterior depth
(~3.0-3.5 cm): 3.0-3.5 cm x 0.18 / 0.31 = 1.7-2.0 cm, consistent with 1.97 cm. Likewise the
hip slice (0.55 g/cm^3, cortex over-represented) against an integral femoral-neck density of
~0.3 g/cm^3 over a ~2.5-3 cm deep neck gives ~1.4-1.6 cm, consistent with 1.56 cm.

Consequences. (i) At the spine the fixed ``B_spine = 0.45 g/cm^2`` (posterior elements and
the vertebral body's cortical shell, which are not in the slice) makes the slice ~58 % of
the reading (0.614 / 1.064): a relative change of the slice's mineral moves spine BMD by
~0.58 of that change, as PA DXA of the spine changes less than trabecular QCT. At the hip
the slice holds its own cortex and ``B_hip = 0``. (ii) The hip cortex has a fixed thickness
(800 um) whatever the window, so ``L_hip`` holds for a 2.56 mm tall window (256 rows of
10 um); a 128-row window has twice the cortex share and reads ~+1.2 SD high: recalibrate.

Scores and categories
---------------------
    T = (BMD - mu_young) / sd_young              (young-adult reference, sex-specific)
    Z = (BMD - mu(age, sex)) / sd(age, sex)      (age- and sex-matched reference)

WHO (1994; ISCD official positions): normal T >= -1.0, osteopenia (low bone mass)
-2.5 < T < -1.0, osteoporosis T <= -2.5. They apply to postmenopausal women and to men aged
50 or more; in premenopausal women and men under 50 the ISCD says use Z-scores, with
Z <= -2.0 "below the expected range for age" (:attr:`DXAResult.diagnosis` applies this rule).
As on a clinical report (ISCD: T- and Z-scores to one decimal place) the category and the
Z flag are read from the scores rounded to one decimal; ``t_score`` and ``z_score`` are kept
unrounded for analysis.

Reference data (g/cm^2, mean and SD by age band; nodes at band centres, linear interpolation
in age, constant beyond the first and last node; ages 20-90 allowed)

Lumbar spine (L1-L4), NHANES 2005-2008 (Looker et al. 2012, Osteoporos Int 23:1351 and NCHS
Vital Health Stat 11(251)), band means and SDs as tabulated by Varatharajan et al. 2026,
Front Endocrinol 17:1748490, Table 3, doi:10.3389/fendo.2026.1748490 (reference.md quotes
the women 21-30 row); the 80+ node is approx. (NHANES 2005-2020 pooled means at 80+: women
~0.90, men ~1.07, "Trends in bone mineral density in US 6-80 years old", NHANES 2005-2020):

    band      21-30          31-40          41-50          51-60          61-70          71-80          80+ (approx.)
    women     1.064 (0.106)  1.065 (0.110)  1.056 (0.134)  0.993 (0.141)  0.952 (0.142)  0.902 (0.167)  0.890 (0.167)
    men       1.057 (0.110)  1.042 (0.117)  1.051 (0.129)  1.053 (0.143)  1.070 (0.142)  1.068 (0.177)  1.070 (0.177)

Men's spine BMD does not fall with age in NHANES (degenerative changes offset loss; Looker
2012); women's peaks at 31-40 and falls after 50.

Femoral neck, NHANES III non-Hispanic white adults (Looker et al. 1998, Osteoporos Int
8:468, doi:10.1007/s001980050093). Young adults 20-29: women 0.858 (0.120) (reference.md;
the WHO/ISCD reference), men 0.930 (0.136) (approx.). Older bands are approx. (recalled from
that paper, not checked against its tables); the young-adult SD is used at every age:

    band      20-29   30-39   40-49   50-59   60-69   70-79   80+
    women     0.858   0.835   0.807   0.739   0.687   0.631   0.584   (approx. after 20-29)
    men       0.930   0.874   0.839   0.806   0.784   0.745   0.686   (approx.)

The ISCD recommends the white-female young-adult reference for men's T-scores as well
(``male_t_reference="female"``); the default keeps men's own NHANES reference.

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

Two-site report
---------------
Spine and hip T-scores that differ by >= 1.0 SD are called discordant (the usual clinical
rule of thumb, approx.; Woodson 2000, J Clin Densitom 3:319 grades discordance by WHO class:
minor for adjacent classes, major for normal vs osteoporosis). A spine reading higher than
the hip by that much in an older adult hints at artefacts that raise PA spine BMD (aortic
calcification; degenerative osteophytes and facet sclerosis; compression fractures). The diagnosis follows
the lower of the two scores (ISCD: the lowest T-score of the sites measured).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from bonegrid.parameters import ParameterError, ParameterSet, param

if TYPE_CHECKING:
    from bonegrid.model import BoneModel

SITES = ("spine", "hip")
"""Sites the virtual scanner knows: lumbar spine (L1-L4, PA) and femoral neck."""

SEXES = ("female", "male")
"""Sexes of the reference data."""

AGE_RANGE_YEARS = (20.0, 90.0)
"""Ages (inclusive) the reference curves cover."""

BEAM_AXIS = 0
"""The beam runs along the row index (see the module docstring for why)."""

NORMAL, OSTEOPENIA, OSTEOPOROSIS = "normal", "osteopenia", "osteoporosis"
"""WHO categories."""

WHO_LOW_BONE_MASS_T = -1.0
"""T-scores below this are low bone mass (osteopenia); -1.0 itself is normal (WHO 1994)."""

WHO_OSTEOPOROSIS_T = -2.5
"""T-scores at or below this are osteoporosis (WHO 1994)."""

ISCD_Z_FLAG = -2.0
"""Z-scores at or below this are "below the expected range for age" (ISCD)."""

BELOW_EXPECTED = "below the expected range for age"
WITHIN_EXPECTED = "within the expected range for age"

SAME_PATIENT_AGE_TOLERANCE_YEARS = 1.0
"""Spine and hip results of one patient may differ in age by at most this (scans on different days)."""


# ----------------------------------------------------------------------------- parameters
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
               "read the women's young-adult mean 1.064 g/cm^2 (module docstring)")
    hip_path_length_cm: float = param(
        1.56, unit="cm", low=0.01, high=20.0, symbol="L_{hip}",
        doc="effective path of femoral-neck bone in the AP beam that the hip slice stands for",
        source="calibrated: healthy hip slices (BoneModel grid 256, seeds 1-3, mean projected fraction 0.45842) "
               "read the women's young-adult femoral-neck mean 0.858 g/cm^2 (module docstring)")
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


# ----------------------------------------------------------------------------- reference data
@dataclasses.dataclass(frozen=True)
class ReferenceCurve:
    """Mean and SD of areal BMD by age for one site and sex (linear in age between band centres).

    Attributes
    ----------
    ages_years : tuple of float
        Band centres, years, increasing.
    mean_g_cm2, sd_g_cm2 : tuple of float
        Band mean and SD, g/cm^2.
    source : str
    """

    ages_years: tuple[float, ...]
    mean_g_cm2: tuple[float, ...]
    sd_g_cm2: tuple[float, ...]
    source: str

    def at(self, age_years: float) -> tuple[float, float]:
        """Mean and SD (g/cm^2) at ``age_years``, interpolated linearly (constant beyond the end nodes)."""
        return (float(np.interp(age_years, self.ages_years, self.mean_g_cm2)),
                float(np.interp(age_years, self.ages_years, self.sd_g_cm2)))


_SPINE_SOURCE = ("NHANES 2005-2008 lumbar spine (Looker et al. 2012), bands 21-30 .. 71-80 as tabulated by "
                 "Varatharajan et al. 2026 Front Endocrinol 17:1748490 Table 3; 80+ approx.")
_HIP_SOURCE = ("NHANES III femoral neck, non-Hispanic white (Looker et al. 1998 Osteoporos Int 8:468); "
               "women 20-29 as in reference.md, other values approx.; young-adult SD at all ages")
_SPINE_AGES = (26.0, 36.0, 46.0, 56.0, 66.0, 76.0, 85.0)      # centres of 21-30, ..., 71-80, 80+
_HIP_AGES = (25.0, 35.0, 45.0, 55.0, 65.0, 75.0, 85.0)        # centres of 20-29, ..., 70-79, 80+

REFERENCE_CURVES: dict[tuple[str, str], ReferenceCurve] = {
    ("spine", "female"): ReferenceCurve(
        _SPINE_AGES, (1.064, 1.065, 1.056, 0.993, 0.952, 0.902, 0.890),
        (0.106, 0.110, 0.134, 0.141, 0.142, 0.167, 0.167), _SPINE_SOURCE),
    ("spine", "male"): ReferenceCurve(
        _SPINE_AGES, (1.057, 1.042, 1.051, 1.053, 1.070, 1.068, 1.070),
        (0.110, 0.117, 0.129, 0.143, 0.142, 0.177, 0.177), _SPINE_SOURCE),
    ("hip", "female"): ReferenceCurve(
        _HIP_AGES, (0.858, 0.835, 0.807, 0.739, 0.687, 0.631, 0.584), (0.120,) * 7, _HIP_SOURCE),
    ("hip", "male"): ReferenceCurve(
        _HIP_AGES, (0.930, 0.874, 0.839, 0.806, 0.784, 0.745, 0.686), (0.136,) * 7, _HIP_SOURCE),
}
"""Age- and sex-matched reference curves, keyed by (site, sex); "hip" is the femoral neck."""

YOUNG_ADULT: dict[tuple[str, str], tuple[float, float]] = {
    key: (curve.mean_g_cm2[0], curve.sd_g_cm2[0]) for key, curve in REFERENCE_CURVES.items()
}
"""Young-adult reference (mean, SD) g/cm^2 for T-scores: the youngest band of each curve
(spine 21-30, NHANES 2005-2008; femoral neck 20-29, NHANES III)."""


# ----------------------------------------------------------------------------- validation
def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name}={value!r} is not allowed: expected one of {', '.join(map(repr, allowed))}")
    return value


def _check_age(age_years: object) -> float:
    low, high = AGE_RANGE_YEARS
    if isinstance(age_years, bool) or not isinstance(age_years, (int, float, np.integer, np.floating)):
        raise ParameterError(f"age_years={age_years!r} has the wrong type: expected a number of years "
                             f"{low:g} <= age <= {high:g}")
    age = float(age_years)
    if not (low <= age <= high):        # also rejects NaN
        raise ParameterError(f"age_years={age_years!r} is out of range: allowed {low:g} <= age <= {high:g} years "
                             "(the span of the NHANES reference curves)")
    return age


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


# ----------------------------------------------------------------------------- projection
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
    site = _check_choice("site", site, SITES)
    m = _check_mineral(mineral)
    _check_voxel_size(voxel_size_um)
    return _bmd(float(m.mean()), site, p, _artefact_g_cm2(site, artefacts, p))


def bmd_from_mean_mineral(fraction: float, site: str, params: DXAParameters | None = None) -> float:
    """Areal BMD (g/cm^2) of a slice whose mean mineral fraction over all voxels is ``fraction`` (no artefacts).

    The projection is linear, so this equals :func:`areal_bmd` of any slice with that mean; the
    model's time series uses it (``bmd`` column).
    """
    return _bmd(float(fraction), _check_choice("site", site, SITES), params or DXAParameters(), 0.0)


def check_patient(age_years: object, sex: object) -> tuple[float, str]:
    """Validate a patient's age (years, within the reference curves) and sex; return them."""
    return _check_age(age_years), _check_choice("sex", sex, SEXES)


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
    site = _check_choice("site", site, SITES)
    if not (0.0 < mean_projected_fraction <= 1.0):
        raise ParameterError(f"mean_projected_fraction={mean_projected_fraction!r} is out of range: allowed 0 < p <= 1")
    _, outside = _site_terms(site, p)
    mean, _ = YOUNG_ADULT[(site, "female")]
    return (mean - outside) / (p.tissue_mineral_density_g_cm3 * mean_projected_fraction)


# ----------------------------------------------------------------------------- scores
def young_adult_reference(site: str, sex: str, params: DXAParameters | None = None) -> tuple[float, float]:
    """Young-adult (mean, SD), g/cm^2, against which T-scores are taken.

    Men use their own reference unless ``params.male_t_reference == "female"`` (ISCD).
    """
    p = DXAParameters() if params is None else params
    site, sex = _check_choice("site", site, SITES), _check_choice("sex", sex, SEXES)
    if sex == "male" and p.male_t_reference == "female":
        sex = "female"
    return YOUNG_ADULT[(site, sex)]


def age_matched_reference(site: str, sex: str, age_years: float) -> tuple[float, float]:
    """Age- and sex-matched (mean, SD), g/cm^2, interpolated in :data:`REFERENCE_CURVES`."""
    key = (_check_choice("site", site, SITES), _check_choice("sex", sex, SEXES))
    return REFERENCE_CURVES[key].at(_check_age(age_years))


def t_score(bmd_g_cm2: float, site: str, sex: str, params: DXAParameters | None = None) -> float:
    """T-score, ``(BMD - mu_young) / sd_young`` (SD units)."""
    mean, sd = young_adult_reference(site, sex, params)
    return (bmd_g_cm2 - mean) / sd


def z_score(bmd_g_cm2: float, site: str, sex: str, age_years: float) -> float:
    """Z-score, ``(BMD - mu(age, sex)) / sd(age, sex)`` (SD units)."""
    mean, sd = age_matched_reference(site, sex, age_years)
    return (bmd_g_cm2 - mean) / sd


def who_category(t: float) -> str:
    """WHO category of a T-score: normal (T >= -1.0), osteopenia (-2.5 < T < -1.0), osteoporosis (T <= -2.5)."""
    if math.isnan(t):
        raise ParameterError("t=nan is not allowed: expected a T-score")
    if t >= WHO_LOW_BONE_MASS_T:
        return NORMAL
    if t > WHO_OSTEOPOROSIS_T:
        return OSTEOPENIA
    return OSTEOPOROSIS


def reported(score: float) -> float:
    """Round a score as it is reported: to one decimal place (ISCD)."""
    return round(score, 1)


# ----------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True)
class DXAResult:
    """One DXA scan of one site.

    Attributes
    ----------
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
    postmenopausal : bool
        As given, or (women) ``age >= menopause_age_years``; False for men.
    bmd_g_cm2 : float
        Areal BMD, g/cm^2 (artefacts included).
    t_score, z_score : float
        Unrounded, SD units.
    category : {"normal", "osteopenia", "osteoporosis"}
        WHO category of the reported (one-decimal) T-score, whether or not WHO applies.
    z_flag : bool
        Reported Z-score <= -2.0 ("below the expected range for age", ISCD).
    who_applies : bool
        WHO categories apply: postmenopausal women, men aged >= 50 (else use Z, ISCD).
    projected_fraction : float
        ``mean_j p_j`` of the slice, 0..1.
    artefact_g_cm2 : float
        Artefact mineral included in ``bmd_g_cm2``, g/cm^2.
    young_mean_g_cm2, young_sd_g_cm2, age_mean_g_cm2, age_sd_g_cm2 : float
        The references used, g/cm^2.
    """

    site: str
    sex: str
    age_years: float
    postmenopausal: bool
    bmd_g_cm2: float
    t_score: float
    z_score: float
    category: str
    z_flag: bool
    who_applies: bool
    projected_fraction: float
    artefact_g_cm2: float
    young_mean_g_cm2: float
    young_sd_g_cm2: float
    age_mean_g_cm2: float
    age_sd_g_cm2: float

    @property
    def diagnosis(self) -> str:
        """The ISCD reading: the WHO category if WHO applies, else the Z-score statement."""
        if self.who_applies:
            return self.category
        return BELOW_EXPECTED if self.z_flag else WITHIN_EXPECTED

    def summary(self) -> str:
        """One line as on a report: BMD (3 decimals), T and Z (1 decimal), reading."""
        return (f"{self.site}: BMD {self.bmd_g_cm2:.3f} g/cm^2, T {reported(self.t_score):+.1f}, "
                f"Z {reported(self.z_score):+.1f} ({self.sex}, {self.age_years:g} y): {self.diagnosis}")


def scan(mineral: np.ndarray, voxel_size_um: float, site: str, age_years: float, sex: str, *,
         params: DXAParameters | None = None, artefacts: Artefacts | None = None,
         postmenopausal: bool | None = None) -> DXAResult:
    """Scan a slice: areal BMD, T- and Z-scores, WHO category and ISCD flag.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction of full mineralisation, 0..1; not modified.
    voxel_size_um : float
        Voxel edge, um.
    site : {"spine", "hip"}
        Lumbar spine (PA) or femoral neck.
    age_years : float
        20 <= age <= 90.
    sex : {"female", "male"}
    params : DXAParameters, optional
    artefacts : Artefacts, optional
        Aortic calcification and osteophytes; spine only.
    postmenopausal : bool, optional
        Women's menopausal status; default: ``age >= params.menopause_age_years``. Ignored for men.

    Returns
    -------
    DXAResult

    Raises
    ------
    ParameterError
        For a bad site, sex, age, mineral array or voxel size, or artefacts at the hip.

    Examples
    --------
    >>> mineral = np.full((256, 256), 0.25991)
    >>> r = scan(mineral, 10.0, "spine", 50, "female")
    >>> round(r.bmd_g_cm2, 3), round(r.t_score, 1), r.category
    (1.064, 0.0, 'normal')
    """
    p = DXAParameters() if params is None else params
    site, sex = _check_choice("site", site, SITES), _check_choice("sex", sex, SEXES)
    age = _check_age(age_years)
    if postmenopausal is not None and not isinstance(postmenopausal, bool):
        raise ParameterError(f"postmenopausal={postmenopausal!r} is not allowed: expected True, False or None")
    fraction = float(_check_mineral(mineral).mean())
    _check_voxel_size(voxel_size_um)
    artefact = _artefact_g_cm2(site, artefacts, p)
    bmd = _bmd(fraction, site, p, artefact)
    young_mean, young_sd = young_adult_reference(site, sex, p)
    age_mean, age_sd = REFERENCE_CURVES[(site, sex)].at(age)
    t = (bmd - young_mean) / young_sd
    z = (bmd - age_mean) / age_sd
    if sex == "female":
        post = age >= p.menopause_age_years if postmenopausal is None else postmenopausal
        who = post
    else:
        post = False
        who = age >= p.who_min_age_men_years
    return DXAResult(site=site, sex=sex, age_years=age, postmenopausal=post, bmd_g_cm2=bmd, t_score=t, z_score=z,
                     category=who_category(reported(t)), z_flag=reported(z) <= ISCD_Z_FLAG, who_applies=who,
                     projected_fraction=fraction, artefact_g_cm2=artefact, young_mean_g_cm2=young_mean,
                     young_sd_g_cm2=young_sd, age_mean_g_cm2=age_mean, age_sd_g_cm2=age_sd)


def dxa(model: BoneModel, age_years: float, sex: str, *, artefacts: Artefacts | None = None,
        params: DXAParameters | None = None, postmenopausal: bool | None = None) -> DXAResult:
    """Scan a :class:`~bonegrid.model.BoneModel` as it is now (site and voxel size from the model).

    Parameters
    ----------
    model : BoneModel
        Read only: ``model.site``, ``model.tissue.mineral`` and ``model.params.run.voxel_size_um``.
    age_years : float
        The patient's age now, 20..90 years.
    sex : {"female", "male"}
    artefacts, params, postmenopausal
        As for :func:`scan`.

    Returns
    -------
    DXAResult
    """
    mineral = model.tissue.mineral                    # the data of the "mineral" PropertyLayer
    if not isinstance(mineral, np.ndarray):
        mineral = model.tissue.layers["mineral"].data
    return scan(mineral, model.params.run.voxel_size_um, model.site, age_years, sex,
                params=params, artefacts=artefacts, postmenopausal=postmenopausal)


# ----------------------------------------------------------------------------- two sites
@dataclasses.dataclass(frozen=True)
class TwoSiteReport:
    """Spine and femoral-neck scans of one patient read together.

    Attributes
    ----------
    spine, hip : DXAResult
    t_difference : float
        Spine minus hip T-score, SD.
    discordant : bool
        ``|t_difference| >= discordance_t_difference``.
    spine_higher : bool
        Discordant with the spine higher: the pattern of artefacts that raise PA spine BMD.
    category_discordance : {"none", "minor", "major"}
        WHO classes equal, adjacent, or normal vs osteoporosis (Woodson 2000).
    lowest : DXAResult
        The site with the lower score (T if WHO applies, else Z).
    diagnosis : str
        The lowest site's reading (ISCD: the lowest T-score decides).
    message : str
        Plain-text interpretation, with a hint at artefacts when the spine reads high.
    """

    spine: DXAResult
    hip: DXAResult
    t_difference: float
    discordant: bool
    spine_higher: bool
    category_discordance: str
    lowest: DXAResult
    diagnosis: str
    message: str


_ORDER = {NORMAL: 0, OSTEOPENIA: 1, OSTEOPOROSIS: 2}


def two_site_report(spine: DXAResult, hip: DXAResult, *, params: DXAParameters | None = None) -> TwoSiteReport:
    """Read spine and hip scans of one patient together and flag a discordance.

    Parameters
    ----------
    spine, hip : DXAResult
        Results of :func:`scan` at ``site="spine"`` and ``site="hip"``; same sex, ages within a year.
    params : DXAParameters, optional
        Supplies ``discordance_t_difference``.

    Returns
    -------
    TwoSiteReport

    Raises
    ------
    ParameterError
        If the sites are not spine and hip, or the results are not of one patient.
    """
    p = DXAParameters() if params is None else params
    if not (isinstance(spine, DXAResult) and isinstance(hip, DXAResult)):
        raise ParameterError("two_site_report takes two DXAResult objects (from scan or dxa)")
    if spine.site != "spine" or hip.site != "hip":
        raise ParameterError(f"sites ({spine.site!r}, {hip.site!r}) are not allowed: expected ('spine', 'hip')")
    if spine.sex != hip.sex or abs(spine.age_years - hip.age_years) > SAME_PATIENT_AGE_TOLERANCE_YEARS:
        raise ParameterError(f"the scans are not of one patient: spine ({spine.sex}, {spine.age_years:g} y) vs hip "
                             f"({hip.sex}, {hip.age_years:g} y); expected the same sex and ages within "
                             f"{SAME_PATIENT_AGE_TOLERANCE_YEARS:g} year")
    diff = spine.t_score - hip.t_score
    threshold = p.discordance_t_difference
    discordant = abs(diff) >= threshold
    spine_higher = diff >= threshold
    gap = abs(_ORDER[spine.category] - _ORDER[hip.category])
    category_discordance = ("none", "minor", "major")[gap]
    use_t = spine.who_applies and hip.who_applies
    score = (lambda r: r.t_score) if use_t else (lambda r: r.z_score)
    lowest = spine if score(spine) <= score(hip) else hip
    diagnosis = lowest.category if use_t else lowest.diagnosis

    lines = [f"Spine T {reported(spine.t_score):+.1f}, femoral neck T {reported(hip.t_score):+.1f} "
             f"(difference {diff:+.1f} SD); diagnosis from the {lowest.site}: {diagnosis}."]
    if spine_higher:
        lines.append(f"Discordant: the spine reads {diff:.1f} SD above the hip (>= {threshold:g}). In an older "
                     "adult this suggests artefacts falsely raising PA spine BMD - aortic calcification, "
                     "degenerative osteophytes or facet sclerosis, compression fractures; check the image and "
                     "rely on the hip.")
        if spine.artefact_g_cm2 > 0:
            lines.append(f"Artefacts entered add {spine.artefact_g_cm2:.3f} g/cm^2 "
                         f"({spine.artefact_g_cm2 / spine.young_sd_g_cm2:.1f} SD) to the spine.")
    elif discordant:
        lines.append(f"Discordant: the hip reads {-diff:.1f} SD above the spine (>= {threshold:g}); no artefact "
                     "pattern (trabecular spine bone is lost first, e.g. early after menopause or on glucocorticoids).")
    else:
        lines.append(f"Concordant: spine and hip within {threshold:g} SD.")
    return TwoSiteReport(spine=spine, hip=hip, t_difference=diff, discordant=discordant, spine_higher=spine_higher,
                         category_discordance=category_discordance, lowest=lowest, diagnosis=diagnosis,
                         message=" ".join(lines))


__all__ = ["AGE_RANGE_YEARS", "BEAM_AXIS", "REFERENCE_CURVES", "SEXES", "SITES", "YOUNG_ADULT", "Artefacts",
           "DXAParameters", "DXAResult", "ReferenceCurve", "TwoSiteReport", "age_matched_reference", "areal_bmd",
           "calibrated_path_length_cm", "dxa", "projected_fraction", "scan", "slice_areal_mineral_g_cm2",
           "t_score", "two_site_report", "who_category", "young_adult_reference", "z_score"]
