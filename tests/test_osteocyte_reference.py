"""The healthy osteocyte reference: its interpolation, and that the stored table is what the model gives."""

import numpy as np
import pytest

from bonegrid.readouts.osteocyte_reference import START_AGES_YEARS, VIABLE_PCT, YEARS_OBSERVED, reference_viable_pct
from bonegrid.runs.osteocyte_reference import measure


@pytest.mark.parametrize("site", [
    "spine",
    pytest.param("hip", marks=pytest.mark.xfail(strict=True, reason=(
        "on the patients' femoral-neck slices viability falls with age at the start up to 70 years (86.2, 67.8, 59.6, "
        "57.8, 57.8% after one year from 25-85 years, 360², seeds 1-5) but rises over the years from 70 and 85 (57.8 "
        "-> 60.5% in year 3 from 85): the model's cortex turns over as fast as its trabeculae (19% of it renewed in "
        "the first year from 85 when measured before the reversal-resorption phase, against ~3 %/year), so its "
        "old matrix, with its empty lacunae, is replaced by young bone within years (docs/model.md section 4.1)"))),
])
def test_the_table_points_are_returned_and_viability_falls_with_age_and_time(site):
    table = VIABLE_PCT[site]
    assert table.shape == (len(START_AGES_YEARS), len(YEARS_OBSERVED))
    assert reference_viable_pct(site, START_AGES_YEARS[1], YEARS_OBSERVED[2]) == pytest.approx(table[1, 2])
    assert np.all(table[0] > table[-1]) and np.all(table[:, 0] > table[:, -1])  # older, and later, fewer
    # where neighbouring ages are close (55 and 70 years at the spine: 76-78%) means of 5 seeds wobble by up to
    # 1.1 points (seeds 1-3: 1.3)
    assert np.all(np.diff(table, axis=0) < 1.5) and np.all(np.diff(table, axis=1) < 1.5)
    # between points it lies between them, beyond the table it holds the edge
    middle = reference_viable_pct(site, 0.5 * (START_AGES_YEARS[0] + START_AGES_YEARS[1]), YEARS_OBSERVED[0])
    assert table[1, 0] < middle < table[0, 0]
    assert reference_viable_pct(site, 10.0, 0.0) == pytest.approx(table[0, 0])


def test_the_hip_with_its_cortical_shell_holds_fewer_viable_osteocytes_than_the_spine():
    assert np.all(VIABLE_PCT["hip"][1:] < VIABLE_PCT["spine"][1:])


@pytest.mark.slow
def test_the_stored_table_is_what_the_healthy_model_gives():
    # re-measure one start age at both sites: a change of the osteocyte mechanism must come with a new table
    fresh = measure(start_ages_years=(START_AGES_YEARS[1],))
    for site, rows in fresh.items():
        np.testing.assert_allclose(rows[0], VIABLE_PCT[site][1], atol=0.051)  # same seeds, same code: equal to the rounding
