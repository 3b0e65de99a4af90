"""A run's results folder: the time series, pictures, a short summary and what a report needs.

Besides ``timeseries.csv``, ``slice.png``, ``timeseries.png`` and ``summary.md``, the folder
keeps ``run.json`` (patient, site, scenario, drivers at the end), ``state.npz`` (the slice at
the start and end) and ``histomorphometry.json``, from which ``python run.py report`` writes
the clinical report without re-running the model.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from bonegrid import __version__
from bonegrid.readouts.balance import turnover_per_year, unit_statistics
from bonegrid.readouts.histomorphometry import histomorphometry
from bonegrid.readouts.panel import NORMAL_RANGES, format_panel, panel, panel_values
from bonegrid.runs.plotting import slice_figure, snapshot, timeseries_figure


def summary_text(model, ts, elapsed_s: float, scenario=None) -> str:
    """Markdown summary of a run: balance, turnover, remodeling units, cells and blood."""
    stats = unit_statistics(model.units, model.day)
    first, last = ts.iloc[0], ts.iloc[-1]
    change = last.bv_tv / first.bv_tv - 1.0
    fates = model.osteoblast_fates
    n_fates = sum(fates.values()) or 1
    ratio = model.formed_total / model.resorbed_total if model.resorbed_total else float("nan")
    lines = [
        f"# bonegrid run: {model.site}, grid {model.tissue.shape[1]}x{model.tissue.shape[0]}, seed {model.seed}",
        "",
        f"bonegrid {__version__}; {model.day} days simulated after a {model.params.run.burn_in_days}-day burn-in;"
        f" wall time {elapsed_s:.1f} s.",
        "",
        "| quantity | value | reference |",
        "| --- | --- | --- |",
        f"| BV/TV start -> end | {first.bv_tv:.4f} -> {last.bv_tv:.4f} ({100 * change:+.2f}%) | steady within noise |",
        f"| remodeling space (mean) | {100 * ts.remodeling_space.mean():.2f}% of BV | 2-5% |",
        f"| OV/BV (mean) | {100 * ts.ov_bv.mean():.2f}% | ~1-3% (healthy) |",
        f"| turnover | {100 * turnover_per_year(ts, model.tissue.kind.size):.1f}%/year"
        " | trabecular ~25%/year, cortical ~2-5% |",
        f"| formed / resorbed voxels | {ratio:.3f} ({model.formed_total} / {model.resorbed_total}) | ~1 |",
        f"| completed remodeling units | {stats['completed_units']} | |",
        f"| resorption phase (median) | {stats['resorption_days_median']:.0f} days | ~27 days (2-4 weeks) |",
        f"| formation phase (median) | {stats['formation_days_median']:.0f} days | ~89 days (3-4 months) |",
        f"| refill of completed units (total) | {stats['refill_total']:.3f} | 1 in health |",
        f"| team of a completed unit (median) | {stats['osteoclasts_per_unit_median']:.0f} osteoclasts, "
        f"{stats['osteoblasts_per_unit_median']:.0f} osteoblasts | |",
        f"| osteoblast fates | buried {fates['buried'] / n_fates:.0%}, lining {fates['lining'] / n_fates:.0%},"
        f" apoptosis {fates['apoptosis'] / n_fates:.0%} | ~10-20% buried, most die |",
        f"| osteocyte viability (end) | {last.osteocyte_viability:.3f} | |",
        f"| CTX / P1NP (mean) | {ts.ctx.mean():.2f} ng/mL / {ts.p1np.mean():.0f} ug/L | {_range('ctx_ng_per_ml')} / "
        f"{_range('p1np_ug_per_l')} |",
        f"| serum Ca / PTH (mean) | {ts.serum_ca.mean():.2f} mmol/L / {ts.pth.mean():.1f} pmol/L"
        f" | {_range('serum_calcium_mmol_per_l')} / {_range('pth_pmol_per_l')} |",
        f"| 25(OH)D (end) | {last.vitamin_d_25oh:.0f} nmol/L | {_range('vitamin_d_25oh_nmol_per_l')} |",
        f"| M-protein (end) | {last.m_protein:.1f} g/L | none |",
        "",
    ]
    recent = ts[ts["day"] > ts["day"].iloc[-1] - 90].mean(numeric_only=True)
    lines += ["## Blood panel (mean of the last 90 days)", "",
              format_panel(panel(panel_values(recent, model.drivers.thyroid, model.drivers.cytokines))), "",
              f"DXA at the end: BMD {last.bmd:.3f} g/cm², T-score {last.t_score:+.1f}, Z-score {last.z_score:+.1f}; "
              f"stiffness {100 * (last.stiffness - 1):+.0f}% since day 0. `python run.py report` writes the full "
              "clinical report.", ""]
    if scenario is not None:
        treatments = ", ".join(f"{t.name} from day {t.start_day:g}" for t in scenario.treatments) or "none"
        overrides = "; ".join(f"`{k}` = {v!r} ({why})" for k, (v, why) in scenario.parameters.items()) or "none"
        lines[1:1] = ["", f"Scenario **{scenario.title}** (`{scenario.name}`), patient: {scenario.sex}, "
                      f"{scenario.age_years:g} years.", "", scenario.description, "",
                      f"Treatments: {treatments}. Parameter overrides: {overrides}."]
    return "\n".join(lines)


def _range(test: str) -> str:
    return NORMAL_RANGES[test].text


def write_results(model, days: int, out: Path, started: float | None = None, scenario=None) -> Path:
    """Run ``model`` for ``days`` and write the results folder ``out``; return ``out``.

    Files: ``timeseries.csv`` (one row per record), ``slice.png`` (start and end with
    cells), ``timeseries.png`` and ``summary.md``. The folder is written only after the
    simulation succeeded.
    """
    started = time.perf_counter() if started is None else started
    start = snapshot(model)
    model.run(days)
    end = snapshot(model)
    ts = model.timeseries()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ts.to_csv(out / "timeseries.csv", index=False)
    slice_figure(start, end, out / "slice.png")
    name = f"{scenario.title}: " if scenario is not None else ""
    timeseries_figure(ts, out / "timeseries.png", title=f"{name}{model.site} slice, seed {model.seed}")
    (out / "summary.md").write_text(summary_text(model, ts, time.perf_counter() - started, scenario))
    write_state(model, start, out, scenario)
    return out


def write_state(model, start: dict, out: Path, scenario=None) -> None:
    """Write ``run.json``, ``state.npz`` and ``histomorphometry.json`` of a finished run into ``out``."""
    t = model.tissue
    meta = {
        "bonegrid_version": __version__, "site": model.site, "seed": model.seed, "grid": list(t.shape),
        "voxel_size_um": t.voxel_size_um, "days": model.day, "age_years_day0": model.age_years, "sex": model.sex,
        "drivers_end": dataclasses.asdict(model.drivers),
        "scenario": None if scenario is None else {"name": scenario.name, "title": scenario.title,
                                                   "description": scenario.description,
                                                   "treatments": [dataclasses.asdict(x) for x in scenario.treatments]},
    }
    (out / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    np.savez_compressed(out / "state.npz", start_matrix=start["matrix"], kind=t.kind, mineral=t.mineral.astype(np.float32),
                        cavity=t.cavity > 0, osteocyte=model.osteocytes.state, tumour=model.tumour_mask())
    h = histomorphometry(model)
    (out / "histomorphometry.json").write_text(json.dumps(
        {"values": dataclasses.asdict(h), "asbmr": h.as_dict(), "units": h.units()}, indent=2, default=float))
