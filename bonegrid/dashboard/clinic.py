"""The clinic: the DXA report, the blood panel and the live plots, each with what it means."""

from __future__ import annotations

import html
from collections.abc import Callable

import solara
from solara.components.echarts import EchartsWidget

import bonegrid.dashboard.explanations as explanations
from bonegrid.dashboard.charts import bmd_chart, bone_volume_chart, calcium_chart, markers_chart
from bonegrid.dashboard.session import Frame
from bonegrid.dashboard.text import prose
from bonegrid.readouts import dxa

CATEGORY_COLOUR = {dxa.NORMAL: "#2e7d32", dxa.OSTEOPENIA: "#ef6c00", dxa.OSTEOPOROSIS: "#c62828"}
LAB_DECIMALS = {"serum_calcium_mmol_per_l": 2, "serum_phosphate_mmol_per_l": 2, "pth_pmol_per_l": 1,
                "vitamin_d_25oh_nmol_per_l": 0, "ctx_ng_per_ml": 2, "tsh_miu_per_l": 2, "p1np_ug_per_l": 0,
                "free_t4_pmol_per_l": 0,
                "crp_mg_per_l": 1, "m_protein_g_per_l": 1, "bone_alp_u_per_l": 0, "alp_u_per_l": 0,
                "creatinine_umol_per_l": 0, "egfr_ml_per_min": 0, "fgf23_ru_per_ml": 0,
                "bilirubin_umol_per_l": 0, "albumin_g_per_l": 0, "inr": 1}
"""Decimals a laboratory reports each test with, by test key (:data:`bonegrid.readouts.panel.NORMAL_RANGES`)."""


def clinical(value: float, decimals: int) -> str:
    """Return a laboratory value as a laboratory prints it: ``decimals`` places, and ``< 0.01`` for what rounds to 0.

    Examples
    --------
    >>> clinical(0.4617, 2), clinical(55.2, 0), clinical(2.88e-73, 2), clinical(0.0, 1)
    ('0.46', '55', '< 0.01', '0.0')
    """
    if 0 < abs(value) < 0.5 * 10.0 ** -decimals:
        return f"< {10.0 ** -decimals:.{decimals}f}"
    return f"{value:.{decimals}f}"
CHART_STYLE = {"style": "height: 240px; width: 100%;"}


@solara.component
def DXACard(frame: solara.Reactive[Frame]):
    """Render the virtual DXA report (:func:`DXAReport`, redrawn with each frame) and what it means."""
    with solara.Card("DXA report", classes=["bg-dxa"]):
        DXAReport(frame)
        prose(explanations.BMD)


@solara.component
def DXAReport(frame: solara.Reactive[Frame]):
    """Render the scan as on a report: who and where, BMD, T- and Z-score, WHO category and the ISCD reading."""
    scan = frame.value.scan
    colour = CATEGORY_COLOUR[scan.category]
    z_colour = "#c62828" if scan.z_flag else "#2e7d32"
    who = ("WHO categories apply (postmenopausal woman or man over 50)." if scan.who_applies else
           "WHO categories do not apply at this age and sex: read the Z-score (ISCD).")
    solara.HTML(unsafe_innerHTML=(
        f'<div style="font-size:13px;color:#666;margin-bottom:4px">{scan.site}, {scan.sex}, '
        f'{scan.age_years:.1f} years</div>'
        '<table style="font-size:14px;border-collapse:collapse">'
        f'<tr><td style="padding:2px 10px 2px 0">BMD</td><td><b>{scan.bmd_g_cm2:.3f}</b> g/cm²</td></tr>'
        f'<tr><td style="padding:2px 10px 2px 0">T-score</td><td><b>{scan.t_score:+.1f}</b> '
        f'<span class="bg-who" style="background:{colour};color:white;border-radius:10px;padding:1px 8px;'
        f'margin-left:6px">{scan.category}</span></td></tr>'
        f'<tr><td style="padding:2px 10px 2px 0">Z-score</td><td><b>{scan.z_score:+.1f}</b> '
        f'<span style="color:{z_colour};margin-left:6px">'
        f'{dxa.BELOW_EXPECTED if scan.z_flag else dxa.WITHIN_EXPECTED}</span></td></tr></table>'
        f'<div style="font-size:13px;margin-top:6px">Reading: <b>{scan.diagnosis}</b>. {who}</div>'))


@solara.component
def LabsCard(frame: solara.Reactive[Frame]):
    """Render the blood panel (:func:`LabsTable`, redrawn with each frame) and what it means."""
    with solara.Card("Blood panel", classes=["bg-labs"]):
        LabsTable(frame)
        prose(explanations.LABS)


@solara.component
def LabsTable(frame: solara.Reactive[Frame]):
    """Render the day's blood panel with normal ranges and H/L flags."""
    current = frame.value
    rows = []
    for r in current.labs:
        value = html.escape(clinical(r.value, LAB_DECIMALS[r.test.key]))
        flagged = bool(r.flag)
        style = "color:#c62828;font-weight:bold" if flagged else ""
        rows.append(f'<tr title="{r.test.meaning}"><td style="padding:1px 8px 1px 0">{r.test.name}</td>'
                    f'<td style="text-align:right;{style}">{value}</td><td style="padding-left:4px">{r.test.shown_unit}'
                    f'</td><td style="padding-left:10px;color:#666">{r.range_text}</td>'
                    f'<td class="bg-flag" style="padding-left:8px;{style}">{r.flag}</td>'
                    f'<td style="padding-left:10px;color:#666;font-size:11px">{r.test.meaning}</td></tr>')
    solara.HTML(unsafe_innerHTML=(
        f'<div style="font-size:13px;color:#666;margin-bottom:4px">day {current.day}</div>'
        '<table style="font-size:13px;border-collapse:collapse"><tr style="color:#666;text-align:left">'
        "<th>test</th><th>result</th><th></th><th style='padding-left:10px'>normal</th><th></th><th></th></tr>"
        + "".join(rows) + "</table>"))


@solara.component
def LiveChart(frame: solara.Reactive[Frame], build: Callable[[Frame], dict]):
    """Render an ECharts chart whose option ``build(frame)`` makes, set on the widget after each frame.

    The option (hundreds of points) goes to the widget directly rather than as an element property:
    the renderer walks every value of a property on every render, which cost more than the model's step.
    """
    chart = EchartsWidget.element(attributes=CHART_STYLE)
    current = frame.value

    def show():
        solara.get_widget(chart).option = build(current)

    solara.use_effect(show, [current])


@solara.component
def ChartCard(frame: solara.Reactive[Frame], build: Callable[[Frame], dict], text: str, name: str):
    """Render one live plot with its explanation (only the plot redraws with each frame)."""
    with solara.Card(classes=[f"bg-chart-{name}", "bg-chart"]):
        LiveChart(frame, build)
        prose(text)


def _bmd(f: Frame) -> dict:
    return bmd_chart(f.series, f.twin_series, site=f.scan.site, sex=f.scan.sex, start_age_years=f.start_age_years)


def _bone_volume(f: Frame) -> dict:
    return bone_volume_chart(f.series, f.twin_series)


def _markers(f: Frame) -> dict:
    return markers_chart(f.series)


def _calcium(f: Frame) -> dict:
    return calcium_chart(f.series)


@solara.component
def Charts(frame: solara.Reactive[Frame]):
    """Render the four live plots: bone volume, BMD with its bands, turnover markers, calcium and PTH."""
    with solara.Columns([1, 1]):
        ChartCard(frame, _bmd, explanations.BMD_CHART, "bmd")
        ChartCard(frame, _bone_volume, explanations.BONE_VOLUME, "bv")
    with solara.Columns([1, 1]):
        ChartCard(frame, _markers, explanations.MARKERS, "markers")
        ChartCard(frame, _calcium, explanations.CALCIUM, "calcium")


__all__ = ["LAB_DECIMALS", "Charts", "DXACard", "DXAReport", "LabsCard", "LabsTable", "clinical"]
