"""Sweep designs and seeds (bonegrid/sweep/design.py): factorial, table, samplers, shards."""

import textwrap

import numpy as np
import pytest
from sweep_helpers import TINY, write_spec

from bonegrid.parameters import ParameterError
from bonegrid.sweep import design_runs, load_spec, run_seed
from bonegrid.sweep.design import in_shard, parse_shard


def test_factorial_design_runs_every_combination_with_replicates(tmp_path):
    runs = design_runs(load_spec(write_spec(tmp_path, TINY)))
    assert runs.columns.tolist()[:4] == ["run_id", "point", "replicate", "seed"]
    assert runs["run_id"].tolist() == list(range(8))
    assert runs["point"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    combos = set(zip(runs["osteoclast_lifespan_days"], runs["osteoblast_lifespan_days"], strict=True))
    assert combos == {(10.0, 60.0), (10.0, 120.0), (20.0, 60.0), (20.0, 120.0)}
    assert runs["osteoblast_lifespan_days"].dtype == np.float64  # a float parameter given as ints


def test_seeds_are_children_of_the_root_seed_sequence(tmp_path):
    runs = design_runs(load_spec(write_spec(tmp_path, TINY)))
    children = np.random.SeedSequence(1).spawn(8)
    expected = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    assert runs["seed"].tolist() == expected
    assert len(set(expected)) == 8
    common = design_runs(load_spec(write_spec(tmp_path, TINY.replace("replicates = 2", "replicates = 2\n"
                                                                     "common_seeds = true"), "c.toml")))
    assert common["seed"].tolist() == [run_seed(1, r) for r in [0, 1] * 4]


def test_samplers_make_the_documented_number_of_points_within_bounds(tmp_path):
    params = """
        [parameters]
        osteoclast_lifespan_days = { low = 8.0, high = 20.0 }
        rankl_surface_pM_per_day = { low = 10.0, high = 1000.0, log = true }
        secondary_mineralisation_step_days = { low = 2, high = 30 }
    """
    head = TINY.split("[fixed]")[0].replace("replicates = 2", "replicates = 1")
    sizes = {'{ method = "morris", trajectories = 5 }': 5 * 4, '{ method = "sobol", samples = 8 }': 8 * 5,
             '{ method = "latin", samples = 7 }': 7}
    for i, (design, size) in enumerate(sizes.items()):
        text = head + f"design = {design}\n" + textwrap.dedent(params)
        runs = design_runs(load_spec(write_spec(tmp_path, text, f"s{i}.toml")))
        assert len(runs) == size
        assert runs["osteoclast_lifespan_days"].between(8.0, 20.0).all()
        assert runs["rankl_surface_pM_per_day"].between(10.0, 1000.0).all()
        steps = runs["secondary_mineralisation_step_days"]
        assert steps.dtype == np.int64 and steps.between(2, 30).all()
    # Morris levels of a log factor are evenly spaced in log10: 10, 100/sqrt(10)... (4 levels over 2 decades)
    morris = design_runs(load_spec(tmp_path / "s0.toml"))
    levels = np.log10(np.sort(morris["rankl_surface_pM_per_day"].unique()))
    assert np.allclose(np.diff(levels), 2.0 / 3.0)


def test_shards_partition_the_runs():
    ids = np.arange(23)
    masks = [in_shard(ids, (i, 4)) for i in range(1, 5)]
    assert (np.sum(masks, axis=0) == 1).all()
    assert parse_shard("3/4") == (3, 4)
    for bad in ("0/4", "5/4", "x", "1-4"):
        with pytest.raises(ParameterError, match="I/N"):
            parse_shard(bad)
