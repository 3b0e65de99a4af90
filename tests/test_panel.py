"""The table of normal ranges: one range per panel test, units that match the keys, flags and printed ranges."""

import math

import pytest

from bonegrid.drivers import Drivers
from bonegrid.model import BoneModel
from bonegrid.readouts.panel import NORMAL_RANGES, TESTS, NormalRange, Result, format_panel, panel_values

UNIT_DENOMINATORS = {"l": "L", "ml": "mL", "min": "min/1.73 m²"}
UNIT_AMOUNTS = {"u": "U", "ru": "RU", "ml": "mL"}  # enzyme and assay units; eGFR is mL/min per body surface
RATIOS = {"inr"}
"""Tests reported as a dimensionless ratio (unit "1"), whose keys carry no unit."""


def test_every_test_has_one_range_and_every_range_a_test():
    assert [t.key for t in TESTS] == list(NORMAL_RANGES)
    assert all(t.normal_range is NORMAL_RANGES[t.key] and t.unit == NORMAL_RANGES[t.key].unit for t in TESTS)


def test_units_agree_with_the_keys():
    for key, normal in NORMAL_RANGES.items():
        assert (normal.unit == "1") == (key in RATIOS), key
        if key in RATIOS:
            continue
        amount, per, volume = key.split("_")[-3:]
        amount = UNIT_AMOUNTS.get(amount, amount)
        assert per == "per" and normal.unit.lower() == f"{amount}/{UNIT_DENOMINATORS[volume]}".lower(), key  # mIU
        assert normal.source


def test_the_clinical_ranges_of_the_reference():
    ranges = {key: (r.low, r.high) for key, r in NORMAL_RANGES.items()}
    assert ranges["serum_calcium_mmol_per_l"] == (2.15, 2.55) and ranges["pth_pmol_per_l"] == (1.6, 6.9)
    assert ranges["serum_phosphate_mmol_per_l"] == (0.8, 1.5) and ranges["vitamin_d_25oh_nmol_per_l"] == (50.0, None)
    assert ranges["ctx_ng_per_ml"] == (0.1, 0.6) and ranges["p1np_ug_per_l"] == (15.0, 75.0)


def test_the_table_is_read_only():
    with pytest.raises(TypeError):
        NORMAL_RANGES["pth_pmol_per_l"] = NormalRange(0.0, 100.0, "pmol/L", "wrong")


@pytest.mark.parametrize(("normal", "value", "flag", "text"), [
    (NormalRange(1.6, 6.9, "pmol/L", "s"), 1.5, "L", "1.6-6.9"),
    (NormalRange(1.6, 6.9, "pmol/L", "s"), 1.6, "", "1.6-6.9"),
    (NormalRange(1.6, 6.9, "pmol/L", "s"), 7.0, "H", "1.6-6.9"),
    (NormalRange(50.0, None, "nmol/L", "s"), 1e6, "", "> 50"),
    (NormalRange(None, 5.0, "mg/L", "s"), 5.5, "H", "< 5"),
    (NormalRange(None, 0.0, "g/L", "s"), 0.1, "H", "none"),
    (NormalRange(None, 0.0, "g/L", "s"), math.nan, "", "none"),
])
def test_flags_and_printed_range(normal, value, flag, text):
    assert normal.flag(value) == flag and normal.text == text


def test_a_result_reads_its_tests_range():
    pth = next(t for t in TESTS if t.key == "pth_pmol_per_l")
    assert (Result(pth, 9.0).flag, Result(pth, 9.0).range_text) == ("H", "1.6-6.9")


def test_the_panels_fgf23_is_the_physiologys_own_recorded_value():
    # a changed FGF23 constant reaches the panel through the time series (no second formula in the panel)
    model = BoneModel(site="spine", grid=64, seed=1, burn_in_days=0, drivers={"egfr_ml_per_min": [(0, 30.0)]},
                      fgf23_normal_ru_per_ml=80.0).run(3)
    row = model.timeseries().iloc[-1]
    expected = 80.0 * (125.0 / 30.0) ** model.params.physiology.fgf23_nephron_exponent
    assert row["fgf23"] == pytest.approx(expected, rel=1e-12) == model.physiology.fgf23_ru_per_ml
    assert panel_values(row, Drivers(egfr_ml_per_min=30.0))["fgf23_ru_per_ml"] == row["fgf23"]


def test_a_plain_ratio_is_printed_without_a_unit():
    inr = next(t for t in TESTS if t.key == "inr")
    row = next(line for line in format_panel([Result(inr, 1.4)]).splitlines() if line.startswith("| INR"))
    assert row.split("|")[3].strip() == ""
    calcium = TESTS[0]
    assert calcium.shown_unit == calcium.unit == "mmol/L"
