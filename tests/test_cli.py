"""The command line: run, tour, validate, help, bad input (one line, exit 2, nothing written)."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bonegrid.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_run_writes_a_results_folder(tmp_path):
    out = tmp_path / "res"
    assert main(["run", "--grid", "64", "--years", "0.2", "--seed", "3", "--out", str(out),
                 "--set", "burn_in_days=60"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["histomorphometry.json", "run.json", "slice.png", "state.npz", "summary.md", "timeseries.csv",
                     "timeseries.png"]
    ts = pd.read_csv(out / "timeseries.csv")
    assert ts["day"].iloc[-1] == round(0.2 * 365.25)
    assert "BV/TV" in (out / "summary.md").read_text()
    for png in ("slice.png", "timeseries.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, words", [
    (["--set", "osteoclast_lifespan_days=0"], ["osteoclast_lifespan_days"]),
    (["--set", "nonsense=1"], ["nonsense"]),
    (["--set", "novalue"], ["key=value"]),
    (["--grid", "4"], ["grid"]),
    (["--years", "-1"], ["years", "-1"]),
    (["--site", "skull"], ["site", "skull"]),
    (["no_such_scenario"], ["no_such_scenario", "healthy"]),
    (["--treat", "chocolate@1"], ["chocolate", "bisphosphonate"]),
    (["--treat", "bisphosphonate@9"], ["bisphosphonate", "after the end"]),
    (["--treat", "bisphosphonate@2:1"], ["stop"]),
    (["--set", "glucocorticoid=5000"], ["glucocorticoid", "5000"]),  # above even a methylprednisolone pulse
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, args, words):
    out = tmp_path / "never"
    assert main(["run", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bonegrid: error:") and "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err
    assert not out.exists()


def test_help_documents_the_options():
    text = subprocess.run([sys.executable, "run.py", "run", "--help"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    for option in ("--site", "--grid", "--seed", "--years", "--out", "--set", "--treat"):
        assert option in text
    top = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    for command in ("tour", "run", "validate", "scenarios", "params"):
        assert command in top


def test_params_lists_every_parameter(capsys):
    from bonegrid.overrides import parameter_groups
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    for _kind, group in parameter_groups().values():
        for name in group.names():
            assert f"`{name}`" in text


def test_run_a_scenario_with_a_treatment_and_overrides(tmp_path):
    out = tmp_path / "gc"
    assert main(["run", "glucocorticoid", "--grid", "48", "--years", "0.1", "--out", str(out),
                 "--set", "burn_in_days=20", "--set", "glucocorticoid=30", "--treat", "teriparatide@0.05"]) == 0
    summary = (out / "summary.md").read_text()
    assert "Glucocorticoid" in summary and "teriparatide from day 18" in summary


def test_scenarios_lists_scenarios_and_treatments(capsys):
    from bonegrid.scenarios import scenario_names
    from bonegrid.treatments import TREATMENTS
    assert main(["scenarios"]) == 0
    text = capsys.readouterr().out
    for name in [*scenario_names(), *TREATMENTS]:
        assert name in text


def test_tour_writes_figure_table_and_series(tmp_path, capsys):
    out = tmp_path / "tour"
    assert main(["tour", "--grid", "48", "--years", "0.1", "--workers", "1", "--out", str(out)]) == 0
    assert (out / "tour.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ts = pd.read_csv(out / "timeseries.csv")
    from bonegrid.scenarios import scenario_names
    assert sorted(ts["scenario"].unique()) == sorted(scenario_names())
    summary = (out / "summary.md").read_text()
    assert "| healthy |" in summary and "Multiple myeloma" in summary


def test_validate_prints_band_mean_and_verdict(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text('''
name = "tiny"
title = "Tiny healthy check"
description = "A small healthy slice."
years = 0.2
[[expect]]
metric = "pth_pmol_per_l"
band = [1.6, 6.9]
source = "clinical range"
[[expect]]
metric = "serum_calcium_mmol_per_l"
band = [5.0, 6.0]
source = "a band no one meets, to see a miss reported"
[parameters]
burn_in_days = { value = 20, reason = "fast test" }
''')
    assert main(["validate", str(spec), "--seeds", "2", "--grid", "48", "--workers", "1", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "| tiny | PTH (mean) (pmol/L)" in text and "| yes |" in text and "| **no** |" in text
    assert "1 of 2 signatures inside their band" in text
    rows = pd.read_csv(tmp_path / "validation.csv")
    assert list(rows["seeds"]) == [2, 2]


def test_parameter_sources_cite_sources_not_files_outside_the_package(capsys):
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    for outside in ("reference.md", "DESIGN.md", "docs/model.md"):
        assert outside not in text, outside
