"""The blood panel: laboratory values in clinical units beside their normal ranges, with flags.

Values come from the model's time series (physiology, turnover markers, the myeloma clone)
and from two drivers read as laboratory tests: free T4 is the thyroid driver times the
mid-normal free T4, and CRP rises with the inflammatory cytokine driver. Ranges are the
adult ones of ``reference.md``; free T4 and CRP use common laboratory ranges (approx.).
A readout: it reads state and never changes it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

FREE_T4_MID_PMOL_PER_L = 16.0
"""Mid-normal free T4 (euthyroid, driver thyroid = 1), pmol/L."""
CRP_BASELINE_MG_PER_L = 1.0
"""CRP with no inflammation (cytokines = 0), mg/L."""
CRP_PER_CYTOKINE_MG_PER_L = 15.0
"""CRP added per unit of the cytokine driver, mg/L (approx.: active RA runs 10-50 mg/L)."""


@dataclasses.dataclass(frozen=True)
class Test:
    """One laboratory test: name, unit, normal range (either end may be open) and what it reflects."""

    key: str
    name: str
    unit: str
    low: float | None
    high: float | None
    meaning: str


TESTS: tuple[Test, ...] = (
    Test("serum_calcium_mmol_per_l", "Calcium (total)", "mmol/L", 2.15, 2.55,
         "held in range by PTH; bone releases calcium when it is resorbed"),
    Test("serum_phosphate_mmol_per_l", "Phosphate", "mmol/L", 0.8, 1.5, "with calcium, the raw material of mineral"),
    Test("pth_pmol_per_l", "PTH", "pmol/L", 1.6, 6.9, "rises when calcium falls; drives RANKL"),
    Test("vitamin_d_25oh_nmol_per_l", "25(OH)D", "nmol/L", 50.0, None, "vitamin D stores; < 50 insufficient"),
    Test("ctx_ng_per_ml", "CTX", "ng/mL", 0.1, 0.6, "collagen fragments released by resorption"),
    Test("p1np_ug_per_l", "P1NP", "ug/L", 15.0, 75.0, "collagen propeptide released by formation"),
    Test("free_t4_pmol_per_l", "Free T4", "pmol/L", 12.0, 22.0, "thyroid hormone; high speeds every bone cell"),
    Test("crp_mg_per_l", "CRP", "mg/L", None, 5.0, "inflammation"),
    Test("m_protein_g_per_l", "M-protein", "g/L", None, 0.0, "a monoclonal antibody made by a plasma-cell clone"),
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
        if math.isnan(self.value):
            return ""
        if self.test.low is not None and self.value < self.test.low:
            return "L"
        if self.test.high is not None and self.value > self.test.high:
            return "H"
        return ""

    @property
    def range_text(self) -> str:
        """The normal range as printed on a lab report."""
        t = self.test
        if t.low is not None and t.high is not None:
            return f"{t.low:g}-{t.high:g}"
        return f"> {t.low:g}" if t.low is not None else ("none" if t.high == 0.0 else f"< {t.high:g}")


def panel_values(row: Mapping[str, float], thyroid: float, cytokines: float) -> dict[str, float]:
    """Lab values from one time-series row (or a mean of rows) and the day's thyroid and cytokine drivers."""
    return {
        "serum_calcium_mmol_per_l": float(row["serum_ca"]),
        "serum_phosphate_mmol_per_l": float(row["serum_phosphate"]),
        "pth_pmol_per_l": float(row["pth"]),
        "vitamin_d_25oh_nmol_per_l": float(row["vitamin_d_25oh"]),
        "ctx_ng_per_ml": float(row["ctx"]),
        "p1np_ug_per_l": float(row["p1np"]),
        "free_t4_pmol_per_l": FREE_T4_MID_PMOL_PER_L * thyroid,
        "crp_mg_per_l": CRP_BASELINE_MG_PER_L + CRP_PER_CYTOKINE_MG_PER_L * cytokines,
        "m_protein_g_per_l": float(row["m_protein"]),
    }


def panel(values: Mapping[str, float]) -> list[Result]:
    """Flag each test of :data:`TESTS` present in ``values``."""
    return [Result(t, float(values[t.key])) for t in TESTS if t.key in values]


def format_panel(results: list[Result]) -> str:
    """Markdown table of the panel, out-of-range values in bold with their flag."""
    lines = ["| test | result | unit | normal | flag |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        value = f"{r.value:.3g}"
        lines.append(f"| {r.test.name} | {f'**{value}**' if r.flag else value} | {r.test.unit} | {r.range_text} | "
                     f"{r.flag} |")
    return "\n".join(lines)


__all__ = ["TESTS", "Result", "Test", "format_panel", "panel", "panel_values"]
