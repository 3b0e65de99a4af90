"""The door of the dashboard: at most so many visitors at once, and a clear word to the next one.

Each visitor holds a Solara session (a virtual kernel with its models, a few tens of MB at
256²). Solara keeps the session of a closed tab until its cull timeout
(:data:`~bonegrid.dashboard.server.CULL_TIMEOUT`), so at most ``max_sessions`` sessions are
admitted (``bonegrid dashboard --max-sessions``); a visitor beyond that is told the dashboard
is full and to come back in a few minutes, and takes no model. Whether a visitor is
admitted is decided once, when their page first renders: visitors already in stay in.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import solara
from solara.server import kernel_context

import bonegrid.dashboard.app as app
from bonegrid.dashboard.server import CULL_TIMEOUT, DEFAULT_MAX_SESSIONS, MAX_SESSIONS_ENV


def live_sessions() -> int:
    """Return the number of Solara sessions alive on this server (this visitor's included)."""
    return len(kernel_context.contexts)


def max_sessions() -> int:
    """Return the most sessions admitted at once (``bonegrid dashboard --max-sessions``)."""
    return int(os.environ.get(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS))


def full_message(limit: int) -> str:
    """Say to a visitor turned away why, and when to come back."""
    return (f"The dashboard is full: {limit} visitors are using it now. Please try again in a few minutes "
            f"(places free up {CULL_TIMEOUT} after a visitor closes their tab).")


@solara.component
def Gate(inner: Callable[[], object], limit: int):
    """Render ``inner()`` for an admitted visitor, else :func:`full_message`; admission is decided at first render."""
    admitted = solara.use_memo(lambda: live_sessions() <= limit, dependencies=[])
    if admitted:
        inner()
    else:
        solara.Warning(full_message(limit))


@solara.component
def Page():
    """Serve the dashboard behind the gate (the page Solara serves)."""
    Gate(app.Page, max_sessions())
