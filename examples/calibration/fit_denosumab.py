"""Fit phi_D (denosumab_shielded_rankl_fraction) to the FREEDOM CTX suppression.

Runs the sweep ``denosumab_shielded_fraction.toml`` (resuming one already in its folder), then for
each level takes CTX on the drug (months 2-21 of treatment) over CTX in the half-year before it,
averaged over replicates, and interpolates the level whose suppression is the target: 0.85
(FREEDOM, Cummings 2009, doi:10.1056/NEJMoa0809493: -86% at 1 month, -72% before each dose).
The band it is fitted to is marked ``fitted`` in ``treated/postmenopausal_denosumab.toml``, so
``validate`` does not count it as an independent check.

Usage: ``python examples/calibration/fit_denosumab.py [--workers N]`` (about 2 minutes on 2 cores).
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from bonegrid.fields import FieldParameters
from bonegrid.sweep import load_spec, run_sweep

TARGET_SUPPRESSION = 0.85
PARAMETER = "denosumab_shielded_rankl_fraction"
SPEC = Path(__file__).with_name("denosumab_shielded_fraction.toml")


def suppression_by_level(table: pd.DataFrame) -> pd.Series:
    """1 - CTX on the drug / CTX before it, per level of the parameter (mean over replicates)."""
    before = table[(table.day > 182) & (table.day <= 365)].groupby("run_id").ctx.mean()
    on = table[(table.day > 425) & (table.day <= 1005)].groupby("run_id").ctx.mean()
    level = table.groupby("run_id")[PARAMETER].first()
    return (1.0 - on / before).groupby(level).mean()


def main() -> None:
    """Run the sweep, print the suppression per level and the fitted level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    spec = load_spec(SPEC)
    report = run_sweep(spec, workers=args.workers, resume=(spec.output / "manifest.json").exists())
    print(report.summary())
    table = pd.read_parquet(report.results)
    suppression = suppression_by_level(table)
    for level, value in suppression.items():
        print(f"{PARAMETER} = {level:g}: CTX suppressed by {100 * value:.0f}%")
    # suppression falls as phi_D rises: interpolate on the reversed order
    fitted = float(np.interp(TARGET_SUPPRESSION, suppression.to_numpy()[::-1], suppression.index.to_numpy()[::-1]))
    shipped = getattr(FieldParameters(), PARAMETER)
    print(f"fitted {PARAMETER} = {fitted:.3f} for {100 * TARGET_SUPPRESSION:.0f}% suppression "
          f"(shipped default {shipped:g})")


if __name__ == "__main__":
    main()
