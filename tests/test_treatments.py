"""Treatments act through mechanisms: driver rewrites, drug bound to mineral, RANKL sequestration, anabolic PTH."""

import dataclasses
import math

import numpy as np
import pytest
from conftest import dig_cavity, half_bone, line_osteoblasts, quiet_model

from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.drivers import Drivers, DriverSchedule
from bonegrid.effects import EffectParameters, cell_modifiers
from bonegrid.fields import FieldParameters, FieldSolver
from bonegrid.tissue import BONE, MARROW, touches
from bonegrid.treatments import TREATMENTS, TreatedSchedule, Treatment, TreatmentParameters

P = TreatmentParameters()


def schedule(courses, *treatments):
    return TreatedSchedule(DriverSchedule(courses), treatments)


def test_removing_the_cause_ramps_back_to_health():
    s = schedule({"glucocorticoid": [(0, 20.0)]}, Treatment("glucocorticoid_withdrawal", start_day=100))
    assert s(99).glucocorticoid == 20.0
    assert s(100 + P.withdrawal_taper_days / 2).glucocorticoid == pytest.approx(10.0)
    assert s(100 + P.withdrawal_taper_days).glucocorticoid == 0.0
    s = schedule({"gut_absorption": [(0, 0.4)], "cytokines": [(0, 1.0)]}, Treatment("gluten_free_diet", 0))
    healed = s(P.mucosal_healing_days)
    assert healed.gut_absorption == pytest.approx(1.0) and healed.cytokines == 0.0
    assert schedule({"thyroid": [(0, 3.0)]}, Treatment("thyroid_normalised", 0))(1000).thyroid == pytest.approx(1.0)


def test_repletion_and_exercise_add_to_the_diet_and_loading_while_on():
    s = schedule({"vitamin_d_supply": [(0, 0.05)]}, Treatment("calcium_vitamin_d", 10, 20),
                 Treatment("exercise", 10, 20))
    on, off = s(15), s(25)
    assert on.dietary_calcium_mg_per_day == 2000.0 and on.vitamin_d_supply == P.vitamin_d_repletion_supply
    assert on.mechanical_loading == pytest.approx(1.0 + P.exercise_loading_increment)
    assert off == Drivers(vitamin_d_supply=0.05)


def test_denosumab_kinetics_peak_half_life_and_the_target_mediated_fall_after_stop():
    s = schedule({}, Treatment("denosumab", start_day=0, stop_day=365))
    level = np.array([s(d).denosumab_nM for d in range(800)])
    assert level[0] == 0.0 and 8 <= np.argmax(level[:60]) <= 20  # absorbed from the injection site
    # Prolia label: Cmax 6.75 ug/mL (46 nM at 147 kDa) within ~10 days; mean half-life 25.4 days
    assert 35.0 < level[:60].max() < 70.0
    assert math.log(2.0) * 90.0 / math.log(level[30] / level[120]) == pytest.approx(25.4, rel=0.15)
    # the saturable route takes over at low levels: the fall steepens, far faster than the IgG half-life
    assert level[175] / level[150] < 0.5 ** (25.0 / 25.4) / 5.0
    assert level[int(P.denosumab_interval_days) + 14] > level[14]  # second injection on top of the first
    assert level[364 + 300] < 1e-6  # no injection after the stop: gone within months


SICK = {"parathyroid_set_point": [(0, 1.2)],
        "glucocorticoid": [(0, 20.0)], "gut_absorption": [(0, 0.4)], "cytokines": [(0, 1.0)], "thyroid": [(0, 3.0)],
        "estrogen": [(0, 0.1)], "vitamin_d_supply": [(0, 0.05)], "vitamin_c": [(0, 0.05)],
        "alcohol_g_per_day": [(0, 150.0)], "cigarettes_per_day": [(0, 20.0)]}


def test_every_treatment_is_described_and_sets_the_drivers_it_should():
    # Day 200 of each treatment started on day 0 at dose 1, on a patient with every cause present.
    # Tapers (60 days) are complete; the gut heals over 365 days, so it is 200/365 of the way back.
    healed = 200.0 / P.mucosal_healing_days
    expected = {
        "glucocorticoid_withdrawal": {"glucocorticoid": 0.0},
        "gluten_free_diet": {"gut_absorption": 0.4 + 0.6 * healed, "cytokines": 1.0 - healed},
        "thyroid_normalised": {"thyroid": 1.0},
        "estrogen_therapy": {"estrogen": 1.0 / (1.0 + 20.0 * P.smoking_oral_estrogen_clearance_per_cigarette)},
        "calcium_vitamin_d": {"dietary_calcium_mg_per_day": 1000.0 + P.calcium_supplement_mg_per_day,
                              "vitamin_d_supply": P.vitamin_d_repletion_supply},
        "bisphosphonate": {"bisphosphonate": 1.0},
        # injections on days 0 and 182 (kinetics checked above): the same level as in a patient without the causes
        "denosumab": {"denosumab_nM": schedule({}, Treatment("denosumab", 0))(200).denosumab_nM},
        "teriparatide": {"teriparatide": 1.0},
        "exercise": {"mechanical_loading": 1.0 + P.exercise_loading_increment},
        "vitamin_c_repletion": {"vitamin_c": 1.0},
        "calcitriol": {"calcitriol_ug_per_day": P.calcitriol_dose_ug_per_day},
        "parathyroidectomy": {"parathyroid_set_point": 1.0},
        "alcohol_abstinence": {"alcohol_g_per_day": 0.0},
        "smoking_cessation": {"cigarettes_per_day": 0.0},
    }
    assert set(expected) == set(TREATMENTS)
    untreated = dataclasses.asdict(DriverSchedule(SICK)(200))
    for name, (text, _) in TREATMENTS.items():
        assert text
        drivers = dataclasses.asdict(schedule(SICK, Treatment(name, 0))(200))
        assert drivers == pytest.approx({**untreated, **expected[name]}), name  # the rest untouched
        assert drivers != untreated, name


def test_bisphosphonate_binds_exposed_mineral_most_at_resorbing_sites():
    m = quiet_model(half_bone(40, 20))
    unit = dig_cavity(m, range(20, 22), range(5, 10))
    t = m.tissue
    t.bind_bisphosphonate(1.0, t.kind == MARROW)
    exposed = touches(t.kind == MARROW) & (t.kind == BONE)
    eroded = exposed & touches(t.cavity == unit)
    u = m.params.tissue.bisphosphonate_uptake_per_day
    assert np.all(t.bisphosphonate[~exposed] == 0.0)  # buried mineral takes none
    assert np.allclose(t.bisphosphonate[exposed & ~eroded], u)
    assert np.allclose(t.bisphosphonate[eroded], u * m.params.tissue.bisphosphonate_eroded_affinity)


def test_osteoclast_dies_when_it_dissolves_drug_loaded_mineral():
    alive = []
    for dose in (0.0, 50.0):
        m = quiet_model(half_bone(), osteoclast_tgfb_apoptosis_per_day=0.0, osteoclast_lifespan_days=200.0,
                        osteoclast_lifespan_shape=100.0)
        m.tissue.bisphosphonate[m.tissue.kind == BONE] = dose
        Osteoclast(m, (19, 20), m.units.open(m.day))
        m.run(3)
        alive.append(len(m.osteoclasts))
    assert alive == [1, 0]


def test_bisphosphonate_driver_loads_the_surface_every_day():
    m = quiet_model(half_bone(), drivers={"bisphosphonate": [(0, 1.0)]})
    m.run(10)
    surface = touches(m.tissue.kind == MARROW) & (m.tissue.kind == BONE)
    assert np.allclose(m.tissue.bisphosphonate[surface], 10 * m.params.tissue.bisphosphonate_uptake_per_day)


def test_denosumab_sequesters_the_rankl_it_reaches():
    rankl = np.zeros((64, 64))
    rankl[30:34, 30:34] = 1e4
    sources = {"rankl": rankl, "opg": np.full((64, 64), 50.0)}
    params = FieldParameters()
    solver = FieldSolver((64, 64), 10.0, params)
    free = solver.solve(sources).free_rankl.max()
    treated = solver.solve(sources, denosumab_nM=10.0).free_rankl.max()
    # all but the RANKL presented in cell contact, which the antibody does not reach
    assert treated == pytest.approx(params.denosumab_shielded_rankl_fraction * free, rel=0.02)
    unshielded = FieldSolver((64, 64), 10.0, FieldParameters(denosumab_shielded_rankl_fraction=0.0))
    assert unshielded.solve(sources, denosumab_nM=10.0).free_rankl.max() < free / 100
    assert solver.solve(sources, denosumab_nM=0.0).free_rankl.max() == free


def test_osteoclasts_lose_their_survival_signal_under_denosumab():
    alive = []
    for dose in (0.0, 45.0):
        m = quiet_model(half_bone(), osteoclast_tgfb_apoptosis_per_day=0.0, osteoclast_lifespan_days=200.0,
                        osteoclast_lifespan_shape=100.0, drivers={"denosumab_nM": [(0, dose)]})
        for x in range(4, 40, 4):
            Osteoclast(m, (19, x), m.units.open(m.day))
        m.run(10)
        alive.append(len(m.osteoclasts))
    assert alive[0] == 9
    assert alive[1] <= 2  # hazard ~0.26/day: 9 x 0.05 expected survivors


def test_precursors_pile_up_under_denosumab_and_drain_after_it():
    m = quiet_model(half_bone(), drivers={"denosumab_nM": [(0, 45.0), (100, 0.0)]})
    m.run(99)
    assert m.osteoclast_precursors.signal_left < 0.2
    filled = m.osteoclast_precursors.relative
    assert filled > 1.5
    m.run(200)
    assert m.osteoclast_precursors.signal_left == 1.0
    assert 1.0 < m.osteoclast_precursors.relative < 1.0 + 0.2 * (filled - 1.0)


def test_teriparatide_is_anabolic_in_the_modifiers():
    p = EffectParameters()
    off, on = cell_modifiers(Drivers(), 1.0, p), cell_modifiers(Drivers(teriparatide=1.0), 1.0, p)
    assert on.osteoblast_lifespan > off.osteoblast_lifespan and on.osteoblast_recruitment > off.osteoblast_recruitment
    assert on.sclerostin < off.sclerostin and off.lining_activation == 0.0 < on.lining_activation


def test_overfilling_osteoblasts_build_beyond_the_cement_line_only_under_teriparatide():
    formed = []
    for dose in (0.0, 2.0):
        m = quiet_model(half_bone(40, 20), osteoblast_lifespan_days=200.0, osteoblast_lifespan_shape=100.0,
                        teriparatide_overfill=1.0, drivers={"teriparatide": [(0, dose)]})
        unit = dig_cavity(m, range(20, 22), range(15, 25))
        line_osteoblasts(m, unit)
        m.run(150)
        formed.append(m.units.units[unit].formed / m.units.units[unit].resorbed)
    assert formed[0] == pytest.approx(1.0) and formed[1] > 1.2
    assert math.isfinite(formed[1])


def test_vitamin_c_sets_osteoblast_collagen_production():
    p = EffectParameters()
    k = p.ascorbate_collagen_half
    assert cell_modifiers(Drivers(), 1.0, p).osteoblast_apposition == 1.0
    scorbutic = cell_modifiers(Drivers(vitamin_c=0.05), 1.0, p)
    assert scorbutic.osteoblast_apposition == pytest.approx(0.05 * (1 + k) / (0.05 + k))
    # osteoclasts need no vitamin C: resorption goes on
    assert scorbutic.rankl == 1.0 and scorbutic.osteoclast_activity == 1.0


def test_smokers_clear_oral_estrogen_therapy_but_keep_their_own_estrogen():
    # Jensen 1985: on oral estradiol, serum estrogens about half in smokers (20/day); on placebo no difference
    treated = Treatment("estrogen_therapy", 0)
    day = P.withdrawal_taper_days
    assert schedule({"estrogen": [(0, 0.1)]}, treated)(day).estrogen == 1.0
    smoker = {"estrogen": [(0, 0.1)], "cigarettes_per_day": [(0, 20.0)]}
    assert schedule(smoker, treated)(day).estrogen == pytest.approx(0.5)
    assert schedule(smoker)(day).estrogen == 0.1
    # stopping smoking restores the full effect of the tablets (treatments apply in their order)
    assert schedule(smoker, Treatment("smoking_cessation", 0), treated)(day).estrogen == 1.0


def test_abstinence_ends_the_alcohol_on_its_day():
    s = schedule({"alcohol_g_per_day": [(0, 150.0)]}, Treatment("alcohol_abstinence", start_day=365))
    assert s(364).alcohol_g_per_day == 150.0 and s(365).alcohol_g_per_day == 0.0
