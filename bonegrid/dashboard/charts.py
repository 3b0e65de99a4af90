"""The clinic's live plots as ECharts options (plain dicts; Solara's ``FigureEcharts`` draws them).

ECharts ships in ``solara-assets``, so the charts work offline, and an update sends only the
numbers, not a picture. Every chart has years since day 0 on x, animation off (a frame replaces
the last one), the patient in colour and the healthy twin, when there is one, in dashed grey.
Normal ranges are shaded bands, read from the blood panel's table
(:data:`bonegrid.readouts.panel.NORMAL_RANGES`); the BMD chart shades the WHO categories by
T-score and draws the Z = -2 line (the bottom of the expected range for the patient's age),
which falls as the patient ages.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bonegrid.constants import ADULT_AGE_RANGE_YEARS, DAYS_PER_YEAR
from bonegrid.readouts import dxa
from bonegrid.readouts.panel import NORMAL_RANGES

TWIN_COLOUR = "#9e9e9e"
PATIENT_COLOUR = "#1b5e20"
P1NP_PER_CTX = NORMAL_RANGES["p1np_ug_per_l"].high / NORMAL_RANGES["ctx_ng_per_ml"].high
"""Right-axis (P1NP) units per left-axis (CTX) unit: the two normal ranges end at the same height (125)."""


def _years(series: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.asarray(series["day"], dtype=float) / DAYS_PER_YEAR


def _points(x: np.ndarray, y: np.ndarray, digits: int = 4) -> list[list[float]]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x has shape {x.shape}, y {y.shape}: expected one value of y per x")
    keep = np.isfinite(y)
    return [[round(a, 3), round(b, digits)] for a, b in zip(x[keep].tolist(), y[keep].tolist(), strict=True)]


def _line(name: str, x, y, colour: str, *, axis: int = 0, dashed: bool = False, digits: int = 4,
          width: float = 2.0, bands: list | None = None) -> dict:
    series = {"name": name, "type": "line", "showSymbol": False, "yAxisIndex": axis, "data": _points(x, y, digits),
              "lineStyle": {"color": colour, "width": width, "type": "dashed" if dashed else "solid"},
              "itemStyle": {"color": colour}}
    if bands:
        series["markArea"] = {"silent": True, "data": bands}
    return series


def _band(low: float, high: float, colour: str, label: str = "") -> list[dict]:
    """Return an ECharts markArea entry shading ``low..high`` on the series' y axis."""
    return [{"yAxis": low, "itemStyle": {"color": colour}, "label": {"show": bool(label), "formatter": label,
                                                                      "position": "insideRight", "color": "#555",
                                                                      "fontSize": 10}},
            {"yAxis": high}]


def _normal_band(test_key: str, colour: str, label: str = "") -> list[dict]:
    """Return an ECharts markArea entry shading the normal range of the panel's test ``test_key``."""
    normal = NORMAL_RANGES[test_key]
    return _band(normal.low, normal.high, colour, label)


def _base(title: str, y_name: str, *, y2_name: str | None = None, y_range=(None, None), y2_range=(None, None)) -> dict:
    axis = {"type": "value", "name": y_name, "nameTextStyle": {"fontSize": 11}, "scale": True,
            "splitLine": {"lineStyle": {"color": "#eee"}}, "min": y_range[0], "max": y_range[1],
            "axisLabel": {"showMinLabel": False, "showMaxLabel": False}}
    y_axes = [axis]
    if y2_name is not None:
        y_axes.append({**axis, "name": y2_name, "splitLine": {"show": False}, "min": y2_range[0], "max": y2_range[1]})
    return {"animation": False, "title": {"text": title, "left": 4, "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 22, "textStyle": {"fontSize": 11}},
            "grid": {"left": 52, "right": 52 if y2_name else 16, "top": 62, "bottom": 40},
            "xAxis": {"type": "value", "name": "years since day 0", "nameLocation": "middle", "min": 0, "nameGap": 24,
                      "splitLine": {"show": False}},
            "yAxis": y_axes, "series": []}


def bone_volume_chart(series: Mapping[str, np.ndarray], twin: Mapping[str, np.ndarray] | None) -> dict:
    """BV/TV (%) of the patient and the twin, on an axis at least 20% of the starting value wide.

    A fixed minimum span keeps the day-to-day noise of a healthy slice (a fraction of a percent) from
    looking like a trend.
    """
    values = 100 * np.concatenate([series["bv_tv"], twin["bv_tv"] if twin is not None else []])
    start = float(values[0])
    low = np.floor(min(float(values.min()), 0.85 * start))
    high = np.ceil(max(float(values.max()), 1.05 * start))
    option = _base("Bone volume (BV/TV)", "% of tissue", y_range=(low, high))
    option["series"].append(_line("patient", _years(series), 100 * series["bv_tv"], PATIENT_COLOUR, digits=2))
    if twin is not None:
        option["series"].append(_line("healthy twin", _years(twin), 100 * twin["bv_tv"], TWIN_COLOUR, dashed=True,
                                      digits=2))
    return option


def bmd_chart(series: Mapping[str, np.ndarray], twin: Mapping[str, np.ndarray] | None, *, site: str, sex: str,
              start_age_years: float) -> dict:
    """BMD (g/cm², left) with its T-score (right), WHO bands, the Z = -2 line and the twin."""
    young_mean, young_sd = dxa.young_adult_reference(site, sex)
    t_low, t_high = -4.0, 2.0
    y_range = (young_mean + t_low * young_sd, young_mean + t_high * young_sd)
    option = _base("Bone density (virtual DXA)", "BMD g/cm²", y2_name="T-score", y_range=y_range,
                   y2_range=(t_low, t_high))
    x = _years(series)
    bands = [_band(young_mean + dxa.WHO_OSTEOPOROSIS_T * young_sd, young_mean + dxa.WHO_LOW_BONE_MASS_T * young_sd,
                   "rgba(255, 193, 7, 0.18)", "osteopenia"),
             _band(y_range[0], young_mean + dxa.WHO_OSTEOPOROSIS_T * young_sd, "rgba(229, 57, 53, 0.15)",
                   "osteoporosis")]
    option["series"].append(_line("patient", x, series["bmd"], PATIENT_COLOUR, bands=bands))
    ages = np.minimum(start_age_years + x, ADULT_AGE_RANGE_YEARS[1])
    mean, sd = dxa.REFERENCE_CURVES[(site, sex)].at(ages)
    z_line = mean + dxa.ISCD_Z_FLAG * sd
    option["series"].append(_line("Z = -2 for age", x, z_line, "#6a1b9a", dashed=True, width=1.0))
    if twin is not None:
        option["series"].append(_line("healthy twin", _years(twin), twin["bmd"], TWIN_COLOUR, dashed=True))
    option["series"].append({**_line("T-score", x, series["t_score"], PATIENT_COLOUR, axis=1, digits=2),
                             "lineStyle": {"opacity": 0}})
    option["legend"]["data"] = ["patient", "Z = -2 for age"] + (["healthy twin"] if twin is not None else [])
    return option


def markers_chart(series: Mapping[str, np.ndarray]) -> dict:
    """Turnover markers: CTX (resorption, left) and P1NP (formation, right) with their normal range."""
    top = max(1.2, float(np.nanmax(series["ctx"], initial=0.0)) * 1.15,
              float(np.nanmax(series["p1np"], initial=0.0)) * 1.15 / P1NP_PER_CTX)
    option = _base("Turnover markers", "CTX ng/mL", y2_name="P1NP µg/L", y_range=(0, round(top, 2)),
                   y2_range=(0, round(top * P1NP_PER_CTX, 0)))
    x = _years(series)
    option["series"].append(_line("CTX (bone eaten)", x, series["ctx"], "#b0179c",
                                  bands=[_normal_band("ctx_ng_per_ml", "rgba(120, 120, 120, 0.10)", "normal")]))
    option["series"].append(_line("P1NP (bone made)", x, series["p1np"], "#1f77b4", axis=1, digits=1))
    return option


def calcium_chart(series: Mapping[str, np.ndarray]) -> dict:
    """Serum calcium (left) and PTH (right) with their normal ranges."""
    pth_top = max(14.0, float(np.nanmax(series["pth"], initial=0.0)) * 1.15)
    option = _base("Calcium and PTH", "Ca mmol/L", y2_name="PTH pmol/L", y_range=(1.9, 2.8),
                   y2_range=(0, round(pth_top, 0)))
    x = _years(series)
    option["series"].append(_line("serum calcium", x, series["serum_ca"], "#455a64",
                                  bands=[_normal_band("serum_calcium_mmol_per_l", "rgba(69, 90, 100, 0.10)", "Ca normal")]))
    option["series"].append(_line("PTH", x, series["pth"], "#c62828", axis=1, digits=2,
                                  bands=[_normal_band("pth_pmol_per_l", "rgba(198, 40, 40, 0.07)")]))
    return option


__all__ = ["bmd_chart", "bone_volume_chart", "calcium_chart", "markers_chart"]
