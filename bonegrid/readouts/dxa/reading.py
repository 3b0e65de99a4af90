"""Clinical reading of a virtual DXA scan: T- and Z-scores, WHO category, ISCD flag, two-site report.

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
unrounded for analysis. The references and their sources are in
:mod:`bonegrid.readouts.dxa.reference`; men's T-scores use men's own young-adult reference
unless ``DXAParameters.male_t_reference == "female"`` (the ISCD recommendation).

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

import numpy as np

from bonegrid.constants import SEXES, SITES
from bonegrid.parameters import ParameterError
from bonegrid.patient import check_age, check_choice
from bonegrid.readouts.dxa.reference import (
    REFERENCE_CURVES,
    YOUNG_ADULT,
    age_matched_reference,
)
from bonegrid.readouts.dxa.scanner import Artefacts, DXAParameters, _measure

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


def young_adult_reference(site: str, sex: str, params: DXAParameters | None = None) -> tuple[float, float]:
    """Young-adult (mean, SD), g/cm^2, against which T-scores are taken.

    Men use their own reference unless ``params.male_t_reference == "female"`` (ISCD).
    """
    p = DXAParameters() if params is None else params
    site, sex = check_choice("site", site, SITES), check_choice("sex", sex, SEXES)
    if sex == "male" and p.male_t_reference == "female":
        sex = "female"
    return YOUNG_ADULT[(site, sex)]


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
         postmenopausal: bool | None = None, baseline_age_years: float | None = None) -> DXAResult:
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
    baseline_age_years : float, optional
        The patient's age at day 0 of the run, which calibrates the scanner
        (:func:`~bonegrid.readouts.dxa.scanner.calibration`); default ``age_years``.

    Returns
    -------
    DXAResult

    Raises
    ------
    ParameterError
        For a bad site, sex, age, mineral array or voxel size, or artefacts at the hip.

    Examples
    --------
    A healthy 50-year-old woman's slice (the target bone fraction at the healthy matrix
    mineral) reads her age-matched mean:

    >>> from bonegrid.readouts.dxa.scanner import calibration
    >>> mineral = np.full((256, 256), calibration("spine", "female", 50, 2560.0).healthy_fraction)
    >>> r = scan(mineral, 10.0, "spine", 50, "female")
    >>> round(r.bmd_g_cm2, 3), round(r.t_score, 1), r.category, abs(r.z_score) < 1e-9
    (1.031, -0.3, 'normal', True)
    """
    p = DXAParameters() if params is None else params
    site, sex = check_choice("site", site, SITES), check_choice("sex", sex, SEXES)
    age = check_age(age_years)
    if postmenopausal is not None and not isinstance(postmenopausal, bool):
        raise ParameterError(f"postmenopausal={postmenopausal!r} is not allowed: expected True, False or None")
    baseline = age if baseline_age_years is None else baseline_age_years
    fraction, artefact, bmd = _measure(mineral, voxel_size_um, site, sex, baseline, p, artefacts)
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


def dxa(model, age_years: float, sex: str, *, artefacts: Artefacts | None = None,
        params: DXAParameters | None = None, postmenopausal: bool | None = None) -> DXAResult:
    """Scan a :class:`~bonegrid.model.BoneModel` as it is now (site and voxel size from the model).

    Parameters
    ----------
    model : bonegrid.model.BoneModel
        Read only: ``model.site``, ``model.age_years`` (day 0: the calibration),
        ``model.tissue.mineral`` and ``model.params.run.voxel_size_um``.
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
                params=params, artefacts=artefacts, postmenopausal=postmenopausal, baseline_age_years=model.age_years)


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


__all__ = ["BELOW_EXPECTED", "ISCD_Z_FLAG", "NORMAL", "OSTEOPENIA", "OSTEOPOROSIS", "SAME_PATIENT_AGE_TOLERANCE_YEARS",
           "WHO_LOW_BONE_MASS_T", "WHO_OSTEOPOROSIS_T", "WITHIN_EXPECTED", "DXAResult", "TwoSiteReport", "dxa",
           "reported", "scan", "t_score", "two_site_report", "who_category", "young_adult_reference", "z_score"]
