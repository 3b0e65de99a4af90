"""Run scenario x seed jobs in parallel processes and bring back what was measured.

Each job builds a scenario's model, snapshots the matrix at day 0, runs the scenario's
duration, and returns its time series, the scenario's ``[[expect]]`` metrics (or an
error message: a failing job never loses the others) and, on request, a final snapshot
for pictures. Used by ``run.py validate`` and by the tour (``run.py`` with no arguments).

Jobs whose runs begin alike are run as one family (:func:`run_family`): a treated scenario
(``base`` + a treatment from year 1) builds the same model with the same seed as its
untreated base and gets the same drivers every day until its treatment starts, so its run
up to then is the base's, draw for draw. The family runs that shared stretch once and
copies the model where each member's drivers part from it; every member's results are
those of running it alone, bit for bit (``tests/test_ensemble.py``). Families go to the
workers longest first, so no long one is left running alone at the end.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import functools
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence

import pandas as pd

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.model import BoneModel, RunParameters
from bonegrid.readouts.signatures import RunRecord, measure
from bonegrid.runs.slice_snapshot import snapshot
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
    return run_family([scenario], seed, grid, snapshots)[0]


def _build(scenario: Scenario, seed: int, grid: int) -> BoneModel:
    """Build ``scenario``'s model for ``seed`` with the observers of :data:`READOUTS` (burn-in included)."""
    return scenario.model(seed=seed, grid=grid, observers=observers_for(READOUTS, scenario.model_parameters()))


def _same_model(a: Scenario, b: Scenario) -> bool:
    """Whether ``a`` and ``b`` build the same model for the same seed and grid (drivers apart)."""
    return ((a.site, a.age_years, a.sex) == (b.site, b.age_years, b.sex)
            and a.model_parameters() == b.model_parameters())


def _parting_day(drivers_a: Callable[[int], object], drivers_b: Callable[[int], object], first_day: int,
                 last_day: int) -> int:
    """Return the first model day from ``first_day`` to ``last_day`` whose drivers differ; ``last_day + 1`` if none.

    ``drivers_a`` and ``drivers_b`` are two scenarios' schedules (``day -> Drivers``).
    """
    return next((day for day in range(first_day, last_day + 1) if drivers_a(day) != drivers_b(day)), last_day + 1)


def _family_tree(scenarios: Sequence[Scenario], burn_in_days: int) -> list[tuple[int, int] | None]:
    """For each member: (parent member, model day to copy its model at), or None to build its own.

    A member is copied from the earlier member it shares the longest stretch with: the same
    model and the same drivers from the first burn-in day up to and including the copy day
    (which is at most either's duration, and at least 0: the burn-in is always shared whole).
    Each member's drivers are computed once a day and kept for its comparisons with the others.
    """
    schedules = [functools.cache(s.schedule()) for s in scenarios]
    tree: list[tuple[int, int] | None] = []
    for k, member in enumerate(scenarios):
        best = None
        for j in range(k):
            if not _same_model(scenarios[j], member):
                continue
            parting = _parting_day(schedules[j], schedules[k], -burn_in_days, max(scenarios[j].days, member.days))
            day = min(parting - 1, scenarios[j].days, member.days)
            if tree[j] is not None and day < tree[j][1]:
                continue  # member j's model exists from its copy day on; its ancestor shares as long
            if day >= 0 and (best is None or day > best[1]):
                best = (j, day)
        tree.append(best)
    return tree


def _result(scenario: Scenario, seed: int, model: BoneModel, start_matrix, start, snapshots: bool,
            seconds: float) -> JobResult:
    """Measure ``scenario``'s expectations on its finished ``model``."""
    record = RunRecord(model, start_matrix)
    metrics = {}
    for i, e in enumerate(scenario.expect):
        end = scenario.days if e.to_years is None else round(e.to_years * DAYS_PER_YEAR)
        metrics[i] = measure(record, e.metric, round(e.from_years * DAYS_PER_YEAR), end)
    return JobResult(scenario.name, seed, metrics, model.timeseries(), start,
                     snapshot(model) if snapshots else None, seconds)


def _failed(scenario: Scenario, seed: int, err: Exception, seconds: float) -> JobResult:
    detail = traceback.format_exception_only(err)[-1].strip()
    return JobResult(scenario.name, seed, seconds=seconds, error=detail)


def run_family(scenarios: Sequence[Scenario], seed: int, grid: int, snapshots: bool = False) -> list[JobResult]:
    """Run ``scenarios`` with one seed, sharing the stretches their runs have in common; results in their order.

    Each member's results are those of running it alone (see the module docstring); its
    ``seconds`` count its own stretch (and the copy it started from), not the shared one.
    A member that fails is reported and the others go on: the members that were to be
    copied from it later are built and run on their own.
    """
    results: list[JobResult | None] = [None] * len(scenarios)
    started = time.perf_counter()
    try:
        first = _build(scenarios[0], seed, grid)
        tree = _family_tree(scenarios, first.params.run.burn_in_days)
    except Exception as err:  # noqa: BLE001 - one failing run is reported, the others go on
        results[0] = _failed(scenarios[0], seed, err, time.perf_counter() - started)
        first, tree = None, [None] * len(scenarios)
    children: dict[int, list[tuple[int, int]]] = {}
    for k, link in enumerate(tree):
        if link is not None:
            children.setdefault(link[0], []).append((link[1], k))

    def run_member(k: int, model: BoneModel | None, started: float, start_matrix=None, start=None) -> None:
        """Run member ``k`` from ``model`` (built now if None) to its end, copying it for its children on the way."""
        scenario = scenarios[k]
        own = 0.0
        try:
            if model is None:
                model = _build(scenario, seed, grid)
            model.schedule = scenario.schedule()
            if start_matrix is None:
                start = snapshot(model) if snapshots else None
                start_matrix = model.tissue.kind != MARROW
            for day, child in sorted(children.get(k, ())):
                model.run(day - model.day)
                copied_at = time.perf_counter()
                twin = copy.deepcopy(model)
                own += copied_at - started
                run_member(child, twin, copied_at, start_matrix, start)
                started = time.perf_counter()
            model.run(scenario.days - model.day)
            results[k] = _result(scenario, seed, model, start_matrix, start, snapshots,
                                 own + time.perf_counter() - started)
        except Exception as err:  # noqa: BLE001 - one failing run is reported, the others go on
            results[k] = _failed(scenario, seed, err, own + time.perf_counter() - started)
            for _, child in children.get(k, ()):
                if results[child] is None:
                    run_member(child, None, time.perf_counter())

    for k, link in enumerate(tree):
        if results[k] is None and link is None:
            run_member(k, first if k == 0 else None, started if k == 0 else time.perf_counter())
    return results


def _burn_in_days(scenario: Scenario) -> int:
    """Return the burn-in of ``scenario``'s model, days (as set, or the default)."""
    value = scenario.model_parameters().get("burn_in_days")
    return int(value) if isinstance(value, (int, float)) else RunParameters().burn_in_days


def families(jobs: Sequence[tuple[Scenario, int]]) -> list[list[int]]:
    """Group job indices into families, each in job order: jobs of one seed whose runs share a stretch.

    Which stretches are shared is settled again by :func:`run_family` on the models it builds,
    so a grouping here can cost time but never change a result; a family of one is an
    ordinary job.
    """
    groups: list[list[int]] = []   # jobs of one seed whose scenarios build the same model
    for i, (scenario, seed) in enumerate(jobs):
        group = next((g for g in groups if jobs[g[0]][1] == seed and _same_model(jobs[g[0]][0], scenario)), None)
        if group is None:
            groups.append([i])
        else:
            group.append(i)
    trees: dict[tuple[int, ...], list[tuple[int, int] | None]] = {}  # the same scenarios under each seed
    split: list[list[int]] = []
    for group in groups:
        scenarios = [jobs[i][0] for i in group]
        key = tuple(id(s) for s in scenarios)
        if key not in trees:
            trees[key] = _family_tree(scenarios, _burn_in_days(scenarios[0])) if len(group) > 1 else [None]
        root = list(range(len(group)))
        for k, link in enumerate(trees[key]):
            if link is not None:
                root[k] = root[link[0]]
        for r in dict.fromkeys(root):
            split.append([i for i, rk in zip(group, root, strict=True) if rk == r])
    return split


def _family_days(jobs: Sequence[tuple[Scenario, int]], family: Sequence[int]) -> int:
    """Return the simulated days of a family if nothing were shared (:func:`run_jobs` runs the longest first)."""
    return sum(jobs[i][0].days for i in family)


def default_workers() -> int:
    """Worker processes: the cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def run_jobs(jobs: Sequence[tuple[Scenario, int]], grid: int, workers: int | None = None, snapshots: bool = False,
             progress: Callable[[JobResult, int, int], None] | None = None) -> list[JobResult]:
    """Run ``(scenario, seed)`` jobs on ``workers`` processes; results in job order.

    The jobs run in :func:`families`, the longest first. ``progress(result, done, total)`` is
    called for each job as its family finishes.
    """
    workers = workers or default_workers()
    results: list[JobResult | None] = [None] * len(jobs)
    groups = sorted(families(jobs), key=lambda g: -_family_days(jobs, g))
    done = 0

    def finished(group: Sequence[int], family_results: Sequence[JobResult]) -> None:
        nonlocal done
        for i, result in zip(group, family_results, strict=True):
            results[i] = result
            done += 1
            if progress:
                progress(result, done, len(jobs))

    if workers == 1:
        for group in groups:
            finished(group, run_family([jobs[i][0] for i in group], jobs[group[0]][1], grid, snapshots))
        return results
    # spawn, not fork: the parent may hold threads (a dashboard, a test runner), and fork can deadlock then
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(run_family, [jobs[i][0] for i in group], jobs[group[0]][1], grid, snapshots): group
                   for group in groups}
        for future in concurrent.futures.as_completed(futures):
            group = futures[future]
            try:
                family_results = future.result()
            except Exception as err:  # noqa: BLE001 - a worker that died is reported, not fatal
                family_results = [JobResult(jobs[i][0].name, jobs[i][1], error=f"worker failed: {err!r}")
                                  for i in group]
            finished(group, family_results)
    return results


__all__ = ["READOUTS", "JobResult", "default_workers", "families", "run_family", "run_job", "run_jobs"]
