"""Each cell type's rule in isolation on small hand-made grids."""

import copy
import dataclasses
import math

import numpy as np
import pytest
from conftest import half_bone, quiet_model

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.agents.surface_cell import SurfaceCell
from bonegrid.tissue import BONE, MARROW, OSTEOID, VIABLE, Tissue, TissueParameters, touches


def dig_cavity(model, rows, cols):
    """Resorb a rectangular cavity below a flat surface at row rows.start; return its unit id."""
    unit = model.units.open(model.day)
    for y in rows:
        for x in cols:
            model.tissue.resorb(y, x, unit, y - rows.start + 1, model.day, 0.0)
            model.osteocytes.remove_at(y, x)
            model.units.record_resorption(unit, model.day)
    return unit


def line_osteoblasts(model, unit):
    """Put an osteoblast on every cavity voxel that touches matrix."""
    t = model.tissue
    free = (t.cavity == unit) & touches(t.kind != MARROW)
    for y, x in np.argwhere(free):
        Osteoblast(model, (int(y), int(x)), unit)
    return int(free.sum())


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


def test_osteoblasts_refill_a_cavity_and_stop_where_it_ends():
    m = quiet_model(half_bone(), osteoblast_lifespan_days=1000.0, osteoblast_lifespan_shape=100.0)
    t = m.tissue
    before = t.n_matrix
    unit = dig_cavity(m, range(20, 25), range(10, 30))
    assert t.n_matrix == before - 100
    line_osteoblasts(m, unit)
    m.run(250)
    assert np.count_nonzero(t.cavity) == 0          # the cavity is refilled ...
    assert t.n_matrix == before                     # ... to exactly its cement-line extent
    assert (t.kind[:20] == MARROW).all()            # nothing laid above the old surface
    assert len(m.osteoblasts) == 0                  # idle osteoblasts retired
    assert m.units.units[unit].refill == 1.0


def test_short_lived_osteoblasts_leave_a_deficit():
    refills = {}
    for lifespan in (1000.0, 30.0):
        m = quiet_model(half_bone(), osteoblast_lifespan_days=lifespan, osteoblast_lifespan_shape=100.0)
        unit = dig_cavity(m, range(20, 25), range(10, 30))
        line_osteoblasts(m, unit)
        m.run(250)
        refills[lifespan] = m.units.units[unit].refill
    assert refills[1000.0] == 1.0
    # ~30 days at 0.65 um/day lays ~2 of the 5 layers per osteoblast
    assert 0.2 < refills[30.0] < 0.8


def test_formation_time_follows_apposition_rate():
    m = quiet_model(half_bone(), osteoblast_lifespan_days=1000.0, osteoblast_lifespan_shape=100.0)
    unit = dig_cavity(m, range(20, 25), range(10, 30))
    line_osteoblasts(m, unit)
    m.run(250)
    u = m.units.units[unit]
    per_layer = 10.0 / m.params.osteoblast.osteoblast_apposition_um_per_day
    assert 4 * per_layer <= u.formation_days <= 7 * per_layer


def test_osteoid_does_not_mineralise_before_the_lag():
    params = TissueParameters(mineralisation_lag_days=10.0)
    t = Tissue(half_bone(20, 10), 10.0, params, np.random.default_rng(0), start_day=0.0)
    t.resorb(10, 5, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 5, 0.0)
    for day in range(1, 10):
        t.mineralise(day, supply=1.0, max_mineral=np.inf)
        assert t.kind[10, 5] == OSTEOID and t.mineral[10, 5] == 0.0
    t.mineralise(10, supply=1.0, max_mineral=np.inf)
    assert t.kind[10, 5] == BONE and t.mineral[10, 5] > 0.0
    # with no mineral supply osteoid stays osteoid however old
    t.resorb(10, 6, 1, 1, 0.0, 0.0)
    t.deposit_osteoid(10, 6, 0.0)
    for day in range(11, 60):
        t.mineralise(day, supply=0.0, max_mineral=np.inf)
    assert t.kind[10, 6] == OSTEOID


def test_mineralisation_never_takes_more_than_supplied():
    t = Tissue(half_bone(20, 10), 10.0, TissueParameters(), np.random.default_rng(0), start_day=0.0)
    t.mineral[t.kind == BONE] = 0.5
    taken = t.mineralise(1.0, supply=1.0, max_mineral=3.0)
    assert taken == pytest.approx(3.0)
    assert t.mineral.sum() == pytest.approx(0.5 * (t.kind == BONE).sum() + 3.0)


def test_osteocyte_apoptosis_leaves_empty_lacunae_and_resorption_removes_cells():
    m = quiet_model(half_bone(), osteocyte_apoptosis_per_year=365.0, osteocyte_apoptotic_days=5.0)
    net = m.osteocytes
    for x in range(5, 35, 3):
        net.add(30, x, m.day)
    assert net.counts()[0] == 10
    m.run(2)
    assert net.counts()[0] == 0 and net.counts()[1] == 10   # all entered apoptosis
    assert len(net.agents) == 10
    m.run(6)
    assert net.counts() == (0, 0, 10)                        # empty lacunae, agents gone
    assert len(net.agents) == 0
    # an osteocyte whose voxel is resorbed goes with it
    net.add(20, 20, m.day)
    m.resorb(Osteoclast(m, (19, 20), m.units.open(m.day)), 20, 20, 1)
    assert net.state[20, 20] == 0 and (20, 20) not in net.agents


def test_buried_osteoblasts_become_osteocytes():
    m = quiet_model(half_bone(), osteoblast_lifespan_days=1000.0, osteoblast_burial_probability=0.5)
    unit = dig_cavity(m, range(20, 25), range(10, 30))
    line_osteoblasts(m, unit)
    before = len(m.osteocytes.agents)
    m.run(120)
    buried = m.osteoblast_fates["buried"]
    assert buried > 0
    assert len(m.osteocytes.agents) == before + buried
    ys, xs = np.nonzero(m.osteocytes.state)
    assert (m.tissue.kind[ys, xs] != MARROW).all()


def test_matrix_adjacency_vectorised_matches_scalar():
    t = Tissue(half_bone(12, 6), 10.0, TissueParameters(), np.random.default_rng(0))
    x = int(np.flatnonzero(t.kind[6] == BONE)[0])
    t.resorb(6, x, 1, 1, 0.0, 0.0)
    ys, xs = np.mgrid[0:12, 0:12]
    fast = t.matrix_adjacent_at(ys.ravel(), xs.ravel())
    slow = [t.is_matrix_adjacent(int(y), int(x)) for y, x in zip(ys.ravel(), xs.ravel(), strict=True)]
    assert fast.tolist() == slow
    assert (fast.reshape(12, 12) == touches(t.kind != MARROW)).all()


# ---------------------------------------------------------------- surface cells (the shared base)
def test_lifespan_is_a_gamma_draw_from_the_model_rng_then_the_heading():
    m = quiet_model(half_bone(16, 8), osteoclast_lifespan_days=14.0, osteoclast_lifespan_shape=4.0)
    m.modifiers = dataclasses.replace(m.modifiers, osteoclast_lifespan=1.5)
    twin = copy.deepcopy(m.rng)                                  # replays the draws the cell makes
    oc = Osteoclast(m, (7, 3), m.units.open(m.day))
    assert oc.lifespan == twin.gamma(4.0, 14.0 * 1.5 / 4.0)      # Gamma(k, L M / k): mean 21 days ...
    angle = twin.uniform(0.0, 2.0 * math.pi)                     # ... and only then the heading
    assert oc.heading == (math.sin(angle), math.cos(angle))


def test_lifespan_modifier_scales_the_same_draw():
    lifespans = {}
    for modifier in (1.0, 2.0):
        m = quiet_model(half_bone(16, 8))
        m.modifiers = dataclasses.replace(m.modifiers, osteoblast_lifespan=modifier)
        unit = m.units.open(m.day)
        lifespans[modifier] = Osteoblast(m, (7, 3), unit).lifespan
    assert lifespans[2.0] == 2.0 * lifespans[1.0]                # same seed, same draw, twice the scale


def test_cell_dies_on_the_day_its_lifespan_is_spent():
    m = quiet_model(half_bone(16, 8))
    oc = Osteoclast(m, (7, 3), m.units.open(m.day))
    oc.lifespan = 2.5
    assert [oc.grow_older() for _ in range(3)] == [False, False, True]
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


def test_osteoblast_moving_onto_another_units_cavity_works_for_that_unit():
    m = quiet_model(half_bone(16, 8))
    a = dig_cavity(m, range(8, 10), range(2, 5))
    b = dig_cavity(m, range(8, 10), range(5, 8))
    ob = Osteoblast(m, (8, 4), a)
    assert (m.units.units[a].osteoblasts, m.units.units[b].osteoblasts) == (1, 0)
    ob.move_to((8, 5))
    assert ob.unit == b and (m.units.units[a].osteoblasts, m.units.units[b].osteoblasts) == (0, 1)
    ob.move_to((7, 5))                                           # marrow, no cavity: keeps its unit
    assert ob.unit == b and m.units.units[b].osteoblasts == 1
    assert np.argwhere(m.tissue.occupied).tolist() == [[7, 5]]


def test_buried_osteoblast_leaves_its_voxel_to_the_osteocyte_and_its_unit():
    m = quiet_model(half_bone(16, 8), osteoblast_burial_probability=1.0, osteoblast_lifespan_days=1000.0)
    unit = dig_cavity(m, range(8, 9), range(2, 6))
    ob = Osteoblast(m, (8, 3), unit)
    ob.progress = 1.0                                            # a voxel's worth of osteoid is due today
    ob.step()
    assert m.tissue.kind[8, 3] == OSTEOID
    assert m.osteoblast_fates["buried"] == 1 and len(m.osteoblasts) == 0
    assert m.osteocytes.state[8, 3] == VIABLE and (8, 3) in m.osteocytes.agents
    assert not m.tissue.occupied.any() and m.units.units[unit].osteoblasts == 0


def test_osteoblast_dies_at_the_end_of_its_lifespan_freeing_voxel_and_unit():
    m = quiet_model(half_bone(16, 8))
    unit = dig_cavity(m, range(8, 9), range(2, 6))
    ob = Osteoblast(m, (8, 3), unit)
    ob.lifespan = 1.0
    ob.step()
    assert m.osteoblast_fates["apoptosis"] == 1 and len(m.osteoblasts) == 0
    assert not m.tissue.occupied.any() and m.units.units[unit].osteoblasts == 0
    assert np.count_nonzero(m.tissue.cavity) == 4                # nothing laid


def test_a_surface_cell_must_say_which_head_count_it_is_in():
    class Unnamed(SurfaceCell):
        pass

    m = quiet_model(half_bone(16, 8))
    with pytest.raises(NotImplementedError, match="Unnamed"):
        Unnamed(m, (7, 3), m.units.open(m.day), lifespan_days=10.0, lifespan_shape=2.0, lifespan_modifier=1.0)


# ---------------------------------------------------------------- osteoclast behaviour parameters
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
