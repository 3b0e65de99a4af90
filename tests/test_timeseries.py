"""The time-series schema, the observer protocol and the recorder (bonegrid/timeseries.py)."""

import copy
import math
import types

import numpy as np
import pandas as pd
import pytest

from bonegrid.model import BoneModel
from bonegrid.parameters import ParameterError
from bonegrid.readouts.observers import DXA, Markers, Stiffness
from bonegrid.timeseries import STATE_COLUMNS, Column, Observer, Recorder, column, columns, default_observers


class DayLog(Observer):
    """Test observer: logs the days it observes, records the number of osteoclasts it last saw."""

    columns = (Column("seen_osteoclasts", "count", "osteoclasts at the last observation"),)

    def __init__(self, every: int, burn_in: bool = False) -> None:
        super().__init__()
        self.every, self.days, self.started = every, [], None
        self.observes_burn_in = burn_in
        self.last = -1

    @property
    def interval_days(self) -> int:
        return self.every

    def start(self, model) -> None:
        self.started = model.day

    def observe(self, model) -> None:
        self.days.append(model.day)
        self.last = len(model.osteoclasts)

    def sample(self, model):
        return {"seen_osteoclasts": self.last}


class EarlyLog(DayLog):
    columns = (Column("early_osteoclasts", "count", "osteoclasts at the last observation, burn-in included"),)

    def sample(self, model):
        return {"early_osteoclasts": self.last}


def test_a_plain_model_records_the_schema_in_order():
    ts = BoneModel(grid=32, seed=1, burn_in_days=0).run(3).timeseries()
    assert list(ts.columns) == [c.name for c in columns()]
    assert list(ts["day"]) == [0, 1, 2, 3]
    assert default_observers() == (Markers, DXA, Stiffness)


def test_observers_never_change_the_state():
    """The same seed with and without the clinical observers gives the same state columns, bit for bit."""
    plain = BoneModel(grid=48, seed=3, burn_in_days=30, observers=[]).run(60).timeseries()
    observed = BoneModel(grid=48, seed=3, burn_in_days=30).run(60).timeseries()
    assert list(plain.columns) == [c.name for c in STATE_COLUMNS]
    for name in plain.columns:
        assert np.array_equal(plain[name], observed[name], equal_nan=True), name


def test_observers_run_on_their_interval_and_start_at_day_zero():
    log, early = DayLog(every=4), EarlyLog(every=5, burn_in=True)
    model = BoneModel(grid=32, seed=1, burn_in_days=10, observers=[log, early]).run(13)
    assert log.days == [4, 8, 12] and log.started == 0
    assert early.days == [-5, 0, 5, 10]  # burn-in days -9..0 are stepped; -10 is the start
    ts = model.timeseries()
    assert ts["seen_osteoclasts"].iloc[0] == -1 and ts["seen_osteoclasts"].iloc[-1] == log.last
    assert ts["early_osteoclasts"].iloc[0] == ts["n_osteoclasts"].iloc[0]  # observed at the end of burn-in


def test_two_observers_cannot_record_one_column():
    with pytest.raises(ParameterError, match="column 'seen_osteoclasts' of DayLog is recorded already"):
        BoneModel(grid=32, seed=1, burn_in_days=0, observers=[DayLog(every=1), DayLog(every=2)])
    with pytest.raises(ParameterError, match="column 'pth'"):
        clash = type("Clash", (DayLog,), {"columns": (Column("pth", "1", "a second PTH"),)})
        BoneModel(grid=32, seed=1, burn_in_days=0, observers=[clash(every=1)])


def test_observer_parameters_route_to_default_observer_classes():
    model = BoneModel(grid=32, seed=1, burn_in_days=0, stiffness_interval_days=2, marker_smoothing_days=3.0)
    stiffness = next(o for o in model.observers if isinstance(o, Stiffness))
    markers = next(o for o in model.observers if isinstance(o, Markers))
    assert stiffness.interval_days == 2 and markers.params.marker_smoothing_days == 3.0


def test_observer_parameters_cannot_override_an_instance():
    with pytest.raises(ParameterError, match="stiffness_interval_days configures the Stiffness observer"):
        BoneModel(grid=32, seed=1, burn_in_days=0, observers=[Stiffness()], stiffness_interval_days=2)


def test_a_readout_parameter_without_its_observer_is_unknown():
    with pytest.raises(ParameterError, match="unknown parameter 'stiffness_interval_days'"):
        BoneModel(grid=32, seed=1, burn_in_days=0, observers=[DXA], stiffness_interval_days=2)


def test_column_lookup_names_what_exists():
    assert column("bmd").unit == "g/cm²" and column("resorbed_voxels").sampling == "day count"
    with pytest.raises(ParameterError, match="unknown time-series column 'bmdd'.*bmd"):
        column("bmdd")
    with pytest.raises(ValueError, match="sampling"):
        Column("x", "1", "x", sampling="sometimes")


def test_a_run_branched_by_deep_copy_records_its_own_series():
    """A deep copy (a run branched in two, e.g. a treatment started or not) owns its recorder and observers."""
    model = BoneModel(grid=48, seed=1, burn_in_days=30).run(10)
    twin = copy.deepcopy(model)
    model.run(20)
    twin.run(20)
    pd.testing.assert_frame_equal(model.timeseries(), twin.timeseries())   # same RNG state, same future
    twin.run(5)
    assert len(twin.timeseries()) == len(model.timeseries()) + 5


class Halves(Observer):
    """Test observer: half the model's counter, a None, and a column its sample leaves out."""

    columns = (Column("half", "1", "half the counter"), Column("nothing", "1", "None"),
               Column("absent", "1", "left out"))

    def sample(self, model):
        return {"half": model.i / 2, "nothing": None, "extra": 1.0}


def counting_recorder(observers=()):
    """A recorder of a stand-in model whose every state column reads its counter ``i`` (``pth`` as a float)."""
    state = {c.name: (lambda m: m.i) for c in STATE_COLUMNS}
    state["pth"] = lambda m: float(m.i)
    state["serum_ca"] = lambda m: m.i if m.i < 2 else m.i + 0.5     # ints, then a float
    return Recorder(state, list(observers))


def test_the_recorder_grows_its_table_and_keeps_integers_as_integers(monkeypatch):
    monkeypatch.setattr(Recorder, "INITIAL_ROWS", 2)
    recorder, model = counting_recorder([Halves()]), types.SimpleNamespace(i=0)
    for i in range(5):
        model.i = i
        recorder.collect(model)
    ts = recorder.table()
    assert recorder.rows == 5 and list(ts.columns) == [c.name for c in STATE_COLUMNS] + ["half", "nothing", "absent"]
    assert ts["day"].dtype == np.int64 and ts["day"].tolist() == [0, 1, 2, 3, 4]
    assert ts["pth"].dtype == np.float64 and ts["half"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert ts["serum_ca"].dtype == np.float64 and ts["serum_ca"].tolist() == [0.0, 1.0, 2.5, 3.5, 4.5]
    assert ts["nothing"].isna().all() and ts["absent"].isna().all()
    assert recorder.column("n_osteoclasts", np.array([1, 4])).tolist() == [1, 4]
    last = recorder.last()
    assert last["day"] == 4 and isinstance(last["day"], int) and last["half"] == 2.0 and math.isnan(last["absent"])
    ts.loc[0, "day"] = 99
    recorder.column("day")[0] = 99
    assert recorder.table()["day"].iloc[0] == 0                      # the records are copied out, never lent
    with pytest.raises(ParameterError, match="unknown time-series column 'bmdd'"):
        recorder.column("bmdd")


def test_the_timeseries_of_a_model_equals_its_recorded_columns():
    model = BoneModel(grid=32, seed=2, burn_in_days=5).run(8)
    ts = model.timeseries()
    for name in ts.columns:
        assert np.array_equal(ts[name].to_numpy(), model.recorder.column(name), equal_nan=True), name
    assert model.recorder.last() == {k: v for k, v in ts.iloc[-1].items()} | {"day": 8}
