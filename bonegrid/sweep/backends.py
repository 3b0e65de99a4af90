"""Where runs execute: local worker processes, or a Dask cluster, behind one interface.

Both backends hand out :class:`concurrent.futures.Future` objects (Dask's through
``Client.get_executor``), so the runner has one loop for both. The local one is a
:class:`~concurrent.futures.ProcessPoolExecutor`; the Dask one connects to a running
scheduler (``dask scheduler``, dask-jobqueue on Slurm/PBS) or, without an address, starts a
:class:`distributed.LocalCluster` of worker processes on 127.0.0.1.

Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in its workers (to hand freed memory
back to the OS). Setting it turns off glibc's adaptive mmap threshold, so every array of
more than 128 kB the model makes and drops each day is mmapped and unmapped anew; a
256² run took 1.5x as long here (4.7 s against 3.1 s), a probe elsewhere more than 2x. The
LocalCluster started here removes it (``distributed.nanny.pre-spawn-environ``); for
workers started elsewhere, :class:`DaskBackend` warns when it finds it set.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import signal
import time
import warnings
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from bonegrid.parameters import ParameterError
from bonegrid.sweep.worker import malloc_trim_threshold

NO_MALLOC_TRIM = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask config that keeps the nanny from setting ``MALLOC_TRIM_THRESHOLD_`` in its workers."""


def _ignore_sigint() -> None:
    """Let Ctrl-C reach only the coordinator, which stops the workers itself (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessBackend:
    """Local worker processes (forkserver start, the model preloaded; spawn where forkserver is missing).

    Parameters
    ----------
    workers : int
        Worker processes, each running one run at a time.
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload(["bonegrid.sweep.worker"])
        self.workers = workers
        self.generation = 0
        self._others = {p.pid for p in multiprocessing.active_children()}
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context, initializer=_ignore_sigint)

    def describe(self) -> str:
        """Say where the runs go."""
        return f"{self.workers} local worker process{'es' if self.workers > 1 else ''}"

    def submit(self, fn: Callable, job: Any) -> cf.Future:
        """Submit ``fn(job)`` (to a new pool if a dead worker broke this one before its runs reported it)."""
        try:
            return self._pool.submit(fn, job)
        except BrokenProcessPool as err:
            self.recover(err)
            return self._pool.submit(fn, job)

    def capacity(self) -> int:
        """Return how many runs can execute at once."""
        return self.workers

    def recover(self, err: BaseException) -> None:
        """Replace a pool that a dead worker broke (its pending runs are resubmitted by the runner)."""
        if isinstance(err, BrokenProcessPool):
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            self.generation += 1

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel``, drop queued runs and stop the running ones at once."""
        if cancel:
            for process in multiprocessing.active_children():
                if process.pid not in self._others:
                    process.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskBackend:
    """Runs on a Dask cluster (dask.distributed futures).

    Parameters
    ----------
    scheduler : str or None
        Scheduler address (``tcp://host:8786``) or scheduler file (JSON written by
        ``dask scheduler --scheduler-file``). ``None``: start a LocalCluster of ``workers``
        single-threaded worker processes on 127.0.0.1, without ``MALLOC_TRIM_THRESHOLD_``.
    workers : int
        Workers of the LocalCluster (ignored with ``scheduler``).
    timeout_s : float
        How long to wait for the scheduler, s.

    Raises
    ------
    ParameterError
        If the scheduler cannot be reached.
    """

    name = "dask"

    def __init__(self, scheduler: str | None, workers: int, timeout_s: float = 20.0) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.generation = 0
        self._cluster = None
        self._capacity = (0.0, 1)
        if scheduler is None:
            with dask.config.set(NO_MALLOC_TRIM):
                # the scheduler serves HTTP even without a dashboard: on loopback, any free port
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address="127.0.0.1:0")
            self.client = Client(self._cluster)
        else:
            where = {"scheduler_file": scheduler} if Path(scheduler).is_file() else {"address": scheduler}
            try:
                self.client = Client(**where, timeout=f"{timeout_s}s")
            except (OSError, TimeoutError) as err:
                raise ParameterError(f"--scheduler {scheduler!r}: cannot reach a Dask scheduler there ({err}); give "
                                     "its address (tcp://host:8786) or scheduler file") from None
        self._executor = self.client.get_executor(pure=False)
        self._check_workers()

    def _check_workers(self) -> None:
        """Warn about workers that will run the model slowly (see the module docstring)."""
        trimmed = {w: v for w, v in self.client.run(malloc_trim_threshold).items() if v is not None}
        if trimmed:
            warnings.warn(f"{len(trimmed)} Dask worker(s) run with MALLOC_TRIM_THRESHOLD_={next(iter(trimmed.values()))}"
                          ", which slows the model up to 2x: start them with --no-nanny, or with the Dask config "
                          "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null", RuntimeWarning,
                          stacklevel=3)
        threaded = [w for w, n in self.client.nthreads().items() if n > 1]
        if threaded:
            warnings.warn(f"{len(threaded)} Dask worker(s) have more than one thread: runs hold the GIL, so start "
                          "workers with --nthreads 1 (and more of them)", RuntimeWarning, stacklevel=3)

    def describe(self) -> str:
        """Say where the runs go."""
        where = "a local Dask cluster" if self._cluster is not None else f"Dask scheduler {self.client.scheduler.address}"
        return f"{where} ({self.capacity()} worker threads now)"

    def submit(self, fn: Callable, job: Any) -> cf.Future:
        """Submit ``fn(job)``."""
        return self._executor.submit(fn, job)

    def capacity(self) -> int:
        """Return how many runs can execute at once (worker threads now; refreshed at most once a second)."""
        checked, threads = self._capacity
        if time.monotonic() - checked > 1.0:
            threads = max(1, sum(self.client.nthreads().values()))
            self._capacity = (time.monotonic(), threads)
        return threads

    def recover(self, err: BaseException) -> None:
        """Nothing to repair: the scheduler reschedules the runs of a lost worker itself."""

    def close(self, cancel: bool = False) -> None:
        """Disconnect (with ``cancel``, the scheduler drops this client's queued and running runs)."""
        self._executor.shutdown(wait=False)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def check_backend(backend: str | None, scheduler: str | None = None) -> None:
    """Check, connecting to nothing, that ``backend`` and ``scheduler`` go together (see :func:`open_backend`).

    Raises
    ------
    ParameterError
        For an unknown backend, or a scheduler with the process backend.
    """
    if backend not in (None, "process", "dask"):
        raise ParameterError(f"--backend {backend!r} is not allowed: expected process or dask")
    if backend == "process" and scheduler is not None:
        raise ParameterError("--scheduler needs --backend dask (the process backend runs on this machine)")


def open_backend(backend: str | None, workers: int, scheduler: str | None = None) -> ProcessBackend | DaskBackend:
    """Return the backend named ``backend``: ``process`` (the default) or ``dask`` (implied by a ``scheduler``).

    Raises
    ------
    ParameterError
        For an unknown backend, a scheduler with the process backend, or a scheduler that cannot be reached.
    """
    check_backend(backend, scheduler)
    if backend == "dask" or scheduler is not None:
        return DaskBackend(scheduler, workers)
    return ProcessBackend(workers)


__all__ = ["NO_MALLOC_TRIM", "DaskBackend", "ProcessBackend", "check_backend", "open_backend"]
