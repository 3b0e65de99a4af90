"""One override schema: what key=value may name (bonegrid/overrides.py)."""

import pytest

from bonegrid import overrides
from bonegrid.drivers import Drivers
from bonegrid.parameters import ParameterError
from bonegrid.scenarios import load_scenario


def test_no_name_belongs_to_two_kinds():
    seen = {}
    for field in overrides.SCENARIO_FIELDS:
        seen[field] = "scenario"
    for kind, group in overrides.parameter_groups().values():
        for name in group.names():
            assert name not in seen, f"{name} is both {seen[name]} and {kind}"
            seen[name] = kind


def test_kinds_and_types():
    assert overrides.kind("estrogen") == "driver" and overrides.value_type("estrogen") is float
    assert overrides.kind("osteoblast_lifespan_days") == "model"
    assert overrides.kind("stiffness_interval_days") == "readout"
    assert overrides.value_type("stiffness_interval_days") is int
    assert overrides.kind("withdrawal_taper_days") == "treatment"
    assert overrides.kind("sex") == "scenario" and overrides.value_type("sex") is str
    assert set(overrides.names("driver")) == set(Drivers.names())


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ParameterError, match="unknown parameter 'osteoclast_lifespan_day': did you mean "
                                             "osteoclast_lifespan_days"):
        overrides.kind("osteoclast_lifespan_day")


def test_check_values_names_the_bad_value():
    overrides.check_values({"osteoclast_lifespan_days": 12.0, "stiffness_interval_days": 30, "estrogen": 0.5})
    with pytest.raises(ParameterError, match="stiffness_interval_days=0 is out of range"):
        overrides.check_values({"stiffness_interval_days": 0})
    with pytest.raises(ParameterError, match="estrogen=9.0 is out of range"):
        overrides.check_values({"estrogen": 9.0})


def test_scenario_overrides_use_the_schema():
    healthy = load_scenario("healthy")
    s = healthy.with_overrides({"stiffness_interval_days": 30, "estrogen": 0.5, "sex": "male", "years": 1})
    assert s.parameters["stiffness_interval_days"][0] == 30 and s.drivers["estrogen"] == ((0.0, 1.0), (1.0, 0.5))
    assert s.sex == "male" and s.years == 1
    assert s.model_parameters() == {"stiffness_interval_days": 30}
    with pytest.raises(ParameterError, match="override \\(command line\\): unknown parameter 'estrogn'"):
        healthy.with_overrides({"estrogn": 0.5})
