"""Choose the slice-to-blood window tau_sk (``skeletal_flux_averaging_days``) by its rule.

The window is a numerical choice, not a fit to a band: the shortest window that keeps the blood
calm by the bounds of ``tests/test_blood.py`` (healthy serum calcium 2.2-2.6 mmol/L and PTH
1.6-6.9 pmol/L on every day, no day-to-day PTH jump above 25%; celiac serum calcium >= 2.1 mmol/L
and late PTH max/min below 4, with secondary hyperparathyroidism kept: median > 4 pmol/L). Shorter
windows let the slice's few units drive the blood; longer ones delay what a drug does to every unit
at once. Each window runs a healthy slice for 5 years and the celiac scenario for 3, seeds 1-2, on the default
slice (360²; ``--grid`` another: the window the rule finds grows as the slice's bone shrinks, 60 days
at 256² for a patient's sparse vertebral slice).

Usage: ``python examples/calibration/flux_window.py [--windows 10 20 30 45 60 120] [--grid N] [--workers N]``
(about 3 minutes on 2 cores).
"""

import argparse

import numpy as np

from bonegrid import load_scenario
from bonegrid.constants import DEFAULT_GRID
from bonegrid.model import RunParameters
from bonegrid.runs.ensemble import run_jobs

SEEDS = (1, 2)


def calm(scenario: str, table) -> bool:
    """Whether one run's blood keeps the bounds of tests/test_blood.py for its scenario."""
    ca, pth = table.serum_ca.to_numpy(), table.pth.to_numpy()
    if scenario == "healthy":
        return bool(2.2 <= ca.min() and ca.max() <= 2.6 and 1.6 <= pth.min() and pth.max() <= 6.9
                    and np.abs(np.diff(np.log(pth))).max() < np.log(1.25))
    late = pth[365:]
    return bool(ca.min() >= 2.1 and np.median(late) > 4.0 and late.max() / late.min() < 4.0)


def main() -> None:
    """Run every window, print each run's verdict and the shortest calm window beside the shipped one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=float, nargs="+", default=[10.0, 20.0, 30.0, 45.0, 60.0, 120.0])
    parser.add_argument("--grid", type=int, default=DEFAULT_GRID, help=f"voxels per side (default {DEFAULT_GRID})")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    jobs, windows = [], []
    for window in sorted(args.windows):
        for name, years in (("healthy", 5.0), ("celiac", 3.0)):
            scenario = load_scenario(name).with_overrides({"years": years, "skeletal_flux_averaging_days": window})
            jobs += [(scenario, seed) for seed in SEEDS]
            windows += [window] * len(SEEDS)
    results = run_jobs(jobs, grid=args.grid, workers=args.workers)
    chosen = None
    for window in sorted(args.windows):
        runs = [r for r, w in zip(results, windows, strict=True) if w == window]
        verdicts = [calm(r.scenario, r.timeseries) for r in runs]
        for r, ok in zip(runs, verdicts, strict=True):
            late = r.timeseries.pth.to_numpy()[365:]
            print(f"tau {window:5.0f} d  {r.scenario:8} seed {r.seed}: serum Ca {r.timeseries.serum_ca.min():.3f}-"
                  f"{r.timeseries.serum_ca.max():.3f} mmol/L, late PTH max/min {late.max() / late.min():.2f}: "
                  f"{'calm' if ok else 'not calm'}")
        if chosen is None and all(verdicts):
            chosen = window
    print(f"shortest calm window: {chosen} days (shipped {RunParameters().skeletal_flux_averaging_days:g})")


if __name__ == "__main__":
    main()
