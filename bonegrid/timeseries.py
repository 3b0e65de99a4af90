"""The time series of a run: its column schema, the observers that sample readouts, the recorder.

Each column of :meth:`BoneModel.timeseries <bonegrid.model.BoneModel.timeseries>` is declared
once, as a :class:`Column` (name, unit, description, how it is sampled). The model's own state
columns are :data:`STATE_COLUMNS`; readouts add theirs as :class:`Observer` subclasses (in the
style of py-pde's trackers): an observer samples the model every ``interval_days`` and on every
record, and never changes it. The model knows observers only through this protocol; the
clinical ones (virtual DXA, micro-FE stiffness, turnover markers) live in
:mod:`bonegrid.readouts.observers` and register themselves as the defaults a plain
``BoneModel(...)`` attaches. Everything that lists columns (the docs' column table, the
sensitivity units, the dashboard's series, a sweep's allowed outputs) reads :func:`columns`.

Examples
--------
>>> [c.name for c in STATE_COLUMNS[:3]]
['day', 'bv_tv', 'ov_bv']
>>> column("pth").unit
'pmol/L'
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from bonegrid.parameters import ParameterError, ParameterSet

SAMPLINGS = {
    "state": "the value on the recorded day",
    "day count": "a count over the recorded day only",
    "cumulative": "a running total since the model was built (burn-in included)",
    "smoothed": "a running mean over recent days",
    "last solve": "the value of the most recent periodic computation",
}
"""How a column is sampled, and what that means."""


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of the time series.

    Attributes
    ----------
    name : str
        Column name.
    unit : str
        Physical unit ("1" for dimensionless, "count" for numbers of things).
    description : str
        What it measures, in the words of the biology or the clinic.
    sampling : str
        One of :data:`SAMPLINGS`.
    """

    name: str
    unit: str
    description: str
    sampling: str = "state"

    def __post_init__(self) -> None:
        """Check the sampling kind."""
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"column {self.name!r}: sampling={self.sampling!r} is not one of {', '.join(SAMPLINGS)}")


STATE_COLUMNS: tuple[Column, ...] = (
    Column("day", "day", "days since the end of burn-in"),
    Column("bv_tv", "1", "bone volume over tissue volume BV/TV (osteoid and mineralised matrix)"),
    Column("ov_bv", "1", "osteoid volume over bone volume OV/BV"),
    Column("remodeling_space", "1", "open cavity still in a remodeling cycle (resorbed, not yet refilled; not the arrested "
           "cavity of a unit with no cells left) over bone volume"),
    Column("n_osteoclasts", "count", "living osteoclasts"),
    Column("n_osteoblasts", "count", "active osteoblasts"),
    Column("n_osteocytes", "count", "osteocytes (viable and apoptotic)"),
    Column("osteocyte_viability", "1", "lacunae holding a living, non-apoptotic osteocyte, over all lacunae"),
    Column("resorbed_voxels", "count", "voxels resorbed by osteoclasts", "day count"),
    Column("formed_voxels", "count", "voxels of osteoid laid by osteoblasts", "day count"),
    Column("serum_ca", "mmol/L", "total serum calcium"),
    Column("serum_phosphate", "mmol/L", "serum inorganic phosphate"),
    Column("pth", "pmol/L", "intact parathyroid hormone"),
    Column("calcitriol", "pmol/L", "1,25(OH)2-vitamin D"),
    Column("vitamin_d_25oh", "nmol/L", "25(OH)-vitamin D"),
    Column("fgf23", "RU/mL", "C-terminal FGF23, made by osteocytes as the phosphate load per remaining nephron grows"),
    Column("mineral_mean", "1", "mean mineral fraction of the matrix (0 osteoid .. 1 fully mineralised)"),
    Column("active_units", "count", "remodeling units with an osteoclast or osteoblast at work"),
    Column("n_tumour_cells", "count", "myeloma cells in the marrow"),
    Column("m_protein", "g/L", "serum monoclonal protein made by the myeloma clone"),
    Column("mineralisation_onsets", "count", "osteoid voxels that have begun to mineralise", "cumulative"),
    Column("mineralisation_onset_age_days", "day",
           "summed osteoid age at the onset of mineralisation (differences over onsets give the lag)", "cumulative"),
)
"""Columns sampled from the model's own state (the getters live in :mod:`bonegrid.model`)."""


class Observer:
    """A readout attached to a run: samples the model, never changes it.

    Subclasses declare their :attr:`columns`, their parameter set (:attr:`parameters`, or
    None), how often they observe (:attr:`interval_days`), and implement :meth:`sample`.
    Passing ``default=True`` in the class statement makes a plain ``BoneModel(...)`` attach
    the observer (``class DXA(Observer, default=True)``).

    Parameters
    ----------
    params : ParameterSet, optional
        An instance of :attr:`parameters` (default: its defaults).
    """

    columns: ClassVar[tuple[Column, ...]] = ()
    """The time-series columns this observer adds."""
    parameters: ClassVar[type[ParameterSet] | None] = None
    """Its parameter set, documented with the model's (overridable as ``BoneModel(name=value)``)."""
    observes_burn_in: ClassVar[bool] = False
    """Whether :meth:`observe` also runs on burn-in days (before day 0)."""
    _defaults: ClassVar[list[type[Observer]]] = []

    def __init_subclass__(cls, default: bool = False, **kwargs: Any) -> None:
        """Register ``default=True`` subclasses as observers a plain model attaches."""
        super().__init_subclass__(**kwargs)
        if default:
            Observer._defaults.append(cls)

    def __init__(self, params: ParameterSet | None = None) -> None:
        if self.parameters is None:
            if params is not None:
                raise ParameterError(f"{type(self).__name__} takes no parameters")
        elif params is None:
            params = self.parameters()
        elif not isinstance(params, self.parameters):
            raise ParameterError(f"{type(self).__name__} expects {self.parameters.__name__}, got {type(params).__name__}")
        self.params = params

    @property
    def interval_days(self) -> int | None:
        """Days between calls of :meth:`observe` (None: the observer only samples at records)."""
        return None

    def attach(self, model: mesa.Model) -> None:
        """Prepare to observe ``model``: called once when the model is built, before burn-in."""

    def start(self, model: mesa.Model) -> None:
        """Take the day-0 reference: called once at the end of burn-in, before the first record."""

    def observe(self, model: mesa.Model) -> None:
        """Observe the model after each day that is a multiple of :attr:`interval_days`.

        Days >= 1 only, unless :attr:`observes_burn_in`.
        """

    def sample(self, model: mesa.Model) -> Mapping[str, float]:
        """Return this observer's column values now (name -> value)."""
        raise NotImplementedError


def default_observers() -> tuple[type[Observer], ...]:
    """Return the observer classes a plain ``BoneModel(...)`` attaches, in registration order."""
    return tuple(Observer._defaults)


def observers_for(names: Iterable[str], configured: Iterable[str] = ()) -> tuple[type[Observer], ...]:
    """Return the default observers a run needs.

    Those that record a column in ``names`` or own a parameter in ``configured``: a run that
    keeps no stiffness column then solves no micro-FE problem.

    Examples
    --------
    >>> [o.__name__ for o in observers_for(["bmd", "bv_tv"])]
    ['DXA']
    """
    names, configured = set(names), set(configured)
    return tuple(o for o in default_observers()
                 if {c.name for c in o.columns} & names
                 or (o.parameters is not None and configured & set(o.parameters.names())))


def columns(observers: Iterable[type[Observer] | Observer] | None = None) -> tuple[Column, ...]:
    """Return the schema of a run's time series: the state columns, then each observer's.

    Parameters
    ----------
    observers : iterable of Observer classes or instances, optional
        Default: :func:`default_observers`.
    """
    observers = default_observers() if observers is None else observers
    return STATE_COLUMNS + tuple(c for o in observers for c in o.columns)


def column(name: str, observers: Iterable[type[Observer] | Observer] | None = None) -> Column:
    """Return the declared column ``name``.

    Raises
    ------
    ParameterError
        If no column has that name (naming the ones that exist).
    """
    known = {c.name: c for c in columns(observers)}
    if name not in known:
        raise ParameterError(f"unknown time-series column {name!r}: expected one of {', '.join(known)}")
    return known[name]


def markdown_table(schema: Sequence[Column]) -> str:
    """Render columns as a Markdown table (column, unit, sampling, meaning)."""
    rows = ["| column | unit | sampled | meaning |", "| --- | --- | --- | --- |"]
    rows += [f"| `{c.name}` | {c.unit} | {SAMPLINGS[c.sampling]} | {c.description} |" for c in schema]
    return "\n".join(rows)


class Recorder:
    """Collects the time series of a model into a preallocated table, one row per record.

    Each record writes one row of floats: the state columns (their getters read the model
    they are given), then each observer's sample. The table grows by doubling, so a record
    costs the getters, the samples and one row write, whatever the run's length. A column
    keeps integer values as integers (``day``, counts) for as long as every recorded value
    is an int; the first value of another type makes it a float column. Nothing here holds a
    reference back to a model, so a deep copy of a model (a run branched in two) records its
    own series.

    Parameters
    ----------
    state : mapping of str to callable
        Getter ``model -> value`` of every name in :data:`STATE_COLUMNS`.
    observers : sequence of Observer
        Attached observers; each record asks each for :meth:`Observer.sample`. A name the
        sample lacks, or a None, is recorded as NaN; names it adds beyond its columns are ignored.

    Raises
    ------
    ParameterError
        If two sources declare the same column.

    Examples
    --------
    >>> from bonegrid.model import BoneModel
    >>> model = BoneModel(grid=48, seed=1, burn_in_days=0, observers=[]).run(2)
    >>> model.recorder.rows, model.recorder.column("day").tolist()
    (3, [0, 1, 2])
    """

    INITIAL_ROWS = 512
    """Rows allocated before the first record (then doubled when full)."""

    def __init__(self, state: Mapping[str, Callable[[mesa.Model], float]], observers: Sequence[Observer]) -> None:
        missing = [c.name for c in STATE_COLUMNS if c.name not in state]
        if missing:
            raise ValueError(f"no getter for state columns {missing}")
        self.observers = tuple(observers)
        names = [c.name for c in STATE_COLUMNS]
        for observer in self.observers:
            for c in observer.columns:
                if c.name in names:
                    raise ParameterError(f"column {c.name!r} of {type(observer).__name__} is recorded already: "
                                         "each column comes from one place")
                names.append(c.name)
        self.names: tuple[str, ...] = tuple(names)
        """Column names in table order: the state columns, then each observer's."""
        self._index = {name: j for j, name in enumerate(self.names)}
        self._getters = tuple(state[c.name] for c in STATE_COLUMNS)
        self._sampled = tuple((observer, tuple(c.name for c in observer.columns)) for observer in self.observers)
        self._table = np.empty((self.INITIAL_ROWS, len(self.names)))
        self._rows = 0
        self._integer = list(range(len(STATE_COLUMNS)))    # state columns with only ints so far

    @property
    def rows(self) -> int:
        """Records taken so far."""
        return self._rows

    def collect(self, model: mesa.Model) -> None:
        """Record one row: the state now and every observer's sample."""
        values = [get(model) for get in self._getters]
        if self._integer:
            self._integer = [j for j in self._integer
                             if isinstance(values[j], (int, np.integer)) and not isinstance(values[j], bool)]
        for observer, names in self._sampled:
            sample = observer.sample(model)
            for name in names:
                value = sample.get(name)
                values.append(math.nan if value is None else value)
        if self._rows == len(self._table):
            self._table = np.concatenate([self._table, np.empty_like(self._table)])
        self._table[self._rows] = values
        self._rows += 1

    def observe(self, model: mesa.Model, day: int) -> None:
        """Let the observers that are due on ``day`` observe the model."""
        for observer in self.observers:
            interval = observer.interval_days
            if interval is not None and (day > 0 or observer.observes_burn_in) and day % interval == 0:
                observer.observe(model)

    def column(self, name: str, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Return the recorded values of column ``name`` (a copy), optionally only ``rows`` of them.

        Cheaper than :meth:`table` when a few columns or rows are wanted (e.g. a live chart).

        Parameters
        ----------
        name : str
            A name of :attr:`names`.
        rows : int array or slice, optional
            Record indices (0 = the first record); default: all.

        Returns
        -------
        (n,) ndarray
            int64 for a column of integers, else float64.

        Raises
        ------
        ParameterError
            If no column has that name.
        """
        if name not in self._index:
            raise ParameterError(f"unknown time-series column {name!r}: expected one of {', '.join(self.names)}")
        j = self._index[name]
        values = self._table[:self._rows, j]
        return (values if rows is None else values[rows]).astype(np.int64 if j in self._integer else np.float64)

    def last(self) -> dict[str, float]:
        """Return the latest record as ``{name: value}`` (integers as int)."""
        if not self._rows:
            return {}
        row = self._table[self._rows - 1].tolist()
        for j in self._integer:
            row[j] = int(row[j])
        return dict(zip(self.names, row, strict=True))

    def table(self) -> pd.DataFrame:
        """Return the records as a pandas DataFrame, one row per record (state columns, then observers')."""
        return pd.DataFrame({name: self.column(name) for name in self.names}, copy=False)


__all__ = ["SAMPLINGS", "STATE_COLUMNS", "Column", "Observer", "Recorder", "column", "columns", "default_observers",
           "markdown_table", "observers_for"]
