"""The picture of a model's slice at one moment, as data: stain colours and cell positions (numpy only).

Colours follow Goldner's trichrome, the stain histomorphometrists read: mineralised bone
green (darker = more mineral), osteoid orange-red, marrow pale; open remodeling cavities are
tinted yellow so that the remodeling space can be seen. :func:`snapshot` copies what a
picture needs from a running model; :mod:`bonegrid.runs.plotting` draws it later. Kept apart
from the drawing so that the processes that only run models and take snapshots (the workers
of ``validate`` and the tour) do not import matplotlib (~0.3 s a process).
"""

from __future__ import annotations

import numpy as np

from bonegrid.tissue import APOPTOTIC, BONE, EMPTY, MARROW, OSTEOID, VIABLE

MARROW_RGB = np.array([0.98, 0.93, 0.90])
CAVITY_RGB = np.array([1.00, 0.93, 0.55])
OSTEOID_RGB = np.array([0.90, 0.35, 0.20])
BONE_LOW_RGB = np.array([0.62, 0.85, 0.55])
BONE_HIGH_RGB = np.array([0.05, 0.40, 0.20])


def slice_rgb(kind: np.ndarray, mineral: np.ndarray, cavity: np.ndarray) -> np.ndarray:
    """Colour image of the tissue.

    Parameters
    ----------
    kind : (ny, nx) int array
    mineral : (ny, nx) float array, 0..1
    cavity : (ny, nx) int array (non-zero: open remodeling cavity)

    Returns
    -------
    (ny, nx, 3) float array in [0, 1]
    """
    rgb = np.empty(kind.shape + (3,))
    rgb[:] = MARROW_RGB
    rgb[cavity != 0] = CAVITY_RGB
    rgb[kind == OSTEOID] = OSTEOID_RGB
    bone = kind == BONE
    m = np.clip(mineral[bone], 0.0, 1.0)[:, None]
    rgb[bone] = BONE_LOW_RGB + (BONE_HIGH_RGB - BONE_LOW_RGB) * m
    return rgb


def snapshot(model) -> dict:
    """Copy what :func:`bonegrid.runs.plotting.draw_slice` needs from a model (so start and end can be drawn later)."""
    t = model.tissue
    state = model.osteocytes.state
    cells = {
        "osteoclast": np.array([c.pos for c in model.osteoclasts]).reshape(-1, 2),
        "osteoblast": np.array([c.pos for c in model.osteoblasts]).reshape(-1, 2),
        "osteocyte": np.argwhere(state == VIABLE),
        "apoptotic": np.argwhere(state == APOPTOTIC),
        "empty": np.argwhere(state == EMPTY),
        "tumour": np.argwhere(model.tumour_mask()),
    }
    return dict(rgb=slice_rgb(t.kind, t.mineral, t.cavity), cells=cells, day=model.day, site=model.site,
                bv_tv=t.bone_volume_fraction, voxel_size_um=t.voxel_size_um, matrix=t.kind != MARROW)


__all__ = ["BONE_HIGH_RGB", "BONE_LOW_RGB", "CAVITY_RGB", "MARROW_RGB", "OSTEOID_RGB", "slice_rgb", "snapshot"]
