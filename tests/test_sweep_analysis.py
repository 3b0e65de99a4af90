"""Sensitivity analysis of sweeps (bonegrid/sweep/analysis.py): Morris, Sobol and response plots."""


import numpy as np
import pandas as pd
import pytest
from sweep_helpers import TINY, cli, table, write_spec

from bonegrid.parameters import ParameterError
from bonegrid.sweep import design_runs, load_spec, run_sweep
from bonegrid.sweep.analysis import analyze, load_sweep, morris_indices, sobol_indices
from bonegrid.sweep.store import SweepStore
from bonegrid.sweep.worker import RunResult, kept_days


def synthetic_sweep(tmp_path, design, response):
    """A sweep folder whose 'bmd' is a known function of two parameters (no model runs)."""
    text = """\
        scenario = "healthy"
        grid = 32
        days = 10
        output = "{out}"
        design = DESIGN
        outputs = { readouts = ["bmd"], interval_days = 10 }

        [parameters]
        osteoclast_lifespan_days = { low = 10.0, high = 20.0 }
        osteoblast_lifespan_days = { low = 50.0, high = 150.0 }
    """
    spec = load_spec(write_spec(tmp_path, text.replace("DESIGN", design)))
    runs = design_runs(spec)
    store = SweepStore(spec.output)
    store.prepare(spec, runs, resume=False, joining=False)
    for run in runs.to_dict(orient="records"):
        y = response(run["osteoclast_lifespan_days"], run["osteoblast_lifespan_days"])
        result = RunResult(run["run_id"], pd.DataFrame({"day": [0, 10], "bmd": [1.0, 1.0 + y]}), None, 0.0, "test")
        store.record(run, result, 0)
    store.consolidate()
    return spec.output


def test_morris_indices_of_a_known_function(tmp_path):
    # bmd change = 0.01 x osteoclast lifespan: mu* = 0.01 x its range (10 days) = 0.1; the other is inert
    out = synthetic_sweep(tmp_path, '{ method = "morris", trajectories = 6 }', lambda ocl, obl: 0.01 * ocl)
    analysis = analyze(out, days=[10], change_from_day=0)
    indices = pd.read_csv(analysis.paths[0]).set_index("parameter")
    assert indices.loc["osteoclast_lifespan_days", "mu_star"] == pytest.approx(0.1)
    assert indices.loc["osteoclast_lifespan_days", "sigma"] == pytest.approx(0.0, abs=1e-12)
    assert indices.loc["osteoblast_lifespan_days", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert analysis.paths[1].stat().st_size > 10_000


def test_sobol_indices_of_a_known_function(tmp_path):
    # y = a + b with a ~ U(10, 20) and b/10 ~ U(5, 15): equal variances, no interaction: S1 = ST = 1/2
    out = synthetic_sweep(tmp_path, '{ method = "sobol", samples = 256 }', lambda ocl, obl: ocl + obl / 10.0)
    analysis = analyze(out, days=[10], change_from_day=0)
    indices = pd.read_csv(analysis.paths[0]).set_index("parameter")
    assert indices["S1"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.08)
    assert indices["ST"].to_numpy() == pytest.approx([0.5, 0.5], abs=0.08)
    assert (indices["S1_conf"] > 0).all()


def test_sobol_needs_every_point_and_morris_drops_incomplete_trajectories(tmp_path):
    out = synthetic_sweep(tmp_path, '{ method = "morris", trajectories = 4 }', lambda ocl, obl: 0.01 * ocl)
    sweep = load_sweep(out)
    y = np.array([0.01 * v for v in sweep.runs["osteoclast_lifespan_days"]])
    y[4] = np.nan  # a failed run in trajectory 1 (3 points per trajectory)
    indices, used = morris_indices(sweep, y)
    assert used == 3
    assert indices.set_index("parameter").loc["osteoclast_lifespan_days", "mu_star"] == pytest.approx(0.1)
    with pytest.raises(ParameterError, match="Sobol indices need every point"):
        sobol_indices(sweep, y)


def test_analyze_a_real_morris_sweep_from_the_command_line(tmp_path, capsys):
    # an inert parameter (no myeloma) has exactly zero effects under common seeds
    text = """\
        scenario = "healthy"
        grid = 32
        days = 30
        common_seeds = true
        output = "{out}"
        design = { method = "morris", trajectories = 3 }
        outputs = { readouts = ["bmd", "ctx"], interval_days = 10 }
        analysis = { outputs = ["bmd"], change_from_day = 0 }

        [fixed]
        burn_in_days = 20
        trabecular_spacing_um = 500.0        # a dense network: a 0.32 mm window of it holds remodeling surface
        trabecular_bone_fraction = 0.0

        [parameters]
        rankl_surface_pM_per_day = { low = 20.0, high = 180.0 }
        myeloma_tgfb_half_pM = { low = 1.0, high = 100.0 }
    """
    path = write_spec(tmp_path, text)
    assert cli("sweep", path, "--workers", "2") == 0
    capsys.readouterr()
    assert cli("analyze", tmp_path / "out", "--days", "10", "30") == 0
    written = capsys.readouterr().out.split()
    assert written == [str(tmp_path / "out" / "analysis" / n) for n in ("morris_change.csv", "morris_change.png")]
    indices = pd.read_csv(written[0])
    assert sorted(indices["day"].unique()) == [10, 30] and (indices["change_from_day"] == 0).all()
    inert = indices[indices["parameter"] == "myeloma_tgfb_half_pM"]
    assert (inert["mu_star"] == 0.0).all()
    assert (indices[indices["parameter"] == "rankl_surface_pM_per_day"]["mu_star"] > 0.0).all()
    with pytest.raises(ParameterError, match="the sweep kept bmd, ctx"):
        cli("analyze", tmp_path / "out", "--outputs", "pth")
    with pytest.raises(ParameterError, match="not a recorded day"):
        cli("analyze", tmp_path / "out", "--days", "15")


def test_factorial_response_table_and_plot(tmp_path):
    spec = load_spec(write_spec(tmp_path, TINY))
    run_sweep(spec, workers=2)
    analysis = analyze(tmp_path / "out", outputs=["bmd", "ctx"], days=[20])
    response = pd.read_csv(analysis.paths[0])
    assert len(response) == 2 * 4 and (response["count"] == 2).all()
    t = table(tmp_path / "out")
    at = t[t["day"] == 20].groupby("point")["bmd"].mean()
    got = response[response["output"] == "bmd"].set_index("point")["mean"]
    assert np.allclose(got.sort_index().to_numpy(), at.to_numpy())
    assert analysis.paths[1].name == "response.png"


def test_kept_days():
    assert kept_days(20, 5).tolist() == [0, 5, 10, 15, 20]
    assert kept_days(22, 10).tolist() == [0, 10, 20, 22]
