"""Pictures of a run: the slice with its cells, and the key time series (matplotlib, Agg-safe).

Colours follow Goldner's trichrome, the stain histomorphometrists read: mineralised bone
green (darker = more mineral), osteoid orange-red, marrow pale. Open remodeling cavities
are tinted yellow so that the remodeling space can be seen.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.readouts.panel import NORMAL_RANGES  # noqa: E402
from bonegrid.tissue import APOPTOTIC, BONE, EMPTY, MARROW, OSTEOID, VIABLE  # noqa: E402  # noqa: E402

MARROW_RGB = np.array([0.98, 0.93, 0.90])
CAVITY_RGB = np.array([1.00, 0.93, 0.55])
OSTEOID_RGB = np.array([0.90, 0.35, 0.20])
BONE_LOW_RGB = np.array([0.62, 0.85, 0.55])
BONE_HIGH_RGB = np.array([0.05, 0.40, 0.20])
LOST_RGB = np.array([0.62, 0.74, 0.93])
CELL_STYLE = {
    "osteoclast": dict(marker="o", color="#b0179c", s=22, label="osteoclast"),
    "osteoblast": dict(marker="s", color="#1f77b4", s=3, label="osteoblast"),
    "osteocyte": dict(marker=".", color="black", s=3, label="osteocyte"),
    "apoptotic": dict(marker="x", color="red", s=10, label="apoptotic osteocyte"),
    "empty": dict(marker=".", color="#9e9e9e", s=3, label="empty lacuna"),
    "tumour": dict(marker="s", color="#4e342e", s=2, label="myeloma cell"),
}


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
    """Copy what :func:`draw_slice` needs from a model (so start and end can be drawn later)."""
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
    return dict(rgb=slice_rgb(t.kind, t.mineral, t.cavity), cells=cells, day=model.day,
                bv_tv=t.bone_volume_fraction, voxel_size_um=t.voxel_size_um, matrix=t.kind != MARROW)


def mark_lost(end: dict, start: dict) -> dict:
    """Return a copy of snapshot ``end`` with matrix present in ``start`` but gone now painted ``LOST_RGB``."""
    lost = start["matrix"] & ~end["matrix"]
    rgb = end["rgb"].copy()
    rgb[lost] = LOST_RGB
    return {**end, "rgb": rgb}


def draw_slice(ax, snap: dict, *, title: str | None = None, cells: bool | tuple[str, ...] = True,
               fontsize: float | None = None) -> None:
    """Draw a :func:`snapshot` on ``ax`` with a scale in mm (``cells``: all, none, or the kinds to draw)."""
    ny, nx = snap["rgb"].shape[:2]
    mm = snap["voxel_size_um"] / 1000.0
    ax.imshow(snap["rgb"], extent=(0, nx * mm, ny * mm, 0), interpolation="nearest")
    if cells:
        for name, style in CELL_STYLE.items():
            if cells is not True and name not in cells:
                continue
            pos = snap["cells"][name]
            if len(pos):
                ax.scatter((pos[:, 1] + 0.5) * mm, (pos[:, 0] + 0.5) * mm, linewidths=0.8, **style)
    ax.set_xlabel("mm")
    ax.set_ylabel("mm")
    ax.set_title(title or f"day {snap['day']}  BV/TV {snap['bv_tv']:.3f}", fontsize=fontsize)


def legend_handles(cells: tuple[str, ...] | None = None, lost: bool = False) -> list:
    """Legend entries for tissue colours and cell glyphs (``cells``: the kinds drawn; default all but tumour)."""
    tissue = [(BONE_HIGH_RGB, "mineralised bone"), (OSTEOID_RGB, "osteoid"), (CAVITY_RGB, "open cavity"),
              (MARROW_RGB, "marrow")] + ([(LOST_RGB, "bone lost since day 0")] if lost else [])
    patches = [Line2D([], [], marker="s", ls="", ms=9, color=c, label=lbl) for c, lbl in tissue]
    cells = cells or tuple(name for name in CELL_STYLE if name != "tumour")
    glyphs = [Line2D([], [], ls="", marker=s["marker"], color=s["color"], ms=6, label=s["label"])
              for name, s in CELL_STYLE.items() if name in cells]
    return patches + glyphs


def slice_figure(start: dict, end: dict, path) -> None:
    """Write the start and end slices side by side with a shared legend."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.8), constrained_layout=True)
    draw_slice(axes[0], start, title=f"start (day {start['day']}): BV/TV {start['bv_tv']:.3f}")
    draw_slice(axes[1], end, title=f"end (day {end['day']}): BV/TV {end['bv_tv']:.3f}")
    fig.legend(handles=legend_handles(), loc="outside lower center", ncol=5, frameon=False)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _panel(ax, years, series, *, label, colour, band=None, ylim=None, percent=False):
    """One time-series panel with an optional normal-range band."""
    values = 100 * series if percent else series
    ax.plot(years, values, color=colour, lw=1)
    if band is not None:
        ax.axhspan(*band, color=colour, alpha=0.10, label="normal range")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(label, fontsize=10)
    ax.grid(alpha=0.3)


def _band(test: str) -> tuple[float, float]:
    """Return the normal range of a laboratory test (:data:`bonegrid.readouts.panel.NORMAL_RANGES`) as a band."""
    r = NORMAL_RANGES[test]
    return r.low, r.high


def timeseries_figure(ts, path, *, title: str = "") -> None:
    """Write the key time series as a 4 x 2 grid of panels, each with its normal range where one exists."""
    years = ts["day"] / DAYS_PER_YEAR
    fig, axes = plt.subplots(4, 2, figsize=(12, 11), sharex=True, constrained_layout=True)
    mean_bv = float(ts["bv_tv"].mean())
    _panel(axes[0, 0], years, ts["bv_tv"], label="BV/TV (bone volume / tissue volume; axis spans mean ±10%)",
           colour="#1b5e20", ylim=(0.9 * mean_bv, 1.1 * mean_bv))
    ax = axes[0, 1]
    ax.plot(years, 100 * ts["remodeling_space"], color="#f9a825", lw=1, label="remodeling space (open cavities)")
    ax.plot(years, 100 * ts["ov_bv"], color="#d84315", lw=1, label="OV/BV (osteoid)")
    ax.set_title("% of bone volume", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax = axes[1, 0]
    ax.plot(years, ts["n_osteoclasts"], color="#b0179c", lw=1, label="osteoclasts")
    ax.plot(years, ts["n_osteoblasts"], color="#1f77b4", lw=1, label="osteoblasts")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_title("bone-surface cells (count in the slice)", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    _panel(axes[1, 1], years, ts["osteocyte_viability"], label="osteocyte viability (living / all lacunae)",
           colour="black", ylim=(0.0, 1.0))
    for ax, column, test, label, colour in (
            (axes[2, 0], "ctx", "ctx_ng_per_ml", "CTX, ng/mL (resorption marker)", "#6a1b9a"),
            (axes[2, 1], "p1np", "p1np_ug_per_l", "P1NP, ug/L (formation marker)", "#0277bd"),
            (axes[3, 0], "serum_ca", "serum_calcium_mmol_per_l", "serum calcium, mmol/L", "#455a64"),
            (axes[3, 1], "pth", "pth_pmol_per_l", "PTH, pmol/L", "#c62828")):
        _panel(ax, years, ts[column], label=label, colour=colour, band=_band(test))
    for ax in axes[-1]:
        ax.set_xlabel("years")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
