"""Golden time series: every built-in scenario, one simulated year at 128², seed 1, to the last digits.

A refactor must not change what the model computes. This test replays every built-in scenario
(diseases and treated) and compares each recorded column with the stored run exactly. A deliberate
change of the science regenerates the file (``python tests/test_golden.py``) and says in its commit
which columns moved and by how much (the script prints that).

The stored runs were made with the numpy/scipy versions and machine recorded in the file; on
another platform floating-point reductions may round differently, so the comparison is skipped there.
On the same platform, CPUs with other vector units (AVX2 against AVX-512) sum arrays in another
order: measured between two hosts, mineral sums and the blood values that follow them differ by at
most 2e-14 relative after a year, while any change of what the model computes moves a column by
far more (one voxel of mineral is ~1e-5 of a 128² slice's). So columns are compared to
:data:`ROUNDING` relative, not bit for bit.
"""

import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy

from bonegrid.scenarios import load_scenario, scenario_names

GOLDEN = Path(__file__).parent / "data" / "golden_128px_1y_seed1.npz"
GRID, DAYS, SEED = 128, 365, 1
ROUNDING = 1e-12
"""Relative difference up to which a column is the same run (vector units' summation order; see above)."""
RELATIVE_TOLERANCE = {"stiffness": 1e-7}
"""Columns compared within a relative tolerance instead of bit for bit. The stiffness comes from an
iterative solve stopped at a residual (``bonegrid.readouts.strength.SLICE_SOLVER_RTOL``: within ~1e-8
of the exact modulus), so its last digits depend on the start and the rounding of the iteration."""


def _record(name: str) -> dict[str, np.ndarray]:
    ts = load_scenario(name).model(seed=SEED, grid=GRID).run(DAYS).timeseries()
    return {f"{name}::{c}": ts[c].to_numpy(dtype=float) for c in ts.columns}


def _platform() -> dict[str, str]:
    return {"numpy": np.__version__, "scipy": scipy.__version__, "machine": platform.machine()}


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        stored = dict(data)
    meta = json.loads(str(stored.pop("__meta__")))
    if meta != _platform():
        pytest.skip(f"golden runs were recorded on {meta}, this is {_platform()}")
    return stored


@pytest.mark.parametrize("name", scenario_names(treated=True))
def test_scenario_reproduces_its_golden_time_series(golden, name):
    new = _record(name)
    old = {k: v for k, v in golden.items() if k.startswith(f"{name}::")}
    assert old, f"no golden run of {name}: regenerate with `python tests/test_golden.py`"
    assert sorted(new) == sorted(old)
    moved = [k for k in old if not _same(k, old[k], new[k])]
    assert not moved, f"columns changed: {moved}"


def _same(key: str, old: np.ndarray, new: np.ndarray) -> bool:
    """Within :data:`ROUNDING`, or the column's :data:`RELATIVE_TOLERANCE`."""
    rtol = RELATIVE_TOLERANCE.get(key.split("::")[1], ROUNDING)
    return old.shape == new.shape and np.allclose(new, old, rtol=rtol, atol=0.0, equal_nan=True)


def _regenerate() -> None:
    """Record every scenario again and print what moved against the stored runs."""
    with np.load(GOLDEN) as data:
        stored = dict(data)
    stored.pop("__meta__", None)
    new = {}
    for name in scenario_names(treated=True):
        new.update(_record(name))
    for key in sorted(new):
        old = stored.get(key)
        if old is None or old.shape != new[key].shape:
            print(f"{key}: new")
        elif not _same(key, old, new[key]):
            scale = np.nanmax(np.abs(old)) or 1.0
            print(f"{key}: max |change| {np.nanmax(np.abs(new[key] - old)):.4g} (of max {scale:.4g}); "
                  f"last day {old[-1]:.6g} -> {new[key][-1]:.6g}")
    np.savez_compressed(GOLDEN, __meta__=np.array(json.dumps(_platform())), **new)
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    sys.exit(_regenerate())
