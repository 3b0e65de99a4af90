"""The command line: ``python run.py`` and the ``bonegrid`` console script.

``bonegrid`` with no arguments runs the default job: a healthy spine slice over three
simulated years, written to ``results/healthy-spine-seed1/``. ``bonegrid run --help`` lists
the options; ``bonegrid params`` lists every model parameter with its unit and range.
Bad input ends with a one-line message and exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bonegrid.parameters import ParameterError

DEFAULT_YEARS = 3.0


def _parse_value(text: str) -> object:
    """Turn a command-line value into bool, int, float or str."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _overrides(pairs: list[str]) -> dict[str, object]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"--set {pair!r} is not allowed: expected key=value")
        out[key.strip()] = _parse_value(value.strip())
    return out


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (subcommands ``run`` and ``params``)."""
    parser = argparse.ArgumentParser(
        prog="bonegrid",
        description="Spatial agent-based simulator of bone remodeling. With no command, runs the default job "
                    "(`run`: a healthy spine slice over 3 simulated years).")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="simulate a slice and write a results folder (default command)",
                         description="Simulate one slice and write a results folder: timeseries.csv, slice.png "
                                     "(start and end, with cells), timeseries.png and summary.md.")
    run.add_argument("--site", default="spine", help="starting microarchitecture: spine or hip (default spine)")
    run.add_argument("--grid", type=int, default=256, help="voxels per side (default 256 = 2.56 mm at 10 um)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--years", type=float, default=DEFAULT_YEARS,
                     help=f"simulated years after burn-in (default {DEFAULT_YEARS:g})")
    run.add_argument("--out", type=Path, default=None,
                     help="results folder (default results/healthy-<site>-seed<seed>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a model parameter, e.g. --set osteoclast_lifespan_days=20 "
                          "(repeatable; `bonegrid params` lists them)")
    bal = sub.add_parser("balance", help="check that a healthy slice stays in balance (several seeds, 10+ years)",
                         description="Run a healthy slice for several seeds and print the balance table: drift of "
                                     "BV/TV over years 2-10, year-10 vs year-2 change, formed/resorbed, remodeling "
                                     "space, turnover, phase lengths and refill of remodeling units.")
    bal.add_argument("--site", default="spine", help="spine or hip (default spine)")
    bal.add_argument("--grid", type=int, default=256, help="voxels per side (default 256)")
    bal.add_argument("--seeds", type=int, default=5, help="number of seeds, 1..N (default 5)")
    bal.add_argument("--years", type=float, default=10.0, help="simulated years, at least 10 (default 10)")
    bal.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a model parameter (repeatable)")
    sub.add_parser("params", help="list every model parameter with unit, default, allowed range and source")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "params":
            return _params()
        if args.command == "balance":
            return _balance(args)
        return _run(args)
    except ParameterError as err:
        print(f"bonegrid: error: {err}", file=sys.stderr)
        return 2


def _params() -> int:
    from bonegrid.model import ModelParameters
    from bonegrid.parameters import markdown_table

    for name, group in ModelParameters.groups().items():
        print(f"\n## {name}\n\n{markdown_table(group)}")
    return 0


def _balance(args: argparse.Namespace) -> int:
    from bonegrid.model import BoneModel
    from bonegrid.readouts.balance import balance_report, format_balance_report

    if not args.years >= 10 or args.seeds < 1:
        raise ParameterError(f"--years={args.years!r} --seeds={args.seeds!r} are not allowed: need years >= 10, seeds >= 1")
    overrides = _overrides(args.overrides)
    models = []
    for seed in range(1, args.seeds + 1):
        start = time.perf_counter()
        models.append(BoneModel(site=args.site, grid=args.grid, seed=seed, **overrides).run(round(args.years * 365.25)))
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s", flush=True)
    print(format_balance_report(balance_report(models)))
    return 0


def _run(args: argparse.Namespace) -> int:
    from bonegrid.model import BoneModel
    from bonegrid.results import write_results

    if not args.years > 0:
        raise ParameterError(f"--years={args.years!r} is not allowed: expected a positive number of years")
    overrides = _overrides(args.overrides)
    out = args.out or Path("results") / f"healthy-{args.site}-seed{args.seed}"
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out={str(out)!r} is not allowed: it exists and is not a folder")
    start = time.perf_counter()
    model = BoneModel(site=args.site, grid=args.grid, seed=args.seed, **overrides)
    print(f"bonegrid: {args.site} slice {args.grid}x{args.grid}, seed {args.seed}: "
          f"simulating {args.years:g} years ...", flush=True)
    write_results(model, days=round(args.years * 365.25), out=out, started=start)
    print(f"bonegrid: wrote {out}/ (timeseries.csv, slice.png, timeseries.png, summary.md) "
          f"in {time.perf_counter() - start:.1f} s")
    return 0
