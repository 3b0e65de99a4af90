"""Emergent signatures of a scenario run: the metrics ``run.py validate`` holds against bands.

Each metric reads a finished run (:class:`RunRecord`: the model, its time series and the
matrix at day 0) over a window of days and returns one number. None of them changes
state. BMD is the virtual DXA areal BMD at the scenario's site (``bmd`` column,
:mod:`bonegrid.readouts.dxa`), the number the published bands were measured with; at the
spine it includes posterior elements and shell outside the slice, held constant.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import ndimage

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.readouts.histomorphometry import histomorphometry
from bonegrid.tissue import MARROW


@dataclasses.dataclass
class RunRecord:
    """A finished run: ``model`` after its run, ``start_matrix`` (matrix voxels at day 0, bool)."""

    model: object
    start_matrix: np.ndarray

    @property
    def timeseries(self) -> pd.DataFrame:
        """The model's recorded time series."""
        return self.model.timeseries()


def mineral_content(ts: pd.DataFrame) -> np.ndarray:
    """Mineral per slice area relative to full mineralisation (BV/TV x mean mineral of matrix), 1."""
    return ts["bv_tv"].to_numpy() * ts["mineral_mean"].to_numpy()


def _window(ts: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    days = ts["day"].to_numpy()
    out = ts[(days >= start) & (days <= end)]
    if len(out) < 2:
        raise ValueError(f"no records between days {start:g} and {end:g}: run longer")
    return out


def _end_mean(ts: pd.DataFrame, column: np.ndarray, end: float, days: float = 30.0) -> float:
    d = ts["day"].to_numpy()
    return float(column[(d > end - days) & (d <= end)].mean())


def _change_pct(ts: pd.DataFrame, values: np.ndarray, start: float, end: float) -> float:
    """Change of ``values`` (one per record of ``ts``) from the window's first record to the mean of its last 30 days, %."""
    _window(ts, start, end)  # raises if the run does not cover the window
    first = float(values[np.searchsorted(ts["day"].to_numpy(), start)])
    return 100.0 * (_end_mean(ts, values, end) / first - 1.0)


def bmd_change_pct(run: RunRecord, start: float, end: float) -> float:
    """Change of DXA areal BMD from the first record of the window to the mean of its last 30 days, %."""
    ts = run.timeseries
    return _change_pct(ts, ts["bmd"].to_numpy(), start, end)


def bmd_change_pct_per_year(run: RunRecord, start: float, end: float) -> float:
    """Least-squares slope of DXA areal BMD over the window, % of its day-0 value per year."""
    w = _window(run.timeseries, start, end)
    slope = np.polyfit(w["day"].to_numpy() / DAYS_PER_YEAR, w["bmd"].to_numpy(), 1)[0]
    return float(100.0 * slope / run.timeseries["bmd"].iloc[0])


def bv_tv_change_pct(run: RunRecord, start: float, end: float) -> float:
    """Change of BV/TV (osteoid + mineralised matrix) over the window, %."""
    ts = run.timeseries
    return _change_pct(ts, ts["bv_tv"].to_numpy(), start, end)


def slice_vbmd_change_pct(run: RunRecord, start: float, end: float) -> float:
    """Change of the slice's volumetric BMD (:func:`mineral_content`) over the window, %.

    From the window's first record to the mean of its last 30 days.

    At the spine the slice is a vertebral body's trabecular core, so this is the trabecular vBMD
    that quantitative CT measures in its trabecular region of interest (Laan 1993), without the
    shell and posterior elements that dilute a DXA reading.
    """
    ts = run.timeseries
    return _change_pct(ts, mineral_content(ts), start, end)


def mineralisation_degree_change_pct(run: RunRecord, start: float, end: float) -> float:
    """Change of the mean degree of mineralisation of the calcified matrix over the window, %.

    From the window's first record to the mean of its last 30 days. Osteoid is left out, as
    quantitative microradiography of a biopsy measures it (MDMB, Boivin 2000): the mean mineral
    fraction of the mineralised voxels.
    """
    ts = run.timeseries
    return _change_pct(ts, ts["mineral_mean"].to_numpy() / (1.0 - ts["ov_bv"].to_numpy()), start, end)


def _voxels_pct_per_year(run: RunRecord, start: float, end: float, column: str) -> float:
    """Voxels of day-count ``column`` per year over the mean bone volume in the window, %/year."""
    w = _window(run.timeseries, start, end)
    n = run.model.tissue.kind.size
    years = (w["day"].iloc[-1] - w["day"].iloc[0]) / DAYS_PER_YEAR
    return float(100.0 * w[column].iloc[1:].sum() / years / (w["bv_tv"].mean() * n))


def turnover_pct_per_year(run: RunRecord, start: float, end: float) -> float:
    """Resorbed volume per year over the mean bone volume in the window, %/year."""
    return _voxels_pct_per_year(run, start, end, "resorbed_voxels")


def formation_pct_per_year(run: RunRecord, start: float, end: float) -> float:
    """Bone formation rate BFR/BV: osteoid volume laid per year over the mean bone volume in the window, %/year."""
    return _voxels_pct_per_year(run, start, end, "formed_voxels")


def _completed_units(run: RunRecord, start: float, end: float) -> list:
    """Units completed by the end of the run whose resorption began in the window."""
    done = run.model.units.completed(run.model.day, quiet_days=60.0)
    return [u for u in done if start <= u.first_resorption_day <= end]


def unit_refill(run: RunRecord, start: float, end: float) -> float:
    """Pooled refill (formed / resorbed voxels) of completed units begun in the window, 1."""
    units = _completed_units(run, start, end)
    resorbed = sum(u.resorbed for u in units)
    return sum(u.formed for u in units) / resorbed if resorbed else math.nan


def unit_cycle_days(run: RunRecord, start: float, end: float) -> float:
    """Median remodeling period of completed units begun in the window (first resorption to last formation), days."""
    cycles = [u.last_formation_day - u.first_resorption_day + 1 for u in _completed_units(run, start, end) if u.formed]
    return float(np.median(cycles)) if cycles else math.nan


def unit_resorption_days(run: RunRecord, start: float, end: float) -> float:
    """Mean resorption phase of completed units begun in the window (first to last resorbed voxel), days.

    A mean, as the reconstructions of the human remodeling cycle give (Eriksen 1994).
    """
    phases = [u.resorption_days for u in _completed_units(run, start, end)]
    return float(np.mean(phases)) if phases else math.nan


def unit_formation_days(run: RunRecord, start: float, end: float) -> float:
    """Mean formation phase of completed units begun in the window (first to last voxel of osteoid laid), days."""
    phases = [u.formation_days for u in _completed_units(run, start, end) if u.formed]
    return float(np.mean(phases)) if phases else math.nan


def _mean_of(column: str) -> Callable[[RunRecord, float, float], float]:
    def metric(run: RunRecord, start: float, end: float) -> float:
        return float(_window(run.timeseries, start, end)[column].mean())
    return metric


def ov_bv_pct(run: RunRecord, start: float, end: float) -> float:
    """Mean osteoid volume over bone volume in the window, %."""
    return 100.0 * _mean_of("ov_bv")(run, start, end)


def mineralisation_lag_days(run: RunRecord, start: float, end: float) -> float:
    """Mean age of osteoid when it began to mineralise, over the window, days (Mlt)."""
    w = _window(run.timeseries, start, end)
    onsets = w["mineralisation_onsets"].to_numpy()
    ages = w["mineralisation_onset_age_days"].to_numpy()
    n = onsets[-1] - onsets[0]
    return float((ages[-1] - ages[0]) / n) if n else math.nan


def osteocyte_viability_change_pct(run: RunRecord, start: float, end: float) -> float:
    """Change of the viable fraction of osteocyte lacunae over the window, percentage points."""
    w = _window(run.timeseries, start, end)
    return float(100.0 * (w["osteocyte_viability"].iloc[-1] - w["osteocyte_viability"].iloc[0]))


def _tumour_distance_um(run: RunRecord) -> np.ndarray | None:
    tumour = getattr(run.model, "tumour_mask", None)
    if tumour is None:
        return None
    mask = tumour()
    if not mask.any():
        return None
    return ndimage.distance_transform_edt(~mask) * run.model.tissue.voxel_size_um


def _bone_loss_pct(run: RunRecord, region: np.ndarray) -> float:
    before = run.start_matrix & region
    if not before.any():
        return math.nan
    now = (run.model.tissue.kind != MARROW) & region
    return float(100.0 * (1.0 - now.sum() / before.sum()))


NEAR_TUMOUR_UM = 200.0
FAR_FROM_TUMOUR_UM = 600.0


def bone_loss_near_tumour_pct(run: RunRecord, start: float, end: float) -> float:
    """Bone (matrix) lost since day 0 within ``NEAR_TUMOUR_UM`` of a tumour cell at the end, %."""
    dist = _tumour_distance_um(run)
    return math.nan if dist is None else _bone_loss_pct(run, dist <= NEAR_TUMOUR_UM)


def bone_loss_far_from_tumour_pct(run: RunRecord, start: float, end: float) -> float:
    """Bone (matrix) lost since day 0 farther than ``FAR_FROM_TUMOUR_UM`` from every tumour cell, %."""
    dist = _tumour_distance_um(run)
    return math.nan if dist is None else _bone_loss_pct(run, dist > FAR_FROM_TUMOUR_UM)


PANNUS_SIDE_UM = 300.0
"""Depth of the bands along the slice's left border (where a rheumatoid pannus lies) and its right border (the
far side) whose bone loss the pannus metrics compare, µm."""


def border_bone_loss_pct(start_matrix: np.ndarray, end_matrix: np.ndarray, voxel_size_um: float,
                         side: str) -> float:
    """Bone (matrix) lost between two pictures within ``PANNUS_SIDE_UM`` of the slice's ``side`` border, %.

    Parameters
    ----------
    start_matrix, end_matrix : (ny, nx) bool ndarray
        Matrix (bone or osteoid) voxels at the start and at the end.
    voxel_size_um : float
        Voxel edge, µm.
    side : {"left", "right"}
        The left border is where a rheumatoid pannus lies; the right border is the far side.
    """
    depth = int(round(PANNUS_SIDE_UM / voxel_size_um))
    band = {"left": np.s_[:, :depth], "right": np.s_[:, np.shape(start_matrix)[1] - depth:]}[side]
    before = int(np.count_nonzero(np.asarray(start_matrix, dtype=bool)[band]))
    return math.nan if before == 0 else 100.0 * (1.0 - np.count_nonzero(np.asarray(end_matrix, dtype=bool)[band]) / before)


def _pannus_metric(side: str) -> Callable[[RunRecord, float, float], float]:
    def metric(run: RunRecord, start: float, end: float) -> float:
        return border_bone_loss_pct(run.start_matrix, run.model.tissue.kind != MARROW,
                                    run.model.tissue.voxel_size_um, side)
    metric.__doc__ = (f"Bone (matrix) lost since day 0 within ``PANNUS_SIDE_UM`` of the {side} border "
                      f"({'where a pannus lies' if side == 'left' else 'the far side'}), % (the window is not used).")
    return metric


def z_score_change(run: RunRecord, start: float, end: float) -> float:
    """Change of the DXA Z-score from the first record of the window to the mean of its last 30 days, SD.

    The Z-score is against the age- and sex-matched reference, so its change is the deficit built up against
    peers of the same age, which a case-control study reports as a standardised mean difference.
    """
    ts = run.timeseries
    return _end_mean(ts, ts["z_score"].to_numpy(), end) - float(_window(ts, start, end)["z_score"].iloc[0])


def _final_histomorphometry(field: str) -> Callable[[RunRecord, float, float], float]:
    def metric(run: RunRecord, start: float, end: float) -> float:
        return float(getattr(histomorphometry(run.model, direct=False), field))
    metric.__doc__ = f"Histomorphometric ``{field}`` of the slice at the end of the run (the window is not used)."
    return metric


METRICS: dict[str, tuple[str, str, Callable[[RunRecord, float, float], float]]] = {
    "bmd_change_pct": ("BMD change over the window", "%", bmd_change_pct),
    "bmd_change_pct_per_year": ("BMD change rate (fitted)", "%/yr", bmd_change_pct_per_year),
    "z_score_change": ("Z-score change over the window", "SD", z_score_change),
    "bv_tv_change_pct": ("BV/TV change over the window", "%", bv_tv_change_pct),
    "slice_vbmd_change_pct": ("trabecular vBMD (QCT) change over the window", "%", slice_vbmd_change_pct),
    "mineralisation_degree_change_pct": ("mean degree of mineralisation (MDMB) change over the window", "%",
                                         mineralisation_degree_change_pct),
    "turnover_pct_per_year": ("bone turnover", "%/yr", turnover_pct_per_year),
    "formation_pct_per_year": ("bone formation rate BFR/BV", "%/yr", formation_pct_per_year),
    "unit_refill": ("refill of completed remodeling units", "1", unit_refill),
    "unit_cycle_days": ("remodeling period of completed units (median)", "days", unit_cycle_days),
    "unit_resorption_days": ("resorption phase of completed units (mean)", "days", unit_resorption_days),
    "unit_formation_days": ("formation phase of completed units (mean)", "days", unit_formation_days),
    "ctx_ng_per_ml": ("CTX (mean)", "ng/mL", _mean_of("ctx")),
    "p1np_ug_per_l": ("P1NP (mean)", "ug/L", _mean_of("p1np")),
    "pth_pmol_per_l": ("PTH (mean)", "pmol/L", _mean_of("pth")),
    "vitamin_d_25oh_nmol_per_l": ("25(OH)D (mean)", "nmol/L", _mean_of("vitamin_d_25oh")),
    "serum_calcium_mmol_per_l": ("serum calcium (mean)", "mmol/L", _mean_of("serum_ca")),
    "serum_phosphate_mmol_per_l": ("serum phosphate (mean)", "mmol/L", _mean_of("serum_phosphate")),
    "ov_bv_pct": ("osteoid volume OV/BV (mean)", "%", ov_bv_pct),
    "mineralisation_lag_days": ("mineralisation lag time Mlt", "days", mineralisation_lag_days),
    "osteoid_thickness_um": ("osteoid seam width O.Th at the end", "um", _final_histomorphometry("o_th_um")),
    "eroded_surface_pct": ("eroded surface ES/BS at the end", "%", _final_histomorphometry("es_bs_pct")),
    "empty_lacunae_pct": ("empty lacunae at the end", "%", _final_histomorphometry("empty_lacunae_pct")),
    "osteocyte_viability_change_pct": ("change of viable osteocytes", "points", osteocyte_viability_change_pct),
    "bone_loss_near_tumour_pct": (f"bone lost within {NEAR_TUMOUR_UM:g} um of tumour", "%", bone_loss_near_tumour_pct),
    "bone_loss_far_from_tumour_pct": (f"bone lost > {FAR_FROM_TUMOUR_UM:g} um from tumour", "%",
                                      bone_loss_far_from_tumour_pct),
    "bone_loss_near_pannus_pct": (f"bone lost within {PANNUS_SIDE_UM:g} um of the pannus (left) border", "%",
                                  _pannus_metric("left")),
    "bone_loss_far_from_pannus_pct": (f"bone lost within {PANNUS_SIDE_UM:g} um of the far (right) border", "%",
                                      _pannus_metric("right")),
}
"""Name -> (label, unit, function(run, start_day, end_day) -> float)."""


def measure(run: RunRecord, metric: str, start_day: float, end_day: float) -> float:
    """Evaluate one metric of :data:`METRICS` on a finished run over ``[start_day, end_day]``."""
    return METRICS[metric][2](run, start_day, end_day)


__all__ = ["METRICS", "RunRecord", "border_bone_loss_pct", "measure", "mineral_content"]
