"""Engine benchmark: simulated years per wall-second, time per part of the day, peak memory.

    python benchmarks/engine.py                 # 256 and 512 grids, 10 years, 3 runs each
    python benchmarks/engine.py --grids 256 --years 2 --repeats 2

Each grid runs in its own process pinned to one core (thread pools limited to one thread),
so peak memory (max RSS) is per grid. Throughput is the median over runs with different
seeds of (simulated years / wall seconds) for ``model.run`` after construction; construction
(slice generation + burn-in) is reported separately. The per-part breakdown comes from
one extra, instrumented run (timers wrapped around each part; they add a little overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bonegrid.constants import DAYS_PER_YEAR

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

PARTS = ("physiology", "fields", "recruitment", "osteoclasts", "osteoblasts", "osteocytes", "tissue",
         "observers", "records")


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
    Osteoblast.step = timed("osteoblasts", Osteoblast.step)
    model.osteocytes.step = timed("osteocytes", model.osteocytes.step)
    model.tissue.mineralise = timed("tissue", model.tissue.mineralise)
    model.recorder.observe = timed("observers", model.recorder.observe)
    model.recorder.collect = timed("records", model.recorder.collect)
    return acc


def measure(grid: int, years: float, repeats: int) -> dict:
    """Run in this process: throughput over ``repeats`` seeds, then an instrumented breakdown."""
    import resource

    from bonegrid.model import BoneModel

    days = round(years * DAYS_PER_YEAR)
    rates, builds = [], []
    for seed in range(1, repeats + 1):
        t0 = time.perf_counter()
        model = BoneModel(site="spine", grid=grid, seed=seed)
        t1 = time.perf_counter()
        model.run(days)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        rates.append(years / (t2 - t1))
    model = BoneModel(site="spine", grid=grid, seed=repeats + 1)
    acc = _instrument(model)
    t0 = time.perf_counter()
    model.run(days)
    wall = time.perf_counter() - t0
    rates.sort()
    builds.sort()
    return {
        "grid": grid, "years": years, "repeats": repeats,
        "years_per_second_median": rates[len(rates) // 2], "years_per_second_all": rates,
        "construction_s_median": builds[len(builds) // 2],
        "ms_per_day": {k: 1e3 * v / days for k, v in acc.items()},
        "instrumented_ms_per_day": 1e3 * wall / days,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "cells_at_end": {"osteoclasts": len(model.osteoclasts), "osteoblasts": len(model.osteoblasts),
                         "osteocytes": len(model.osteocytes.agents)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.grids[0], args.years, args.repeats)))
        return
    results = []
    for grid in args.grids:
        cmd = [sys.executable, __file__, "--child", "--grids", str(grid), "--years", str(args.years),
               "--repeats", str(args.repeats)]
        if hasattr(os, "sched_setaffinity"):
            cmd = ["taskset", "-c", "0", *cmd]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"bonegrid engine benchmark: healthy spine, {args.years:g} simulated years, median of "
          f"{args.repeats} seeds, one core\n")
    print(f"{'grid':>6} {'sim years/s':>12} {'10 years (s)':>13} {'build (s)':>10} {'peak RSS (MB)':>14}")
    for r in results:
        print(f"{r['grid']:>6} {r['years_per_second_median']:>12.3f} {10 / r['years_per_second_median']:>13.1f} "
              f"{r['construction_s_median']:>10.2f} {r['peak_rss_mb']:>14.0f}")
    if len(results) >= 2:
        ratio = results[0]["years_per_second_median"] / results[1]["years_per_second_median"]
        print(f"\ntime ratio {results[1]['grid']}^2 / {results[0]['grid']}^2: {ratio:.2f}x")
    print("\nms per simulated day, by part (instrumented run):")
    print(f"{'part':>16} " + " ".join(f"{r['grid']:>9}" for r in results))
    for part in PARTS:
        print(f"{part:>16} " + " ".join(f"{r['ms_per_day'][part]:>9.3f}" for r in results))
    print(f"{'total (instr.)':>16} " + " ".join(f"{r['instrumented_ms_per_day']:>9.3f}" for r in results))
    print("\ncells at the end: " + "; ".join(f"{r['grid']}: {r['cells_at_end']}" for r in results))


if __name__ == "__main__":
    main()
