"""bonegrid.effects: each systemic term of ``cell_modifiers`` against its docstring formula, by hand."""

import dataclasses

import pytest

from bonegrid.drivers import Drivers
from bonegrid.effects import CellModifiers, EffectParameters, cell_modifiers

P = EffectParameters()

# The glucocorticoid half-effect dose G_50 is being renamed; read it by whichever name exists.
_G50_NAMES = ("glucocorticoid_half_effect_mg_per_day", "glucocorticoid_half_dose_mg")
G50_NAME = next(name for name in _G50_NAMES if name in EffectParameters.names())


def with_g50(value, **others):
    return EffectParameters(**{G50_NAME: value}, **others)


def test_healthy_adult_gets_all_modifiers_at_one():
    # E = 1, T = 1, G = 0, C = 0, L = 1, P = 0, PTH/PTH_ref = 1: every term is 1 (overfill 0).
    assert cell_modifiers(Drivers(), 1.0, P) == CellModifiers()


def test_glucocorticoid_at_the_half_effect_dose_gives_half_the_maximal_effect():
    g50 = getattr(P, G50_NAME)
    m = cell_modifiers(Drivers(glucocorticoid=g50), 1.0, P)
    f = 0.5  # f_G = G / (G + G_50) = G_50 / (2 G_50)
    assert m.rankl == pytest.approx(1.0 + P.glucocorticoid_rankl_gain * f)          # 1 + 0.5*0.5 = 1.25
    assert m.opg == pytest.approx(1.0 - P.glucocorticoid_opg_loss * f)              # 1 - 0.5*0.5 = 0.75
    assert m.osteocyte_apoptosis == pytest.approx(1.0 + P.glucocorticoid_osteocyte_apoptosis_gain * f)  # 2.5
    assert m.osteoblast_recruitment == pytest.approx(1.0 - P.glucocorticoid_osteoblast_recruitment_loss * f)  # 0.7
    assert m.osteoblast_lifespan == pytest.approx(1.0 - P.glucocorticoid_osteoblast_lifespan_loss * f)  # 0.75
    assert m.osteoblast_apposition == pytest.approx(1.0 - P.glucocorticoid_collagen_synthesis_loss * f)  # 0.8
    assert m.osteoclast_lifespan == pytest.approx(1.0 + P.glucocorticoid_osteoclast_lifespan_gain * f)  # 1.75
    assert m.osteoclast_precursor_supply == pytest.approx(1.0 - P.glucocorticoid_osteoclast_precursor_loss * f)  # 0.55
    # glucocorticoid does not touch these
    assert (m.sclerostin, m.osteoclast_activity, m.osteocyte_rankl) == (1.0,) * 3


def test_the_osteocytes_glucocorticoid_kills_die_without_calling_repair_unless_told_to():
    """Of the hazard (1 + g f_G) h, the part g f_G h is the drug's: that share of deaths is silent."""
    g50 = getattr(P, G50_NAME)
    p = with_g50(g50, glucocorticoid_osteocyte_apoptosis_gain=2.0)
    m = cell_modifiers(Drivers(glucocorticoid=g50, mechanical_loading=0.5), 1.0, p)
    assert m.osteocyte_unsignalled_death_share == pytest.approx(2.0 * 0.5 / (1.0 + 2.0 * 0.5))  # 1/2, disuse aside
    half = dataclasses.replace(p, glucocorticoid_osteocyte_repair_call_share=0.5)
    assert cell_modifiers(Drivers(glucocorticoid=g50), 1.0, half).osteocyte_unsignalled_death_share == pytest.approx(0.25)
    assert cell_modifiers(Drivers(mechanical_loading=0.5), 1.0, p).osteocyte_unsignalled_death_share == 0.0


def test_glucocorticoid_prolongs_osteoclasts_on_top_of_estrogen_loss_and_slows_collagen_on_top_of_alcohol():
    # E = 0.5, G = G_50 (f_G = 1/2), gains 1 and 2: lifespan (1 + 1*0.5)(1 + 2*0.5) = 3
    p = with_g50(10.0, estrogen_osteoclast_lifespan_gain=1.0, glucocorticoid_osteoclast_lifespan_gain=2.0,
                 glucocorticoid_collagen_synthesis_loss=0.5, alcohol_osteoblast_apposition_loss=0.5,
                 alcohol_half_effect_g_per_day=60.0)
    m = cell_modifiers(Drivers(estrogen=0.5, glucocorticoid=10.0, alcohol_g_per_day=60.0), 1.0, p)
    assert m.osteoclast_lifespan == pytest.approx(3.0)
    assert m.osteoblast_apposition == pytest.approx(0.75 * 0.75)  # (1 - 0.5*0.5) for each cause


def test_glucocorticoid_dose_response_uses_the_half_effect_dose_parameter():
    # G_50 = 10 mg/day and G = 30 mg/day: f_G = 30/40 = 0.75; gains set to round numbers.
    p = with_g50(10.0, glucocorticoid_rankl_gain=2.0, glucocorticoid_osteocyte_apoptosis_gain=4.0)
    m = cell_modifiers(Drivers(glucocorticoid=30.0), 1.0, p)
    assert m.rankl == pytest.approx(2.5)                # 1 + 2 * 0.75
    assert m.osteocyte_apoptosis == pytest.approx(4.0)  # 1 + 4 * 0.75


def test_estrogen_loss_raises_rankl_lowers_opg_and_prolongs_osteoclasts():
    # E = 0.2: loss 1 - E = 0.8
    m = cell_modifiers(Drivers(estrogen=0.2), 1.0, P)
    assert m.rankl == pytest.approx(1.0 + P.estrogen_rankl_gain * 0.8)                      # 1 + 0.75*0.8 = 1.6
    assert m.opg == pytest.approx(1.0 - P.estrogen_opg_gain * 0.8)                          # 1 - 0.5*0.8 = 0.6
    assert m.osteoclast_lifespan == pytest.approx(1.0 + P.estrogen_osteoclast_lifespan_gain * 0.8)  # 1.8
    assert m.rankl == pytest.approx(1.6) and m.opg == pytest.approx(0.6) and m.osteoclast_lifespan == pytest.approx(1.8)


def test_estrogen_above_premenopausal_has_no_effect():
    # the loss is max(0, 1 - E): E = 2 is not a negative loss
    assert cell_modifiers(Drivers(estrogen=2.0), 1.0, P) == CellModifiers()


def test_thyroid_scales_resorption_formation_and_osteoblast_lifespan_as_powers():
    # T = 4 with exponents t_Oc = 0.5, t_Ob = 0.5, t_L = 0.5: 4^0.5 = 2, 4^-0.5 = 0.5
    p = EffectParameters(thyroid_resorption_exponent=0.5, thyroid_formation_exponent=0.5,
                         thyroid_osteoblast_lifespan_exponent=0.5)
    m = cell_modifiers(Drivers(thyroid=4.0), 1.0, p)
    assert m.osteoclast_activity == pytest.approx(2.0)
    assert m.rankl == pytest.approx(2.0)             # RANKL production also x T^t_Oc
    assert m.osteoblast_apposition == pytest.approx(2.0)
    assert m.osteoblast_lifespan == pytest.approx(0.5)
    # defaults: 3^0.5, 3^0.3, 3^-0.6
    d = cell_modifiers(Drivers(thyroid=3.0), 1.0, P)
    assert d.osteoclast_activity == pytest.approx(1.7320508, rel=1e-6)
    assert d.osteoblast_apposition == pytest.approx(1.3903891, rel=1e-6)
    assert d.osteoblast_lifespan == pytest.approx(0.5172818, rel=1e-6)


def test_pth_scales_rankl_up_and_opg_and_sclerostin_down():
    # PTH twice its reference with exponents 0.5: 2^0.5 and 2^-0.5
    m = cell_modifiers(Drivers(), 2.0, P)
    assert m.rankl == pytest.approx(2.0 ** P.pth_rankl_exponent) == pytest.approx(1.4142136)
    assert m.opg == pytest.approx(2.0 ** -P.pth_opg_exponent) == pytest.approx(0.7071068)
    assert m.sclerostin == pytest.approx(2.0 ** -P.pth_sclerostin_exponent)


def test_terms_multiply():
    # E = 0.5 (loss 0.5), G = G_50 (f_G = 0.5), cytokines C = 1, PTH 4x, T = 1:
    # RANKL = 4^0.5 * (1 + 0.75*0.5) * (1 + 0.5*0.5) * (1 + 1*1*(1 - 0.6*0.5)) = 2 * 1.375 * 1.25 * 1.7 = 5.84375
    #         (the glucocorticoid damps the cytokines' own RANKL gain by 1 - g_{G,syn} f_G)
    # OPG   = 4^-0.5 * (1 - 0.5*0.5) * (1 - 0.5*0.5)            = 0.5 * 0.75 * 0.75  = 0.28125
    # (glucocorticoid gains set here to 0.5 and the estrogen RANKL gain to 0.75, the others at their defaults)
    p = with_g50(getattr(P, G50_NAME), glucocorticoid_rankl_gain=0.5, glucocorticoid_opg_loss=0.5,
                 estrogen_rankl_gain=0.75)
    m = cell_modifiers(Drivers(estrogen=0.5, glucocorticoid=getattr(P, G50_NAME), cytokines=1.0), 4.0, p)
    assert m.rankl == pytest.approx(5.84375)
    assert m.opg == pytest.approx(0.28125)


def test_disuse_and_overload_act_on_osteocyte_signals():
    # L = 0.25: disuse = 1 + 2 * 0.75 = 2.5 on osteocyte RANKL, sclerostin and apoptosis
    m = cell_modifiers(Drivers(mechanical_loading=0.25), 1.0, P)
    assert m.osteocyte_rankl == m.sclerostin == m.osteocyte_apoptosis == pytest.approx(2.5)
    # L = 2: no disuse, sclerostin x 2^-1 = 0.5
    m = cell_modifiers(Drivers(mechanical_loading=2.0), 1.0, P)
    assert m.osteocyte_rankl == 1.0 and m.sclerostin == pytest.approx(0.5)


def test_teriparatide_terms_at_dose_one():
    # P = 1: lifespan x (1 + 1), recruitment x (1 + 1), sclerostin x (1 - 0.5 * 1/2) = 0.75; its daily exposure
    # e_P adds to the PTH that sets RANKL and OPG; no overfill by default (a hypothesis: min(1, g P) when set)
    m = cell_modifiers(Drivers(teriparatide=1.0), 1.0, P)
    assert m.osteoblast_lifespan == pytest.approx(2.0)
    assert m.osteoblast_recruitment == pytest.approx(2.0)
    assert m.sclerostin == pytest.approx(0.75)
    assert m.rankl == pytest.approx((1.0 + P.teriparatide_pth_exposure) ** P.pth_rankl_exponent)
    assert m.opg == pytest.approx((1.0 + P.teriparatide_pth_exposure) ** -P.pth_opg_exponent)
    assert m.osteoblast_overfill == 0.0
    overfilling = dataclasses.replace(P, teriparatide_overfill=0.5)
    assert cell_modifiers(Drivers(teriparatide=1.0), 1.0, overfilling).osteoblast_overfill == pytest.approx(0.5)
    assert cell_modifiers(Drivers(teriparatide=5.0), 1.0, overfilling).osteoblast_overfill == 1.0  # capped at 1


def test_heavy_drinking_poisons_osteoblasts_and_osteocytes_light_drinking_hardly():
    p = EffectParameters()
    heavy = cell_modifiers(Drivers(alcohol_g_per_day=150.0), 1.0, p)
    f = 150.0**2 / (150.0**2 + p.alcohol_half_effect_g_per_day**2)
    assert heavy.osteoblast_apposition == pytest.approx(1.0 - p.alcohol_osteoblast_apposition_loss * f)
    assert 0.3 < heavy.osteoblast_apposition < 0.6  # Díez 1994: MAR about half (0.31 vs 0.77 um/day, ratio 0.40)
    assert heavy.osteoblast_recruitment == pytest.approx(1.0 - p.alcohol_osteoblast_recruitment_loss * f)
    assert heavy.osteocyte_apoptosis == pytest.approx(1.0 + p.alcohol_osteocyte_apoptosis_gain * f)
    assert heavy.rankl == 1.0 and heavy.osteoclast_activity == 1.0  # no direct effect on osteoclasts
    light = cell_modifiers(Drivers(alcohol_g_per_day=12.0), 1.0, p)  # one drink a day
    assert light.osteoblast_apposition > 0.97


def test_smoking_raises_rankl_per_pack():
    p = EffectParameters()
    assert cell_modifiers(Drivers(cigarettes_per_day=40.0), 1.0, p).rankl == pytest.approx(
        1.0 + 2.0 * p.smoking_rankl_gain_per_pack)


def test_bilirubin_holds_osteoblasts_back_only_above_the_normal_range():
    p = EffectParameters()
    assert cell_modifiers(Drivers(bilirubin_umol_per_l=20.0), 1.0, p) == CellModifiers()
    excess = 80.0 - p.bilirubin_upper_normal_umol_per_l
    f = excess / (excess + p.bilirubin_half_effect_umol_per_l)
    jaundiced = cell_modifiers(Drivers(bilirubin_umol_per_l=80.0), 1.0, p)
    assert jaundiced.osteoblast_recruitment == pytest.approx(1.0 - p.bilirubin_osteoblast_recruitment_loss * f)
    assert jaundiced.osteoblast_lifespan == pytest.approx(1.0 - p.bilirubin_osteoblast_lifespan_loss * f)
    assert jaundiced.rankl == 1.0 and jaundiced.osteoblast_apposition == 1.0
def test_glucocorticoid_damps_the_pannus_and_the_cytokines_while_still_acting_on_bone():
    g50 = getattr(P, G50_NAME)
    ra = cell_modifiers(Drivers(synovitis=1.0, cytokines=1.0), 1.0, P)
    treated = cell_modifiers(Drivers(synovitis=1.0, cytokines=1.0, glucocorticoid=g50), 1.0, P)
    damped = 1.0 - P.glucocorticoid_synovitis_suppression * 0.5               # f_G = 1/2 at G_50: 1 - 0.6/2 = 0.7
    assert ra.pannus == 1.0 and treated.pannus == pytest.approx(damped)
    cytokine_term = (1.0 + P.cytokine_rankl_gain * damped) / (1.0 + P.cytokine_rankl_gain)
    assert treated.rankl / ra.rankl == pytest.approx(cytokine_term * (1.0 + P.glucocorticoid_rankl_gain * 0.5))
    assert treated.osteoblast_recruitment == pytest.approx(1.0 - P.glucocorticoid_osteoblast_recruitment_loss * 0.5)
    assert cell_modifiers(Drivers(glucocorticoid=g50), 1.0, P).pannus == 0.0   # no synovitis, nothing to damp


def test_a_failing_liver_makes_less_igf1_and_so_fewer_osteoblasts_that_lay_less_matrix():
    p = EffectParameters()
    assert cell_modifiers(Drivers(liver_function=1.0), 1.0, p) == CellModifiers()
    igf1 = 1.0 - p.igf1_hepatic_share * (1.0 - 0.6)
    cirrhotic = cell_modifiers(Drivers(liver_function=0.6), 1.0, p)
    assert cirrhotic.osteoblast_recruitment == pytest.approx(1.0 - p.igf1_osteoblast_recruitment_loss * (1.0 - igf1))
    assert cirrhotic.osteoblast_recruitment < cell_modifiers(Drivers(liver_function=0.8), 1.0, p).osteoblast_recruitment
    assert cirrhotic.osteoblast_apposition == pytest.approx(1.0 - p.igf1_osteoblast_apposition_loss * (1.0 - igf1))
    assert dataclasses.replace(cirrhotic, osteoblast_recruitment=1.0, osteoblast_apposition=1.0) == CellModifiers()
