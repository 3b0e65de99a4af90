"""A browser dashboard for visitors: watch bone remodel, change a cause, read the clinic.

``bonegrid dashboard`` (or ``python -m bonegrid.dashboard``) serves it on 127.0.0.1:8765.
Modules, one concept each: :mod:`~bonegrid.dashboard.session` (one visitor's models and
frames), :mod:`~bonegrid.dashboard.slice_image` (the slice as one picture),
:mod:`~bonegrid.dashboard.knobs` (the sliders), :mod:`~bonegrid.dashboard.charts` (the
plots), :mod:`~bonegrid.dashboard.explanations` (what each panel means),
:mod:`~bonegrid.dashboard.text` (text rendered on the server), the components
(:mod:`~bonegrid.dashboard.controls`, :mod:`~bonegrid.dashboard.slice_view`,
:mod:`~bonegrid.dashboard.clinic`, :mod:`~bonegrid.dashboard.mystery`), the page
(:mod:`~bonegrid.dashboard.app`) and the server (:mod:`~bonegrid.dashboard.server`).

Why not Mesa's SolaraViz and SpaceRenderer: SolaraViz rebuilds a model as
``type(model)(**slider_values)``, which cannot express a scenario with causes and treatments
changed mid-run, and shows its parameters as one flat list; SpaceRenderer and the property-layer
styles draw a Mesa discrete space, which BoneModel does not have (voxels are numpy layers, see
README "Design choices"), and draw one artist per agent. The slice is drawn instead as one
numpy image, and the page is plain Solara with the play loop of Mesa's ``ModelController``
(a threaded ``solara.lab.use_task``).
"""

from __future__ import annotations

import argparse
import sys

from bonegrid.dashboard.server import DEFAULT_HOST, DEFAULT_PORT


def add_command(subparsers) -> argparse.ArgumentParser:
    """Add the ``dashboard`` subcommand to an argparse ``subparsers`` object and return its parser."""
    parser = subparsers.add_parser("dashboard", help="serve the browser dashboard (Solara) on this machine",
                                   description="Serve the browser dashboard: watch bone remodel, change a cause, "
                                               "read the clinic. Works offline.")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--grid", type=int, default=None, choices=(128, 256, 512),
                        help="default slice size of new visitors, voxels per side (default 256)")
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Run the ``dashboard`` subcommand; return the exit status."""
    from bonegrid.dashboard.server import serve

    return serve(args.host, args.port, grid=args.grid)


def main(argv: list[str] | None = None) -> int:
    """``python -m bonegrid.dashboard [--host H] [--port P] [--grid N]``."""
    parser = argparse.ArgumentParser(prog="python -m bonegrid.dashboard")
    sub = parser.add_subparsers(dest="command")
    add_command(sub)
    return run_command(parser.parse_args(["dashboard", *(sys.argv[1:] if argv is None else argv)]))


__all__ = ["add_command", "main", "run_command"]
