"""Sweeps on a real Dask cluster: a scheduler and two workers as separate processes on 127.0.0.1.

The workers run under nannies with the Dask config that keeps the nanny from setting
MALLOC_TRIM_THRESHOLD_ (see bonegrid.sweep.backends), as a cluster for the model should.
Every process started here is in its own process group and is stopped at the end.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from bonegrid.sweep import load_spec, run_sweep

distributed = pytest.importorskip("distributed")

DASK = str(Path(sys.executable).with_name("dask"))
SPEC = """\
scenario = "healthy"
grid = 64
days = 120
replicates = 2
output = "{out}"
outputs = {{ readouts = ["bv_tv", "bmd", "ctx", "n_osteoclasts"], interval_days = 30 }}

[fixed]
burn_in_days = 30

[parameters]
osteoclast_lifespan_days = [10.0, 20.0]
osteoblast_recruitment_per_day = [0.1, 0.2, 0.3]
"""


def spec_at(tmp, name):
    path = tmp / f"{name}.toml"
    path.write_text(SPEC.format(out=tmp / name))
    return load_spec(path)


def start(argv, env, log):
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process):
    """Stop a process we started and everything in its process group (a nanny's worker too)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # a worker left behind by its nanny
    except ProcessLookupError:
        pass


def listening(processes):
    """IP addresses on which the processes we started (and their children) listen."""
    import psutil

    found = []
    for process in processes:
        parent = psutil.Process(process.pid)
        for p in [parent, *parent.children(recursive=True)]:
            found += [c.laddr.ip for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers (nanny, no MALLOC_TRIM_THRESHOLD_) on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("cluster")
    config = tmp / "dask-config"
    config.mkdir()
    (config / "bonegrid.yaml").write_text(textwrap.dedent("""\
        distributed:
          nanny:
            pre-spawn-environ:
              MALLOC_TRIM_THRESHOLD_: null
        """))
    env = {**os.environ, "DASK_CONFIG": str(config)}
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    scheduler_file = tmp / "scheduler.json"
    log = (tmp / "cluster.log").open("w")
    # --dashboard-address: even with --no-dashboard, the HTTP server would listen on 0.0.0.0:8787
    processes = [start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
                        "--scheduler-file", str(scheduler_file)], env, log)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for i in range(2):
            processes.append(start([DASK, "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                                    "--nthreads", "1", "--nworkers", "1", "--dashboard-address", "127.0.0.1:0",
                                    "--name", f"w{i}",
                                    "--local-directory", str(tmp / f"w{i}"), "--death-timeout", "60"], env, log))
        with distributed.Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
            addresses = [client.scheduler.address, *client.scheduler_info()["workers"]]
        assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
        assert listening(processes) and all(ip == "127.0.0.1" for ip in listening(processes))
        yield scheduler_file
    finally:
        for process in reversed(processes):
            stop(process)
        log.close()


@pytest.fixture(scope="module")
def local_table(tmp_path_factory):
    """The same sweep on local worker processes: what every backend must reproduce."""
    tmp = tmp_path_factory.mktemp("local")
    run_sweep(spec_at(tmp, "local"), workers=2)
    return pd.read_parquet(tmp / "local" / "results.parquet")


def test_a_sweep_on_the_cluster_equals_the_local_one(cluster, local_table, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no MALLOC_TRIM_THRESHOLD_, single-threaded workers
        report = run_sweep(spec_at(tmp_path, "dask"), scheduler=str(cluster))
    assert (report.done, report.failed) == (12, [])
    assert "Dask scheduler tcp://127.0.0.1:" in report.backend
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "results.parquet"), local_table)
    workers = {r["worker"].rsplit(":", 1)[1] for r in
               json.loads((tmp_path / "dask" / "manifest.json").read_text())["runs"]}
    assert len(workers) == 2  # both workers ran runs


def test_killing_a_worker_mid_sweep_loses_nothing(cluster, local_table, tmp_path):
    killed = []
    with distributed.Client(scheduler_file=str(cluster), timeout="30s") as client:

        def kill_a_busy_worker(result, report):
            if result is None or killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        report = run_sweep(spec_at(tmp_path, "killed"), scheduler=str(cluster), progress=kill_a_busy_worker)
        assert killed and (report.done, report.failed) == (12, [])
        client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
        pids = set(client.run(os.getpid).values())
    assert killed[0] not in pids
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "killed" / "results.parquet"), local_table)


def test_a_local_dask_cluster_runs_without_malloc_trim_and_a_trimmed_cluster_is_flagged(local_table, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = run_sweep(spec_at(tmp_path, "localdask"), backend="dask", workers=2)
    assert report.backend.startswith("a local Dask cluster")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "localdask" / "results.parquet"), local_table)
    # a cluster with Dask's default nanny environment is flagged
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as trimmed:
        with pytest.warns(RuntimeWarning, match="MALLOC_TRIM_THRESHOLD_=65536"):
            from bonegrid.sweep.backends import DaskBackend

            DaskBackend(trimmed.scheduler_address, workers=1).close()
