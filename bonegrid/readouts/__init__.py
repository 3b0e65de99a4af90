"""Readouts: observers that sample model state and never change it.

Importing this package registers the clinical observers (:mod:`bonegrid.readouts.observers`)
that a plain ``BoneModel(...)`` attaches.
"""

import bonegrid.readouts.observers  # noqa: F401
