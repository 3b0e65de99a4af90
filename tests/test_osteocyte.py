"""Osteocytes: apoptosis leaves empty lacunae; resorption removes the cells."""


from conftest import half_bone, quiet_model

from bonegrid.agents.osteoclast import Osteoclast


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
