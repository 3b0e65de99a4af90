"""Sweep specs (bonegrid/sweep/spec.py): bad input names the file, the key and what is allowed."""


import pytest
from sweep_helpers import TINY, write_spec

from bonegrid.parameters import ParameterError
from bonegrid.sweep import design_runs, load_spec


@pytest.mark.parametrize("edit, words", [
    (("grid = 32", "grid = 32\ncolour = 1"), ["unknown key 'colour'", "allowed"]),
    (("osteoblast_lifespan_days = [60, 120]", "osteoblast_lifespan_dayz = [60, 120]"),
     ["parameters.osteoblast_lifespan_dayz", "osteoblast_lifespan_days"]),
    (("[60, 120]", "[60, 5000]"), ["parameters.osteoblast_lifespan_days", "5000", "out of range", "<= 1000"]),
    (("[60, 120]", '["long", "short"]'), ["parameters.osteoblast_lifespan_days.values", "'long'", "float"]),
    (("[60, 120]", "{ low = 60, high = 120 }"), ["factorial", "num = N"]),
    (("[60, 120]", "{ low = 120, high = 60, num = 3 }"), ["low < high"]),
    (("[60, 120]", "{ low = 0, high = 60, num = 3, log = true }"), ["log = true needs low > 0"]),
    (("[fixed]", "[fixed]\nyears = 3"), ["fixed.years", "horizon"]),
    (("[fixed]", "[fixed]\nosteoblast_lifespan_days = 80"), ["also in [fixed]"]),
    (("[fixed]", "[fixed]\nestrogen = 7.0"), ["fixed: estrogen=7.0", "out of range"]),
    (('"ctx"]', '"ctxx"]'), ["outputs.readouts", "'ctxx'", "bmd"]),
    (("interval_days = 5", "interval_days = 0"), ["outputs.interval_days=0", ">= 1"]),
    (("days = 20", "days = 20\nyears = 1"), ["days or years"]),
    (('scenario = "healthy"', 'scenario = "nowhere"'), ["scenario='nowhere'", "healthy"]),
    (("[fixed]", 'design = { method = "sobol", samples = 12 }\n[fixed]'), ["power of 2", "16"]),
    (("[fixed]", 'design = { method = "morris" }\n[fixed]'), ["design.trajectories is missing"]),
    (("[fixed]", 'design = { method = "morris", trajectories = 4 }\n[fixed]'),
     ["explicit values need design.method='factorial'"]),
    (("[fixed]", 'design = { method = "latin", samples = 4, levels = 4 }\n[fixed]'),
     ["design.levels does not apply", "latin"]),
    (("[fixed]", 'analysis = { days = [7] }\n[fixed]'), ["analysis.days=7", "not a recorded day"]),
])
def test_bad_specs_name_the_file_the_key_and_what_is_allowed(tmp_path, edit, words):
    old, new = edit
    text = TINY.replace(old, new, 1)
    path = write_spec(tmp_path, text)
    with pytest.raises(ParameterError) as err:
        load_spec(path)
    message = str(err.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_a_combination_of_valid_levels_that_the_model_forbids_is_rejected_before_anything_runs(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY.replace(
        "osteoclast_lifespan_days = [10.0, 20.0]\nosteoblast_lifespan_days = [60, 120]",
        "pth_min_pmol_per_l = [0.4, 20.0]\npth_max_pmol_per_l = [25.0, 10.0]")))
    with pytest.raises(ParameterError, match=r"design point 3 .*pth_min_pmol_per_l=20.0 must be below"):
        design_runs(spec)
    assert not (tmp_path / "out").exists()


def test_table_design_from_a_csv_next_to_the_spec(tmp_path):
    (tmp_path / "points.csv").write_text("estrogen,site\n1.0,spine\n0.2,hip\n")
    text = TINY.split("[parameters]")[0] + 'design = { method = "table", file = "points.csv" }\n'
    text = text.replace("[fixed]\nburn_in_days = 10\n", "")
    runs = design_runs(load_spec(write_spec(tmp_path, text)))
    assert runs["estrogen"].tolist() == [1.0, 1.0, 0.2, 0.2]
    assert runs["site"].tolist() == ["spine", "spine", "hip", "hip"]
