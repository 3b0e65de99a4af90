"""A browser dashboard for visitors: watch bone remodel, change a cause, read the clinic.

``bonegrid dashboard`` (or ``python -m bonegrid.dashboard``) serves it on 127.0.0.1:8765.
Modules, one concept each: :mod:`~bonegrid.dashboard.session` (one visitor's models and
frames), :mod:`~bonegrid.dashboard.slice_image` (the slice as one picture),
:mod:`~bonegrid.dashboard.knobs` (the sliders), :mod:`~bonegrid.dashboard.charts` (the
plots), :mod:`~bonegrid.dashboard.explanations` (what each panel means),
:mod:`~bonegrid.dashboard.text` (text rendered on the server), the components
(:mod:`~bonegrid.dashboard.controls`, :mod:`~bonegrid.dashboard.slice_view`,
:mod:`~bonegrid.dashboard.clinic`, :mod:`~bonegrid.dashboard.mystery`), the page
(:mod:`~bonegrid.dashboard.app`), the gate that caps concurrent visitors
(:mod:`~bonegrid.dashboard.gate`), the server (:mod:`~bonegrid.dashboard.server`), Solara's
router mended (:mod:`~bonegrid.dashboard.router`) and the subcommand
(:mod:`~bonegrid.dashboard.command`).

This package face holds only what the CLI needs, :func:`add_command` and :func:`run_command`,
and importing it loads neither Solara nor the page (``bonegrid --help`` stays light). The
submodules import each other by full module path, never through this face.

Why not Mesa's SolaraViz and SpaceRenderer: SolaraViz rebuilds a model as
``type(model)(**slider_values)``, which cannot express a scenario with causes and treatments
changed mid-run, and shows its parameters as one flat list; SpaceRenderer and the property-layer
styles draw a Mesa discrete space, which BoneModel does not have (voxels are numpy layers, see
README "Design choices"), and draw one artist per agent. The slice is drawn instead as one
numpy image, and the page is plain Solara with the play loop of Mesa's ``ModelController``
(a threaded ``solara.lab.use_task``).
"""

import warnings

from bonegrid.dashboard.command import add_command, run_command

# Solara warns on every page load served over plain http to a host other than "localhost" (here 127.0.0.1) that a
# cross-site (samesite=none) session cookie needs https, then uses samesite=lax: the right cookie for a page that is
# not embedded in another site's iframe, so the 15-line warning per visitor says nothing to act on.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

__all__ = ["add_command", "run_command"]
