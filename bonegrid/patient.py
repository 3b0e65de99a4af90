"""The virtual patient: sex and age at day 0, checked against what the model covers."""

from __future__ import annotations

import numpy as np

from bonegrid.constants import ADULT_AGE_RANGE_YEARS, SEXES
from bonegrid.parameters import ParameterError


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the strings ``allowed``.

    Raises
    ------
    ParameterError
        Naming ``name``, the value and what is allowed.
    """
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name}={value!r} is not allowed: expected one of {', '.join(map(repr, allowed))}")
    return value


def check_age(age_years: object) -> float:
    """Return an adult age in years (within :data:`~bonegrid.constants.ADULT_AGE_RANGE_YEARS`) as float.

    Raises
    ------
    ParameterError
        For a non-number or an age outside the range (NaN included).
    """
    low, high = ADULT_AGE_RANGE_YEARS
    if isinstance(age_years, bool) or not isinstance(age_years, (int, float, np.integer, np.floating)):
        raise ParameterError(f"age_years={age_years!r} has the wrong type: expected a number of years "
                             f"{low:g} <= age <= {high:g}")
    age = float(age_years)
    if not (low <= age <= high):        # also rejects NaN
        raise ParameterError(f"age_years={age_years!r} is out of range: allowed {low:g} <= age <= {high:g} years "
                             "(the span of the DXA reference curves)")
    return age


def check_patient(age_years: object, sex: object) -> tuple[float, str]:
    """Return (age in years as float, sex) if both are allowed (:func:`check_age`, :data:`~bonegrid.constants.SEXES`).

    Raises
    ------
    ParameterError
        Naming the value and what is allowed.

    Examples
    --------
    >>> check_patient(60, "female")
    (60.0, 'female')
    """
    return check_age(age_years), check_choice("sex", sex, SEXES)
