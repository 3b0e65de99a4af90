"""Facts shared across bonegrid, each stated once: time, sites, sexes, patient ages, grid sizes."""

DAYS_PER_YEAR = 365.25
"""Days in a (Julian) year: converts simulated days to years everywhere."""

SITES = ("spine", "hip")
"""Skeletal sites a slice can stand for: lumbar vertebral body (trabecular) and femoral neck (cortex + core)."""

SEXES = ("female", "male")
"""Sexes of the virtual patient (and of the DXA reference data)."""

ADULT_AGE_RANGE_YEARS = (20.0, 90.0)
"""Patient ages (inclusive, years) the model accepts: the span of the DXA reference curves."""

DEFAULT_GRID = 256
"""Voxels per side of the default slice (2.56 mm at 10 um)."""

GRID_LIMITS = (16, 2048)
"""Smallest and largest allowed voxels per side."""
