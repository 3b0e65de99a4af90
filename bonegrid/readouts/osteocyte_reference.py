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
        [90.2, 88.8, 87.4, 85.8, 84.5],
        [80.0, 80.1, 79.1, 78.4, 77.7],
        [77.1, 76.7, 77.2, 76.5, 75.8],
        [78.0, 77.7, 76.9, 76.3, 75.8],
        [75.5, 76.1, 74.7, 73.4, 73.7],
    ]),
    "hip": np.array([
        [85.4, 82.1, 79.0, 75.8, 72.8],
        [67.0, 65.6, 63.3, 62.1, 59.7],
        [57.9, 58.5, 57.6, 56.8, 55.6],
        [56.6, 57.2, 56.9, 56.9, 57.1],
        [55.3, 56.8, 57.6, 58.4, 57.3],
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
