"""The surface-cell base shared by osteoclasts and osteoblasts: lifespan, place, unit."""

import copy
import dataclasses
import math

import numpy as np
import pytest
from conftest import half_bone, quiet_model

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.agents.surface_cell import SurfaceCell


def test_lifespan_is_a_gamma_draw_from_the_model_rng_then_the_heading():
    m = quiet_model(half_bone(16, 8), osteoclast_lifespan_days=14.0, osteoclast_lifespan_shape=4.0)
    m.modifiers = dataclasses.replace(m.modifiers, osteoclast_lifespan=1.5)
    twin = copy.deepcopy(m.rng)                                  # replays the draws the cell makes
    oc = Osteoclast(m, (7, 3), m.units.open(m.day))
    assert oc.lifespan == twin.gamma(4.0, 14.0 / 4.0)            # Gamma(k, L / k), a healthy adult's days ...
    angle = twin.uniform(0.0, 2.0 * math.pi)                     # ... and only then the heading
    assert oc.heading == (math.sin(angle), math.cos(angle))


def test_a_constant_modifier_scales_the_days_lived():
    days = {}
    for modifier in (1.0, 2.0):
        m = quiet_model(half_bone(16, 8))
        oc = Osteoclast(m, (7, 3), m.units.open(m.day))
        oc.lifespan = 10.0
        days[modifier] = next(d for d in range(1, 100) if oc.grow_older(modifier))
    assert days == {1.0: 10, 2.0: 20}                            # twice the lifespan under M = 2


def test_a_modifier_acts_on_cells_already_alive():
    """A change of the apoptosis hazard shortens the rest of a living cell's life, not only newborns'."""
    m = quiet_model(half_bone(16, 8))
    unit = m.units.open(m.day)
    ob = Osteoblast(m, (7, 3), unit)
    ob.lifespan = 20.0
    slots = np.array([ob.slot])
    for _ in range(10):                                          # half its life in health ...
        assert not m.osteoblast_days.advance(slots, 0.0, 10.0, 1.0).any()
    due = [bool(m.osteoblast_days.advance(slots, 0.0, 10.0, 0.5)[0]) for _ in range(5)]
    assert due == [False, False, False, False, True]             # ... the other half in 5 days at M = 1/2
    assert (ob.age, ob.wear) == (15, 20.0)


def test_cell_dies_on_the_day_its_lifespan_is_spent():
    m = quiet_model(half_bone(16, 8))
    oc = Osteoclast(m, (7, 3), m.units.open(m.day))
    oc.lifespan = 2.5
    assert [oc.grow_older(1.0) for _ in range(3)] == [False, False, True]
    assert oc.age == 3


def test_birth_occupies_the_voxel_and_removal_frees_it_and_the_unit_head_count():
    m = quiet_model(half_bone(16, 8))
    assert not m.tissue.occupied.any()
    unit = m.units.open(m.day)
    record = m.units.units[unit]
    oc = Osteoclast(m, (7, 3), unit)
    assert np.argwhere(m.tissue.occupied).tolist() == [[7, 3]]
    assert (record.osteoclasts, record.osteoclasts_formed) == (1, 1)
    oc.move_to((7, 4))
    assert np.argwhere(m.tissue.occupied).tolist() == [[7, 4]] and oc.pos == (7, 4)
    oc.remove()
    assert not m.tissue.occupied.any()
    assert (record.osteoclasts, record.osteoclasts_formed) == (0, 1)   # still formed, no longer working
    assert len(m.osteoclasts) == 0


def test_a_surface_cell_must_say_which_head_count_it_is_in():
    class Unnamed(SurfaceCell):
        pass

    m = quiet_model(half_bone(16, 8))
    with pytest.raises(NotImplementedError, match="Unnamed"):
        Unnamed(m, (7, 3), m.units.open(m.day), lifespan_days=10.0, lifespan_shape=2.0)
