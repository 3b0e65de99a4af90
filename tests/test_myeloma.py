"""Myeloma cells: seeding (the scenario's and mid-run), removal, growth into free marrow only, what they secrete,
M-protein."""

import copy

import numpy as np
import pytest
from conftest import half_bone, quiet_model
from scipy import ndimage

from bonegrid.agents.myeloma import MyelomaCell
from bonegrid.model import BoneModel
from bonegrid.parameters import ParameterError
from bonegrid.secretion import source_maps
from bonegrid.tissue import MARROW


def tumour_model(**params):
    base = dict(myeloma_seed_cells=5, myeloma_seed_day=2, myeloma_seed_y_fraction=0.2, myeloma_seed_x_fraction=0.5,
                myeloma_death_per_day=0.0)
    base.update(params)
    return quiet_model(half_bone(40, 20), **base)


def test_clone_is_seeded_on_its_day_in_marrow_nearest_the_seed_point():
    m = tumour_model(myeloma_division_per_day=0.0)
    m.run(1)
    assert len(m.myeloma) == 0
    m.run(1)
    ys, xs = m.myeloma.positions()
    assert len(m.myeloma) == 5 and np.all(m.tissue.kind[ys, xs] == MARROW)
    assert np.all(np.hypot(ys - 0.2 * 39, xs - 0.5 * 39) <= 1.5)
    assert m.tumour_mask().sum() == 5
    assert all(isinstance(a, MyelomaCell) for a in m.agents_by_type[MyelomaCell])


def test_clone_grows_into_free_marrow_only():
    m = tumour_model(myeloma_division_per_day=0.3)
    m.run(60)
    ys, xs = m.myeloma.positions()
    assert len(m.myeloma) > 50
    assert np.all(m.tissue.kind[ys, xs] == MARROW)
    assert m.tumour_mask().sum() == len(m.myeloma)  # one cell per voxel
    assert len(set(zip(ys.tolist(), xs.tolist(), strict=True))) == len(m.myeloma)


def test_cells_on_refilled_voxels_are_crushed_out():
    m = tumour_model(myeloma_division_per_day=0.0)
    m.run(2)
    y, x = m.myeloma.cells[0].pos
    m.tissue.deposit_osteoid(y, x, m.day)
    m.run(1)
    assert len(m.myeloma) == 4 and not m.tumour_mask()[y, x]


def test_tumour_secretes_osteoclast_activating_factors_and_dkk1_and_degrades_opg():
    m = tumour_model(myeloma_division_per_day=0.0)
    surfaces = m.tissue.surfaces()
    before = source_maps(m, m.modifiers, m.params.secretion, np.zeros(m.tissue.shape), surfaces)
    m.run(2)
    surfaces = m.tissue.surfaces()
    after = source_maps(m, m.modifiers, m.params.secretion, np.zeros(m.tissue.shape), surfaces)
    ys, xs = m.myeloma.positions()
    mm = m.params.myeloma
    assert np.allclose(after["rankl"][ys, xs] - before["rankl"][ys, xs], mm.myeloma_rankl_pM_per_day)
    assert np.allclose(after["wnt_antagonist"][ys, xs] - before["wnt_antagonist"][ys, xs], mm.myeloma_dkk1_pM_per_day)
    assert np.all(after["opg"][ys, xs] < before["opg"][ys, xs])


def test_m_protein_scales_with_the_tumour_share_of_marrow():
    m = tumour_model(myeloma_division_per_day=0.0)
    assert m.myeloma.m_protein_g_per_l() == 0.0
    m.run(2)
    marrow = np.count_nonzero(m.tissue.kind == MARROW)
    assert m.myeloma.m_protein_g_per_l() == pytest.approx(m.params.myeloma.mprotein_g_per_l_full_marrow * 5 / marrow)
    assert m.timeseries()["m_protein"].iloc[-1] == pytest.approx(m.myeloma.m_protein_g_per_l())


def test_opg_sink_faster_than_opg_decay_is_refused():
    with pytest.raises(ParameterError, match="opg_decay_per_day"):
        quiet_model(half_bone(), myeloma_opg_degradation_per_day=1.0)


def test_a_seed_planned_mid_run_is_carried_out_on_its_day_and_a_new_plan_replaces_an_old_one():
    m = tumour_model(myeloma_seed_cells=0, myeloma_division_per_day=0.0)
    m.run(5)
    m.myeloma.seed_on(7, 3)
    m.myeloma.seed_on(7, 4)            # replaces the plan: 4 cells, not 7
    m.run(1)
    assert len(m.myeloma) == 0 and m.myeloma.planned == (7.0, 4)
    m.run(1)
    ys, xs = m.myeloma.positions()
    assert len(m.myeloma) == 4 and m.myeloma.planned is None
    assert np.all(np.hypot(ys - 0.2 * 39, xs - 0.5 * 39) <= 1.5)   # nearest the seed point, as the scenario's seed
    m.myeloma.seed_on(m.day, 6)        # a day already begun: the next step
    m.run(1)
    ys, xs = m.myeloma.positions()
    assert len(m.myeloma) == 10 and m.tumour_mask().sum() == 10
    assert np.all(np.hypot(ys - 0.2 * 39, xs - 0.5 * 39) <= 2.3)   # joined the clone at its rim
    with pytest.raises(ValueError, match="tumour cells"):
        m.myeloma.seed_on(m.day + 1, -1)


def test_removal_takes_every_tumour_cell_and_any_planned_seed():
    m = tumour_model(myeloma_division_per_day=0.3)
    m.run(20)
    assert len(m.myeloma) > 5
    m.myeloma.seed_on(m.day + 1, 8)
    m.myeloma.remove_on(m.day + 1)     # removal cancels the plan made before it
    m.run(1)
    assert len(m.myeloma) == 0 and not m.tumour_mask().any() and not m.agents_by_type.get(MyelomaCell)
    assert m.myeloma.m_protein_g_per_l() == 0.0
    m.run(5)
    assert len(m.myeloma) == 0         # nothing left to grow back
    m.myeloma.remove_on(m.day + 1)
    m.myeloma.seed_on(m.day + 1, 3)    # a plan made after a removal is carried out after it
    m.run(1)
    assert 3 <= len(m.myeloma) <= 6     # the three seeded cells, some of which may divide on their first day


def test_a_clone_seeded_mid_run_grows_and_digs_a_lesion_around_itself():
    m = BoneModel(grid=64, seed=1, burn_in_days=100)   # healthy: no clone of its own
    m.run(20)
    untouched = copy.deepcopy(m)
    start = m.tissue.kind != MARROW
    m.myeloma.seed_on(m.day + 1, 30)
    m.run(301)
    untouched.run(301)
    assert len(untouched.myeloma) == 0 and len(m.myeloma) > 60        # 126 on this seed
    near = ndimage.distance_transform_edt(~m.tumour_mask()) * m.tissue.voxel_size_um <= 200.0

    def lost_near_pct(model):
        return 100.0 * (1.0 - ((model.tissue.kind != MARROW) & near).sum() / (start & near).sum())

    # measured: 19 % of the bone near the tumour lost, against 0.4 % of the same bone without it
    assert lost_near_pct(m) > lost_near_pct(untouched) + 8.0
