"""The marrow's osteoclast precursor pool: analytic time courses of its balance equation."""

import math

import pytest

from bonegrid.osteoclast_precursors import OsteoclastPrecursorPool


def test_without_a_drug_the_pool_stays_exactly_one():
    pool, constants = OsteoclastPrecursorPool(), (60.0, 0.67)
    for _ in range(1000):
        assert pool.step(1.0, *constants) == 1.0
    assert pool.signal_left == 1.0


def test_a_full_block_fills_the_pool_towards_one_over_one_minus_c():
    tau, c = 60.0, 0.67
    pool, constants = OsteoclastPrecursorPool(), (tau, c)
    days = 90
    for _ in range(days):
        pool.step(0.0, *constants)
    full = 1.0 / (1.0 - c)
    expected = full + (1.0 - full) * math.exp(-days * (1.0 - c) / tau)
    assert pool.relative == pytest.approx(expected, rel=1e-12)
    assert pool.signal_left == 0.0


def test_after_the_block_the_excess_drains_with_the_pool_turnover_time():
    tau = 60.0
    pool, constants = OsteoclastPrecursorPool(), (tau, 0.5)
    for _ in range(10000):
        pool.step(0.0, *constants)
    assert pool.relative == pytest.approx(2.0, rel=1e-9)
    for _ in range(int(tau)):
        pool.step(1.0, *constants)
    # dP/dt = (1 - P)/tau: the excess of 1 falls to 1/e in tau days
    assert pool.relative - 1.0 == pytest.approx(math.exp(-1.0), rel=1e-9)


def test_a_partial_block_settles_between():
    pool, constants = OsteoclastPrecursorPool(), (10.0, 0.8)
    for _ in range(5000):
        pool.step(0.25, *constants)
    assert pool.relative == pytest.approx(1.0 / (1.0 + 0.8 * (0.25 - 1.0)), rel=1e-9)


def test_a_lower_supply_lowers_the_pool_to_the_supply_with_the_pool_turnover_time():
    # dP/dt = (S - P)/tau without the drug: from 1 towards S, the gap shrinking by e^-1 per tau
    tau, supply = 60.0, 0.4
    pool = OsteoclastPrecursorPool()
    for _ in range(int(tau)):
        pool.step(1.0, tau, 0.67, supply)
    assert pool.relative == pytest.approx(supply + (1.0 - supply) * math.exp(-1.0), rel=1e-9)
    for _ in range(10000):
        pool.step(0.0, tau, 0.5, supply)
    assert pool.relative == pytest.approx(supply / (1.0 - 0.5), rel=1e-9)  # a full block fills it to S/(1-c)
