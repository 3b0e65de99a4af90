"""The clinical observers a plain ``BoneModel(...)`` attaches: virtual DXA, micro-FE stiffness, turnover markers.

Each is a :class:`bonegrid.timeseries.Observer`: it reads the model (mineral, the day's resorbed
and formed voxels) and adds its columns to the time series; none changes the model. Build a
model with ``observers=[...]`` to choose others (``observers=[]`` records the state columns
only, which is what a sweep that keeps no clinical readout needs).

Examples
--------
>>> [c.name for c in DXA.columns]
['bmd', 't_score', 'z_score']
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

import bonegrid.readouts.dxa as dxa
from bonegrid.constants import ADULT_AGE_RANGE_YEARS, DAYS_PER_YEAR
from bonegrid.readouts.markers import MarkerParameters, TurnoverMarkers
from bonegrid.readouts.strength import SliceTest, StrengthParameters
from bonegrid.timeseries import Column, Observer


class Markers(Observer, default=True):
    """Serum CTX and P1NP from the resorbed and formed volume of every day (:mod:`bonegrid.readouts.markers`).

    Markers integrate activity over days, so this observer follows the burn-in too: day 0
    reads the activity that was under way before it.
    """

    columns = (
        Column("ctx", "ng/mL", "serum CTX (resorption marker), from the resorbed volume", "smoothed"),
        Column("p1np", "ug/L", "serum P1NP (formation marker), from the formed osteoid volume", "smoothed"),
    )
    parameters = MarkerParameters
    observes_burn_in = True

    @property
    def interval_days(self) -> int:
        """Every day."""
        return 1

    def attach(self, model) -> None:
        """Start the markers at the reference turnover."""
        self.markers = TurnoverMarkers(self.params)

    def observe(self, model) -> None:
        """Add the day's resorbed voxels and synthesised osteoid, relative to the matrix volume.

        Procollagen is cleaved as osteoblasts synthesise collagen, so P1NP follows the osteoid the
        day's osteoblasts lay (fractional voxels), not the whole voxels they complete (a voxel of
        10 µm takes an osteoblast ~18 days).
        """
        self.markers.update(model.resorbed_today, model.osteoid_laid_today, model.tissue.n_matrix)

    def sample(self, model) -> Mapping[str, float]:
        """CTX (ng/mL) and P1NP (ug/L)."""
        return {"ctx": self.markers.ctx_ng_per_ml, "p1np": self.markers.p1np_ug_per_l}


class DXA(Observer, default=True):
    """Areal BMD of the slice by virtual DXA at its site, and the T- and Z-scores (:mod:`bonegrid.readouts.dxa`).

    The scanner is calibrated for the patient at day 0 and the slice's height
    (:func:`bonegrid.readouts.dxa.calibration`); the Z-score uses the patient's age on the
    recorded day (age at day 0 plus the elapsed time, capped at the oldest reference age).
    """

    columns = (
        Column("bmd", "g/cm²", "areal bone mineral density by virtual DXA at the slice's site"),
        Column("t_score", "SD", "DXA T-score against the young-adult reference of the patient's sex"),
        Column("z_score", "SD", "DXA Z-score against the patient's age and sex"),
    )
    parameters = dxa.DXAParameters

    def attach(self, model) -> None:
        """Calibrate the scanner for the patient and the slice."""
        height_um = model.tissue.mineral.shape[dxa.BEAM_AXIS] * model.tissue.voxel_size_um
        self.calibration = dxa.calibration(model.site, model.sex, model.age_years, height_um, self.params)

    def sample(self, model) -> Mapping[str, float]:
        """BMD (g/cm²), T and Z (SD)."""
        bmd = self.calibration.bmd(model.mineral_mass() / model.tissue.mineral.size)  # the slice's mean mineral
        age = min(model.age_years + max(model.day, 0) / DAYS_PER_YEAR, ADULT_AGE_RANGE_YEARS[1])
        return {"bmd": bmd, "t_score": dxa.t_score(bmd, model.site, model.sex, self.params),
                "z_score": dxa.z_score(bmd, model.site, model.sex, age)}


class Stiffness(Observer, default=True):
    """Apparent stiffness of the slice by micro-FE (:class:`bonegrid.readouts.strength.SliceTest`), relative to day 0.

    Solved at day 0 and every ``stiffness_interval_days``, each solve starting from the last
    one's displacement; records in between repeat the last solve. The day-0 slice is kept and
    solved at the first observation, just before that day's slice (the same solves in the same
    order, so the same values): building a model costs no solve, and a run that stops before
    its first observation none at all (0.9 s of a 1024² slice's build).
    """

    columns = (
        Column("stiffness", "1", "micro-FE apparent modulus of the slice relative to day 0", "last solve"),
    )
    parameters = StrengthParameters

    @property
    def interval_days(self) -> int:
        """``stiffness_interval_days``."""
        return self.params.stiffness_interval_days

    def attach(self, model) -> None:
        """Set up the slice test at the model's voxel size."""
        self.test = SliceTest(model.tissue.voxel_size_um, self.params)

    def start(self, model) -> None:
        """Keep the day-0 slice: the reference (solved at the first observation)."""
        self.day0_mineral: np.ndarray | None = model.tissue.mineral.copy()
        self.day0_mpa = math.nan
        self.relative = 1.0

    def observe(self, model) -> None:
        """Solve the slice now (the day-0 slice first, at the first observation); NaN if the day-0 slice carried no load."""
        if self.day0_mineral is not None:
            self.day0_mpa = self.test(self.day0_mineral).apparent_modulus_mpa
            self.day0_mineral = None
        modulus = self.test(model.tissue.mineral).apparent_modulus_mpa
        self.relative = modulus / self.day0_mpa if self.day0_mpa > 0 else float("nan")

    def sample(self, model) -> Mapping[str, float]:
        """Relative stiffness from the last solve."""
        return {"stiffness": self.relative}


__all__ = ["DXA", "Markers", "Stiffness"]
