"""Bad input, full disks and broken files: one line, exit status 2, no traceback, nothing written.

Every case runs the command line in a fresh folder and compares the folder tree before and
after. Fault cases (a full disk mid-sweep, a damaged part) also check that nothing is lost
and nothing is done twice.
"""

import errno
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bonegrid.cli import main
from bonegrid.sweep import store as store_module

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--grid", "32", "--set", "burn_in_days=10"]
SPEC = """\
scenario = "healthy"
grid = 32
days = 20
output = "sweep"
outputs = { readouts = ["bv_tv", "bmd"], interval_days = 10 }
[fixed]
burn_in_days = 10
[parameters]
osteoclast_lifespan_days = [10.0, 14.0, 20.0]
osteoblast_lifespan_days = [60, 120]
"""
SPEC_RUNS = 6


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def cli(*argv) -> int:
    """Run the command line in this process; return its exit status."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as stop:  # argparse
        return stop.code


def one_line(capsys, status: int, expected: int = 2, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert status == expected, err
    assert err and "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def refused(tmp_path, monkeypatch, capsys, argv, *words, status=2):
    """Run ``argv`` in ``tmp_path``: one line, exit ``status``, the folder unchanged."""
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    code = cli(*argv)
    err = one_line(capsys, code, status, *words)
    assert tree(tmp_path) == before
    return err


# ------------------------------------------------------------------------------------- arguments and values
@pytest.mark.parametrize("argv, words", [
    (["run", "--grid", "abc"], ["--grid", "abc"]),
    (["frobnicate"], ["frobnicate"]),
    (["run", "--grid", "5000"], ["grid", "2048"]),
    (["run", "--grid", "16", "--set", "trabecular_bone_fraction=0"], ["no bone", "40"]),
    (["run", "--years", "1000", *FAST], ["years", "100"]),
    (["run", "--set", "burn_in_days=-1", "--grid", "32"], ["burn_in_days"]),
    (["run", "--set", "estrogen=nan", *FAST], ["estrogen"]),
    (["tour", "--years", "0"], ["--years"]),
    (["validate", "--seeds", "0"], ["--seeds"]),
    (["balance", "--years", "2"], ["years"]),
    (["dashboard", "--port", "99999"], ["--port", "1..65535"]),
    (["dashboard", "--host", "no-such-host.invalid"], ["--host", "not an address"]),
    (["dashboard", "--host", "192.0.2.1"], ["not an address of this machine"]),
    (["dashboard", "--max-sessions", "0"], ["--max-sessions"]),
])
def test_bad_arguments_and_values(tmp_path, monkeypatch, capsys, argv, words):
    refused(tmp_path, monkeypatch, capsys, argv, *words)


def test_a_port_in_use_is_told_apart_from_a_bad_host(tmp_path, monkeypatch, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        refused(tmp_path, monkeypatch, capsys, ["dashboard", "--port", busy.getsockname()[1]], "is in use")


def test_messages_name_the_command_as_typed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "run", "--set", "nonsense=1"], cwd=tmp_path,
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert out.stderr.startswith("run.py: error:") and "`run.py params`" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_without_the_sweep_extra_says_which_extra(tmp_path, monkeypatch, capsys):
    (tmp_path / "s.toml").write_text(SPEC)
    monkeypatch.setitem(sys.modules, "SALib", None)
    refused(tmp_path, monkeypatch, capsys, ["sweep", "s.toml"], "SALib", "pip install -e '.[sweep]'")


# ------------------------------------------------------------------------------------- output folders
@pytest.mark.parametrize("case", ["under a file", "a file", "read-only", "report on a folder"])
def test_output_folders_are_checked_before_the_run(tmp_path, monkeypatch, capsys, case):
    (tmp_path / "file").write_text("x")
    argv = ["run", *FAST, "--years", "0.01", "--out"]
    if case == "under a file":
        argv.append("file/sub")
    elif case == "a file":
        argv.append("file")
    elif case == "read-only":
        (tmp_path / "locked").mkdir()
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: not str(p).endswith("locked") and real(p, mode))
        argv.append("locked/out")
    else:
        (tmp_path / "folder").mkdir()
        argv = ["report", "results", "--out", "folder"]
    refused(tmp_path, monkeypatch, capsys, argv, "--out")


def test_a_full_disk_while_writing_results_leaves_nothing(tmp_path, monkeypatch, capsys):
    import pandas

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pandas.DataFrame, "to_csv", full)
    refused(tmp_path, monkeypatch, capsys, ["run", *FAST, "--years", "0.01", "--out", "deep/res"], "disk is full")


# ------------------------------------------------------------------------------------- scenario files and specs
@pytest.mark.parametrize("content, words", [
    (bytes(range(256)) * 4, ["me.toml", "utf-8"]),
    ("title = 'caf\u00e9'\n".encode("latin-1"), ["me.toml", "utf-8"]),
    (b"base = 'me.toml'\n", ["me.toml"]),
])
def test_broken_scenario_files(tmp_path, monkeypatch, capsys, content, words):
    (tmp_path / "me.toml").write_bytes(content)
    refused(tmp_path, monkeypatch, capsys, ["run", "me.toml", *FAST], *words)


@pytest.mark.parametrize("spec, words", [
    (SPEC.replace("days = 20", "days = 1000000000"), ["days", "36525"]),
    (SPEC.replace("days = 20", "years = 1e3"), ["years", "100"]),
    (SPEC.replace("[10.0, 14.0, 20.0]", "{ low = 8.0, high = 20.0, num = 1000 }").replace(
        "[60, 120]", "{ low = 60, high = 160, num = 99 }") + "rankl_surface_pM_per_day = { low = 20.0, high = "
     "180.0, num = 1000 }\n", ["runs", "100000"]),
    (SPEC.replace("output = ", "replicates = 1000000000\noutput = "), ["replicates"]),
    (SPEC.replace("[parameters]", "[design]\nmethod = 'latin'\nsamples = 100000000\n[parameters]").replace(
        "[10.0, 14.0, 20.0]", "{ low = 8.0, high = 20.0 }").replace("[60, 120]", "{ low = 60, high = 160 }"),
     ["samples"]),
    (SPEC.replace("[parameters]", "[design]\nmethod = 'latin'\nsamples = 60000\n[parameters]").replace(
        "[10.0, 14.0, 20.0]", "{ low = 8.0, high = 20.0 }").replace("[60, 120]", "{ low = 60, high = 160 }").replace(
        "output = ", "replicates = 2\noutput = "), ["120000 runs"]),
    (bytes(range(256)) * 4, ["UTF-8"]),
    ("scenario = 'caf\u00e9'\n".encode("latin-1"), ["UTF-8"]),
])
@pytest.mark.parametrize("dry", [False, True])
def test_bad_sweep_specs_are_refused_before_the_design(tmp_path, monkeypatch, capsys, spec, words, dry):
    (tmp_path / "s.toml").write_bytes(spec.encode() if isinstance(spec, str) else spec)
    refused(tmp_path, monkeypatch, capsys, ["sweep", "s.toml", *(["--dry-run"] if dry else [])], *words)


@pytest.mark.parametrize("options, words", [
    (["--backend", "foo"], ["--backend"]),
    (["--backend", "process", "--scheduler", "tcp://127.0.0.1:1"], ["--scheduler"]),
    (["--shard", "9/2"], ["--shard"]),
    (["--workers", "0"], ["--workers"]),
])
def test_a_sweep_folder_is_made_only_for_a_valid_command(tmp_path, monkeypatch, capsys, options, words):
    (tmp_path / "s.toml").write_text(SPEC)
    refused(tmp_path, monkeypatch, capsys, ["sweep", "s.toml", *options], *words)


# ------------------------------------------------------------------------------------- broken folders
@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "res"
    assert main(["run", *FAST, "--years", "0.03", "--out", str(out)]) == 0
    return out


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _nan(path: Path) -> None:
    ts = pd.read_csv(path)
    ts.loc[2, "bmd"] = float("nan")
    ts.to_csv(path, index=False)


def _inject(path: Path) -> None:
    path.write_text(path.read_text().replace('"seed": 1', '"seed": "<script>alert(1)</script>"'))


@pytest.mark.parametrize("name, damage, words", [
    ("timeseries.csv", lambda p: p.write_bytes(b""), ["timeseries.csv"]),
    ("timeseries.csv", _truncate, ["timeseries.csv"]),
    ("timeseries.csv", _nan, ["NaN", "bmd"]),
    ("run.json", _truncate, ["run.json"]),
    ("run.json", _inject, ["run.json", "seed"]),
    ("state.npz", lambda p: p.write_bytes(os.urandom(500)), ["state.npz"]),
    ("state.npz", _truncate, ["state.npz"]),
    ("histomorphometry.json", _truncate, ["histomorphometry.json"]),
    ("histomorphometry.json", lambda p: p.write_text('{"values": {"x": 1}}'), ["histomorphometry.json"]),
])
def test_a_damaged_results_folder_gets_one_line_from_report(tmp_path, monkeypatch, capsys, results, name, damage,
                                                            words):
    folder = tmp_path / "res"
    shutil.copytree(results, folder)
    damage(folder / name)
    refused(tmp_path, monkeypatch, capsys, ["report", "res"], *words)


def test_a_sound_results_folder_reports(tmp_path, monkeypatch, capsys, results):
    shutil.copytree(results, tmp_path / "res")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "res"]) == 0
    page = (tmp_path / "res" / "report.html").read_text()
    assert "nan%" not in page and "<script>" not in page


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    (root / "s.toml").write_text(SPEC)
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert main(["sweep", "s.toml", "--workers", "2"]) == 0
    finally:
        os.chdir(cwd)
    return root


def _garbage_part(folder: Path) -> None:
    (folder / "results.parquet").unlink()
    (folder / "parts" / "run-00000002.parquet").write_bytes(os.urandom(300))


@pytest.mark.parametrize("damage, words", [
    (lambda f: _truncate(f / "manifest.json"), ["manifest.json"]),
    (lambda f: (f / "design.csv").write_bytes(b""), ["design.csv"]),
    (lambda f: (f / "results.parquet").write_bytes(os.urandom(400)), ["results.parquet"]),
    (lambda f: _truncate(f / "results.parquet"), ["results.parquet"]),
])
def test_a_damaged_sweep_folder_gets_one_line_from_analyze(tmp_path, monkeypatch, capsys, sweep, damage, words):
    shutil.copytree(sweep / "sweep", tmp_path / "sweep")
    damage(tmp_path / "sweep")
    refused(tmp_path, monkeypatch, capsys, ["analyze", "sweep"], *words)


def test_a_damaged_manifest_gets_one_line_from_resume(tmp_path, monkeypatch, capsys, sweep):
    shutil.copytree(sweep, tmp_path, dirs_exist_ok=True)
    _truncate(tmp_path / "sweep" / "manifest.json")
    refused(tmp_path, monkeypatch, capsys, ["sweep", "s.toml", "--resume"], "manifest.json")


def _done_runs(folder: Path) -> list[int]:
    return sorted(pd.read_parquet(folder / "results.parquet")["run_id"].unique())


def test_an_unreadable_part_is_redone_on_resume_never_counted_done(tmp_path, monkeypatch, capsys, sweep):
    shutil.copytree(sweep, tmp_path, dirs_exist_ok=True)
    folder = tmp_path / "sweep"
    _garbage_part(folder)
    (folder / "runs" / "run-00000003.json").write_text("{trunc")
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "sweep"]) == 0  # the readable parts are analysed
    ran = []
    original = store_module.SweepStore.record
    monkeypatch.setattr(store_module.SweepStore, "record",
                        lambda self, run, result, lost: ran.append(run["run_id"]) or original(self, run, result, lost))
    assert main(["sweep", "s.toml", "--resume", "--workers", "1"]) == 0
    assert ran == [2]
    assert _done_runs(folder) == list(range(SPEC_RUNS))


def test_a_full_disk_mid_sweep_keeps_the_manifest_true_and_resume_recovers(tmp_path, monkeypatch, capsys):
    import json

    (tmp_path / "s.toml").write_text(SPEC)
    original = store_module.SweepStore.record
    ran = []

    def record(self, run, result, lost):
        if len(ran) == 3:
            raise store_module.OutputError(errno.ENOSPC, "cannot write part: the disk is full: free some space")
        ran.append(run["run_id"])
        original(self, run, result, lost)

    monkeypatch.setattr(store_module.SweepStore, "record", record)
    refused_status = cli_in(tmp_path, monkeypatch, "sweep", "s.toml", "--workers", "1")
    err = one_line(capsys, refused_status, 2, "disk is full", "--resume")
    assert "3 run(s)" in err
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert manifest["status"] == {"done": 3, "failed": 0, "pending": SPEC_RUNS - 3}
    assert not (tmp_path / "sweep" / "results.parquet").exists()
    assert not [p for p in (tmp_path / "sweep").rglob("*tmp*")]
    first = list(ran)
    ran.clear()
    monkeypatch.setattr(store_module.SweepStore, "record",
                        lambda self, run, result, lost: ran.append(run["run_id"]) or original(self, run, result, lost))
    assert main(["sweep", "s.toml", "--resume", "--workers", "1"]) == 0
    assert sorted(first + ran) == list(range(SPEC_RUNS))  # nothing lost, nothing done twice
    assert _done_runs(tmp_path / "sweep") == list(range(SPEC_RUNS))


def cli_in(folder: Path, monkeypatch, *argv) -> int:
    monkeypatch.chdir(folder)
    return main([str(a) for a in argv])


# ------------------------------------------------------------------------------------- exit status
def test_validate_refuses_a_scenario_without_bands(tmp_path, monkeypatch, capsys):
    (tmp_path / "bare.toml").write_text('base = "healthy"\nname = "bare"\ntitle = "b"\ndescription = "b"\n')
    refused(tmp_path, monkeypatch, capsys, ["validate", "bare.toml", "--seeds", "1"], "bare", "[[expect]]")


def test_validate_exits_1_and_counts_failed_runs(tmp_path, monkeypatch, capsys):
    from bonegrid.runs import validate as validate_module
    from bonegrid.runs.ensemble import JobResult

    def fake(scenarios, seeds, grid, workers=None, progress=None):
        results = [JobResult(s.name, 1, error="RuntimeError: boom") for s in scenarios]
        return validate_module.validation_rows(scenarios, results), results

    monkeypatch.setattr(validate_module, "validate", fake)
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "healthy", "--grid", "32", "--seeds", "1"]) == 1
    assert "1 of 1 runs FAILED" in capsys.readouterr().out


def test_the_dashboard_turns_away_a_visitor_beyond_the_cap(monkeypatch):
    solara = pytest.importorskip("solara")
    import ipyvuetify as v
    from solara import widgets

    from bonegrid.dashboard import gate

    @solara.component
    def Inside():
        solara.HTML(unsafe_innerHTML="inside")

    for sessions, admitted in ((3, True), (4, False)):
        monkeypatch.setattr(gate, "live_sessions", lambda n=sessions: n)
        _, rc = solara.render(gate.Gate(Inside, 3), handle_error=False)
        texts = " ".join(w.unsafe_innerHTML or "" for w in rc.find(widgets.HTML).widgets)
        alerts = " ".join(str(c) for w in rc.find(v.Alert).widgets for c in w.children)
        assert ("inside" in texts) is admitted
        assert ("The dashboard is full: 3 visitors" in alerts) is not admitted
