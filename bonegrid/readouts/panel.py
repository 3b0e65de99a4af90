"""The blood panel: laboratory values in clinical units beside their normal ranges, with flags.

Values come from the model's time series (physiology, turnover markers, the myeloma clone)
and from drivers read as laboratory tests: free T4 is the thyroid driver times the
mid-normal free T4, TSH follows free T4 through the pituitary's log-linear feedback (so a free
T4 still in range with a suppressed TSH reads as subclinical hyperthyroidism), CRP rises with
the inflammatory cytokine driver, and the kidney-function
driver (eGFR) gives eGFR and serum creatinine; FGF23 is the physiology's own, recorded in the
time series (column ``fgf23``); total bilirubin is the bilirubin driver itself; albumin and the
INR read the liver-function driver (the liver makes albumin and the clotting factors). Bone
alkaline phosphatase is made by working osteoblasts, so it follows the formation rate as P1NP
does; total alkaline phosphatase adds the liver's share. Normal ranges are in
one table, :data:`NORMAL_RANGES` (adult clinical ranges; free T4 and CRP use common
laboratory ranges, approx.), which the dashboard's charts read too.
A readout: it reads state and never changes it.
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Mapping

from bonegrid.drivers import Drivers
from bonegrid.physiology import HEALTHY_EGFR_ML_PER_MIN
from bonegrid.readouts.markers import MarkerParameters

FREE_T4_MID_PMOL_PER_L = 16.0
"""Mid-normal free T4 (euthyroid, driver thyroid = 1), pmol/L."""
TSH_MID_MIU_PER_L = 1.5
"""TSH of a euthyroid adult (driver thyroid = 1), mIU/L."""
TSH_FOLD_PER_FT4_DOUBLING = 100.0
"""Fold fall of TSH when free T4 doubles: ln TSH falls linearly with free T4 (Spencer 1990,
J Clin Endocrinol Metab 70:453: a twofold change in free T4 gives a ~100-fold change in TSH)."""
CRP_BASELINE_MG_PER_L = 1.0
"""CRP with no inflammation (cytokines = 0), mg/L."""
CRP_PER_CYTOKINE_MG_PER_L = 15.0
"""CRP added per unit of the cytokine driver, mg/L (approx.: active RA runs 10-50 mg/L)."""
CREATININE_HEALTHY_UMOL_PER_L = 60.0
"""Serum creatinine at the healthy eGFR (125 mL/min/1.73 m²), umol/L (approx.)."""
CREATININE_EGFR_EXPONENT = 1.209
"""eGFR ~ creatinine^-1.209 above 80 umol/L (CKD-EPI 2009, Levey 2009, doi:10.7326/0003-4819-150-9-200905050-00006),
so creatinine = healthy x (eGFR_n/eGFR)^(1/1.209)."""
BONE_ALP_REFERENCE_U_PER_L = 20.0
"""Bone alkaline phosphatase at the reference turnover (where P1NP is mid-normal), U/L (approx.)."""
LIVER_ALP_U_PER_L = 45.0
"""Alkaline phosphatase from the liver and other tissues, about half of the adult total, U/L (approx.)."""
ALBUMIN_HEALTHY_G_PER_L = 42.0
"""Serum albumin of a healthy adult (liver function H = 1), g/L."""
ALBUMIN_LIVER_EXPONENT = 0.5
"""Albumin = healthy x H^0.5 for liver function H: the liver makes all of it, and a smaller pool is cleared
more slowly; approx., chosen so that the Child-Pugh albumin classes (> 35, 28-35, < 28 g/L; Pugh 1973,
doi:10.1002/bjs.1800600817) fall at H ~0.7 and ~0.45."""
INR_LIVER_EXPONENT = 0.8
"""INR = H^-0.8 for liver function H: the prothrombin time lengthens as the liver makes fewer clotting
factors (II, V, VII, X); approx., chosen so that the Child-Pugh INR classes (< 1.7, 1.7-2.3, > 2.3) fall at
H ~0.5 and ~0.35."""


@dataclasses.dataclass(frozen=True)
class NormalRange:
    """The adult normal range of one laboratory value; either end may be open.

    Attributes
    ----------
    low, high : float or None
        Lower and upper limit, in ``unit``; None: no limit on that side.
    unit : str
        Clinical unit of the value and its limits.
    source : str
        Where the range comes from.
    """

    low: float | None
    high: float | None
    unit: str
    source: str

    def flag(self, value: float) -> str:
        """Return "L" for ``value`` below the range, "H" above it, "" inside it or NaN."""
        if math.isnan(value):
            return ""
        if self.low is not None and value < self.low:
            return "L"
        if self.high is not None and value > self.high:
            return "H"
        return ""

    @property
    def text(self) -> str:
        """The range as printed on a lab report: ``"1.6-6.9"``, ``"> 50"``, ``"< 5"``, or ``"none"`` (upper limit 0)."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        return f"> {self.low:g}" if self.low is not None else ("none" if self.high == 0.0 else f"< {self.high:g}")


_REFERENCE = "adult clinical laboratory reference range"
NORMAL_RANGES: Mapping[str, NormalRange] = types.MappingProxyType({
    "serum_calcium_mmol_per_l": NormalRange(2.15, 2.55, "mmol/L", _REFERENCE),
    "serum_phosphate_mmol_per_l": NormalRange(0.8, 1.5, "mmol/L", _REFERENCE),
    "pth_pmol_per_l": NormalRange(1.6, 6.9, "pmol/L", _REFERENCE),
    "vitamin_d_25oh_nmol_per_l": NormalRange(50.0, None, "nmol/L", f"{_REFERENCE} (> 50 sufficient)"),
    "ctx_ng_per_ml": NormalRange(0.1, 0.6, "ng/mL", f"{_REFERENCE} (approx.)"),
    "p1np_ug_per_l": NormalRange(15.0, 75.0, "ug/L", f"{_REFERENCE} (approx.)"),
    "bone_alp_u_per_l": NormalRange(11.6, 42.7, "U/L", "adult bone ALP (Ostase) ranges, premenopausal women to men "
                                                     "and postmenopausal women (approx.)"),
    "alp_u_per_l": NormalRange(30.0, 130.0, "U/L", f"{_REFERENCE} (approx.)"),
    "creatinine_umol_per_l": NormalRange(45.0, 110.0, "umol/L", f"{_REFERENCE} (approx.)"),
    "egfr_ml_per_min": NormalRange(60.0, None, "mL/min/1.73 m²", "KDIGO 2012: below 60 is chronic kidney disease"),
    "fgf23_ru_per_ml": NormalRange(None, 100.0, "RU/mL", "C-terminal FGF23; above 100 RU/mL high (Isakova 2011, "
                                                       "doi:10.1038/ki.2011.47)"),
    "free_t4_pmol_per_l": NormalRange(12.0, 22.0, "pmol/L", "common laboratory range (approx.)"),
    "tsh_miu_per_l": NormalRange(0.4, 4.0, "mIU/L", "common laboratory range (approx.)"),
    "crp_mg_per_l": NormalRange(None, 5.0, "mg/L", "common laboratory cut-off (approx.)"),
    "m_protein_g_per_l": NormalRange(None, 0.0, "g/L", "none in health: any monoclonal protein is abnormal"),
    "bilirubin_umol_per_l": NormalRange(3.0, 21.0, "umol/L", _REFERENCE),
    "albumin_g_per_l": NormalRange(35.0, 50.0, "g/L", _REFERENCE),
    "inr": NormalRange(0.8, 1.2, "1", f"{_REFERENCE} (no anticoagulant)"),
})
"""Normal range of every laboratory value bonegrid reports, by test key (read-only).

The one table of them: the panel's flags, the lab report and the dashboard's shaded bands read it.
"""


@dataclasses.dataclass(frozen=True)
class Test:
    """One laboratory test of the panel: its key, its name on the report and what it reflects.

    Its normal range and unit are ``NORMAL_RANGES[key]``.
    """

    key: str
    name: str
    meaning: str

    @property
    def normal_range(self) -> NormalRange:
        """The test's normal range (from :data:`NORMAL_RANGES`)."""
        return NORMAL_RANGES[self.key]

    @property
    def unit(self) -> str:
        """The clinical unit of the result."""
        return self.normal_range.unit

    @property
    def shown_unit(self) -> str:
        """The unit as a report prints it: none for a plain ratio (INR)."""
        return "" if self.unit == "1" else self.unit


TESTS: tuple[Test, ...] = (
    Test("serum_calcium_mmol_per_l", "Calcium (total)", "held in range by PTH; bone releases calcium when it is resorbed"),
    Test("serum_phosphate_mmol_per_l", "Phosphate", "with calcium, the raw material of mineral"),
    Test("pth_pmol_per_l", "PTH", "rises when calcium falls; drives RANKL"),
    Test("vitamin_d_25oh_nmol_per_l", "25(OH)D", "vitamin D stores; < 50 insufficient"),
    Test("ctx_ng_per_ml", "CTX", "collagen fragments released by resorption"),
    Test("p1np_ug_per_l", "P1NP", "collagen propeptide released by formation"),
    Test("bone_alp_u_per_l", "Bone ALP", "enzyme of working osteoblasts: high when formation is high"),
    Test("alp_u_per_l", "ALP (total)", "bone ALP plus the liver's share"),
    Test("creatinine_umol_per_l", "Creatinine", "cleared by the kidneys: rises as kidney function falls"),
    Test("egfr_ml_per_min", "eGFR", "kidney function estimated from creatinine; < 60 chronic kidney disease"),
    Test("fgf23_ru_per_ml", "FGF23", "phosphate hormone from osteocytes: the first to rise in kidney disease"),
    Test("free_t4_pmol_per_l", "Free T4", "thyroid hormone; high speeds every bone cell"),
    Test("tsh_miu_per_l", "TSH", "the pituitary's answer to thyroid hormone; suppressed by any excess"),
    Test("crp_mg_per_l", "CRP", "inflammation"),
    Test("m_protein_g_per_l", "M-protein", "a monoclonal antibody made by a plasma-cell clone"),
    Test("bilirubin_umol_per_l", "Bilirubin (total)", "retained when bile cannot leave the liver; holds osteoblasts back"),
    Test("albumin_g_per_l", "Albumin", "made by the liver: low when a cirrhotic liver fails"),
    Test("inr", "INR", "clotting time; the liver makes the clotting factors: high when it fails"),
)
"""The panel, in the order it is shown."""


@dataclasses.dataclass(frozen=True)
class Result:
    """One test result with its flag: "L" below range, "H" above, "" inside."""

    test: Test
    value: float

    @property
    def flag(self) -> str:
        """"L", "H" or "" (NaN values are not flagged)."""
        return self.test.normal_range.flag(self.value)

    @property
    def range_text(self) -> str:
        """The normal range as printed on a lab report."""
        return self.test.normal_range.text


def panel_values(row: Mapping[str, float], drivers: Drivers) -> dict[str, float]:
    """Lab values from one time-series row (or mean of rows) and the day's drivers.

    The drivers give what the time series does not record: free T4 and TSH (thyroid), CRP
    (cytokines), creatinine and eGFR (kidney function), bilirubin, albumin and INR (liver).
    """
    egfr, liver = drivers.egfr_ml_per_min, drivers.liver_function
    bone_alp = BONE_ALP_REFERENCE_U_PER_L * float(row["p1np"]) / MarkerParameters().p1np_reference_ug_per_l
    return {
        "serum_calcium_mmol_per_l": float(row["serum_ca"]),
        "serum_phosphate_mmol_per_l": float(row["serum_phosphate"]),
        "pth_pmol_per_l": float(row["pth"]),
        "vitamin_d_25oh_nmol_per_l": float(row["vitamin_d_25oh"]),
        "ctx_ng_per_ml": float(row["ctx"]),
        "p1np_ug_per_l": float(row["p1np"]),
        "bone_alp_u_per_l": bone_alp,
        "alp_u_per_l": bone_alp + LIVER_ALP_U_PER_L,
        "creatinine_umol_per_l": CREATININE_HEALTHY_UMOL_PER_L * (HEALTHY_EGFR_ML_PER_MIN / egfr) ** (
            1.0 / CREATININE_EGFR_EXPONENT),
        "egfr_ml_per_min": egfr,
        "fgf23_ru_per_ml": float(row["fgf23"]),
        "free_t4_pmol_per_l": FREE_T4_MID_PMOL_PER_L * drivers.thyroid,
        "tsh_miu_per_l": TSH_MID_MIU_PER_L * TSH_FOLD_PER_FT4_DOUBLING ** (1.0 - drivers.thyroid),
        "crp_mg_per_l": CRP_BASELINE_MG_PER_L + CRP_PER_CYTOKINE_MG_PER_L * drivers.cytokines,
        "m_protein_g_per_l": float(row["m_protein"]),
        "bilirubin_umol_per_l": drivers.bilirubin_umol_per_l,
        "albumin_g_per_l": ALBUMIN_HEALTHY_G_PER_L * liver ** ALBUMIN_LIVER_EXPONENT,
        "inr": liver ** -INR_LIVER_EXPONENT,
    }


def panel(values: Mapping[str, float]) -> list[Result]:
    """Flag each test of :data:`TESTS` present in ``values``."""
    return [Result(t, float(values[t.key])) for t in TESTS if t.key in values]


def format_panel(results: list[Result]) -> str:
    """Markdown table of the panel, out-of-range values in bold with their flag."""
    lines = ["| test | result | unit | normal | flag |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        value = f"{r.value:.3g}"
        lines.append(f"| {r.test.name} | {f'**{value}**' if r.flag else value} | {r.test.shown_unit} | {r.range_text} | "
                     f"{r.flag} |")
    return "\n".join(lines)


__all__ = ["NORMAL_RANGES", "TESTS", "NormalRange", "Result", "Test", "format_panel", "panel", "panel_values"]
