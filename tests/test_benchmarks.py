"""The benchmarks still run on the current code (tiny sizes: a check that they work, not a timing)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_prints_its_tables():
    out = subprocess.run([sys.executable, "benchmarks/engine.py", "--grids", "48", "--years", "0.1", "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "sim years/s" in out and "ms per simulated day, by part" in out
    for part in ("physiology", "fields", "observers", "records", "total (instr.)"):
        assert part in out, part


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no Debian chromium (.ci/run installs it)")
def test_dashboard_benchmark_times_a_visit():
    out = subprocess.run([sys.executable, "benchmarks/dashboard.py", "--wait", "0", "--visits", "1"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=300).stdout
    assert "visit 1: first picture after" in out and "median" in out
