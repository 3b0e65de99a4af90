"""bonegrid.recruitment: the daily recruitment laws against their formulas, on hand-made slices and fields.

The fields are set by hand (uniform maps), so each site's probability is a number computed here; the
model's generator is copied before the call, so the draws it will make are known and the exact set of
sites that must gain a cell follows (a wrong probability picks a different set).
"""

import copy
import dataclasses

import numpy as np
import pytest
from conftest import dig_cavity, half_bone, quiet_model

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.effects import CellModifiers
from bonegrid.fields import Fields
from bonegrid.recruitment import RecruitmentParameters, recruit_osteoblasts, recruit_osteoclasts


def uniform_fields(shape, *, free_rankl=0.0, tgfb=0.0, wnt=0.0):
    full = lambda v: np.full(shape, float(v))  # noqa: E731
    return Fields(rankl=full(free_rankl), opg=full(0.0), tgfb=full(tgfb), wnt_antagonist=full(wnt),
                  free_rankl=full(free_rankl), factor=1)


def striped_bone(n=64):
    """Bone on every even row: every marrow voxel (the odd rows, n/2 x n of them) is on a bone surface."""
    bone = np.zeros((n, n), dtype=bool)
    bone[::2] = True
    return bone


def same_day(**params):
    """Recruitment parameters with no differentiation time: a committed precursor is an osteoclast the same day."""
    return RecruitmentParameters(osteoclast_differentiation_days=0, **params)


def oc_positions(m):
    return {tuple(int(v) for v in c.pos) for c in m.osteoclasts}


def ob_positions(m):
    return {tuple(int(v) for v in b.pos) for b in m.osteoblasts}


# ------------------------------------------------------------------ osteoclastogenesis

def test_osteoclastogenesis_probability_is_rate_times_modifier_times_occupancy_to_the_n():
    m = quiet_model(striped_bone())
    kd = m.params.fields.rank_rankl_dissociation_pM
    m.fields = uniform_fields(m.tissue.shape, free_rankl=kd)   # theta = K_D / (K_D + K_D) = 1/2
    m.modifiers = CellModifiers(osteoclast_activity=0.5)
    params = same_day(osteoclastogenesis_per_day=0.8, osteoclastogenesis_hill=4.0)
    surfaces = m.tissue.surfaces()
    sites = np.argwhere(surfaces.bone_surface)                # row-major, as the function orders them
    assert len(sites) == 32 * 64
    draw = copy.deepcopy(m.rng).random(len(sites))
    p = 0.8 * 0.5 * 0.5 ** 4                                   # nu * M * theta^n = 0.025
    expected = {tuple(int(v) for v in s) for s in sites[draw < p]}
    assert recruit_osteoclasts(m, params, surfaces) == len(expected)
    assert oc_positions(m) == expected
    assert 20 < len(expected) < 90                              # ~0.025 * 2048 = 51: the check is not vacuous


def test_no_osteoclastogenesis_without_free_rankl_or_at_rate_zero():
    m = quiet_model(striped_bone(16))
    m.fields = uniform_fields(m.tissue.shape, free_rankl=0.0)
    assert recruit_osteoclasts(m, same_day(osteoclastogenesis_per_day=1.0), m.tissue.surfaces()) == 0
    m.fields = uniform_fields(m.tissue.shape, free_rankl=1e9)
    assert recruit_osteoclasts(m, same_day(osteoclastogenesis_per_day=0.0), m.tissue.surfaces()) == 0
    assert len(m.osteoclasts) == 0


def test_saturating_rankl_at_rate_one_fills_every_free_bone_surface_voxel():
    # theta = 1e9 / (1e9 + 4.457) ~ 1 - 4e-9: every free surface voxel (row 7 of a 16 x 16 half slice) gains one
    m = quiet_model(half_bone(16, 8))
    m.fields = uniform_fields(m.tissue.shape, free_rankl=1e9)
    m.tissue.occupied[7, 5] = 1                                # a cell already sits here
    assert recruit_osteoclasts(m, same_day(osteoclastogenesis_per_day=1.0), m.tissue.surfaces()) == 15
    assert oc_positions(m) == {(7, x) for x in range(16) if x != 5}


def test_working_osteoclasts_compete_for_rankl_within_the_join_radius():
    # One working osteoclast at (33, 32); radius 100 um = 10 voxels at 10 um. With R_free = K_D and N_c = 1:
    # near sites: theta = K_D / (K_D + 2 K_D) = 1/3, P = 0.9 / 81; far sites: theta = 1/2, P = 0.9 / 16.
    m = quiet_model(striped_bone())
    kd = m.params.fields.rank_rankl_dissociation_pM
    m.fields = uniform_fields(m.tissue.shape, free_rankl=kd)
    Osteoclast(m, (33, 32), m.units.open(m.day))
    params = same_day(osteoclastogenesis_per_day=0.9, osteoclastogenesis_hill=4.0,
                                   osteoclast_rank_competition=1.0, bmu_join_radius_um=100.0)
    surfaces = m.tissue.surfaces()
    sites = np.argwhere(surfaces.bone_surface & (m.tissue.occupied == 0))
    near = ((sites - [33, 32]) ** 2).sum(axis=1) <= 10 ** 2
    assert near.sum() > 100
    draw = copy.deepcopy(m.rng).random(len(sites))
    p = np.where(near, 0.9 / 81, 0.9 / 16)
    expected = {tuple(int(v) for v in s) for s in sites[draw < p]} | {(33, 32)}
    recruit_osteoclasts(m, params, surfaces)
    assert oc_positions(m) == expected


def test_new_osteoclast_joins_a_nearby_unit_or_a_fresh_cavity_else_opens_its_own():
    # Surface row 7 of a 16 x 16 half slice, all blocked but (7, 2) and (7, 15); a working osteoclast at (7, 0).
    # (7, 2) is 2 voxels from it (<= 10: joins its unit); (7, 15) is 15 from it and 13 from (7, 2): a new unit.
    def setup():
        m = quiet_model(half_bone(16, 8))
        m.fields = uniform_fields(m.tissue.shape, free_rankl=1e9)
        unit = m.units.open(m.day)
        Osteoclast(m, (7, 0), unit)
        m.tissue.occupied[7, 1] = 1
        m.tissue.occupied[7, 3:15] = 1
        return m, unit

    params = same_day(osteoclastogenesis_per_day=1.0, bmu_join_radius_um=100.0)
    m, unit = setup()
    assert recruit_osteoclasts(m, params, m.tissue.surfaces()) == 2
    units = {tuple(int(v) for v in c.pos): c.unit for c in m.osteoclasts}
    assert units[(7, 2)] == unit
    assert units[(7, 15)] not in (0, unit) and len(m.units.units) == 2

    # A cavity resorbed today within the radius of (7, 15) (still in its resorption phase): it joins that unit.
    m, unit = setup()
    cavity = m.units.open(m.day)
    m.tissue.resorb(8, 14, cavity, 1, m.day, 0.0)
    m.units.record_resorption(cavity, m.day)
    m.tissue.occupied[8, 13] = m.tissue.occupied[9, 14] = m.tissue.occupied[8, 15] = 1  # the pit's new surface
    recruit_osteoclasts(m, params, m.tissue.surfaces())
    units = {tuple(int(v) for v in c.pos): c.unit for c in m.osteoclasts}
    assert units[(7, 15)] == cavity and units[(7, 2)] == unit and len(m.units.units) == 2

    # The same cavity last resorbed 10 days ago, past the 9-day resorption phase: (7, 15) opens a unit again.
    m, unit = setup()
    cavity = m.units.open(m.day - 10)
    m.tissue.resorb(8, 14, cavity, 1, m.day - 10, 0.0)
    m.units.record_resorption(cavity, m.day - 10)
    m.tissue.occupied[8, 13] = m.tissue.occupied[9, 14] = m.tissue.occupied[8, 15] = 1
    recruit_osteoclasts(m, params, m.tissue.surfaces())
    units = {tuple(int(v) for v in c.pos): c.unit for c in m.osteoclasts}
    assert units[(7, 15)] not in (0, unit, cavity) and len(m.units.units) == 3


def test_committed_precursors_become_osteoclasts_a_differentiation_time_later_where_their_site_is_still_free():
    # Every free surface voxel of row 7 commits (saturating RANKL, rate 1) on day 0; none is an osteoclast before
    # day 7. By then (7, 3) is taken by another cell and (7, 9) is osteoid: those two precursors are lost.
    m = quiet_model(half_bone(16, 8))
    m.fields = uniform_fields(m.tissue.shape, free_rankl=1e9)
    params = RecruitmentParameters(osteoclastogenesis_per_day=1.0, osteoclast_differentiation_days=7)
    assert recruit_osteoclasts(m, params, m.tissue.surfaces()) == 16
    assert len(m.osteoclasts) == 0 and len(m.committed_precursors) == 16
    for day in range(1, 7):   # every site holds a precursor: no new commitment, no osteoclast yet
        m.day = day
        assert recruit_osteoclasts(m, params, m.tissue.surfaces()) == 0
        assert len(m.osteoclasts) == 0
    m.day = 7
    m.tissue.occupied[7, 3] = 1
    m.tissue.deposit_osteoid(7, 9, m.day)
    recruit_osteoclasts(m, params, m.tissue.surfaces())
    assert oc_positions(m) == {(7, x) for x in range(16) if x not in (3, 9)}
    assert len(m.committed_precursors) == 0


def test_committed_precursors_compete_for_rankl_like_working_osteoclasts():
    # As test_working_osteoclasts_compete_for_rankl_within_the_join_radius, with a committed precursor at
    # (33, 32) instead of the osteoclast: the same sites commit, and none at the precursor's own voxel.
    m = quiet_model(striped_bone())
    kd = m.params.fields.rank_rankl_dissociation_pM
    m.fields = uniform_fields(m.tissue.shape, free_rankl=kd)
    m.committed_precursors.commit(np.array([33 * 64 + 32]), due_day=m.day + 100)
    params = RecruitmentParameters(osteoclastogenesis_per_day=0.9, osteoclastogenesis_hill=4.0,
                                   osteoclast_rank_competition=1.0, bmu_join_radius_um=100.0,
                                   osteoclast_differentiation_days=5)
    surfaces = m.tissue.surfaces()
    free = surfaces.bone_surface & (m.tissue.occupied == 0)
    free[33, 32] = False
    sites = np.argwhere(free)
    near = ((sites - [33, 32]) ** 2).sum(axis=1) <= 10 ** 2
    draw = copy.deepcopy(m.rng).random(len(sites))
    p = np.where(near, 0.9 / 81, 0.9 / 16)
    expected = {tuple(int(v) for v in s) for s in sites[draw < p]}
    assert recruit_osteoclasts(m, params, surfaces) == len(expected)
    waiting = {divmod(int(f), 64) for f in m.committed_precursors.sites()}
    assert waiting == expected | {(33, 32)}
    assert len(m.osteoclasts) == 0


def eroded_model(days_ago):
    """A 64 x 64 half slice with a cavity (rows 32-33, columns 10-49) eroded ``days_ago`` days ago, no free RANKL."""
    m = quiet_model(half_bone(64, 32))
    m.fields = uniform_fields(m.tissue.shape, free_rankl=0.0)
    m.day = -days_ago
    unit = dig_cavity(m, range(32, 34), range(10, 50))
    m.day = 0
    return m, unit


def test_fresh_eroded_surfaces_raise_osteoclasts_of_their_unit_whatever_the_rankl_field():
    # No free RANKL anywhere: the RANKL route commits nothing. The cavity's free voxels on mineralised bone,
    # eroded 5 days ago (inside the 9-day reversal phase), each gain an osteoclast of the cavity's unit with
    # probability nu_rr x P (P = 1: no drug, a healthy pool); the draws follow the RANKL route's one per free site.
    m, unit = eroded_model(5)
    params = same_day(reversal_osteoclastogenesis_per_day=0.3)
    surfaces = m.tissue.surfaces()
    free = np.flatnonzero((surfaces.bone_surface & (m.tissue.occupied == 0)).ravel())
    cavity = free[m.tissue.cavity.ravel()[free] > 0]
    rng = copy.deepcopy(m.rng)
    rng.random(free.size)                                    # the RANKL route's draws
    expected = {divmod(int(f), 64) for f in cavity[rng.random(cavity.size) < 0.3]}
    assert recruit_osteoclasts(m, params, surfaces) == len(expected)
    assert oc_positions(m) == expected and {c.unit for c in m.osteoclasts} == {unit}
    assert 10 < len(expected) < len(cavity)                  # ~0.3 of the ~80 surface voxels of the pit
    assert all(y >= 32 for y, _ in expected)                  # on the cavity only, not on the quiet surface

    # The same cavity eroded 10 days ago, past the reversal phase, or at rate 0: none.
    m, unit = eroded_model(10)
    assert recruit_osteoclasts(m, params, m.tissue.surfaces()) == 0
    m, unit = eroded_model(5)
    assert recruit_osteoclasts(m, same_day(reversal_osteoclastogenesis_per_day=0.0), m.tissue.surfaces()) == 0
    assert len(m.osteoclasts) == 0


def test_a_precursor_committed_on_a_reversal_surface_joins_its_cavity_unit_a_differentiation_time_later():
    # Committed 5 days after the erosion, it becomes an osteoclast 7 days later, 12 days after the erosion:
    # past the 9-day window in which a cavity's unit still takes new osteoclasts, yet it joins that unit,
    # whose reversal cells committed it (within reversal_days + the differentiation time).
    m, unit = eroded_model(5)
    params = RecruitmentParameters(osteoclastogenesis_per_day=0.0, reversal_osteoclastogenesis_per_day=0.3,
                                   osteoclast_differentiation_days=7)
    committed = recruit_osteoclasts(m, params, m.tissue.surfaces())
    assert committed > 10 and len(m.osteoclasts) == 0
    m.day = 7
    recruit_osteoclasts(m, dataclasses.replace(params, reversal_osteoclastogenesis_per_day=0.0), m.tissue.surfaces())
    assert len(m.osteoclasts) == committed and {c.unit for c in m.osteoclasts} == {unit}


# ------------------------------------------------------------------ osteoblast recruitment

def test_osteoblast_probability_is_rate_times_tgfb_saturation_times_wnt_inhibition():
    # Cavity: rows 32-33 of a 64 x 64 half slice resorbed 20 days ago (inside the window).
    # T = K_T -> T/(T+K_T) = 1/2; W = K_W -> K_W/(K_W+W) = 1/2; nu = 0.8, M = 0.5: P = 0.8 * 0.5 * 1/2 * 1/2 = 0.1
    m = quiet_model(half_bone(64, 32))
    unit = m.units.open(m.day)
    for y in (32, 33):
        for x in range(64):
            m.tissue.resorb(y, x, unit, y - 31, m.day - 20, 0.0)
    params = RecruitmentParameters(osteoblast_recruitment_per_day=0.8, osteoblast_tgfb_half_pM=10.0,
                                   osteoblast_wnt_half_pM=50.0, reversal_days=9.0,
                                   osteoblast_recruitment_window_days=60.0)
    m.fields = uniform_fields(m.tissue.shape, tgfb=10.0, wnt=50.0)
    m.modifiers = CellModifiers(osteoblast_recruitment=0.5)
    # candidates: cavity voxels touching matrix. Row 32 touches none (marrow above, cavity below and beside);
    # row 33 touches bone row 34: 64 candidates.
    candidates = np.array([(33, x) for x in range(64)])
    draw = copy.deepcopy(m.rng).random(len(candidates))
    expected = {tuple(int(v) for v in c) for c in candidates[draw < 0.1]}
    assert recruit_osteoblasts(m, params) == len(expected) > 0
    assert ob_positions(m) == expected
    assert m.units.units[unit].osteoblasts_recruited == len(expected)


@pytest.mark.parametrize(("days_ago", "recruits"), [(8.0, False), (9.0, True), (40.0, True), (69.0, True),
                                                    (70.0, False)])
def test_recruitment_window_opens_after_reversal_and_closes_after_the_window(days_ago, recruits):
    # reversal 9 days, window 60 days: open for 9 <= days since resorption <= 69.
    # Saturating TGF-beta, no antagonist, rate 1: P = T / (T + K_T) = 1e12 / (1e12 + 10) ~ 1.
    m = quiet_model(half_bone(16, 8))
    unit = m.units.open(m.day)
    m.tissue.resorb(8, 4, unit, 1, m.day - days_ago, 0.0)
    m.fields = uniform_fields(m.tissue.shape, tgfb=1e12, wnt=0.0)
    params = RecruitmentParameters(osteoblast_recruitment_per_day=1.0, reversal_days=9.0,
                                   osteoblast_recruitment_window_days=60.0)
    assert recruit_osteoblasts(m, params) == int(recruits)
    assert ob_positions(m) == ({(8, 4)} if recruits else set())


@pytest.mark.parametrize(("canopy", "team", "recruits"), [(0, 3, False), (3, 3, True), (3, 2, False)])
def test_past_the_window_a_cavity_takes_osteoblasts_only_under_a_large_enough_forming_team(canopy, team, recruits):
    # resorbed 100 days ago (the window closed at 69); the unit's team works elsewhere (marrow row 5)
    m = quiet_model(half_bone(16, 8))
    unit = m.units.open(m.day)
    m.tissue.resorb(8, 4, unit, 1, m.day - 100.0, 0.0)
    for x in range(team):
        Osteoblast(m, (5, 10 + x), unit)
    m.fields = uniform_fields(m.tissue.shape, tgfb=1e12, wnt=0.0)
    params = RecruitmentParameters(osteoblast_recruitment_per_day=1.0, reversal_days=9.0,
                                   osteoblast_recruitment_window_days=60.0, osteoblast_canopy_team=canopy)
    assert recruit_osteoblasts(m, params) == int(recruits)
    assert ((8, 4) in ob_positions(m)) == recruits


def test_osteoblasts_settle_only_on_free_cavity_voxels_that_touch_matrix():
    # A 3 x 3 pit (rows 8-10, cols 5-7) resorbed 20 days ago, (8, 5) already occupied. Its centre (9, 6) has only
    # cavity neighbours, and (8, 6) has marrow above and cavity on its other three sides: neither touches matrix.
    # The other 6 pit voxels touch bone and each gains an osteoblast (P ~ 1).
    m = quiet_model(half_bone(16, 8))
    unit = m.units.open(m.day)
    for y in (8, 9, 10):
        for x in (5, 6, 7):
            m.tissue.resorb(y, x, unit, y - 7, m.day - 20, 0.0)
    m.tissue.occupied[8, 5] = 1
    m.fields = uniform_fields(m.tissue.shape, tgfb=1e12, wnt=0.0)
    params = RecruitmentParameters(osteoblast_recruitment_per_day=1.0)
    assert recruit_osteoblasts(m, params) == 6
    assert ob_positions(m) == {(y, x) for y in (8, 9, 10) for x in (5, 6, 7)} - {(9, 6), (8, 6), (8, 5)}


def test_wnt_antagonists_and_missing_tgfb_block_osteoblast_recruitment():
    m = quiet_model(half_bone(16, 8))
    unit = m.units.open(m.day)
    m.tissue.resorb(8, 4, unit, 1, m.day - 20, 0.0)
    params = RecruitmentParameters(osteoblast_recruitment_per_day=1.0)
    m.fields = uniform_fields(m.tissue.shape, tgfb=0.0, wnt=0.0)     # T = 0: P = 0
    assert recruit_osteoblasts(m, params) == 0
    m.fields = uniform_fields(m.tissue.shape, tgfb=1e12, wnt=1e12)   # K_W / (K_W + W) ~ 5e-11
    assert recruit_osteoblasts(m, params) == 0
