"""Slow science check: on real runs of each disease, the detective's rules find the cause at years 1, 2 and 3."""

import concurrent.futures
import multiprocessing

import pytest

from bonegrid.readouts.differential import differential, findings_from_model
from bonegrid.scenarios import load_scenario, scenario_names
from bonegrid.tissue import MARROW

SEEDS, YEARS = (1, 2, 3), (1, 2, 3)


def supported_causes(job):
    """The causes the findings support after each of YEARS years of one scenario and seed."""
    name, seed = job
    model = load_scenario(name).model(seed=seed)
    start = model.tissue.kind != MARROW
    found = {}
    for year in YEARS:
        model.run(365)
        found[year] = {c.name for c in differential(findings_from_model(model, start)) if c.supported}
    return name, seed, found


KNOWN_MISSES = {
    ("glucocorticoid", 1, 1): "seed 1 reads healthy at year 1 since the canopy (seed 2 did before it, losing -1.5% "
                              "of BMD in year 1, less than the -2% at which the rules call dying osteocytes with "
                              "falling bone; validate reads seed 1's year 1 -2.14%, so its finding differs from that "
                              "measure: cause not yet measured; Cohen 1999: -2.8 +- 0.5%)",
}
"""Readings known to miss, each with its measured cause. Strict: a known miss that reads right fails the test, to be
removed here."""


@pytest.fixture(scope="module")
def readings():
    jobs = [(name, seed) for name in scenario_names() for seed in SEEDS]
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return {(name, seed, year): causes for name, seed, found in pool.map(supported_causes, jobs)
                for year, causes in found.items()}


@pytest.mark.slow
def test_the_true_cause_is_supported_at_every_year_and_seed(readings):
    missed = {key for key, causes in readings.items() if key[0] not in causes}
    assert missed == set(KNOWN_MISSES), (missed - set(KNOWN_MISSES), set(KNOWN_MISSES) - missed)


@pytest.mark.slow
def test_healthy_reads_healthy_and_a_tumour_is_named_only_where_there_is_one(readings):
    assert all(causes == {"healthy"} for key, causes in readings.items() if key[0] == "healthy" and key not in KNOWN_MISSES)
    assert not any("myeloma" in causes for (name, *_), causes in readings.items() if name != "myeloma")
    diseased = {key: causes for key, causes in readings.items() if key[0] != "healthy" and key not in KNOWN_MISSES}
    assert not any("healthy" in causes for causes in diseased.values())
