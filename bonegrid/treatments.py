"""Treatments: interventions that change causes from a start day (and may stop).

A treatment never touches bone or cells directly. It rewrites the day's systemic
:class:`~bonegrid.drivers.Drivers` while it is on, and the model's mechanisms do the
rest (docs/model.md, "Treatments"):

- removing a cause: ``glucocorticoid_withdrawal`` (glucocorticoid tapered to 0),
  ``gluten_free_diet`` (gut absorption back to 1 and cytokines to 0 as the mucosa heals),
  ``thyroid_normalised`` (thyroid back to 1), ``estrogen_therapy`` (estrogen back to 1; oral, so
  smokers, who clear it faster in the liver, reach less), ``alcohol_abstinence`` (alcohol to 0),
  ``smoking_cessation`` (cigarettes to 0);
- ``calcium_vitamin_d``: a calcium supplement on top of the diet and a vitamin D supply
  that restores 25(OH)D;
- ``bisphosphonate``: oral intake; the drug binds to exposed mineral, most where bone is
  being resorbed (:mod:`bonegrid.tissue`), and kills the osteoclasts that resorb it
  (:mod:`bonegrid.agents.osteoclast`); bound drug stays in bone after the last dose;
- ``denosumab``: 60 mg every 6 months; serum antibody follows two-compartment kinetics with
  linear and saturable, target-mediated elimination, and sequesters RANKL like a high-affinity
  decoy (:mod:`bonegrid.fields`);
- ``teriparatide``: daily PTH(1-34) injections, anabolic (:mod:`bonegrid.effects`);
- ``exercise``: higher mechanical loading sensed by osteocytes;
- ``calcitriol``: oral active vitamin D, which the failing kidney no longer makes
  (:mod:`bonegrid.physiology`: it suppresses PTH and raises calcium absorption);
- ``parathyroidectomy``: removing a parathyroid adenoma returns the glands' calcium set
  point to normal at once.

The ramp of a removed cause is linear over ``taper_days`` from the start. ``dose``
scales the drug level, the supplement, or the loading increment.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import scipy.integrate

from bonegrid.drivers import Drivers
from bonegrid.parameters import ParameterError, ParameterSet, param

_DENOSUMAB_PK = ("Peterson 2004 (AAPS J 6(S1) W4340: population PK of denosumab in healthy postmenopausal women, "
                 "two compartments with linear and Michaelis-Menten elimination), as used by Peterson and Riggs "
                 "2010 (Bone 46:49-63)")


@dataclasses.dataclass(frozen=True)
class TreatmentParameters(ParameterSet):
    """Doses and kinetics of the treatments."""

    withdrawal_taper_days: float = param(
        60.0, unit="day", low=0.0, high=3650.0, symbol="\\tau_{taper}",
        doc="time over which a removed cause returns to its healthy level (glucocorticoid taper, thyroid control)",
        source="clinical practice: glucocorticoid tapers and antithyroid control over weeks to months (approx.)")
    mucosal_healing_days: float = param(
        365.0, unit="day", low=0.0, high=3650.0, symbol="\\tau_{heal}",
        doc="time for gut absorption and cytokines to normalise on a gluten-free diet",
        source="Rubio-Tapia 2010 (mucosal recovery over 1-2 years in adults; approx.)")
    calcium_supplement_mg_per_day: float = param(
        1000.0, unit="mg/day", low=0.0, high=3000.0, symbol="I_{Ca,s}",
        doc="supplemental calcium added to the diet", source="usual repletion dose (approx.)")
    vitamin_d_repletion_supply: float = param(
        2.0, unit="1 (relative)", low=0.0, high=10.0, symbol="V_{rep}",
        doc="vitamin D supply during repletion (1 = sufficient; ~2000 IU/day)",
        source="Holick 2011 (Endocrine Society: 1500-2000 IU/day to keep 25(OH)D > 75 nmol/L)")
    exercise_loading_increment: float = param(
        0.3, unit="1 (relative)", low=0.0, high=2.0, symbol="\\Delta L",
        doc="mechanical loading added by an exercise programme (1 = habitual loading)",
        source="modelling choice (impact and resistance training; approx.)")
    denosumab_dose_mg: float = param(
        60.0, unit="mg", low=0.0, high=1000.0, symbol="D_{dose}",
        doc="denosumab per subcutaneous injection at dose 1", source="Prolia label (60 mg every 6 months)")
    denosumab_molar_mass_kda: float = param(
        147.0, unit="kDa", low=1.0, high=1000.0, symbol="M_D",
        doc="molar mass of denosumab (IgG2), to express serum levels in nM", source="Prolia label (147 kDa)")
    denosumab_bioavailability: float = param(
        0.729, unit="1", low=0.0, high=1.0, symbol="F_D",
        doc="share of a subcutaneous dose that reaches the blood",
        source=f"{_DENOSUMAB_PK} (Prolia label: 62%)")
    denosumab_absorption_per_day: float = param(
        0.142, unit="1/day", low=1e-3, high=100.0, symbol="k_{a,D}",
        doc="first-order absorption from the injection site (0.00592/h)", source=_DENOSUMAB_PK)
    denosumab_central_volume_l: float = param(
        2.34, unit="L", low=0.01, high=100.0, symbol="V_{c,D}",
        doc="central (serum) volume of distribution", source=_DENOSUMAB_PK)
    denosumab_peripheral_volume_l: float = param(
        1.324, unit="L", low=0.01, high=100.0, symbol="V_{p,D}",
        doc="peripheral volume of distribution", source=_DENOSUMAB_PK)
    denosumab_distribution_clearance_l_per_day: float = param(
        0.448, unit="L/day", low=0.0, high=100.0, symbol="Q_D",
        doc="exchange between the central and peripheral compartments (18.67 mL/h)", source=_DENOSUMAB_PK)
    denosumab_linear_clearance_l_per_day: float = param(
        0.066, unit="L/day", low=0.0, high=100.0, symbol="CL_D",
        doc="linear (IgG, Fc-receptor-protected) clearance (2.75 mL/h)", source=_DENOSUMAB_PK)
    denosumab_target_mediated_vmax_mg_per_day: float = param(
        0.0746, unit="mg/day", low=0.0, high=100.0, symbol="V_{max,D}",
        doc="largest rate of the saturable, RANKL-mediated elimination (3110 ng/h); it dominates once "
            "serum denosumab falls near its K_m, so the level falls steeply about 5-6 months after a dose",
        source=f"{_DENOSUMAB_PK}; target-mediated (RANKL-bound) clearance of denosumab, a quasi-steady-state "
               "TMDD that saturates at high levels (Sutjandra 2011, doi:10.2165/11594240-000000000-00000)")
    denosumab_target_mediated_km_ng_per_ml: float = param(
        188.0, unit="ng/mL", low=1e-3, high=1e5, symbol="K_{m,D}",
        doc="serum denosumab at half the largest saturable elimination rate", source=_DENOSUMAB_PK)
    denosumab_interval_days: float = param(
        182.0, unit="day", low=7.0, high=730.0, symbol="\\Delta t_D",
        doc="interval between denosumab injections", source="Prolia label (every 6 months)")
    calcitriol_dose_ug_per_day: float = param(
        0.5, unit="ug/day", low=0.0, high=5.0, symbol="D_{rx,0}",
        doc="oral calcitriol at dose 1",
        source="usual dose in CKD 0.25-0.5 ug/day, more for severe secondary hyperparathyroidism (KDIGO 2009)")
    smoking_oral_estrogen_clearance_per_cigarette: float = param(
        0.05, unit="1/(cigarettes/day)", low=0.0, high=1.0, symbol="k_{S,E}",
        doc="smokers clear oral estrogen faster (first pass through the liver): the estrogen therapy "
            "reaches x 1/(1 + k S) for S cigarettes/day; endogenous estrogen is not changed",
        source="serum estrone and estradiol on oral estradiol about half in smokers, falling with cigarettes "
               "per day, unchanged on placebo (Jensen 1985, doi:10.1056/NEJM198510173131602); half the "
               "estradiol rise in smokers (Bjarnason 2000, J Clin Endocrinol Metab 85:590); half at 20/day")


def _ramp(day: float, start: float, length: float) -> float:
    """0 before ``start``, rising linearly to 1 over ``length`` days."""
    if length <= 0.0:
        return 1.0 if day >= start else 0.0
    return min(max((day - start) / length, 0.0), 1.0)


def _towards(current: float, target: float, fraction: float) -> float:
    return current + (target - current) * fraction


class _DenosumabCourse:
    r"""Serum denosumab of one course of injections, from its pharmacokinetics.

    An injection of :math:`F_D D_{dose}` enters a subcutaneous depot that empties into the serum at
    rate :math:`k_{a,D}`; the antibody exchanges with a peripheral compartment and leaves the serum
    by linear clearance plus a saturable, target-mediated (RANKL-bound) elimination
    (amounts :math:`A` in mg, :math:`C = A_c / V_{c,D}`):

    .. math::

        \frac{dA_c}{dt} = k_{a,D} A_{sc} - Q_D (C - A_p / V_{p,D}) - CL_D\,C - \frac{V_{max,D}\,C}{K_{m,D} + C}.

    High levels decay with the IgG half-life of about 4 weeks; once serum denosumab falls to near
    :math:`K_{m,D}` the target-mediated route dominates and the level collapses within weeks. The
    course is integrated from injection to injection as far as it is asked for.
    """

    def __init__(self, start: float, stop: float, dose: float, p: TreatmentParameters) -> None:
        self.start, self.stop, self.p = start, stop, p
        self.injected_mg = dose * p.denosumab_dose_mg * p.denosumab_bioavailability
        self.segments: list = []  # dense solutions, one per interval from an injection (or its due day)
        self.state = np.zeros(3)  # depot, central, peripheral (mg) at the end of the last segment

    def _rates(self, _t: float, y: np.ndarray) -> list[float]:
        p = self.p
        depot, central, peripheral = y
        c = central / p.denosumab_central_volume_l
        absorbed = p.denosumab_absorption_per_day * depot
        exchange = p.denosumab_distribution_clearance_l_per_day * (c - peripheral / p.denosumab_peripheral_volume_l)
        km = p.denosumab_target_mediated_km_ng_per_ml / 1000.0  # mg/L
        eliminated = (p.denosumab_linear_clearance_l_per_day * c
                      + p.denosumab_target_mediated_vmax_mg_per_day * max(c, 0.0) / (km + max(c, 0.0)))
        return [-absorbed, absorbed - exchange - eliminated, exchange]

    def serum_nM(self, day: float) -> float:
        """Serum denosumab on ``day`` (nM), ``day >= start``."""
        interval = self.p.denosumab_interval_days
        k = int((day - self.start) // interval)
        while len(self.segments) <= k:
            t0 = self.start + len(self.segments) * interval
            if t0 < self.stop:
                self.state[0] += self.injected_mg
            sol = scipy.integrate.solve_ivp(self._rates, (t0, t0 + interval), self.state, method="LSODA",
                                            rtol=1e-8, atol=1e-15, dense_output=True)
            self.segments.append(sol.sol)
            self.state = sol.y[:, -1].copy()
        mg_per_l = max(float(self.segments[k](day)[1]), 0.0) / self.p.denosumab_central_volume_l
        return mg_per_l * 1.0e6 / (1000.0 * self.p.denosumab_molar_mass_kda)


@functools.lru_cache(maxsize=64)
def _denosumab_course(start: float, stop: float, dose: float, p: TreatmentParameters) -> _DenosumabCourse:
    return _DenosumabCourse(start, stop, dose, p)


def _denosumab_nM(day: float, start: float, stop: float, dose: float, p: TreatmentParameters) -> float:
    """Serum denosumab (nM): an injection on ``start`` and every interval before ``stop``."""
    if day < start:
        return 0.0
    return _denosumab_course(start, stop, dose, p).serum_nM(day)


TREATMENTS: dict[str, tuple[str, Callable[[Drivers, float, float, float, float, TreatmentParameters],
                                          dict[str, float]]]] = {
    "glucocorticoid_withdrawal": (
        "stop the glucocorticoid (tapered)",
        lambda d, day, start, stop, dose, p: {
            "glucocorticoid": d.glucocorticoid * (1.0 - _ramp(day, start, p.withdrawal_taper_days))}),
    "gluten_free_diet": (
        "gluten-free diet: the gut heals, absorption and cytokines normalise",
        lambda d, day, start, stop, dose, p: {
            "gut_absorption": _towards(d.gut_absorption, 1.0, _ramp(day, start, p.mucosal_healing_days)),
            "cytokines": d.cytokines * (1.0 - _ramp(day, start, p.mucosal_healing_days))}),
    "thyroid_normalised": (
        "antithyroid treatment: thyroid hormone back to normal",
        lambda d, day, start, stop, dose, p: {
            "thyroid": _towards(d.thyroid, 1.0, _ramp(day, start, p.withdrawal_taper_days))}),
    "estrogen_therapy": (
        "menopausal hormone therapy: estrogen back to premenopausal levels",
        lambda d, day, start, stop, dose, p: {
            "estrogen": _towards(d.estrogen, min(1.0, dose) / (
                1.0 + p.smoking_oral_estrogen_clearance_per_cigarette * d.cigarettes_per_day),
                _ramp(day, start, p.withdrawal_taper_days))}),
    "alcohol_abstinence": (
        "abstinence from alcohol: the direct toxicity to osteoblasts and osteocytes ends",
        lambda d, day, start, stop, dose, p: {"alcohol_g_per_day": 0.0}),
    "smoking_cessation": (
        "stopping smoking",
        lambda d, day, start, stop, dose, p: {"cigarettes_per_day": 0.0}),
    "calcium_vitamin_d": (
        "calcium and vitamin D repletion",
        lambda d, day, start, stop, dose, p: {
            "dietary_calcium_mg_per_day": d.dietary_calcium_mg_per_day + dose * p.calcium_supplement_mg_per_day,
            "vitamin_d_supply": max(d.vitamin_d_supply, dose * p.vitamin_d_repletion_supply)}),
    "vitamin_c_repletion": (
        "vitamin C repletion (ascorbic acid by mouth): plasma ascorbate back to replete within days",
        lambda d, day, start, stop, dose, p: {
            "vitamin_c": _towards(d.vitamin_c, 1.0, _ramp(day, start, p.withdrawal_taper_days))}),
    "bisphosphonate": (
        "oral bisphosphonate (alendronate 70 mg once a week)",
        lambda d, day, start, stop, dose, p: {"bisphosphonate": d.bisphosphonate + dose}),
    "denosumab": (
        "denosumab 60 mg every 6 months (anti-RANKL antibody)",
        lambda d, day, start, stop, dose, p: {
            "denosumab_nM": d.denosumab_nM + _denosumab_nM(day, start, stop, dose, p)}),
    "teriparatide": (
        "teriparatide 20 ug/day (intermittent PTH, anabolic)",
        lambda d, day, start, stop, dose, p: {"teriparatide": d.teriparatide + dose}),
    "exercise": (
        "exercise programme (more mechanical loading)",
        lambda d, day, start, stop, dose, p: {
            "mechanical_loading": d.mechanical_loading + dose * p.exercise_loading_increment}),
    "calcitriol": (
        "calcitriol (active vitamin D) by mouth, 0.5 ug/day",
        lambda d, day, start, stop, dose, p: {
            "calcitriol_ug_per_day": d.calcitriol_ug_per_day + dose * p.calcitriol_dose_ug_per_day}),
    "parathyroidectomy": (
        "removal of the parathyroid adenoma: the glands' calcium set point is normal again",
        lambda d, day, start, stop, dose, p: {"parathyroid_set_point": 1.0}),
}
"""Name -> (plain-language description, rule rewriting the day's drivers)."""

# Drugs act only while taken; removing a cause keeps acting after ``start`` (a stop means the cause returns).
_LASTING_AFTER_STOP = {"denosumab"}  # antibody already injected keeps circulating after the last dose


@dataclasses.dataclass(frozen=True)
class Treatment:
    """One intervention: ``name`` from :data:`TREATMENTS`, on from ``start_day`` until ``stop_day``.

    Parameters
    ----------
    name : str
    start_day : float
        Model day it starts (day 0 = end of burn-in).
    stop_day : float
        Model day it stops (``inf``: never).
    dose : float
        Relative dose (1 = standard).
    """

    name: str
    start_day: float = 0.0
    stop_day: float = math.inf
    dose: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in TREATMENTS:
            raise ParameterError(f"unknown treatment {self.name!r}: allowed {', '.join(TREATMENTS)}")
        if not (math.isfinite(self.start_day) and self.start_day >= 0.0):
            raise ParameterError(f"treatment {self.name!r}: start={self.start_day!r} is not allowed: expected >= 0 days")
        if not self.stop_day > self.start_day:
            raise ParameterError(f"treatment {self.name!r}: stop={self.stop_day!r} is not allowed: "
                                 f"expected after its start ({self.start_day!r} days)")
        if not (math.isfinite(self.dose) and 0.0 <= self.dose <= 10.0):
            raise ParameterError(f"treatment {self.name!r}: dose={self.dose!r} is out of range: allowed 0 <= dose <= 10")

    def active(self, day: float) -> bool:
        """Whether the treatment acts on ``day``."""
        return day >= self.start_day and (day < self.stop_day or self.name in _LASTING_AFTER_STOP)


class TreatedSchedule:
    """Drivers of a scenario with its treatments applied, as a callable ``day -> Drivers``.

    Parameters
    ----------
    base : callable
        The untreated drivers (e.g. a :class:`~bonegrid.drivers.DriverSchedule`).
    treatments : sequence of Treatment
        Applied in order on each day they are active.
    params : TreatmentParameters
    """

    def __init__(self, base: Callable[[float], Drivers], treatments: Sequence[Treatment],
                 params: TreatmentParameters | None = None) -> None:
        self.base = base
        self.treatments = tuple(treatments)
        self.params = params or TreatmentParameters()
        self._applied: list[tuple[Drivers, dict, Drivers] | None] = [None] * len(self.treatments)

    def __call__(self, day: float) -> Drivers:
        """Driver levels on ``day`` after the active treatments.

        A treatment that makes the same changes to the same drivers as on the last day it acted
        gives the drivers it gave then (most days: a drug at a steady level, a cause removed).
        """
        drivers = self.base(day)
        for i, t in enumerate(self.treatments):
            if t.active(day):
                changes = TREATMENTS[t.name][1](drivers, day, t.start_day, t.stop_day, t.dose, self.params)
                last = self._applied[i]
                if last is not None and last[0] is drivers and last[1] == changes:
                    drivers = last[2]
                else:
                    treated = dataclasses.replace(drivers, **changes)
                    self._applied[i] = (drivers, changes, treated)
                    drivers = treated
        return drivers


__all__ = ["TREATMENTS", "TreatedSchedule", "Treatment", "TreatmentParameters"]
