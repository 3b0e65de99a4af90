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
REFERENCE_SEEDS = (1, 2, 3)
"""Seeds averaged for the table (the default 360² slices)."""

VIABLE_PCT = {
    "spine": np.array([
        [91.3, 89.8, 87.9, 86.1, 85.4],
        [80.7, 79.8, 79.8, 79.2, 77.8],
        [78.2, 78.7, 78.1, 77.2, 76.6],
        [78.2, 76.9, 76.9, 75.9, 75.0],
        [76.4, 75.5, 74.7, 73.6, 73.2],
    ]),
    "hip": np.array([
        [86.0, 83.1, 80.1, 77.0, 73.8],
        [68.3, 66.7, 65.5, 63.2, 61.1],
        [59.4, 60.0, 59.7, 58.1, 56.8],
        [56.2, 58.5, 59.0, 57.9, 58.5],
        [54.6, 56.3, 57.5, 58.1, 57.7],
    ]),
}
"""Healthy viable lacunae (% of lacunae), rows :data:`START_AGES_YEARS`, columns :data:`YEARS_OBSERVED`
(``python -m bonegrid.runs.osteocyte_reference``, 360², seeds 1-3; seed means still wobble by a few tenths)."""


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
