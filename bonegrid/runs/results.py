"""A run's results folder: the time series, pictures, a short summary and what a report needs.

Besides ``timeseries.csv``, ``slice.png``, ``timeseries.png`` and ``summary.md``, the folder
keeps ``run.json`` (patient, site, scenario, drivers at the end), ``state.npz`` (the slice at
the start and end) and ``histomorphometry.json``, from which ``python run.py report`` writes
the clinical report without re-running the model.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bonegrid import __version__
from bonegrid.constants import SEXES, SITES
from bonegrid.files import atomic_write, read, staged_folder, write_json, write_text
from bonegrid.parameters import ParameterError
from bonegrid.readouts.balance import turnover_per_year, unit_statistics
from bonegrid.readouts.histomorphometry import Histomorphometry, histomorphometry
from bonegrid.readouts.panel import NORMAL_RANGES, format_panel, panel, panel_values
from bonegrid.runs.plotting import slice_figure, timeseries_figure
from bonegrid.runs.slice_snapshot import snapshot
from bonegrid.timeseries import columns


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
              format_panel(panel(panel_values(recent, model.drivers))), "",
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
    cells), ``timeseries.png``, ``summary.md`` and the state a report needs
    (:func:`write_state`). The folder is written only after the simulation succeeded, and
    whole or not at all (:func:`bonegrid.files.staged_folder`).

    Raises
    ------
    bonegrid.files.OutputError
        If the folder cannot be written (full disk, read-only); nothing is left behind then.
    """
    started = time.perf_counter() if started is None else started
    start = snapshot(model)
    model.run(days)
    end = snapshot(model)
    ts = model.timeseries()
    name = f"{scenario.title}: " if scenario is not None else ""
    with staged_folder(out) as stage:
        atomic_write(stage / "timeseries.csv", lambda tmp: ts.to_csv(tmp, index=False))
        atomic_write(stage / "slice.png", lambda tmp: slice_figure(
            start, end, tmp, title=scenario.title if scenario is not None else ""))
        atomic_write(stage / "timeseries.png", lambda tmp: timeseries_figure(
            ts, tmp, title=f"{name}{model.site} slice, seed {model.seed}"))
        write_text(stage / "summary.md", summary_text(model, ts, time.perf_counter() - started, scenario))
        write_state(model, start, stage, scenario)
    return Path(out)


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
    write_json(out / "run.json", meta, indent=2)
    atomic_write(out / "state.npz", lambda tmp: np.savez_compressed(
        tmp, start_matrix=start["matrix"], kind=t.kind, mineral=t.mineral.astype(np.float32), cavity=t.cavity > 0,
        osteocyte=model.osteocytes.state, tumour=model.tumour_mask()))
    h = histomorphometry(model)
    write_text(out / "histomorphometry.json", json.dumps(
        {"values": dataclasses.asdict(h), "asbmr": h.as_dict(), "units": h.units()}, indent=2, default=float))


STATE_ARRAYS = ("start_matrix", "kind", "mineral", "cavity", "osteocyte", "tumour")
"""Arrays of ``state.npz``, each (ny, nx)."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _read_meta(path: Path) -> dict:
    """Read ``run.json`` and check every field a report reads (types, sites, sexes)."""
    meta = json.loads(path.read_text(encoding="utf-8"))
    grid = meta.get("grid") if isinstance(meta, Mapping) else None
    drivers = meta.get("drivers_end") if isinstance(meta, Mapping) else None
    scenario = meta.get("scenario") if isinstance(meta, Mapping) else None
    ok = (isinstance(meta, Mapping) and meta.get("site") in SITES and meta.get("sex") in SEXES
          and isinstance(meta.get("seed"), int) and isinstance(meta.get("days"), int) and meta["days"] >= 0
          and isinstance(grid, list) and len(grid) == 2 and all(isinstance(g, int) and g > 0 for g in grid)
          and _number(meta.get("voxel_size_um")) and meta["voxel_size_um"] > 0 and _number(meta.get("age_years_day0"))
          and isinstance(drivers, Mapping) and _number(drivers.get("thyroid")) and _number(drivers.get("cytokines"))
          and (scenario is None or isinstance(scenario, Mapping)
               and all(isinstance(scenario.get(k), str) for k in ("name", "title", "description"))))
    if not ok:
        raise ValueError("a field is missing or of the wrong type (site, sex, seed, days, grid, voxel_size_um, "
                         "age_years_day0, drivers_end, scenario)")
    return dict(meta)


def _read_timeseries(path: Path) -> pd.DataFrame:
    """Read ``timeseries.csv``: every column of the schema, at least one day, no NaN."""
    ts = pd.read_csv(path)
    missing = [c.name for c in columns() if c.name not in ts.columns]
    if missing or ts.empty:
        raise ValueError(f"{len(ts)} rows; columns missing: {', '.join(missing) or 'none'}")
    numeric = ts.apply(pd.to_numeric, errors="coerce")
    holes = numeric.isna()
    if holes.any().any():
        bad = [c for c in ts.columns if holes[c].any()]
        first = int(holes.any(axis=1).to_numpy().argmax())
        raise ValueError(f"NaN or text in {', '.join(bad[:4])}{' ...' if len(bad) > 4 else ''} on "
                         f"{int(holes.any(axis=1).sum())} of {len(ts)} rows, from row {first + 1}; the report needs "
                         "every value: run it again")
    return numeric


def _read_state(path: Path, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Read ``state.npz``: every array of :data:`STATE_ARRAYS`, each of the run's grid ``shape``."""
    with np.load(path) as state:
        arrays = {k: state[k] for k in STATE_ARRAYS}
    wrong = [k for k, a in arrays.items() if a.shape != shape]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} not of the grid's shape {shape}")
    return arrays


def read_results(folder: Path) -> tuple[dict, pd.DataFrame, dict[str, np.ndarray], Histomorphometry]:
    """Read and check what :func:`write_state` and :func:`write_results` wrote into ``folder``.

    Returns
    -------
    meta : dict
        ``run.json``.
    ts : pandas.DataFrame
        ``timeseries.csv``, one row per recorded day.
    state : dict of str to (ny, nx) ndarray
        ``state.npz`` (:data:`STATE_ARRAYS`).
    histomorphometry : Histomorphometry
        The indices of ``histomorphometry.json``.

    Raises
    ------
    ParameterError
        If a file is missing or damaged, naming it.
    """
    folder = Path(folder)
    missing = [n for n in ("run.json", "timeseries.csv", "state.npz", "histomorphometry.json")
               if not (folder / n).is_file()]
    if missing:
        raise ParameterError(f"{folder}: not a complete results folder of `bonegrid run` (missing "
                             f"{', '.join(missing)})")
    meta = read(folder / "run.json", _read_meta, "the run's description")
    ts = read(folder / "timeseries.csv", _read_timeseries, "the run's time series")
    arrays = read(folder / "state.npz", lambda path: _read_state(path, tuple(meta["grid"])), "the run's final slice")

    def indices(path: Path) -> Histomorphometry:
        values = json.loads(path.read_text(encoding="utf-8"))["values"]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values()):
            raise ValueError("the values are not all numbers")
        return Histomorphometry(**values)

    return meta, ts, arrays, read(folder / "histomorphometry.json", indices, "the run's histomorphometry")
