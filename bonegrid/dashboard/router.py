"""Solara's router widget with its Vue component exported under the right name, so no page warns in the browser.

Every Solara page holds a router widget (``solara.widgets.Navigator``) that keeps the address bar and
the page in step. Its template (``solara/widgets/vue/navigator.vue``, Solara 1.64) assigns the
component to ``modules.export``, a misspelling of ``module.exports``. jupyter-vue evaluates the
script with a ``module`` object to fill; the misspelt name is undefined, the evaluation throws, and
jupyter-vue writes "Failed to evaluate Vue script and find module.exports, falling back to old
method" to every visitor's browser console before it reads the component a second way. The router
keeps working; the warning is all that goes wrong.

:func:`mend_router` has the pages use :class:`Router`: the same widget and template with the name
spelt right. When Solara's own template is spelt right, it changes nothing.
"""

from __future__ import annotations

import functools
from pathlib import Path

import reacton.core
import solara
import solara.widgets
import traitlets

MISSPELT = "modules.export = {"
"""How Solara's router template assigns its component."""
SPELT = "module.exports = {"
"""How jupyter-vue reads a component from a template's script."""


@functools.cache
def solara_template() -> str:
    """Return the text of Solara's router template (``navigator.vue``)."""
    return Path(solara.widgets.Navigator.template_file).read_text(encoding="utf-8")


class Router(solara.widgets.Navigator):
    """Solara's router widget with its template's component exported as ``module.exports``."""

    template_file = None

    @traitlets.default("template")
    def _template(self) -> str:
        return solara_template().replace(MISSPELT, SPELT, 1)


def mend_router() -> bool:
    """Have Solara's pages use :class:`Router` if Solara's own template is misspelt; return whether it was."""
    if MISSPELT not in solara_template():
        return False
    solara.Navigator = reacton.core.ComponentWidget(Router)
    return True


__all__ = ["MISSPELT", "SPELT", "Router", "mend_router", "solara_template"]
