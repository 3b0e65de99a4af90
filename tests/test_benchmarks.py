"""The benchmarks still run on the current code (tiny sizes: a check that they work, not a timing)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_prints_its_tables():
    out = subprocess.run([sys.executable, "benchmarks/engine.py", "--grids", "48", "--years", "0.1", "--repeats", "1"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "sim years/s" in out and "ms per simulated day, by part" in out
    for part in ("physiology", "fields", "observers", "records", "total (instr.)"):
        assert part in out, part
