"""Sweep throughput: runs per minute on 1 and 2 local worker processes and on a 2-worker Dask cluster.

    python benchmarks/sweep.py [--runs 32] [--repeats 3] [--grid 128] [--days 365]

The same sweep (a factorial of the healthy scenario, identical seeds) is run by each
backend; the time is the whole ``run_sweep`` call (pool start, writing parts, manifest and
table). Start-up costs paid once per command or cluster are paid before timing: one
warm-up sweep starts the forkserver that preloads the model (as any ``run.py sweep`` does
at its start), and each Dask cluster -- a scheduler and two single-threaded workers as
separate processes on 127.0.0.1, the model preloaded with ``--preload`` -- is started and
given a warm-up sweep before its timed sweeps, as a running cluster would be (the first
sweep on fresh workers is ~20% slower). The workers run with the Dask config that keeps
the nanny from setting ``MALLOC_TRIM_THRESHOLD_``; for comparison the same cluster is
also timed with Dask's default nanny environment. On a shared machine other jobs distort
the figures: each measurement waits until the CPUs are quiet, and the table gives how busy
all CPUs were during each sweep (about 50% for 1 worker and 100% for 2 on 2 cores when
nothing else runs). Goals (issue 15): >= 1.9x from 1 to 2 local workers; Dask within 10% of local.
"""

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil

from bonegrid.sweep import load_spec, run_sweep

SPEC = """\
scenario = "healthy"
grid = {grid}
days = {days}
output = "{out}"
outputs = {{ readouts = ["bv_tv", "bmd", "ctx", "p1np"], interval_days = 30 }}

[fixed]
burn_in_days = 100

[parameters]
osteoclast_lifespan_days = {{ low = 10.0, high = 18.0, num = {levels} }}
osteoblast_lifespan_days = [90.0, 130.0]
"""


@contextlib.contextmanager
def loopback_cluster(workers: int, trimmed: bool, folder: Path):
    """Yield the scheduler file of a Dask scheduler and ``workers`` nanny workers on 127.0.0.1."""
    config = folder / "dask-config"
    config.mkdir(exist_ok=True)
    if not trimmed:
        (config / "bonegrid.yaml").write_text(textwrap.dedent("""\
            distributed:
              nanny:
                pre-spawn-environ:
                  MALLOC_TRIM_THRESHOLD_: null
            """))
    env = {**os.environ, "DASK_CONFIG": str(config)}
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    log = (folder / "cluster.log").open("a")
    common = dict(env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                                   "127.0.0.1:0", "--scheduler-file", str(scheduler_file)], **common)]
    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        processes += [subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                                        "--nthreads", "1", "--dashboard-address", "127.0.0.1:0", "--local-directory",
                                        str(folder / f"w{i}"), "--preload", "bonegrid.sweep.worker"], **common)
                      for i in range(workers)]
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield str(scheduler_file)
    finally:
        for process in reversed(processes):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def wait_for_quiet(max_busy_percent: float, timeout_s: float) -> float:
    """Wait until the machine's CPUs are at most ``max_busy_percent`` busy (over 2 s); return the busy %."""
    deadline = time.monotonic() + timeout_s
    busy = psutil.cpu_percent(interval=2.0)
    while busy > max_busy_percent and time.monotonic() < deadline:
        busy = psutil.cpu_percent(interval=2.0)
    return busy


def busy_cpu_seconds() -> float:
    """CPU seconds all processes of the machine have used (user, system, ...; not idle or I/O wait)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def timed(spec_text: str, folder: Path, name: str, **backend) -> tuple[float, float, float]:
    """Run the sweep once into a fresh folder.

    Returns runs per minute, the median wall time of one run on its worker (s) and how busy
    the machine's CPUs were meanwhile (%, all processes: above workers/cores means others ran too).
    """
    path = folder / f"{name}.toml"
    path.write_text(spec_text.replace("{out}", str(folder / name)))
    spec = load_spec(path)
    cpu = busy_cpu_seconds()
    started = time.perf_counter()
    report = run_sweep(spec, **backend)
    seconds = time.perf_counter() - started
    busy = 100.0 * (busy_cpu_seconds() - cpu) / (seconds * psutil.cpu_count())
    assert report.done == report.total and not report.failed, report.summary()
    runs = json.loads((folder / name / "manifest.json").read_text())["runs"]
    return 60.0 * report.done / seconds, statistics.median(r["seconds"] for r in runs), busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32, help="runs per sweep, even (default 32)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (default 3)")
    parser.add_argument("--grid", type=int, default=128, help="voxels per side (default 128)")
    parser.add_argument("--days", type=int, default=365, help="days after a 100-day burn-in (default 365)")
    parser.add_argument("--quiet-percent", type=float, default=15.0,
                        help="before each measurement, wait (up to 10 min) until the CPUs are at most this busy, %% "
                             "(default 15: other jobs on a shared machine distort the figures)")
    args = parser.parse_args()
    text = SPEC.format(grid=args.grid, days=args.days, levels=args.runs // 2, out="{out}")
    labels = ("process, 1 worker", "process, 2 workers", "dask, 2 workers", "dask, 2 workers, MALLOC_TRIM_THRESHOLD_ set")
    rates: dict[str, list[float]] = {k: [] for k in labels}
    run_seconds: dict[str, list[float]] = {k: [] for k in labels}
    busy: dict[str, list[float]] = {k: [] for k in labels}

    def measure(label: str, name: str, **backend) -> None:
        wait_for_quiet(args.quiet_percent, 600.0)
        rate, seconds, percent = timed(text, folder, name, **backend)
        rates[label].append(rate)
        run_seconds[label].append(seconds)
        busy[label].append(percent)

    def report(label: str, repeat: int) -> None:
        print(f"{label}, repeat {repeat + 1}: {rates[label][-1]:.1f} runs/min, one run {run_seconds[label][-1]:.2f} s, "
              f"CPUs {busy[label][-1]:.0f}% busy", flush=True)

    with tempfile.TemporaryDirectory(prefix="bonegrid-bench-") as tmp:
        folder = Path(tmp)
        warm = SPEC.format(grid=32, days=5, levels=2, out="{out}").replace("100", "5")
        timed(warm, folder, "warm-up", workers=2)  # starts the forkserver (model preloaded) once, as one CLI call does
        for repeat in range(args.repeats):  # local 1 and 2 workers interleaved
            for label, workers in ((labels[0], 1), (labels[1], 2)):
                measure(label, f"p{workers}-{repeat}", workers=workers)
                report(label, repeat)
        for trimmed, label in ((False, labels[2]), (True, labels[3])):
            with loopback_cluster(2, trimmed, folder) as scheduler:
                timed(warm, folder, f"warm-up-{int(trimmed)}", scheduler=scheduler)  # a running cluster is warm
                for repeat in range(args.repeats):
                    measure(label, f"d{int(trimmed)}-{repeat}", scheduler=scheduler)
                    report(label, repeat)
    median = {k: statistics.median(v) for k, v in rates.items()}
    print(f"\n{args.runs} runs of a {args.grid}² healthy slice, 100 + {args.days} days, median of {args.repeats} "
          f"repeats ({os.cpu_count()} cores):")
    print("| backend | runs/min (median) | all repeats | one run on its worker, s (median) | CPUs busy, % |")
    print("| --- | --- | --- | --- | --- |")
    for k, v in rates.items():
        print(f"| {k} | {median[k]:.1f} | {', '.join(f'{x:.1f}' for x in v)} | "
              f"{statistics.median(run_seconds[k]):.2f} | {', '.join(f'{x:.0f}' for x in busy[k])} |")
    local1, local2, dask2 = median["process, 1 worker"], median["process, 2 workers"], median["dask, 2 workers"]
    print(f"\nspeed-up 1 -> 2 local workers: {local2 / local1:.2f}x (goal >= 1.9x)")
    print(f"Dask / local, 2 workers: {dask2 / local2:.2f} (goal >= 0.90)")
    print(f"Dask with MALLOC_TRIM_THRESHOLD_ / without: {median[labels[3]] / dask2:.2f}")


if __name__ == "__main__":
    main()
