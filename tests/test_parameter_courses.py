"""Model parameters that follow a course, in the form drivers use."""

import tomllib

import pytest

from bonegrid import BoneModel
from bonegrid.parameter_courses import is_course
from bonegrid.parameters import ParameterError
from bonegrid.scenarios import parse_scenario


def test_is_course():
    assert is_course(((0, 1.0), (10, 2.0))) and is_course([[0, 1.0]])
    assert not is_course(1.0) and not is_course("abc") and not is_course(()) and not is_course([1.0, 2.0])


def test_values_follow_the_breakpoints_and_the_burn_in_runs_at_the_first():
    m = BoneModel(grid=48, burn_in_days=5, observers=[],
                  osteoblast_lifespan_days=((10, 90.0), (20, 40.0)), gfr_l_per_day=((0, 180.0), (100, 80.0)))
    assert m.params.osteoblast.osteoblast_lifespan_days == 90.0
    assert m.params.physiology.gfr_l_per_day == 180.0
    m.run(15)
    assert m.params.osteoblast.osteoblast_lifespan_days == pytest.approx(65.0)
    assert m.physiology.params.gfr_l_per_day == pytest.approx(165.0)  # the physiology took it
    m.run(100)
    assert m.params.osteoblast.osteoblast_lifespan_days == 40.0 and m.params.physiology.gfr_l_per_day == 80.0


def test_a_one_point_course_is_the_constant():
    a = BoneModel(grid=48, burn_in_days=20, observers=[], osteoclast_lifespan_days=((0, 25.0),)).run(60)
    b = BoneModel(grid=48, burn_in_days=20, observers=[], osteoclast_lifespan_days=25.0).run(60)
    pd_a, pd_b = a.timeseries(), b.timeseries()
    assert pd_a.equals(pd_b)


def test_the_physiology_keeps_its_state_when_a_constant_changes():
    m = BoneModel(grid=48, burn_in_days=0, observers=[], gfr_l_per_day=((3, 180.0), (4, 60.0)))
    m.run(3)
    calcium = m.physiology.serum_calcium_mmol_per_l
    healthy_pth = m.physiology.pth_pmol_per_l / m.physiology.pth_relative
    m.run(1)
    assert m.physiology.serum_calcium_mmol_per_l == pytest.approx(calcium, abs=0.05)  # no jump to a new steady state
    m.run(200)
    # a failing kidney retains phosphate; PTH is read against the healthy start, not renormalised
    assert m.physiology.serum_phosphate_mmol_per_l > 1.3
    assert m.physiology.pth_relative == pytest.approx(m.physiology.pth_pmol_per_l / healthy_pth)


@pytest.mark.parametrize("params, message", [
    (dict(voxel_size_um=((0, 10.0), (5, 20.0))), "voxel_size_um is fixed for a run"),
    (dict(trabecular_spacing_um=((0, 500.0),)), "fixed for a run"),
    (dict(osteoblast_lifespan_days=((0, 10.0), (5, -20.0))), "the courses on day 5: osteoblast_lifespan_days=-20.0"),
    (dict(osteoblast_lifespan_days=((5, 10.0), (0, 20.0))), "days >= 0 and non-decreasing"),
    (dict(stiffness_interval_days=((0, 10),)), "stiffness_interval_days=.* has the wrong type"),
])
def test_bad_courses_are_one_line_errors(params, message):
    with pytest.raises(ParameterError, match=message) as err:
        BoneModel(grid=48, burn_in_days=0, **params)
    assert "\n" not in str(err.value)


SCENARIO = """
name = "course"
title = "t"
description = "d"
years = 2.0
[parameters]
osteoblast_lifespan_days = { years = [1.0, 1.5], values = [90.0, 30.0], reason = "a cause that ramps up" }
"""


def test_a_scenario_gives_a_parameter_a_course():
    scenario = parse_scenario(tomllib.loads(SCENARIO))
    course, reason = scenario.parameters["osteoblast_lifespan_days"]
    assert reason == "a cause that ramps up"
    assert course[0] == (365.25, 90.0) and course[1][1] == 30.0
    model = scenario.model(grid=48, burn_in_days=0, observers=[])
    model.run(600)
    assert model.params.osteoblast.osteoblast_lifespan_days == 30.0


def test_a_scenario_course_out_of_range_names_the_file_key_and_day():
    bad = SCENARIO.replace("30.0]", "3000.0]")
    with pytest.raises(ParameterError, match="the courses on day 547.875: osteoblast_lifespan_days=3000.0"):
        parse_scenario(tomllib.loads(bad))
    with pytest.raises(ParameterError, match="reason"):
        parse_scenario(tomllib.loads(SCENARIO.replace(', reason = "a cause that ramps up"', "")))


def test_a_course_reaches_the_precursor_pool_and_the_physiology_glucocorticoid_half_effect():
    m = BoneModel(grid=48, burn_in_days=0, observers=[], drivers={"denosumab_nM": [(0, 45.0)]},
                  osteoclast_precursor_fusion_share=((0, 0.0), (1, 0.9)),
                  glucocorticoid_half_effect_mg_per_day=((0, 7.5), (1, 30.0)))
    m.run(60)
    assert m.osteoclast_precursors.relative > 1.5  # with the starting share 0 it would stay exactly 1
    assert m.physiology._gc_half == 30.0
