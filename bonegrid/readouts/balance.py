"""Remodeling balance: bone-volume drift, turnover, and per-unit phase lengths and refill.

These are the numbers by which a healthy slice is judged to renew itself without drifting
(reference.md, "Healthy remodeling cycle").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bonegrid.remodeling_units import RemodelingUnits


def bv_drift(ts: pd.DataFrame, start_year: float, end_year: float) -> dict[str, float]:
    """Least-squares linear drift of BV/TV between two times.

    Returns
    -------
    dict
        ``per_year``: slope over the mean, 1/year; ``over_window``: slope x window length
        over the mean (the relative change the fitted line makes across the window).
    """
    years = ts["day"].to_numpy() / 365.25
    keep = (years >= start_year) & (years <= end_year)
    if keep.sum() < 2:
        raise ValueError(f"no records between years {start_year} and {end_year}: run longer")
    y = ts["bv_tv"].to_numpy()[keep]
    slope = np.polyfit(years[keep], y, 1)[0]
    mean = y.mean()
    return {"per_year": slope / mean, "over_window": slope * (end_year - start_year) / mean}


def year_mean(ts: pd.DataFrame, year: int) -> float:
    """Mean BV/TV over simulated year ``year`` (days in (365.25 (year-1), 365.25 year])."""
    days = ts["day"].to_numpy()
    keep = (days > 365.25 * (year - 1)) & (days <= 365.25 * year)
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
    span_years = (days[-1] - days[0]) / 365.25
    if span_years <= 0 or np.any(np.diff(days) != 1):
        raise ValueError("turnover needs daily records over a positive span (record_interval_days=1)")
    resorbed = ts["resorbed_voxels"].to_numpy()[1:].sum()
    return float(resorbed / span_years / (ts["bv_tv"].mean() * n_voxels))


def unit_statistics(units: RemodelingUnits, day: float, quiet_days: float = 60.0) -> dict[str, float]:
    """Medians over completed remodeling units.

    A unit is completed when no osteoclast or osteoblast works for it and nothing happened
    there for ``quiet_days``. Returns counts, median resorption and formation phase lengths
    (days) and mean and median refill (formed / resorbed voxels).
    """
    done = units.completed(day, quiet_days)
    formed = [u for u in done if u.formed]
    return {
        "completed_units": len(done),
        "resorbed_voxels_median": float(np.median([u.resorbed for u in done])) if done else float("nan"),
        "resorption_days_median": float(np.median([u.resorption_days for u in done])) if done else float("nan"),
        "formation_days_median": float(np.median([u.formation_days for u in formed])) if formed else float("nan"),
        "refill_mean": float(np.mean([min(u.refill, 2.0) for u in done])) if done else float("nan"),
        "refill_total": (sum(u.formed for u in done) / sum(u.resorbed for u in done)) if done else float("nan"),
    }
