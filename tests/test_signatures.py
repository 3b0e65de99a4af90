"""Signature metrics read a finished run's time series over a window."""

import types

import numpy as np
import pandas as pd
import pytest

from bonegrid.readouts.signatures import RunRecord, measure


def run_of(days, bv_tv, mineral_mean):
    ts = pd.DataFrame({"day": days, "bv_tv": bv_tv, "mineral_mean": mineral_mean})
    return RunRecord(types.SimpleNamespace(timeseries=lambda: ts), np.zeros((2, 2), bool))


def test_slice_vbmd_is_bone_volume_times_mineral_from_the_window_start_to_its_last_30_days():
    days = np.arange(0, 201, dtype=float)
    bv_tv = np.where(days < 100, 0.20, 0.18)                    # 10% of the bone lost on day 100 ...
    mineral = np.where(days < 150, 0.90, 0.99)                  # ... and the rest 10% more mineralised on day 150
    run = run_of(days, bv_tv, mineral)
    assert measure(run, "slice_vbmd_change_pct", 0, 140) == pytest.approx(-10.0)
    assert measure(run, "slice_vbmd_change_pct", 0, 200) == pytest.approx(100 * (0.18 * 0.99 / (0.20 * 0.90) - 1))
    assert measure(run, "slice_vbmd_change_pct", 140, 200) == pytest.approx(10.0)   # from day 140's value


def test_slice_vbmd_needs_records_in_the_window():
    run = run_of(np.arange(10.0), np.full(10, 0.2), np.full(10, 0.9))
    with pytest.raises(ValueError, match="run longer"):
        measure(run, "slice_vbmd_change_pct", 50, 80)
