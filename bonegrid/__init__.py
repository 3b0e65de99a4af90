"""bonegrid: a spatial, agent-based simulator of bone remodeling and secondary osteoporosis.

>>> from bonegrid import BoneModel, load_scenario
"""

import bonegrid.readouts  # noqa: F401  (registers the clinical observers a plain BoneModel attaches)
from bonegrid.model import BoneModel
from bonegrid.scenarios import load_scenario

__version__ = "0.1.0"

__all__ = ["BoneModel", "__version__", "load_scenario"]
