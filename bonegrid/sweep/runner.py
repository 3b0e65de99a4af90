"""Run a sweep: hand the runs to a backend, write each as it finishes, survive failures.

At most twice as many runs as the backend can execute at once are in flight, so the
coordinator's memory stays flat whatever the sweep size, and each result is written and
dropped as soon as it arrives. A run whose model raises is recorded with its error (the
raise is deterministic under the run's seed, so it is not retried; ``--resume`` tries it
again). A run whose worker dies -- a killed process, a lost node, a broken pool -- is
resubmitted up to ``retries`` times with the same seed; the Dask scheduler also
reschedules such runs itself before reporting them lost.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import math
import time
import traceback
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from bonegrid.files import OutputError, check_folder
from bonegrid.runs.ensemble import default_workers
from bonegrid.sweep.backends import check_backend, open_backend
from bonegrid.sweep.design import design_runs, in_shard
from bonegrid.sweep.spec import SweepSpec
from bonegrid.sweep.store import SweepStore, now_utc
from bonegrid.sweep.worker import RunJob, RunResult, run_one

FAILED_SHOWN = 10
"""Failed runs listed one by one in the summary (the manifest lists them all)."""


@dataclasses.dataclass
class SweepReport:
    """What one invocation of :func:`run_sweep` did.

    Attributes
    ----------
    output : Path
        The sweep folder.
    total : int
        Runs of the design (of the shard, with one).
    skipped : int
        Runs already finished before this invocation.
    done : int
        Runs finished now.
    failed : list of (int, str)
        ``(run_id, error)`` of the runs that failed now.
    workers_lost : int
        Workers that died (a local worker that dies breaks its pool once, however many runs were in it).
    resubmitted : int
        Runs resubmitted with the same seed because their worker (or its pool) was lost.
    interrupted : bool
        Stopped by Ctrl-C; ``--resume`` continues.
    seconds : float
        Wall time of this invocation, s.
    backend : str
        Where the runs went.
    sweep_status : dict or None
        ``done``/``failed``/``pending`` runs of the whole sweep (``None`` for a shard).
    results : Path or None
        ``results.parquet``, when written (no run of the sweep pending).
    """

    output: Path
    total: int
    skipped: int
    done: int = 0
    failed: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    workers_lost: int = 0
    resubmitted: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    backend: str = ""
    sweep_status: dict | None = None
    results: Path | None = None

    @property
    def pending(self) -> int:
        """Runs of this invocation left undone (interrupted)."""
        return self.total - self.skipped - self.done - len(self.failed)

    def summary(self) -> str:
        """Return a few lines for a person: counts, rate, failed runs, where the table is."""
        ran = self.done + len(self.failed)
        rate = f", {60.0 * ran / self.seconds:.1f} runs/min" if ran and self.seconds > 0 else ""
        lines = [f"sweep {self.output}: {self.done} done, {len(self.failed)} failed, {self.pending} pending, "
                 f"{self.skipped} finished before; {self.seconds:.1f} s{rate}" + (f" on {self.backend}" if ran else "")]
        if self.workers_lost:
            lines.append(f"  {self.workers_lost} worker(s) lost; {self.resubmitted} run(s) they held resubmitted "
                         "with the same seed")
        for run_id, error in self.failed[:FAILED_SHOWN]:
            lines.append(f"  failed run {run_id}: {error}")
        if len(self.failed) > FAILED_SHOWN:
            lines.append(f"  ... and {len(self.failed) - FAILED_SHOWN} more failed runs (manifest.json lists them)")
        if self.interrupted:
            lines.append("  interrupted: finished runs are kept; continue with --resume")
        if self.sweep_status is not None and not self.interrupted:
            s = self.sweep_status
            lines.append(f"  whole sweep: {s['done']} done, {s['failed']} failed, {s['pending']} pending"
                         + (f"; table {self.results}" if self.results else ""))
        return "\n".join(lines)


def run_sweep(spec: SweepSpec, *, backend: str | None = None, workers: int | None = None,
              scheduler: str | None = None, shard: tuple[int, int] | None = None, resume: bool = False,
              progress: Callable[[RunResult | None, SweepReport], None] | None = None) -> SweepReport:
    """Run the runs of ``spec`` not yet finished in its output folder.

    Parameters
    ----------
    spec : SweepSpec
        The sweep (:func:`~bonegrid.sweep.spec.load_spec`).
    backend : {"process", "dask"} or None
        Where runs execute (default: local processes; a ``scheduler`` implies Dask).
    workers : int or None
        Local worker processes, or workers of a local Dask cluster (default: the usable cores).
    scheduler : str or None
        Address or scheduler file of a running Dask scheduler.
    shard : (int, int) or None
        ``(I, N)``: run only every N-th run from run I - 1 (Slurm arrays without Dask). Shards
        join one folder and leave the manifest and the table to a final run without ``shard``.
    resume : bool
        Continue the sweep already in the output folder (finished runs are kept).
    progress : callable, optional
        ``progress(None, report)`` once when the runs start, then ``progress(result, report)``
        after each run is written.

    Returns
    -------
    SweepReport

    Raises
    ------
    ParameterError
        If the output folder holds another sweep (or this one, without ``resume``), cannot
        be written, or the backend cannot be opened; nothing is written then.
    bonegrid.files.OutputError
        If a file cannot be written midway (a full disk): the runs written so far are kept
        and the manifest says so (when it can still be written); ``--resume`` continues.
    """
    started = time.perf_counter()
    check_backend(backend, scheduler)
    runs = design_runs(spec)
    store = SweepStore(spec.output)
    store.check(spec, resume=resume, joining=shard is not None)
    check_folder(store.root, "the spec's output")
    finished = store.finished() if store.parts.is_dir() else set()
    mine = runs[in_shard(runs["run_id"].to_numpy(), shard)]
    todo = [run for run in mine.to_dict(orient="records") if run["run_id"] not in finished]
    report = SweepReport(output=store.root, total=len(mine), skipped=len(mine) - len(todo))
    runner = open_backend(backend, workers or default_workers(), scheduler) if todo else None
    stopped = None
    try:
        store.prepare(spec, runs, resume=resume, joining=shard is not None)
        if runner is not None:
            report.backend = runner.describe()
            if progress is not None:
                progress(None, report)
            try:
                _execute(runner, spec, todo, store, report, progress)
            except KeyboardInterrupt:
                report.interrupted = True
            except OutputError as err:
                report.interrupted, stopped = True, err
    finally:
        if runner is not None:
            runner.close(cancel=report.interrupted)
    report.seconds = time.perf_counter() - started
    if shard is None:
        manifest = store.write_manifest(spec, runs, {
            "finished": now_utc(), "backend": report.backend,
            "seconds": round(report.seconds, 2), "done": report.done, "failed": len(report.failed),
            "workers_lost": report.workers_lost, "resubmitted": report.resubmitted, "interrupted": report.interrupted,
            "stopped": None if stopped is None else stopped.strerror})
        report.sweep_status = manifest["status"]
        if stopped is None and manifest["status"]["pending"] == 0:
            report.results = store.consolidate()
    if stopped is not None:
        raise OutputError(stopped.errno, f"{stopped.strerror}; {report.done} run(s) written now are kept: continue "
                                         "with --resume")
    return report


def make_job(spec: SweepSpec, run: dict[str, Any]) -> RunJob:
    """Return the job of ``run`` (a row of :func:`~bonegrid.sweep.design.design_runs`, as a dict)."""
    return RunJob(run_id=run["run_id"], seed=run["seed"], overrides={n: run[n] for n in spec.names},
                  scenario=spec.scenario, grid=spec.grid, days=spec.days, readouts=spec.outputs.readouts,
                  interval_days=spec.outputs.interval_days, snapshot=spec.outputs.snapshots)


def _execute(runner, spec: SweepSpec, todo: list[dict], store: SweepStore, report: SweepReport,
             progress: Callable[[RunResult, SweepReport], None] | None) -> None:
    """Keep the backend busy with ``todo``, write each result, resubmit runs whose worker was lost."""
    queue = collections.deque((run, 0) for run in todo)
    inflight: dict[cf.Future, tuple[dict, int, int]] = {}
    broken: set[int] = set()   # pool generations whose loss is counted
    while queue or inflight:
        while queue and len(inflight) < 2 * runner.capacity():
            run, lost = queue.popleft()
            future = runner.submit(run_one, make_job(spec, run))
            inflight[future] = (run, lost, runner.generation)  # the generation of the pool that took it
        finished, _ = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
        for future in finished:
            run, lost, generation = inflight.pop(future)
            try:
                result = future.result()
            except Exception as err:  # noqa: BLE001 - the worker, not the model, failed: resubmit or record
                # a dead local worker breaks its pool once and fails every run in it: count the worker once
                if not isinstance(err, BrokenProcessPool) or generation not in broken:
                    report.workers_lost += 1
                    broken.add(generation)
                if generation == runner.generation:
                    runner.recover(err)
                lost += 1
                if lost <= spec.retries:
                    report.resubmitted += 1
                    queue.appendleft((run, lost))
                    continue
                detail = traceback.format_exception_only(err)[-1].strip()
                result = RunResult(run["run_id"], None, None, math.nan, "",
                                   error=f"worker lost {lost} time(s) under this run; last: {detail}")
            store.record(run, result, lost)
            if result.error is None:
                report.done += 1
            else:
                report.failed.append((run["run_id"], result.error))
            if progress is not None:
                progress(result, report)


def plan(spec: SweepSpec, shard: tuple[int, int] | None = None) -> str:
    """Describe what :func:`run_sweep` would do, writing nothing (``--dry-run``)."""
    runs = design_runs(spec)
    mine = runs[in_shard(runs["run_id"].to_numpy(), shard)]
    store = SweepStore(spec.output)
    finished = store.finished() & set(mine["run_id"]) if store.parts.is_dir() else set()
    points = runs["point"].max() + 1
    factors = ", ".join(f"{f.name} ({len(f.values)} levels)" if f.values is not None else
                        f"{f.name} {f.low}..{f.high}{' log' if f.log else ''}" for f in spec.factors)
    head = mine.head(8).to_string(index=False)
    return "\n".join([
        f"sweep {spec.name}: scenario {spec.scenario_ref}, grid {spec.grid}, {spec.days} days, {spec.design.method} "
        f"design of {points} points x {spec.replicates} replicate(s) = {len(runs)} runs, root seed {spec.seed}"
        + (" (common seeds)" if spec.common_seeds else ""),
        f"swept: {factors}",
        f"fixed: {dict(spec.fixed) or 'nothing'}",
        f"kept: {', '.join(spec.outputs.readouts)} every {spec.outputs.interval_days} days"
        + (", final snapshots" if spec.outputs.snapshots else ""),
        f"output: {store.root} ({len(finished)} of {len(mine)} runs" + (f" of shard {shard[0]}/{shard[1]}" if shard
                                                                         else "") + " already finished)",
        f"first runs:\n{head}" + ("\n..." if len(mine) > 8 else "")])


__all__ = ["SweepReport", "make_job", "plan", "run_sweep"]
