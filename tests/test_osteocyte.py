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


def test_deaths_that_call_no_repair_leave_empty_lacunae_at_once_without_the_rankl_burst():
    """Glucocorticoid-killed osteocytes (Weinstein 2000) skip the signalling apoptotic phase."""
    m = quiet_model(half_bone(), osteocyte_apoptosis_per_year=365.0, osteocyte_apoptotic_days=5.0)
    net = m.osteocytes
    for x in range(5, 35, 3):
        net.add(30, x, m.day)
    for _ in range(3):
        net.step(m.day, 50.0, m.rng, unsignalled_share=1.0)   # hazard ~1/day x 50: all die on the first day
    assert net.counts() == (0, 0, 10) and len(net.agents) == 0
    for x in range(5, 35, 3):
        net.add(20, x, m.day)
    net.step(m.day, 50.0, m.rng, unsignalled_share=0.0)
    assert net.counts() == (0, 10, 10)                        # these signal first


def test_older_patients_start_with_older_interstitial_bone_and_more_empty_lacunae():
    """Starting matrix is no older than the years since skeletal maturity, so lacunae empty with age."""
    from bonegrid.model import BoneModel
    from bonegrid.tissue import BONE
    empty, oldest = {}, {}
    for age in (25.0, 80.0):
        m = BoneModel(grid=96, seed=3, age_years=age, burn_in_days=0)
        matrix_age_years = -m.tissue.formed_day[m.tissue.kind == BONE] / 365.25
        oldest[age] = matrix_age_years.max()
        viable, apoptotic, gone = m.osteocytes.counts()
        empty[age] = gone / (viable + apoptotic + gone)
    assert oldest[25.0] <= 25.0 - 20.0 + 1e-9 and oldest[80.0] > 40.0
    assert empty[80.0] > empty[25.0] + 0.1
