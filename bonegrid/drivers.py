"""Systemic drivers: the causes a scenario sets over time.

A driver is a systemic input that is not computed by the model: hormone levels, drug
doses, diet, loading. Each is expressed relative to a healthy young adult (1.0) unless
its name carries a unit. :class:`DriverSchedule` holds piecewise-linear time courses
(day -> value) so that a cause can start, ramp and stop; the model evaluates it once
per day (step 1 of the day, see ``docs/model.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from bonegrid.parameters import ParameterError, ParameterSet, param


@dataclasses.dataclass(frozen=True)
class Drivers(ParameterSet):
    """Driver levels on one day (healthy adult defaults)."""

    estrogen: float = param(1.0, unit="1 (relative)", low=0.0, high=3.0, symbol="E",
                            doc="estrogen level relative to a premenopausal adult",
                            source="definition (1 = premenopausal)")
    thyroid: float = param(1.0, unit="1 (relative)", low=0.2, high=5.0, symbol="T",
                           doc="thyroid hormone (free T4) relative to euthyroid",
                           source="definition (1 = euthyroid)")
    glucocorticoid: float = param(0.0, unit="mg/day prednisolone-equivalent", low=0.0, high=1500.0,
                                  symbol="G", doc="exogenous glucocorticoid dose (pulse therapy: methylprednisolone "
                                                  "1 g/day = 1250 mg/day prednisolone-equivalent)",
                                  source="definition (0 = none); methylprednisolone 4 mg = prednisolone 5 mg "
                                         "(equivalent anti-inflammatory doses, BNF)")
    cytokines: float = param(0.0, unit="1 (relative)", low=0.0, high=10.0, symbol="C",
                             doc="inflammatory cytokine load (TNF-a, IL-1, IL-6) above baseline",
                             source="definition (0 = none)")
    dietary_calcium_mg_per_day: float = param(1000.0, unit="mg/day", low=0.0, high=5000.0,
                                              symbol="I_{Ca}", doc="dietary calcium intake",
                                              source="adult RDA 1000 mg/day (IOM 2011)")
    gut_absorption: float = param(1.0, unit="1 (relative)", low=0.0, high=2.0, symbol="A_{gut}",
                                  doc="intestinal absorptive capacity (calcium and vitamin D)",
                                  source="definition (1 = healthy gut)")
    vitamin_d_supply: float = param(1.0, unit="1 (relative)", low=0.0, high=10.0, symbol="V",
                                    doc="vitamin D supply from skin and diet",
                                    source="definition (1 = sufficient, 25(OH)D ~ 75 nmol/L)")
    lithium_mmol_per_l: float = param(0.0, unit="mmol/L", low=0.0, high=2.0, symbol="Li",
                                      doc="serum lithium (therapeutic range 0.6-1.0 mmol/L)",
                                      source="definition (0 = none)")
    vitamin_c: float = param(1.0, unit="1 (relative)", low=0.0, high=3.0, symbol="C_{asc}",
                             doc="plasma ascorbate relative to a replete adult (scurvy below ~0.2)",
                             source="definition (1 = replete, ~50 umol/L; scurvy < 11 umol/L, Hodges 1971)")
    mechanical_loading: float = param(1.0, unit="1 (relative)", low=0.0, high=3.0, symbol="L",
                                      doc="habitual mechanical loading sensed by osteocytes",
                                      source="definition (1 = habitual)")
    bisphosphonate: float = param(0.0, unit="1 (relative dose)", low=0.0, high=10.0, symbol="B",
                                  doc="bisphosphonate intake (1 = alendronate 70 mg/week); binds to exposed mineral",
                                  source="definition (0 = none)")
    denosumab_nM: float = param(0.0, unit="nM", low=0.0, high=1000.0, symbol="D",
                                doc="serum denosumab (anti-RANKL antibody); 60 mg s.c. peaks near 45 nM",
                                source="definition; Cmax 6.75 ug/mL at 147 kDa (Prolia label)")
    teriparatide: float = param(0.0, unit="1 (relative dose)", low=0.0, high=5.0, symbol="P_{int}",
                                doc="intermittent PTH(1-34) injections (1 = 20 ug/day)",
                                source="definition (0 = none)")
    egfr_ml_per_min: float = param(125.0, unit="mL/min/1.73 m²", low=5.0, high=150.0, symbol="eGFR",
                                   doc="kidney function (glomerular filtration rate); chronic kidney disease below 60",
                                   source="definition (125 = healthy young adult, the physiology's GFR of 180 L/day; "
                                          "CKD stages by KDIGO 2012)")
    parathyroid_set_point: float = param(1.0, unit="1 (relative)", low=0.8, high=1.5, symbol="s_{PT}",
                                         doc="calcium set point of the parathyroid glands relative to normal; a "
                                             "parathyroid adenoma raises it (primary hyperparathyroidism)",
                                         source="definition (1 = normal glands); adenoma set point shifted right "
                                                "(Brown 1983, doi:10.1210/jcem-56-3-572)")
    calcitriol_ug_per_day: float = param(0.0, unit="ug/day", low=0.0, high=5.0, symbol="D_{rx}",
                                         doc="oral calcitriol (active vitamin D), e.g. 0.25-1 ug/day in kidney disease",
                                         source="definition (0 = none)")
    alcohol_g_per_day: float = param(0.0, unit="g/day ethanol", low=0.0, high=400.0, symbol="A",
                                     doc="habitual alcohol intake (one standard drink ~10-14 g; heavy drinking "
                                         "> 60 g/day)",
                                     source="definition (0 = none)")
    cigarettes_per_day: float = param(0.0, unit="cigarettes/day", low=0.0, high=80.0, symbol="S",
                                      doc="current smoking (20 cigarettes = one pack a day)",
                                      source="definition (0 = never or former smoker)")
    bilirubin_umol_per_l: float = param(10.0, unit="umol/L", low=0.0, high=600.0, symbol="B",
                                        doc="total serum bilirubin (normal 3-21 umol/L; jaundice above ~50): "
                                            "retained in cholestatic and end-stage liver disease",
                                        source="definition (10 = healthy adult)")
    synovitis: float = param(0.0, unit="1 (relative)", low=0.0, high=3.0, symbol="S_{syn}",
                             doc="activity of an inflamed synovium (rheumatoid pannus) lying against the left border "
                                 "of the slice (1 = active untreated rheumatoid arthritis)",
                             source="definition (0 = none)")
    liver_function: float = param(1.0, unit="1 (relative)", low=0.1, high=1.0, symbol="H",
                                  doc="hepatocellular function relative to a healthy liver (the working hepatocyte "
                                      "mass that makes albumin, clotting factors and IGF-1 and 25-hydroxylates "
                                      "vitamin D); cirrhosis lowers it, ~0.7 at the edge of Child-Pugh class B",
                                  source="definition (1 = healthy liver); the panel reads it as albumin and INR")


def _check_levels(name: str, values: np.ndarray) -> None:
    """Check every breakpoint level of driver ``name`` against its declared range, at numpy speed.

    Raises
    ------
    ParameterError
        For the first value out of range or not finite, with the message :class:`Drivers` gives.
    """
    meta = Drivers.__dataclass_fields__[name].metadata
    bad = ~np.isfinite(values)
    if meta["low"] is not None:
        bad |= values < meta["low"]
    if meta["high"] is not None:
        bad |= values > meta["high"]
    if bad.any():
        Drivers(**{name: float(values[np.argmax(bad)])})


def _level(day: float, days: np.ndarray, values: np.ndarray, first_day: float, first: float, last_day: float,
           last: float) -> float:
    """Level of a course on ``day``: ``np.interp(day, days, values)``, held levels without the call.

    Before the first breakpoint and from the last one on, ``np.interp`` returns the first and the
    last value exactly; most days of a run lie there (a burn-in, a cause or drug that has set in).
    """
    if day < first_day:
        return first
    if day >= last_day:
        return last
    return float(np.interp(day, days, values))


class DriverSchedule:
    """Piecewise-linear time courses of drivers.

    Parameters
    ----------
    courses : mapping of str to sequence of (day, value) pairs
        For each driver name, breakpoints sorted by day. Between breakpoints the value is
        interpolated linearly; before the first and after the last it is held constant.
        Drivers not named keep their healthy default.

    Examples
    --------
    >>> s = DriverSchedule({"estrogen": [(0, 1.0), (365, 0.1)]})
    >>> round(s(182.5).estrogen, 2)
    0.55
    """

    def __init__(self, courses: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> None:
        self._courses: dict[str, tuple[np.ndarray, np.ndarray, float, float, float, float]] = {}
        known = Drivers.names()
        for name, points in (courses or {}).items():
            if name not in known:
                raise ParameterError(f"unknown driver {name!r}: allowed {', '.join(known)}")
            pairs = np.asarray(points, dtype=float).reshape(-1, 2)
            days, values = pairs[:, 0].copy(), pairs[:, 1].copy()
            if days.size == 0 or np.any(np.diff(days) < 0):
                raise ParameterError(f"driver {name!r}: breakpoints must be non-empty and sorted by day")
            _check_levels(name, values)
            self._courses[name] = (days, values, float(days[0]), float(values[0]), float(days[-1]), float(values[-1]))
        self._last: tuple[tuple[float, ...], Drivers] = ((), Drivers())

    def __call__(self, day: float) -> Drivers:
        """Driver levels on ``day`` (days since the start of the run)."""
        values = tuple(_level(day, *course) for course in self._courses.values())
        if values != self._last[0]:  # build (and validate) only when a level changes
            self._last = (values, Drivers(**dict(zip(self._courses, values, strict=True))))
        return self._last[1]
