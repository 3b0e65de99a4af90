"""What a worker does with one run: build the model, run it, keep the chosen readouts.

This module is what local worker processes and Dask workers import; it holds no state
between runs and writes nothing (the coordinator writes, so cluster workers need no
shared file system).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import traceback
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bonegrid.model import BoneModel  # imported here so that preloading this module loads the model
from bonegrid.scenarios import Scenario
from bonegrid.timeseries import observers_for


@dataclasses.dataclass(frozen=True)
class RunJob:
    """One run of a sweep.

    Attributes
    ----------
    run_id, seed : int
        Place in the design and model seed (see :mod:`bonegrid.sweep.design`).
    overrides : mapping
        The swept parameter values of this run.
    scenario : Scenario
        The base scenario with the spec's fixed overrides applied.
    grid, days : int
        Voxels per side; days simulated after burn-in.
    readouts : tuple of str
        Time-series columns to keep.
    interval_days : int
        Keep days ``0, interval_days, ...`` and day ``days``.
    snapshot : bool
        Also return the final slice (:func:`final_snapshot`).
    """

    run_id: int
    seed: int
    overrides: Mapping[str, Any]
    scenario: Scenario
    grid: int
    days: int
    readouts: tuple[str, ...]
    interval_days: int
    snapshot: bool = False


@dataclasses.dataclass
class RunResult:
    """What a run produced: its kept time series, or the error it raised.

    Attributes
    ----------
    run_id : int
    table : pandas.DataFrame or None
        ``day`` and the kept readouts, one row per kept day (``None`` if the run raised).
    snapshot : dict of str to ndarray, or None
        The final slice (:func:`final_snapshot`) when asked for.
    seconds : float
        Wall time of the run on its worker, s.
    worker : str
        ``host:pid`` of the process that ran it.
    error : str or None
        ``"ExceptionType: message"`` if the run raised.
    traceback : str or None
        The formatted traceback if the run raised.
    """

    run_id: int
    table: pd.DataFrame | None
    snapshot: dict[str, np.ndarray] | None
    seconds: float
    worker: str
    error: str | None = None
    traceback: str | None = None


def kept_days(days: int, interval_days: int) -> np.ndarray:
    """Return the days a run keeps: ``0, interval, 2 interval, ... <= days``, and ``days``; int array."""
    return np.union1d(np.arange(0, days + 1, interval_days), [days])


def run_one(job: RunJob) -> RunResult:
    """Run ``job`` and return its result; an exception from the model is returned, not raised."""
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        scenario = job.scenario.with_overrides(job.overrides, reason="sweep")
        observers = observers_for(job.readouts, scenario.model_parameters())
        model = scenario.model(seed=job.seed, grid=job.grid, observers=observers)
        model.run(job.days)
        ts = model.timeseries()
        table = ts.loc[ts["day"].isin(kept_days(job.days, job.interval_days)), ["day", *job.readouts]]
        snapshot = final_snapshot(model) if job.snapshot else None
        return RunResult(job.run_id, table.reset_index(drop=True), snapshot, time.perf_counter() - started, worker)
    except Exception as err:  # noqa: BLE001 - a failing run is recorded and the sweep goes on
        return RunResult(job.run_id, None, None, time.perf_counter() - started, worker,
                         error=traceback.format_exception_only(err)[-1].strip(), traceback=traceback.format_exc())


def final_snapshot(model: BoneModel) -> dict[str, np.ndarray]:
    """Copy the state of a model's slice for ``np.savez_compressed``.

    Returns
    -------
    dict
        ``kind`` (ny, nx) int8 (0 marrow, 1 osteoid, 2 bone); ``mineral`` (ny, nx) float32
        (mineral fraction, 0..1); ``cavity`` (ny, nx) int32 (open resorption cavity, 0 = none);
        ``osteocyte`` (ny, nx) int8 (osteocyte state per lacuna); ``osteoclasts``,
        ``osteoblasts`` (n, 2) int32 (row, column of each cell); ``tumour`` (ny, nx) bool;
        ``day`` and ``voxel_size_um`` (um) as 0-d arrays.
    """
    t = model.tissue
    return {"kind": t.kind.astype(np.int8), "mineral": t.mineral.astype(np.float32),
            "cavity": t.cavity.astype(np.int32), "osteocyte": model.osteocytes.state.astype(np.int8),
            "osteoclasts": np.array([c.pos for c in model.osteoclasts], dtype=np.int32).reshape(-1, 2),
            "osteoblasts": np.array([c.pos for c in model.osteoblasts], dtype=np.int32).reshape(-1, 2),
            "tumour": model.tumour_mask(), "day": np.array(model.day), "voxel_size_um": np.array(t.voxel_size_um)}


def malloc_trim_threshold() -> str | None:
    """Return this process's ``MALLOC_TRIM_THRESHOLD_`` (set by Dask's nanny; it slows the model, see the docs)."""
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


__all__ = ["RunJob", "RunResult", "final_snapshot", "kept_days", "malloc_trim_threshold", "run_one"]
