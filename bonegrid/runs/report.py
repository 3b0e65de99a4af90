"""The detective report: one clinical-style HTML page of a finished run.

``python run.py report RESULTS_DIR`` (or :func:`write_report`) reads a results folder
written by ``python run.py run`` -- one site, or ``spine/`` and ``hip/`` from ``--site both``
-- and writes ``report.html`` beside it, with every figure embedded:

1. the patient and the DXA reading at each site (BMD, T- and Z-score, WHO category or the
   ISCD Z-score statement; the two-site discordance check; optional spine artefacts);
2. the blood panel with out-of-range values flagged;
3. histomorphometry with ASBMR names, and strength (micro-FE stiffness against BMD);
4. the slice at the start and the end, and the time series;
5. the differential: which secondary causes the findings support, and why
   (:mod:`bonegrid.readouts.differential`, which reads readouts only).

``blind=True`` leaves out the scenario's name and story (for a detective exercise).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from bonegrid.constants import ADULT_AGE_RANGE_YEARS, DAYS_PER_YEAR, SITES
from bonegrid.drivers import Drivers
from bonegrid.files import check_file, make_folder, write_text
from bonegrid.parameters import ParameterError
from bonegrid.readouts import dxa
from bonegrid.readouts.differential import differential, findings_from_run
from bonegrid.readouts.histomorphometry import Histomorphometry
from bonegrid.readouts.panel import panel, panel_values
from bonegrid.runs.results import read_results

STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 1100px; margin: 24px auto;
       color: #222; line-height: 1.4; }
h1 { font-size: 22px; border-bottom: 2px solid #1b5e20; padding-bottom: 4px; }
h2 { font-size: 17px; color: #1b5e20; margin-top: 26px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 3px 9px; text-align: left; }
th { background: #f1f5f1; }
td.flag { color: #b71c1c; font-weight: bold; }
.note { color: #555; font-size: 13px; }
.cause { border-left: 4px solid #bbb; padding: 4px 10px; margin: 6px 0; }
.cause.yes { border-color: #b71c1c; background: #fff5f5; }
.warning { color: #b71c1c; font-weight: bold; }
img { max-width: 100%; border: 1px solid #ddd; }
div > img { max-width: 49%; }
"""


HISTOMORPHOMETRY_REFERENCE: dict[str, tuple[float, float]] = {
    "BV/TV": (15.0, 30.0), "Tb.Th": (100.0, 150.0), "Tb.Sp": (400.0, 900.0), "Tb.N": (1.2, 2.2),
    "OV/BV": (0.5, 3.0), "O.Th": (5.0, 15.0), "OS/BS": (10.0, 25.0), "ES/BS": (2.0, 6.0), "Oc.S/BS": (0.0, 1.0),
    "Ob.S/BS": (1.0, 8.0),
}
"""Approximate ranges of healthy adult trabecular bone (iliac crest biopsies), in the units of
:meth:`~bonegrid.readouts.histomorphometry.Histomorphometry.units`; indices without one are model readouts."""
HISTOMORPHOMETRY_NOTE = ("Healthy adult ranges are approximate values for trabecular bone from iliac crest "
                         "biopsies (2D, no stereological correction); indices without a range are model readouts "
                         "with no clinical reference.")
UNIT_TEXT = {"um": "µm", "mm^2": "mm²", "1/mm^2": "1/mm²", "1": ""}
"""How the report writes a unit of :meth:`Histomorphometry.units` (the rest are written as they are)."""


def histomorphometry_rows(histo: Histomorphometry) -> list[tuple[str, str, str, str, str]]:
    """Rows of the report's histomorphometry table: ASBMR name, value, unit, healthy adult range, meaning."""
    rows = []
    for f in dataclasses.fields(Histomorphometry):
        name, unit = f.metadata["asbmr"], UNIT_TEXT.get(f.metadata["unit"], f.metadata["unit"])
        low_high = HISTOMORPHOMETRY_REFERENCE.get(name)
        reference = f"{low_high[0]:g}–{low_high[1]:g}" if low_high else "—"
        rows.append((name, f"{getattr(histo, f.name):.3g}", unit, reference, f.metadata["doc"]))
    return rows


class Run:
    """One site's results folder, loaded."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta, self.ts, self.state, self.histo = read_results(folder)

    @property
    def site(self) -> str:
        """Site of the slice."""
        return self.meta["site"]

    @property
    def drivers(self) -> Drivers:
        """The drivers of the last day (a folder written before a driver existed reads its default)."""
        recorded = self.meta["drivers_end"]
        return Drivers(**{name: recorded[name] for name in Drivers.names() if name in recorded})

    @property
    def age_end(self) -> float:
        """Patient's age at the end of the run, years."""
        return self.meta["age_years_day0"] + self.meta["days"] / DAYS_PER_YEAR

    def scan(self, artefacts: dxa.Artefacts | None) -> dxa.DXAResult:
        """DXA of the final slice (artefacts only at the spine)."""
        return dxa.scan(self.state["mineral"], self.meta["voxel_size_um"], self.site,
                        min(self.age_end, ADULT_AGE_RANGE_YEARS[1]), self.meta["sex"],
                        artefacts=artefacts if self.site == "spine" else None,
                        baseline_age_years=self.meta["age_years_day0"])

    def findings(self) -> dict:
        """Return the findings for the differential."""
        return findings_from_run(self.ts, self.histo, self.drivers, age_years=self.age_end, sex=self.meta["sex"],
                                 start_matrix=self.state["start_matrix"], end_matrix=self.state["kind"] != 0,
                                 voxel_size_um=self.meta["voxel_size_um"], site=self.meta["site"])


def load_runs(folder: Path) -> list[Run]:
    """Return the runs of a results folder: itself, or its ``spine/`` and ``hip/`` subfolders."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"{folder}: no such results folder")
    if (folder / "run.json").is_file():
        return [Run(folder)]
    runs = [Run(folder / site) for site in SITES if (folder / site / "run.json").is_file()]
    if not runs:
        raise ParameterError(f"{folder}: no run.json here or in spine/ or hip/ (write one with `bonegrid run`)")
    return runs


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _text(value: object) -> str:
    """Return ``value`` as HTML text: everything read from files goes through here."""
    return html.escape(str(value))


def _img(data: str, alt: str) -> str:
    return f'<img alt="{_text(alt)}" src="data:image/png;base64,{data}">'


def _file_img(path: Path, alt: str) -> str:
    return _img(base64.b64encode(path.read_bytes()).decode(), alt) if path.is_file() else ""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], flags: Sequence[bool] | None = None) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="flag"' if flags and flags[i] else ""
        body.append("<tr>" + "".join(f"<td{cls if j == 1 else ''}>{_text(c)}</td>"
                                     for j, c in enumerate(row)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def bmd_figure(run: Run) -> str:
    """BMD over the run with the T-score bands of the WHO categories shaded (base64 PNG)."""
    ts = run.ts
    mean, sd = dxa.young_adult_reference(run.site, run.meta["sex"])
    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    years = ts["day"] / DAYS_PER_YEAR
    ax.plot(years, ts["bmd"], color="#1b5e20", lw=1.5, label=f"{run.site} BMD")
    low = min(ts["bmd"].min(), mean - 3.2 * sd)
    ax.axhspan(mean - 2.5 * sd, mean - 1.0 * sd, color="#ffcc80", alpha=0.35, label="osteopenia (T -1 to -2.5)")
    ax.axhspan(low, mean - 2.5 * sd, color="#ef9a9a", alpha=0.35, label="osteoporosis (T <= -2.5)")
    ax.set_ylim(low, max(ts["bmd"].max(), mean + sd))
    ax.set_xlabel("years")
    ax.set_ylabel("g/cm²")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    ax.set_title(f"{run.site}: areal BMD by virtual DXA", fontsize=10)
    return _png(fig)


def report_html(runs: Sequence[Run], artefacts: dxa.Artefacts | None = None, blind: bool = False) -> str:
    """Return the report page as HTML (see the module docstring)."""
    main = runs[0]
    scans = [r.scan(artefacts) for r in runs]
    findings = main.findings()
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>bonegrid report</title><style>{STYLE}"
             "</style></head><body>"]
    scenario = main.meta.get("scenario")
    parts.append("<h1>Bone health report (bonegrid virtual patient)</h1>")
    observed_years = main.meta["days"] / DAYS_PER_YEAR
    parts.append(f"<p>Patient: {_text(main.meta['sex'])}, {main.age_end:.0f} years. Observed for {observed_years:.1f} "
                 f"years of simulated remodeling (seed {_text(main.meta['seed'])}, {_text(main.meta['grid'][0])}² "
                 f"voxels of {main.meta['voxel_size_um']:g} µm).</p>")
    if scenario and not blind:
        parts.append(f"<p class='note'>Scenario: <b>{_text(scenario['title'])}</b> — "
                     f"{_text(scenario['description'])}</p>")

    parts.append("<h2>1. Bone densitometry (virtual DXA)</h2>")
    rows = [(s.site, f"{s.bmd_g_cm2:.3f}", f"{dxa.reported(s.t_score):+.1f}", f"{dxa.reported(s.z_score):+.1f}",
             s.diagnosis, f"{s.artefact_g_cm2:.3f}") for s in scans]
    parts.append(_table(("site", "BMD g/cm²", "T-score", "Z-score", "reading", "artefact g/cm²"), rows,
                        [s.z_flag or s.category == dxa.OSTEOPOROSIS for s in scans]))
    parts.append("<p class='note'>T-score: SDs from a young adult of the same sex (WHO: ≤ −2.5 osteoporosis, −1 to "
                 "−2.5 osteopenia; applies to postmenopausal women and men ≥ 50). Z-score: SDs from people of the "
                 "same age and sex; ≤ −2.0 is below the expected range for age and, in a young person, a reason to "
                 "look for a secondary cause (ISCD).</p>")
    by_site = {s.site: s for s in scans}
    if "spine" in by_site and "hip" in by_site:
        two = dxa.two_site_report(by_site["spine"], by_site["hip"])
        parts.append(f"<p><b>Two sites:</b> {_text(two.message)}</p>")
    parts.append("<div style='display:flex; gap:8px; flex-wrap:wrap'>"
                 + "".join(_img(bmd_figure(r), f"BMD over time at the {r.site}") for r in runs) + "</div>")

    parts.append("<h2>2. Blood panel (mean of the last 90 days)</h2>")
    results = panel(panel_values(main.ts[main.ts["day"] > main.ts["day"].iloc[-1] - 90].mean(numeric_only=True),
                                 main.drivers))
    parts.append(_table(("test", "result", "unit", "normal range", "flag", "what it reflects"),
                        [(r.test.name, f"{r.value:.3g}", r.test.shown_unit, r.range_text, r.flag, r.test.meaning)
                         for r in results], [bool(r.flag) for r in results]))

    parts.append(f"<h2>3. Histomorphometry and strength ({main.site} slice, end of the run)</h2>")
    parts.append(_table(("index (ASBMR)", "value", "unit", "healthy adult", "what it measures"),
                        histomorphometry_rows(main.histo)))
    parts.append(f"<p class='note'>{html.escape(HISTOMORPHOMETRY_NOTE)}</p>")
    stiff, bmd = findings["stiffness_change_pct"], findings["bmd_change_pct"]
    verdict = "bone weaker than its density says" if stiff < 2 * bmd < 0 else "strength in step with density"
    parts.append(f"<p>Stiffness of the slice (micro-FE compression) {stiff:+.0f}% since day 0, against BMD "
                 f"{bmd:+.1f}%: {verdict}.</p>")

    parts.append("<h2>4. The slice and the time series</h2>")
    for r in runs:
        parts.append(_file_img(r.folder / "slice.png", f"{r.site} slice at the start and the end"))
        parts.append(_file_img(r.folder / "timeseries.png", f"{r.site} time series"))

    parts.append("<h2>5. Differential: what the findings point to</h2>")
    parts.append("<p class='note'>Rules read the readouts above, never the scenario.</p>")
    for cause in differential(findings):
        cls = "cause yes" if cause.supported else "cause"
        verdict = "supported" if cause.supported else "not supported"
        reasons = "; ".join(_text(x) for x in cause.reasons)
        warning = f"<div class='warning'>{_text(cause.warning)}</div>" if cause.warning else ""
        parts.append(f"<div class='{cls}'><b>{_text(cause.label)}</b>: {verdict}. {reasons}{warning}</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(folder: Path, out: Path | None = None, artefacts: dxa.Artefacts | None = None,
                 blind: bool = False) -> Path:
    """Write the report of the results folder ``folder`` to ``out`` (default ``folder/report.html``)."""
    out = Path(out) if out else Path(folder) / "report.html"
    check_file(out, "--out")
    runs = load_runs(Path(folder))
    page = report_html(runs, artefacts, blind)
    write_text(make_folder(out.parent) / out.name, page)
    return out


__all__ = ["HISTOMORPHOMETRY_REFERENCE", "Run", "histomorphometry_rows", "load_runs", "report_html",
           "write_report"]
