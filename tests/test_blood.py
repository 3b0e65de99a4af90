"""The blood of a whole run is calm and defended (docs/model.md, section 4.3).

Slow: each case runs a default (360²) slice for years. Bounds are the clinical reference ranges: total serum
calcium 2.2-2.6 mmol/L on every day of a healthy adult, PTH inside 1.6-6.9 pmol/L; a slice's units
must not drive the blood as if the whole skeleton had synchronised.
"""

import numpy as np
import pytest

from bonegrid import load_scenario
from bonegrid.constants import DEFAULT_GRID

pytestmark = pytest.mark.slow


def _blood(name: str, years: int, seed: int):
    model = load_scenario(name).model(seed=seed, grid=DEFAULT_GRID)
    model.run(years * 365)
    table = model.recorder.table()
    return table.serum_ca.to_numpy(), table.pth.to_numpy()


def test_healthy_serum_calcium_and_pth_stay_in_range_every_day():
    ca, pth = _blood("healthy", 5, seed=1)
    assert 2.2 <= ca.min() and ca.max() <= 2.6
    assert 1.6 <= pth.min() and pth.max() <= 6.9
    # no day jumps by more than a quarter (biological day-to-day variation is 10-25%)
    assert np.abs(np.diff(np.log(pth))).max() < np.log(1.25)


@pytest.fixture(scope="module")
def celiac():
    return _blood("celiac", 3, seed=1)


def test_celiac_serum_calcium_stays_above_2_1(celiac):
    ca, _ = celiac
    assert ca.min() >= 2.1


def test_celiac_secondary_hyperparathyroidism_without_a_pth_cycle(celiac):
    _, pth = celiac
    late = pth[365:]
    assert np.median(late) > 4.0          # secondary hyperparathyroidism persists
    assert late.max() / late.min() < 4.0  # before the Nordin-Peacock kidney: 2-15 pmol/L, a 7-fold cycle
