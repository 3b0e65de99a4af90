"""The detective: which secondary causes of bone loss do the findings point to, and why.

Rules read readouts only (the blood panel, DXA, histomorphometry, the slice's strength and
the picture of bone lost), never the scenario's name, so the same rules work in the mystery
mode of the dashboard and on any run. Each rule states the clinical reasoning it encodes:

- malabsorption (celiac): low 25(OH)D with a sign of calcium stress (PTH above range, phosphate
  below range, calcium in the lowest part of its range) or of gut inflammation (CRP above range):
  the work-up screens for celiac disease (tissue transglutaminase antibodies);
- osteomalacia: wide osteoid seams with raised osteoid volume, or severe vitamin D deficiency
  (< 25 nmol/L) with phosphate low or low-normal or PTH above range -- and a warning against
  antiresorptives until vitamin D and calcium are repleted;
- hyperthyroidism: free T4 above range (turnover markers reported beside it);
- multiple myeloma: any M-protein in a patient with bone loss (a focal lytic lesion is reported
  beside it; the marrow examination decides);
- glucocorticoid excess: dying osteocytes with falling BMD (by more than 2%, or at all with the
  formation marker low or low-normal: glucocorticoids suppress osteoblast collagen and osteocalcin,
  Pearce 1998; low osteocalcin marks hypercortisolism, Chiodini 2016), or BMD falling faster than
  5%/year with clear labs (rapid loss prompts the question about steroid use), or bone loss that
  neither the labs nor the history (immobility, alcohol, smoking, lithium, scurvy, estrogen loss or a
  woman past 45) explains: beyond the least significant change, or any loss with the formation marker
  below its reference range (low formation is the glucocorticoid pattern; a low-normal P1NP is common
  in healthy adults, so it does not make a change within the scan's precision a loss; unexplained loss in a man or a
  younger woman is where steroid use, including inhaled, is asked for first; Compston 2018); the
  stiffness lost against the BMD lost is reported beside it;
- chronic inflammation: CRP above range with high resorption or BMD falling beyond the least
  significant change;
- estrogen deficiency (menopause or aromatase inhibitor): high turnover, or BMD lost beyond the
  least significant change of DXA, in a woman of 45 or more with no laboratory cause (the history
  tells menopause from an aromatase inhibitor);
- chronic kidney disease (CKD-MBD): eGFR below 60 (creatinine raised); FGF23, phosphate and PTH
  are reported beside it, with the likely bone pattern: high turnover (osteitis fibrosa) when PTH
  is above twice its upper limit with a formation marker or bone ALP high, low turnover (adynamic
  bone) when PTH is below twice its upper limit with formation markers low or low-normal -- and a
  warning against denosumab below eGFR 30 (severe hypocalcaemia);
- primary hyperparathyroidism: calcium above range with PTH not suppressed (above mid-normal) and
  kidney function preserved (eGFR 60 or more; in kidney disease a high PTH is secondary);
- heavy drinking: the history (alcohol above ~3 units a day), with the formation marker, PTH and the
  osteocytes reported beside it (alcohol poisons osteoblasts: formation low, PTH low-normal);
- smoking: the history (a current smoker), with 25(OH)D and CTX reported beside it;
- cholestatic liver disease: total bilirubin above range with albumin and INR in range (bile held
  back by a liver that still makes its proteins), with 25(OH)D and the formation marker reported beside it;
- cirrhosis: albumin below range or INR above range (the liver fails to make them), with bilirubin,
  25(OH)D, PTH and the formation marker reported beside it, and a prompt to check testosterone;
- thyroid hormone excess (levothyroxine over-replacement): TSH suppressed below range with free T4
  not above it (subclinical hyperthyroidism; the drug history names the source);
- sex-steroid loss in a man (androgen deprivation, hypogonadism): the history (a GnRH agonist, or a
  low testosterone) in a man; aromatised testosterone is his skeletal estrogen;
- neurological disability (e.g. multiple sclerosis): reduced mobility short of bed rest with
  vitamin D below range (ask about glucocorticoid pulses for relapses);
- rheumatoid arthritis: synovitis (swollen, tender joints) on examination; CRP and the bone lost
  at the joint margin (a marginal erosion) against the far side are reported beside it;
- healthy: nothing out of range and BMD within the expected range for age.

Thresholds are clinical ranges (:data:`bonegrid.readouts.panel.NORMAL_RANGES`) and histomorphometric
criteria, except the osteocyte one, which is relative to the healthy model of the same site and age (stated where used).
Laboratory values are means of the last 90 days: one panel, as a clinic draws it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.drivers import Drivers
from bonegrid.readouts.histomorphometry import histomorphometry
from bonegrid.readouts.osteocyte_reference import reference_viable_pct
from bonegrid.readouts.panel import NORMAL_RANGES, panel_values
from bonegrid.readouts.signatures import border_bone_loss_pct
from bonegrid.tissue import MARROW

VIABLE_OSTEOCYTES_SPREAD_PCT = 2.5
"""Spread (points) of healthy seeds around the healthy reference of viable lacunae for the site, the patient's age
and the time observed (:func:`bonegrid.readouts.osteocyte_reference.reference_viable_pct`; 2-3 points at 256²).
Two spreads below it are a sign of osteocyte death; one spread below, with the formation marker low-normal and
BMD falling, is too. Glucocorticoid excess takes 3-7 points in the first year and more later (Weinstein 1998)."""
LOW_NORMAL_CALCIUM = 2.25
"""Total serum calcium (mmol/L) in the lowest part of the normal range (2.15-2.55): a sign of calcium stress."""
LOW_NORMAL_PHOSPHATE = 0.9
"""Serum phosphate (mmol/L) in the lowest part of the normal range (0.8-1.5)."""
SEVERE_VITAMIN_D_DEFICIENCY = 25.0
"""25(OH)D (nmol/L) below which osteomalacia becomes likely (severe deficiency; Holick 2007)."""
SEAM_WIDTH_UM, SEAM_VOLUME_PCT = 15.0, 2.0
"""Osteomalacia on histomorphometry: osteoid seams wider than this (µm) with osteoid volume above this (% of
bone), or osteoid volume above 5% alone (criteria after Parfitt; the healthy model holds ~0.6%)."""
LEAST_SIGNIFICANT_CHANGE_PCT = 2.5
"""BMD change (%) that two spine DXA scans can tell from precision error (about 2.77 x a 1% precision; ISCD)."""
RAPID_LOSS_PCT_PER_YEAR = 5.0
"""BMD loss faster than this (%/year) with clear labs raises the question of glucocorticoid use."""
ESTROGEN_DEFICIENT = 0.5
"""Estrogen relative to premenopausal below which the history reads as estrogen deficiency (menopause, or an
aromatase inhibitor), 1."""
IMMOBILE_LOADING = 0.6
"""Habitual mechanical loading below which the history reads as immobilisation (bed rest, paralysis), 1."""
REPLETE_VITAMIN_C_UMOL_PER_L = 50.0
"""Plasma vitamin C of a replete adult, umol/L (Hodges 1971; the vitamin_c driver's 1)."""
SCURVY_VITAMIN_C_UMOL_PER_L = 11.0
"""Plasma vitamin C below which scurvy is likely, umol/L (Hodges 1971)."""
CKD_EGFR = 60.0
"""eGFR (mL/min/1.73 m²) below which kidney function defines chronic kidney disease (KDIGO 2012)."""
ADVANCED_CKD_EGFR = 30.0
"""eGFR (mL/min/1.73 m²) below which denosumab carries a risk of severe hypocalcaemia (Prolia label warning)."""
HIGH_TURNOVER_PTH_ULN, LOW_NORMAL_P1NP = 2.0, 30.0
"""CKD bone pattern: PTH above this multiple of its upper limit points to high turnover, below it to low turnover
(KDIGO 2009: extremes of PTH predict turnover); P1NP (ug/L) below this counts as low-normal formation (also read
as suppressed formation in the glucocorticoid rule)."""
MID_NORMAL_PTH = 4.25
"""PTH (pmol/L) at the middle of the normal range 1.6-6.9: with hypercalcaemia, PTH above it is not suppressed."""
HEAVY_DRINKING_G_PER_DAY = 30.0
"""Alcohol intake above which the history reads as a cause of bone loss, g/day (~3 units; fracture risk rises
above 2-3 units a day, Kanis 2005)."""
REDUCED_MOBILITY_LOADING = 0.9
"""Habitual mechanical loading below which the history reads as reduced mobility (a walking aid, weak or spastic
legs), 1."""
SYNOVITIS_ON_EXAMINATION = 0.25
"""Synovitis (relative to active untreated rheumatoid arthritis) above which joints are swollen and tender, 1."""
FOCAL_WINDOW_UM = 400.0
"""Half-width of the window in which a focal lesion is looked for, µm: the window (800 µm across) spans a
marrow space of the patients' slices (Tb.Sp 750-1020 µm, ``bonegrid.microarchitecture``), so it holds more
than one strut and a strut removed whole does not read as a lytic lesion (at 300 µm one did, on a healthy
360² spine, seed 2, year 3)."""


@dataclasses.dataclass(frozen=True)
class Cause:
    """A candidate cause: whether the findings support it and the reasons, for or against."""

    name: str
    label: str
    supported: bool
    reasons: tuple[str, ...]
    warning: str = ""


def focal_lesion(start_matrix: np.ndarray, end_matrix: np.ndarray, voxel_size_um: float) -> bool:
    """Whether bone lost since the start is concentrated in one place (a lytic lesion).

    Focal when, within some square window of half-width :data:`FOCAL_WINDOW_UM` that held at
    least half the slice's mean bone density at the start, more than half of that bone is gone
    and that local loss is at least 5 times the loss over the slice (a lytic lesion, not a
    perforated strut or diffuse thinning).
    """
    start = np.asarray(start_matrix, dtype=bool)
    lost = start & ~np.asarray(end_matrix, dtype=bool)
    if not start.any() or not lost.any():
        return False
    size = max(3, int(round(2 * FOCAL_WINDOW_UM / voxel_size_um)) | 1)
    local_start = ndimage.uniform_filter(start.astype(float), size, mode="constant")
    local_lost = ndimage.uniform_filter(lost.astype(float), size, mode="constant")
    enough = local_start >= 0.5 * start.mean()
    if not enough.any():
        return False
    local = np.where(enough, local_lost / np.maximum(local_start, 1e-12), 0.0)
    overall = lost.sum() / start.sum()
    peak = float(local.max())
    return peak > 0.5 and peak >= 5.0 * overall


def _get(findings: Mapping[str, object], key: str) -> float:
    value = findings.get(key, math.nan)
    return float(value) if value is not None else math.nan


def differential(findings: Mapping[str, object]) -> list[Cause]:
    """Weigh every cause against ``findings`` (keys as returned by :func:`findings_from_run`).

    Missing findings count as not shown. Returns one :class:`Cause` per cause, supported ones first.
    """
    f = lambda key: _get(findings, key)  # noqa: E731
    pth, d25, ca, pi = f("pth_pmol_per_l"), f("vitamin_d_25oh_nmol_per_l"), f("serum_calcium_mmol_per_l"), \
        f("serum_phosphate_mmol_per_l")
    ctx, p1np, t4, crp, mprot = f("ctx_ng_per_ml"), f("p1np_ug_per_l"), f("free_t4_pmol_per_l"), f("crp_mg_per_l"), \
        f("m_protein_g_per_l")
    ov, oth, viable = f("ov_bv_pct"), f("o_th_um"), f("viable_osteocytes_pct")
    z, stiff, bmd = f("z_score"), f("stiffness_change_pct"), f("bmd_change_pct")
    rate = bmd / max(f("observed_years"), 0.25)
    age, female = f("age_years"), findings.get("sex") == "female"
    focal = bool(findings.get("focal_lesion", False))
    r = NORMAL_RANGES
    d25_low, pth_high = r["vitamin_d_25oh_nmol_per_l"].flag(d25) == "L", r["pth_pmol_per_l"].flag(pth) == "H"
    t4_high, crp_high = r["free_t4_pmol_per_l"].flag(t4) == "H", r["crp_mg_per_l"].flag(crp) == "H"
    bilirubin = f("bilirubin_umol_per_l")
    jaundiced = r["bilirubin_umol_per_l"].flag(bilirubin) == "H"
    albumin, inr = f("albumin_g_per_l"), f("inr")
    liver_failing = r["albumin_g_per_l"].flag(albumin) == "L" or r["inr"].flag(inr) == "H"
    high_turnover = r["ctx_ng_per_ml"].flag(ctx) == "H" or r["p1np_ug_per_l"].flag(p1np) == "H"
    causes = []

    phosphate_low = r["serum_phosphate_mmol_per_l"].flag(pi) == "L"
    stress = pth_high or phosphate_low or ca < LOW_NORMAL_CALCIUM
    malabsorption = d25_low and (stress or crp_high)
    reasons = [f"25(OH)D {d25:.0f} nmol/L ({'low' if d25_low else 'sufficient'}, normal "
               f"{r['vitamin_d_25oh_nmol_per_l'].text})",
               f"PTH {pth:.2f} pmol/L ({'above' if pth_high else 'within'} {r['pth_pmol_per_l'].text}), calcium "
               f"{ca:.2f} mmol/L, phosphate {pi:.3g} mmol/L ({'calcium stress' if stress else 'no calcium stress'})",
               f"CRP {crp:.1f} mg/L ({'raised: gut inflammation?' if crp_high else 'normal'})"]
    if malabsorption:
        reasons.append("low vitamin D with calcium stress or inflammation: screen for malabsorption (celiac disease: "
                       "tissue transglutaminase antibodies)")
    causes.append(Cause("celiac", "malabsorption (e.g. celiac disease)", malabsorption, tuple(reasons)))

    seams = (oth > SEAM_WIDTH_UM and ov > SEAM_VOLUME_PCT) or ov > 5.0
    deficient = d25 < SEVERE_VITAMIN_D_DEFICIENCY and (pi < LOW_NORMAL_PHOSPHATE or pth_high)
    causes.append(Cause(
        "osteomalacia", "osteomalacia", seams or deficient,
        (f"osteoid seams {oth:.1f} um, osteoid volume {ov:.1f}% of bone (osteomalacia: > {SEAM_WIDTH_UM:g} um "
         f"with > {SEAM_VOLUME_PCT:g}%)",
         f"25(OH)D {d25:.0f} nmol/L ({'severely deficient' if d25 < SEVERE_VITAMIN_D_DEFICIENCY else 'not severe'}), "
         f"phosphate {pi:.2f} mmol/L"),
        warning=("Do not start an antiresorptive (bisphosphonate, denosumab) until vitamin D and calcium are "
                 "repleted: resorption is what keeps serum calcium up.") if seams or deficient else ""))

    causes.append(Cause("hyperthyroid", "hyperthyroidism", t4_high,
                        (f"free T4 {t4:.0f} pmol/L (normal {r['free_t4_pmol_per_l'].text})",
                         f"CTX {ctx:.2f} ng/mL, P1NP {p1np:.0f} ug/L ({'high' if high_turnover else 'not high'} turnover)")))

    causes.append(Cause("myeloma", "multiple myeloma", mprot > 0.0,
                        (f"M-protein {mprot:.1f} g/L ({'present: refer for marrow examination' if mprot > 0 else 'absent'})",
                         "a focal lytic lesion" if focal else "no focal lesion (yet)")))

    weaker = not math.isnan(stiff) and not math.isnan(bmd) and bmd < 0 and stiff < 2.0 * bmd
    site = str(findings.get("site", "spine"))
    observed = f("observed_years")
    reference = reference_viable_pct(site, age - observed, observed)
    low_viable = reference - 2.0 * VIABLE_OSTEOCYTES_SPREAD_PCT
    dying = viable < low_viable
    labs_clear = not (d25_low or pth_high or t4_high or crp_high or mprot > 0
                      or f("egfr_ml_per_min") < CKD_EGFR or r["serum_calcium_mmol_per_l"].flag(ca) == "H"
                      or jaundiced or liver_failing)
    rapid = rate < -RAPID_LOSS_PCT_PER_YEAR and labs_clear
    formation_suppressed = p1np < LOW_NORMAL_P1NP
    falling = bmd < -2.0 or (bmd < 0.0 and formation_suppressed)
    # the history a clinician takes first: causes it names explain bone loss without a steroid
    history_explains = (f("mechanical_loading") < REDUCED_MOBILITY_LOADING
                        or f("alcohol_g_per_day") > HEAVY_DRINKING_G_PER_DAY or f("cigarettes_per_day") > 0.0
                        or f("lithium_mmol_per_l") > 0.0 or f("vitamin_c_umol_per_l") < SCURVY_VITAMIN_C_UMOL_PER_L
                        or f("estrogen") < ESTROGEN_DEFICIENT or (female and age >= 45.0))
    unexplained = labs_clear and not history_explains and (
        bmd <= -LEAST_SIGNIFICANT_CHANGE_PCT
        or (r["p1np_ug_per_l"].flag(p1np) == "L" and bmd < 0.0))
    causes.append(Cause("glucocorticoid", "glucocorticoid excess", (dying and falling) or rapid or unexplained,
                        (f"viable osteocytes {viable:.0f}% of lacunae (low below {low_viable:.0f}% at the "
                         f"{site} for age {age:.0f})",
                         "bone lost with clear labs and nothing in the history to explain it" if unexplained
                         else "the loss is explained (labs or history) or within the scan's precision",
                         f"P1NP {p1np:.0f} ug/L ({'formation suppressed' if formation_suppressed else 'not suppressed'})",
                         f"BMD {rate:+.1f}%/year ({'rapid loss with clear labs' if rapid else 'not rapid'})",
                         f"stiffness {stiff:+.0f}% against BMD {bmd:+.1f}% "
                         f"({'weaker than its density says' if weaker else 'in step with density'})",
                         "ask about glucocorticoid use (including inhaled and intra-articular)")))

    losing = bmd <= -LEAST_SIGNIFICANT_CHANGE_PCT
    causes.append(Cause("inflammation", "chronic inflammation", crp_high and (ctx > 0.45 or losing),
                        (f"CRP {crp:.1f} mg/L (normal {r['crp_mg_per_l'].text})",
                         f"CTX {ctx:.2f} ng/mL, BMD {bmd:+.1f}% since the first scan")))

    estrogen_deficient = f("estrogen") < ESTROGEN_DEFICIENT  # the history: menopause, or an aromatase inhibitor
    estrogen = female and (estrogen_deficient or (age >= 45.0 and (high_turnover or losing))) and labs_clear
    estrogen_reasons = (f"{'a woman' if female else 'not a woman'} of {age:.0f}"
                        f"{' after menopause or on an aromatase inhibitor' if estrogen_deficient else ''}",
                        f"CTX {ctx:.2f} ng/mL, P1NP {p1np:.0f} ug/L ({'high' if high_turnover else 'not high'} "
                        f"turnover); BMD {bmd:+.1f}% since the first scan", "no laboratory cause found" if labs_clear
                        else "a laboratory cause is present", "the history tells menopause from an aromatase inhibitor")
    causes.append(Cause("postmenopausal", "estrogen loss (menopause)", estrogen, estrogen_reasons))
    causes.append(Cause("aromatase_inhibitor", "estrogen loss (aromatase inhibitor)", estrogen, estrogen_reasons))

    loading, lithium, vitamin_c = f("mechanical_loading"), f("lithium_mmol_per_l"), f("vitamin_c_umol_per_l")
    immobile = loading < IMMOBILE_LOADING
    causes.append(Cause("immobilisation", "immobilisation (bed rest, paralysis)", immobile,
                        (f"mechanical loading {loading:.1f} x habitual ({'immobile' if immobile else 'mobile'})",
                         f"PTH {pth:.2f} pmol/L, CTX {ctx:.2f} ng/mL (disuse: resorption up, PTH suppressed)")))
    scorbutic = vitamin_c < SCURVY_VITAMIN_C_UMOL_PER_L
    causes.append(Cause("scurvy", "vitamin C deficiency (scurvy)", scorbutic,
                        (f"plasma vitamin C {vitamin_c:.0f} umol/L (scurvy below {SCURVY_VITAMIN_C_UMOL_PER_L:g})",
                         f"P1NP {p1np:.0f} ug/L, osteoid seams {oth:.1f} um (collagen formation fails)")))
    on_lithium = lithium > 0.0
    causes.append(Cause("lithium", "lithium therapy", on_lithium,
                        (f"serum lithium {lithium:.1f} mmol/L", f"PTH {pth:.2f} pmol/L, calcium {ca:.2f} mmol/L "
                         "(lithium raises the parathyroid set point; bone is usually spared)")))

    egfr, creatinine, fgf23 = f("egfr_ml_per_min"), f("creatinine_umol_per_l"), f("fgf23_ru_per_ml")
    bone_alp = f("bone_alp_u_per_l")
    pth_uln = r["pth_pmol_per_l"].high
    kidney_disease = egfr < CKD_EGFR
    formation_high = r["p1np_ug_per_l"].flag(p1np) == "H" or r["bone_alp_u_per_l"].flag(bone_alp) == "H"
    if pth > HIGH_TURNOVER_PTH_ULN * pth_uln and (formation_high or high_turnover):
        pattern = "PTH above twice its upper limit with formation high: high turnover likely (osteitis fibrosa)"
    elif pth < HIGH_TURNOVER_PTH_ULN * pth_uln and p1np < LOW_NORMAL_P1NP:
        pattern = "PTH below twice its upper limit with formation low: low turnover likely (adynamic bone)"
    else:
        pattern = "bone turnover not clear from PTH and markers (a bone biopsy decides)"
    causes.append(Cause(
        "ckd", "chronic kidney disease (CKD-MBD)", kidney_disease,
        (f"eGFR {egfr:.0f} mL/min/1.73 m² ({'chronic kidney disease' if kidney_disease else 'normal'}), "
         f"creatinine {creatinine:.0f} umol/L",
         f"FGF23 {fgf23:.0f} RU/mL, phosphate {pi:.2f} mmol/L, PTH {pth:.1f} pmol/L, calcium {ca:.2f} mmol/L",
         f"bone ALP {bone_alp:.0f} U/L, P1NP {p1np:.0f} ug/L: {pattern}"),
        warning=("eGFR below 30: denosumab can cause severe hypocalcaemia (the kidney cannot make the calcitriol "
                 "that would defend calcium); correct calcium and vitamin D first and monitor calcium closely.")
        if egfr < ADVANCED_CKD_EGFR else ""))
    ca_high = r["serum_calcium_mmol_per_l"].flag(ca) == "H"
    primary = ca_high and pth > MID_NORMAL_PTH and not kidney_disease
    causes.append(Cause("primary_hyperparathyroidism", "primary hyperparathyroidism", primary,
                        (f"calcium {ca:.2f} mmol/L ({'above' if ca_high else 'within'} "
                         f"{r['serum_calcium_mmol_per_l'].text})",
                         f"PTH {pth:.1f} pmol/L ({'not suppressed' if pth > MID_NORMAL_PTH else 'low or mid-normal'}: "
                         "hypercalcaemia from any other cause suppresses it)",
                         f"eGFR {egfr:.0f} mL/min/1.73 m² "
                         f"({'kidney disease: a high PTH may be secondary' if kidney_disease else 'preserved'})")))
    alcohol, cigarettes = f("alcohol_g_per_day"), f("cigarettes_per_day")
    drinking = alcohol > HEAVY_DRINKING_G_PER_DAY
    causes.append(Cause("alcohol", "heavy drinking", drinking,
                        (f"alcohol {alcohol:.0f} g/day (heavy above {HEAVY_DRINKING_G_PER_DAY:g})",
                         f"P1NP {p1np:.0f} ug/L, PTH {pth:.2f} pmol/L, viable osteocytes {viable:.0f}% (alcohol "
                         "poisons osteoblasts: formation low, PTH low-normal)",
                         "ask about malnutrition, vitamin D and testosterone, which often come with it")))
    smoker = cigarettes > 0.0
    causes.append(Cause("smoking", "smoking", smoker,
                        (f"{cigarettes:.0f} cigarettes/day", f"25(OH)D {d25:.0f} nmol/L, CTX {ctx:.2f} ng/mL "
                         "(smoking lowers vitamin D and raises resorption; oral estrogen is cleared faster)")))

    synthesis = ("the liver failing to make them: cirrhosis" if liver_failing
                 else "preserved: bile is held back, the liver still works")
    causes.append(Cause("cholestatic_liver", "cholestatic liver disease (e.g. primary biliary cholangitis)",
                        jaundiced and not liver_failing,
                        (f"bilirubin {bilirubin:.0f} umol/L (normal {r['bilirubin_umol_per_l'].text}) with albumin "
                         f"{albumin:.0f} g/L and INR {inr:.2f} ({synthesis})",
                         f"25(OH)D {d25:.0f} nmol/L, P1NP {p1np:.0f} ug/L (bile acids and bilirubin hold osteoblasts "
                         "back; vitamin D is poorly absorbed without bile)",
                         "ask about hypogonadism (estrogen, testosterone), common in chronic liver disease")))
    causes.append(Cause("cirrhosis", "cirrhosis (a failing liver)", liver_failing,
                        (f"albumin {albumin:.0f} g/L (normal {r['albumin_g_per_l'].text}), INR {inr:.2f} (normal "
                         f"{r['inr'].text}), bilirubin {bilirubin:.0f} umol/L: the liver's synthesis "
                         f"{'fails' if liver_failing else 'is preserved'}",
                         f"25(OH)D {d25:.0f} nmol/L with PTH {pth:.1f} pmol/L, P1NP {p1np:.0f} ug/L (the failing liver "
                         "25-hydroxylates less vitamin D and makes less IGF-1, so fewer osteoblasts)",
                         "ask about alcohol and hepatitis B or C, and check testosterone: most cirrhotic men are "
                         "hypogonadal")))
    tsh = f("tsh_miu_per_l")
    subclinical = r["tsh_miu_per_l"].flag(tsh) == "L" and not t4_high
    causes.append(Cause("thyroxine_excess", "thyroid hormone excess (levothyroxine over-replacement)", subclinical,
                        (f"TSH {tsh:.2f} mIU/L ({'suppressed' if subclinical else 'not suppressed'}, normal "
                         f"{r['tsh_miu_per_l'].text}) with free T4 {t4:.0f} pmol/L "
                         f"({'above' if t4_high else 'within'} {r['free_t4_pmol_per_l'].text})",
                         "subclinical hyperthyroidism: check the levothyroxine dose")))
    male_hypogonadal = not female and estrogen_deficient
    causes.append(Cause("androgen_deprivation", "sex-steroid loss in a man (androgen deprivation, hypogonadism)",
                        male_hypogonadal,
                        (f"{'a man' if not female else 'not a man'} of {age:.0f}"
                         f"{' on androgen deprivation or with low testosterone' if male_hypogonadal else ''}",
                         f"CTX {ctx:.2f} ng/mL, P1NP {p1np:.0f} ug/L; BMD {bmd:+.1f}% since the first scan",
                         "estradiol made from testosterone guards a man's bone")))
    less_mobile = loading < REDUCED_MOBILITY_LOADING
    neurological = less_mobile and d25_low
    causes.append(Cause("multiple_sclerosis", "neurological disability (e.g. multiple sclerosis)", neurological,
                        (f"mechanical loading {loading:.1f} x habitual ({'reduced mobility' if less_mobile else 'mobile'})",
                         f"25(OH)D {d25:.0f} nmol/L ({'low' if d25_low else 'sufficient'})",
                         "ask about glucocorticoid pulses for relapses")))
    synovitis, erosion, far = f("synovitis"), f("marginal_bone_loss_pct"), f("far_side_bone_loss_pct")
    arthritis = synovitis > SYNOVITIS_ON_EXAMINATION
    causes.append(Cause("rheumatoid_arthritis", "rheumatoid arthritis", arthritis,
                        (f"synovitis {'on' if arthritis else 'not found on'} examination",
                         f"CRP {crp:.1f} mg/L ({'raised' if crp_high else 'normal'})",
                         f"bone lost at the joint margin {erosion:.0f}% against {far:.0f}% on the far side"
                         f"{' (a marginal erosion)' if erosion > far + 5.0 else ''}")))

    against = [text for flag, text in ((not labs_clear, "a laboratory cause is present"),
                                       (subclinical, "TSH suppressed"), (less_mobile, "mobility reduced"),
                                       (arthritis, "synovitis"),
                                       (immobile, "immobile"), (scorbutic, "vitamin C deficient"),
                                       (estrogen_deficient, "estrogen deficient"),
                                       (on_lithium, "on lithium"), (drinking, "drinks heavily"),
                                       (smoker, "smokes"),
                                       (high_turnover, "turnover markers high"), (seams, "wide osteoid seams"),
                                       (losing, "BMD falling beyond the least significant change"),
                                       (focal, "a focal lesion"), (dying, "osteocytes dying"),
                                       (unexplained, "bone lost that neither labs nor history explain"),
                                       (z <= -2.0, "BMD below the expected range for age")) if flag]
    causes.append(Cause("healthy", "no secondary cause", not against,
                        (f"Z-score {z:+.1f} ({'below' if z <= -2 else 'within'} the expected range for age)",
                         *(against or ["panel, markers, osteoid and osteocytes in range"]))))
    return sorted(causes, key=lambda c: not c.supported)


def findings_from_run(ts, final_histomorphometry, drivers: Drivers, *, age_years: float, sex: str,
                      start_matrix: np.ndarray | None = None, end_matrix: np.ndarray | None = None,
                      voxel_size_um: float = 10.0, site: str = "spine") -> dict[str, object]:
    """Collect the findings the rules read from a run's time series and its final histomorphometry.

    Laboratory values are means of the last 90 days; BMD and stiffness changes are from day 0
    to the end; ``age_years`` is the patient's age at the end. ``drivers`` (the last day's) give
    the tests the time series does not record (:func:`~bonegrid.readouts.panel.panel_values`) and
    the history and drug levels a clinician would know: mechanical loading (1 = habitual; bed rest
    below), serum lithium, plasma vitamin C (reported as umol/L), estrogen relative to
    premenopausal (menopause or an aromatase inhibitor lowers it; in a man, his estradiol made from
    testosterone, which androgen deprivation lowers), synovitis (swollen joints on examination),
    alcohol intake and cigarettes a day. ``site`` (spine or hip) sets the osteocyte reference.
    """
    last = ts[ts["day"] > ts["day"].iloc[-1] - 90]
    values = panel_values(last.mean(numeric_only=True), drivers)
    h = final_histomorphometry
    lacunae = h.empty_lacunae_pct
    return {
        **values,
        "ov_bv_pct": h.ov_bv_pct,
        "o_th_um": h.o_th_um,
        "viable_osteocytes_pct": 100.0 * float(ts["osteocyte_viability"].iloc[-1]),
        "osteocyte_empty_lacunae_pct": lacunae,
        "z_score": float(last["z_score"].mean()),
        "t_score": float(last["t_score"].mean()),
        "bmd_change_pct": 100.0 * (float(last["bmd"].mean()) / float(ts["bmd"].iloc[0]) - 1.0),
        "observed_years": float(ts["day"].iloc[-1] - ts["day"].iloc[0]) / DAYS_PER_YEAR,
        "stiffness_change_pct": 100.0 * (float(ts["stiffness"].iloc[-1]) - 1.0),
        **({"marginal_bone_loss_pct": border_bone_loss_pct(start_matrix, end_matrix, voxel_size_um, "left"),
            "far_side_bone_loss_pct": border_bone_loss_pct(start_matrix, end_matrix, voxel_size_um, "right")}
           if start_matrix is not None and end_matrix is not None else {}),
        "focal_lesion": bool(focal_lesion(start_matrix, end_matrix, voxel_size_um)
                         if start_matrix is not None and end_matrix is not None else False),
        "age_years": age_years,
        "sex": sex,
        "mechanical_loading": drivers.mechanical_loading,
        "lithium_mmol_per_l": drivers.lithium_mmol_per_l,
        "vitamin_c_umol_per_l": REPLETE_VITAMIN_C_UMOL_PER_L * drivers.vitamin_c,
        "estrogen": drivers.estrogen,
        "alcohol_g_per_day": drivers.alcohol_g_per_day,
        "cigarettes_per_day": drivers.cigarettes_per_day,
        "synovitis": drivers.synovitis,
        "site": site,
    }


def findings_from_model(model, start_matrix: np.ndarray | None = None) -> dict[str, object]:
    """:func:`findings_from_run` for a live model (``start_matrix``: matrix at day 0, for the lesion test)."""
    return findings_from_run(
        model.timeseries(), histomorphometry(model, direct=False), model.drivers,
        age_years=model.age_years + max(model.day, 0) / DAYS_PER_YEAR, sex=model.sex, start_matrix=start_matrix,
        end_matrix=model.tissue.kind != MARROW, voxel_size_um=model.tissue.voxel_size_um, site=model.site)


__all__ = ["Cause", "differential", "findings_from_model", "findings_from_run", "focal_lesion"]
