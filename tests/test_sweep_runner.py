"""Running sweeps (bonegrid/sweep/runner.py, store.py, worker.py): tables, workers, failures, resume."""

import json
import multiprocessing
import os
import signal

import numpy as np
import pandas as pd
import pytest
from sweep_helpers import TINY, cli, table, write_spec

from bonegrid.parameters import ParameterError
from bonegrid.sweep import design_runs, load_spec, run_sweep
from bonegrid.sweep.runner import make_job
from bonegrid.sweep.store import SweepStore
from bonegrid.sweep.worker import run_one


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
    # the model refuses an OPG sink faster than OPG's own decay (0.35/day) when it is built, in the worker
    swept = "myeloma_opg_degradation_per_day = [0.1, 1.0]"
    path = write_spec(tmp_path, TINY.replace("osteoblast_lifespan_days = [60, 120]", swept))
    assert cli("sweep", path, "--workers", "2") == 1  # exit status 1: failed runs
    printed = capsys.readouterr().out
    assert "4 done, 4 failed" in printed and "at most opg_decay_per_day" in printed
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    failed = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert [r["myeloma_opg_degradation_per_day"] for r in failed] == [1.0] * 4
    assert all("ParameterError" in r["error"] for r in failed)
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
    assert killed and report.workers_lost == 1 and report.resubmitted >= 1   # one kill is one lost worker
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
