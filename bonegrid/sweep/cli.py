"""The ``sweep`` and ``analyze`` commands (wired into ``bonegrid.cli``)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from bonegrid.parameters import ParameterError

EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130
EXTRA_MODULES = ("SALib", "pyarrow", "tqdm")
"""Modules of the ``sweep`` extra every sweep needs (Dask is loaded only by ``--backend dask``)."""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands to ``subparsers`` (from ``add_subparsers``)."""
    sweep = subparsers.add_parser(
        "sweep", help="run a parameter sweep from a spec file into one tidy Parquet table",
        description="Run the sweep a TOML spec describes (scenario, fixed and swept parameters, design: factorial, "
                    "table, latin, sobol or morris; replicates, horizon, outputs) on local processes or a Dask cluster. "
                    "Writes parts/ (one Parquet file per finished run), results.parquet (all runs, when none is "
                    "pending) and manifest.json into the spec's output folder. Exit status 1 if runs failed, 130 if "
                    "interrupted (continue with --resume).")
    sweep.add_argument("spec", type=Path, help="sweep spec (TOML; see examples/sweeps/)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="local worker processes, or workers of a local Dask cluster (default: all cores)")
    sweep.add_argument("--backend", default=None, metavar="process|dask",
                       help="process: local processes (default); dask: a Dask cluster (--scheduler, or a local one)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address (tcp://host:8786) or scheduler file of a running Dask scheduler; implies dask")
    sweep.add_argument("--shard", default=None, metavar="I/N",
                       help="run only shard I of N of the design (e.g. $SLURM_ARRAY_TASK_ID/8); finish with a run "
                            "without --shard (and --resume) to write the table and the manifest")
    sweep.add_argument("--dry-run", action="store_true", help="print the design and what would run; write nothing")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the sweep in the output folder: finished runs are kept, the rest are run")
    analyze = subparsers.add_parser(
        "analyze", help="sensitivity indices (Sobol, Morris) or response plots of a finished sweep",
        description="Compute Sobol (S1, ST with confidence intervals) or Morris (mu*, sigma) indices of chosen "
                    "readouts at chosen days from a sweep folder, or the responses of a factorial, table or Latin "
                    "hypercube sweep; write them as CSV and PNG into SWEEP_DIR/analysis/.")
    analyze.add_argument("sweep_dir", type=Path, help="the sweep's output folder")
    analyze.add_argument("--outputs", nargs="+", default=None, metavar="READOUT",
                         help="readouts to analyse (default: the spec's [analysis] outputs)")
    analyze.add_argument("--days", nargs="+", type=int, default=None, metavar="DAY",
                         help="days to analyse (default: the spec's [analysis] days, else the last day)")
    analyze.add_argument("--change-from-day", type=int, default=None, metavar="DAY",
                         help="analyse the change since this day (default: the spec's [analysis] change_from_day)")
    analyze.add_argument("--levels", action="store_true",
                         help="analyse levels even if the spec asks for changes")


def run_command(args: argparse.Namespace) -> int:
    """Execute ``sweep`` or ``analyze`` as parsed from :func:`add_commands`; return the exit status.

    Raises
    ------
    ParameterError
        For bad input (the spec, the options, the sweep folder).
    """
    require_extra(("dask", "distributed") if args.command == "sweep" and (args.backend == "dask" or args.scheduler)
                  else ())
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "analyze":
        return _analyze(args)
    raise ParameterError(f"unknown command {args.command!r}: expected sweep or analyze")


def require_extra(more: tuple[str, ...] = ()) -> None:
    """Check that the ``sweep`` extra is installed (:data:`EXTRA_MODULES` and ``more``).

    Raises
    ------
    ParameterError
        Naming the missing module and the extra to install.
    """
    for name in (*EXTRA_MODULES, *more):
        try:
            importlib.import_module(name)
        except ImportError:
            raise ParameterError(f"the sweep extra is not installed (no module {name}): pip install 'bonegrid[sweep]', "
                                 "or from a checkout pip install -e '.[sweep]'") from None


def _sweep(args: argparse.Namespace) -> int:
    # Imported when the command runs: the CLI builds its parser from this module, and the sweep extra may be missing.
    from bonegrid.sweep.backends import check_backend
    from bonegrid.sweep.design import parse_shard
    from bonegrid.sweep.runner import plan, run_sweep
    from bonegrid.sweep.spec import load_spec

    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers={args.workers} is not allowed: expected at least 1")
    check_backend(args.backend, args.scheduler)
    spec = load_spec(args.spec)
    shard = parse_shard(args.shard) if args.shard is not None else None
    if args.dry_run:
        print(plan(spec, shard))
        return 0
    bar = _progress_bar()
    try:
        report = run_sweep(spec, backend=args.backend, workers=args.workers, scheduler=args.scheduler, shard=shard,
                           resume=args.resume, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    print(report.summary())
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED_RUNS if report.failed else 0


class _Bar:
    """A tqdm progress bar with ETA on stderr (``update`` is :func:`run_sweep`'s ``progress``)."""

    def __init__(self) -> None:
        self._bar = None

    def update(self, result, report) -> None:
        from tqdm import tqdm

        if result is None:  # the runs start: now the number to do is known
            self._bar = tqdm(total=report.total - report.skipped, unit="run", file=sys.stderr, dynamic_ncols=True,
                             desc="sweep")
            return
        self._bar.update(1)
        if report.failed:
            self._bar.set_postfix(failed=len(report.failed))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress_bar() -> _Bar | None:
    """Return a progress bar on a terminal, nothing otherwise (logs, batch jobs)."""
    return _Bar() if sys.stderr.isatty() else None


def _analyze(args: argparse.Namespace) -> int:
    from bonegrid.sweep.analysis import analyze

    analysis = analyze(args.sweep_dir, outputs=args.outputs, days=args.days, change_from_day=args.change_from_day,
                       levels=args.levels)
    for note in analysis.notes:
        print(f"note: {note}")
    for path in analysis.paths:
        print(path)
    return 0


__all__ = ["add_commands", "require_extra", "run_command"]
