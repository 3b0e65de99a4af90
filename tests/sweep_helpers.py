"""Shared pieces of the sweep tests: a tiny spec, writing specs, reading the table, the command line."""

import argparse
import textwrap

import pandas as pd

from bonegrid.sweep import add_commands, run_command

TINY = """\
scenario = "healthy"
grid = 32
days = 20
replicates = 2
output = "{out}"
outputs = { readouts = ["bv_tv", "bmd", "ctx"], interval_days = 5 }

[fixed]
burn_in_days = 10

[parameters]
osteoclast_lifespan_days = [10.0, 20.0]
osteoblast_lifespan_days = [60, 120]
"""


def write_spec(tmp_path, text, name="spec.toml", out="out"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).replace("{out}", str(tmp_path / out)))
    return path


def table(out):
    return pd.read_parquet(out / "results.parquet")


def cli(*argv):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    return run_command(parser.parse_args([str(a) for a in argv]))
