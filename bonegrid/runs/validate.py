"""``run.py validate``: check that the scenarios' signatures emerge inside their reference bands.

Every built-in scenario lists under ``[[expect]]`` a metric (from
:data:`bonegrid.readouts.signatures.METRICS`), a window and a published band. This runs
each scenario over several seeds and prints one row per expectation: the model's mean ±
sd over seeds and whether the mean lies inside the band. Misses are reported, never
hidden; nothing here feeds back into the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bonegrid.readouts.signatures import METRICS
from bonegrid.runs.ensemble import JobResult, run_jobs
from bonegrid.scenarios import Scenario


def _window(e) -> str:
    end = "end" if e.to_years is None else f"{e.to_years:g} y"
    return f"{e.from_years:g} y - {end}"


def validation_rows(scenarios: Sequence[Scenario], results: Sequence[JobResult]) -> pd.DataFrame:
    """One row per scenario expectation: band, mean, sd, seeds, inside (True/False/None)."""
    rows = []
    for s in scenarios:
        runs = [r for r in results if r.scenario == s.name]
        failed = [r for r in runs if r.error]
        for i, e in enumerate(s.expect):
            label, unit, _ = METRICS[e.metric]
            values = np.array([r.metrics[i] for r in runs if not r.error], dtype=float)
            values = values[np.isfinite(values)]
            mean = float(values.mean()) if values.size else math.nan
            sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
            rows.append({
                "scenario": s.name, "metric": e.metric, "label": label, "unit": unit, "window": _window(e),
                "band_low": e.band[0], "band_high": e.band[1], "mean": mean, "sd": sd, "seeds": int(values.size),
                "failed": len(failed), "inside": (e.band[0] <= mean <= e.band[1]) if values.size else None,
                "source": e.source, "fitted": ", ".join(e.fitted),
            })
    return pd.DataFrame(rows)


def format_rows(rows: pd.DataFrame) -> str:
    """Render :func:`validation_rows` as a Markdown table with a count of rows inside their band."""
    lines = ["| scenario | metric | window | reference band | model (mean ± sd) | seeds | inside |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows.itertuples():
        value = "failed" if not r.seeds else f"{r.mean:.3g} ± {r.sd:.2g}" if math.isfinite(r.sd) else f"{r.mean:.3g}"
        inside = "—" if r.inside is None else ("yes" if r.inside else "**no**")
        if r.fitted:
            inside += f" (fitted: {r.fitted})"
        lines.append(f"| {r.scenario} | {r.label} ({r.unit}) | {r.window} | {r.band_low:g} to {r.band_high:g} | "
                     f"{value} | {r.seeds}{f' ({r.failed} failed)' if r.failed else ''} | {inside} |")
    known = rows["inside"].dropna()
    lines.append("")
    fitted = int((rows["fitted"] != "").sum())
    lines.append(f"{int(known.sum())} of {len(rows)} signatures inside their band; {fitted} of the bands were "
                 "used to calibrate a parameter (marked fitted), so they are no independent check.")
    return "\n".join(lines)


def validate(scenarios: Sequence[Scenario], seeds: int, grid: int, workers: int | None = None,
             progress=None) -> tuple[pd.DataFrame, list[JobResult]]:
    """Run every scenario with seeds ``1..seeds`` and return (rows, job results)."""
    jobs = [(s, seed) for s in scenarios for seed in range(1, seeds + 1)]
    results = run_jobs(jobs, grid=grid, workers=workers, progress=progress)
    return validation_rows(scenarios, results), results


__all__ = ["format_rows", "validate", "validation_rows"]
