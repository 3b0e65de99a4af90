"""Headless parameter sweeps: a spec file in, one tidy table out, on a laptop or a cluster.

A sweep spec (TOML, :mod:`bonegrid.sweep.spec`) names a scenario, fixed overrides, the
swept parameters and a design (full factorial, explicit table, Latin hypercube, Sobol or
Morris samples through SALib). :func:`run_sweep` runs every point ``replicates`` times with
seeds derived from one root seed (:mod:`bonegrid.sweep.design`), on local processes or a
Dask cluster (:mod:`bonegrid.sweep.backends`), writing one Parquet part per finished run,
then one table, snapshots and a manifest (:mod:`bonegrid.sweep.store`). Interrupted sweeps
resume; failed runs are recorded and the others go on (:mod:`bonegrid.sweep.runner`).
:mod:`bonegrid.sweep.analysis` turns the table into Sobol or Morris indices and plots.

From Python::

    from bonegrid.sweep import load_spec, run_sweep
    report = run_sweep(load_spec("examples/sweeps/morris_mechanisms.toml"), workers=2)
    print(report.summary())
"""

from bonegrid.sweep.cli import add_commands, run_command
from bonegrid.sweep.design import design_runs, run_seed
from bonegrid.sweep.runner import SweepReport, plan, run_sweep
from bonegrid.sweep.spec import SweepSpec, load_spec, parse_spec

__all__ = ["SweepReport", "SweepSpec", "add_commands", "design_runs", "load_spec", "parse_spec", "plan",
           "run_command", "run_seed", "run_sweep"]
