"""Checks of values read from TOML files (scenario files, sweep specs).

Each check returns the value if it is allowed and otherwise raises
:class:`~bonegrid.parameters.ParameterError` with one line naming the file (``where``), the
key and what is allowed.

Examples
--------
>>> integer(4, "spec.toml [run]", "workers", low=1)
4
>>> integer(0, "spec.toml [run]", "workers", low=1)
Traceback (most recent call last):
    ...
bonegrid.parameters.ParameterError: spec.toml [run]: workers=0 is out of range: allowed workers >= 1
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bonegrid.parameters import ParameterError


def keys(table: Mapping[str, Any], where: str, allowed: Sequence[str] = (), required: Sequence[str] = (),
         prefix: str = "") -> None:
    """Refuse keys outside ``required`` + ``allowed`` and missing ``required`` keys (``prefix`` names the table)."""
    known = tuple(dict.fromkeys((*required, *allowed)))
    for key in table:
        if key not in known:
            raise ParameterError(f"{where}: unknown key '{prefix}{key}': allowed {', '.join(known)}")
    for key in required:
        if key not in table:
            raise ParameterError(f"{where}: missing key '{prefix}{key}'")


def table(value: Any, where: str, key: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a TOML table."""
    if not isinstance(value, Mapping):
        raise ParameterError(f"{where}: {key} has the wrong type: expected a table")
    return value


def array(value: Any, where: str, key: str) -> list[Any]:
    """Return ``value`` if it is a TOML array."""
    if not isinstance(value, list):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected an array")
    return value


def names(value: Any, where: str, key: str, known: Sequence[str]) -> list[str]:
    """Return ``value`` if it is a non-empty array of distinct names, each one of ``known``."""
    chosen = array(value, where, key)
    for name in chosen:
        if name not in known:
            raise ParameterError(f"{where}: {key}: {name!r} is not allowed: expected some of {', '.join(known)}")
    if not chosen or len(set(chosen)) != len(chosen):
        raise ParameterError(f"{where}: {key}={chosen!r} is not allowed: expected distinct names, at least one")
    return chosen


def string(value: Any, where: str, key: str) -> str:
    """Return ``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected a non-empty string")
    return value


def number(value: Any, where: str, key: str) -> float:
    """Return ``value`` as float if it is a finite number (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected a finite number")
    return float(value)


def integer(value: Any, where: str, key: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` if it is an integer within ``[low, high]`` (either end may be open)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            allowed = f"{low} <= {key} <= {high}"
        else:
            allowed = f"{key} >= {low}" if low is not None else f"{key} <= {high}"
        raise ParameterError(f"{where}: {key}={value!r} is out of range: allowed {allowed}")
    return value


def boolean(value: Any, where: str, key: str) -> bool:
    """Return ``value`` if it is a TOML boolean."""
    if not isinstance(value, bool):
        raise ParameterError(f"{where}: {key}={value!r} has the wrong type: expected true or false")
    return value


__all__ = ["array", "boolean", "integer", "keys", "names", "number", "string", "table"]
