"""Calibration as code (bonegrid/runs/calibrate.py): every fitted parameter has a spec that re-fits it."""

import pytest

from bonegrid.overrides import default
from bonegrid.parameters import ParameterError
from bonegrid.runs import calibrate
from bonegrid.runs.calibrate import CalibrationFailed, fit_level, load_calibration, run_calibration, spec_names
from bonegrid.scenarios import load_scenario, scenario_names


def fitted_parameters() -> dict[str, list[str]]:
    """Parameter -> the scenarios whose bands name it under ``fitted``."""
    found: dict[str, list[str]] = {}
    for name in scenario_names(treated=True):
        for e in load_scenario(name).expect:
            for p in e.fitted:
                found.setdefault(p, []).append(name)
    return found


def test_every_fitted_parameter_has_a_calibration_spec_that_sweeps_it():
    swept = {load_calibration(calibrate.spec_path(n)).parameter for n in spec_names()}
    missing = {p: s for p, s in fitted_parameters().items() if p not in swept}
    assert not missing, f"fitted parameters without a spec in examples/calibration: {missing}"


CHEAP_VOXEL_DAYS = 6.1e9
"""A re-fit a researcher can run while waiting: the postmenopausal spec (360², 4 years, 4 levels x 8 replicates,
6.1e9 voxel-days) takes about 90 s on 2 cores; its noisy years 2-4 band needs the 8 replicates."""


def calibration_voxel_days(cal) -> float:
    """Voxels x simulated days summed over all runs of a calibration spec."""
    return cal.spec.grid ** 2 * cal.spec.days * cal.spec.replicates * len(cal.levels)


@pytest.mark.parametrize("name", spec_names())
def test_every_spec_names_a_band_marked_fitted_and_brackets_the_shipped_value(name):
    cal = load_calibration(calibrate.spec_path(name))
    assert cal.parameter in cal.band.fitted and cal.band in cal.spec.scenario.expect
    assert cal.levels[0] < cal.shipped < cal.levels[-1] and cal.shipped in cal.levels
    assert calibration_voxel_days(cal) <= CHEAP_VOXEL_DAYS  # cheap enough to re-run
    run = cal.run_scenario(cal.levels[0])
    assert run.days == cal.spec.days and run.expect[0].metric == cal.band.metric
    assert run.parameters[cal.parameter][0] == cal.levels[0]


def test_every_fitted_parameter_names_its_calibration_command_in_its_source():
    from bonegrid.overrides import parameter_groups

    sources = {f.name: f.metadata["source"] for _, group in parameter_groups().values()
               for f in group.__dataclass_fields__.values()}
    for p in fitted_parameters():
        assert f"python -m bonegrid.runs.calibrate {p}" in sources[p], p


def test_the_fit_interpolates_between_the_levels_that_bracket_the_target():
    assert fit_level([0.0, 1.0, 2.0], [10.0, 20.0, 40.0], 30.0, "rising") == pytest.approx(1.5)
    assert fit_level([0.0, 1.0, 2.0], [40.0, 20.0, 10.0], 15.0, "falling") == pytest.approx(1.5)
    with pytest.raises(CalibrationFailed, match="not bracketed"):
        fit_level([0.0, 1.0, 2.0], [10.0, 20.0, 40.0], 50.0, "rising")
    with pytest.raises(CalibrationFailed, match="spec says falling"):
        fit_level([0.0, 1.0, 2.0], [10.0, 20.0, 40.0], 30.0, "falling")


SPEC = """scenario = "healthy"
grid = 32
days = 60
replicates = 1

[parameters]
osteoclastogenesis_per_day = [0.1, 0.15, 0.2]

[fit]
metric = "turnover_pct_per_year"
direction = "rising"
target = "band centre"
"""


@pytest.mark.parametrize("edit, words", [
    (("[fit]", "[fot]"), ["missing table [fit]"]),
    (('"turnover_pct_per_year"', '"bmd_change_pct"'), ["no [[expect]] band of bmd_change_pct", "fitted"]),
    (('"turnover_pct_per_year"', '"turnover"'), ["fit.metric='turnover'", "turnover_pct_per_year"]),
    (('"rising"', '"up"'), ["fit.direction='up'", "rising or falling"]),
    (("[0.1, 0.15, 0.2]", "[0.1, 0.125, 0.2]"), ["must include the shipped value 0.15"]),
    (("[0.1, 0.15, 0.2]", "[0.15, 0.2]"), ["levels on both sides"]),
    (('"band centre"', "25.0"), ["fit.target=25.0 needs fit.source"]),
    (("[0.1, 0.15, 0.2]\n", "[0.1, 0.15]\nosteocyte_apoptosis_per_year = [0.05, 0.1]\n"), ["one float parameter"]),
    (('target = "band centre"', 'target = "band centre"\nto_years = 1.0'), ["not a window"]),
    (('target = "band centre"', 'target = -0.5\nsource = "x"\nbaseline_to_years = 0.1'), ["alone is not a window"]),
    (('target = "band centre"', 'target = "band centre"\nbaseline_from_years = 0.0\nbaseline_to_years = 0.1'),
     ["a baseline makes the fit a change"]),
])
def test_bad_calibration_specs_say_what_is_wrong(tmp_path, edit, words):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace(*edit, 1))
    with pytest.raises(ParameterError) as err:
        load_calibration(path)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_the_command_line_refuses_bad_input_in_one_line(capsys, tmp_path):
    assert calibrate.main(["no_such_parameter"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_parameter" in err and "denosumab_shielded_rankl_fraction" in err
    assert calibrate.main(["smoking_vitamin_d_loss_per_cigarette", "--workers", "0"]) == 2
    assert "--workers=0" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC.replace("[parameters]", f'output = "{blocker / "out"}"\n\n[parameters]'))
    assert calibrate.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err


def test_runs_are_stored_and_a_second_call_resumes_without_running(tmp_path, monkeypatch):
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC.replace("[parameters]", f'output = "{tmp_path / "out"}"\n\n[parameters]'))
    cal = load_calibration(path)
    assert cal.shipped == default("osteoclastogenesis_per_day")
    first = run_calibration(cal, workers=1)
    assert list(first.level) == [0.1, 0.15, 0.2] and first.value.notna().all()

    def refuse(*args, **kwargs):
        raise AssertionError("stored runs were run again")

    monkeypatch.setattr(calibrate, "run_jobs", refuse)
    again = run_calibration(cal, workers=1)
    assert again.equals(first)


def test_a_changed_model_never_reuses_the_runs_of_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC.replace("[parameters]", f'output = "{tmp_path / "out"}"\n\n[parameters]'))
    cal = load_calibration(path)
    before = calibrate.store_path(cal)
    assert calibrate.model_code_digest() == calibrate.model_code_digest.__wrapped__()  # the sources as installed
    monkeypatch.setattr(calibrate, "model_code_digest", lambda: "another model")
    assert calibrate.store_path(cal) != before


def test_the_command_line_prints_the_fit_or_says_in_one_line_why_there_is_none(tmp_path, monkeypatch, capsys):
    import pandas as pd

    path = tmp_path / "tiny.toml"
    path.write_text(SPEC.replace("[parameters]", f'output = "{tmp_path / "out"}"\n\n[parameters]'))
    turnover = {0.1: 15.0, 0.15: 20.0, 0.2: 40.0}  # %/yr per level; the target is the band centre, 25
    table = pd.DataFrame({"run_id": [0, 1, 2], "replicate": 0, "level": list(turnover),
                          "seed": [1, 2, 3], "value": list(turnover.values())})
    monkeypatch.setattr(calibrate, "run_calibration", lambda cal, workers, fresh: table)
    assert calibrate.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "fitted osteoclastogenesis_per_day = 0.1625 (shipped 0.15)" in out and "20 (n=1)  <- shipped" in out
    table["value"] = [10.0, 12.0, 14.0]
    assert calibrate.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "target 25 is not bracketed" in err


def test_an_install_without_the_specs_says_where_they_are_missing(monkeypatch, tmp_path, capsys):
    # a non-editable install has no examples/calibration beside the package: one line, status 2, not silence
    monkeypatch.setattr(calibrate, "SPEC_DIR", tmp_path)
    assert calibrate.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert "no calibration specs" in err and len(err.strip().splitlines()) == 1
