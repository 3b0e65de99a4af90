"""Tests of the systemic calcium–phosphate–PTH–vitamin D compartments."""

import dataclasses
import math

import numpy as np
import pytest

from bonegrid.drivers import Drivers
from bonegrid.effects import EffectParameters, glucocorticoid_effect
from bonegrid.parameters import ParameterError
from bonegrid.physiology import CALCIUM_MG_PER_MMOL, Physiology, PhysiologyParameters

HEALTHY = Drivers()


def panel(ph: Physiology) -> dict[str, float]:
    return {
        "ca": ph.serum_calcium_mmol_per_l,
        "pi": ph.serum_phosphate_mmol_per_l,
        "pth": ph.pth_pmol_per_l,
        "calcitriol": ph.calcitriol_pmol_per_l,
        "d25": ph.vitamin_d_25oh_nmol_per_l,
        "urinary": ph.urinary_calcium_mmol_per_day,
        "gut": ph.gut_calcium_absorbed_mmol_per_day,
        "supply": ph.mineralisation_supply,
        "pth_rel": ph.pth_relative,
        "exchangeable": ph.exchangeable_calcium_mmol,
    }


def run(drivers: Drivers, days: int, resorbed: float = 10.0, mineralised: float = 10.0) -> Physiology:
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    for _ in range(days):
        ph.step(drivers, resorbed, mineralised)
    return ph


@pytest.fixture(scope="module")
def healthy() -> dict[str, float]:
    return panel(Physiology(PhysiologyParameters(), HEALTHY))


# (1) healthy steady state -------------------------------------------------------------------
def test_healthy_steady_state_inside_reference_ranges(healthy):
    assert 2.35 <= healthy["ca"] <= 2.45
    assert 0.8 <= healthy["pi"] <= 1.5
    assert 1.6 <= healthy["pth"] <= 6.9
    assert healthy["d25"] > 50.0
    assert 80.0 <= healthy["calcitriol"] <= 120.0
    assert 4.0 <= healthy["urinary"] <= 6.0
    assert healthy["gut"] == pytest.approx(healthy["urinary"], rel=1e-9)  # balance
    assert healthy["pth_rel"] == 1.0
    assert 0.95 <= healthy["supply"] <= 1.0
    # the exchangeable pool is ~1% of skeletal calcium
    assert 150.0 <= healthy["exchangeable"] <= 400.0


def test_healthy_state_unchanged_over_1000_days_of_balanced_flux(healthy):
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    for _ in range(1000):
        ph.step(HEALTHY, 10.0, 10.0)
    now = panel(ph)
    for key, value in healthy.items():
        assert now[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_start_is_the_steady_state_of_the_given_drivers():
    # starting in vitamin D deficiency: day 0 shows no transient either
    drivers = Drivers(vitamin_d_supply=0.3)
    ph = Physiology(PhysiologyParameters(), drivers)
    before = panel(ph)
    for _ in range(50):
        ph.step(drivers, 12.0, 12.0)
    after = panel(ph)
    for key, value in before.items():
        assert after[key] == pytest.approx(value, rel=1e-6), key
    assert before["pth_rel"] > 1.5  # relative to the healthy parameters' PTH, not this start


# (2) conservation -----------------------------------------------------------------------------
def test_calcium_conserved_with_noisy_bone_fluxes():
    rng = np.random.default_rng(20240611)
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    start = ph.total_calcium_mmol()
    drivers = [HEALTHY, Drivers(dietary_calcium_mg_per_day=600.0, glucocorticoid=10.0)]
    for day in range(2000):
        resorbed = max(0.0, 10.0 * (1.0 + 0.5 * rng.standard_normal()))
        mineralised = max(0.0, 10.0 * (1.0 + 0.5 * rng.standard_normal()))
        ph.step(drivers[(day // 300) % 2], resorbed, mineralised)
    ledger = ph.calcium_ledger
    change = ph.total_calcium_mmol() - start
    inflow = ledger["gut_in"] - ledger["kidney_out"] + ledger["bone_resorbed_in"] - ledger["mineralised_out"]
    assert ledger["ecf"] + ledger["exchangeable"] == ph.total_calcium_mmol()
    assert ledger["initial_total"] == start
    assert abs(change - inflow) <= 1e-9 * start
    assert ledger["bone_resorbed_in"] > 15000.0 and ledger["kidney_out"] > 5000.0  # fluxes really ran


# (3) noise damping ---------------------------------------------------------------------------
def test_bone_surface_buffer_damps_daily_resorption_noise():
    rng = np.random.default_rng(7)
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    serum = []
    for _ in range(2000):
        ph.step(HEALTHY, max(0.0, 10.0 * (1.0 + 0.5 * rng.standard_normal())), 10.0)
        serum.append(ph.serum_calcium_mmol_per_l)
    assert np.std(serum) < 0.03
    assert 2.15 <= min(serum) and max(serum) <= 2.55


def test_without_the_buffer_the_same_noise_is_not_damped():
    # the test above must be able to fail: a pool ~50x smaller exchanging within a day does not damp
    params = PhysiologyParameters(exchangeable_fraction=0.0002, exchange_time_days=0.1)
    rng = np.random.default_rng(7)
    ph = Physiology(params, HEALTHY)
    serum = []
    for _ in range(2000):
        ph.step(HEALTHY, max(0.0, 10.0 * (1.0 + 0.5 * rng.standard_normal())), 10.0)
        serum.append(ph.serum_calcium_mmol_per_l)
    assert np.std(serum) > 0.03


# (4) vitamin D deficiency and malabsorption ---------------------------------------------------
@pytest.mark.parametrize("drivers", [Drivers(vitamin_d_supply=0.2), Drivers(gut_absorption=0.4)],
                         ids=["low-vitamin-D", "malabsorption"])
def test_secondary_hyperparathyroidism(drivers, healthy):
    ph = run(drivers, 365)
    assert ph.vitamin_d_25oh_nmol_per_l < 50.0
    assert ph.pth_pmol_per_l > 6.9
    assert 2.0 <= ph.serum_calcium_mmol_per_l < healthy["ca"]
    assert ph.mineralisation_supply < healthy["supply"]
    assert ph.pth_relative > 1.9
    assert ph.urinary_calcium_mmol_per_day < healthy["urinary"]


def test_25ohd_relaxes_with_its_time_constant():
    params = PhysiologyParameters()
    ph = run(Drivers(vitamin_d_supply=0.2), int(params.vitamin_d_25oh_time_days))
    # after one time constant, 1 - 1/e of the way from 75 to 15 nmol/L
    expected = 15.0 + (75.0 - 15.0) * math.exp(-1.0)
    assert ph.vitamin_d_25oh_nmol_per_l == pytest.approx(expected, rel=1e-9)


# (5) low dietary calcium ----------------------------------------------------------------------
def test_low_dietary_calcium_raises_pth_and_calcitriol(healthy):
    ph = run(Drivers(dietary_calcium_mg_per_day=400.0), 365)
    assert ph.pth_pmol_per_l > 1.5 * healthy["pth"]
    assert ph.calcitriol_pmol_per_l > 1.2 * healthy["calcitriol"]
    # fractional absorption adapts upwards
    gross = ph.gut_calcium_absorbed_mmol_per_day + ph.params.endogenous_faecal_calcium_mmol_per_day * (
        ph.serum_calcium_mmol_per_l / ph.params.calcium_norm_mmol_per_l)
    healthy_gross = healthy["gut"] + ph.params.endogenous_faecal_calcium_mmol_per_day * (
        healthy["ca"] / ph.params.calcium_norm_mmol_per_l)
    assert gross / (400.0 / CALCIUM_MG_PER_MMOL) > healthy_gross / (1000.0 / CALCIUM_MG_PER_MMOL)
    assert ph.urinary_calcium_mmol_per_day < healthy["urinary"]


# (6) hypercalcaemic load ----------------------------------------------------------------------
def test_hypercalcaemic_load_suppresses_pth(healthy):
    ph = run(HEALTHY, 60, resorbed=40.0, mineralised=10.0)
    assert ph.serum_calcium_mmol_per_l > healthy["ca"] + 0.1
    assert ph.pth_pmol_per_l < 0.6 * healthy["pth"]
    assert ph.calcitriol_pmol_per_l < healthy["calcitriol"]
    assert ph.urinary_calcium_mmol_per_day > 2.0 * healthy["urinary"]


def test_kidney_excretes_a_bone_calcium_load_within_weeks(healthy):
    # Nordin-Peacock threshold: a net 30 mmol/day skeletal release (3x healthy turnover) leaves the
    # body in the urine once PTH has lowered the threshold; serum calcium rises by < 0.25 mmol/L
    ph = run(HEALTHY, 60, resorbed=40.0, mineralised=10.0)
    net_in = ph.gut_calcium_absorbed_mmol_per_day + 30.0
    assert ph.urinary_calcium_mmol_per_day == pytest.approx(net_in, rel=0.05)
    assert ph.serum_calcium_mmol_per_l < healthy["ca"] + 0.25


def test_urinary_calcium_rises_one_for_one_with_filtered_calcium_above_threshold():
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    p = ph.params
    fall = 0.0
    u1, slope = ph._renal_calcium_excretion(3.2, 1.0, 0.0, 100.0, fall)
    u2, _ = ph._renal_calcium_excretion(3.3, 1.0, 0.0, 100.0, fall)
    assert (u2 - u1) / 0.1 == pytest.approx(p.gfr_l_per_day, rel=0.01)
    assert slope == pytest.approx(p.gfr_l_per_day, rel=0.01)
    # far below the threshold almost nothing escapes reabsorption
    assert ph._renal_calcium_excretion(1.6, 20.0, 0.0, 100.0, fall)[0] < 0.05


def test_glucocorticoid_and_thyroid_effects(healthy):
    steroid = Physiology(PhysiologyParameters(), HEALTHY)
    steroid.step(Drivers(glucocorticoid=30.0), 10.0, 10.0)
    assert steroid.gut_calcium_absorbed_mmol_per_day < healthy["gut"] - 1.0
    assert steroid.urinary_calcium_mmol_per_day > healthy["urinary"]
    thyroid = Physiology(PhysiologyParameters(), HEALTHY)
    thyroid.step(Drivers(thyroid=3.0), 10.0, 10.0)
    assert thyroid.urinary_calcium_mmol_per_day > 1.2 * healthy["urinary"]


# glucocorticoid: one receptor, one half-effect dose shared with the bone cells ---------------
def test_glucocorticoid_effect_hand_values():
    assert glucocorticoid_effect(0.0, 7.5) == 0.0
    assert glucocorticoid_effect(7.5, 7.5) == 0.5
    assert glucocorticoid_effect(30.0, 10.0) == 0.75
    assert glucocorticoid_effect(1e9, 7.5) == pytest.approx(1.0, abs=1e-8)


def _steroid_panel(dose: float, half: float, days: int = 30) -> dict[str, float]:
    ph = Physiology(PhysiologyParameters(), HEALTHY, glucocorticoid_half_effect_mg_per_day=half)
    for _ in range(days):
        ph.step(Drivers(glucocorticoid=dose), 10.0, 10.0)
    return panel(ph)


@pytest.mark.parametrize("f_g, doses_and_halves", [(0.5, [(7.5, 7.5), (20.0, 20.0)]), (0.75, [(22.5, 7.5), (7.5, 2.5)])])
def test_gut_and_kidney_see_the_dose_only_through_the_shared_f_g(f_g, doses_and_halves):
    # G / (G + G50) is exactly f_g for each pair, so the whole panel must be identical
    assert all(glucocorticoid_effect(g, h) == f_g for g, h in doses_and_halves)
    first, second = (_steroid_panel(g, h) for g, h in doses_and_halves)
    assert first == second
    assert first["gut"] < _steroid_panel(0.0, 7.5)["gut"] - 0.5


def test_default_half_effect_is_the_cells_half_effect():
    g50 = EffectParameters().glucocorticoid_half_effect_mg_per_day
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    ph.step(Drivers(glucocorticoid=15.0), 10.0, 10.0)
    assert panel(ph) == _steroid_panel(15.0, g50, days=1)
    # the physiology keeps no second copy of the half-effect dose
    assert not [name for name in PhysiologyParameters.names() if "glucocorticoid_half" in name]


@pytest.mark.parametrize("half", [0.0, -7.5, float("nan"), float("inf")])
def test_invalid_glucocorticoid_half_effect_raises_naming_it(half):
    with pytest.raises(ParameterError, match="glucocorticoid_half_effect_mg_per_day"):
        Physiology(PhysiologyParameters(), HEALTHY, glucocorticoid_half_effect_mg_per_day=half)


# (7) pools never negative ---------------------------------------------------------------------
def test_mineralisation_limited_by_supply_and_pools_stay_positive():
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    start = ph.total_calcium_mmol()
    for _ in range(100):
        available = ph.available_for_mineralisation_mmol()
        before = ph.calcium_ledger["mineralised_out"]
        ph.step(HEALTHY, 5.0, 1e4)  # demand far beyond the exchangeable pool
        taken = ph.calcium_ledger["mineralised_out"] - before
        assert taken == pytest.approx(available + 5.0, rel=1e-12)
        assert ph.calcium_ledger["ecf"] > 0.0
        assert ph.exchangeable_calcium_mmol > 0.0
        assert ph.serum_phosphate_mmol_per_l > 0.0
        assert all(math.isfinite(v) for v in panel(ph).values())
    ledger = ph.calcium_ledger
    assert ledger["mineralisation_unmet"] > 100 * 1e4 - ledger["mineralised_out"] - 1.0
    inflow = ledger["gut_in"] - ledger["kidney_out"] + ledger["bone_resorbed_in"] - ledger["mineralised_out"]
    assert ph.total_calcium_mmol() - start == pytest.approx(inflow, abs=1e-9 * start)
    assert ph.pth_pmol_per_l > 6.9 and ph.mineralisation_supply < 0.5  # the drain is felt


def test_capped_demand_is_met_in_full():
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    demand = 2.0 * ph.available_for_mineralisation_mmol()
    capped = min(demand, ph.available_for_mineralisation_mmol())
    ph.step(HEALTHY, 0.0, capped)
    assert ph.calcium_ledger["mineralised_out"] == capped
    assert ph.calcium_ledger["mineralisation_unmet"] == 0.0
    assert ph.exchangeable_calcium_mmol > 0.0


def test_extreme_inputs_keep_pools_positive():
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    starve = Drivers(dietary_calcium_mg_per_day=0.0, gut_absorption=0.0, vitamin_d_supply=0.0)
    for _ in range(500):
        ph.step(starve, 0.0, 0.0)
    values = panel(ph)
    assert all(math.isfinite(v) for v in values.values())
    assert ph.calcium_ledger["ecf"] >= 0.0 and ph.exchangeable_calcium_mmol >= 0.0
    assert values["pi"] > 0.0 and values["ca"] < 1.0
    for _ in range(30):
        ph.step(HEALTHY, 1e4, 0.0)
    assert all(math.isfinite(v) for v in panel(ph).values())


def test_negative_or_non_finite_flux_is_rejected():
    ph = Physiology(PhysiologyParameters(), HEALTHY)
    with pytest.raises(ValueError, match="resorbed=-1"):
        ph.step(HEALTHY, -1.0, 10.0)
    with pytest.raises(ValueError, match="mineralised=nan"):
        ph.step(HEALTHY, 10.0, float("nan"))


def test_no_steady_state_without_calcium_intake():
    with pytest.raises(ValueError, match="no positive steady state"):
        Physiology(PhysiologyParameters(), Drivers(dietary_calcium_mg_per_day=0.0))


# (8) parameter validation ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, value",
    [("ecf_volume_l", -14.0), ("exchange_time_days", 0.0), ("pth_calcium_hill", 1000.0),
     ("skeletal_calcium_mmol", float("nan")), ("mineral_ca_to_p_ratio", "1.67")],
)
def test_invalid_parameter_raises_naming_the_key(key, value):
    with pytest.raises(ParameterError, match=key):
        PhysiologyParameters(**{key: value})


def test_inconsistent_parameters_raise_naming_the_keys():
    with pytest.raises(ParameterError, match="pth_min_pmol_per_l.*pth_max_pmol_per_l"):
        PhysiologyParameters(pth_min_pmol_per_l=30.0, pth_max_pmol_per_l=20.0)
    with pytest.raises(ParameterError, match="gut_ca_passive_fraction"):
        PhysiologyParameters(gut_ca_passive_fraction=0.5, gut_ca_active_fraction=0.8)


def test_every_parameter_is_documented():
    for f in dataclasses.fields(PhysiologyParameters):
        meta = f.metadata
        assert meta["unit"] and meta["doc"] and meta["source"] and meta["symbol"], f.name
        assert meta["low"] is not None and meta["high"] is not None, f.name
        assert meta["low"] <= f.default <= meta["high"], f.name


def test_lithium_raises_the_parathyroid_set_point_so_pth_and_calcium_both_rise(healthy):
    # Haden 1997: the set point shifts up; in patients PTH rises ~40% with calcium a little higher
    ph = Physiology(PhysiologyParameters(), Drivers(lithium_mmol_per_l=0.8))
    assert 1.25 < ph.pth_pmol_per_l / healthy["pth"] < 1.6
    assert 0.05 < ph.serum_calcium_mmol_per_l - healthy["ca"] < 0.15
    # and the day's set point follows the driver: stopping lithium brings PTH back
    for _ in range(60):
        ph.step(HEALTHY, 10.0, 10.0)
    assert ph.pth_pmol_per_l == pytest.approx(healthy["pth"], rel=0.02)


def test_lithium_also_raises_the_renal_calcium_threshold_so_the_kidney_keeps_calcium():
    # Mak 1998: over 2 years of lithium, tubular calcium reabsorption rises and urinary calcium falls
    lithium = Drivers(lithium_mmol_per_l=0.8)
    kidney = Physiology(PhysiologyParameters(), lithium)
    parathyroids_only = Physiology(PhysiologyParameters(lithium_threshold_rise_mmol_per_l=0.0), lithium)
    c = kidney.serum_calcium_mmol_per_l
    at_same_calcium = [ph._renal_calcium_excretion(c, 4.0, 0.0, 100.0, ph._renal_threshold_fall(lithium))[0]
                       for ph in (kidney, parathyroids_only)]
    assert at_same_calcium[0] < 0.8 * at_same_calcium[1]
    # in the steady state the calcium kept at the kidney spares some PTH
    assert kidney.pth_pmol_per_l < parathyroids_only.pth_pmol_per_l


def steady(**drivers) -> Physiology:
    return Physiology(PhysiologyParameters(), Drivers(**drivers))


def test_fgf23_rises_before_pth_and_pth_before_phosphate_as_kidney_function_falls():
    # Isakova 2011: in CKD, FGF23 is high (> 100 RU/mL) earlier than PTH (> 6.9) or phosphate (> 1.5)
    egfrs = np.arange(125.0, 7.0, -1.0)
    states = [steady(egfr_ml_per_min=e) for e in egfrs]
    first = lambda high: egfrs[next(i for i, ph in enumerate(states) if high(ph))]  # noqa: E731
    fgf23 = first(lambda ph: ph.fgf23_ru_per_ml > 100.0)
    pth = first(lambda ph: ph.pth_pmol_per_l > 6.9)
    phosphate = first(lambda ph: ph.serum_phosphate_mmol_per_l > 1.5)
    assert fgf23 > pth > phosphate
    assert 50.0 < fgf23 < 70.0 and phosphate < 25.0
    calcitriol = [ph.calcitriol_pmol_per_l for ph in states]
    assert np.all(np.diff(calcitriol) < 0) and calcitriol[-1] < 0.2 * calcitriol[0]  # 1-alpha-hydroxylase fails
    urinary = [ph.urinary_calcium_mmol_per_day for ph in states]
    assert urinary[-1] < 0.2 * urinary[0]  # the hypocalciuria of CKD


def test_uraemic_bone_sees_less_of_the_pth_it_is_given():
    healthy = steady()
    assert healthy.pth_skeletal_relative == healthy.pth_relative == 1.0
    ph = steady(egfr_ml_per_min=15.0)
    assert ph.pth_skeletal_relative == pytest.approx(ph.pth_relative * (15.0 / 125.0) ** 0.3)
    assert ph.pth_skeletal_relative < 0.6 * ph.pth_relative


def test_hyperphosphataemia_stimulates_pth_only_above_the_normal_range():
    p = PhysiologyParameters()
    ph = steady(egfr_ml_per_min=10.0)
    assert ph.serum_phosphate_mmol_per_l > p.phosphate_pth_threshold_mmol_per_l
    without = Physiology(dataclasses.replace(p, phosphate_pth_gain_per_mmol_per_l=0.0), Drivers(egfr_ml_per_min=10.0))
    assert ph.pth_pmol_per_l > 1.05 * without.pth_pmol_per_l
    assert steady().pth_pmol_per_l == Physiology(dataclasses.replace(p, phosphate_pth_gain_per_mmol_per_l=0.0),
                                                 HEALTHY).pth_pmol_per_l


def test_oral_calcitriol_suppresses_pth_in_kidney_disease():
    ckd = steady(egfr_ml_per_min=15.0)
    treated = steady(egfr_ml_per_min=15.0, calcitriol_ug_per_day=1.0)
    assert treated.calcitriol_pmol_per_l == pytest.approx(ckd.calcitriol_pmol_per_l + 47.0, rel=0.3)
    assert treated.pth_pmol_per_l < 0.6 * ckd.pth_pmol_per_l
    assert treated.serum_calcium_mmol_per_l > ckd.serum_calcium_mmol_per_l


def test_failing_kidneys_cannot_defend_calcium_when_bone_stops_releasing_it():
    # denosumab's warning in advanced CKD: with bone taking calcium up and giving none back, healthy kidneys
    # raise calcitriol (more absorbed from the gut); failing kidneys cannot, and calcium falls further
    # (gland growth held off: the comparison is of the kidneys' answer at one gland mass)
    drops, rises = {}, {}
    params = dataclasses.replace(PhysiologyParameters(), parathyroid_growth_per_day=0.0)
    for egfr in (125.0, 15.0):
        ph = Physiology(params, Drivers(egfr_ml_per_min=egfr))
        ca0, d0 = ph.serum_calcium_mmol_per_l, ph.calcitriol_pmol_per_l
        for _ in range(90):
            ph.step(Drivers(egfr_ml_per_min=egfr), 0.0, 3.0)
        drops[egfr] = ca0 - ph.serum_calcium_mmol_per_l
        rises[egfr] = ph.calcitriol_pmol_per_l - d0
    assert drops[15.0] > 1.5 * drops[125.0] > 0.0
    assert rises[125.0] > 3.0 * rises[15.0]


def test_a_parathyroid_adenoma_gives_hypercalcaemia_with_high_pth_and_hypercalciuria():
    healthy = steady()
    ph = steady(parathyroid_set_point=1.22)
    assert 2.6 < ph.serum_calcium_mmol_per_l < 2.9 and ph.pth_pmol_per_l > 6.9
    assert ph.urinary_calcium_mmol_per_day > 1.2 * healthy.urinary_calcium_mmol_per_day
    for _ in range(60):  # parathyroidectomy: the set point is normal again
        ph.step(HEALTHY, 10.0, 10.0)
    assert ph.serum_calcium_mmol_per_l == pytest.approx(healthy.serum_calcium_mmol_per_l, abs=0.02)
def test_smoking_lowers_25ohd_and_stopping_brings_it_back(healthy):
    p = PhysiologyParameters()
    ph = Physiology(p, Drivers(cigarettes_per_day=20.0))
    expected = healthy["d25"] / (1.0 + 20.0 * p.smoking_vitamin_d_loss_per_cigarette)
    assert ph.vitamin_d_25oh_nmol_per_l == pytest.approx(expected, rel=1e-6)
    assert 0.75 < expected / healthy["d25"] < 0.95  # Kassi 2015: ~11 nmol/L lower than 75
    for _ in range(200):  # 25(OH)D half-life ~19 days
        ph.step(HEALTHY, 10.0, 10.0)
    assert ph.vitamin_d_25oh_nmol_per_l == pytest.approx(healthy["d25"], rel=0.01)


def test_a_failing_liver_makes_less_25ohd_and_a_recovered_liver_makes_it_again(healthy):
    p = PhysiologyParameters()
    cirrhotic = Drivers(liver_function=0.6)
    ph = Physiology(p, cirrhotic)
    assert ph.vitamin_d_25oh_nmol_per_l == pytest.approx(
        healthy["d25"] * 0.6 ** p.hepatic_25_hydroxylation_exponent, rel=1e-6)
    assert ph.vitamin_d_25oh_nmol_per_l < 50.0  # insufficient, as in most cirrhosis (George 2009)
    for _ in range(200):  # a transplanted liver: 25-hydroxylation is back within a few half-lives
        ph.step(HEALTHY, 10.0, 10.0)
    assert ph.vitamin_d_25oh_nmol_per_l == pytest.approx(healthy["d25"], rel=0.01)


# parathyroid gland mass (hyperplasia) -------------------------------------------------------------
def test_a_healthy_gland_stays_exactly_normal_under_noisy_bone_fluxes():
    rng = np.random.default_rng(3)
    ph = steady()
    for _ in range(730):
        ph.step(HEALTHY, 10.0 * rng.uniform(0.5, 1.5), 10.0 * rng.uniform(0.5, 1.5))
    assert ph.parathyroid_gland_mass == 1.0


def test_advanced_kidney_disease_grows_the_gland_over_years_and_it_regresses_more_slowly():
    # Parfitt 1997: hyperplasia is a disorder of growth; secretion scales with the mass, so PTH keeps
    # climbing at the same calcium, calcitriol and phosphate, and stays high long after the cause is gone
    drivers = Drivers(egfr_ml_per_min=10.0)
    ph = steady(egfr_ml_per_min=10.0)
    pth0 = ph.pth_pmol_per_l
    assert ph.pth_relative > ph.params.parathyroid_growth_threshold  # a drive above the threshold
    masses = []
    for _ in range(3):
        for _ in range(365):
            ph.step(drivers, 10.0, 10.0)
        masses.append(ph.parathyroid_gland_mass)
    assert 1.3 < masses[0] < masses[1] < masses[2] < 5.0
    assert ph.pth_pmol_per_l > 2.0 * pth0
    # kidney transplant: a healthy drive; the excess mass regresses with half-life ln2/r_R (~5 years)
    grown = ph.parathyroid_gland_mass
    for _ in range(365):
        ph.step(HEALTHY, 10.0, 10.0)
    left = (ph.parathyroid_gland_mass - 1.0) / (grown - 1.0)
    assert 0.8 < left < 0.9  # exp(-365 r_R) = 0.87, plus a few days of growth while calcium recovers
    assert ph.pth_pmol_per_l > 1.2 * steady().pth_pmol_per_l  # persistent hyperparathyroidism a year on


def test_without_growth_the_gland_stays_normal_in_kidney_disease():
    p = dataclasses.replace(PhysiologyParameters(), parathyroid_growth_per_day=0.0)
    ph = Physiology(p, Drivers(egfr_ml_per_min=10.0))
    for _ in range(365):
        ph.step(Drivers(egfr_ml_per_min=10.0), 10.0, 10.0)
    assert ph.parathyroid_gland_mass == 1.0


def test_an_adenoma_does_not_drive_hyperplasia_of_the_normal_glands():
    ph = steady(parathyroid_set_point=1.22)
    for _ in range(365):
        ph.step(Drivers(parathyroid_set_point=1.22), 10.0, 10.0)
    assert ph.parathyroid_gland_mass == 1.0


def test_crystal_growth_needs_less_supersaturation_than_new_osteoid():
    """Old mineral keeps maturing where Ca × P no longer mineralises new osteoid, and stops when it falls far."""
    healthy = Physiology(PhysiologyParameters(), Drivers())
    assert healthy.crystal_growth_supply > 0.9999 and healthy.mineralisation_supply > 0.97
    deficient = Physiology(PhysiologyParameters(), Drivers())
    starved = Physiology(PhysiologyParameters(), Drivers())
    for _ in range(365):  # balanced bone fluxes: no resorption answers PTH here, so the blood is not defended
        deficient.step(Drivers(vitamin_d_supply=0.3, dietary_calcium_mg_per_day=300.0), 5.0, 5.0)
        starved.step(Drivers(vitamin_d_supply=0.1, dietary_calcium_mg_per_day=300.0), 5.0, 5.0)
    assert deficient.mineralisation_supply < 0.1 and deficient.crystal_growth_supply > 0.99
    assert starved.crystal_growth_supply < 0.05  # serum calcium ~1.2 mmol/L: nothing mineralises
