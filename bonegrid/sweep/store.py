"""The sweep folder: one file per finished run, a consolidated table, and the manifest.

Layout::

    OUTPUT/
      spec.toml                   the spec as given (paths in it are relative to where it was)
      design.csv                  one row per run: run_id, point, replicate, seed, the swept parameters
      parts/run-00000042.parquet  the kept time series of each finished run (the source of truth)
      runs/run-00000042.json      status of each finished or failed run: timing, worker, error
      snapshots/run-00000042.npz  the final slice of each run (with outputs.snapshots)
      results.parquet             all parts in run order: the tidy table (written when no run is pending)
      manifest.json               spec, versions, design, invocations and the status of every run

Every file is written to a temporary name and renamed into place
(:func:`bonegrid.files.atomic_write`), so a run is either complete on disk or absent: an
interrupted sweep loses only the runs in progress, and shards writing into one folder never
see each other's half-written files. A run counts as finished when its part exists and can
be read (a damaged part -- truncated, overwritten -- counts as not done, and the run's next
part replaces it); ``--resume`` runs everything else (failed runs included).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import shutil
import tomllib
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import bonegrid
from bonegrid.files import OutputError, atomic_write, make_folder, read, write_json, write_text
from bonegrid.parameters import ParameterError
from bonegrid.sweep.spec import SweepSpec
from bonegrid.sweep.worker import RunResult

ROW_GROUP_ROWS = 65536
"""Rows per row group of ``results.parquet`` (consolidation holds one row group in memory)."""


def now_utc() -> str:
    """Return the time now, UTC, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    with path.open("wb") as f:  # a file object: savez would append .npz to the temporary name
        np.savez_compressed(f, **arrays)


def versions() -> dict[str, str]:
    """Return the versions of Python and of the packages a run's numbers depend on."""
    out = {"python": platform.python_version(), "bonegrid": bonegrid.__version__}
    for package in ("numpy", "scipy", "mesa", "pandas", "pyarrow", "SALib", "distributed"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


class SweepStore:
    """The files of one sweep (see the module docstring).

    Parameters
    ----------
    root : path
        The sweep folder (the spec's ``output``).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.runs = self.root / "runs"
        self.snapshots = self.root / "snapshots"
        self.manifest = self.root / "manifest.json"
        self.results = self.root / "results.parquet"
        self.design = self.root / "design.csv"

    @staticmethod
    def _name(run_id: int) -> str:
        return f"run-{run_id:08d}"

    def part(self, run_id: int) -> Path:
        """Return the part file of run ``run_id``."""
        return self.parts / f"{self._name(run_id)}.parquet"

    # ------------------------------------------------------------------ setup
    def prepare(self, spec: SweepSpec, runs: pd.DataFrame, *, resume: bool, joining: bool) -> None:
        """Create the folder for ``spec``, or check that an existing one holds the same sweep.

        Parameters
        ----------
        spec, runs
            The sweep and its runs (:func:`~bonegrid.sweep.design.design_runs`).
        resume : bool
            Continue a sweep already in the folder.
        joining : bool
            A shard: join the sweep in the folder, or start it (shards start together).

        Raises
        ------
        ParameterError
            If the folder holds another sweep, something else, or (without ``resume``) this sweep.
        """
        self.check(spec, resume=resume, joining=joining)
        if self.manifest.exists():
            return
        fresh = not self.root.exists()
        tmp = self.root / f".manifest.{os.getpid()}.tmp"
        try:
            for folder in (self.parts, self.runs, self.snapshots):
                make_folder(folder)
            write_text(self.root / "spec.toml", spec.text)
            atomic_write(self.design, lambda tmp: runs.to_csv(tmp, index=False))
            write_json(tmp, self._manifest(spec, runs, statuses={}, invocations=[]))
            os.link(tmp, self.manifest)  # create only if absent: concurrent shards start one sweep
        except FileExistsError:
            self._check(spec, True)
        except OutputError:
            if fresh and not self.manifest.exists():  # a folder this call began: leave nothing behind
                shutil.rmtree(self.root, ignore_errors=True)
            raise
        finally:
            tmp.unlink(missing_ok=True)

    def check(self, spec: SweepSpec, *, resume: bool, joining: bool) -> None:
        """Check, writing nothing, that :meth:`prepare` would accept the folder (see there)."""
        if self.manifest.exists():
            self._check(spec, resume or joining)
        elif self.root.exists() and any(self.root.iterdir()) and not joining:
            raise ParameterError(f"output folder {str(self.root)!r} is not empty and holds no sweep: choose another "
                                 "output in the spec")
        elif resume and not joining:
            raise ParameterError(f"--resume: {str(self.root)!r} holds no sweep to resume; run without --resume to "
                                 "start it")

    def read_manifest(self) -> dict:
        """Return ``manifest.json``.

        Raises
        ------
        ParameterError
            If it is damaged.
        """
        def load(path: Path) -> dict:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("fingerprint"), str):
                raise ValueError("no fingerprint")
            return manifest

        return read(self.manifest, load, "the sweep's manifest")

    def _check(self, spec: SweepSpec, resume: bool) -> None:
        found = self.read_manifest()["fingerprint"]
        if found != spec.fingerprint():
            raise ParameterError(f"output folder {str(self.root)!r} holds a different sweep (its spec.toml differs in "
                                 "scenario, parameters, design, seeds, horizon or outputs): choose another output")
        if not resume:
            raise ParameterError(f"output folder {str(self.root)!r} already holds this sweep: add --resume to finish "
                                 "it, or choose another output")

    # ------------------------------------------------------------------ runs
    def finished(self) -> set[int]:
        """Return the ids of the runs whose part is on disk and readable (its Parquet footer, with rows).

        A truncated or overwritten part is not readable, so its run counts as not done and
        ``--resume`` does it again.
        """
        import pyarrow.parquet as pq

        done = set()
        for path in sorted(self.parts.glob("run-*.parquet")):
            try:
                readable = pq.ParquetFile(path).metadata.num_rows > 0
            except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
                readable = False
            if readable:
                done.add(int(path.stem.removeprefix("run-")))
        return done

    def record(self, run: Mapping[str, Any], result: RunResult, workers_lost: int) -> None:
        """Write what run ``run`` (a row of the runs table) produced: snapshot, part, then status.

        Parameters
        ----------
        run : mapping
            ``run_id, point, replicate, seed`` and the swept parameters of the run.
        result : RunResult
            Its outcome (a failed run writes only its status).
        workers_lost : int
            Times a worker died under it before this result.
        """
        name = self._name(run["run_id"])
        if result.error is None:
            if result.snapshot is not None:
                atomic_write(self.snapshots / f"{name}.npz", lambda tmp: _savez(tmp, result.snapshot))
            table = result.table.copy()
            for i, (key, value) in enumerate(run.items()):
                table.insert(i, key, value)
            import pyarrow as pa
            import pyarrow.parquet as pq

            arrow = pa.Table.from_pandas(table, preserve_index=False)
            atomic_write(self.part(run["run_id"]), lambda tmp: pq.write_table(arrow, tmp, compression="zstd"))
        seconds = None if math.isnan(result.seconds) else round(result.seconds, 3)  # NaN: the worker was lost
        status = {**run, "status": "failed" if result.error else "done", "seconds": seconds,
                  "worker": result.worker, "workers_lost": workers_lost, "finished": now_utc(), "error": result.error,
                  "traceback": result.traceback}
        write_json(self.runs / f"{name}.json", status)

    def statuses(self) -> dict[int, dict]:
        """Return the status of each finished or failed run: done if its part is readable, else as recorded.

        A status file that cannot be read is ignored (the run is then pending, unless its part is there).
        """
        done = self.finished()
        out = {}
        for path in self.runs.glob("run-*.json"):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                run_id = int(entry["run_id"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if entry.get("status") == "failed" or run_id in done:
                out[run_id] = entry
        for run_id in done:
            if out.get(run_id, {}).get("status") != "done":
                out[run_id] = {"run_id": run_id, "status": "done"}
        return out

    # ------------------------------------------------------------------ summary files
    def write_manifest(self, spec: SweepSpec, runs: pd.DataFrame, invocation: Mapping[str, Any]) -> dict:
        """Rewrite ``manifest.json`` with the status of every run and this ``invocation`` appended; return it."""
        old = self.read_manifest()
        manifest = self._manifest(spec, runs, self.statuses(), [*old.get("invocations", []), dict(invocation)])
        manifest["created"] = old.get("created", manifest["created"])
        write_json(self.manifest, manifest)
        return manifest

    def _manifest(self, spec: SweepSpec, runs: pd.DataFrame, statuses: Mapping[int, dict],
                  invocations: list) -> dict:
        entries = []
        for run in runs.to_dict(orient="records"):
            entry = {**run, "status": "pending"}
            entry.update({k: v for k, v in statuses.get(run["run_id"], {}).items() if k != "traceback"})
            entries.append(entry)
        counts = {s: sum(e["status"] == s for e in entries) for s in ("done", "failed", "pending")}
        return {"bonegrid_version": bonegrid.__version__, "versions": versions(), "created": now_utc(),
                "updated": now_utc(), "spec_path": str(spec.path) if spec.path else None,
                "spec": tomllib.loads(spec.text) if spec.text else None, "fingerprint": spec.fingerprint(),
                "resolved": spec.describe(), "analysis": {"outputs": list(spec.analysis.outputs),
                                                          "days": list(spec.analysis.days),
                                                          "change_from_day": spec.analysis.change_from_day},
                "design": {"method": spec.design.method, "points": int(runs["point"].max()) + 1,
                           "replicates": spec.replicates, "runs": len(runs)},
                "status": counts, "invocations": invocations, "runs": entries}

    def consolidate(self) -> Path | None:
        """Write ``results.parquet`` from the parts, in run order, one row group at a time; return its path.

        Returns ``None`` when no run has finished.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = [self.part(run_id) for run_id in sorted(self.finished())]
        if not parts:
            return None
        schema = pq.read_schema(parts[0])

        def write(tmp: Path) -> None:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                pending: list[pa.Table] = []
                for path in parts:
                    pending.append(pq.read_table(path).cast(schema))
                    if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                        writer.write_table(pa.concat_tables(pending))
                        pending = []
                if pending:
                    writer.write_table(pa.concat_tables(pending))

        atomic_write(self.results, write)
        return self.results


__all__ = ["SweepStore", "now_utc", "versions"]
