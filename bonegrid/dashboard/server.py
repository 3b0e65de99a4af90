"""Serve the dashboard with Solara on one host and port, offline.

Solara's page loads its front-end (Vue, Vuetify, ECharts, RequireJS, fonts) from a CDN unless
the ``solara-assets`` package is installed: then Solara's asset proxy serves them from that
package's files (``<prefix>/share/solara/cdn``) and nothing is fetched from the internet. This
module checks that they are there before it starts, switches off Solara's telemetry and update
check, mends Solara's router widget (:mod:`~bonegrid.dashboard.router`), and runs the server in
production mode.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
from pathlib import Path

from bonegrid.constants import DEFAULT_GRID

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
"""The dashboard's fixed default port."""
APP = "bonegrid.dashboard.gate"
"""The module Solara serves: the page behind the gate that caps concurrent visitors."""
GRID_ENV = "BONEGRID_DASHBOARD_GRID"
"""Environment variable with the default grid of new visitors (set by ``bonegrid dashboard --grid``, read by the page)."""
MAX_SESSIONS_ENV = "BONEGRID_DASHBOARD_MAX_SESSIONS"
"""Environment variable with the most concurrent visitors (set by ``--max-sessions``, read by the gate)."""
DEFAULT_MAX_SESSIONS = 16
"""Most visitors at once by default: each holds a slice and its twin, tens of MB at 256²."""
CULL_TIMEOUT = "2m"
"""How long Solara keeps the session of a tab that closed or lost its connection (Solara's default: 24 h);
a tab that reconnects within it finds its models again."""
PORTS = (1, 65535)
"""Allowed ports (TCP)."""
GRIDS = tuple(sorted({128, 256, DEFAULT_GRID, 512}))
"""Slice sizes, voxels per side, a visitor (and ``--grid``) can choose: the default slice among them."""
FAST_RENDERER = {"REACTON_FAST": "1"}
"""Reacton's opt-in renderer, which skips the subtrees a change does not reach in both of its phases. The default one
re-reconciles every widget of the page on each frame (~260 at 256² with a twin): the page update took 36-38 ms with it
(two runs) and 20-24 ms with this one (three of four runs; 33 ms in the fourth, whose model steps also took 40% longer;
medians of 30 one-day frames). The page is built for it: only small leaf components read the frame."""
ASSET_BUNDLE = "@widgetti/solara-vuetify-app@10.1.1"
"""The front-end bundle Solara 1.64 with ipyvue/ipyvuetify 1.x loads (from solara-assets)."""


def asset_dir() -> Path:
    """Where ``solara-assets`` puts the front-end files (Solara's asset-proxy cache)."""
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def check_offline_assets() -> None:
    """Raise RuntimeError, saying what to install, if the page's front-end would have to come from a CDN."""
    if not (asset_dir() / ASSET_BUNDLE).is_dir():
        raise RuntimeError(f"the dashboard's front-end files are not installed ({asset_dir() / ASSET_BUNDLE} is "
                           "missing): pip install 'bonegrid[dashboard]' (solara-assets and ipyvue/ipyvuetify < 2)")


def check_address(host: str, port: int) -> str | None:
    """Return why the dashboard cannot listen on ``host:port``, in one line, or ``None`` if it can.

    Tells apart a port out of range, a host that is no address, an address not of this
    machine, a port that needs privileges and a port in use.
    """
    if not PORTS[0] <= port <= PORTS[1]:
        return f"--port {port} is not allowed: expected {PORTS[0]}..{PORTS[1]}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as err:
        return (f"--host {host!r} is not an address ({err}): give an IP address or name of this machine, e.g. "
                f"{DEFAULT_HOST}, ::1 or 0.0.0.0")
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return f"{host}:{port} is in use: choose another port with --port"
            if err.errno == errno.EADDRNOTAVAIL:
                return f"--host {host!r} is not an address of this machine: give one of its addresses, e.g. {DEFAULT_HOST}"
            if err.errno == errno.EACCES:
                return f"--port {port} needs administrator rights (ports below 1024): choose a port of 1024 or above"
            return f"cannot listen on {host}:{port}: {err.strerror}"
    return None


def configure_environment(host: str, port: int, grid: int | None = None,
                          max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
    """Set the environment Solara reads at import: the app, offline assets, no telemetry, production mode, culling.

    Also Reacton's fast renderer (:data:`FAST_RENDERER`): a frame changes only the components that read it.
    """
    os.environ.update({
        "SOLARA_APP": APP, "SERVER_NAME": host, "SERVER_PORT": str(port), "SOLARA_MODE": "production",
        "SOLARA_ASSETS_PROXY": "true", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_THEME_SHOW_BANNER": "false",
        "SOLARA_KERNEL_CULL_TIMEOUT": CULL_TIMEOUT, MAX_SESSIONS_ENV: str(max_sessions), **FAST_RENDERER,
    })
    if grid is not None:
        os.environ[GRID_ENV] = str(grid)


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, grid: int | None = None,
          max_sessions: int = DEFAULT_MAX_SESSIONS) -> int:
    """Run the dashboard until interrupted; return an exit status (2: cannot start).

    Parameters
    ----------
    host, port : str, int
        Address to listen on (default 127.0.0.1:8765).
    grid : int, optional
        Default slice size of new visitors (voxels per side; default 256).
    max_sessions : int
        Most visitors at once (:mod:`bonegrid.dashboard.gate`).
    """
    problem = None if max_sessions >= 1 else f"--max-sessions {max_sessions} is not allowed: expected at least 1"
    try:
        check_offline_assets()
    except RuntimeError as err:
        problem = problem or str(err)
    problem = problem or check_address(host, port)
    if problem:
        print(f"bonegrid dashboard: {problem}", file=sys.stderr)
        return 2
    configure_environment(host, port, grid, max_sessions)
    # Imported here, not at the top: Solara reads the environment just set when it is imported, and
    # the CLI imports this module to build its parser, so `bonegrid --help` does not load Solara.
    import solara.server.settings
    import uvicorn

    solara.server.settings.main.mode = "production"
    from bonegrid.dashboard.router import mend_router  # here for the same reason: `--help` stays light
    from bonegrid.dashboard.session import Session, Setup

    mend_router()

    # Build the first visitor's bone while the server starts, so the page opens on a picture.
    threading.Thread(target=Session, args=(Setup(grid=grid) if grid else Setup(),), daemon=True).start()
    print(f"bonegrid dashboard: http://{host}:{port}  (Ctrl-C to stop)", flush=True)
    uvicorn.Server(uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning")).run()
    return 0


__all__ = ["CULL_TIMEOUT", "DEFAULT_HOST", "DEFAULT_MAX_SESSIONS", "DEFAULT_PORT", "FAST_RENDERER", "GRID_ENV", "GRIDS",
           "MAX_SESSIONS_ENV",
           "check_address", "check_offline_assets", "serve"]
