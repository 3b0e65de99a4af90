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
        [91.0, 90.3, 89.0, 87.4, 85.4],
        [81.2, 80.6, 79.9, 79.2, 78.1],
        [78.4, 79.0, 78.6, 78.5, 77.4],
        [77.3, 77.8, 77.1, 77.6, 76.7],
        [77.4, 76.9, 76.8, 76.3, 76.3],
    ]),
    "hip": np.array([
        [86.2, 82.7, 79.5, 76.5, 73.5],
        [67.8, 66.4, 64.2, 62.1, 59.9],
        [59.6, 60.0, 58.8, 57.8, 56.8],
        [57.8, 59.6, 59.2, 59.1, 58.6],
        [57.8, 59.3, 60.5, 60.2, 60.3],
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
