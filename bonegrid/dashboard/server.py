"""Serve the dashboard with Solara on one host and port, offline.

Solara's page loads its front-end (Vue, Vuetify, ECharts, RequireJS, fonts) from a CDN unless
the ``solara-assets`` package is installed: then Solara's asset proxy serves them from that
package's files (``<prefix>/share/solara/cdn``) and nothing is fetched from the internet. This
module checks that they are there before it starts, switches off Solara's telemetry and update
check, and runs the server in production mode.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
"""The dashboard's fixed default port."""
APP = "bonegrid.dashboard.app"
GRID_ENV = "BONEGRID_DASHBOARD_GRID"
"""Environment variable with the default grid of new visitors (set by ``bonegrid dashboard --grid``, read by the page)."""
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


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def configure_environment(host: str, port: int, grid: int | None = None) -> None:
    """Set the environment Solara reads at import: the app, offline assets, no telemetry, production mode."""
    os.environ.update({
        "SOLARA_APP": APP, "SERVER_NAME": host, "SERVER_PORT": str(port), "SOLARA_MODE": "production",
        "SOLARA_ASSETS_PROXY": "true", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    })
    if grid is not None:
        os.environ[GRID_ENV] = str(grid)


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, grid: int | None = None) -> int:
    """Run the dashboard until interrupted; return an exit status (2: cannot start).

    Parameters
    ----------
    host, port : str, int
        Address to listen on (default 127.0.0.1:8765).
    grid : int, optional
        Default slice size of new visitors (voxels per side; default 256).
    """
    try:
        check_offline_assets()
    except RuntimeError as err:
        print(f"bonegrid dashboard: {err}", file=sys.stderr)
        return 2
    if not port_free(host, port):
        print(f"bonegrid dashboard: {host}:{port} is in use: choose another port with --port", file=sys.stderr)
        return 2
    configure_environment(host, port, grid)
    # Imported here, not at the top: Solara reads the environment just set when it is imported, and
    # the CLI imports this module to build its parser, so `bonegrid --help` does not load Solara.
    import solara.server.settings
    import uvicorn

    solara.server.settings.main.mode = "production"
    print(f"bonegrid dashboard: http://{host}:{port}  (Ctrl-C to stop)", flush=True)
    uvicorn.Server(uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning")).run()
    return 0


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "GRID_ENV", "check_offline_assets", "serve"]
