"""DXA reference data: areal BMD by age and sex, against which T- and Z-scores are taken.

Mean and SD of areal BMD (g/cm^2) by age band; nodes at band centres, linear interpolation in age,
constant beyond the first and last node; ages 20-90 allowed
(:data:`~bonegrid.constants.ADULT_AGE_RANGE_YEARS`).

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

The young-adult reference (:data:`YOUNG_ADULT`) is the youngest band of each curve. The ISCD
recommends the white-female young-adult reference for men's T-scores as well; the choice is
``DXAParameters.male_t_reference`` (default: men's own NHANES reference), applied by
:func:`~bonegrid.readouts.dxa.reading.young_adult_reference`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bonegrid.constants import SEXES, SITES
from bonegrid.patient import check_age, check_choice


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
    _nodes: tuple[np.ndarray, np.ndarray, np.ndarray] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Keep the nodes as float arrays too, so that :meth:`at` does not convert the tuples at every call."""
        nodes = tuple(np.asarray(v, dtype=float) for v in (self.ages_years, self.mean_g_cm2, self.sd_g_cm2))
        object.__setattr__(self, "_nodes", nodes)

    def at(self, age_years: float | np.ndarray) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
        """Mean and SD (g/cm^2) at ``age_years``, interpolated linearly (constant beyond the end nodes).

        Floats for one age; for an array of ages, two arrays of its shape.
        """
        ages, means, sds = self._nodes
        mean = np.interp(age_years, ages, means)
        sd = np.interp(age_years, ages, sds)
        return (float(mean), float(sd)) if np.ndim(age_years) == 0 else (mean, sd)


_SPINE_SOURCE = ("NHANES 2005-2008 lumbar spine (Looker et al. 2012), bands 21-30 .. 71-80 as tabulated by "
                 "Varatharajan et al. 2026 Front Endocrinol 17:1748490 Table 3; 80+ approx.")
_HIP_SOURCE = ("NHANES III femoral neck, non-Hispanic white (Looker et al. 1998 Osteoporos Int 8:468); "
               "women 20-29 as in Looker 1998, other values approx.; young-adult SD at all ages")
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


def age_matched_reference(site: str, sex: str, age_years: float) -> tuple[float, float]:
    """Age- and sex-matched (mean, SD), g/cm^2, interpolated in :data:`REFERENCE_CURVES`."""
    key = (check_choice("site", site, SITES), check_choice("sex", sex, SEXES))
    return REFERENCE_CURVES[key].at(check_age(age_years))


__all__ = ["REFERENCE_CURVES", "YOUNG_ADULT", "ReferenceCurve", "age_matched_reference"]
