"""A rheumatoid pannus at the slice's left border: the erosion it makes is measured, not written in.

The pannus only adds sources (RANKL with TNF, and DKK1) along the left border
(:mod:`bonegrid.secretion`). Whether bone is lost there, and how much more than on the far side,
is left to the cells; this slow check runs the rheumatoid_arthritis scenario with and without its
pannus (same seeds, same systemic cytokines) on the 256² hip slice for two years.
"""

import dataclasses

import numpy as np
import pytest

from bonegrid.readouts.signatures import border_bone_loss_pct
from bonegrid.scenarios import load_scenario
from bonegrid.tissue import MARROW

SEEDS = (1, 2)


def border_losses(scenario, seed):
    """Bone lost (%) within 300 um of the left and of the right border after the scenario's years."""
    model = scenario.model(seed=seed)
    start = model.tissue.kind != MARROW
    model.run(int(round(scenario.years * 365)))
    end = model.tissue.kind != MARROW
    return tuple(border_bone_loss_pct(start, end, model.tissue.voxel_size_um, side) for side in ("left", "right"))


@pytest.mark.slow
def test_erosion_concentrates_at_the_pannus_border_and_not_without_it():
    ra = load_scenario("rheumatoid_arthritis")
    no_pannus = dataclasses.replace(ra, drivers={k: v for k, v in ra.drivers.items() if k != "synovitis"})
    with_pannus = np.array([border_losses(ra, seed) for seed in SEEDS])          # rows: seeds; columns: left, right
    without = np.array([border_losses(no_pannus, seed) for seed in SEEDS])
    near, far = with_pannus.mean(axis=0)
    # Measured (256², 2 years, seeds 1-2): see the assertion message when it fails.
    assert near > far + 5.0, (with_pannus, without)
    assert near > without[:, 0].mean() + 5.0, (with_pannus, without)
