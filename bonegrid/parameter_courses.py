"""Model parameters that follow a time course: a cause that ramps up, holds, or is removed.

A scenario (or ``BoneModel(**params)``) may give a cell, signal or physiology parameter a
piecewise-linear course instead of one value, in the form drivers use: breakpoints
``((day, value), ...)``, linear in between, held before the first and after the last (so the
burn-in runs at the first value). "Osteoblasts live half as long from year 1 to year 4" is
``osteoblast_lifespan_days = ((365, 90), (380, 45), (1461, 45), (1476, 90))``; "kidney function
falling over five years" is a course of ``gfr_l_per_day``.

Parameters fixed by the slice and its mesh (groups ``run``, ``microarchitecture`` and
``fields``: resolution, burn-in, starting geometry, the field solver's operators) cannot follow a
course. Every breakpoint's combination of values is checked like a constant override when the
course is made; the model takes the day's values each morning (:meth:`ParameterCourses.at`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from bonegrid.parameters import ParameterError, ParameterSet

FIXED_GROUPS = ("run", "microarchitecture", "fields")
"""Parameter groups whose values are fixed for a run (no course)."""


def is_course(value: Any) -> bool:
    """Return True if ``value`` is a course: a non-empty sequence of (day, value) pairs (not a string)."""
    return (isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0
            and all(isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2 for p in value))


class ParameterCourses:
    """Piecewise-linear courses of model parameters.

    Parameters
    ----------
    courses : mapping of str to sequence of (float, float)
        Parameter name -> breakpoints (day, value); days >= 0 and non-decreasing.
    groups : mapping of str to ParameterSet class
        The model's parameter groups by name (:meth:`bonegrid.model.ModelParameters.groups`).
    check : callable
        ``check(values)`` raises :class:`ParameterError` if the course values ``{name: value}``
        are not allowed together with the run's constant overrides; called for each breakpoint.

    Raises
    ------
    ParameterError
        For a name that is not a model parameter or belongs to a fixed group, badly formed
        breakpoints, or values that are not allowed at some breakpoint.
    """

    def __init__(self, courses: Mapping[str, Sequence[Sequence[float]]], groups: Mapping[str, type[ParameterSet]],
                 check: Callable[[dict[str, float]], Any]) -> None:
        self._days: dict[str, np.ndarray] = {}
        self._values: dict[str, np.ndarray] = {}
        for name, points in courses.items():
            owner = next((g for g, cls in groups.items() if name in cls.names()), None)
            if owner is None:
                raise ParameterError(f"{name}: only model parameters can follow a course (`bonegrid params` lists "
                                     "them)")
            if owner in FIXED_GROUPS:
                raise ParameterError(f"{name} is fixed for a run ({owner} parameters cannot follow a course): give "
                                     "one value")
            pairs = np.asarray(points, dtype=float).reshape(-1, 2)
            if not np.isfinite(pairs).all() or pairs[0, 0] < 0 or np.any(np.diff(pairs[:, 0]) < 0):
                raise ParameterError(f"{name}: course {list(map(tuple, pairs.tolist()))!r} is not allowed: expected "
                                     "finite (day, value) pairs with days >= 0 and non-decreasing")
            self._days[name], self._values[name] = pairs[:, 0], pairs[:, 1]
        for day in sorted({float(d) for days in self._days.values() for d in days}):
            try:
                check(self.at(day))
            except ParameterError as err:
                raise ParameterError(f"the courses on day {day:g}: {err}") from None

    def __bool__(self) -> bool:
        return bool(self._days)

    def at(self, day: float) -> dict[str, float]:
        """Each parameter's value on ``day`` (linear between breakpoints, held outside them)."""
        return {name: float(np.interp(day, self._days[name], self._values[name])) for name in self._days}


__all__ = ["FIXED_GROUPS", "ParameterCourses", "is_course"]
