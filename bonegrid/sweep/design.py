"""Design points, runs and their seeds.

A design is a table of points (one column per swept parameter). Each point is run
``replicates`` times; run ``run_id = point * replicates + replicate``. Samplers come from
SALib (Herman & Usher 2017, doi:10.21105/joss.00097) and take the spec's root seed, so a
spec always makes the same design.

Seeds: run ``i`` gets ``SeedSequence(root, spawn_key=(i,))`` (the ``i``-th child of
``SeedSequence(root).spawn``), or with ``common_seeds`` the child of its replicate number,
so that replicate ``r`` of every point shares one random history (common random numbers).
A run's seed depends only on the root seed and its place in the design, never on which
worker runs it or when.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from bonegrid.parameters import ParameterError
from bonegrid.sweep.spec import SweepSpec, check_overrides, coerce

RUN_COLUMNS = ("run_id", "point", "replicate", "seed")


def run_seed(root: int, index: int) -> int:
    """Return the model seed of child ``index`` of ``SeedSequence(root)``: a non-negative 63-bit int.

    Parameters
    ----------
    root : int
        The spec's root seed.
    index : int
        The run id (or, with common seeds, the replicate number).
    """
    state = np.random.SeedSequence(root, spawn_key=(index,)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def salib_problem(spec: SweepSpec) -> dict:
    """Return the SALib problem of the spec's factors (bounds in sampling space: log10 for ``log`` factors)."""
    return {"num_vars": len(spec.factors), "names": list(spec.names), "bounds": [list(f.bounds) for f in spec.factors]}


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """Return the design: one row per point, one typed column per swept parameter.

    Raises
    ------
    ParameterError
        If a point (a combination of valid levels) is not allowed, naming the point.
    """
    method, factors = spec.design.method, spec.factors
    if method == "factorial":
        rows = list(itertools.product(*(f.levels() for f in factors)))
    elif method == "table":
        rows = [tuple(coerce(p[f.name], f.kind, "", f.name) for f in factors) for p in spec.design.points]
    else:
        from SALib.sample import latin, morris, sobol

        problem = salib_problem(spec)
        if method == "latin":
            x = latin.sample(problem, spec.design.samples, seed=spec.seed)
        elif method == "sobol":
            x = sobol.sample(problem, spec.design.samples, calc_second_order=spec.design.second_order, seed=spec.seed)
        else:
            x = morris.sample(problem, spec.design.trajectories, num_levels=spec.design.levels, seed=spec.seed)
        rows = list(zip(*(f.from_sample(x[:, j]) for j, f in enumerate(factors)), strict=True))
    points = pd.DataFrame(rows, columns=list(spec.names))
    for f in factors:
        points[f.name] = points[f.name].astype({float: "float64", int: "int64", bool: "bool", str: "object"}[f.kind])
    where = str(spec.path or "sweep spec")
    for i, row in enumerate(points.itertuples(index=False)):
        check_overrides(spec.scenario, _plain(row._asdict()), where, f"design point {i} {_plain(row._asdict())}")
    return points


def design_runs(spec: SweepSpec) -> pd.DataFrame:
    """Return every run: ``run_id, point, replicate, seed`` and the swept parameters, in run order."""
    points = design_points(spec)
    n, r = len(points), spec.replicates
    runs = points.loc[np.repeat(np.arange(n), r)].reset_index(drop=True)
    run_id = np.arange(n * r)
    replicate = np.tile(np.arange(r), n)
    seeds = [run_seed(spec.seed, int(i)) for i in (replicate if spec.common_seeds else run_id)]
    runs.insert(0, "run_id", run_id)
    runs.insert(1, "point", np.repeat(np.arange(n), r))
    runs.insert(2, "replicate", replicate)
    runs.insert(3, "seed", np.array(seeds, dtype=np.int64))
    return runs


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``I/N`` (shard I of N, 1 <= I <= N) as ``(I, N)``.

    Raises
    ------
    ParameterError
        For anything else.
    """
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or not 1 <= i <= n:
        raise ParameterError(f"--shard {text!r} is not allowed: expected I/N with 1 <= I <= N, e.g. 3/8 "
                             "(with a Slurm array: --shard $SLURM_ARRAY_TASK_ID/8 and --array=1-8)")
    return i, n


def in_shard(run_ids: np.ndarray, shard: tuple[int, int] | None) -> np.ndarray:
    """Return a mask of the runs shard ``(I, N)`` does: every N-th run from run I - 1 (all with ``None``).

    Striding rather than blocks spreads expensive corners of a design over the shards.
    """
    if shard is None:
        return np.ones(len(run_ids), dtype=bool)
    index, count = shard
    return np.asarray(run_ids) % count == index - 1


def _plain(row: dict) -> dict:
    """Numpy scalars to Python ones (the scenario checks exact Python types)."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}


__all__ = ["RUN_COLUMNS", "design_points", "design_runs", "in_shard", "parse_shard", "run_seed", "salib_problem"]
