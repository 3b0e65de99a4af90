"""Remodeling balance: bone-volume drift, turnover, and per-unit phase lengths and refill.

These are the numbers by which a healthy slice is judged to renew itself without drifting
(reference.md, "Healthy remodeling cycle").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.remodeling_units import RemodelingUnits


def bv_drift(ts: pd.DataFrame, start_year: float, end_year: float) -> dict[str, float]:
    """Least-squares linear drift of BV/TV between two times.

    Returns
    -------
    dict
        ``per_year``: slope over the mean, 1/year; ``over_window``: slope x window length
        over the mean (the relative change the fitted line makes across the window).
    """
    years = ts["day"].to_numpy() / DAYS_PER_YEAR
    keep = (years >= start_year) & (years <= end_year)
    if keep.sum() < 2:
        raise ValueError(f"no records between years {start_year} and {end_year}: run longer")
    y = ts["bv_tv"].to_numpy()[keep]
    slope = np.polyfit(years[keep], y, 1)[0]
    mean = y.mean()
    return {"per_year": slope / mean, "over_window": slope * (end_year - start_year) / mean}


def year_mean(ts: pd.DataFrame, year: int) -> float:
    """Mean BV/TV over simulated year ``year`` (days in (DAYS_PER_YEAR (year-1), DAYS_PER_YEAR year])."""
    days = ts["day"].to_numpy()
    keep = (days > DAYS_PER_YEAR * (year - 1)) & (days <= DAYS_PER_YEAR * year)
    if not keep.any():
        raise ValueError(f"no records in year {year}: run longer")
    return float(ts["bv_tv"].to_numpy()[keep].mean())


def turnover_per_year(ts: pd.DataFrame, n_voxels: int) -> float:
    """Resorbed volume per year over the mean bone volume, 1/year.

    Parameters
    ----------
    ts : DataFrame
        Daily records (``resorbed_voxels`` counts each day's resorption).
    n_voxels : int
        Voxels in the slice (bone volume = ``bv_tv`` x ``n_voxels``).
    """
    days = ts["day"].to_numpy()
    span_years = (days[-1] - days[0]) / DAYS_PER_YEAR
    if span_years <= 0 or np.any(np.diff(days) != 1):
        raise ValueError("turnover needs daily records over a positive span (record_interval_days=1)")
    resorbed = ts["resorbed_voxels"].to_numpy()[1:].sum()
    return float(resorbed / span_years / (ts["bv_tv"].mean() * n_voxels))


def unit_statistics(units: RemodelingUnits, day: float, quiet_days: float = 60.0) -> dict[str, float]:
    """Medians over completed remodeling units.

    A unit is completed when no osteoclast or osteoblast works for it and nothing happened
    there for ``quiet_days``. Returns counts, median resorption and formation phase lengths
    (days), mean and median refill (formed / resorbed voxels) and the median team of a unit
    (osteoclasts formed for it, osteoblasts recruited to it over its life).
    """
    done = units.completed(day, quiet_days)
    formed = [u for u in done if u.formed]
    weights = np.array([u.resorbed for u in done], dtype=float)
    durations = np.array([u.resorption_days for u in done])
    order = np.argsort(durations)
    cum = np.cumsum(weights[order])
    weighted_median = float(durations[order][np.searchsorted(cum, cum[-1] / 2)]) if done else float("nan")
    return {
        "completed_units": len(done),
        "resorbed_voxels_median": float(np.median([u.resorbed for u in done])) if done else float("nan"),
        "resorption_days_median": float(np.median([u.resorption_days for u in done])) if done else float("nan"),
        "resorption_days_volume_weighted": weighted_median,
        "formation_days_median": float(np.median([u.formation_days for u in formed])) if formed else float("nan"),
        "refill_mean": float(np.mean([min(u.refill, 2.0) for u in done])) if done else float("nan"),
        "refill_total": (sum(u.formed for u in done) / sum(u.resorbed for u in done)) if done else float("nan"),
        "osteoclasts_per_unit_median": float(np.median([u.osteoclasts_formed for u in done])) if done else float("nan"),
        "osteoblasts_per_unit_median": float(np.median([u.osteoblasts_recruited for u in done])) if done else float("nan"),
    }


def balance_report(models: list) -> dict[str, object]:
    """Healthy-balance figures for several runs of the same slice (one per seed).

    Each model must have been run with daily records for at least 10 years. Returns per-seed
    rows (drift of BV/TV over years 2-10, formed/resorbed, remodeling space, turnover, phase
    lengths, refill) and the ensemble change of the year-10 mean over the year-2 mean.
    """
    rows = []
    for m in models:
        ts = m.timeseries()
        drift = bv_drift(ts, 2.0, 10.0)
        units = unit_statistics(m.units, m.day)
        rows.append({
            "seed": m.seed,
            "bv_tv_day0": float(ts["bv_tv"].iloc[0]),
            "drift_per_year": drift["per_year"],
            "drift_over_years_2_10": drift["over_window"],
            "year10_vs_year2": year_mean(ts, 10) / year_mean(ts, 2) - 1.0,
            "formed_over_resorbed": m.formed_total / m.resorbed_total,
            "remodeling_space_mean": float(ts["remodeling_space"].mean()),
            "remodeling_space_day0": float(ts["remodeling_space"].iloc[0]),
            "turnover_per_year": turnover_per_year(ts, m.tissue.kind.size),
            "ov_bv_mean": float(ts["ov_bv"].mean()),
            **units,
        })
    changes = [r["year10_vs_year2"] for r in rows]
    return {"rows": rows, "ensemble_change": float(np.mean(changes))}


def format_balance_report(report: dict[str, object]) -> str:
    """Render :func:`balance_report` as a Markdown table with the acceptance bands."""
    cols = [("seed", "seed", "{:d}"), ("bv_tv_day0", "BV/TV day 0", "{:.4f}"),
            ("drift_per_year", "drift %/yr", "{:+.3%}"), ("drift_over_years_2_10", "fit drift yr 2-10", "{:+.2%}"),
            ("year10_vs_year2", "yr10/yr2 - 1", "{:+.2%}"), ("formed_over_resorbed", "formed/resorbed", "{:.4f}"),
            ("remodeling_space_mean", "remodeling space", "{:.2%}"), ("turnover_per_year", "turnover/yr", "{:.1%}"),
            ("ov_bv_mean", "OV/BV", "{:.2%}"), ("resorption_days_median", "resorption d", "{:.0f}"),
            ("resorption_days_volume_weighted", "resorption d (vol.)", "{:.0f}"),
            ("formation_days_median", "formation d", "{:.0f}"), ("refill_total", "refill", "{:.4f}")]
    lines = ["| " + " | ".join(c[1] for c in cols) + " |", "|" + " --- |" * len(cols)]
    for r in report["rows"]:
        lines.append("| " + " | ".join(fmt.format(r[key]) for key, _, fmt in cols) + " |")
    lines.append("")
    lines.append(f"ensemble mean change, year-10 mean vs year-2 mean: {report['ensemble_change']:+.3%}"
                 " (band ±0.5%); per-seed fit drift band ±1%; formed/resorbed band ≥ 0.98;"
                 " remodeling space band 2-5%; turnover ~25%/yr; resorption ~27 d; formation ~89 d")
    return "\n".join(lines)
