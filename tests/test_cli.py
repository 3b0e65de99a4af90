"""The command line: run, tour, validate, help, bad input (one line, exit 2, nothing written)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
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
    for option in ("--site", "--grid", "--bone", "--voxel-size", "--seed", "--years", "--out", "--set", "--treat"):
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


# ------------------------------------------------------------------------------ your own slice: run --bone
def _write_image(path, image):
    from skimage import io

    io.imsave(path, image, check_contrast=False)
    return path


@pytest.fixture()
def cross_png(tmp_path):
    """A 64 x 64 binary slice: a 10-pixel plate across and an 8-pixel bar down, crossing once."""
    image = np.zeros((64, 64), dtype=np.uint8)
    image[20:30] = 255
    image[:, 30:38] = 255
    return _write_image(tmp_path / "cross.png", image)


def test_run_from_a_png_uses_it_as_the_slice_and_reports_its_morphometry(tmp_path, capsys, cross_png):
    out = tmp_path / "res"
    assert main(["run", "--bone", str(cross_png), "--voxel-size", "10", "--years", "0.02", "--out", str(out),
                 "--set", "burn_in_days=0"]) == 0
    text = capsys.readouterr().out
    assert "binary image" in text and "BV/TV" in text and "Conn.D" in text
    state = np.load(out / "state.npz")
    expected = np.zeros((64, 64), dtype=bool)
    expected[20:30] = True
    expected[:, 30:38] = True
    assert np.array_equal(state["start_matrix"], expected)          # the image is the starting bone, pixel for pixel
    meta = json.loads((out / "run.json").read_text())
    assert meta["grid"] == [64, 64] and meta["voxel_size_um"] == 10.0
    indices = json.loads((out / "bone_morphometry.json").read_text())["indices"]
    assert indices["BV/TV"]["value"] == pytest.approx(expected.mean())
    # the crossing of two bars through the window is one node of a larger network: Delta chi = -1, Conn = 2
    assert indices["Delta.Euler"]["value"] == -1.0 and indices["Conn"]["value"] == 2.0
    assert indices["Conn.D"]["value"] == pytest.approx(2.0 / 0.64 ** 2)
    assert indices["Tb.N"]["value"] == pytest.approx(1000 / (indices["Tb.Th"]["value"] + indices["Tb.Sp"]["value"]))


def test_a_grey_tiff_is_thresholded_by_otsu(tmp_path, capsys):
    rng = np.random.default_rng(0)
    grey = rng.normal(60.0, 8.0, (48, 80))
    grey[10:22] += 120.0                                           # bright bone on a noisy dark marrow
    path = _write_image(tmp_path / "slice.tif", grey.clip(0, 255).astype(np.uint8))
    out = tmp_path / "res"
    assert main(["run", "hyperthyroid", "--bone", str(path), "--voxel-size", "20", "--years", "0.01", "--out",
                 str(out), "--set", "burn_in_days=0"]) == 0
    assert "Otsu" in capsys.readouterr().out
    start = np.load(out / "state.npz")["start_matrix"]
    truth = np.zeros((48, 80), dtype=bool)
    truth[10:22] = True
    assert start.shape == (48, 80) and (start == truth).mean() > 0.999
    assert json.loads((out / "run.json").read_text())["voxel_size_um"] == 20.0


def _bad_images(tmp_path):
    empty = _write_image(tmp_path / "empty.png", np.zeros((32, 32), dtype=np.uint8))
    full = _write_image(tmp_path / "full.png", np.full((32, 32), 255, dtype=np.uint8))
    tiny = np.zeros((8, 8), dtype=np.uint8)
    tiny[:4] = 255
    tiny = _write_image(tmp_path / "tiny.png", tiny)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nthis is not an image")
    return dict(empty=empty, full=full, tiny=tiny, broken=broken)


@pytest.mark.parametrize("case, args, words", [
    ("missing", ["--voxel-size", "10"], ["--bone", "no such file"]),
    ("broken", ["--voxel-size", "10"], ["broken.png", "cannot read"]),
    ("empty", ["--voxel-size", "10"], ["no bone"]),
    ("full", ["--voxel-size", "10"], ["all bone"]),
    ("tiny", ["--voxel-size", "10"], ["8 x 8", "16 to 2048"]),
    ("cross", [], ["--voxel-size"]),
    ("cross", ["--voxel-size", "0.5"], ["--voxel-size=0.5", "out of range"]),
    ("cross", ["--voxel-size", "80"], ["--voxel-size=80", "out of range"]),
    ("cross", ["--voxel-size", "10", "--grid", "128"], ["--grid=128", "64 x 64"]),
    ("cross", ["--voxel-size", "10", "--site", "both"], ["--site both"]),
])
def test_bad_bone_images_are_one_line_exit_2_nothing_written(tmp_path, capsys, cross_png, case, args, words):
    files = {**_bad_images(tmp_path), "cross": cross_png, "missing": tmp_path / "missing.png"}
    out = tmp_path / "never"
    assert main(["run", "--bone", str(files[case]), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bonegrid: error:") and "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err
    assert not out.exists()
