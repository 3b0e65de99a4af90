"""Osteoblasts: refill bounded by the cement line, deficits, formation time, burial and death."""


import numpy as np
from conftest import dig_cavity, half_bone, line_osteoblasts, quiet_model

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.tissue import MARROW, OSTEOID, VIABLE


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


def test_osteoblast_refilling_another_units_arrested_surface_works_and_counts_for_its_own_unit():
    m = quiet_model(half_bone(16, 8))
    old = dig_cavity(m, range(8, 10), range(5, 8))
    r = m.params.recruitment
    m.day += r.reversal_days + r.osteoblast_recruitment_window_days + 1   # the old cavity is arrested now
    new = dig_cavity(m, range(8, 10), range(2, 5))
    ob = Osteoblast(m, (8, 4), new)
    ob.move_to((8, 5))
    assert ob.unit == new and (m.units.units[new].osteoblasts, m.units.units[old].osteoblasts) == (1, 0)
    m.form(ob, 8, 5)
    assert (m.units.units[new].formed, m.units.units[old].formed) == (1, 0)
    assert m.tissue.kind[8, 5] == OSTEOID and m.tissue.cavity[8, 5] == 0


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
