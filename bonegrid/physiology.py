"""Systemic calcium, phosphate and calciotropic hormones (step 1 of the model's day).

A small daily compartment model of whole-body mineral homeostasis. The bone slice stands for
the whole skeleton: each day the model hands :class:`Physiology` the calcium released by
resorption and taken up by mineralisation, already scaled to the skeleton (mmol/day), and reads
back the blood panel (serum calcium, phosphate, PTH, calcitriol, 25(OH)D, FGF23), the PTH signal
that drives RANKL/OPG as the skeleton sees it (:attr:`Physiology.pth_skeletal_relative`) and the Ca × P supply that limits
mineralisation (:attr:`Physiology.mineralisation_supply`). The equations, with units and
sources, are in the docstring of :class:`Physiology`; parameters are in
:class:`PhysiologyParameters`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

from scipy.optimize import brentq

from bonegrid.drivers import Drivers
from bonegrid.effects import EffectParameters, glucocorticoid_effect
from bonegrid.parameters import ParameterError, ParameterSet, param

CALCIUM_MG_PER_MMOL = 40.08
"""Molar mass of calcium, mg/mmol."""

_GLUCOCORTICOID_HALF_EFFECT_DEFAULT = EffectParameters().glucocorticoid_half_effect_mg_per_day
"""Default G_50 of :class:`Physiology`: that of :class:`~bonegrid.effects.EffectParameters`, mg/day."""

HEALTHY_EGFR_ML_PER_MIN = Drivers().egfr_ml_per_min
"""eGFR of healthy kidneys (the driver's default), at which the filtration rate is ``gfr_l_per_day``, mL/min/1.73 m²."""

_CA_LO, _CA_HI = 1e-3, 20.0  # mmol/L: bracket of the steady-state serum calcium search


@dataclasses.dataclass(frozen=True)
class PhysiologyParameters(ParameterSet):
    """Parameters of the systemic compartment model (see :class:`Physiology` for the equations).

    "calibrated" sources say which healthy value the default was chosen to reproduce; the
    healthy steady state itself is solved, not imposed.
    """

    # --- skeleton and compartments -----------------------------------------------------
    skeletal_calcium_mmol: float = param(
        25000.0, unit="mmol", low=1000.0, high=60000.0, symbol="S_{Ca}",
        doc="calcium in the adult skeleton (~1 kg), trabecular and cortical",
        source="ICRP 23 reference man (~1000 g Ca)")
    trabecular_calcium_share: float = param(
        0.2, unit="1", low=0.01, high=1.0, symbol="f_T",
        doc="share of skeletal calcium in trabecular bone, the compartment the slice stands for; the rest is "
            "cortical bone, whose units answer the same systemic signals at cortical_turnover_ratio of the "
            "slice's rate",
        source="the adult skeleton is ~80% cortical and ~20% trabecular bone (Clarke 2008, doi:10.2215/CJN.04151206)")
    cortical_turnover_ratio: float = param(
        0.12, unit="1", low=0.0, high=1.0, symbol="\\kappa_C",
        doc="fractional turnover of cortical bone relative to trabecular bone: the cortical compartment's "
            "calcium fluxes are the slice's per unit of mineral times this",
        source="each year ~25% of trabecular and ~3% of cortical bone is remodeled (Manolagas 2000, "
               "doi:10.1210/edrv.21.2.0395)")
    ecf_volume_l: float = param(
        14.0, unit="L", low=1.0, high=50.0, symbol="V",
        doc="extracellular fluid volume in which serum calcium and phosphate are distributed",
        source="~20% of body mass in a 70 kg adult (Guyton & Hall)")
    exchangeable_fraction: float = param(
        0.01, unit="1", low=1e-4, high=0.1, symbol="f_X",
        doc="rapidly exchangeable bone-surface calcium as a fraction of skeletal calcium at the "
            "normalising serum calcium and PTH",
        source="~1% of skeletal Ca is readily exchangeable (Guyton & Hall; Peterson & Riggs 2010, "
               "doi:10.1016/j.bone.2009.08.053)")
    exchange_time_days: float = param(
        3.0, unit="day", low=0.1, high=100.0, symbol="\\tau_X",
        doc="time constant of calcium exchange between the bone-surface pool and ECF",
        source="calibrated: a few days, damps the slice's ±50% daily resorption noise")
    exchange_pth_exponent: float = param(
        0.5, unit="1", low=0.0, high=3.0, symbol="\\beta",
        doc="PTH releases calcium from the exchangeable pool: its equilibrium size scales as "
            "(PTH/PTH_n)^-beta",
        source="PTH-regulated rapid bone Ca exchange (Peterson & Riggs 2010); exponent calibrated")
    mineral_ca_to_p_ratio: float = param(
        1.67, unit="mol/mol", low=1.0, high=2.5, symbol="r_{Ca:P}",
        doc="molar Ca:P ratio of bone mineral (hydroxyapatite Ca10(PO4)6(OH)2)",
        source="stoichiometry of hydroxyapatite (10/6)")

    # --- normalising constants ------------------------------------------------------------
    calcium_norm_mmol_per_l: float = param(
        2.4, unit="mmol/L", low=1.0, high=4.0, symbol="Ca_n",
        doc="serum calcium at which the exchangeable pool and endogenous faecal loss have their "
            "nominal size",
        source="mid normal range 2.15-2.55 mmol/L")
    pth_norm_pmol_per_l: float = param(
        3.5, unit="pmol/L", low=0.1, high=50.0, symbol="PTH_n",
        doc="PTH at which the exchangeable pool has its nominal size",
        source="mid normal range 1.6-6.9 pmol/L")
    calcitriol_norm_pmol_per_l: float = param(
        100.0, unit="pmol/L", low=1.0, high=1000.0, symbol="D_n",
        doc="calcitriol at which it neither suppresses nor disinhibits PTH",
        source="mid normal range 48-190 pmol/L (approx.)")

    # --- gut -----------------------------------------------------------------------------
    gut_ca_passive_fraction: float = param(
        0.05, unit="1", low=0.0, high=1.0, symbol="a_p",
        doc="fraction of dietary calcium absorbed paracellularly, independent of calcitriol",
        source="calibrated: paracellular share small at usual intakes (Bronner 2003, "
               "doi:10.1002/jcb.10341)")
    gut_ca_active_fraction: float = param(
        0.80, unit="1", low=0.0, high=1.0, symbol="a_a",
        doc="maximal calcitriol-dependent (transcellular) fractional calcium absorption",
        source="calibrated: total fractional absorption ~0.30 at healthy calcitriol, ~0.18 in "
               "vitamin D deficiency, ~0.40 on a low-calcium diet (Heaney 2003, "
               "doi:10.1080/07315724.2003.10719280; approx.)")
    gut_calcitriol_half_pmol_per_l: float = param(
        250.0, unit="pmol/L", low=1.0, high=2000.0, symbol="K_{gut}",
        doc="calcitriol giving half the maximal active (transcellular) absorption",
        source="calibrated with gut_ca_active_fraction")
    endogenous_faecal_calcium_mmol_per_day: float = param(
        2.5, unit="mmol/day", low=0.0, high=20.0, symbol="E_n",
        doc="endogenous faecal calcium loss (unreabsorbed digestive secretions) at Ca_n; "
            "proportional to serum calcium",
        source="~100 mg/day (Heaney & Skillman 1964; approx.)")
    dietary_phosphate_mmol_per_day: float = param(
        38.7, unit="mmol/day", low=0.0, high=200.0, symbol="I_P",
        doc="dietary phosphorus intake (1200 mg/day)",
        source="typical adult intake (IOM 1997)")
    gut_p_passive_fraction: float = param(
        0.50, unit="1", low=0.0, high=1.0, symbol="b_p",
        doc="fraction of dietary phosphate absorbed independently of calcitriol",
        source="60-70% net phosphate absorption, mostly passive (Berndt & Kumar 2007)")
    gut_p_active_fraction: float = param(
        0.45, unit="1", low=0.0, high=1.0, symbol="b_a",
        doc="maximal calcitriol-dependent fractional phosphate absorption (same K_gut as calcium)",
        source="calibrated: total fraction ~0.65 at healthy calcitriol")
    glucocorticoid_gut_inhibition: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="g_A",
        doc="maximal fractional fall of intestinal calcium absorption under glucocorticoid (scaled by f_G, "
            "see bonegrid.effects.glucocorticoid_effect)",
        source="reduced absorption in glucocorticoid-treated patients (Hahn 1981; approx.)")

    # --- kidney --------------------------------------------------------------------------
    gfr_l_per_day: float = param(
        180.0, unit="L/day", low=1.0, high=400.0, symbol="GFR",
        doc="glomerular filtration rate (125 mL/min)",
        source="adult normal")
    calcium_threshold_min_mmol_per_l: float = param(
        2.19, unit="mmol/L", low=0.5, high=4.0, symbol="T_0",
        doc="renal calcium threshold without PTH: serum calcium above which filtered calcium escapes "
            "tubular reabsorption (hypoparathyroid kidney)",
        source="Nordin & Peacock 1969 (doi:10.1016/s0140-6736(69)90991-2): low TmCa of hypoparathyroidism; "
               "calibrated: urinary Ca ~6 mmol/day at serum Ca 2.1 mmol/L without PTH (approx.)")
    calcium_threshold_pth_span_mmol_per_l: float = param(
        1.25, unit="mmol/L", low=0.0, high=5.0, symbol="T_{PTH}",
        doc="rise of the renal calcium threshold at saturating PTH and calcitriol (distal tubular reabsorption)",
        source="calibrated: urinary Ca 4.7 mmol/day at serum Ca 2.40 mmol/L and PTH 3.6 pmol/L; in vitamin D "
               "deficiency (25(OH)D 15 nmol/L) PTH ~8 pmol/L with urinary Ca ~2.3 mmol/day; the threshold "
               "(2.5 mmol/L in health) within the TmCa normal range 1.75-2.61 mmol/L of filtrate "
               "(Need 1985, doi:10.1016/0009-8981(85)90258-x)")
    calcium_threshold_calcitriol_half_pmol_per_l: float = param(
        100.0, unit="pmol/L", low=1e-3, high=1000.0, symbol="K_{TD}",
        doc="calcitriol giving half the PTH-dependent rise of the renal threshold (distal reabsorption "
            "needs vitamin-D-induced TRPV5 and calbindin-D28k)",
        source="Hoenderop 2005 (doi:10.1152/physrev.00003.2004): calcitriol induces the distal calcium "
               "transport proteins; half-effect approx. (mid normal calcitriol)")
    calcium_threshold_pth_half_pmol_per_l: float = param(
        3.5, unit="pmol/L", low=1e-3, high=100.0, symbol="K_T",
        doc="PTH giving half the PTH-dependent rise of the renal calcium threshold",
        source="calibrated (approx.): mid normal PTH")
    calcium_threshold_splay_mmol_per_l: float = param(
        0.1, unit="mmol/L", low=1e-3, high=1.0, symbol="s_T",
        doc="splay of the renal threshold (nephron heterogeneity): excretion per litre of filtrate is "
            "s ln(1 + exp((Ca - T)/s)), rising one-for-one with serum calcium well above T",
        source="Nordin & Peacock 1969: urinary Ca per litre of glomerular filtrate rises about one-for-one "
               "with plasma Ca above the threshold; splay approx.")
    glucocorticoid_threshold_fall_mmol_per_l: float = param(
        0.06, unit="mmol/L", low=0.0, high=1.0, symbol="g_U",
        doc="maximal fall of the renal calcium threshold under glucocorticoid (less tubular reabsorption; "
            "scaled by f_G, see bonegrid.effects.glucocorticoid_effect)",
        source="glucocorticoid hypercalciuria from reduced tubular reabsorption (Reid & Ibbertson 1987); "
               "size approx.: urinary Ca ~+40% at high dose and unchanged serum Ca")
    thyroid_threshold_fall_mmol_per_l: float = param(
        0.03, unit="mmol/L", low=0.0, high=1.0, symbol="t_U",
        doc="fall of the renal calcium threshold per unit of thyroid excess above euthyroid",
        source="mild hypercalciuria of thyrotoxicosis (Mosekilde 1990); size approx.")
    lithium_threshold_rise_mmol_per_l: float = param(
        0.04, unit="mmol/L per mmol/L", low=0.0, high=0.5, symbol="l_U",
        doc="rise of the renal calcium threshold per mmol/L of serum lithium: lithium blunts the calcium-sensing "
            "receptor of the thick ascending limb as it does the parathyroids' (as in familial hypocalciuric "
            "hypercalcaemia), so more filtered calcium is reabsorbed",
        source="urinary calcium falls and tubular calcium reabsorption rises over 2 years of lithium while PTH "
               "rises (Mak 1998, doi:10.1210/jcem.83.11.5269); CaSR antagonism by lithium (Haden 1997, "
               "doi:10.1210/jcem.82.9.4242); size approx.")
    phosphate_fe_min: float = param(
        0.03, unit="1", low=0.0, high=1.0, symbol="FE^P_{min}",
        doc="fractional phosphate excretion without PTH",
        source="calibrated: low FE_P of hypoparathyroidism (approx.)")
    phosphate_fe_max: float = param(
        0.22, unit="1", low=0.0, high=1.0, symbol="FE^P_{max}",
        doc="fractional phosphate excretion at saturating PTH",
        source="calibrated: FE_P ~12% healthy, >20% in hyperparathyroidism")
    phosphate_fe_pth_half_pmol_per_l: float = param(
        3.5, unit="pmol/L", low=1e-3, high=100.0, symbol="K_{UP}",
        doc="PTH giving half the PTH-dependent phosphaturia",
        source="calibrated: serum phosphate ~1.1 mmol/L at healthy PTH")

    phosphate_fe_phosphate_exponent: float = param(
        2.0, unit="1", low=0.0, high=10.0, symbol="q_P",
        doc="fractional phosphate excretion scales as (Pi/Pi_n)^q_P (saturable tubular "
            "reabsorption, TmP/GFR)",
        source="renal phosphate threshold (Bijvoet 1969); exponent calibrated")
    phosphate_norm_mmol_per_l: float = param(
        1.1, unit="mmol/L", low=0.1, high=5.0, symbol="Pi_n",
        doc="serum phosphate at which fractional phosphate excretion has its nominal value",
        source="mid normal range 0.8-1.5 mmol/L")

    # --- parathyroid -----------------------------------------------------------------------
    pth_max_pmol_per_l: float = param(
        25.0, unit="pmol/L", low=0.1, high=500.0, symbol="PTH_{max}",
        doc="PTH at maximal stimulation (profound hypocalcaemia)",
        source="Brown 1983 inverse sigmoid, max/basal ~5-10 (doi:10.1210/jcem-56-3-572)")
    pth_min_pmol_per_l: float = param(
        0.4, unit="pmol/L", low=0.0, high=50.0, symbol="PTH_{min}",
        doc="non-suppressible PTH at high calcium",
        source="suppressed PTH in non-PTH hypercalcaemia (<1 pmol/L)")
    pth_calcium_half_mmol_per_l: float = param(
        2.18, unit="mmol/L", low=0.5, high=4.0, symbol="K_{Ca}",
        doc="total serum calcium at half-maximal PTH secretion (set point)",
        source="calibrated: PTH ~3.5 pmol/L at serum Ca 2.40 mmol/L")
    pth_calcium_hill: float = param(
        20.0, unit="1", low=1.0, high=100.0, symbol="n",
        doc="steepness (Hill exponent) of the calcium-PTH inverse sigmoid",
        source="steep CaSR response (Brown 1983; Ramirez 1993), approx.")
    lithium_pth_set_point_shift_per_mmol_per_l: float = param(
        0.08, unit="1/(mmol/L)", low=0.0, high=0.5, symbol="s_{Li}",
        doc="lithium raises the calcium set point of the parathyroids: K_Ca x (1 + s_Li Li)",
        source="lithium blunts calcium-sensing receptor signalling: set point ~5-6% higher at therapeutic "
               "levels (Haden 1997, doi:10.1210/jcem.82.9.4242); fitted within that range to the lithium PTH band "
               "(PTH ~+40% at 0.8 mmol/L: Bendz 1996; Haden 1997); re-fit: python -m bonegrid.runs.calibrate "
               "lithium_pth_set_point_shift_per_mmol_per_l")
    pth_calcitriol_suppression: float = param(
        0.3, unit="1", low=0.0, high=5.0, symbol="s_D",
        doc="calcitriol suppression of PTH synthesis: factor (1+s)/(1+s D/D_n)",
        source="VDR-mediated PTH gene repression (Silver 1986; strength approx.)")
    parathyroid_growth_threshold: float = param(
        1.9, unit="1", low=1.0, high=10.0, symbol="\\sigma_G",
        doc="secretory drive per unit of gland mass, relative to health, above which parathyroid cells "
            "proliferate (hyperplasia); below it the gland does not grow",
        source="the drive at which a normal gland's PTH leaves the normal range (upper limit 6.9 / healthy 3.6 "
               "pmol/L); low calcium, low calcitriol and high phosphate drive both secretion and proliferation "
               "(Naveh-Many 1995, doi:10.1172/JCI118224; Parfitt 1997, doi:10.1038/ki.1997.297); approx.")
    parathyroid_growth_per_day: float = param(
        0.0004, unit="1/day", low=0.0, high=0.1, symbol="r_G",
        doc="relative growth rate of the gland mass per unit of drive above the threshold: "
            "dGamma/dt = r_G Gamma (1 - Gamma/Gamma_max) max(sigma - sigma_G, 0) - r_R (Gamma - 1)",
        source="human parathyroid cells divide slowly: glands on dialysis reach ~50-100 x normal over 10-20 "
               "years of stimulation, ~0.3/year at a drive about twice the threshold (Parfitt 1997, "
               "doi:10.1038/ki.1997.297; Drueke 2000, doi:10.1681/ASN.V1161141); approx.")
    parathyroid_max_mass: float = param(
        50.0, unit="1", low=1.0, high=1000.0, symbol="\\Gamma_{max}",
        doc="largest gland mass, relative to normal glands, that growth approaches (logistic limit)",
        source="glands removed at parathyroidectomy for refractory renal hyperparathyroidism weigh up to "
               "~50-100 x the normal ~30 mg each (Parfitt 1997, doi:10.1038/ki.1997.297); approx.")
    parathyroid_regression_per_day: float = param(
        0.00038, unit="1/day", low=0.0, high=0.1, symbol="r_R",
        doc="rate at which excess gland mass regresses once the drive is gone (parathyroid cells rarely die): "
            "half-life ln2/r_R (~5 years)",
        source="parathyroid cells live ~20 years and apoptosis is rare, so hyperplastic glands involute over "
               "years if at all, and PTH stays high for years after kidney transplantation in many patients "
               "(Parfitt 1997, doi:10.1038/ki.1997.297); approx.")

    # --- vitamin D -----------------------------------------------------------------------
    vitamin_d_25oh_sufficient_nmol_per_l: float = param(
        75.0, unit="nmol/L", low=1.0, high=500.0, symbol="D25_n",
        doc="25(OH)D reached at vitamin_d_supply = gut_absorption = 1",
        source="definition of Drivers.vitamin_d_supply (sufficient ~75 nmol/L; Holick 2007)")
    vitamin_d_25oh_time_days: float = param(
        28.0, unit="day", low=1.0, high=365.0, symbol="\\tau_{25}",
        doc="time constant of 25(OH)D (half-life = tau ln 2 ~ 19 days)",
        source="25(OH)D half-life 2-3 weeks (Jones 2008, doi:10.1093/ajcn/88.2.582S)")
    smoking_vitamin_d_loss_per_cigarette: float = param(
        0.01, unit="1/(cigarettes/day)", low=0.0, high=0.2, symbol="k_{S,D}",
        doc="smoking lowers 25(OH)D: its steady level x 1/(1 + k_S S) for S cigarettes/day",
        source="smokers have lower 25(OH)D and 1,25(OH)2D with lower PTH (Brot 1999, "
               "doi:10.1038/sj.ejcn.1600870); ~11 nmol/L lower, ~23 nmol/L at 40-50 y (Kassi 2015, "
               "doi:10.14310/horm.2002.1521); strength fitted to the smoking 25(OH)D band at 20/day; re-fit: "
               "python -m bonegrid.runs.calibrate smoking_vitamin_d_loss_per_cigarette")
    hepatic_25_hydroxylation_exponent: float = param(
        1.0, unit="1", low=0.0, high=3.0, symbol="e_H",
        doc="the liver 25-hydroxylates vitamin D (CYP2R1, CYP27A1): steady 25(OH)D x H^e_H for liver function H",
        source="25(OH)D falls as liver function fails, lowest in Child-Pugh class C (Putz-Bankuti 2012, "
               "Liver Int 32:845); below 50 nmol/L in 92% of patients with cirrhosis (George "
               "2009, doi:10.3748/wjg.15.3516); strength approx. (proportional to the working hepatocyte mass)")
    calcitriol_max_pmol_per_l: float = param(
        640.0, unit="pmol/L", low=1.0, high=10000.0, symbol="D_{max}",
        doc="calcitriol at maximal PTH drive, unlimited substrate and no phosphate suppression",
        source="calibrated: calcitriol ~100 pmol/L at healthy steady state")
    calcitriol_pth_half_pmol_per_l: float = param(
        3.5, unit="pmol/L", low=0.01, high=100.0, symbol="K_{DP}",
        doc="PTH giving half-maximal stimulation of renal 1-alpha-hydroxylase",
        source="calibrated: calcitriol ~1.5x on a low-calcium diet (approx.)")
    calcitriol_pth_hill: float = param(
        1.0, unit="1", low=0.5, high=8.0, symbol="m",
        doc="Hill exponent of PTH stimulation of 1-alpha-hydroxylase",
        source="calibrated (approx.)")
    calcitriol_25oh_km_nmol_per_l: float = param(
        75.0, unit="nmol/L", low=0.1, high=1000.0, symbol="K_m",
        doc="25(OH)D giving half-maximal calcitriol production (substrate limitation)",
        source="calibrated: calcitriol substrate-limited below ~50 nmol/L 25(OH)D, about halved "
               "at 15 nmol/L despite raised PTH (approx.)")
    calcitriol_phosphate_half_mmol_per_l: float = param(
        1.5, unit="mmol/L", low=0.05, high=10.0, symbol="K_{DPi}",
        doc="serum phosphate halving calcitriol production (via FGF23 and direct inhibition)",
        source="calibrated (approx.)")
    calcitriol_time_days: float = param(
        1.0, unit="day", low=0.01, high=30.0, symbol="\\tau_D",
        doc="time constant of calcitriol (hydroxylase induction; plasma half-life is hours)",
        source="Jones 2008 (approx.)")

    # --- chronic kidney disease (CKD-MBD) ------------------------------------------------------
    fgf23_normal_ru_per_ml: float = param(
        60.0, unit="RU/mL", low=1.0, high=1000.0, symbol="F_n",
        doc="C-terminal FGF23 with healthy kidneys (eGFR 125 mL/min/1.73 m²)",
        source="healthy adults ~50-70 RU/mL; > 100 RU/mL counted high (Isakova 2011, doi:10.1038/ki.2011.47; approx.)")
    fgf23_nephron_exponent: float = param(
        0.7, unit="1", low=0.0, high=5.0, symbol="k_F",
        doc="FGF23 = F_n (eGFR_n/eGFR)^k_F: osteocytes raise FGF23 as the phosphate load per remaining "
            "nephron grows (same intake, fewer nephrons)",
        source="Isakova 2011 (doi:10.1038/ki.2011.47): FGF23 rises steadily as eGFR falls from CKD stage 2, "
               "earlier than PTH or phosphate; median above 100 RU/mL below eGFR ~60; exponent approx.")
    fgf23_phosphaturia_exponent: float = param(
        0.4, unit="1", low=0.0, high=3.0, symbol="e_P",
        doc="FGF23 lowers tubular phosphate reabsorption (NaPi-2a/2c): fractional excretion x (F/F_n)^e_P",
        source="FGF23 is phosphaturic through FGFR1-klotho (Shimada 2004, doi:10.1359/JBMR.0301264); "
               "fractional phosphate excretion rises as nephrons are lost (Slatopolsky 1968); strength approx.")
    fgf23_calcitriol_exponent: float = param(
        0.5, unit="1", low=0.0, high=3.0, symbol="e_D",
        doc="FGF23 represses renal 1-alpha-hydroxylase (CYP27B1): calcitriol production x (F/F_n)^-e_D",
        source="Shimada 2004 (doi:10.1359/JBMR.0301264); calcitriol falls early in CKD with FGF23 "
               "(Gutierrez 2005, doi:10.1681/ASN.2005010052); strength approx.")
    calcitriol_nephron_exponent: float = param(
        0.5, unit="1", low=0.0, high=3.0, symbol="k_D",
        doc="1-alpha-hydroxylase sits in the proximal tubule, so its capacity falls with the nephrons left: "
            "D_max x (eGFR/eGFR_n)^k_D",
        source="loss of renal mass lowers calcitriol production in CKD (Levin 2007, doi:10.1038/sj.ki.5002009: "
               "calcitriol falls from eGFR < 60); exponent approx.")
    phosphate_pth_threshold_mmol_per_l: float = param(
        1.5, unit="mmol/L", low=0.5, high=5.0, symbol="Pi_{PT}",
        doc="serum phosphate above which phosphate itself stimulates PTH secretion (upper normal)",
        source="upper end of the normal range 0.8-1.5 mmol/L; the parathyroid response to phosphate is "
               "seen in hyperphosphataemia (Almaden 1996, doi:10.1002/jbmr.5650110803)")
    phosphate_pth_gain_per_mmol_per_l: float = param(
        1.0, unit="1/(mmol/L)", low=0.0, high=10.0, symbol="s_P",
        doc="PTH secretion x (1 + s_P max(Pi - Pi_PT, 0)): high phosphate stimulates the parathyroids "
            "independently of calcium and calcitriol",
        source="Almaden 1996 (doi:10.1002/jbmr.5650110803); Slatopolsky 1996 (doi:10.1172/JCI118984); "
               "strength approx.")
    skeletal_pth_resistance_exponent: float = param(
        0.3, unit="1", low=0.0, high=3.0, symbol="k_R",
        doc="skeletal resistance to PTH in uraemia (PTH1R down-regulation): the bone sees PTH x "
            "(eGFR/eGFR_n)^k_R",
        source="PTH receptor down-regulation in uraemia (Urena 1994, doi:10.1210/endo.134.3.8119177; Picton 2000); "
               "PTH 2-9x the upper normal limit needed for normal turnover on dialysis (KDIGO 2009); "
               "exponent approx. (about half the healthy response at eGFR 15)")
    calcitriol_exogenous_pmol_per_l_per_ug: float = param(
        47.0, unit="pmol/L per ug/day", low=0.0, high=500.0, symbol="c_{rx}",
        doc="serum calcitriol added per ug/day of oral calcitriol (dose x bioavailability / clearance)",
        source="2400 pmol/ug, ~70% absorbed, metabolic clearance ~25 mL/min (36 L/day) (Gray 1978; approx.)")

    # --- mineralisation -------------------------------------------------------------------
    caxp_reference_mmol2_per_l2: float = param(
        2.64, unit="mmol²/L²", low=0.1, high=20.0, symbol="(CaP)_n",
        doc="normal serum Ca × P product (2.4 × 1.1)",
        source="mid normal ranges")
    mineralisation_caxp_half: float = param(
        0.8, unit="1", low=0.01, high=2.0, symbol="K_M",
        doc="Ca × P product, relative to normal, at which mineralisation supply is halved",
        source="calibrated (approx.): mineralisation fails once Ca x P falls below ~80% of normal "
               "(clinical rule of thumb: product < ~2.4 mmol²/L², 30 mg²/dL²); healthy supply stays ~0.98")
    mineralisation_caxp_averaging_days: float = param(
        30.0, unit="day", low=1.0, high=365.0, symbol="\\tau_M",
        doc="mineralising osteoid follows the running (exponential) mean of serum Ca × P over this time",
        source="modelling choice: bone fluid buffers day-to-day swings; osteomalacia needs sustained deficiency")
    mineralisation_caxp_hill: float = param(
        20.0, unit="1", low=1.0, high=40.0, symbol="h_M",
        doc="steepness of the Ca × P dependence of mineralisation supply",
        source="fitted to the osteomalacia mineralisation-lag band (Mlt > ~100 days, normal ~8-15: "
               "histomorphometry criteria, approx.): supply falls from ~1 at a normal product to ~0.02 at 65% "
               "of normal; re-fit: python -m bonegrid.runs.calibrate mineralisation_caxp_hill")

    crystal_growth_caxp_half: float = param(
        0.5, unit="1", low=0.01, high=2.0, symbol="K_S",
        doc="Ca × P product, relative to normal, at which secondary mineralisation (crystal growth in matrix "
            "that has mineralised) is halved; same steepness h_M and running mean as the supply of new osteoid",
        source="growing existing apatite crystals needs less supersaturation than nucleating new ones, so bone "
               "fluid that no longer mineralises new osteoid still lets old mineral mature (Neuman & Neuman 1958, "
               "The Chemical Dynamics of Bone Mineral: serum is supersaturated for apatite growth, not for its "
               "nucleation); at a product far below normal no mineral is laid down: half at half the normal product "
               "(approx.; not fitted: celiac bone, whose product runs at 0.6-0.7 of normal, reads -15.5, -12.9, "
               "-14.8, -17.5, -13.7% BMD over 3 years at 0.4, 0.5, 0.55, 0.6, 0.65, 256², 2 seeds: no trend above "
               "the seed noise)")

    def __post_init__(self) -> None:
        """Validate each field, then the relations between fields."""
        super().__post_init__()
        if self.pth_min_pmol_per_l >= self.pth_max_pmol_per_l:
            raise ParameterError(
                f"pth_min_pmol_per_l={self.pth_min_pmol_per_l!r} must be below "
                f"pth_max_pmol_per_l={self.pth_max_pmol_per_l!r}")
        if self.phosphate_fe_min > self.phosphate_fe_max:
            raise ParameterError(
                f"phosphate_fe_min={self.phosphate_fe_min!r} must not exceed "
                f"phosphate_fe_max={self.phosphate_fe_max!r}")
        if self.gut_ca_passive_fraction + self.gut_ca_active_fraction > 1.0:
            raise ParameterError(
                "gut_ca_passive_fraction + gut_ca_active_fraction must not exceed 1 "
                f"(got {self.gut_ca_passive_fraction!r} + {self.gut_ca_active_fraction!r})")
        if self.gut_p_passive_fraction + self.gut_p_active_fraction > 1.0:
            raise ParameterError(
                "gut_p_passive_fraction + gut_p_active_fraction must not exceed 1 "
                f"(got {self.gut_p_passive_fraction!r} + {self.gut_p_active_fraction!r})")


def fgf23_ru_per_ml(egfr_ml_per_min: float, params: PhysiologyParameters) -> float:
    """C-terminal FGF23 F = F_n (eGFR_n/eGFR)^k_F for a kidney function, RU/mL.

    Osteocytes raise FGF23 as the phosphate each remaining nephron must excrete grows
    (:class:`PhysiologyParameters`: ``fgf23_normal_ru_per_ml``, ``fgf23_nephron_exponent``).

    Parameters
    ----------
    egfr_ml_per_min : float
        eGFR, mL/min/1.73 m² (> 0).
    params : PhysiologyParameters

    Examples
    --------
    >>> round(fgf23_ru_per_ml(60.0, PhysiologyParameters()))
    100
    """
    kidney = egfr_ml_per_min / HEALTHY_EGFR_ML_PER_MIN
    return params.fgf23_normal_ru_per_ml * kidney ** -params.fgf23_nephron_exponent


class _CalciumFluxes(NamedTuple):
    """Fluxes of one calcium day, evaluated at the accepted serum calcium."""

    pth: float
    """PTH, pmol/L."""
    endogenous: float
    """Endogenous faecal calcium E, mmol/day."""
    urinary: float
    """Urinary calcium U, mmol/day."""
    exchange: float
    """Exchange J_X from the bone-surface pool into ECF, mmol/day."""


class Physiology:
    r"""Daily systemic calcium–phosphate–PTH–vitamin D compartments.

    State: ECF calcium :math:`C` (mmol), exchangeable bone-surface calcium :math:`X` (mmol),
    ECF phosphate :math:`P` (mmol), calcitriol :math:`D` (pmol/L), 25(OH)D :math:`D_{25}`
    (nmol/L), parathyroid gland mass :math:`\Gamma` (relative to a normal gland, 1). Serum
    concentrations are :math:`Ca = C/V`, :math:`Pi = P/V` (mmol/L). PTH is
    quasi-steady (secretion and clearance take minutes). One call of :meth:`step` is one day
    (:math:`\Delta t = 1` day). Drivers: dietary calcium :math:`I_{Ca}` (mg/day), gut
    absorption :math:`A_{gut}`, vitamin D supply :math:`V_D`, glucocorticoid :math:`G`
    (mg/day), thyroid :math:`T`, lithium :math:`Li` (mmol/L), parathyroid set point :math:`s_{PT}`,
    eGFR (mL/min/1.73 m²), oral calcitriol :math:`D_{rx}` (µg/day), liver function :math:`H`. Bone fluxes: resorbed
    :math:`R` and mineralised :math:`M` calcium (mmol/day, whole skeleton).

    Equations (symbols as in :class:`PhysiologyParameters`; the glucocorticoid effect
    :math:`f_G = G/(G+G_{50})` is :func:`bonegrid.effects.glucocorticoid_effect`, with the one
    half-effect dose :math:`G_{50}` that also acts on bone cells):

    - PTH (pmol/L), steep inverse Hill in calcium, mildly suppressed by calcitriol
      (Brown 1983) and stimulated by hyperphosphataemia (yesterday's phosphate), with the set
      point raised by lithium and by an adenoma, :math:`K_{Ca}(1 + s_{Li} Li)\,s_{PT}`:
      :math:`PTH = \Gamma\,\frac{1+s_D}{1+s_D D/D_n}\,(1 + s_P\max(Pi - Pi_{PT}, 0))\,
      [PTH_{min} + (PTH_{max}-PTH_{min})/(1+(Ca/K_{Ca})^n)]`.
    - Parathyroid gland mass :math:`\Gamma` (1 in health): secretion scales with the mass, and the
      same signals that drive secretion per cell (low calcium, low calcitriol, high phosphate)
      drive proliferation once the drive per unit mass :math:`\sigma = PTH/(\Gamma\,PTH_{healthy})`
      (with the set point of normal glands, :math:`s_{PT} = 1`: an adenoma suppresses them)
      passes :math:`\sigma_G`; excess mass regresses slowly (Parfitt 1997; Naveh-Many 1995):
      :math:`d\Gamma/dt = r_G\,\Gamma(1 - \Gamma/\Gamma_{max})\max(\sigma - \sigma_G, 0) - r_R(\Gamma - 1)`
      (explicit daily step with
      today's PTH; :math:`\Gamma` stays exactly 1 while :math:`\sigma \le \sigma_G` and :math:`\Gamma = 1`).
    - Kidney function :math:`k = eGFR/eGFR_n` (driver; 1 in health): filtration
      :math:`GFR = GFR_n k` in both urinary terms; FGF23 :math:`F = F_n k^{-k_F}` (RU/mL);
      the bone cells see :math:`PTH/PTH_{healthy}\cdot k^{k_R}` (uraemic resistance).
    - Gut calcium, net (mmol/day): absorption minus endogenous faecal loss,
      :math:`A_{Ca} = \frac{I_{Ca}}{40.08} A_{gut}\,(1-g_A f_G)\,
      (a_p + a_a\frac{D}{D+K_{gut}})`, :math:`E = E_n\,Ca/Ca_n`.
    - Kidney calcium (mmol/day): the filtered calcium above a renal threshold escapes
      reabsorption (Nordin & Peacock 1969); PTH raises the threshold where calcitriol has
      induced the distal transport proteins, glucocorticoid and thyroid excess lower it, lithium raises it,
      :math:`U = GFR\;s_T\ln\!\left(1+e^{(Ca-T_{Ca})/s_T}\right)`,
      :math:`T_{Ca} = T_0 + T_{PTH}\frac{PTH}{PTH+K_T}\frac{D}{D+K_{TD}} - g_U f_G
      - t_U\max(T-1,0) + l_U Li` (T: thyroid driver). Well above the threshold every extra mmol/L of serum
      calcium adds GFR mmol/day of urinary calcium, so the kidney, not bone, absorbs a calcium load within a day.
    - Exchangeable bone-surface pool (mmol): resorption fills it, mineralisation empties it,
      and it relaxes to an equilibrium set by serum calcium and PTH (PTH releases labile
      bone calcium; Peterson & Riggs 2010):
      :math:`X_{eq} = f_X S_{Ca}\,(Ca/Ca_n)\,(PTH/PTH_n)^{-\beta}`,
      :math:`J_X = (X - X_{eq})/\tau_X` (into ECF).
    - Calcium balances: :math:`dX/dt = R - M - J_X`,
      :math:`dC/dt = A_{Ca} - E - U + J_X`.
    - Phosphate (mmol): it follows the calcium exchange at the mineral ratio,
      :math:`dP/dt = A_P - U_P + J_X/r_{Ca:P}`, with
      :math:`A_P = I_P A_{gut}(b_p + b_a\frac{D}{D+K_{gut}})`,
      :math:`U_P = GFR\,Pi\,[FE^P_{min} + (FE^P_{max}-FE^P_{min})\frac{PTH}{PTH+K_{UP}}]
      (F/F_n)^{e_P}(Pi/Pi_n)^{q_P}` (PTH and FGF23 are phosphaturic; the renal threshold makes
      excretion rise steeply with phosphate).
    - 25(OH)D (nmol/L): :math:`dD_{25}/dt = (D25_n V_D A_{gut} H^{e_H}/(1 + k_{S,D} S) - D_{25})/\tau_{25}`
      (smoking S lowers it; the liver, function H, makes it).
    - Calcitriol (pmol/L): :math:`dD/dt = (D^* - D)/\tau_D`,
      :math:`D^* = D_{max} k^{k_D} (F/F_n)^{-e_D}\frac{PTH^m}{PTH^m+K_{DP}^m}\frac{D_{25}}{D_{25}+K_m}
      \frac{K_{DPi}^2}{K_{DPi}^2+Pi^2} + c_{rx} D_{rx}` (renal mass, FGF23 repression, oral
      calcitriol :math:`D_{rx}` µg/day).
    - Mineralisation supply (1): :math:`\sigma = x^{h_M}/(x^{h_M}+K_M^{h_M})` for new osteoid and
      :math:`\sigma_S = x^{h_M}/(x^{h_M}+K_S^{h_M})` for crystal growth in mineralised matrix,
      :math:`x = Ca\,Pi/(CaP)_n` (its running mean over :math:`\tau_M`).

    Numerics (stable for any rate at a 1-day step): 25(OH)D and calcitriol use the exact
    exponential update towards their targets; the calcium pair (C, X) takes a backward-Euler
    step with PTH quasi-steady at the new calcium, which reduces to one monotone scalar
    equation in the new serum calcium, solved by safeguarded Newton iteration; the day's
    fluxes are then evaluated there and applied, so the calcium ledger balances to rounding
    whatever the solver tolerance. Phosphate takes a linearly implicit step (uptake into the
    exchangeable pool proportional to the new phosphate), so it stays positive. Splitting
    order in a day: 25(OH)D, gut absorption (with yesterday's calcitriol), calcium and PTH,
    phosphate, gland mass, calcitriol.

    The initial state is the steady state for the given drivers with balanced bone fluxes
    (R = M; the steady state does not depend on their size) and a normal gland (:math:`\Gamma = 1`),
    solved directly, so day 0 has no transient unless the drive per unit mass is above
    :math:`\sigma_G` (then the gland starts to grow). :attr:`pth_relative` divides by the steady-state PTH of the same
    parameters at the default (healthy) :class:`~bonegrid.drivers.Drivers`.

    With default parameters and drivers the steady state is: serum Ca 2.395 mmol/L,
    phosphate 1.09 mmol/L, PTH 3.60 pmol/L, calcitriol 106 pmol/L, 25(OH)D 75 nmol/L,
    urinary Ca = net gut Ca = 4.70 mmol/day (fractional absorption 0.29), urinary phosphate
    24.5 mmol/day, exchangeable pool 246 mmol, mineralisation supply 0.98.

    Notes
    -----
    Buffering: the exchangeable pool is the bone-surface store of labile mineral. Because PTH
    falls steeply as calcium rises, :math:`X_{eq}` rises about :math:`1+15\beta` times faster
    than calcium, so the pool soaks up most of any calcium excess (and gives it back in a
    deficit) within :math:`\tau_X`; the kidney and gut then remove the excess over weeks.
    That slow mode, not :math:`\tau_X`, sets the day-to-day serum noise left by the slice's
    stochastic resorption (s.d. ≈ 0.02 mmol/L for ±50% noise on 10 mmol/day).
    The pool holds mineral, so phosphate moves with calcium at :math:`r_{Ca:P}` through
    :math:`J_X`; phosphate is not ledgered (only calcium is conserved to rounding).
    :meth:`available_for_mineralisation_mmol` is the whole pool: a model that takes it all
    for days on end drains serum calcium (as in hungry-bone syndrome) but never below zero.

    Parameters
    ----------
    params : PhysiologyParameters
        Constants of the model.
    drivers : Drivers
        Driver levels whose steady state is the starting state.
    glucocorticoid_half_effect_mg_per_day : float
        Half-effect dose G_50 of glucocorticoid on gut and kidney, mg/day (> 0): pass
        :attr:`EffectParameters.glucocorticoid_half_effect_mg_per_day
        <bonegrid.effects.EffectParameters.glucocorticoid_half_effect_mg_per_day>`, the same
        receptor's half-effect on bone cells (its default is that parameter's default, 7.5).

    Raises
    ------
    ParameterError
        If ``glucocorticoid_half_effect_mg_per_day`` is not a finite number > 0.
    ValueError
        If no positive steady state exists with balanced bone fluxes (no net calcium
        absorption, e.g. no dietary calcium): start from healthy drivers and ramp them instead.
    """

    def __init__(self, params: PhysiologyParameters, drivers: Drivers, *,
                 glucocorticoid_half_effect_mg_per_day: float = _GLUCOCORTICOID_HALF_EFFECT_DEFAULT) -> None:
        self.retune(params, glucocorticoid_half_effect_mg_per_day=glucocorticoid_half_effect_mg_per_day)

        self._mineralisation_unmet = 0.0
        healthy = self._steady_state(Drivers())
        self._pth_healthy = healthy["pth"]
        start = healthy if drivers == Drivers() else self._steady_state(drivers)
        self._ca_ecf = start["ca"] * self._v
        self._ca_x = start["x"]
        self._p_ecf = start["pi"] * self._v
        self._calcitriol = start["calcitriol"]
        self._d25 = start["d25"]
        self._caxp_mean = self._caxp_relative()
        self._pth = start["pth"]
        self._pth_stimulation = start["pth_stimulation"]
        self._gland = 1.0
        self._urinary_ca = start["urinary_ca"]
        self._gut_ca = start["gut_ca"]
        self._endogenous_ca = start["endogenous_ca"]
        self._urinary_p = start["urinary_p"]
        self._start_total = self._ca_ecf + self._ca_x
        self._gut_in = 0.0
        self._kidney_out = 0.0
        self._resorbed_in = 0.0
        self._mineralised_out = 0.0

    def retune(self, params: PhysiologyParameters, *,
               glucocorticoid_half_effect_mg_per_day: float = _GLUCOCORTICOID_HALF_EFFECT_DEFAULT) -> None:
        """Take new constants and keep the state (pools, hormones, ledger), for parameters that follow a course.

        PTH stays relative to the healthy steady state of the constants the model started with,
        so a course (e.g. a falling filtration rate) shows as a PTH rise, not as a new normal.

        Parameters
        ----------
        params : PhysiologyParameters
            The new constants.
        glucocorticoid_half_effect_mg_per_day : float
            G_50 of glucocorticoid on gut and kidney, mg/day (see the class parameters).

        Raises
        ------
        ParameterError
            If ``glucocorticoid_half_effect_mg_per_day`` is not a finite number > 0.
        """
        g50 = float(glucocorticoid_half_effect_mg_per_day)
        if not (math.isfinite(g50) and g50 > 0.0):
            raise ParameterError(
                f"glucocorticoid_half_effect_mg_per_day={glucocorticoid_half_effect_mg_per_day!r} is not allowed: "
                "expected a finite number > 0 mg/day; pass EffectParameters.glucocorticoid_half_effect_mg_per_day")
        self._gc_half = g50
        self.params = params
        p = params
        self._v = p.ecf_volume_l
        self._x_norm = p.exchangeable_fraction * p.skeletal_calcium_mmol
        self._ex_tau = p.exchange_time_days
        self._beta = p.exchange_pth_exponent
        self._ratio = p.mineral_ca_to_p_ratio
        self._ca_n = p.calcium_norm_mmol_per_l
        self._pth_n = p.pth_norm_pmol_per_l
        self._d_n = p.calcitriol_norm_pmol_per_l
        self._e_n = p.endogenous_faecal_calcium_mmol_per_day
        self._t0 = p.calcium_threshold_min_mmol_per_l
        self._t_span = p.calcium_threshold_pth_span_mmol_per_l
        self._t_k = p.calcium_threshold_pth_half_pmol_per_l
        self._t_kd = p.calcium_threshold_calcitriol_half_pmol_per_l
        self._splay = p.calcium_threshold_splay_mmol_per_l
        self._fep_q = p.phosphate_fe_phosphate_exponent
        self._pth_min = p.pth_min_pmol_per_l
        self._pth_span = p.pth_max_pmol_per_l - p.pth_min_pmol_per_l
        self._pth_k = p.pth_calcium_half_mmol_per_l
        self._pth_hill = p.pth_calcium_hill
        self._d25_decay = math.exp(-1.0 / p.vitamin_d_25oh_time_days)
        self._d_decay = math.exp(-1.0 / p.calcitriol_time_days)
        self._caxp_keep = math.exp(-1.0 / p.mineralisation_caxp_averaging_days)

    # ------------------------------------------------------------------ biological terms
    def _pth_secretion(self, ca: float, suppression: float, set_point: float | None = None) -> tuple[float, float]:
        """Quasi-steady PTH and its derivative with respect to serum calcium.

        Parameters
        ----------
        ca : float
            Total serum calcium, mmol/L (> 0).
        suppression : float
            Calcitriol suppression factor (1+s_D)/(1+s_D D/D_n), 1.
        set_point : float, optional
            Calcium set point K_Ca of the glands, mmol/L (default: today's, with lithium and an adenoma).

        Returns
        -------
        pth : float
            PTH, pmol/L.
        dpth_dca : float
            d PTH / d Ca, pmol/L per mmol/L (negative).
        """
        q = (ca / (self._pth_k if set_point is None else set_point)) ** self._pth_hill
        h = 1.0 / (1.0 + q)
        pth = suppression * (self._pth_min + self._pth_span * h)
        return pth, -suppression * self._pth_span * self._pth_hill * q * h * h / ca

    def _set_day_drivers(self, drivers: Drivers) -> None:
        """Take the day's parathyroid set point and kidney function.

        The calcium set point K_Ca of the parathyroids is raised by lithium and by an adenoma
        (``parathyroid_set_point``), mmol/L. Kidney function k = eGFR/eGFR_n sets the filtration
        rate GFR_n k, FGF23 F = F_n k^-k_F (RU/mL), its phosphaturia (F/F_n)^e_P, the capacity of
        1-alpha-hydroxylase D_max k^k_D (F/F_n)^-e_D (pmol/L), the skeleton's response to PTH k^k_R,
        and oral calcitriol adds c_rx D_rx to serum calcitriol (pmol/L).
        """
        p = self.params
        self._pth_k_normal = p.pth_calcium_half_mmol_per_l * (
            1.0 + p.lithium_pth_set_point_shift_per_mmol_per_l * drivers.lithium_mmol_per_l)
        self._pth_k = self._pth_k_normal * drivers.parathyroid_set_point
        kidney = drivers.egfr_ml_per_min / HEALTHY_EGFR_ML_PER_MIN
        fgf23 = fgf23_ru_per_ml(drivers.egfr_ml_per_min, p) / p.fgf23_normal_ru_per_ml
        self._gfr = p.gfr_l_per_day * kidney
        self._fgf23_relative = fgf23
        self._fgf23_phosphaturia = fgf23 ** p.fgf23_phosphaturia_exponent
        self._d_max = (p.calcitriol_max_pmol_per_l * kidney ** p.calcitriol_nephron_exponent
                       * fgf23 ** -p.fgf23_calcitriol_exponent)
        self._skeletal_response = kidney ** p.skeletal_pth_resistance_exponent
        self._calcitriol_rx = p.calcitriol_exogenous_pmol_per_l_per_ug * drivers.calcitriol_ug_per_day

    def _phosphate_stimulation_of_pth(self, pi: float) -> float:
        """Factor 1 + s_P max(Pi - Pi_PT, 0) by which hyperphosphataemia raises PTH secretion, 1.

        Parameters
        ----------
        pi : float
            Serum phosphate, mmol/L.
        """
        p = self.params
        return 1.0 + p.phosphate_pth_gain_per_mmol_per_l * max(pi - p.phosphate_pth_threshold_mmol_per_l, 0.0)

    def _calcitriol_suppression_of_pth(self, calcitriol: float) -> float:
        """Factor (1+s_D)/(1+s_D D/D_n) by which calcitriol scales PTH secretion, 1."""
        s = self.params.pth_calcitriol_suppression
        return (1.0 + s) / (1.0 + s * calcitriol / self._d_n)

    def _renal_calcium_excretion(self, ca: float, pth: float, dpth: float, calcitriol: float, fall: float
                                 ) -> tuple[float, float]:
        r"""Urinary calcium above the renal threshold, U = GFR Ca_E, and dU/dCa.

        :math:`Ca_E = s_T \ln(1 + e^{(Ca - T)/s_T})` mmol per litre of filtrate, with the
        threshold :math:`T = T_0 + T_{PTH} \frac{PTH}{PTH + K_T} \frac{D}{D + K_{TD}} - \Delta T` raised by
        PTH where calcitriol has induced the distal transport proteins (Nordin & Peacock 1969;
        Hoenderop 2005), lowered by glucocorticoid and thyroid excess and raised by lithium (:math:`\Delta T`).

        Parameters
        ----------
        ca : float
            Serum calcium, mmol/L.
        pth, dpth : float
            PTH (pmol/L) and dPTH/dCa (pmol/L per mmol/L) at ``ca``.
        calcitriol : float
            Calcitriol, pmol/L.
        fall : float
            Fall of the threshold under glucocorticoid and thyroid excess less its rise under lithium, mmol/L.

        Returns
        -------
        urinary : float
            mmol/day.
        durinary_dca : float
            mmol/day per mmol/L.
        """
        span = self._t_span * calcitriol / (calcitriol + self._t_kd)
        threshold = self._t0 + span * pth / (pth + self._t_k) - fall
        dthreshold = span * self._t_k / (pth + self._t_k) ** 2 * dpth
        z = (ca - threshold) / self._splay
        if z > 30.0:
            excreted, slope = ca - threshold, 1.0
        else:
            excreted, slope = self._splay * math.log1p(math.exp(z)), 1.0 / (1.0 + math.exp(-z))
        return self._gfr * excreted, self._gfr * slope * (1.0 - dthreshold)

    def _renal_threshold_fall(self, drivers: Drivers) -> float:
        """Fall of the renal threshold (thyroid and glucocorticoid excess) less its rise (lithium), mmol/L."""
        p = self.params
        return (p.glucocorticoid_threshold_fall_mmol_per_l * glucocorticoid_effect(drivers.glucocorticoid, self._gc_half)
                + p.thyroid_threshold_fall_mmol_per_l * max(drivers.thyroid - 1.0, 0.0)
                - p.lithium_threshold_rise_mmol_per_l * drivers.lithium_mmol_per_l)

    def _endogenous_faecal_calcium(self, ca: float) -> float:
        """Endogenous faecal calcium loss E = E_n Ca/Ca_n, mmol/day."""
        return self._e_n * ca / self._ca_n

    def _gut_calcium_absorption(self, drivers: Drivers, calcitriol: float) -> float:
        """Intestinal calcium absorption (gross), mmol/day."""
        p = self.params
        steroid = 1.0 - p.glucocorticoid_gut_inhibition * glucocorticoid_effect(drivers.glucocorticoid, self._gc_half)
        fraction = p.gut_ca_passive_fraction + p.gut_ca_active_fraction * calcitriol / (
            calcitriol + p.gut_calcitriol_half_pmol_per_l)
        return drivers.dietary_calcium_mg_per_day / CALCIUM_MG_PER_MMOL * drivers.gut_absorption * steroid * fraction

    def _exchangeable_equilibrium(self, ca: float, pth: float, dpth: float) -> tuple[float, float]:
        """Equilibrium exchangeable pool X_eq (mmol) and dX_eq/dCa (mmol per mmol/L)."""
        x = self._x_norm * (ca / self._ca_n) * (pth / self._pth_n) ** (-self._beta)
        return x, x * (1.0 / ca - self._beta * dpth / pth)

    def _gut_phosphate_absorption(self, drivers: Drivers, calcitriol: float) -> float:
        """Intestinal phosphate absorption, mmol/day."""
        p = self.params
        fraction = p.gut_p_passive_fraction + p.gut_p_active_fraction * calcitriol / (
            calcitriol + p.gut_calcitriol_half_pmol_per_l)
        return p.dietary_phosphate_mmol_per_day * drivers.gut_absorption * fraction

    def _renal_phosphate_excretion(self, pi: float, pth: float) -> float:
        """Urinary phosphate U_P = GFR Pi FE_P(PTH) (F/F_n)^e_P (Pi/Pi_n)^q_P, mmol/day; PTH and FGF23 are phosphaturic.

        Parameters
        ----------
        pi : float
            Serum phosphate, mmol/L.
        pth : float
            PTH, pmol/L.
        """
        p = self.params
        fe = p.phosphate_fe_min + (p.phosphate_fe_max - p.phosphate_fe_min) * pth / (
            pth + p.phosphate_fe_pth_half_pmol_per_l)
        return self._gfr * pi * fe * self._fgf23_phosphaturia * (pi / p.phosphate_norm_mmol_per_l) ** self._fep_q

    def _vitamin_d_25oh_target(self, drivers: Drivers) -> float:
        """Steady 25(OH)D for the supply and gut absorption, lowered by smoking and a failing liver, nmol/L."""
        p = self.params
        return (p.vitamin_d_25oh_sufficient_nmol_per_l * drivers.vitamin_d_supply * drivers.gut_absorption
                * drivers.liver_function ** p.hepatic_25_hydroxylation_exponent
                / (1.0 + p.smoking_vitamin_d_loss_per_cigarette * drivers.cigarettes_per_day))

    def _calcitriol_target(self, pth: float, d25: float, pi: float) -> float:
        """Quasi-steady calcitriol D* for PTH, 25(OH)D and phosphate, plus oral calcitriol, pmol/L."""
        p = self.params
        pm = pth ** p.calcitriol_pth_hill
        stim = pm / (pm + p.calcitriol_pth_half_pmol_per_l ** p.calcitriol_pth_hill)
        substrate = d25 / (d25 + p.calcitriol_25oh_km_nmol_per_l)
        kp2 = p.calcitriol_phosphate_half_mmol_per_l ** 2
        return self._d_max * stim * substrate * kp2 / (kp2 + pi * pi) + self._calcitriol_rx

    # ------------------------------------------------------------------ steady state
    def _steady_state(self, drivers: Drivers) -> dict[str, float]:
        """Steady state for ``drivers`` with balanced bone fluxes (R = M).

        Solves for calcitriol D the scalar equation D*(D) = D, where for each D serum calcium
        solves the balance A_Ca(D) = E(Ca) + U(Ca) and phosphate solves A_P(D) = U_P; D*(D)
        decreases in D, so the root is unique.
        """
        self._set_day_drivers(drivers)
        d25 = self._vitamin_d_25oh_target(drivers)
        fall = self._renal_threshold_fall(drivers)

        def state(d: float, stimulation: float) -> dict[str, float]:
            suppression = self._calcitriol_suppression_of_pth(d) * stimulation
            gut = self._gut_calcium_absorption(drivers, d)

            def balance(ca: float) -> float:
                pth, dpth = self._pth_secretion(ca, suppression)
                return gut - self._endogenous_faecal_calcium(ca) - self._renal_calcium_excretion(
                    ca, pth, dpth, d, fall)[0]

            if balance(_CA_LO) <= 0.0:  # no absorption at this calcitriol: calcium floor
                ca = _CA_LO
            else:
                ca = brentq(balance, _CA_LO, _CA_HI, xtol=1e-15, rtol=1e-15, maxiter=200)
            pth, dpth = self._pth_secretion(ca, suppression)
            gut_p = self._gut_phosphate_absorption(drivers, d)
            # U_P is proportional to Pi^(1 + q_P): scale from its value at Pi_n.
            pi_n = self.params.phosphate_norm_mmol_per_l
            pi = pi_n * (gut_p / self._renal_phosphate_excretion(pi_n, pth)) ** (1.0 / (1.0 + self._fep_q))
            return dict(
                ca=ca, pth=pth, pi=pi, calcitriol=d, d25=d25,
                x=self._exchangeable_equilibrium(ca, pth, dpth)[0],
                urinary_ca=self._renal_calcium_excretion(ca, pth, dpth, d, fall)[0],
                gut_ca=gut, endogenous_ca=self._endogenous_faecal_calcium(ca), urinary_p=gut_p,
                target=self._calcitriol_target(pth, d25, pi))

        def solve(stimulation: float) -> dict[str, float]:
            if state(0.0, stimulation)["target"] <= 0.0:
                return state(0.0, stimulation)
            d = brentq(lambda d: state(d, stimulation)["target"] - d, 0.0, self._d_max + self._calcitriol_rx,
                       xtol=1e-13, rtol=1e-15, maxiter=200)
            return state(d, stimulation)

        stimulation = 1.0  # phosphate's stimulation of PTH: a fixed point in the steady phosphate
        for _ in range(200):
            result = solve(stimulation)
            new = self._phosphate_stimulation_of_pth(result["pi"])
            if abs(new - stimulation) <= 1e-12:
                break
            stimulation = new
        result["pth_stimulation"] = stimulation
        if result["ca"] <= _CA_LO:
            raise ValueError(
                "no positive steady state with balanced bone fluxes: no net calcium absorption "
                f"(dietary_calcium_mg_per_day={drivers.dietary_calcium_mg_per_day}, "
                f"gut_absorption={drivers.gut_absorption}, vitamin_d_supply={drivers.vitamin_d_supply}); "
                "start from healthy drivers and ramp them")
        return result

    # ------------------------------------------------------------------ the daily step
    def available_for_mineralisation_mmol(self) -> float:
        """Calcium that mineralisation can take today: the exchangeable pool, mmol.

        Today's resorbed calcium enters the same pool, so :meth:`step` accepts up to this
        plus the day's resorbed flux; a demand capped at this value is always met in full.
        """
        return self._ca_x

    def step(self, drivers: Drivers, resorbed_ca_mmol: float, mineralised_ca_mmol: float) -> None:
        """Advance one day. Fluxes are whole-skeleton mmol/day of calcium (phosphate follows at Ca:P 1.67).

        The day's order: 25(OH)D; calcium and PTH (gut absorption with yesterday's calcitriol,
        exchange with the bone-surface pool, kidney); phosphate; parathyroid gland mass; the
        running mean of Ca × P; calcitriol.

        Parameters
        ----------
        drivers : Drivers
            Driver levels today.
        resorbed_ca_mmol : float
            Calcium released by resorption into the exchangeable pool, mmol/day (>= 0).
        mineralised_ca_mmol : float
            Calcium demanded by mineralisation from the exchangeable pool, mmol/day (>= 0). At
            most the pool plus today's resorbed calcium is taken; the amount actually taken is
            added to ``calcium_ledger['mineralised_out']`` and any shortfall to
            ``calcium_ledger['mineralisation_unmet']``.

        Raises
        ------
        ValueError
            If a flux is negative or not finite.
        """
        resorbed, mineralised = self._take_bone_fluxes(resorbed_ca_mmol, mineralised_ca_mmol)
        self._set_day_drivers(drivers)
        self._step_vitamin_d(drivers)
        exchange = self._step_calcium(drivers, resorbed, mineralised)
        self._step_phosphate(drivers, exchange)
        self._pth_stimulation = self._phosphate_stimulation_of_pth(self._p_ecf / self._v)
        self._step_gland()
        self._step_caxp_mean()
        self._step_calcitriol()

    def _take_bone_fluxes(self, resorbed_ca_mmol: float, mineralised_ca_mmol: float) -> tuple[float, float]:
        """Check the day's bone fluxes and cap mineralisation at what the pool can give.

        Parameters
        ----------
        resorbed_ca_mmol, mineralised_ca_mmol : float
            Resorbed calcium R and mineralisation demand M, mmol/day.

        Returns
        -------
        resorbed : float
            R, mmol/day.
        mineralised : float
            Calcium taken by mineralisation, min(M, X + R), mmol/day; the shortfall is added to
            the ``mineralisation_unmet`` ledger entry.

        Raises
        ------
        ValueError
            If a flux is negative or not finite.
        """
        r = float(resorbed_ca_mmol)
        m = float(mineralised_ca_mmol)
        if not (r >= 0.0 and m >= 0.0 and r != math.inf and m != math.inf):
            raise ValueError(
                f"bone fluxes must be finite and >= 0 mmol/day: resorbed={resorbed_ca_mmol!r}, "
                f"mineralised={mineralised_ca_mmol!r}")
        x_plus_r = self._ca_x + r
        if m > x_plus_r:
            self._mineralisation_unmet += m - x_plus_r
            m = x_plus_r
        return r, m

    def _step_vitamin_d(self, drivers: Drivers) -> None:
        """Relax 25(OH)D exactly (exponential update) towards its target over one day, nmol/L."""
        target25 = self._vitamin_d_25oh_target(drivers)
        self._d25 = target25 + (self._d25 - target25) * self._d25_decay

    def _step_calcium(self, drivers: Drivers, resorbed: float, mineralised: float) -> float:
        """Advance ECF and exchangeable calcium one day and book the fluxes in the ledger.

        Gut absorption uses yesterday's calcitriol (the enterocyte response lags). Sets serum
        calcium, PTH, urinary and gut calcium for the day.

        Parameters
        ----------
        drivers : Drivers
            Driver levels today.
        resorbed : float
            Resorbed calcium R entering the exchangeable pool, mmol/day.
        mineralised : float
            Calcium taken from the pool by mineralisation M (already capped), mmol/day.

        Returns
        -------
        exchange : float
            Calcium exchange J_X from the pool into ECF, mmol/day (negative: uptake into bone).
        """
        supply = self._ca_x + resorbed - mineralised  # pool before exchange, mmol
        d = self._calcitriol
        gut = self._gut_calcium_absorption(drivers, d)
        c_old = self._ca_ecf
        fluxes = self._solve_calcium(c_old, supply, gut, d,
                                     self._renal_threshold_fall(drivers))
        self._ca_x = supply - fluxes.exchange
        self._ca_ecf = c_old + gut - fluxes.endogenous - fluxes.urinary + fluxes.exchange
        self._pth = fluxes.pth
        self._urinary_ca = fluxes.urinary
        self._gut_ca = gut
        self._endogenous_ca = fluxes.endogenous
        self._gut_in += gut - fluxes.endogenous
        self._kidney_out += fluxes.urinary
        self._resorbed_in += resorbed
        self._mineralised_out += mineralised
        return fluxes.exchange

    def _solve_calcium(self, c_old: float, supply: float, gut: float, calcitriol: float,
                       fall: float) -> _CalciumFluxes:
        r"""Backward-Euler day for (C, X) with PTH quasi-steady at the new serum calcium.

        With the new pool eliminated, :math:`J_X = (X_s - X_{eq}(Ca))/(\tau_X + 1)` and
        :math:`F(Ca) = V Ca - C - A_{Ca} + E(Ca) + U(Ca) - J_X(Ca) = 0`; F increases in Ca and
        F(0+) < 0, so safeguarded Newton iteration converges. The fluxes are returned as evaluated
        at the accepted Ca, so applying them balances the ledger exactly.

        Parameters
        ----------
        c_old : float
            ECF calcium C at the start of the day, mmol.
        supply : float
            Exchangeable pool X_s after today's resorption and mineralisation, mmol.
        gut : float
            Gross intestinal calcium absorption A_Ca, mmol/day.
        calcitriol : float
            Calcitriol, pmol/L (suppresses PTH, sets the renal threshold's PTH response).
        fall : float
            Fall of the renal calcium threshold under glucocorticoid and thyroid excess less its rise under
            lithium, mmol/L.

        Returns
        -------
        _CalciumFluxes
            PTH (pmol/L) and the endogenous faecal, urinary and exchange fluxes (mmol/day).
        """
        v = self._v
        suppression = self._calcitriol_suppression_of_pth(calcitriol) * self._pth_stimulation * self._gland
        k_ex = 1.0 / (self._ex_tau + 1.0)
        e_slope = self._e_n / self._ca_n
        ca = c_old / v if c_old > 0.0 else 1e-9
        lo, hi = 0.0, math.inf
        for _ in range(100):
            pth, dpth = self._pth_secretion(ca, suppression)
            u, du = self._renal_calcium_excretion(ca, pth, dpth, calcitriol, fall)
            xeq, dxeq = self._exchangeable_equilibrium(ca, pth, dpth)
            endo = e_slope * ca
            f = v * ca - c_old - gut + endo + u - (supply - xeq) * k_ex
            delta = f / (v + e_slope + du + dxeq * k_ex)
            if abs(delta) <= 1e-10 * ca:
                break  # the next Newton iterate would move Ca by < 1e-10 relative
            if f > 0.0:
                hi = ca
            else:
                lo = ca
            ca -= delta
            if not lo < ca < hi:  # safeguard: bisect the bracket (F(0+) < 0 < F(inf))
                ca = 0.5 * (lo + hi) if hi < math.inf else 2.0 * lo
        return _CalciumFluxes(pth=pth, endogenous=endo, urinary=u, exchange=(supply - xeq) * k_ex)

    def _step_phosphate(self, drivers: Drivers, exchange: float) -> None:
        """Advance ECF phosphate one day (linearly implicit), with yesterday's calcitriol and today's PTH.

        Urinary phosphate :math:`U_P = c P^{1+q_P}` is linearised about yesterday's pool
        (Rosenbrock-Euler); numerator and denominator stay positive.

        Parameters
        ----------
        drivers : Drivers
            Driver levels today.
        exchange : float
            Today's calcium exchange J_X from the bone-surface pool into ECF, mmol/day.
        """
        v = self._v
        p_old = self._p_ecf
        release, uptake_rate = self._phosphate_exchange(exchange, p_old)
        q_p = self._fep_q
        u_p_old = self._renal_phosphate_excretion(p_old / v, self._pth)
        p_new = (p_old + self._gut_phosphate_absorption(drivers, self._calcitriol) + release + q_p * u_p_old) / (
            1.0 + (1.0 + q_p) * u_p_old / p_old + uptake_rate)
        self._p_ecf = p_new
        self._urinary_p = u_p_old * (1.0 + (1.0 + q_p) * (p_new / p_old - 1.0))

    def _phosphate_exchange(self, exchange: float, p_old: float) -> tuple[float, float]:
        """Phosphate moving with the calcium exchange at the mineral ratio r_Ca:P.

        Release (J_X > 0) is explicit; uptake (J_X < 0) is taken proportional to the new
        phosphate, so the pool stays positive.

        Parameters
        ----------
        exchange : float
            Calcium exchange J_X into ECF, mmol/day.
        p_old : float
            ECF phosphate at the start of the day, mmol.

        Returns
        -------
        release : float
            Phosphate released into ECF, mmol/day.
        uptake_rate : float
            Fraction of the new ECF phosphate taken up into bone, 1/day.
        """
        release = exchange / self._ratio if exchange > 0.0 else 0.0
        uptake_rate = -exchange / (self._ratio * p_old) if exchange < 0.0 else 0.0
        return release, uptake_rate

    def _step_gland(self) -> None:
        """Grow or regress the parathyroid gland mass Gamma one day from today's drive per unit mass, 1.

        dGamma/dt = r_G Gamma (1 - Gamma/Gamma_max) max(sigma - sigma_G, 0) - r_R (Gamma - 1), with sigma
        the secretion per unit mass of gland with a normal calcium set point (an adenoma's shifted set point is left out: its
        clonal growth is another process, and it suppresses the normal glands) at today's calcium,
        calcitriol and phosphate, over the healthy PTH; an explicit day (the rates are below 1/100
        per day).
        """
        p = self.params
        suppression = self._calcitriol_suppression_of_pth(self._calcitriol) * self._pth_stimulation
        drive = self._pth_secretion(self._ca_ecf / self._v, suppression, self._pth_k_normal)[0] / self._pth_healthy
        growth = (p.parathyroid_growth_per_day * self._gland * (1.0 - self._gland / p.parathyroid_max_mass)
                  * max(drive - p.parathyroid_growth_threshold, 0.0))
        self._gland += growth - p.parathyroid_regression_per_day * (self._gland - 1.0)

    def _step_caxp_mean(self) -> None:
        """Update the exponential running mean of today's relative Ca × P (time constant tau_M), 1."""
        today = self._caxp_relative()
        self._caxp_mean = today + (self._caxp_mean - today) * self._caxp_keep

    def _step_calcitriol(self) -> None:
        """Relax calcitriol exactly towards its target for today's PTH, 25(OH)D and phosphate, pmol/L."""
        target = self._calcitriol_target(self._pth, self._d25, self._p_ecf / self._v)
        self._calcitriol = target + (self._calcitriol - target) * self._d_decay

    # ------------------------------------------------------------------ readouts
    @property
    def serum_calcium_mmol_per_l(self) -> float:
        """Total serum calcium, mmol/L."""
        return self._ca_ecf / self._v

    @property
    def serum_phosphate_mmol_per_l(self) -> float:
        """Serum inorganic phosphate, mmol/L."""
        return self._p_ecf / self._v

    @property
    def pth_pmol_per_l(self) -> float:
        """Intact PTH, pmol/L."""
        return self._pth

    @property
    def pth_relative(self) -> float:
        """PTH relative to the healthy steady state of these parameters, 1."""
        return self._pth / self._pth_healthy

    @property
    def pth_skeletal_relative(self) -> float:
        """PTH as the skeleton sees it: :attr:`pth_relative` times the uraemic resistance (eGFR/eGFR_n)^k_R, 1."""
        return self.pth_relative * self._skeletal_response

    @property
    def parathyroid_gland_mass(self) -> float:
        """Parathyroid gland mass relative to a normal gland (1 in health; hyperplasia > 1), 1."""
        return self._gland

    @property
    def fgf23_ru_per_ml(self) -> float:
        """C-terminal FGF23, RU/mL."""
        return self.params.fgf23_normal_ru_per_ml * self._fgf23_relative

    @property
    def calcitriol_pmol_per_l(self) -> float:
        """Calcitriol (1,25(OH)2D), pmol/L."""
        return self._calcitriol

    @property
    def vitamin_d_25oh_nmol_per_l(self) -> float:
        """25(OH)D, nmol/L."""
        return self._d25

    @property
    def urinary_calcium_mmol_per_day(self) -> float:
        """Urinary calcium over the last day, mmol/day."""
        return self._urinary_ca

    @property
    def urinary_phosphate_mmol_per_day(self) -> float:
        """Urinary phosphate over the last day, mmol/day."""
        return self._urinary_p

    @property
    def gut_calcium_absorbed_mmol_per_day(self) -> float:
        """Net intestinal calcium absorption (absorbed minus endogenous faecal loss), mmol/day."""
        return self._gut_ca - self._endogenous_ca

    @property
    def exchangeable_calcium_mmol(self) -> float:
        """Exchangeable bone-surface calcium pool, mmol."""
        return self._ca_x

    def _caxp_relative(self) -> float:
        """Serum Ca × P today over its normal value, 1."""
        return self._ca_ecf * self._p_ecf / (self._v * self._v * self.params.caxp_reference_mmol2_per_l2)

    def _caxp_hill(self, half: float) -> float:
        """Hill function x^h_M / (x^h_M + half^h_M) of the running mean x of relative Ca × P, 0..1."""
        h = self.params.mineralisation_caxp_hill
        xh = self._caxp_mean ** h
        return xh / (xh + half ** h)

    @property
    def mineralisation_supply(self) -> float:
        """Ca × P supply factor for mineralisation, 0..1 (≈ 1 in health), from the running mean of Ca × P."""
        return self._caxp_hill(self.params.mineralisation_caxp_half)

    @property
    def crystal_growth_supply(self) -> float:
        """Ca × P factor for secondary mineralisation (crystal growth), 0..1 (≈ 1 unless Ca × P is far below normal)."""
        return self._caxp_hill(self.params.crystal_growth_caxp_half)

    @property
    def calcium_ledger(self) -> dict[str, float]:
        """Calcium pools (mmol) and cumulative fluxes since the start (mmol).

        Keys: ``ecf``, ``exchangeable`` (current pools); ``gut_in`` (net absorption),
        ``kidney_out``, ``bone_resorbed_in``, ``mineralised_out`` (taken, after any cap),
        ``mineralisation_unmet`` (demand that could not be met); ``initial_total``. Invariant:
        ``ecf + exchangeable - initial_total = gut_in - kidney_out + bone_resorbed_in -
        mineralised_out``.
        """
        return {
            "ecf": self._ca_ecf,
            "exchangeable": self._ca_x,
            "gut_in": self._gut_in,
            "kidney_out": self._kidney_out,
            "bone_resorbed_in": self._resorbed_in,
            "mineralised_out": self._mineralised_out,
            "mineralisation_unmet": self._mineralisation_unmet,
            "initial_total": self._start_total,
        }

    def total_calcium_mmol(self) -> float:
        """Calcium in ECF plus the exchangeable pool, mmol."""
        return self._ca_ecf + self._ca_x
