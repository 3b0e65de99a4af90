"""The blood panel's flags and the detective's rules on constructed findings."""

import numpy as np
import pytest

from bonegrid.drivers import Drivers
from bonegrid.readouts.differential import differential, focal_lesion
from bonegrid.readouts.panel import TESTS, format_panel, panel, panel_values

NORMAL = {
    "serum_calcium_mmol_per_l": 2.4, "serum_phosphate_mmol_per_l": 1.1, "pth_pmol_per_l": 3.5,
    "vitamin_d_25oh_nmol_per_l": 75.0, "ctx_ng_per_ml": 0.3, "p1np_ug_per_l": 40.0, "free_t4_pmol_per_l": 16.0,
    "tsh_miu_per_l": 1.5, "crp_mg_per_l": 1.0, "m_protein_g_per_l": 0.0, "bilirubin_umol_per_l": 10.0,
    "ov_bv_pct": 0.6, "o_th_um": 11.0,
    "viable_osteocytes_pct": 81.0,
    "z_score": -0.2, "t_score": -0.5, "bmd_change_pct": -0.5, "stiffness_change_pct": -1.0, "focal_lesion": False,
    "age_years": 40.0, "observed_years": 3.0, "sex": "female", "bone_alp_u_per_l": 18.0, "alp_u_per_l": 63.0,
    "creatinine_umol_per_l": 60.0,
    "egfr_ml_per_min": 125.0, "fgf23_ru_per_ml": 60.0, "albumin_g_per_l": 42.0, "inr": 1.0,
}


def supported(findings):
    return {c.name for c in differential(findings) if c.supported}


def test_panel_flags_low_high_and_normal():
    flags = {r.test.key: r.flag for r in panel({**NORMAL, "pth_pmol_per_l": 9.0, "vitamin_d_25oh_nmol_per_l": 20.0,
                                                 "m_protein_g_per_l": 3.0})}
    assert flags["pth_pmol_per_l"] == "H" and flags["vitamin_d_25oh_nmol_per_l"] == "L"
    assert flags["m_protein_g_per_l"] == "H" and flags["serum_calcium_mmol_per_l"] == ""
    text = format_panel(panel(NORMAL))
    assert "| PTH | 3.5 | pmol/L | 1.6-6.9 |  |" in text and "| M-protein | 0 | g/L | none |" in text
    assert len(panel(NORMAL)) == len(TESTS)


def test_panel_values_read_drivers_as_free_t4_and_crp():
    row = {"serum_ca": 2.4, "serum_phosphate": 1.1, "pth": 3.0, "vitamin_d_25oh": 70.0, "fgf23": 60.0, "ctx": 0.3,
           "p1np": 40.0, "m_protein": 0.0}
    values = panel_values(row, Drivers(thyroid=2.0, cytokines=1.0, bilirubin_umol_per_l=80.0))
    assert values["free_t4_pmol_per_l"] == 32.0 and values["crp_mg_per_l"] == 16.0
    assert values["bilirubin_umol_per_l"] == 80.0
    assert values["albumin_g_per_l"] == 42.0 and values["inr"] == 1.0  # a healthy liver by default


def test_albumin_and_inr_read_the_liver_function_through_the_child_pugh_classes():
    row = {"serum_ca": 2.4, "serum_phosphate": 1.1, "pth": 3.0, "vitamin_d_25oh": 70.0, "fgf23": 60.0, "ctx": 0.3,
           "p1np": 40.0, "m_protein": 0.0}
    def labs(h):
        return panel_values(row, Drivers(liver_function=h))
    assert labs(0.8)["albumin_g_per_l"] > 35.0 and labs(0.8)["inr"] < 1.7     # class A
    assert 28.0 < labs(0.6)["albumin_g_per_l"] < 35.0 and labs(0.6)["inr"] < 1.7   # class B albumin
    assert labs(0.3)["albumin_g_per_l"] < 28.0 and labs(0.3)["inr"] > 2.3      # class C
    flags = {r.test.key: r.flag for r in panel(labs(0.6))}
    assert flags["albumin_g_per_l"] == "L" and flags["inr"] == "H"


def test_healthy_findings_point_to_no_secondary_cause():
    assert supported(NORMAL) == {"healthy"}


def test_low_vitamin_d_with_calcium_stress_or_inflammation_points_to_malabsorption():
    low_d = {**NORMAL, "vitamin_d_25oh_nmol_per_l": 30.0}
    found = supported({**low_d, "pth_pmol_per_l": 9.5})                      # secondary hyperparathyroidism
    assert "celiac" in found and "healthy" not in found
    assert "celiac" in supported({**low_d, "serum_phosphate_mmol_per_l": 0.75})   # low phosphate
    assert "celiac" in supported({**low_d, "serum_calcium_mmol_per_l": 2.2})      # calcium at the bottom of range
    assert "celiac" in supported({**low_d, "crp_mg_per_l": 6.0})                  # gut inflammation
    assert "celiac" not in supported(low_d)                                       # low vitamin D alone
    assert "celiac" not in supported({**NORMAL, "pth_pmol_per_l": 9.5})            # high PTH with vitamin D replete


def test_high_free_t4_points_to_hyperthyroidism_with_turnover_beside_it():
    causes = {c.name: c for c in differential({**NORMAL, "free_t4_pmol_per_l": 45.0})}
    assert causes["hyperthyroid"].supported and "not high turnover" in " ".join(causes["hyperthyroid"].reasons)
    assert "hyperthyroid" not in supported({**NORMAL, "free_t4_pmol_per_l": 20.0})


def test_an_m_protein_points_to_myeloma_and_a_focal_lesion_is_named():
    lesion = next(c for c in differential({**NORMAL, "m_protein_g_per_l": 5.0, "focal_lesion": True}) if c.name == "myeloma")
    assert lesion.supported and "a focal lytic lesion" in lesion.reasons
    assert "myeloma" in supported({**NORMAL, "m_protein_g_per_l": 5.0})
    assert "myeloma" not in supported({**NORMAL, "focal_lesion": True})


def test_wide_osteoid_seams_point_to_osteomalacia_with_a_warning():
    causes = {c.name: c for c in differential({**NORMAL, "o_th_um": 22.0, "ov_bv_pct": 8.0})}
    assert causes["osteomalacia"].supported and "antiresorptive" in causes["osteomalacia"].warning
    assert not causes["osteomalacia"].supported or causes["healthy"].supported is False


EXPLAINED = {"estrogen": 0.3}
"""A history that explains bone loss (estrogen deficiency), so that only the osteocyte and rapid-loss signs of
glucocorticoid excess are tested, not unexplained loss."""


def test_dying_osteocytes_with_falling_bmd_point_to_glucocorticoid():
    gc = {**NORMAL, **EXPLAINED, "viable_osteocytes_pct": 55.0, "bmd_change_pct": -8.0, "stiffness_change_pct": -30.0}
    assert "glucocorticoid" in supported(gc)
    reasons = next(c for c in differential(gc) if c.name == "glucocorticoid").reasons
    assert "weaker than its density says" in " ".join(reasons)
    assert "glucocorticoid" not in supported({**gc, "viable_osteocytes_pct": 81.0})
    assert "glucocorticoid" not in supported({**gc, "bmd_change_pct": 0.5})


def test_dying_osteocytes_with_suppressed_formation_point_to_glucocorticoid_before_bmd_falls_far():
    # BMD -1% (within the least significant change) is enough when P1NP is low-normal (< 30 ug/L)
    early = {**NORMAL, **EXPLAINED, "viable_osteocytes_pct": 70.0, "bmd_change_pct": -1.0, "p1np_ug_per_l": 20.0}
    assert "glucocorticoid" in supported(early)
    reasons = " ".join(next(c for c in differential(early) if c.name == "glucocorticoid").reasons)
    assert "P1NP 20 ug/L (formation suppressed)" in reasons
    assert "glucocorticoid" not in supported({**early, "p1np_ug_per_l": 40.0})     # formation not suppressed
    assert "glucocorticoid" not in supported({**early, "bmd_change_pct": 0.5})     # BMD not falling
    assert "glucocorticoid" not in supported({**early, "viable_osteocytes_pct": 81.0})  # osteocytes alive


def test_bone_loss_that_neither_labs_nor_history_explain_raises_the_question_of_glucocorticoids():
    man = {**NORMAL, "sex": "male", "age_years": 61.0, "observed_years": 1.0, "bmd_change_pct": -4.0}
    assert "glucocorticoid" in supported(man)
    assert "glucocorticoid" not in supported({**man, "bmd_change_pct": -1.5})            # within the scan's precision
    assert "glucocorticoid" not in supported({**man, "alcohol_g_per_day": 90.0})          # the history explains it
    assert "glucocorticoid" not in supported({**man, "vitamin_d_25oh_nmol_per_l": 20.0})  # a laboratory cause
    assert "glucocorticoid" not in supported({**man, "sex": "female"})                   # a woman past menopause
    # within the precision, but with formation below its reference range (the glucocorticoid pattern, which
    # needs no biopsy); a low-normal P1NP is common in health and does not make the change a loss
    early = {**man, "bmd_change_pct": -1.5, "p1np_ug_per_l": 12.0}
    assert "glucocorticoid" in supported(early)
    assert "glucocorticoid" not in supported({**early, "p1np_ug_per_l": 21.0})
    assert "glucocorticoid" not in supported({**early, "p1np_ug_per_l": 34.0})
    assert "glucocorticoid" not in supported({**early, "bmd_change_pct": 0.5})
    assert "glucocorticoid" not in supported({**early, "alcohol_g_per_day": 90.0})


def test_rapid_loss_with_clear_labs_raises_the_question_of_glucocorticoids():
    rapid = {**NORMAL, **EXPLAINED, "bmd_change_pct": -8.0, "observed_years": 1.0}
    assert "glucocorticoid" in supported(rapid)
    assert "glucocorticoid" not in supported({**rapid, "observed_years": 2.0})             # -4 %/year
    assert "glucocorticoid" not in supported({**rapid, "vitamin_d_25oh_nmol_per_l": 20.0})  # a laboratory cause


def test_osteomalacia_needs_wide_seams_with_raised_osteoid_or_severe_deficiency():
    assert "osteomalacia" not in supported({**NORMAL, "o_th_um": 16.0})            # a wide seam in healthy osteoid
    assert "osteomalacia" in supported({**NORMAL, "o_th_um": 16.0, "ov_bv_pct": 3.0})
    severe = {**NORMAL, "vitamin_d_25oh_nmol_per_l": 5.0}
    assert "osteomalacia" in supported({**severe, "serum_phosphate_mmol_per_l": 0.85})
    assert "osteomalacia" not in supported(severe)


def test_high_turnover_in_an_older_woman_with_clear_labs_points_to_estrogen_loss():
    found = supported({**NORMAL, "age_years": 55.0, "ctx_ng_per_ml": 0.8})
    assert {"postmenopausal", "aromatase_inhibitor"} <= found
    assert "postmenopausal" not in supported({**NORMAL, "age_years": 55.0, "ctx_ng_per_ml": 0.8, "sex": "male"})
    assert "inflammation" in supported({**NORMAL, "crp_mg_per_l": 30.0, "ctx_ng_per_ml": 0.8})
    losing = {**NORMAL, "age_years": 52.0, "bmd_change_pct": -3.0}             # loss beyond DXA's LSC, markers normal
    assert {"postmenopausal", "aromatase_inhibitor"} <= supported(losing)
    assert "postmenopausal" not in supported({**losing, "bmd_change_pct": -2.0})  # within the precision of DXA


def test_rules_never_read_the_scenario_name():
    assert supported({**NORMAL, "scenario": "myeloma"}) == {"healthy"}


def test_focal_lesion_detects_concentrated_not_diffuse_loss():
    start = np.zeros((200, 200), dtype=bool)
    start[::10, :] = True
    start[:, ::10] = True
    focal = start.copy()
    focal[70:130, 70:130] = False  # a 600 um hole in a 2 mm slice
    diffuse = start & (np.random.default_rng(1).random(start.shape) > 0.1)
    assert focal_lesion(start, focal, 10.0)
    assert not focal_lesion(start, diffuse, 10.0)
    assert not focal_lesion(start, start, 10.0)


ALL_CAUSES = {"celiac", "osteomalacia", "hyperthyroid", "myeloma", "glucocorticoid", "inflammation", "postmenopausal",
              "aromatase_inhibitor", "immobilisation", "scurvy", "lithium", "ckd", "primary_hyperparathyroidism",
              "alcohol", "smoking", "cholestatic_liver", "cirrhosis", "thyroxine_excess", "androgen_deprivation",
              "multiple_sclerosis", "rheumatoid_arthritis", "healthy"}


@pytest.mark.parametrize(("key", "companion", "not_shown"), [
    # PTH missing: high PTH is not shown, so low vitamin D alone does not point to malabsorption
    ("pth_pmol_per_l", {"vitamin_d_25oh_nmol_per_l": 30.0}, "celiac"),
    # Z-score missing: a low Z-score is not shown, so it cannot count against "healthy"
    ("z_score", {}, None),
])
def test_missing_findings_count_as_not_shown(key, companion, not_shown):
    findings = {k: v for k, v in {**NORMAL, **companion}.items() if k != key}
    causes = differential(findings)
    assert {c.name for c in causes} == ALL_CAUSES  # every cause still weighed, once
    flags = [c.supported for c in causes]
    assert flags == sorted(flags, reverse=True)     # supported ones first
    if not_shown:
        assert not_shown not in supported(findings)
        assert not_shown in supported({**findings, key: 9.5})  # the same findings with the value shown
    else:
        assert supported(findings) == {"healthy"}
        assert "healthy" not in supported({**findings, key: -2.5})


@pytest.mark.parametrize(("history", "cause"), [
    ({"mechanical_loading": 0.2}, "immobilisation"),
    ({"vitamin_c_umol_per_l": 3.0}, "scurvy"),
    ({"lithium_mmol_per_l": 0.8}, "lithium"),
    ({"alcohol_g_per_day": 100.0}, "alcohol"),
    ({"cigarettes_per_day": 20.0}, "smoking"),
])
def test_the_history_names_immobility_scurvy_lithium_alcohol_and_smoking_and_rules_out_healthy(history, cause):
    supported = {c.name for c in differential({**NORMAL, **history}) if c.supported}
    assert cause in supported and "healthy" not in supported
    assert cause not in {c.name for c in differential(NORMAL) if c.supported}


def _ckd(**changes):
    return {c.name: c for c in differential({**NORMAL, "egfr_ml_per_min": 20.0, "creatinine_umol_per_l": 280.0,
                                             "fgf23_ru_per_ml": 220.0, **changes})}


def test_kidney_disease_is_named_from_egfr_with_its_bone_pattern_and_the_denosumab_warning():
    high = _ckd(pth_pmol_per_l=25.0, p1np_ug_per_l=90.0, bone_alp_u_per_l=45.0)
    assert high["ckd"].supported and not high["healthy"].supported
    assert not high["primary_hyperparathyroidism"].supported  # a high PTH in kidney disease is secondary
    assert "osteitis fibrosa" in " ".join(high["ckd"].reasons) and "denosumab" in high["ckd"].warning
    low = _ckd(pth_pmol_per_l=5.0, p1np_ug_per_l=12.0, bone_alp_u_per_l=8.0)
    assert "adynamic" in " ".join(low["ckd"].reasons)
    stage3 = _ckd(egfr_ml_per_min=45.0)
    assert stage3["ckd"].supported and stage3["ckd"].warning == ""  # warning only below eGFR 30
    assert "ckd" not in supported(NORMAL)


def test_primary_hyperparathyroidism_needs_high_calcium_with_pth_not_suppressed():
    assert "primary_hyperparathyroidism" in supported({**NORMAL, "serum_calcium_mmol_per_l": 2.7, "pth_pmol_per_l": 9.0})
    assert "healthy" not in supported({**NORMAL, "serum_calcium_mmol_per_l": 2.7, "pth_pmol_per_l": 9.0})
    # hypercalcaemia with suppressed PTH points elsewhere (e.g. malignancy)
    assert "primary_hyperparathyroidism" not in supported({**NORMAL, "serum_calcium_mmol_per_l": 2.7,
                                                           "pth_pmol_per_l": 1.0})


def test_a_drink_a_day_is_not_heavy_drinking():
    assert "alcohol" not in {c.name for c in differential({**NORMAL, "alcohol_g_per_day": 12.0}) if c.supported}


def test_bilirubin_above_range_points_to_liver_disease_and_is_a_laboratory_cause():
    jaundiced = {**NORMAL, "bilirubin_umol_per_l": 80.0, "age_years": 52.0, "bmd_change_pct": -3.0}
    found = supported(jaundiced)
    assert "cholestatic_liver" in found and "healthy" not in found
    assert "postmenopausal" not in found  # bone loss with a laboratory cause is not put down to menopause alone
    assert "cholestatic_liver" not in supported({**NORMAL, "bilirubin_umol_per_l": 18.0})
    assert "cirrhosis" not in found  # the liver still makes its proteins


def test_a_liver_that_fails_to_make_albumin_and_clotting_factors_reads_as_cirrhosis_not_cholestasis():
    cirrhotic = {**NORMAL, "albumin_g_per_l": 32.0, "inr": 1.5, "bilirubin_umol_per_l": 30.0, "sex": "male",
                 "age_years": 57.0, "bmd_change_pct": -3.0}
    found = supported(cirrhotic)
    assert "cirrhosis" in found and "cholestatic_liver" not in found and "healthy" not in found
    assert "cirrhosis" in supported({**NORMAL, "inr": 1.5}) and "cirrhosis" in supported({**NORMAL, "albumin_g_per_l": 30.0})
    assert "cirrhosis" not in supported({**NORMAL, "albumin_g_per_l": 36.0, "inr": 1.15})
def test_a_suppressed_tsh_with_free_t4_in_range_reads_as_thyroxine_excess_not_overt_hyperthyroidism():
    row = {"serum_ca": 2.4, "serum_phosphate": 1.1, "pth": 3.0, "vitamin_d_25oh": 70.0, "fgf23": 60.0, "ctx": 0.3,
           "p1np": 40.0, "m_protein": 0.0}
    euthyroid, over, overt = (panel_values(row, Drivers(thyroid=t)) for t in (1.0, 1.35, 3.0))
    assert euthyroid["tsh_miu_per_l"] == 1.5                                # mid-normal
    assert over["tsh_miu_per_l"] == pytest.approx(1.5 * 100.0 ** -0.35)      # 0.30 mU/L: below 0.4
    assert over["free_t4_pmol_per_l"] == pytest.approx(21.6)                # still within 12-22
    subclinical = {**NORMAL, "tsh_miu_per_l": over["tsh_miu_per_l"], "free_t4_pmol_per_l": 21.6}
    assert "thyroxine_excess" in supported(subclinical) and "healthy" not in supported(subclinical)
    assert "hyperthyroid" not in supported(subclinical)
    frank = {**NORMAL, "tsh_miu_per_l": overt["tsh_miu_per_l"], "free_t4_pmol_per_l": overt["free_t4_pmol_per_l"]}
    assert "hyperthyroid" in supported(frank) and "thyroxine_excess" not in supported(frank)


def test_sex_steroid_loss_is_read_by_sex():
    man, woman = {**NORMAL, "sex": "male", "age_years": 70.0}, {**NORMAL, "age_years": 70.0}
    assert "androgen_deprivation" in supported({**man, "estrogen": 0.2})
    assert "androgen_deprivation" not in supported(man)                             # a eugonadal man
    assert "androgen_deprivation" not in supported({**woman, "estrogen": 0.2})      # a woman: menopause instead
    assert "postmenopausal" in supported({**woman, "estrogen": 0.2})


def test_reduced_mobility_with_low_vitamin_d_reads_as_neurological_disability():
    ms = {**NORMAL, "mechanical_loading": 0.7, "vitamin_d_25oh_nmol_per_l": 38.0}
    assert "multiple_sclerosis" in supported(ms) and "healthy" not in supported(ms)
    assert "immobilisation" not in supported(ms)                                    # walking, not bed-bound
    assert "multiple_sclerosis" not in supported({**ms, "vitamin_d_25oh_nmol_per_l": 75.0})
    assert "multiple_sclerosis" not in supported({**ms, "mechanical_loading": 1.0})


def test_synovitis_on_examination_names_rheumatoid_arthritis_and_reports_the_marginal_erosion():
    ra = {**NORMAL, "synovitis": 1.0, "crp_mg_per_l": 8.5, "marginal_bone_loss_pct": 17.0,
          "far_side_bone_loss_pct": 0.5}
    causes = {c.name: c for c in differential(ra)}
    assert causes["rheumatoid_arthritis"].supported and not causes["healthy"].supported
    assert any("marginal erosion" in reason for reason in causes["rheumatoid_arthritis"].reasons)
    assert "rheumatoid_arthritis" not in supported({**NORMAL, "crp_mg_per_l": 30.0})  # CRP alone: inflammation


def test_the_osteocyte_reference_follows_the_site_and_the_age():
    """The hip's cortical shell holds older matrix, and older bone more empty lacunae, in health."""
    hip = {**NORMAL, **EXPLAINED, "site": "hip", "viable_osteocytes_pct": 70.0, "bmd_change_pct": -3.0}
    assert "glucocorticoid" not in supported(hip)
    assert "glucocorticoid" in supported({**hip, "site": "spine"})
    assert "glucocorticoid" in supported({**hip, "viable_osteocytes_pct": 60.0})
    # 62% at the hip: low for a woman of 40, as expected at 60 (healthy model after a year: 68.3% from 40, 59.4% from 55)
    aged = {**hip, "viable_osteocytes_pct": 62.0, "observed_years": 1.0}
    assert "glucocorticoid" in supported(aged)
    assert "glucocorticoid" not in supported({**aged, "age_years": 60.0})
