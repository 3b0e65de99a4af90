"""Typed, documented, validated parameter sets.

Every module that owns a mechanism owns its parameters as a frozen dataclass derived
from :class:`ParameterSet`, declared with :func:`param` so that each value carries its
unit, symbol, source and allowed range. Validation happens once, at construction, and
names the key, the value and what is allowed. :func:`split_overrides` routes flat
keyword overrides (``BoneModel(osteoclast_lifespan_days=10)``) to the set that owns
them, and :func:`markdown_table` renders the tables in ``docs/model.md`` so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any


class ParameterError(ValueError):
    """A parameter is unknown, of the wrong type or outside its allowed range."""


def param(
    default: float | int | bool | str,
    *,
    unit: str,
    doc: str,
    source: str,
    low: float | None = None,
    high: float | None = None,
    symbol: str = "",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare a documented parameter field.

    Parameters
    ----------
    default : float, int, bool or str
        Default value; its type is the type the parameter must have.
    unit : str
        Physical unit ("1" for dimensionless).
    doc : str
        One-line meaning, in the words of the biology.
    source : str
        Where the value comes from (citation, or "calibrated: <how>").
    low, high : float, optional
        Inclusive allowed range.
    symbol : str
        Mathematical symbol used in ``docs/model.md``.
    choices : tuple of str, optional
        Allowed values for a string parameter.
    """
    meta = dict(unit=unit, doc=doc, source=source, low=low, high=high, symbol=symbol, choices=choices)
    return dataclasses.field(default=default, metadata=meta)


def _allowed(meta: Mapping[str, Any]) -> str:
    if meta["choices"]:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    low, high = meta["low"], meta["high"]
    unit = "" if meta["unit"] in ("", "1") else f" {meta['unit']}"
    if low is not None and high is not None:
        return f"{low} <= value <= {high}{unit}"
    if low is not None:
        return f"value >= {low}{unit}"
    if high is not None:
        return f"value <= {high}{unit}"
    return "any finite value"


def check_value(name: str, value: Any, default: Any, meta: Mapping[str, Any]) -> Any:
    """Check one value against its declaration and return it (ints accepted for floats).

    Raises
    ------
    ParameterError
        With a one-line message naming the parameter, the value and what is allowed.
    """
    kind = type(default)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ParameterError(f"{name}={value!r} has the wrong type: expected {kind.__name__}")
    if kind is float:
        value = float(value)
        if not math.isfinite(value):
            raise ParameterError(f"{name}={value!r} is not finite: allowed {_allowed(meta)}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ParameterError(f"{name}={value!r} is not allowed: expected {_allowed(meta)}")
    if kind in (int, float):
        low, high = meta.get("low"), meta.get("high")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ParameterError(f"{name}={value!r} is out of range: allowed {_allowed(meta)}")
    return value


@functools.cache
def _declarations(cls: type) -> tuple[tuple[str, Any, Mapping[str, Any]], ...]:
    """(name, default, metadata) of each field of parameter set ``cls``, its defaults checked.

    Raises
    ------
    ParameterError
        If a declared default is outside its own declaration.
    """
    fields = tuple((f.name, f.default, f.metadata) for f in dataclasses.fields(cls))
    for name, default, meta in fields:
        check_value(name, default, default, meta)
    return fields


@dataclasses.dataclass(frozen=True)
class ParameterSet:
    """Base of all parameter sets: validates every field at construction.

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True)
    ... class Decay(ParameterSet):
    ...     rate_per_day: float = param(0.35, unit="1/day", low=0.0, high=10.0, doc="decay rate", source="example")
    >>> Decay(rate_per_day=1).rate_per_day  # an int is accepted for a float and stored as one
    1.0
    >>> Decay(rate_per_day=-1.0)
    Traceback (most recent call last):
        ...
    bonegrid.parameters.ParameterError: rate_per_day=-1.0 is out of range: allowed 0.0 <= value <= 10.0 1/day
    """

    def __post_init__(self) -> None:
        """Validate each field against its declared type and range.

        A field that holds its declared default itself is valid: the defaults are checked once per
        class (:func:`_declarations`), so a day's drivers with one scheduled level cost one check.
        """
        for name, default, meta in _declarations(type(self)):
            value = getattr(self, name)
            if value is not default:
                object.__setattr__(self, name, check_value(name, value, default, meta))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names of the parameters in this set."""
        return tuple(f.name for f in dataclasses.fields(cls))


def split_overrides(
    groups: Iterable[type[ParameterSet]], overrides: Mapping[str, Any]
) -> dict[type[ParameterSet], ParameterSet]:
    """Build one instance per group from flat ``name=value`` overrides.

    Raises
    ------
    ParameterError
        For a key no group owns (with the closest known names) or a bad value.
    """
    groups = tuple(groups)
    owner = {name: g for g in groups for name in g.names()}
    for key in overrides:
        if key not in owner:
            close = difflib.get_close_matches(key, owner, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `bonegrid params` lists them"
            raise ParameterError(f"unknown parameter {key!r}{hint}")
    return {g: g(**{k: v for k, v in overrides.items() if owner[k] is g}) for g in groups}


def markdown_table(group: type[ParameterSet]) -> str:
    """Render a parameter set as a Markdown table (name, symbol, unit, default, range, meaning, source)."""
    rows = [
        "| name | symbol | unit | default | allowed | meaning | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in dataclasses.fields(group):
        m = f.metadata
        symbol = f"${m['symbol']}$" if m["symbol"] else ""
        rows.append(
            f"| `{f.name}` | {symbol} | {m['unit']} | {f.default!r} | {_allowed(m)} | {m['doc']} | {m['source']} |"
        )
    return "\n".join(rows)
