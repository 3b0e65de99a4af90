"""The virtual patient: sex and age at day 0, checked against what the model covers."""

from __future__ import annotations

import numpy as np

from bonegrid.constants import ADULT_AGE_RANGE_YEARS, SEXES
from bonegrid.parameters import ParameterError


def check_patient(age_years: object, sex: object) -> tuple[float, str]:
    """Return (age in years as float, sex) if both are allowed.

    Raises
    ------
    ParameterError
        Naming the value and what is allowed (ages :data:`~bonegrid.constants.ADULT_AGE_RANGE_YEARS`,
        sexes :data:`~bonegrid.constants.SEXES`).

    Examples
    --------
    >>> check_patient(60, "female")
    (60.0, 'female')
    """
    low, high = ADULT_AGE_RANGE_YEARS
    if isinstance(age_years, bool) or not isinstance(age_years, (int, float, np.integer, np.floating)):
        raise ParameterError(f"age_years={age_years!r} has the wrong type: expected a number of years "
                             f"{low:g} <= age <= {high:g}")
    age = float(age_years)
    if not (low <= age <= high):        # also rejects NaN
        raise ParameterError(f"age_years={age_years!r} is out of range: allowed {low:g} <= age <= {high:g} years "
                             "(the span of the DXA reference curves)")
    if not isinstance(sex, str) or sex not in SEXES:
        raise ParameterError(f"sex={sex!r} is not allowed: expected one of {', '.join(map(repr, SEXES))}")
    return age, sex
