"""Virtual DXA: projection arithmetic, scores against worked examples, categories, artefacts, reports."""

import math
import timeit

import numpy as np
import pytest

from bonegrid.microarchitecture import generate, starting_parameters
from bonegrid.model import BoneModel
from bonegrid.parameters import ParameterError
from bonegrid.readouts.dxa import (
    BELOW_EXPECTED,
    REFERENCE_CURVES,
    WITHIN_EXPECTED,
    YOUNG_ADULT,
    Artefacts,
    DXAParameters,
    age_matched_reference,
    areal_bmd,
    calibration,
    dxa,
    projected_fraction,
    scan,
    slice_areal_mineral_g_cm2,
    t_score,
    two_site_report,
    who_category,
    z_score,
)

P = DXAParameters()
H = 10.0  # um


def uniform_for_bmd(bmd, site, age=65, sex="female", shape=(64, 64)):
    """A uniform mineral grid that reads ``bmd`` (g/cm^2) at ``site`` for a patient of ``age`` and ``sex``."""
    c = calibration(site, sex, age, shape[0] * H)
    m = (bmd - c.outside_g_cm2) / (c.tissue_mineral_density_g_cm3 * c.path_length_cm)
    assert 0.0 <= m <= 1.0
    return np.full(shape, m)


def scan_at_t(site, t, age=65, sex="female", **kw):
    """A scan whose T-score is ``t`` (women's reference)."""
    mean, sd = YOUNG_ADULT[(site, "female")]
    return scan(uniform_for_bmd(mean + t * sd, site, age, sex), H, site, age, sex, **kw)


# ------------------------------------------------------------------------------ projection
HAND = DXAParameters(healthy_matrix_mineral=0.8, spine_posterior_elements_g_cm2=0.3, spine_cortical_shell_g_cm2=0.1,
                     hip_outside_slice_g_cm2=0.05)
"""Calibration inputs for hand computation: a healthy slice's matrix holds 0.8 of full mineral."""


def test_uniform_slab_reads_the_hand_computed_bmd():
    # Rows 0-49 of 100 at mineral 0.8, the rest marrow: every ray holds 50 voxels x 0.8.
    mineral = np.zeros((100, 40))
    mineral[:50] = 0.8
    np.testing.assert_allclose(projected_fraction(mineral), 0.4)
    # slice itself: 1.2 g/cm^3 x 10e-4 cm x 50 x 0.8 = 0.048 g/cm^2 per ray
    np.testing.assert_allclose(slice_areal_mineral_g_cm2(mineral, H), 0.048)
    # A woman of 26 (the young node, band 21-30): a healthy spine slice projects p_h = 0.8 x 0.1588 (target BV/TV,
    # 0.16 at 25 less 1/25 of the 0.03 lost by 50) = 0.12704 and reads the young mean 1.064 with B = 0.4, so
    # BMD(p) = 0.4 + (1.064 - 0.4) p / 0.12704 = 0.4 + 0.664 x 3.14861 = 2.49068.
    assert areal_bmd(mineral, H, "spine", "female", 26, params=HAND) == pytest.approx(2.49068, abs=1e-5)
    # Hip, a 1 mm tall window: cortex share min(1000, 0.45 x 1000) / 1000 = 0.45 at porosity 0.045 over a core of
    # BV/TV 0.28: 0.45 x 0.955 + 0.55 x 0.28 = 0.58375, p_h = 0.467; BMD = 0.05 + (0.858 - 0.05) x 0.4 / 0.467.
    assert areal_bmd(mineral, H, "hip", "female", 25, params=HAND) == pytest.approx(0.05 + 0.808 * 0.4 / 0.467)


def test_older_patients_carry_more_mineral_outside_the_slice_at_the_spine():
    # Woman of 80: p_h = 0.8 x 0.0675 = 0.054 reads the age-matched mean 0.902 + (4/9)(0.890 - 0.902) = 0.896667;
    # the slope rho L = 0.664 / 0.12704 = 5.22670 per unit fraction is the young adult's.
    c = calibration("spine", "female", 80, 1000.0, HAND)
    assert c.healthy_fraction == pytest.approx(0.054)
    assert c.tissue_mineral_density_g_cm3 * c.path_length_cm == pytest.approx(5.22670, abs=1e-5)
    assert c.bmd(0.054) == pytest.approx(0.896667, abs=1e-6)
    assert c.outside_g_cm2 == pytest.approx(0.896667 - 5.22670 * 0.054, abs=1e-5)         # 0.614, of which 0.4 fixed
    assert areal_bmd(np.zeros((8, 8)), H, "spine", "female", 80, params=HAND) == pytest.approx(c.outside_g_cm2)


def test_beam_runs_along_rows_and_the_mean_does_not_depend_on_orientation():
    across = np.zeros((100, 100))
    across[:, :50] = 0.8                      # a vertical band: rays inside or outside it
    along = np.zeros((100, 100))
    along[:50, :] = 0.8                       # a horizontal band: every ray crosses it
    np.testing.assert_allclose(projected_fraction(across), np.r_[np.full(50, 0.8), np.zeros(50)])
    np.testing.assert_allclose(projected_fraction(along), 0.4)
    assert areal_bmd(across, H, "hip", "female", 60) == pytest.approx(areal_bmd(along, H, "hip", "female", 60))


def test_voxel_size_scales_the_slice_mineral_but_not_the_spine_bmd():
    mineral = np.full((30, 30), 0.5)
    np.testing.assert_allclose(slice_areal_mineral_g_cm2(mineral, 20.0), 2 * slice_areal_mineral_g_cm2(mineral, 10.0))
    assert areal_bmd(mineral, 20.0, "spine", "male", 40) == pytest.approx(areal_bmd(mineral, 10.0, "spine", "male", 40))
    # BMD = rho L / D * mean_j a_j + B with D the slice depth
    c = calibration("spine", "male", 40, 600.0)
    a = slice_areal_mineral_g_cm2(mineral, 20.0).mean()
    assert areal_bmd(mineral, 20.0, "spine", "male", 40) == pytest.approx(a * c.path_length_cm / 0.06 + c.outside_g_cm2)


def test_bmd_is_linear_in_mineral_and_a_young_adults_empty_slice_reads_the_fixed_part():
    assert areal_bmd(np.zeros((8, 8)), H, "spine", "female", 26) == pytest.approx(0.45)     # the young nodes
    assert areal_bmd(np.zeros((8, 8)), H, "hip", "female", 25) == pytest.approx(0.0)
    half, full = (areal_bmd(np.full((8, 8), m), H, "hip", "male", 60) for m in (0.5, 1.0))
    zero = areal_bmd(np.zeros((8, 8)), H, "hip", "male", 60)
    assert full - half == pytest.approx(half - zero)


@pytest.mark.parametrize("site, sex", [("spine", "female"), ("spine", "male"), ("hip", "female"), ("hip", "male")])
def test_calibration_makes_a_healthy_slice_of_every_age_read_its_reference(site, sex):
    young_mean, _ = YOUNG_ADULT[(site, sex)]
    fixed = 0.45 if site == "spine" else 0.0
    for height in (1280.0, 2560.0):
        young = calibration(site, sex, REFERENCE_CURVES[(site, sex)].ages_years[0], height)
        assert young.bmd(young.healthy_fraction) == pytest.approx(young_mean)
        assert young.outside_g_cm2 == pytest.approx(fixed)
        for age in (30, 45, 55, 65, 80, 90):
            c = calibration(site, sex, age, height)
            mean, _ = age_matched_reference(site, sex, age)
            assert c.bmd(c.healthy_fraction) == pytest.approx(mean)          # Z = 0
            assert c.path_length_cm == pytest.approx(young.path_length_cm)   # one path per patient and window
            if site == "spine":
                # trabecular bone halves while PA BMD falls by a sixth: mineral outside the slice grows with age
                assert c.outside_g_cm2 >= fixed - 1e-9
    # plausible paths: the vertebral body's antero-posterior depth (~3-3.5 cm); at the hip a sample of the neck
    path = calibration(site, sex, 50, 2560.0).path_length_cm
    assert (2.5 <= path <= 4.5) if site == "spine" else (1.0 <= path <= 2.5)


@pytest.mark.parametrize("sex", ["female", "male"])
def test_published_microarchitecture_and_femoral_neck_bmd_agree_with_age(sex):
    # At the hip the slice holds its own cortex: what the reference holds beyond a healthy slice of the
    # same age is a check of the microarchitecture table against NHANES, not a fitted term.
    for age in (30, 55, 80, 90):
        c = calibration("hip", sex, age, 2560.0)
        _, sd = age_matched_reference("hip", sex, age)
        assert abs(c.outside_g_cm2) < 0.5 * sd, age


def test_the_run_keeps_the_calibration_of_day_0():
    mineral = uniform_for_bmd(0.95, "spine", age=60)
    later = scan(mineral, H, "spine", 70, "female", baseline_age_years=60)
    assert later.bmd_g_cm2 == pytest.approx(0.95)                             # same slice, same BMD ten years on
    assert later.z_score == pytest.approx(z_score(0.95, "spine", "female", 70))
    assert scan(mineral, H, "spine", 70, "female").bmd_g_cm2 != pytest.approx(0.95)


# ------------------------------------------------------------------------------ scores
def test_worked_t_score_spine_woman():
    # T = (0.852 - 1.064) / 0.106 = -2.0
    assert t_score(0.852, "spine", "female") == pytest.approx(-2.0)
    r = scan(uniform_for_bmd(0.852, "spine"), H, "spine", 65, "female")
    assert r.bmd_g_cm2 == pytest.approx(0.852)
    assert r.t_score == pytest.approx(-2.0)
    assert r.category == "osteopenia"
    # femoral neck: T = (0.618 - 0.858) / 0.120 = -2.0
    assert t_score(0.618, "hip", "female") == pytest.approx(-2.0)


def test_worked_z_score_from_the_interpolated_table():
    # Woman, spine, age 51: halfway between 41-50 (centre 46: 1.056, 0.134) and 51-60 (centre 56: 0.993, 0.141).
    mean, sd = age_matched_reference("spine", "female", 51)
    assert (mean, sd) == pytest.approx((1.0245, 0.1375))
    assert z_score(0.852, "spine", "female", 51) == pytest.approx((0.852 - 1.0245) / 0.1375)   # -1.2545
    # Man, femoral neck, age 62: 0.7 of the way from 50-59 (0.806) to 60-69 (0.784); young SD 0.136.
    assert z_score(0.600, "hip", "male", 62) == pytest.approx((0.600 - 0.7906) / 0.136)         # -1.4015
    r = scan(uniform_for_bmd(0.852, "spine", age=51), H, "spine", 51, "female")
    assert r.z_score == pytest.approx(-1.254545, abs=1e-5)
    assert (r.age_mean_g_cm2, r.age_sd_g_cm2) == pytest.approx((1.0245, 0.1375))


def test_young_adult_reference_is_the_youngest_band_so_t_equals_z_when_young():
    assert YOUNG_ADULT[("spine", "female")] == (1.064, 0.106)
    assert YOUNG_ADULT[("hip", "female")] == (0.858, 0.120)
    for site in ("spine", "hip"):
        for sex in ("female", "male"):
            assert t_score(0.9, site, sex) == pytest.approx(z_score(0.9, site, sex, 20))


def test_men_may_be_scored_against_the_female_reference():
    mine = t_score(0.8, "hip", "male")
    theirs = t_score(0.8, "hip", "male", DXAParameters(male_t_reference="female"))
    assert mine == pytest.approx((0.8 - 0.930) / 0.136)
    assert theirs == pytest.approx((0.8 - 0.858) / 0.120)


@pytest.mark.parametrize("t, category", [
    (0.5, "normal"), (-1.0, "normal"), (math.nextafter(-1.0, -2.0), "osteopenia"), (-2.0, "osteopenia"),
    (math.nextafter(-2.5, 0.0), "osteopenia"), (-2.5, "osteoporosis"), (-4.0, "osteoporosis")])
def test_who_thresholds(t, category):
    assert who_category(t) == category


def test_categories_read_the_reported_one_decimal_scores():
    assert scan_at_t("spine", -2.46).category == "osteoporosis"     # reported -2.5
    assert scan_at_t("spine", -2.44).category == "osteopenia"       # reported -2.4
    assert scan_at_t("spine", -1.04).category == "normal"           # reported -1.0


def test_ageing_curves_fall_after_thirty_for_women():
    ages = np.arange(36.0, 90.01, 0.5)          # spine peaks in the 31-40 band (NHANES 2005-2008)
    for site in ("spine", "hip"):
        means = np.array([age_matched_reference(site, "female", a)[0] for a in ages])
        assert np.all(np.diff(means) <= 0), site
        assert means[-1] < means[0] - 0.1, site
    hip = np.array([age_matched_reference("hip", "female", a)[0] for a in np.arange(20.0, 90.01, 0.5)])
    assert np.all(np.diff(hip) <= 0)
    for curve in REFERENCE_CURVES.values():
        assert len(curve.ages_years) == len(curve.mean_g_cm2) == len(curve.sd_g_cm2)
        assert np.all(np.diff(curve.ages_years) > 0) and min(curve.sd_g_cm2) > 0


def test_iscd_rule_uses_z_before_menopause_and_in_men_under_fifty():
    young = scan_at_t("spine", -2.6, age=40)       # premenopausal woman: WHO does not apply
    assert young.category == "osteoporosis" and not young.who_applies
    assert young.z_score <= -2.0 and young.z_flag
    assert young.diagnosis == BELOW_EXPECTED
    early = scan_at_t("spine", -2.6, age=40, postmenopausal=True)
    assert early.who_applies and early.diagnosis == "osteoporosis"
    assert scan_at_t("spine", -2.6, age=55).diagnosis == "osteoporosis"       # taken as postmenopausal
    man_45 = scan_at_t("hip", -0.5, age=45, sex="male")
    man_55 = scan_at_t("hip", -0.5, age=55, sex="male")
    assert not man_45.who_applies and man_45.diagnosis == WITHIN_EXPECTED
    assert man_55.who_applies and not man_55.postmenopausal


def test_z_flag_at_exactly_minus_two():
    mean, sd = age_matched_reference("hip", "female", 30)
    at = scan(uniform_for_bmd(mean - 2.0 * sd, "hip", age=30), H, "hip", 30, "female")
    above = scan(uniform_for_bmd(mean - 1.9 * sd, "hip", age=30), H, "hip", 30, "female")
    assert at.z_score == pytest.approx(-2.0) and at.z_flag
    assert not above.z_flag


# ------------------------------------------------------------------------------ artefacts
def test_artefacts_raise_spine_bmd_by_the_documented_amount():
    mineral = np.full((32, 32), 0.2)
    plain = scan(mineral, H, "spine", 75, "female")
    art = Artefacts(aortic_calcification_score=10, osteophyte_grade=2)
    with_art = scan(mineral, H, "spine", 75, "female", artefacts=art)
    assert with_art.artefact_g_cm2 == pytest.approx(10 * 0.002 + 2 * 0.05)      # 0.12 g/cm^2
    assert with_art.bmd_g_cm2 == pytest.approx(plain.bmd_g_cm2 + 0.12)
    assert with_art.t_score == pytest.approx(plain.t_score + 0.12 / 0.106)
    assert plain.artefact_g_cm2 == 0.0


def test_artefacts_cannot_be_applied_at_the_hip():
    mineral = np.full((32, 32), 0.4)
    with pytest.raises(ParameterError, match="spine only"):
        scan(mineral, H, "hip", 75, "female", artefacts=Artefacts(osteophyte_grade=1))
    # no artefact is no artefact
    assert scan(mineral, H, "hip", 75, "female", artefacts=Artefacts()) == scan(mineral, H, "hip", 75, "female")


def test_artefact_severities_are_validated():
    with pytest.raises(ParameterError, match="osteophyte_grade"):
        Artefacts(osteophyte_grade=4)
    with pytest.raises(ParameterError, match="aortic_calcification_score"):
        Artefacts(aortic_calcification_score=-1)
    with pytest.raises(ParameterError, match="artefacts"):
        scan(np.zeros((4, 4)), H, "spine", 60, "female", artefacts={"osteophyte_grade": 1})


# ------------------------------------------------------------------------------ two sites
def test_spine_above_hip_is_flagged_with_an_artefact_hint():
    report = two_site_report(scan_at_t("spine", 0.3), scan_at_t("hip", -1.2))
    assert report.t_difference == pytest.approx(1.5)
    assert report.discordant and report.spine_higher
    assert report.category_discordance == "minor"
    assert report.lowest.site == "hip" and report.diagnosis == "osteopenia"
    assert "aortic calcification" in report.message and "osteophytes" in report.message


def test_artefacts_can_make_the_spine_discordant():
    mean, sd = YOUNG_ADULT[("spine", "female")]
    mineral = uniform_for_bmd(mean - 1.0 * sd, "spine", age=75)
    hip = scan_at_t("hip", -1.0, age=75)
    clean = two_site_report(scan(mineral, H, "spine", 75, "female"), hip)
    art = scan(mineral, H, "spine", 75, "female", artefacts=Artefacts(aortic_calcification_score=12, osteophyte_grade=3))
    dirty = two_site_report(art, hip)
    assert not clean.discordant
    assert dirty.spine_higher and "Artefacts entered add 0.174" in dirty.message


def test_hip_above_spine_is_discordant_without_artefact_hint():
    report = two_site_report(scan_at_t("spine", -2.0), scan_at_t("hip", -0.5))
    assert report.discordant and not report.spine_higher
    assert "aortic" not in report.message
    assert report.lowest.site == "spine"


def test_concordant_and_major_category_discordance():
    close = two_site_report(scan_at_t("spine", -1.2), scan_at_t("hip", -1.5))
    assert not close.discordant and close.category_discordance == "none" and "Concordant" in close.message
    major = two_site_report(scan_at_t("spine", 0.0), scan_at_t("hip", -2.6))
    assert major.category_discordance == "major" and major.diagnosis == "osteoporosis"


def test_two_site_report_needs_spine_and_hip_of_one_patient():
    spine, hip = scan_at_t("spine", -1.0), scan_at_t("hip", -1.0)
    with pytest.raises(ParameterError, match="expected \\('spine', 'hip'\\)"):
        two_site_report(hip, spine)
    with pytest.raises(ParameterError, match="one patient"):
        two_site_report(spine, scan_at_t("hip", -1.0, sex="male"))
    with pytest.raises(ParameterError, match="one patient"):
        two_site_report(spine, scan_at_t("hip", -1.0, age=70))


# ------------------------------------------------------------------------------ validation
@pytest.mark.parametrize("kwargs, match", [
    (dict(site="femur"), "site='femur' is not allowed: expected one of 'spine', 'hip'"),
    (dict(sex="F"), "sex='F' is not allowed: expected one of 'female', 'male'"),
    (dict(age_years=19), "age_years=19 is out of range: allowed 20 <= age <= 90"),
    (dict(age_years=91.5), "age_years=91.5 is out of range"),
    (dict(age_years=float("nan")), "age_years=nan is out of range"),
    (dict(age_years="50"), "age_years='50' has the wrong type"),
    (dict(age_years=True), "age_years=True has the wrong type"),
    (dict(voxel_size_um=0.0), "voxel_size_um=0.0 is not allowed"),
    (dict(mineral=np.full((4, 4), 1.2)), "expected mineral fractions 0 <= m <= 1"),
    (dict(mineral=np.full((4, 4), np.nan)), "expected mineral fractions"),
    (dict(mineral=np.zeros(16)), "shape \\(16,\\) is not allowed"),
    (dict(mineral=np.ones((4, 4), dtype=bool)), "dtype bool"),
    (dict(postmenopausal="yes"), "postmenopausal='yes' is not allowed"),
])
def test_bad_inputs_name_the_value_and_what_is_allowed(kwargs, match):
    args = dict(mineral=np.full((4, 4), 0.3), voxel_size_um=H, site="spine", age_years=60, sex="female")
    args.update(kwargs)
    with pytest.raises(ParameterError, match=match):
        scan(**args)


def test_parameters_are_validated():
    with pytest.raises(ParameterError, match="male_t_reference"):
        DXAParameters(male_t_reference="mixed")
    with pytest.raises(ParameterError, match="tissue_mineral_density_g_cm3"):
        DXAParameters(tissue_mineral_density_g_cm3=0.0)


# ------------------------------------------------------------------------------ generated slices
@pytest.fixture(scope="module")
def spine_model():
    return BoneModel(site="spine", grid=128, seed=1)


def test_healthy_model_spine_reads_its_age_and_is_not_changed(spine_model):
    before = spine_model.tissue.mineral.copy()
    r = dxa(spine_model, 50, "female")
    assert np.array_equal(spine_model.tissue.mineral, before)
    assert r.site == "spine" and r.sex == "female" and r.age_years == 50.0
    assert -0.6 < r.z_score < 0.6
    assert r.category == "normal" and not r.z_flag
    assert r == scan(spine_model.tissue.mineral, spine_model.params.run.voxel_size_um, "spine", 50, "female")


@pytest.mark.parametrize("site, sex, age", [(site, sex, age) for site in ("spine", "hip") for sex in ("female", "male")
                                            for age in (30, 55, 80)])
def test_healthy_generated_slices_read_their_reference(site, sex, age):
    # Slices of the patient's target at the healthy matrix mineral: 256 x 256 and a 128-row window (whose hip
    # cortex is clipped to 45 % of its height), seeds 1-2.
    for shape in ((256, 256), (128, 192)):
        z = [scan(generate(site, shape, H, np.random.default_rng(seed), starting_parameters(site, sex, age))
                  * P.healthy_matrix_mineral, H, site, age, sex).z_score for seed in (1, 2)]
        assert abs(np.mean(z)) < 0.3, (shape, z)


@pytest.mark.parametrize("site, sex, age", [
    pytest.param("spine", "female", 30, marks=pytest.mark.xfail(strict=True, reason=(
        "seed 3 reads Z -0.62 with the canopy (-0.44 without); over seeds 1-8 the healthy woman of 30 reads a mean Z "
        "of -0.43 with it and -0.42 without (256², after the burn-in): the DXA reference reads her low by ~0.4 SD "
        "whatever the canopy, and one seed crosses 0.5"))),
    ("spine", "male", 80), ("hip", "female", 80), ("hip", "male", 55)])
def test_healthy_models_read_their_reference_after_the_burn_in(site, sex, age):
    # What the calibration's healthy_matrix_mineral stands for: a healthy model at day 0 (1-year burn-in), on
    # the calibration's 2.56 mm window (a 1.28 mm window of sparse spine bone samples BV/TV too coarsely: seed 3
    # of a woman of 30 reads Z +0.64 there and +0.09 at 256 x 256).
    model = BoneModel(site=site, grid=256, seed=3, age_years=age, sex=sex)
    z = model.timeseries()["z_score"].iloc[0]
    assert abs(z) < 0.5, z


def test_scan_is_cheap_at_256():
    mineral = np.random.default_rng(0).uniform(0.0, 1.0, (256, 256))
    per_call = min(timeit.repeat(lambda: scan(mineral, H, "spine", 60, "female"), number=20, repeat=5)) / 20
    assert per_call < 1e-3
