"""Engine benchmark: every figure of issue 15's goal table, measured, beside its goal; and where a day goes.

    python benchmarks/engine.py                          # every row (~30 min on 2 cores)
    python benchmarks/engine.py --rows ten_years parts   # some rows
    python benchmarks/engine.py --quick                  # every row, shorter (~8 min): the long horizons are
                                                         # measured shorter and scaled, which the table says

Rows (``--rows`` ids):

ten_years    10 simulated years of a healthy 256² spine slice, default readouts: median of ``--repeats``
             seeds of ``model.run`` after construction, one pinned core
life_course  70 simulated years at 256² (a woman from 20 to 90), one run, one pinned core
area_ratio   512² / 256² time of ``model.run`` for the same horizon (``--ratio-years``), pairs with the same
             seed, median of the pair ratios, one pinned core
section      1024² (a 1 cm section): build (slice + 1-year burn-in), one simulated year, peak memory (max RSS
             of its own process), one pinned core
validate     ``python run.py validate --seeds 3`` on 2 worker processes: wall time
peer         bone-models' Lerebours femur at 358 s per simulated year (issue 15's figure, not measured here)
             over the ten_years row's seconds per simulated year
tour         ``python run.py tour`` (the default job) on 2 worker processes: wall time
dashboard    step + redraw at 256², 1 day per picture, patient and twin, in headless Chromium: median of
             15 steps (``benchmarks/dashboard.py``)
sweep        runs per minute with 2 local workers over 1, and a loopback Dask cluster of 2 workers over the
             local pool of 2, in one run (``benchmarks/sweep.py``)
parts        ms per simulated day by part of the day, instrumented runs at 256² and 512² (timers wrapped
             around each part; they add a little overhead)

The one-core rows run in their own processes pinned to core 0 with thread pools of one thread.
Figures on a shared machine move with other work: the header gives the load when the run started.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bonegrid.constants import DAYS_PER_YEAR

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("physiology", "fields", "recruitment", "osteoclasts", "osteoblasts", "osteocytes", "tissue",
         "observers", "records")
ROWS = ("ten_years", "life_course", "area_ratio", "section", "validate", "peer", "tour", "dashboard", "sweep", "parts")
PEER_SECONDS_PER_YEAR = 358.0
"""bone-models' Lerebours 2D femur, seconds per simulated year on this machine (issue 15; not re-measured here)."""


@dataclasses.dataclass
class Row:
    """One line of the goal table."""

    figure: str
    before: str
    measured: str
    goal: str
    met: bool | None
    how: str


# ----------------------------------------------------------------------------- measured in a pinned child process
def _instrument(model) -> dict[str, float]:
    """Wrap each part of the day with a timer; return the accumulator (seconds per part)."""
    import bonegrid.model as mod
    from bonegrid.agents.osteoblast import Osteoblast
    from bonegrid.agents.osteoclast import Osteoclast

    acc = dict.fromkeys(PARTS, 0.0)

    def timed(part, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[part] += time.perf_counter() - t0
        return wrapper

    model.physiology.step = timed("physiology", model.physiology.step)
    model._sources = timed("fields", model._sources)
    model.solver.solve = timed("fields", model.solver.solve)
    mod.recruit_osteoclasts = timed("recruitment", mod.recruit_osteoclasts)
    mod.recruit_osteoblasts = timed("recruitment", mod.recruit_osteoblasts)
    Osteoclast.step = timed("osteoclasts", Osteoclast.step)
    Osteoblast.work = timed("osteoblasts", Osteoblast.work)
    model.osteoblast_days.advance = timed("osteoblasts", model.osteoblast_days.advance)
    model.osteocytes.step = timed("osteocytes", model.osteocytes.step)
    model.tissue.mineralise = timed("tissue", model.tissue.mineralise)
    model.recorder.observe = timed("observers", model.recorder.observe)
    model.recorder.collect = timed("records", model.recorder.collect)
    return acc


def runs(grid: int, days: int, seeds: list[int], age_years: float) -> dict:
    """Build and run a healthy spine model per seed: build and run seconds (the run also in CPU seconds), peak RSS."""
    import resource

    from bonegrid.model import BoneModel

    build, run, run_cpu = [], [], []
    for seed in seeds:
        t0 = time.perf_counter()
        model = BoneModel(site="spine", grid=grid, seed=seed, age_years=age_years)
        t1, c1 = time.perf_counter(), time.process_time()
        model.run(days)
        build.append(t1 - t0)
        run.append(time.perf_counter() - t1)
        run_cpu.append(time.process_time() - c1)
    return {"build_s": build, "run_s": run, "run_cpu_s": run_cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def parts(grid: int, days: int, seed: int) -> dict:
    """One instrumented run: ms per simulated day by part, and the instrumented total."""
    from bonegrid.model import BoneModel

    model = BoneModel(site="spine", grid=grid, seed=seed)
    acc = _instrument(model)
    t0 = time.perf_counter()
    model.run(days)
    wall = time.perf_counter() - t0
    return {"ms_per_day": {k: 1e3 * v / days for k, v in acc.items()}, "total_ms_per_day": 1e3 * wall / days,
            "cells_at_end": {"osteoclasts": len(model.osteoclasts), "osteoblasts": len(model.osteoblasts),
                             "osteocytes": len(model.osteocytes.agents)}}


def pinned(*args: str) -> dict:
    """Run ``--child ARGS`` in a process of its own on core 0; return its JSON answer."""
    cmd = [sys.executable, __file__, "--child", *args]
    if hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def child(argv: list[str]) -> None:
    """Entry of a pinned child: ``runs GRID DAYS AGE SEED...`` or ``parts GRID DAYS SEED``."""
    kind, grid, days, *rest = argv
    if kind == "runs":
        print(json.dumps(runs(int(grid), int(days), [int(s) for s in rest[1:]], float(rest[0]))))
    else:
        print(json.dumps(parts(int(grid), int(days), int(rest[0]))))


# ----------------------------------------------------------------------------- the rows
def wall(cmd: list[str]) -> float:
    """Wall seconds of a command run from the repository root (its output is discarded)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _s(x: float) -> str:
    return f"{x:.1f} s" if x < 100 else f"{x:.0f} s"


def row_ten_years(a, found: dict) -> Row:
    days = round(a.years * DAYS_PER_YEAR)
    r = pinned("runs", str(a.grid), str(days), "50", *map(str, range(1, a.repeats + 1)))
    per_year = statistics.median(r["run_s"]) / a.years
    cpu_per_year = statistics.median(r["run_cpu_s"]) / a.years
    found["seconds_per_year"] = per_year
    scaled = "" if a.years == 10 else f", {a.years:g}-year runs x {10 / a.years:g}"
    return Row(f"10 simulated years, healthy spine {a.grid}², default readouts", "11.3 s quiet, 13.6 s, 31.7 s at load 5",
               f"{_s(10 * per_year)} ({', '.join(_s(10 * t / a.years) for t in sorted(r['run_s']))}); "
               f"CPU {_s(10 * cpu_per_year)}", "<= 5 s",
               10 * per_year <= 5.0, f"median of {a.repeats} seeds, one core{scaled}; CPU: the run's own CPU time, "
               "which other work on the core does not add to")


def row_life_course(a, found: dict) -> Row:
    years = 10.0 if a.quick else 70.0
    r = pinned("runs", str(a.grid), str(round(years * DAYS_PER_YEAR)), "20", "1")
    seconds = r["run_s"][0] * 70.0 / years
    how = "one run, age 20 to 90, one core" if years == 70 else "extrapolated: a 10-year run x 7, one core"
    return Row(f"70-year life course at {a.grid}²", "~100-170 s (extrapolated)", _s(seconds), "<= 40 s", seconds <= 40.0,
               how)


def row_area_ratio(a, found: dict) -> Row:
    days = str(round(a.ratio_years * DAYS_PER_YEAR))
    ratios = []
    for seed in range(1, a.repeats + 1):
        small = pinned("runs", str(a.grid), days, "50", str(seed))["run_s"][0]
        large = pinned("runs", str(2 * a.grid), days, "50", str(seed))["run_s"][0]
        ratios.append(large / small)
    ratio = statistics.median(ratios)
    return Row(f"{2 * a.grid}² / {a.grid}² time for the same horizon", "4.1x median (3.5-4.5, paired runs)",
               f"{ratio:.2f}x ({', '.join(f'{x:.2f}' for x in sorted(ratios))})", "<= 4.0x", ratio <= 4.0,
               f"{a.repeats} pairs of {a.ratio_years:g}-year runs, same seeds, one core")


def row_section(a, found: dict) -> Row:
    years = 0.25 if a.quick else 1.0
    r = pinned("runs", str(a.big_grid), str(round(years * DAYS_PER_YEAR)), "50", "1")
    run, build, mb = r["run_s"][0] / years, r["build_s"][0], r["peak_rss_mb"]
    how = "one run, one core, max RSS of its process" + ("" if years == 1 else "; the year extrapolated from 0.25")
    return Row(f"{a.big_grid}² (a 1 cm section), one year", "24 s + 34 s to build the slice, 917 MB",
               f"{_s(run)} + {_s(build)} to build, {mb:.0f} MB", "<= 15 s, build <= 5 s, <= 1 GB",
               run <= 15.0 and build <= 5.0 and mb <= 1024.0, how)


def row_validate(a, found: dict) -> Row:
    seconds = wall([sys.executable, "run.py", "validate", "--seeds", "3", "--workers", "2"]
                   + (["healthy", "postmenopausal"] if a.quick else []))
    how = "2 worker processes, wall" + (", healthy and postmenopausal only" if a.quick else "")
    return Row("python run.py validate --seeds 3, 2 cores", "236-570 s", _s(seconds), "<= 120 s",
               seconds <= 120.0 if not a.quick else None, how)


def row_peer(a, found: dict) -> Row:
    if "seconds_per_year" not in found:
        row_ten_years(a, found)
    speed = PEER_SECONDS_PER_YEAR / found["seconds_per_year"]
    return Row("vs bone-models' Lerebours 2D femur (358 s per simulated year)", "150-260x", f"{speed:.0f}x", ">= 700x",
               speed >= 700.0, "358 s/yr from issue 15 (not re-measured) over the ten_years row's s/yr")


def row_tour(a, found: dict) -> Row:
    with tempfile.TemporaryDirectory(prefix="bonegrid-bench-tour-") as out:
        seconds = wall([sys.executable, "run.py", "tour", "--workers", "2", "--out", out]
                       + (["--years", "0.5"] if a.quick else []))
    return Row("python run.py (the tour), 2 cores", "36-90 s", _s(seconds), "<= 20 s",
               seconds <= 20.0 if not a.quick else None,
               "2 worker processes, wall" + (", 0.5 years instead of 3" if a.quick else ""))


def row_dashboard(a, found: dict) -> Row:
    before, goal = "102-150 ms", "<= 50 ms"
    if not Path("/usr/bin/chromium").exists():
        return Row("dashboard step + redraw at 256², 1 day per picture", before, "not measured: no /usr/bin/chromium",
                   goal, None, "")
    out = subprocess.run([sys.executable, "benchmarks/dashboard.py", "--visits", "1", "--steps", "15"], check=True,
                         cwd=ROOT, capture_output=True, text=True).stdout
    ms = float(re.search(r"step \+ redraw.*median (\d+(?:\.\d+)?) ms", out).group(1))
    return Row("dashboard step + redraw at 256², 1 day per picture", before, f"{ms:.0f} ms", goal, ms <= 50.0,
               "headless Chromium, patient + twin, median of 15 steps")


def row_sweep(a, found: dict) -> list[Row]:
    runs_, repeats = ("16", "1") if a.quick else ("32", str(a.repeats))
    out = subprocess.run([sys.executable, "benchmarks/sweep.py", "--runs", runs_, "--repeats", repeats,
                          "--quiet-percent", str(a.quiet_percent)], check=True, cwd=ROOT, capture_output=True,
                         text=True).stdout
    local = float(re.search(r"speed-up 1 -> 2 local workers: ([\d.]+)x", out).group(1))
    dask = float(re.search(r"Dask / local, 2 workers: ([\d.]+)", out).group(1))
    how = f"{runs_} runs of 128² over 100 + 365 days, median of {repeats} sweeps each"
    return [Row("sweep, 2 workers vs 1", "2.1x", f"{local:.2f}x", ">= 1.9x kept", local >= 1.9, how),
            Row("sweep on a loopback Dask cluster of 2 workers vs the local pool of 2", "(new)", f"{dask:.2f}",
                ">= 0.90", dask >= 0.90, how + ", same run")]


def row_parts(a, found: dict) -> dict:
    days = str(round(a.parts_years * DAYS_PER_YEAR))
    return {grid: pinned("parts", str(grid), days, str(a.repeats + 1)) for grid in (a.grid, 2 * a.grid)}


# ----------------------------------------------------------------------------- output
def print_rows(rows: list[Row]) -> None:
    print("| figure | issue 15 (before) | measured | goal | met | how |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        print(f"| {r.figure} | {r.before} | {r.measured} | {r.goal} | {met} | {r.how} |")


def print_parts(result: dict, years: float) -> None:
    grids = list(result)
    print(f"\nms per simulated day, by part ({years:g}-year instrumented runs):")
    print(f"{'part':>16} " + " ".join(f"{g:>9}" for g in grids))
    for part in PARTS:
        print(f"{part:>16} " + " ".join(f"{result[g]['ms_per_day'][part]:>9.3f}" for g in grids))
    print(f"{'total (instr.)':>16} " + " ".join(f"{result[g]['total_ms_per_day']:>9.3f}" for g in grids))
    print("cells at the end: " + "; ".join(f"{g}: {result[g]['cells_at_end']}" for g in grids))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS), help="rows to measure (default: all)")
    parser.add_argument("--quick", action="store_true", help="shorter horizons and sweeps (the table says which)")
    parser.add_argument("--grid", type=int, default=256, help="slice of the one-core rows (default 256)")
    parser.add_argument("--big-grid", type=int, default=1024, help="slice of the section row (default 1024)")
    parser.add_argument("--years", type=float, default=None, help="horizon of the ten_years runs (default 10, quick 2)")
    parser.add_argument("--ratio-years", type=float, default=None,
                        help="horizon of the area_ratio pairs (default 2, quick 1)")
    parser.add_argument("--parts-years", type=float, default=None, help="horizon of the parts runs (default 2, quick 1)")
    parser.add_argument("--repeats", type=int, default=None, help="seeds or pairs per median (default 3, quick 2)")
    parser.add_argument("--quiet-percent", type=float, default=100.0,
                        help="sweep row: wait before each sweep until the CPUs are at most this busy, %% (default 100: "
                             "do not wait)")
    a = parser.parse_args()
    a.years = a.years or (2.0 if a.quick else 10.0)
    a.ratio_years = a.ratio_years or (1.0 if a.quick else 2.0)
    a.parts_years = a.parts_years or (1.0 if a.quick else 2.0)
    a.repeats = a.repeats or (2 if a.quick else 3)
    load = os.getloadavg()[0]
    print(f"bonegrid benchmarks (issue 15): {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, 1-minute load {load:.1f} at the start{', quick' if a.quick else ''}\n")
    rows, found, breakdown = [], {}, None
    measure = {"ten_years": row_ten_years, "life_course": row_life_course, "area_ratio": row_area_ratio,
               "section": row_section, "validate": row_validate, "peer": row_peer, "tour": row_tour,
               "dashboard": row_dashboard, "sweep": row_sweep}
    for name in ROWS:
        if name not in a.rows:
            continue
        t0 = time.perf_counter()
        if name == "parts":
            breakdown = row_parts(a, found)
        else:
            result = measure[name](a, found)
            rows += result if isinstance(result, list) else [result]
        print(f"[{name}: {time.perf_counter() - t0:.0f} s, load now {os.getloadavg()[0]:.1f}]", file=sys.stderr,
              flush=True)
    if rows:
        print_rows(rows)
    if breakdown:
        print_parts(breakdown, a.parts_years)


if __name__ == "__main__":
    main()
