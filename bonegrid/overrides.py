"""What a ``key=value`` override may name, decided in one place.

Scenario files (``[parameters]``), ``--set key=value``, sweep specs (``[fixed]``,
``[parameters]``) and the dashboard's knobs all set values by name. A name is one of:

- a **scenario field**: ``site``, ``sex``, ``age_years`` (the patient) or ``years`` (the horizon);
- a **driver** (:class:`bonegrid.drivers.Drivers`), set as a constant level from day 1 (the burn-in and day 0
  keep the scenario's own level, so a run starts at the onset of the change);
- a **model parameter** (:class:`bonegrid.model.ModelParameters`, one set per mechanism);
- a **readout parameter** of a default observer (:func:`bonegrid.timeseries.default_observers`);
- a **treatment parameter** (:class:`bonegrid.treatments.TreatmentParameters`).

No name belongs to two kinds (a test checks it). :func:`kind` and :func:`value_type` answer
for one name; :func:`parameter_groups` lists every documented set, which ``bonegrid params``
and the parameter tables of ``docs/model.md`` print.

Examples
--------
>>> kind("estrogen"), kind("osteoclast_lifespan_days"), kind("site")
('driver', 'model', 'scenario')
>>> value_type("burn_in_days")
<class 'int'>
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from bonegrid.drivers import Drivers
from bonegrid.model import ModelParameters
from bonegrid.parameters import ParameterError, ParameterSet
from bonegrid.timeseries import default_observers
from bonegrid.treatments import TreatmentParameters

SCENARIO_FIELDS: dict[str, type] = {"site": str, "sex": str, "age_years": float, "years": float}
"""Scenario fields a ``key=value`` may set: the patient and the horizon."""

KINDS = ("scenario", "driver", "model", "readout", "treatment")
"""What an override may name."""


def parameter_groups() -> dict[str, tuple[str, type[ParameterSet]]]:
    """Return every documented parameter set by name: (kind, class), in documentation order.

    Model sets first (one per mechanism), then the default observers' readout sets, then the
    drivers and the treatment parameters.
    """
    groups: dict[str, tuple[str, type[ParameterSet]]] = {
        name: ("model", group) for name, group in ModelParameters.groups().items()}
    for observer in default_observers():
        if observer.parameters is not None:
            groups[observer.__name__.lower()] = ("readout", observer.parameters)
    groups["drivers"] = ("driver", Drivers)
    groups["treatments"] = ("treatment", TreatmentParameters)
    return groups


def _owners() -> dict[str, tuple[str, type]]:
    """Name -> (kind, value type) of everything an override may name."""
    owners = {name: ("scenario", t) for name, t in SCENARIO_FIELDS.items()}
    for kind_, group in parameter_groups().values():
        for f in group.__dataclass_fields__.values():
            owners[f.name] = (kind_, float if kind_ == "driver" else type(f.default))
    return owners


def names(of_kind: str | None = None) -> tuple[str, ...]:
    """Return the names an override may take (of one kind, or all)."""
    return tuple(n for n, (k, _) in _owners().items() if of_kind is None or k == of_kind)


def default(name: str) -> Any:
    """Return the default value of parameter or driver ``name``.

    Raises
    ------
    ParameterError
        For an unknown name or a scenario field (which has no model default).
    """
    what = kind(name)
    for kind_, group in parameter_groups().values():
        if kind_ == what and name in group.names():
            return group.__dataclass_fields__[name].default
    raise ParameterError(f"{name!r} is a scenario field: it has no model default")


def kind(name: str) -> str:
    """Return what ``name`` is: one of :data:`KINDS`.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest known names.
    """
    owners = _owners()
    if name not in owners:
        close = difflib.get_close_matches(name, owners, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "`bonegrid params` lists them"
        raise ParameterError(f"unknown parameter {name!r}: {hint}")
    return owners[name][0]


def value_type(name: str) -> type:
    """Return the type a value of ``name`` must have (ints are accepted for floats).

    Raises
    ------
    ParameterError
        For an unknown name.
    """
    kind(name)
    return _owners()[name][1]


def split(overrides: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Sort ``name=value`` overrides by kind.

    Returns
    -------
    dict
        Kind (each of :data:`KINDS`) -> {name: value}.

    Raises
    ------
    ParameterError
        For an unknown name.
    """
    out: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    for name, value in overrides.items():
        out[kind(name)][name] = value
    return out


def check_values(overrides: Mapping[str, Any]) -> None:
    """Check every parameter and driver value in ``overrides`` by building the sets that own them.

    Scenario fields are not checked here (the scenario checks them with its own rules).

    Raises
    ------
    ParameterError
        For an unknown name or a value of the wrong type or out of range.
    """
    parts = split(overrides)
    ModelParameters.from_overrides(parts["model"])
    for kind_, group in parameter_groups().values():
        if kind_ == "readout":
            group(**{k: v for k, v in parts["readout"].items() if k in group.names()})
    TreatmentParameters(**parts["treatment"])
    for name, value in parts["driver"].items():
        Drivers(**{name: value})


__all__ = ["KINDS", "SCENARIO_FIELDS", "check_values", "default", "kind", "names", "parameter_groups", "split", "value_type"]
