"""Scenario x seed jobs: a family shares its common stretch and gives each member its run alone, bit for bit."""

import math

import pytest

from bonegrid.runs.ensemble import READOUTS, _family_tree, families, run_family, run_jobs
from bonegrid.scenarios import load_scenario
from bonegrid.timeseries import observers_for

GRID, SEED = 48, 11   # a seed whose 48² slice remodels while the treatments start (most are quiet then)
SHORT = {"burn_in_days": 60, "years": 1.1}   # the treatments start at 1 year: 37 days after


@pytest.fixture(scope="module")
def postmenopausal():
    names = ("postmenopausal", "postmenopausal_denosumab", "postmenopausal_bisphosphonate")
    return [load_scenario(n).with_overrides(SHORT) for n in names]


def _alone(scenario):
    model = scenario.model(seed=SEED, grid=GRID, observers=observers_for(READOUTS, scenario.model_parameters()))
    return model.run(scenario.days).timeseries()


def test_treated_scenarios_are_copied_from_their_base_the_day_before_their_treatment(postmenopausal):
    start = postmenopausal[1].treatments[0].start_day            # 365.25: the first treated day is 366
    assert _family_tree(postmenopausal, 60) == [None, (0, math.ceil(start) - 1), (0, math.ceil(start) - 1)]


def test_family_members_match_their_runs_alone_bit_for_bit(postmenopausal):
    results = run_family(postmenopausal, SEED, GRID)
    for scenario, result in zip(postmenopausal, results, strict=True):
        assert result.error is None and result.scenario == scenario.name
        assert result.timeseries.equals(_alone(scenario)), scenario.name
    # the treatments act: the members part after the copy
    assert not results[1].timeseries["ctx"].equals(results[0].timeseries["ctx"])
    assert not results[2].timeseries["ctx"].equals(results[0].timeseries["ctx"])


def test_families_group_one_seeds_jobs_that_share_a_stretch(postmenopausal):
    healthy = load_scenario("healthy").with_overrides(SHORT)
    jobs = [(postmenopausal[0], 1), (healthy, 1), (postmenopausal[1], 1), (postmenopausal[1], 2)]
    assert families(jobs) == [[0, 2], [1], [3]]


def test_run_jobs_returns_results_in_job_order(postmenopausal):
    jobs = [(postmenopausal[1], SEED), (postmenopausal[0], SEED)]
    results = run_jobs(jobs, grid=GRID, workers=1)
    assert [(r.scenario, r.seed) for r in results] == [(s.name, seed) for s, seed in jobs]
    assert results[0].timeseries.equals(_alone(postmenopausal[1]))
