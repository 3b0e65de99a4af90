"""Virtual DXA: the slice's areal BMD as a clinical scanner would read it, with T- and Z-scores.

A readout: it samples the mineral layer and never changes it. The beam projects the slice's
mineral fraction ``m_ij`` (0..1) along axis 0; the slice stands for a path ``L`` of bone and
``B`` is the mineral in the beam outside it, both calibrated for the patient so that a
healthy slice reads its age- and sex-matched reference:

    p_j = mean_i m_ij                                       projected fraction of ray j
    BMD = rho_m * L * mean_j p_j + B + A                    areal BMD, g/cm^2
    T = (BMD - mu_young) / sd_young,  Z = (BMD - mu(age, sex)) / sd(age, sex)

:mod:`~bonegrid.readouts.dxa.scanner` holds the projection, its calibration and the spine
artefacts; :mod:`~bonegrid.readouts.dxa.reference` the NHANES reference curves and their
sources; :mod:`~bonegrid.readouts.dxa.reading` the scores, WHO categories, ISCD rules and the
two-site report.
"""

from bonegrid.readouts.dxa.reading import (
    BELOW_EXPECTED,
    ISCD_Z_FLAG,
    NORMAL,
    OSTEOPENIA,
    OSTEOPOROSIS,
    SAME_PATIENT_AGE_TOLERANCE_YEARS,
    WHO_LOW_BONE_MASS_T,
    WHO_OSTEOPOROSIS_T,
    WITHIN_EXPECTED,
    DXAResult,
    TwoSiteReport,
    dxa,
    reported,
    scan,
    t_score,
    two_site_report,
    who_category,
    young_adult_reference,
    z_score,
)
from bonegrid.readouts.dxa.reference import (
    REFERENCE_CURVES,
    YOUNG_ADULT,
    ReferenceCurve,
    age_matched_reference,
)
from bonegrid.readouts.dxa.scanner import (
    BEAM_AXIS,
    Artefacts,
    Calibration,
    DXAParameters,
    areal_bmd,
    calibration,
    projected_fraction,
    slice_areal_mineral_g_cm2,
)

__all__ = ["BEAM_AXIS", "BELOW_EXPECTED", "ISCD_Z_FLAG", "NORMAL", "OSTEOPENIA", "OSTEOPOROSIS", "REFERENCE_CURVES",
           "SAME_PATIENT_AGE_TOLERANCE_YEARS", "WHO_LOW_BONE_MASS_T", "WHO_OSTEOPOROSIS_T", "WITHIN_EXPECTED",
           "YOUNG_ADULT", "Artefacts", "Calibration", "DXAParameters", "DXAResult", "ReferenceCurve", "TwoSiteReport",
           "age_matched_reference", "areal_bmd", "calibration", "dxa", "projected_fraction", "reported", "scan",
           "slice_areal_mineral_g_cm2", "t_score", "two_site_report", "who_category", "young_adult_reference", "z_score"]
