"""The ``bonegrid dashboard`` subcommand and ``python -m bonegrid.dashboard``: options, then serve.

Imported by the CLI to build its parser, so it imports neither Solara nor the page: only
:mod:`~bonegrid.dashboard.server`, which loads Solara when it starts serving.
"""

from __future__ import annotations

import argparse
import sys

from bonegrid.constants import DEFAULT_GRID
from bonegrid.dashboard.server import DEFAULT_HOST, DEFAULT_MAX_SESSIONS, DEFAULT_PORT, GRIDS, serve


def add_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``dashboard`` subcommand to an argparse ``subparsers`` object and return its parser."""
    parser = subparsers.add_parser("dashboard", help="serve the browser dashboard (Solara) on this machine",
                                   description="Serve the browser dashboard: watch bone remodel, change a cause, "
                                               "read the clinic. Works offline.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--grid", type=int, default=None, choices=GRIDS,
                        help=f"default slice size of new visitors, voxels per side (default {DEFAULT_GRID})")
    parser.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS, metavar="N",
                        help=f"most visitors at once; the next is asked to come back later (default {DEFAULT_MAX_SESSIONS})")
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Run the ``dashboard`` subcommand; return the exit status."""
    return serve(args.host, args.port, grid=args.grid, max_sessions=args.max_sessions)


def main(argv: list[str] | None = None) -> int:
    """``python -m bonegrid.dashboard [--host H] [--port P] [--grid N]``."""
    parser = argparse.ArgumentParser(prog="python -m bonegrid.dashboard")
    sub = parser.add_subparsers(dest="command")
    add_command(sub)
    return run_command(parser.parse_args(["dashboard", *(sys.argv[1:] if argv is None else argv)]))


__all__ = ["add_command", "main", "run_command"]
