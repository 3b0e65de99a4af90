"""Measure the healthy osteocyte reference (:mod:`bonegrid.readouts.osteocyte_reference`).

``python -m bonegrid.runs.osteocyte_reference`` runs the healthy scenario at each site and start
age for five years (the default 360² slice, seeds 1-5; about 4 minutes on 2 workers) and prints the table to paste
into that module's ``VIABLE_PCT``. A slow test checks that the stored table is what this gives.
"""

from __future__ import annotations

import numpy as np

from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID, SITES
from bonegrid.readouts.osteocyte_reference import REFERENCE_SEEDS, START_AGES_YEARS, YEARS_OBSERVED
from bonegrid.runs.ensemble import run_jobs
from bonegrid.scenarios import load_scenario


def measure(grid: int = DEFAULT_GRID, seeds: tuple[int, ...] = REFERENCE_SEEDS, workers: int | None = None, *,
            sites: tuple[str, ...] = SITES, start_ages_years: tuple[float, ...] = START_AGES_YEARS
            ) -> dict[str, np.ndarray]:
    """Run the healthy scenario at each site and start age for the longest time observed; return the table.

    Returns a dict site -> (len(start_ages_years), len(YEARS_OBSERVED)) array of viable lacunae, % (mean of
    ``seeds``, rounded to 0.1).
    """
    healthy = load_scenario("healthy")
    jobs = [(healthy.with_overrides({"site": site, "age_years": age, "years": max(YEARS_OBSERVED)}), seed)
            for site in sites for age in start_ages_years for seed in seeds]
    results = run_jobs(jobs, grid=grid, workers=workers)
    failed = [r.error for r in results if r.error]
    if failed:
        raise RuntimeError(f"reference run failed: {failed[0]}")
    table = {}
    it = iter(results)
    for site in sites:
        rows = []
        for _age in start_ages_years:
            runs = [next(it).timeseries.set_index("day") for _ in seeds]
            rows.append([100.0 * np.mean([t["osteocyte_viability"].iloc[
                t.index.get_indexer([round(y * DAYS_PER_YEAR)], method="nearest")[0]] for t in runs])
                for y in YEARS_OBSERVED])
        table[site] = np.round(np.array(rows), 1)
    return table


def main() -> None:
    """Measure the table and print it as the module's :data:`VIABLE_PCT` literal."""
    table = measure()
    print("VIABLE_PCT = {")
    for site, rows in table.items():
        print(f'    "{site}": np.array([')
        for row in rows:
            print("        [" + ", ".join(f"{v:.1f}" for v in row) + "],")
        print("    ]),")
    print("}")


if __name__ == "__main__":
    main()
