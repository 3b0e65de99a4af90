"""Scenario files: every built-in loads; the loader names file, key and what is allowed."""

import math

import pytest

from bonegrid import overrides
from bonegrid.drivers import Drivers
from bonegrid.parameters import ParameterError
from bonegrid.scenarios import load_scenario, parse_scenario, parse_treatment, scenario_names

DISEASES = {"postmenopausal", "aromatase_inhibitor", "glucocorticoid", "hyperthyroid", "celiac", "osteomalacia",
            "inflammation", "myeloma"}


def minimal(**extra):
    return {"name": "x", "title": "X", "description": "a test", **extra}


def test_every_issue_scenario_is_built_in_and_valid():
    names = scenario_names()
    assert names[0] == "healthy" and DISEASES <= set(names)
    for name in scenario_names(treated=True):
        s = load_scenario(name)
        assert s.name == name.removeprefix("treated/") and s.description and s.expect, name
        assert s.sex in ("female", "male") and 20 <= s.age_years <= 90


def test_scenarios_change_causes_only():
    """Overrides are parameters the model owns (mechanisms), each with a reason; no outcome is set."""
    owned = set(overrides.names("model") + overrides.names("readout") + overrides.names("treatment"))
    for name in scenario_names(treated=True):
        s = load_scenario(name)
        for key, (_value, reason) in s.parameters.items():
            assert key in owned and reason.strip()
        assert set(s.drivers) <= set(Drivers.names())


def test_driver_courses_accept_days_or_years_and_hold_after_the_last_point():
    s = parse_scenario(minimal(drivers={"estrogen": {"years": [0, 1], "values": [1.0, 0.2]}}))
    sched = s.schedule()
    assert sched(0).estrogen == 1.0 and math.isclose(sched(365.25 / 2).estrogen, 0.6)
    assert sched(5000).estrogen == pytest.approx(0.2)
    s = parse_scenario(minimal(drivers={"thyroid": {"days": [10, 20], "values": [1.0, 3.0]}}))
    assert s.schedule()(-100).thyroid == 1.0 and s.schedule()(15).thyroid == pytest.approx(2.0)


@pytest.mark.parametrize("data, words", [
    (minimal(colour="red"), ["unknown key 'colour'", "allowed"]),
    ({"name": "x", "title": "X"}, ["missing key 'description'"]),
    (minimal(years="three"), ["years", "finite number"]),
    (minimal(years=0), ["years", "0 < years"]),
    (minimal(site="skull"), ["site", "spine"]),
    (minimal(patient={"age_years": 7}), ["patient.age_years", "20"]),
    (minimal(patient={"sex": "other"}), ["patient.sex", "female"]),
    (minimal(patient={"height": 1}), ["patient.height"]),
    (minimal(drivers={"joy": {"days": [0], "values": [1]}}), ["joy", "estrogen"]),
    (minimal(drivers={"estrogen": {"days": [5, 1], "values": [1, 0.5]}}), ["drivers.estrogen", "non-decreasing"]),
    (minimal(drivers={"estrogen": {"days": [-5], "values": [1]}}), ["drivers.estrogen", ">= 0"]),
    (minimal(drivers={"estrogen": {"days": [0], "years": [0], "values": [1]}}), ["drivers.estrogen", "one of them"]),
    (minimal(drivers={"estrogen": {"days": [0, 1], "values": [1]}}), ["equal length"]),
    (minimal(drivers={"estrogen": {"days": [0], "values": [7.0]}}), ["estrogen", "out of range"]),
    (minimal(parameters={"osteoclast_lifespan_days": {"value": 20}}), ["parameters.osteoclast_lifespan_days",
                                                                       "reason"]),
    (minimal(parameters={"osteoclast_lifespan_days": {"value": -2, "reason": "r"}}), ["osteoclast_lifespan_days",
                                                                                      "out of range"]),
    (minimal(parameters={"osteoclast_lifspan_days": {"value": 2, "reason": "r"}}), ["did you mean"]),
    (minimal(treatments=[{"name": "magic"}]), ["treatments[0].name", "bisphosphonate"]),
    (minimal(years=2, treatments=[{"name": "denosumab", "start_years": 3}]), ["denosumab", "after the end"]),
    (minimal(treatments=[{"name": "denosumab", "start_years": 1, "stop_years": 0.5}]), ["stop", "after its start"]),
    (minimal(treatments=[{"name": "denosumab", "start_days": 1, "start_years": 1}]), ["not both"]),
    (minimal(treatments=[{"name": "denosumab", "dose": 50}]), ["dose", "out of range"]),
    (minimal(expect=[{"metric": "happiness", "band": [0, 1], "source": "s"}]), ["happiness", "bmd_change_pct"]),
    (minimal(expect=[{"metric": "ov_bv_pct", "band": [2, 1], "source": "s"}]), ["band", "low <= high"]),
    (minimal(years=1, expect=[{"metric": "ov_bv_pct", "band": [1, 2], "source": "s", "to_years": 2}]), ["window"]),
])
def test_loader_rejects_bad_input_naming_file_key_and_allowed(data, words):
    with pytest.raises(ParameterError) as err:
        parse_scenario(data, "my.toml")
    message = str(err.value)
    assert message.startswith("my.toml") or "my.toml" in message
    for w in words:
        assert w in message, message


def test_user_file_by_path_and_bad_toml(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('name = "mine"\ntitle = "Mine"\ndescription = "d"\nyears = 1\n'
                    '[drivers]\nglucocorticoid = { days = [0], values = [10] }\n')
    s = load_scenario(good)
    assert s.name == "mine" and s.path == good and s.schedule()(50).glucocorticoid == 10.0
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ParameterError, match="bad.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ParameterError, match="unknown scenario 'nonesuch'"):
        load_scenario("nonesuch")


def test_overrides_from_the_command_line():
    s = load_scenario("glucocorticoid").with_overrides({"years": 0.5, "glucocorticoid": 30.0,
                                                       "osteoblast_lifespan_days": 90.0, "sex": "female"})
    assert s.years == 0.5 and s.sex == "female"
    assert s.schedule()(0).glucocorticoid == 0.0 and s.schedule()(1).glucocorticoid == 30.0  # onset after day 0
    assert s.model_parameters()["osteoblast_lifespan_days"] == 90.0
    assert all(e.to_years is None or e.to_years <= 0.5 for e in s.expect)  # windows that no longer fit dropped
    with pytest.raises(ParameterError, match="nonsense"):
        s.with_overrides({"nonsense": 1})
    with pytest.raises(ParameterError, match="age_years"):
        s.with_overrides({"age_years": "old"})


def test_command_line_treatments():
    t = parse_treatment("bisphosphonate@1:3*0.5")
    assert (t.name, t.start_day, t.stop_day, t.dose) == ("bisphosphonate", 365.25, 3 * 365.25, 0.5)
    assert parse_treatment("exercise").start_day == 0 and math.isinf(parse_treatment("exercise").stop_day)
    with pytest.raises(ParameterError, match="NAME"):
        parse_treatment("denosumab@soon")


def test_scenario_builds_its_model_with_its_causes():
    s = load_scenario("myeloma").with_overrides({"burn_in_days": 5, "years": 0.1})
    model = s.model(seed=2, grid=48)
    assert model.params.myeloma.myeloma_seed_cells == 30
    model.run(3)
    assert len(model.myeloma) > 0


def test_a_scenario_built_on_a_base_keeps_its_causes_and_adds_treatments(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('base = "glucocorticoid"\nname = "gc_bp"\ntitle = "GC + BP"\ndescription = "d"\n'
                 '[drivers]\nestrogen = { days = [0], values = [0.5] }\n'
                 '[[treatments]]\nname = "bisphosphonate"\nstart_days = 30\n')
    s, base = load_scenario(f), load_scenario("glucocorticoid")
    assert s.years == base.years and s.sex == base.sex and s.age_years == base.age_years
    assert s.drivers["glucocorticoid"] == base.drivers["glucocorticoid"] and "estrogen" in s.drivers
    assert [t.name for t in s.treatments] == ["bisphosphonate"] and s.expect == ()
    assert s.schedule()(60).bisphosphonate == 1.0 and s.schedule()(60).glucocorticoid == 15.0
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "nope"\nname = "b"\ntitle = "B"\ndescription = "d"\n')
    with pytest.raises(ParameterError, match="base='nope'"):
        load_scenario(bad)


def test_treated_scenarios_run_by_their_own_name_and_typos_get_suggestions():
    assert load_scenario("postmenopausal_denosumab").name == "postmenopausal_denosumab"
    assert load_scenario("treated/postmenopausal_denosumab").name == "postmenopausal_denosumab"
    assert "postmenopausal_denosumab" in scenario_names(treated=True)
    with pytest.raises(ParameterError, match="unknown scenario 'glucocortiocid': did you mean glucocorticoid"):
        load_scenario("glucocortiocid")


@pytest.mark.parametrize("files", [
    {"a.toml": 'base = "a.toml"'},                                    # a file naming itself
    {"a.toml": 'base = "b.toml"', "b.toml": 'base = "a.toml"'},       # a -> b -> a
])
def test_a_base_cycle_is_named_not_a_recursion_error(tmp_path, files):
    for name, base in files.items():
        (tmp_path / name).write_text(f'{base}\nname = "x"\ntitle = "x"\ndescription = "x"\n')
    with pytest.raises(ParameterError, match=r"comes back to itself \(a.toml -> .*a.toml\)"):
        load_scenario(tmp_path / "a.toml")


def test_a_driver_override_starts_after_day_zero_not_during_burn_in():
    healthy = load_scenario("healthy").with_overrides({"years": 0.2})
    low = healthy.with_overrides({"estrogen": 0.1})
    assert low.drivers["estrogen"] == ((0.0, 1.0), (1.0, 0.1))
    a = healthy.model(seed=2, grid=48, burn_in_days=60, observers=[]).run(60).timeseries()
    b = low.model(seed=2, grid=48, burn_in_days=60, observers=[]).run(60).timeseries()
    assert a.iloc[0].equals(b.iloc[0])                         # day 0: the same healthy steady state
    assert not a["n_osteoclasts"].equals(b["n_osteoclasts"])   # then estrogen loss acts


def test_an_expectation_names_the_parameters_fitted_to_its_band(tmp_path):
    path = tmp_path / "fit.toml"
    path.write_text('name = "fit"\ntitle = "t"\ndescription = "d"\n[[expect]]\nmetric = "ctx_ng_per_ml"\n'
                    'band = [0.0, 1.0]\nsource = "s"\nfitted = ["osteoclast_lifespan_days"]\n')
    assert load_scenario(path).expect[0].fitted == ("osteoclast_lifespan_days",)
    path.write_text(path.read_text().replace("osteoclast_lifespan_days", "estrogen"))
    with pytest.raises(ParameterError, match="fitted: 'estrogen' is not allowed: expected a model parameter"):
        load_scenario(path)


def test_validate_marks_the_bands_used_for_calibration():
    from bonegrid.runs.ensemble import JobResult
    from bonegrid.runs.validate import format_rows, validation_rows
    scenario = load_scenario("postmenopausal_denosumab")
    fitted = [i for i, e in enumerate(scenario.expect) if e.fitted]
    assert [scenario.expect[i].metric for i in fitted] == ["ctx_ng_per_ml"]
    results = [JobResult(scenario.name, seed, metrics={i: 0.1 for i in range(len(scenario.expect))}) for seed in (1, 2)]
    text = format_rows(validation_rows([scenario], results))
    assert "yes (fitted: denosumab_shielded_rankl_fraction)" in text
    assert "1 of the bands were used to calibrate a parameter" in text
    assert load_scenario("healthy").expect[1].fitted  # turnover: the osteocyte apoptosis rate was fitted to it
