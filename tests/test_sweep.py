"""Sweeps: spec validation, designs and seeds, runs on local processes, faults, resume, shards, analysis."""

import argparse
import json
import multiprocessing
import os
import signal
import textwrap

import numpy as np
import pandas as pd
import pytest

from bonegrid.parameters import ParameterError
from bonegrid.sweep import add_commands, design_runs, load_spec, run_command, run_seed, run_sweep
from bonegrid.sweep.analysis import analyze, load_sweep, morris_indices, sobol_indices
from bonegrid.sweep.design import in_shard, parse_shard
from bonegrid.sweep.runner import make_job
from bonegrid.sweep.store import SweepStore
from bonegrid.sweep.worker import RunResult, kept_days, run_one

TINY = """\
scenario = "healthy"
grid = 32
days = 20
replicates = 2
output = "{out}"
outputs = { readouts = ["bv_tv", "bmd", "ctx"], interval_days = 5 }

[fixed]
burn_in_days = 10

[parameters]
osteoclast_lifespan_days = [10.0, 20.0]
osteoblast_lifespan_days = [60, 120]
"""


def write_spec(tmp_path, text, name="spec.toml", out="out"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).replace("{out}", str(tmp_path / out)))
    return path


def table(out):
    return pd.read_parquet(out / "results.parquet")


def cli(*argv):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    return run_command(parser.parse_args([str(a) for a in argv]))


# ------------------------------------------------------------------------------ spec
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


# ---------------------------------------------------------------------------- design
def test_factorial_design_runs_every_combination_with_replicates(tmp_path):
    runs = design_runs(load_spec(write_spec(tmp_path, TINY)))
    assert runs.columns.tolist()[:4] == ["run_id", "point", "replicate", "seed"]
    assert runs["run_id"].tolist() == list(range(8))
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    combos = set(zip(runs["osteoclast_lifespan_days"], runs["osteoblast_lifespan_days"], strict=True))
    assert combos == {(10.0, 60.0), (10.0, 120.0), (20.0, 60.0), (20.0, 120.0)}
    assert runs["osteoblast_lifespan_days"].dtype == np.float64  # a float parameter given as ints


def test_seeds_are_children_of_the_root_seed_sequence(tmp_path):
    runs = design_runs(load_spec(write_spec(tmp_path, TINY)))
    children = np.random.SeedSequence(1).spawn(8)
    expected = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    assert runs["seed"].tolist() == expected
    assert len(set(expected)) == 8
    common = design_runs(load_spec(write_spec(tmp_path, TINY.replace("replicates = 2", "replicates = 2\n"
                                                                     "common_seeds = true"), "c.toml")))
    assert common["seed"].tolist() == [run_seed(1, r) for r in [0, 1] * 4]


def test_samplers_make_the_documented_number_of_points_within_bounds(tmp_path):
    params = """
        [parameters]
        osteoclast_lifespan_days = { low = 8.0, high = 20.0 }
        rankl_surface_pM_per_day = { low = 10.0, high = 1000.0, log = true }
        secondary_mineralisation_step_days = { low = 2, high = 30 }
    """
    head = TINY.split("[fixed]")[0].replace("replicates = 2", "replicates = 1")
    sizes = {'{ method = "morris", trajectories = 5 }': 5 * 4, '{ method = "sobol", samples = 8 }': 8 * 5,
             '{ method = "latin", samples = 7 }': 7}
    for i, (design, size) in enumerate(sizes.items()):
        text = head + f"design = {design}\n" + textwrap.dedent(params)
        runs = design_runs(load_spec(write_spec(tmp_path, text, f"s{i}.toml")))
        assert len(runs) == size
        assert runs["osteoclast_lifespan_days"].between(8.0, 20.0).all()
        assert runs["rankl_surface_pM_per_day"].between(10.0, 1000.0).all()
        steps = runs["secondary_mineralisation_step_days"]
        assert steps.dtype == np.int64 and steps.between(2, 30).all()
    # Morris levels of a log factor are evenly spaced in log10: 10, 100/sqrt(10)... (4 levels over 2 decades)
    morris = design_runs(load_spec(tmp_path / "s0.toml"))
    levels = np.log10(np.sort(morris["rankl_surface_pM_per_day"].unique()))
    assert np.allclose(np.diff(levels), 2.0 / 3.0)


def test_shards_partition_the_runs():
    ids = np.arange(23)
    masks = [in_shard(ids, (i, 4)) for i in range(1, 5)]
    assert (np.sum(masks, axis=0) == 1).all()
    assert parse_shard("3/4") == (3, 4)
    for bad in ("0/4", "5/4", "x", "1-4"):
        with pytest.raises(ParameterError, match="I/N"):
            parse_shard(bad)


# ------------------------------------------------------------------------------ runs
def test_a_sweep_writes_a_tidy_table_manifest_and_snapshots(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY.replace("interval_days = 5", "interval_days = 5, snapshots = true")))
    report = run_sweep(spec, workers=2)
    assert (report.done, report.failed, report.pending) == (8, [], 0)
    out = tmp_path / "out"
    t = table(out)
    assert t.columns.tolist() == ["run_id", "point", "replicate", "seed", "osteoclast_lifespan_days",
                                  "osteoblast_lifespan_days", "day", "bv_tv", "bmd", "ctx"]
    assert len(t) == 8 * 5 and t.groupby("run_id")["day"].apply(list).map(tuple).unique().tolist() == [
        (0, 5, 10, 15, 20)]
    runs = design_runs(spec)
    pd.testing.assert_frame_equal(t.drop_duplicates("run_id")[runs.columns].reset_index(drop=True), runs)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == {"done": 8, "failed": 0, "pending": 0}
    assert manifest["versions"]["bonegrid"] and manifest["spec"]["grid"] == 32
    assert all(r["status"] == "done" and r["seconds"] > 0 for r in manifest["runs"])
    snap = np.load(out / "snapshots" / "run-00000003.npz")
    assert snap["kind"].shape == (32, 32) and snap["mineral"].dtype == np.float32 and int(snap["day"]) == 20
    # one run redone in this process with its recorded seed gives the same numbers
    again = run_one(make_job(spec, runs.to_dict(orient="records")[5])).table
    mine = t[t["run_id"] == 5][["day", "bv_tv", "bmd", "ctx"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, mine)


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    one = load_spec(write_spec(tmp_path, TINY, "one.toml", "one"))
    two = load_spec(write_spec(tmp_path, TINY, "two.toml", "two"))
    run_sweep(one, workers=1)
    run_sweep(two, workers=2)
    pd.testing.assert_frame_equal(table(tmp_path / "one"), table(tmp_path / "two"))


def test_a_run_that_raises_is_recorded_and_the_others_go_on(tmp_path, capsys):
    path = write_spec(tmp_path, TINY.replace("osteoblast_lifespan_days = [60, 120]", "gut_absorption = [1.0, 0.0]"))
    assert cli("sweep", path, "--workers", "2") == 1  # exit status 1: failed runs
    printed = capsys.readouterr().out
    assert "4 done, 4 failed" in printed and "no positive steady state" in printed
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    failed = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert [r["gut_absorption"] for r in failed] == [0.0] * 4
    assert all("ValueError" in r["error"] for r in failed)
    status = json.loads((out / "runs" / f"run-{failed[0]['run_id']:08d}.json").read_text())
    assert "Traceback" in status["traceback"]
    assert sorted(table(out)["run_id"].unique()) == [r["run_id"] for r in manifest["runs"] if r["status"] == "done"]


def test_an_interrupted_sweep_resumes_without_redoing_finished_runs(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY))

    def stop_after_three(result, report):
        if report.done == 3:
            raise KeyboardInterrupt

    report = run_sweep(spec, workers=2, progress=stop_after_three)
    assert report.interrupted and report.done == 3 and report.pending == 5
    out = tmp_path / "out"
    assert not (out / "results.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"]["pending"] == 5
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "parts").iterdir()}
    assert len(stamps) == 3
    with pytest.raises(ParameterError, match="--resume"):
        run_sweep(spec, workers=2)
    report = run_sweep(spec, workers=2, resume=True)
    assert (report.skipped, report.done, report.pending) == (3, 5, 0)
    assert all((out / "parts" / name).stat().st_mtime_ns == stamp for name, stamp in stamps.items())
    fresh = load_spec(write_spec(tmp_path, TINY, "fresh.toml", "fresh"))
    run_sweep(fresh, workers=2)
    pd.testing.assert_frame_equal(table(out), table(tmp_path / "fresh"))


def test_a_changed_spec_cannot_resume_into_the_old_folder(tmp_path):
    run_sweep(load_spec(write_spec(tmp_path, TINY)), workers=1)
    changed = load_spec(write_spec(tmp_path, TINY.replace("[10.0, 20.0]", "[10.0, 30.0]")))
    with pytest.raises(ParameterError, match="holds a different sweep"):
        run_sweep(changed, workers=1, resume=True)


def test_a_killed_local_worker_loses_nothing(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY.replace("grid = 32", "grid = 48").replace("days = 20", "days = 60")))
    before = {p.pid for p in multiprocessing.active_children()}
    killed = []

    def kill_a_worker(result, report):
        if report.done == 1 and not killed:
            victim = next(p for p in multiprocessing.active_children() if p.pid not in before)
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    report = run_sweep(spec, workers=2, progress=kill_a_worker)
    assert killed and report.workers_lost >= 1
    assert (report.done, report.failed) == (8, [])
    fresh = load_spec(write_spec(tmp_path, TINY.replace("grid = 32", "grid = 48").replace("days = 20", "days = 60"),
                                 "fresh.toml", "fresh"))
    run_sweep(fresh, workers=1)
    pd.testing.assert_frame_equal(table(tmp_path / "out"), table(tmp_path / "fresh"))


def test_shards_fill_one_folder_and_a_final_resume_writes_the_table(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY))
    first = run_sweep(spec, workers=1, shard=(1, 2))
    second = run_sweep(spec, workers=1, shard=(2, 2))
    assert (first.done, second.done) == (4, 4)
    out = tmp_path / "out"
    assert sorted(SweepStore(out).finished()) == list(range(8))
    assert not (out / "results.parquet").exists()  # shards leave the table to the final step
    final = run_sweep(spec, resume=True)
    assert (final.skipped, final.done) == (8, 0) and final.results == out / "results.parquet"
    whole = load_spec(write_spec(tmp_path, TINY, "whole.toml", "whole"))
    run_sweep(whole, workers=2)
    pd.testing.assert_frame_equal(table(out), table(tmp_path / "whole"))


def test_dry_run_prints_the_design_and_writes_nothing(tmp_path, capsys):
    path = write_spec(tmp_path, TINY)
    assert cli("sweep", path, "--dry-run", "--shard", "1/2") == 0
    printed = capsys.readouterr().out
    assert "4 points x 2 replicate(s) = 8 runs" in printed and "0 of 4 runs of shard 1/2" in printed
    assert not (tmp_path / "out").exists()
    with pytest.raises(ParameterError, match="--workers=0"):
        cli("sweep", path, "--workers", "0")
    with pytest.raises(ParameterError, match="--backend 'slurm'"):
        cli("sweep", path, "--backend", "slurm")


# -------------------------------------------------------------------------- analysis
def synthetic_sweep(tmp_path, design, response):
    """A sweep folder whose 'bmd' is a known function of two parameters (no model runs)."""
    text = """\
        scenario = "healthy"
        grid = 32
        days = 10
        output = "{out}"
        design = DESIGN
        outputs = { readouts = ["bmd"], interval_days = 10 }

        [parameters]
        osteoclast_lifespan_days = { low = 10.0, high = 20.0 }
        osteoblast_lifespan_days = { low = 50.0, high = 150.0 }
    """
    spec = load_spec(write_spec(tmp_path, text.replace("DESIGN", design)))
    runs = design_runs(spec)
    store = SweepStore(spec.output)
    store.prepare(spec, runs, resume=False, joining=False)
    for run in runs.to_dict(orient="records"):
        y = response(run["osteoclast_lifespan_days"], run["osteoblast_lifespan_days"])
        result = RunResult(run["run_id"], pd.DataFrame({"day": [0, 10], "bmd": [1.0, 1.0 + y]}), None, 0.0, "test")
        store.record(run, result, 0)
    store.consolidate()
    return spec.output


def test_morris_indices_of_a_known_function(tmp_path):
    # bmd change = 0.01 x osteoclast lifespan: mu* = 0.01 x its range (10 days) = 0.1; the other is inert
    out = synthetic_sweep(tmp_path, '{ method = "morris", trajectories = 6 }', lambda ocl, obl: 0.01 * ocl)
    analysis = analyze(out, days=[10], change_from_day=0)
    indices = pd.read_csv(analysis.paths[0]).set_index("parameter")
    assert indices.loc["osteoclast_lifespan_days", "mu_star"] == pytest.approx(0.1)
    assert indices.loc["osteoclast_lifespan_days", "sigma"] == pytest.approx(0.0, abs=1e-12)
    assert indices.loc["osteoblast_lifespan_days", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert analysis.paths[1].stat().st_size > 10_000


def test_sobol_indices_of_a_known_function(tmp_path):
    # y = a + b with a ~ U(10, 20) and b/10 ~ U(5, 15): equal variances, no interaction: S1 = ST = 1/2
    out = synthetic_sweep(tmp_path, '{ method = "sobol", samples = 256 }', lambda ocl, obl: ocl + obl / 10.0)
    analysis = analyze(out, days=[10], change_from_day=0)
    indices = pd.read_csv(analysis.paths[0]).set_index("parameter")
    assert indices["S1"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.08)
    assert indices["ST"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.08)
    assert (indices["S1_conf"] > 0).all()


def test_sobol_needs_every_point_and_morris_drops_incomplete_trajectories(tmp_path):
    out = synthetic_sweep(tmp_path, '{ method = "morris", trajectories = 4 }', lambda ocl, obl: 0.01 * ocl)
    sweep = load_sweep(out)
    y = np.array([0.01 * v for v in sweep.runs["osteoclast_lifespan_days"]])
    y[4] = np.nan  # a failed run in trajectory 1 (3 points per trajectory)
    indices, used = morris_indices(sweep, y)
    assert used == 3
    assert indices.set_index("parameter").loc["osteoclast_lifespan_days", "mu_star"] == pytest.approx(0.1)
    with pytest.raises(ParameterError, match="Sobol indices need every point"):
        sobol_indices(sweep, y)


def test_analyze_a_real_morris_sweep_from_the_command_line(tmp_path, capsys):
    # an inert parameter (no myeloma) has exactly zero effects under common seeds
    text = """\
        scenario = "healthy"
        grid = 32
        days = 30
        common_seeds = true
        output = "{out}"
        design = { method = "morris", trajectories = 3 }
        outputs = { readouts = ["bmd", "ctx"], interval_days = 10 }
        analysis = { outputs = ["bmd"], change_from_day = 0 }

        [fixed]
        burn_in_days = 20

        [parameters]
        rankl_surface_pM_per_day = { low = 20.0, high = 180.0 }
        myeloma_tgfb_half_pM = { low = 1.0, high = 100.0 }
    """
    path = write_spec(tmp_path, text)
    assert cli("sweep", path, "--workers", "2") == 0
    capsys.readouterr()
    assert cli("analyze", tmp_path / "out", "--days", "10", "30") == 0
    written = capsys.readouterr().out.split()
    assert written == [str(tmp_path / "out" / "analysis" / n) for n in ("morris_change.csv", "morris_change.png")]
    indices = pd.read_csv(written[0])
    assert sorted(indices["day"].unique()) == [10, 30] and (indices["change_from_day"] == 0).all()
    inert = indices[indices["parameter"] == "myeloma_tgfb_half_pM"]
    assert (inert["mu_star"] == 0.0).all()
    assert (indices[indices["parameter"] == "rankl_surface_pM_per_day"]["mu_star"] > 0.0).all()
    with pytest.raises(ParameterError, match="the sweep kept bmd, ctx"):
        cli("analyze", tmp_path / "out", "--outputs", "pth")
    with pytest.raises(ParameterError, match="not a recorded day"):
        cli("analyze", tmp_path / "out", "--days", "15")


def test_factorial_response_table_and_plot(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY))
    run_sweep(spec, workers=2)
    analysis = analyze(tmp_path / "out", outputs=["bmd", "ctx"], days=[20])
    response = pd.read_csv(analysis.paths[0])
    assert len(response) == 2 * 4 and (response["count"] == 2).all()
    t = table(tmp_path / "out")
    at = t[t["day"] == 20].groupby("point")["bmd"].mean()
    got = response[response["output"] == "bmd"].set_index("point")["mean"]
    assert np.allclose(got.sort_index().to_numpy(), at.to_numpy())
    assert analysis.paths[1].name == "response.png"


def test_kept_days():
    assert kept_days(20, 5).tolist() == [0, 5, 10, 15, 20]
    assert kept_days(22, 10).tolist() == [0, 10, 20, 22]
