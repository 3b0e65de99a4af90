"""bonegrid.tomlcheck: each check passes good values through and refuses bad ones, naming place, key and what is allowed."""

import math
import re

import pytest

from bonegrid import tomlcheck
from bonegrid.parameters import ParameterError

WHERE = "spec.toml [sweep]"


def refused(call, *fragments):
    """Assert ``call`` raises ParameterError whose one-line message starts with WHERE and holds every fragment."""
    with pytest.raises(ParameterError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{WHERE}: ") and "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def test_keys_accepts_known_and_required_keys():
    assert tomlcheck.keys({"days": 1, "seed": 2}, WHERE, allowed=("seed",), required=("days",)) is None
    assert tomlcheck.keys({}, WHERE, allowed=("seed",)) is None


def test_keys_refuses_an_unknown_key_and_lists_the_allowed_ones_in_order():
    msg = refused(lambda: tomlcheck.keys({"days": 1, "sead": 2}, WHERE, allowed=("seed",), required=("days",),
                                         prefix="run."),
                  "unknown key 'run.sead'")
    assert msg.endswith("allowed days, seed")  # required first, then allowed, without repeats


def test_keys_refuses_a_missing_required_key():
    refused(lambda: tomlcheck.keys({"seed": 1}, WHERE, allowed=("seed",), required=("days",), prefix="run."),
            "missing key 'run.days'")


def test_table_and_array_check_the_toml_type():
    t = {"a": 1}
    assert tomlcheck.table(t, WHERE, "grid") is t
    refused(lambda: tomlcheck.table([1], WHERE, "grid"), "grid", "expected a table")
    a = [1, 2]
    assert tomlcheck.array(a, WHERE, "seeds") is a
    refused(lambda: tomlcheck.array((1, 2), WHERE, "seeds"), "seeds=(1, 2)", "expected an array")
    refused(lambda: tomlcheck.array("1,2", WHERE, "seeds"), "seeds='1,2'", "expected an array")


def test_names_accepts_distinct_known_names():
    assert tomlcheck.names(["bv_tv", "ctx"], WHERE, "outputs", ("bv_tv", "ctx", "p1np")) == ["bv_tv", "ctx"]


@pytest.mark.parametrize(("value", "fragments"), [
    (["bv_tv", "tb_th"], ("outputs: 'tb_th' is not allowed", "expected some of bv_tv, ctx, p1np")),
    (["ctx", "ctx"], ("outputs=['ctx', 'ctx'] is not allowed", "expected distinct names, at least one")),
    ([], ("outputs=[] is not allowed", "at least one")),
    ("ctx", ("outputs='ctx'", "expected an array")),
])
def test_names_refuses_unknown_repeated_empty_or_non_array(value, fragments):
    refused(lambda: tomlcheck.names(value, WHERE, "outputs", ("bv_tv", "ctx", "p1np")), *fragments)


def test_string_accepts_non_empty_and_refuses_blank_or_other_types():
    assert tomlcheck.string("spine", WHERE, "site") == "spine"
    for bad in ("", "   ", 3, None):
        refused(lambda bad=bad: tomlcheck.string(bad, WHERE, "site"), f"site={bad!r}", "expected a non-empty string")


def test_number_returns_a_float_and_refuses_booleans_non_finite_and_strings():
    value = tomlcheck.number(3, WHERE, "dose")
    assert value == 3.0 and type(value) is float
    assert tomlcheck.number(-0.5, WHERE, "dose") == -0.5
    for bad in (True, math.inf, math.nan, "1.0"):
        refused(lambda bad=bad: tomlcheck.number(bad, WHERE, "dose"), f"dose={bad!r}", "expected a finite number")


def test_integer_checks_type_and_both_ends_of_its_range():
    assert tomlcheck.integer(4, WHERE, "workers", low=1, high=4) == 4   # ends are inclusive
    assert tomlcheck.integer(1, WHERE, "workers", low=1, high=4) == 1
    assert tomlcheck.integer(10**9, WHERE, "workers", low=1) == 10**9   # open top
    assert tomlcheck.integer(-7, WHERE, "workers") == -7                 # no range at all
    refused(lambda: tomlcheck.integer(5, WHERE, "workers", low=1, high=4),
            "workers=5 is out of range", "allowed 1 <= workers <= 4")
    refused(lambda: tomlcheck.integer(0, WHERE, "workers", low=1), "workers=0 is out of range", "allowed workers >= 1")
    for bad in (2.0, False, "2"):
        refused(lambda bad=bad: tomlcheck.integer(bad, WHERE, "workers", low=1), f"workers={bad!r}",
                "expected an integer")


def test_boolean_accepts_only_true_and_false():
    assert tomlcheck.boolean(False, WHERE, "resume") is False
    assert tomlcheck.boolean(True, WHERE, "resume") is True
    for bad in (0, 1, "true"):
        msg = refused(lambda bad=bad: tomlcheck.boolean(bad, WHERE, "resume"), "expected true or false")
        assert re.search(rf"resume={re.escape(repr(bad))} has the wrong type", msg)


def test_every_public_check_is_tested_here():
    assert set(tomlcheck.__all__) == {"array", "boolean", "integer", "keys", "names", "number", "string", "table"}


def test_integer_with_only_an_upper_bound_names_it_without_none():
    msg = refused(lambda: tomlcheck.integer(9, WHERE, "workers", high=4), "workers=9 is out of range")
    assert "None" not in msg and msg.endswith("allowed workers <= 4")
