"""Systemic effects on cells: how drivers and hormones scale cell behaviour.

A pure function maps one day's :class:`~bonegrid.drivers.Drivers` and the PTH level from
:mod:`bonegrid.physiology` to multiplicative modifiers of cell rules (1.0 = healthy adult).
Scenarios change drivers; only this module says what a driver does to a cell, so every
mechanism has one place and one parameter. Forms are deliberately simple (powers and
saturating terms); their strengths are modelling choices documented per parameter.
"""

from __future__ import annotations

import dataclasses

from bonegrid.drivers import Drivers
from bonegrid.parameters import ParameterSet, param


@dataclasses.dataclass(frozen=True)
class EffectParameters(ParameterSet):
    """Strengths of systemic effects on cells."""

    pth_rankl_exponent: float = param(
        0.5, unit="1", low=0.0, high=4.0, symbol="a_{PTH}",
        doc="RANKL production scales as (PTH/PTH_ref)^a",
        source="Pivonka et al. 2008 (PTH raises RANKL); strength fitted to the celiac serum calcium band "
               "(low-normal, 2.0-2.35 mmol/L, under secondary hyperparathyroidism), with pth_opg_exponent held; "
               "re-fit: python -m bonegrid.runs.calibrate pth_rankl_exponent")
    pth_opg_exponent: float = param(
        0.5, unit="1", low=0.0, high=4.0, symbol="b_{PTH}",
        doc="OPG production scales as (PTH/PTH_ref)^-b",
        source="Pivonka et al. 2008 (PTH lowers OPG); strength fitted to the celiac PTH band (secondary "
               "hyperparathyroidism, above the 1.6-6.9 pmol/L range), with pth_rankl_exponent held; "
               "re-fit: python -m bonegrid.runs.calibrate pth_opg_exponent")
    pth_sclerostin_exponent: float = param(
        0.5, unit="1", low=0.0, high=4.0, symbol="c_{PTH}",
        doc="sclerostin production scales as (PTH/PTH_ref)^-c", source="Keller & Kneissel 2005 (PTH suppresses SOST)")
    estrogen_rankl_gain: float = param(
        0.75, unit="1", low=0.0, high=10.0, symbol="g_{E,R}",
        doc="RANKL production x (1 + g (1 - E)) when estrogen E < 1",
        source="Eghbali-Fatourechi 2003 (RANKL up on marrow cells after menopause); fitted to the rise of "
               "resorption markers after the menopause, +79-97% (Garnero 1996), as postmenopausal turnover "
               "1.88 x the same woman's premenopausal 26.1 %/yr (inside the postmenopausal turnover band); "
               "re-fit: python -m bonegrid.runs.calibrate estrogen_rankl_gain")
    estrogen_opg_gain: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="g_{E,O}",
        doc="OPG production x (1 - g (1 - E)) when estrogen E < 1", source="modelling choice (estrogen raises OPG)")
    estrogen_osteoclast_lifespan_gain: float = param(
        1.0, unit="1", low=0.0, high=10.0, symbol="g_{E,Oc}",
        doc="osteoclast lifespan x (1 + g (1 - E)) when E < 1",
        source="Manolagas 2000 (estrogen promotes osteoclast apoptosis)")
    estrogen_osteoblast_lifespan_loss: float = param(
        0.5, unit="1", low=0.0, high=0.99, symbol="g_{E,Ob}",
        doc="osteoblast lifespan x (1 - g (1 - E)) when E < 1: estrogen keeps osteoblasts from apoptosis",
        source="Kousteni 2001, doi:10.1016/S0092-8674(01)00268-9; Manolagas 2000 (estrogen loss raises osteoblast "
               "apoptosis); thinner walls after the menopause (Vedi 1996); fitted to the postmenopausal years 2-4 "
               "band (SWAN: spine about -1.1 %/yr after the rapid phase); re-fit: python -m bonegrid.runs.calibrate "
               "estrogen_osteoblast_lifespan_loss")
    glucocorticoid_half_effect_mg_per_day: float = param(
        7.5, unit="mg/day", low=0.1, high=100.0, symbol="G_{50}",
        doc="prednisolone-equivalent dose giving half the maximal glucocorticoid effect, f_G = G / (G + G_50), "
            "in every tissue: bone cells (bonegrid.effects), gut and kidney (bonegrid.physiology); one receptor, GR",
        source="modelling choice; fracture risk rises steeply above 7.5 mg/day (van Staa 2000, "
               "doi:10.1359/jbmr.2000.15.6.993); clear skeletal effects at >= 7.5 mg/day (Compston 2018, "
               "doi:10.1038/s41574-018-0012-1)")
    glucocorticoid_osteoblast_recruitment_loss: float = param(
        0.75, unit="1", low=0.0, high=1.0, symbol="g_{G,rec}",
        doc="osteoblast recruitment x (1 - g f_G): fewer osteoprogenitors reach the reversal surfaces, so "
            "cavities wait longer for their osteoblasts and more are left as arrested reversal surfaces",
        source="prednisolone reduces osteoblastogenesis from marrow progenitors (Weinstein 1998, "
               "J Clin Invest 102:274; osteoclast progenitors fall as well, Weinstein 2002, doi:10.1172/JCI14538); "
               "arrested reversal surfaces are more frequent in glucocorticoid bone (Andersen 2013; Delaisse "
               "2020); strength approx., chosen with the formation marker in view: at 0.6 the recruitment delay "
               "was made up within the window and P1NP did not fall (against falls of 30-50% within weeks, "
               "Pearce 1998; Ton 2005); at 0.9 (as the osteoclast precursor loss) bone loss did not slow after "
               "year 1, so the prednisolone P1NP check is not independent of this value")
    glucocorticoid_osteoblast_lifespan_loss: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="g_{G,Ob}",
        doc="osteoblast lifespan x (1 - g f_G)",
        source="Weinstein 1998 (osteoblast apoptosis); strength approx.: with the collagen loss and the recruitment "
               "loss, units refill to ~0.7 at 15 mg/day (thinner walls, as in glucocorticoid biopsies: Bressot 1979; "
               "Dempster 1989); at 0.5 with the collagen loss they refilled to ~0.6")
    glucocorticoid_osteocyte_apoptosis_gain: float = param(
        2.0, unit="1", low=0.0, high=50.0, symbol="g_{G,Ot}",
        doc="osteocyte apoptosis hazard x (1 + g f_G)",
        source="Weinstein 1998 (J Clin Invest 102:274: prednisolone makes osteocyte apoptosis abundant); O'Brien "
               "2004; strength approx.: a two- to threefold hazard at 10-15 mg/day (x2.1-2.3). It was 0.5 while "
               "each dying osteocyte called a remodeling unit (at 3 the extra targeted remodeling tripled turnover, "
               "against the low turnover of glucocorticoid-treated bone, Dalle Carbonare 2001); the deaths it adds "
               "are silent now (glucocorticoid_osteocyte_repair_call_share), so that bound no longer holds. At 2 the "
               "viable osteocytes fall 12.8 points in 2 years at 15 mg/day (0.5: 6.3) and a 60-year-old man's slice "
               "reads dying osteocytes by year 1 on every seed (360², seeds 1-3)")
    glucocorticoid_osteocyte_repair_call_share: float = param(
        0.0, unit="1", low=0.0, high=1.0, symbol="r_{G,Ot}",
        doc="share of the osteocytes that glucocorticoid kills (the g f_G / (1 + g f_G) part of the deaths) "
            "that still call a repair unit; the others die without signalling (no apoptotic RANKL burst) and "
            "count at once as empty lacunae, so their bone is not remodeled. Deaths from age, microdamage and "
            "disuse always call repair",
        source="glucocorticoid-induced osteocyte apoptosis accumulates in place, a cumulative and unrepairable "
               "defect (Weinstein 2000, J Clin Endocrinol Metab 85:2907; O'Brien 2004, Endocrinology 145:1835); "
               "glucocorticoids kill osteocytes by anoikis through a focal-adhesion pathway (Plotkin 2007, "
               "J Biol Chem 282:24120), unlike fatigue damage, whose osteocyte apoptosis is required for "
               "the targeted resorption that follows (Verborgt 2000, J Bone Miner Res 15:60; Cardoso "
               "2009, J Bone Miner Res 24:597); chronic glucocorticoid bone is low-turnover (Dalle Carbonare "
               "2001, J Bone Miner Res 16:97)")
    glucocorticoid_osteoclast_lifespan_gain: float = param(
        1.5, unit="1", low=0.0, high=10.0, symbol="g_{G,Oc}",
        doc="osteoclast lifespan x (1 + g f_G): glucocorticoids delay osteoclast apoptosis, so the early "
            "resorption rise comes from osteoclasts living longer, not from more activations",
        source="Weinstein 2002 (doi:10.1172/JCI14538: glucocorticoids prolong osteoclast survival; cancellous "
               "osteoclasts increase while their progenitors fall); Jia 2006 (doi:10.1210/en.2006-0459: a direct, "
               "GR-mediated action on osteoclasts); strength approx., as the estrogen effect")
    glucocorticoid_osteoclast_precursor_loss: float = param(
        0.9, unit="1", low=0.0, high=1.0, symbol="g_{G,P}",
        doc="supply of the marrow's osteoclast precursor pool x (1 - g f_G): once the pool has turned over "
            "(weeks), fewer osteoclasts form for the same RANKL",
        source="Weinstein 2002 and Jia 2006 (glucocorticoids reduce osteoclast as well as osteoblast "
               "progenitors); low activation frequency in glucocorticoid-treated patients (Dalle Carbonare 2001, "
               "J Bone Miner Res 16:97); strength approx.")
    glucocorticoid_collagen_synthesis_loss: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="g_{G,col}",
        doc="osteoblast matrix (osteoid) apposition x (1 - g f_G): glucocorticoids repress type I collagen "
            "synthesis in the osteoblasts that remain, so each lays less osteoid from the first day",
        source="cortisol represses type I procollagen transcription in osteoblasts within hours (Delany 1995, "
               "J Cell Biochem 57:488); direct inhibition of matrix synthesis by the osteoblast (Reid 1997, "
               "Eur J Endocrinol 137:209); strength approx.: alone it lowered P1NP little, as more units opened "
               "(the formation fall comes with the recruitment loss and the silent osteocyte deaths, "
               "the time courses of section 4.4 of the model description)")
    glucocorticoid_rankl_gain: float = param(
        0.1, unit="1", low=0.0, high=10.0, symbol="g_{G,R}",
        doc="RANKL production x (1 + g f_G)",
        source="Hofbauer 1999 (dexamethasone raises RANKL ~2x but lowers OPG far more in osteoblastic cells); "
               "strength approx., a third of the OPG loss: in patients serum OPG falls while resorption rises only "
               "modestly and early (Compston 2018, doi:10.1007/s12020-018-1588-2); at 0.5 the extra units "
               "outweighed the osteoblasts lost (P1NP 2-4x, turnover ~66%/yr)")
    glucocorticoid_opg_loss: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="g_{G,O}",
        doc="OPG production x (1 - g f_G)",
        source="Hofbauer 1999 (glucocorticoids lower OPG); serum OPG falls under glucocorticoid therapy (Sasaki "
               "2001, Nephrol Dial Transplant 16:479); strength approx.")
    cytokine_rankl_gain: float = param(
        1.0, unit="1", low=0.0, high=10.0, symbol="g_C",
        doc="RANKL production x (1 + g C (1 - g_{G,syn} f_G)) for cytokine load C",
        source="modelling choice (TNF-a, IL-1, IL-6 raise RANKL)")
    thyroid_resorption_exponent: float = param(
        0.5, unit="1", low=0.0, high=4.0, symbol="t_{Oc}",
        doc="osteoclast resorption rate and activation scale as T^t", source="modelling choice; Eriksen 1985")
    thyroid_formation_exponent: float = param(
        0.3, unit="1", low=0.0, high=4.0, symbol="t_{Ob}",
        doc="mineral apposition rate scales as T^t", source="modelling choice; Eriksen 1985")
    thyroid_osteoblast_lifespan_exponent: float = param(
        0.6, unit="1", low=0.0, high=4.0, symbol="t_{L}",
        doc="osteoblast lifespan scales as T^-t (formation shortened more than resorption)",
        source="Eriksen 1985 (formation period shortened more than resorption at free T4 ~3x normal); approx.: "
               "no longer fitted, since the remodeling period hardly depends on it once osteoid laid on an "
               "arrested reversal surface counts for the re-activating unit (97, 104, 92 days at 0.2, 0.6, 1.2; "
               "360², seeds 1-3)")
    ascorbate_collagen_half: float = param(
        0.25, unit="1", low=1e-3, high=10.0, symbol="K_C",
        doc="plasma ascorbate (relative to replete) at which osteoblast collagen (osteoid) production is "
            "half its replete rate: apposition x C (1 + K_C)/(C + K_C)",
        source="ascorbate is the cofactor of prolyl hydroxylase: without it osteoblasts make little stable "
               "collagen and osteoid formation fails while resorption goes on (Kipp 1996, "
               "doi:10.1016/8756-3282(96)00188-2; Franceschi 1992); half-effect approx. (scurvy below ~0.2)")
    lithium_opg_gain: float = param(
        1.0, unit="1/(mmol/L)", low=0.0, high=5.0, symbol="g_{Li,O}",
        doc="OPG x (1 + g Li): lithium inhibits GSK-3b, so beta-catenin accumulates in osteoblast-lineage "
            "cells and raises OPG",
        source="Glass 2005 (doi:10.1016/j.devcel.2005.03.016: beta-catenin drives osteoblast OPG); "
               "Clement-Lacroix 2005 (doi:10.1073/pnas.0505259102: lithium raises bone mass through Wnt); "
               "strength fitted to the lithium CTX band (lower CTX in users than in controls: Zamani 2009, "
               "doi:10.1016/j.bone.2008.10.001) with the osteoclast term below held; re-fit: "
               "python -m bonegrid.runs.calibrate lithium_opg_gain")
    lithium_osteoclastogenesis_half_mmol_per_l: float = param(
        0.65, unit="mmol/L", low=0.05, high=100.0, symbol="K_{Li,Oc}",
        doc="serum lithium that halves osteoclast formation for the same RANKL: x 1 / (1 + Li / K); lithium "
            "blunts RANKL-induced NF-kB signalling in osteoclast precursors",
        source="Hu 2017 (doi:10.18632/oncotarget.20000: LiCl inhibits RANKL-induced osteoclastogenesis through "
               "NF-kB, independently of Wnt); strength fitted to the lithium CTX band (lower CTX in users than "
               "in controls: Zamani 2009, doi:10.1016/j.bone.2008.10.001) with lithium_opg_gain held; re-fit: "
               "python -m bonegrid.runs.calibrate lithium_osteoclastogenesis_half_mmol_per_l")
    lithium_osteoblast_recruitment_gain: float = param(
        0.3, unit="1/(mmol/L)", low=0.0, high=5.0, symbol="g_{Li,Ob}",
        doc="osteoblast recruitment x (1 + g Li): Wnt signalling commits more precursors",
        source="Clement-Lacroix 2005 (lithium: more osteoblasts, more formation in mice); strength approx.")
    disuse_gain: float = param(
        2.0, unit="1", low=0.0, high=20.0, symbol="g_L",
        doc="osteocyte RANKL and sclerostin x (1 + g max(0, 1 - L / H)) for loading L and customary loading H "
            "(1, or a higher loading the cells have accommodated to: stopping training reads as disuse)",
        source="Robling 2008; Xiong 2011 (unloading raises SOST and osteocyte RANKL); after training stops, "
               "bone gained is lost within a year (Dalsky 1988, doi:10.7326/0003-4819-108-6-824)")
    loading_sclerostin_exponent: float = param(
        1.0, unit="1", low=0.0, high=4.0, symbol="l_S",
        doc="sclerostin x L^-l when loading L > 1", source="Robling 2008 (loading suppresses SOST)")
    teriparatide_pth_exposure: float = param(
        0.86, unit="1 (relative to the healthy PTH)", low=0.0, high=10.0, symbol="e_P",
        doc="teriparatide's daily mean serum level at dose 1, in units of the healthy PTH, added to the PTH that "
            "bone cells answer with RANKL and OPG (PTH's catabolic arm: the drug is a PTH-receptor agonist); "
            "intact-PTH assays do not see it, so the serum PTH readout does not include it",
        source="20 ug a day: F D / (CL x 24 h) = 0.95 x 20 ug / (62 L/h x 24 h) = 12.8 pg/mL = 3.1 pmol/L "
               "(molar mass 4118 g/mol; Forteo label: bioavailability 95%, clearance 62 L/h in women, gone "
               "within 3 hours), over the healthy PTH of 3.60 pmol/L; each injection raises RANKL and lowers OPG "
               "in osteoblast-lineage cells for hours (Ma 2001, Endocrinology 142:4047): resorption markers rise "
               "after the formation markers (McClung 2005)")
    teriparatide_osteoblast_lifespan_gain: float = param(
        1.0, unit="1", low=0.0, high=10.0, symbol="g_{P,Ob}",
        doc="osteoblast lifespan x (1 + g P) under intermittent PTH dose P",
        source="Jilka 1999 (intermittent PTH delays osteoblast apoptosis)")
    teriparatide_osteoblast_recruitment_gain: float = param(
        1.0, unit="1", low=0.0, high=10.0, symbol="g_{P,rec}",
        doc="osteoblast recruitment x (1 + g P)", source="Kim 2012 (PTH reactivates lining cells; approx.)")
    teriparatide_sclerostin_loss: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="g_{P,S}",
        doc="sclerostin x (1 - g P / (1 + P))", source="Keller & Kneissel 2005 (PTH suppresses SOST)")
    glucocorticoid_synovitis_suppression: float = param(
        0.6, unit="1", low=0.0, high=1.0, symbol="g_{G,syn}",
        doc="inflammation (pannus secretion and the cytokine RANKL gain) x (1 - g f_G): glucocorticoids "
            "repress NF-kB-driven cytokine and RANKL production in synovium and marrow",
        source="glucocorticoid receptor transrepression of NF-kB and AP-1 (Rhen & Cidlowski 2005, "
               "doi:10.1056/NEJMra050541); prednisolone 7.5 mg/day slows erosions in early RA (Kirwan 1995, "
               "doi:10.1056/NEJM199507203330302); strength approx.")
    teriparatide_overfill: float = param(
        0.0, unit="1", low=0.0, high=1.0, symbol="g_{P,over}",
        doc="chance, at dose 1, that an osteoblast with its cavity refilled keeps forming on the surface",
        source="none by default: paired biopsies after 19 months of teriparatide show no change of wall thickness "
               "or mineral apposition rate (Jiang 2003, doi:10.1359/jbmr.2003.18.11.1932), and an overfilling "
               "osteoblast forms for the rest of its (longer) life: at 0.5 a postmenopausal woman's BV/TV rose "
               "3.2-fold in 21 months (against +14%, same study). Overfilled units are reported (Dempster 2001; "
               "Lindsay 2006): a hypothesis to switch on")
    teriparatide_lining_activation_per_day: float = param(
        0.0025, unit="1/day per surface voxel", low=0.0, high=0.1, symbol="\\nu_{P,lin}",
        doc="daily chance, at dose 1, that the lining cell of a quiescent bone surface is turned back into a "
            "matrix-making osteoblast (modelling-based formation, without resorption first)",
        source="intermittent PTH converts quiescent lining cells to active osteoblasts (Dobnig & Turner 1995, "
               "Endocrinology 136:3632; Kim 2012, doi:10.1002/jbmr.1741); in women on teriparatide a third of "
               "the new formation within a month is on smooth cement lines, without prior resorption "
               "(Lindsay 2006, doi:10.1359/JBMR.051211; Dempster 2018); fitted to the postmenopausal_teriparatide "
               "BMD band (Neer 2001: +8.6 points over placebo in 21 months): levels 0, 0.0015, 0.0025, 0.0035, "
               "0.0045 read -0.5, +3.9, +6.9, +6.8, +10.3% (6 seeds), fit 0.0022; re-fit: python -m "
               "bonegrid.runs.calibrate teriparatide_lining_activation_per_day")
    alcohol_half_effect_g_per_day: float = param(
        60.0, unit="g/day", low=1.0, high=400.0, symbol="A_{50}",
        doc="alcohol intake giving half the maximal direct effect on bone cells, f_A = A^2 / (A^2 + A_50^2): "
            "little below ~2 drinks a day, most of it in heavy drinkers",
        source="fracture risk rises only above ~2-3 units (16-24 g) a day (Kanis 2005, Osteoporos Int "
               "16:737); light drinking is not harmful to BMD (Berg 2008, "
               "Am J Med 121:406); approx.")
    alcohol_osteoblast_apposition_loss: float = param(
        0.72, unit="1", low=0.0, high=1.0, symbol="g_{A,MAR}",
        doc="osteoblast matrix apposition x (1 - g f_A): ethanol is directly toxic to osteoblasts",
        source="ethanol inhibits human osteoblast proliferation and function in vitro (Friday & Howard 1991, "
               "Metabolism 40:562); fitted to the alcohol BFR/BV band (BFR/BS about half of controls' and MAR "
               "0.31 vs 0.77 um/day at > 150 g/day: Díez 1994, doi:10.1002/jbmr.5650090608); re-fit: "
               "python -m bonegrid.runs.calibrate alcohol_osteoblast_apposition_loss")
    alcohol_osteoblast_recruitment_loss: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="g_{A,rec}",
        doc="osteoblast recruitment x (1 - g f_A): fewer osteoblasts differentiate",
        source="mineralising surface MS/BS 3.7 vs 5.9% in heavy drinkers (Díez 1994); ethanol diverts marrow "
               "stromal cells from osteoblasts to adipocytes (Chakkalakal 2005, "
               "Alcohol Clin Exp Res 29:2077); strength approx.")
    alcohol_osteocyte_apoptosis_gain: float = param(
        0.25, unit="1", low=0.0, high=50.0, symbol="g_{A,Ot}",
        doc="osteocyte apoptosis hazard x (1 + g f_A): at high intake osteocytes die",
        source="osteocyte apoptosis and empty lacunae in alcohol-fed rats (Maurel 2012, "
               "Alcohol Alcohol 47:413); strength approx., kept small: at 2 the extra targeted remodeling "
               "raised turnover ~60% and spine BMD fell 17% in 3 years while Díez 1994 found formation halved")
    bilirubin_upper_normal_umol_per_l: float = param(
        21.0, unit="umol/L", low=0.0, high=100.0, symbol="B_n",
        doc="total bilirubin up to which bone cells feel nothing (the upper end of the normal range)",
        source="adult clinical laboratory reference range (3-21 umol/L)")
    bilirubin_half_effect_umol_per_l: float = param(
        50.0, unit="umol/L", low=1.0, high=1000.0, symbol="K_B",
        doc="bilirubin excess over B_n giving half the maximal effect on osteoblasts, "
            "f_B = max(0, B - B_n) / (max(0, B - B_n) + K_B)",
        source="unconjugated bilirubin lowers osteoblast viability and differentiation dose-dependently, "
               "clearly at 50 uM (Ruiz-Gaspà 2011, doi:10.1002/hep.24605); plasma of jaundiced patients has 56% of "
               "normal osteoblast mitogenic activity, restored by removing bilirubin (Janes 1995, "
               "doi:10.1172/JCI117959); approx.")
    bilirubin_osteoblast_recruitment_loss: float = param(
        0.8, unit="1", low=0.0, high=1.0, symbol="g_{B,rec}",
        doc="osteoblast recruitment x (1 - g f_B): retained bilirubin holds osteoblast proliferation and "
            "differentiation back (RUNX2 down)",
        source="Janes 1995 (osteoblast mitogenic activity of jaundiced plasma 56% of normal); Ruiz-Gaspà 2011 "
               "(RUNX2 down-regulated); chosen so that recruitment is ~57% of normal at 80 umol/L")
    bilirubin_osteoblast_lifespan_loss: float = param(
        0.3, unit="1", low=0.0, high=1.0, symbol="g_{B,Ob}",
        doc="osteoblast lifespan x (1 - g f_B): bilirubin lowers osteoblast viability",
        source="Ruiz-Gaspà 2011 (dose-dependent loss of osteoblast viability); strength approx.")
    smoking_rankl_gain_per_pack: float = param(
        0.07, unit="1/(20 cigarettes/day)", low=0.0, high=5.0, symbol="g_{S,R}",
        doc="RANKL x (1 + g S/20) for S cigarettes/day: smoking raises resorption",
        source="higher urinary NTX in women who smoke (Supervía 2006, J Musculoskelet Neuronal Interact "
               "6:234); strength approx.: small, because postmenopausal loss is only ~0.2%/yr faster in smokers "
               "(Law & Hackshaw 1997, BMJ 315:841); at 0.15 the smoking scenario lost ~0.45%/yr more")
    igf1_hepatic_share: float = param(
        0.75, unit="1", low=0.0, high=1.0, symbol="s_I",
        doc="share of circulating IGF-1 made by the liver: serum IGF-1 relative to health I = 1 - s_I (1 - H) "
            "for liver function H (a failing liver makes less and resists growth hormone)",
        source="deleting the IGF-1 gene in hepatocytes lowers serum IGF-1 by ~75% (Yakar 1999, PNAS 96:7324); "
               "serum IGF-1 falls with the severity of cirrhosis (Gallego-Rojo 1998, Hepatology 28:695)")
    igf1_osteoblast_recruitment_loss: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="g_{I,rec}",
        doc="osteoblast recruitment x (1 - g (1 - I)) for serum IGF-1 I relative to health: IGF-1 drives "
            "osteoblast precursor proliferation and differentiation",
        source="low-dose IGF-1 raised bone formation and reversed osteopenia in cirrhotic rats (Cemborain 1998, "
               "J Hepatol 28:122); low IGF-1 goes with low BMD and low osteocalcin in viral cirrhosis "
               "(Gallego-Rojo 1998); strength approx.")
    igf1_osteoblast_apposition_loss: float = param(
        0.5, unit="1", low=0.0, high=1.0, symbol="g_{I,MAR}",
        doc="osteoblast matrix apposition x (1 - g (1 - I)) for serum IGF-1 I relative to health: IGF-1 drives "
            "the osteoblast's collagen synthesis",
        source="IGF-1 stimulates bone collagen synthesis (Canalis 1980, J Clin Invest 66:709); strength approx.")


@dataclasses.dataclass(frozen=True)
class CellModifiers:
    """Multipliers of cell rules on one day (1.0 = healthy adult)."""

    rankl: float = 1.0
    opg: float = 1.0
    sclerostin: float = 1.0
    osteocyte_rankl: float = 1.0
    osteocyte_apoptosis: float = 1.0
    osteocyte_unsignalled_death_share: float = 0.0
    osteoclast_activity: float = 1.0
    osteoclastogenesis: float = 1.0
    osteoclast_lifespan: float = 1.0
    osteoclast_precursor_supply: float = 1.0
    osteoblast_recruitment: float = 1.0
    osteoblast_lifespan: float = 1.0
    osteoblast_apposition: float = 1.0
    osteoblast_overfill: float = 0.0
    lining_activation: float = 0.0
    pannus: float = 0.0


def glucocorticoid_effect(dose_mg_per_day: float, half_effect_mg_per_day: float) -> float:
    """Fraction of the maximal glucocorticoid effect, f_G = G / (G + G_50), 0..1.

    Glucocorticoids act through one receptor (GR) in every tissue, so bone cells, gut and
    kidney share this saturation and its half-effect dose
    (:attr:`EffectParameters.glucocorticoid_half_effect_mg_per_day`).

    Parameters
    ----------
    dose_mg_per_day : float
        Prednisolone-equivalent dose G, mg/day (>= 0).
    half_effect_mg_per_day : float
        Dose G_50 giving half the maximal effect, mg/day (> 0).

    Returns
    -------
    float
        f_G, 1 (0 without glucocorticoid, 1/2 at G = G_50).

    Examples
    --------
    >>> glucocorticoid_effect(7.5, 7.5)
    0.5
    """
    return dose_mg_per_day / (dose_mg_per_day + half_effect_mg_per_day)


def alcohol_effect(intake_g_per_day: float, half_effect_g_per_day: float) -> float:
    """Fraction of the maximal direct effect of alcohol on bone cells, f_A = A^2 / (A^2 + A_50^2), 0..1.

    Quadratic at low intake, so light drinking does almost nothing and heavy drinking most.

    Parameters
    ----------
    intake_g_per_day : float
        Alcohol intake A, g ethanol/day (>= 0).
    half_effect_g_per_day : float
        Intake A_50 giving half the maximal effect, g/day (> 0).

    Returns
    -------
    float
        f_A, 1 (0 for abstainers, 1/2 at A = A_50).

    Examples
    --------
    >>> alcohol_effect(60.0, 60.0)
    0.5
    >>> round(alcohol_effect(12.0, 60.0), 3)
    0.038
    """
    a = intake_g_per_day * intake_g_per_day
    return a / (a + half_effect_g_per_day * half_effect_g_per_day)


def cell_modifiers(drivers: Drivers, pth_relative: float, params: EffectParameters,
                   customary_loading: float = 1.0) -> CellModifiers:
    """Compute the day's cell modifiers.

    Parameters
    ----------
    drivers : Drivers
        Driver levels today.
    pth_relative : float
        Serum PTH over its healthy reference (1 in health).
    params : EffectParameters
    customary_loading : float
        The loading the osteocytes take as customary, :math:`H` (1 = habitual; higher after they have
        accommodated to more, :attr:`bonegrid.mechanostat.Mechanostat.customary_loading`): loading below
        it reads as disuse.
    """
    p = params
    estrogen_loss = max(0.0, 1.0 - drivers.estrogen)
    f_gc = glucocorticoid_effect(drivers.glucocorticoid, p.glucocorticoid_half_effect_mg_per_day)
    disuse = 1.0 + p.disuse_gain * max(0.0, 1.0 - drivers.mechanical_loading / customary_loading)
    overload = max(1.0, drivers.mechanical_loading) ** -p.loading_sclerostin_exponent
    t = drivers.thyroid
    tpt = drivers.teriparatide
    pth = max(pth_relative, 1e-6)
    pth_and_drug = pth + p.teriparatide_pth_exposure * tpt  # what osteoblast-lineage cells answer with RANKL, OPG
    f_alc = alcohol_effect(drivers.alcohol_g_per_day, p.alcohol_half_effect_g_per_day)
    packs = drivers.cigarettes_per_day / 20.0
    bilirubin_excess = max(0.0, drivers.bilirubin_umol_per_l - p.bilirubin_upper_normal_umol_per_l)
    f_bil = bilirubin_excess / (bilirubin_excess + p.bilirubin_half_effect_umol_per_l)
    inflamed = 1.0 - p.glucocorticoid_synovitis_suppression * f_gc
    igf1 = 1.0 - p.igf1_hepatic_share * (1.0 - drivers.liver_function)
    return CellModifiers(
        rankl=(pth_and_drug ** p.pth_rankl_exponent * (1.0 + p.estrogen_rankl_gain * estrogen_loss)
               * (1.0 + p.glucocorticoid_rankl_gain * f_gc) * (1.0 + p.cytokine_rankl_gain * drivers.cytokines * inflamed)
               * t ** p.thyroid_resorption_exponent * (1.0 + p.smoking_rankl_gain_per_pack * packs)),
        opg=(pth_and_drug ** -p.pth_opg_exponent * (1.0 - p.estrogen_opg_gain * estrogen_loss)
             * (1.0 - p.glucocorticoid_opg_loss * f_gc) * (1.0 + p.lithium_opg_gain * drivers.lithium_mmol_per_l)),
        sclerostin=(pth ** -p.pth_sclerostin_exponent * disuse * overload
                    * (1.0 - p.teriparatide_sclerostin_loss * tpt / (1.0 + tpt))),
        osteocyte_rankl=disuse,
        osteocyte_apoptosis=((1.0 + p.glucocorticoid_osteocyte_apoptosis_gain * f_gc) * disuse
                             * (1.0 + p.alcohol_osteocyte_apoptosis_gain * f_alc)),
        osteocyte_unsignalled_death_share=((1.0 - p.glucocorticoid_osteocyte_repair_call_share)
                                           * p.glucocorticoid_osteocyte_apoptosis_gain * f_gc
                                           / (1.0 + p.glucocorticoid_osteocyte_apoptosis_gain * f_gc)),
        osteoclast_activity=t ** p.thyroid_resorption_exponent,
        osteoclastogenesis=1.0 / (1.0 + drivers.lithium_mmol_per_l / p.lithium_osteoclastogenesis_half_mmol_per_l),
        osteoclast_lifespan=((1.0 + p.estrogen_osteoclast_lifespan_gain * estrogen_loss)
                             * (1.0 + p.glucocorticoid_osteoclast_lifespan_gain * f_gc)),
        osteoclast_precursor_supply=1.0 - p.glucocorticoid_osteoclast_precursor_loss * f_gc,
        osteoblast_recruitment=((1.0 - p.glucocorticoid_osteoblast_recruitment_loss * f_gc)
                                * (1.0 + p.teriparatide_osteoblast_recruitment_gain * tpt)
                                * (1.0 + p.lithium_osteoblast_recruitment_gain * drivers.lithium_mmol_per_l)
                                * (1.0 - p.alcohol_osteoblast_recruitment_loss * f_alc)
                                * (1.0 - p.bilirubin_osteoblast_recruitment_loss * f_bil)
                                * (1.0 - p.igf1_osteoblast_recruitment_loss * (1.0 - igf1))),
        osteoblast_lifespan=((1.0 - p.glucocorticoid_osteoblast_lifespan_loss * f_gc)
                             * (1.0 - p.estrogen_osteoblast_lifespan_loss * estrogen_loss)
                             * t ** -p.thyroid_osteoblast_lifespan_exponent
                             * (1.0 + p.teriparatide_osteoblast_lifespan_gain * tpt)
                             * (1.0 - p.bilirubin_osteoblast_lifespan_loss * f_bil)),
        osteoblast_apposition=(t ** p.thyroid_formation_exponent * drivers.vitamin_c * (1.0 + p.ascorbate_collagen_half)
                               / (drivers.vitamin_c + p.ascorbate_collagen_half)
                               * (1.0 - p.alcohol_osteoblast_apposition_loss * f_alc)
                               * (1.0 - p.igf1_osteoblast_apposition_loss * (1.0 - igf1))
                               * (1.0 - p.glucocorticoid_collagen_synthesis_loss * f_gc)),
        osteoblast_overfill=min(1.0, p.teriparatide_overfill * tpt),
        lining_activation=p.teriparatide_lining_activation_per_day * tpt,
        pannus=drivers.synovitis * inflamed,
    )
