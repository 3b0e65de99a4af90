"""Bone turnover markers from resorbed and formed volume.

Serum CTX (C-terminal telopeptide of type I collagen, released when osteoclasts digest
matrix) and P1NP (procollagen type I N-propeptide, cleaved when osteoblasts lay collagen)
are taken proportional to the whole-skeleton resorption and formation rates, which the
slice represents. Each day's rate is the fraction of bone volume resorbed (formed) per
year, smoothed over ``marker_smoothing_days`` (the markers integrate activity over days);
the constants map the reference trabecular turnover (25%/year) to mid-normal values.

    CTX  = CTX_ref  * (resorption rate) / (reference turnover)
    P1NP = P1NP_ref * (formation rate)  / (reference turnover)
"""

from __future__ import annotations

import dataclasses

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.parameters import ParameterSet, param


@dataclasses.dataclass(frozen=True)
class MarkerParameters(ParameterSet):
    """Calibration of turnover markers."""

    reference_turnover_per_year: float = param(
        0.25, unit="1/year", low=0.01, high=2.0, symbol="\\rho_{ref}",
        doc="turnover (fraction of bone volume per year) at which markers are mid-normal",
        source="Parfitt (trabecular turnover ~25%/year)")
    ctx_reference_ng_per_ml: float = param(
        0.3, unit="ng/mL", low=0.0, high=10.0, symbol="CTX_{ref}",
        doc="serum CTX at the reference turnover", source="adult laboratory reference range ~0.1-0.6 ng/mL (approx.)")
    p1np_reference_ug_per_l: float = param(
        45.0, unit="ug/L", low=0.0, high=1000.0, symbol="P1NP_{ref}",
        doc="serum P1NP at the reference turnover", source="adult laboratory reference range ~15-75 ug/L (approx.)")
    marker_smoothing_days: float = param(
        7.0, unit="day", low=1.0, high=365.0, symbol="\\tau_M",
        doc="time constant over which markers integrate daily activity", source="modelling choice")


class TurnoverMarkers:
    """Exponentially smoothed resorption and formation rates and the markers they give.

    Parameters
    ----------
    params : MarkerParameters

    Examples
    --------
    Markers start at their reference values. One day resorbing 2 voxels of 1461 (0.5/year,
    twice the reference 0.25/year) moves the smoothed rate by 1/7 of the gap, to 0.2857/year:

    >>> markers = TurnoverMarkers(MarkerParameters())
    >>> markers.ctx_ng_per_ml, markers.p1np_ug_per_l
    (0.3, 45.0)
    >>> markers.update(resorbed_voxels=2, formed_voxels=1, matrix_voxels=1461)
    >>> round(markers.ctx_ng_per_ml, 4), markers.p1np_ug_per_l  # 0.3 x 0.2857 / 0.25
    (0.3429, 45.0)
    """

    def __init__(self, params: MarkerParameters) -> None:
        self.params = params
        self.resorption_per_year = params.reference_turnover_per_year
        self.formation_per_year = params.reference_turnover_per_year

    def update(self, resorbed_voxels: float, formed_voxels: float, matrix_voxels: int) -> None:
        """Add one day of activity (voxels resorbed, voxels of osteoid laid) relative to the matrix volume (voxels)."""
        w = 1.0 / self.params.marker_smoothing_days
        scale = DAYS_PER_YEAR / max(matrix_voxels, 1)
        self.resorption_per_year += w * (resorbed_voxels * scale - self.resorption_per_year)
        self.formation_per_year += w * (formed_voxels * scale - self.formation_per_year)

    @property
    def ctx_ng_per_ml(self) -> float:
        """Serum CTX, ng/mL."""
        p = self.params
        return p.ctx_reference_ng_per_ml * self.resorption_per_year / p.reference_turnover_per_year

    @property
    def p1np_ug_per_l(self) -> float:
        """Serum P1NP, ug/L."""
        p = self.params
        return p.p1np_reference_ug_per_l * self.formation_per_year / p.reference_turnover_per_year
