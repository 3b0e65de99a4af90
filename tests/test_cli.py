"""The command line: default job, help, bad input (one line, exit 2, nothing written)."""

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
    assert names == ["slice.png", "summary.md", "timeseries.csv", "timeseries.png"]
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
    (["--years", "-1"], ["--years"]),
    (["--site", "skull"], ["site", "skull"]),
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
    for option in ("--site", "--grid", "--seed", "--years", "--out", "--set"):
        assert option in text
    top = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "run" in top and "params" in top


def test_params_lists_every_parameter(capsys):
    from bonegrid.model import ModelParameters
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    for group in ModelParameters.groups().values():
        for name in group.names():
            assert f"`{name}`" in text
