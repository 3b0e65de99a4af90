"""Run scenario x seed jobs in parallel processes and bring back what was measured.

Each job builds a scenario's model, snapshots the matrix at day 0, runs the scenario's
duration, and returns its time series, the scenario's ``[[expect]]`` metrics (or an
error message: a failing job never loses the others) and, on request, a final snapshot
for pictures. Used by ``run.py validate`` and by the tour (``run.py`` with no arguments).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence

import pandas as pd

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.readouts.signatures import RunRecord, measure
from bonegrid.runs.plotting import snapshot
from bonegrid.scenarios import Scenario
from bonegrid.timeseries import observers_for
from bonegrid.tissue import MARROW

READOUTS = ("bmd", "t_score", "z_score", "ctx", "p1np")
"""Readout columns the validation metrics and the tour's summary read (no stiffness solve is needed)."""


@dataclasses.dataclass
class JobResult:
    """What one scenario x seed run produced (``error`` is set and the rest empty if it failed)."""

    scenario: str
    seed: int
    metrics: dict[int, float] = dataclasses.field(default_factory=dict)  # index in scenario.expect -> value
    timeseries: pd.DataFrame | None = None
    start_snapshot: dict | None = None
    end_snapshot: dict | None = None
    seconds: float = math.nan
    error: str | None = None


def run_job(scenario: Scenario, seed: int, grid: int, snapshots: bool = False) -> JobResult:
    """Run one scenario with one seed and measure its expectations (see the module docstring)."""
    started = time.perf_counter()
    try:
        model = scenario.model(seed=seed, grid=grid, observers=observers_for(READOUTS, scenario.model_parameters()))
        start = snapshot(model) if snapshots else None
        start_matrix = model.tissue.kind != MARROW
        model.run(scenario.days)
        record = RunRecord(model, start_matrix)
        metrics = {}
        for i, e in enumerate(scenario.expect):
            end = scenario.days if e.to_years is None else round(e.to_years * DAYS_PER_YEAR)
            metrics[i] = measure(record, e.metric, round(e.from_years * DAYS_PER_YEAR), end)
        return JobResult(scenario.name, seed, metrics, model.timeseries(), start,
                         snapshot(model) if snapshots else None, time.perf_counter() - started)
    except Exception as err:  # noqa: BLE001 - one failing run is reported, the others go on
        detail = traceback.format_exception_only(err)[-1].strip()
        return JobResult(scenario.name, seed, seconds=time.perf_counter() - started, error=detail)


def default_workers() -> int:
    """Worker processes: the cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def run_jobs(jobs: Sequence[tuple[Scenario, int]], grid: int, workers: int | None = None, snapshots: bool = False,
             progress: Callable[[JobResult, int, int], None] | None = None) -> list[JobResult]:
    """Run ``(scenario, seed)`` jobs on ``workers`` processes; results in job order.

    ``progress(result, done, total)`` is called as each job finishes.
    """
    workers = workers or default_workers()
    results: list[JobResult | None] = [None] * len(jobs)
    if workers == 1:
        for i, (scenario, seed) in enumerate(jobs):
            results[i] = run_job(scenario, seed, grid, snapshots)
            if progress:
                progress(results[i], i + 1, len(jobs))
        return results
    # spawn, not fork: the parent may hold threads (a dashboard, a test runner), and fork can deadlock then
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(run_job, scenario, seed, grid, snapshots): i for i, (scenario, seed) in enumerate(jobs)}
        for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as err:  # noqa: BLE001 - a worker that died is reported, not fatal
                scenario, seed = jobs[i]
                results[i] = JobResult(scenario.name, seed, error=f"worker failed: {err!r}")
            if progress:
                progress(results[i], done, len(jobs))
    return results


__all__ = ["READOUTS", "JobResult", "default_workers", "run_job", "run_jobs"]
