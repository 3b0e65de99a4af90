"""The benchmarks still run on the current code (tiny sizes: a check that they work, not a timing)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_prints_its_tables():
    out = subprocess.run([sys.executable, "benchmarks/engine.py", "--rows", "ten_years", "peer", "parts", "--grid", "48",
                          "--years", "0.1", "--parts-years", "0.1", "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "| 10 simulated years, healthy spine 48², default readouts | 11.3 s" in out and "| <= 5 s |" in out
    assert "0.1-year runs x 100" in out and "vs bone-models' Lerebours" in out and "| >= 700x |" in out
    assert "ms per simulated day, by part" in out
    for part in ("physiology", "fields", "observers", "records", "total (instr.)"):
        assert part in out, part


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no Debian chromium (.ci/run installs it)")
def test_dashboard_benchmark_times_a_visit():
    out = subprocess.run([sys.executable, "benchmarks/dashboard.py", "--wait", "0", "--visits", "1", "--steps", "2"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=300).stdout
    assert "visit 1: first picture after" in out and "median" in out
    assert "step + redraw in the browser, 1 day(s) per step" in out
