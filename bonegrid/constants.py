"""Facts shared across bonegrid, each stated once: time, sites, sexes, patient ages, grid sizes."""

DAYS_PER_YEAR = 365.25
"""Days in a (Julian) year: converts simulated days to years everywhere."""

MAX_YEARS = 100.0
"""Longest horizon a run or sweep may ask for, years after burn-in (a human lifetime of remodeling)."""

SITES = ("spine", "hip")
"""Skeletal sites a slice can stand for: lumbar vertebral body (trabecular) and femoral neck (cortex + core)."""

SEXES = ("female", "male")
"""Sexes of the virtual patient (and of the DXA reference data)."""

ADULT_AGE_RANGE_YEARS = (20.0, 90.0)
"""Patient ages (inclusive, years) the model accepts: the span of the DXA reference curves."""

DEFAULT_GRID = 360
"""Voxels per side of the default slice (3.6 mm at 10 um).

A patient's sparse vertebral slice (BV/TV ~0.13) needs this much bone for its units' calcium noise
not to drive the blood (docs/model.md section 4.3, "The size of the default slice"): at 256² the slice-to-blood
window rule (examples/calibration/flux_window.py) found no calm window shorter than 60 days, at 320²
none up to 45 days, at 360² 30 days. 360 = 2 x 180 keeps the field mesh a product of small primes
(fast transforms)."""

GRID_LIMITS = (16, 2048)
"""Smallest and largest allowed voxels per side.

The largest fits a 24 GB machine with room to spare: ``run --grid 2048 --years 0.01``
(burn-in included) peaked at 3.7 GB resident (``/usr/bin/time -v``, 2.7 min). Memory grows
with the voxels, about 0.9 kB per voxel at that size.
"""
