"""Slow science check: on a real run of each disease, the detective's rules find the cause."""

import concurrent.futures
import multiprocessing

import pytest

from bonegrid.readouts.differential import differential, findings_from_model
from bonegrid.scenarios import load_scenario, scenario_names
from bonegrid.tissue import MARROW


def supported_causes(name):
    s = load_scenario(name)
    model = s.model(seed=1)
    start = model.tissue.kind != MARROW
    model.run(s.days)
    return name, {c.name for c in differential(findings_from_model(model, start)) if c.supported}


@pytest.mark.slow
def test_rules_reading_readouts_only_find_every_scenarios_cause():
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        found = dict(pool.map(supported_causes, scenario_names()))
    for name, causes in found.items():
        assert name in causes, (name, causes)
    assert found["healthy"] == {"healthy"}
    assert "myeloma" not in set().union(*(c for n, c in found.items() if n != "myeloma"))
