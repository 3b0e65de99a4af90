"""The healthy reference for viable osteocytes, by site, age and time observed.

Empty lacunae grow with age (Frost 1960; Qiu 2003; Busse 2010) and cortical bone, whose
interstitial matrix is older, holds more than cancellous bone, so "too few viable osteocytes"
means too few *for this site and age*, as a DXA Z-score compares with the patient's age. No
published series gives the fraction by site and age closely enough, so the reference is the
healthy model itself: a table of its viable fraction (% of lacunae) for patients starting at
each age, after each whole year observed, measured by :func:`bonegrid.runs.osteocyte_reference.measure`
(mean of seeds). Like a
laboratory's normal range drawn from a healthy population, it is a readout's calibration; it
moves when the osteocyte mechanism moves, and ``python -m bonegrid.runs.osteocyte_reference``
re-measures it (a slow test checks the stored table against a fresh measurement).
"""

from __future__ import annotations

import numpy as np

START_AGES_YEARS = (25.0, 40.0, 55.0, 70.0, 85.0)
"""Ages at the start of the run (years) at which the reference was measured."""
YEARS_OBSERVED = (1.0, 2.0, 3.0, 4.0, 5.0)
"""Years after the start at which the reference was measured."""
REFERENCE_SEEDS = (1, 2, 3, 4, 5)
"""Seeds averaged for the table (the default 360² slices)."""

VIABLE_PCT = {
    "spine": np.array([
        [90.8, 89.6, 88.5, 87.2, 86.4],
        [80.7, 80.7, 80.1, 79.7, 78.3],
        [78.5, 78.7, 78.1, 77.5, 76.8],
        [77.4, 78.2, 77.3, 77.3, 77.3],
        [77.1, 77.4, 77.0, 77.1, 76.2],
    ]),
    "hip": np.array([
        [85.7, 82.7, 79.9, 76.5, 73.4],
        [67.9, 66.1, 64.7, 62.1, 60.1],
        [59.8, 60.1, 59.0, 57.9, 56.5],
        [58.1, 58.5, 59.3, 58.6, 58.2],
        [58.6, 59.9, 60.8, 61.3, 60.0],
    ]),
}
"""Healthy viable lacunae (% of lacunae), rows :data:`START_AGES_YEARS`, columns :data:`YEARS_OBSERVED`
(``python -m bonegrid.runs.osteocyte_reference``, 360², seeds 1-5: on seeds 1-3 the means wobbled by up to
1.3 points between neighbouring ages)."""


def reference_viable_pct(site: str, start_age_years: float, years_observed: float) -> float:
    """Healthy viable lacunae (%) for a patient of ``site`` who started at one age and was observed for a time.

    Bilinear in the table (:data:`VIABLE_PCT`), held at its edges outside it.

    Parameters
    ----------
    site : str
        ``"spine"`` or ``"hip"``.
    start_age_years : float
        Age at the start of the run, years.
    years_observed : float
        Time since the start, years.
    """
    table = VIABLE_PCT[site]
    ages, years = np.asarray(START_AGES_YEARS), np.asarray(YEARS_OBSERVED)
    by_age = np.array([np.interp(years_observed, years, row) for row in table])
    return float(np.interp(start_age_years, ages, by_age))
