"""Osteoclasts: resorption to bounded depth, travel as a front, never osteoid; behaviour parameters."""

import math

import numpy as np
import pytest
from conftest import dig_cavity, half_bone, quiet_model

from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.tissue import OSTEOID


def test_osteoclast_next_to_bone_resorbs_it_to_bounded_depth():
    m = quiet_model(half_bone(), osteoclast_tgfb_apoptosis_per_day=0.0, osteoclast_lifespan_days=200.0,
                    osteoclast_lifespan_shape=100.0)
    Osteoclast(m, (19, 20), m.units.open(m.day))
    before = m.tissue.n_matrix
    m.run(10)
    rate = m.params.osteoclast.osteoclast_resorption_um2_per_day / 100.0  # voxels/day at 10 um
    assert before - m.tissue.n_matrix == pytest.approx(10 * rate, abs=1)
    rows = np.nonzero(m.tissue.cavity)[0]
    assert rows.min() == 20 and rows.max() <= 24  # 50 um = 5 voxels below the old surface
    assert m.tissue.cavity_depth.max() <= 5


def test_osteoclast_travels_as_a_front_leaving_a_trench():
    m = quiet_model(half_bone(60, 20), osteoclast_tgfb_apoptosis_per_day=0.0, osteoclast_lifespan_days=200.0,
                    osteoclast_lifespan_shape=100.0)
    Osteoclast(m, (19, 30), m.units.open(m.day))
    m.run(30)
    cols = np.nonzero(m.tissue.cavity.any(axis=0))[0]
    assert cols.size >= 12          # the pit widened along the surface, not a shaft
    assert np.nonzero(m.tissue.cavity)[0].max() <= 24


def test_osteoclast_never_resorbs_osteoid():
    bone = half_bone()
    m = quiet_model(bone, osteoclast_tgfb_apoptosis_per_day=0.0, osteoclast_lifespan_days=200.0)
    t = m.tissue
    t.kind[20:22, :] = OSTEOID
    t.mineral[20:22, :] = 0.0
    t.formed_day[20:22, :] = m.day
    t.n_osteoid = int((t.kind == OSTEOID).sum())
    Osteoclast(m, (19, 20), m.units.open(m.day))
    before = t.n_matrix
    m.run(5)  # shorter than the mineralisation lag
    assert t.n_matrix == before
    assert (t.kind[20:22] == OSTEOID).all()


@pytest.mark.parametrize(("threshold", "heading"), [(0.01, (1.0, 0.0)), (0.001, (0.0, 1.0))])
def test_osteoclast_turns_up_a_free_rankl_gradient_only_above_the_threshold(threshold, heading):
    m = quiet_model(half_bone(16, 8), osteoclast_chemotaxis_threshold=threshold)
    my, mx = m.fields.free_rankl.shape
    # 0.5% rise per mesh cell along x: relative slope 0.005 / (1 + 0.005 cx) < 0.01
    m.fields.free_rankl = np.tile(100.0 * (1.0 + 0.005 * np.arange(mx)), (my, 1))
    oc = Osteoclast(m, (7, 3), m.units.open(m.day))
    oc.heading = (1.0, 0.0)
    oc._sense()
    assert oc.heading == heading


@pytest.mark.parametrize(("weight", "target"), [(0.4, (9, 3, 2)), (0.9, (8, 4, 1))])
def test_osteoclast_heading_weight_trades_depth_for_direction(weight, target):
    m = quiet_model(half_bone(16, 8), osteoclast_heading_weight=weight)
    unit = dig_cavity(m, range(8, 9), range(3, 4))
    oc = Osteoclast(m, (8, 3), unit)
    s = math.sqrt(0.5)
    oc.heading = (-s, s)        # up and to the right
    # below (9, 3): depth 2, alignment -s; right (8, 4): depth 1, alignment +s; left: depth 1, -s.
    # score = depth + w x alignment: 2 - 0.4 s = 1.72 > 1 + 0.4 s; 2 - 0.9 s = 1.36 < 1 + 0.9 s = 1.64
    assert oc._target() == target


@pytest.mark.parametrize(("preference", "site"), [(2.0, (7, 3)), (1.0, (7, 5))])
def test_osteoclast_crawls_towards_mineralised_bone_against_its_heading(preference, site):
    m = quiet_model(half_bone(16, 8), osteoclast_bone_preference=preference, osteoclast_crawl_noise=0.0)
    m.tissue.kind[8, 5:] = OSTEOID
    oc = Osteoclast(m, (7, 4), m.units.open(m.day))
    oc.heading = (0.6, 0.8)
    # left (7, 3) touches bone: preference - 0.8; right (7, 5) touches only osteoid: 0 + 0.8
    assert oc._crawl()
    assert oc.pos == site
    assert np.argwhere(m.tissue.occupied).tolist() == [list(site)]
