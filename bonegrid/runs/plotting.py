"""Pictures of a run: the slice with its cells, and the key time series (matplotlib, Agg-safe).

The slice is drawn from a :func:`~bonegrid.runs.slice_snapshot.snapshot` in the stain colours
of :mod:`bonegrid.runs.slice_snapshot` (Goldner's trichrome). What changed since day 0 is
painted in two colours that neither the stain nor any cell glyph uses: bone lost cyan,
bone gained dark indigo.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from bonegrid.constants import DAYS_PER_YEAR  # noqa: E402
from bonegrid.readouts.panel import NORMAL_RANGES  # noqa: E402
from bonegrid.runs.slice_snapshot import BONE_HIGH_RGB, CAVITY_RGB, MARROW_RGB, OSTEOID_RGB  # noqa: E402
from bonegrid.timeseries import column  # noqa: E402

LOST_RGB = np.array([0.00, 0.80, 0.90])
"""Matrix present on day 0 and gone now (cyan)."""
GAINED_RGB = np.array([0.16, 0.10, 0.45])
"""Matrix present now where there was marrow on day 0 (dark indigo)."""
CELL_STYLE = {
    "osteoclast": dict(marker="o", color="#b0179c", s=22, label="osteoclast"),
    "osteoblast": dict(marker="s", color="#1f77b4", s=3, label="osteoblast"),
    "osteocyte": dict(marker=".", color="black", s=3, label="osteocyte"),
    "apoptotic": dict(marker="x", color="red", s=10, label="apoptotic osteocyte"),
    "empty": dict(marker=".", color="#9e9e9e", s=3, label="empty lacuna"),
    "tumour": dict(marker="s", color="#4e342e", s=2, label="myeloma cell"),
}


def mark_changes(end: dict, start: dict) -> dict:
    """Return a copy of snapshot ``end`` with bone lost since ``start`` painted cyan and bone gained indigo.

    Lost: matrix (osteoid or bone) in ``start``, marrow now (:data:`LOST_RGB`); gained: marrow in
    ``start``, matrix now (:data:`GAINED_RGB`). A pit dug and refilled in between is neither.
    The copy carries ``changed``, the (ny, nx) bool mask of both.
    """
    lost = start["matrix"] & ~end["matrix"]
    gained = end["matrix"] & ~start["matrix"]
    rgb = end["rgb"].copy()
    rgb[lost] = LOST_RGB
    rgb[gained] = GAINED_RGB
    return {**end, "rgb": rgb, "changed": lost | gained}


def most_changed_window(changed: np.ndarray, side: int) -> tuple[int, int]:
    """Return the top-left voxel ``(y, x)`` of the ``side`` x ``side`` window holding the most changed voxels.

    Parameters
    ----------
    changed : (ny, nx) bool array
    side : int
        Window side, voxels (at most ``min(ny, nx)``).

    Returns
    -------
    (int, int)
        The first such window in row-major order (``(0, 0)`` when nothing changed).
    """
    ny, nx = changed.shape
    side = min(side, ny, nx)
    table = np.zeros((ny + 1, nx + 1), dtype=np.int64)
    table[1:, 1:] = changed.cumsum(axis=0).cumsum(axis=1)
    counts = table[side:, side:] - table[:-side, side:] - table[side:, :-side] + table[:-side, :-side]
    y, x = np.unravel_index(int(np.argmax(counts)), counts.shape)
    return int(y), int(x)


def draw_slice(ax, snap: dict, *, title: str | None = None, cells: bool | tuple[str, ...] = True,
               fontsize: float | None = None, window: tuple[int, int, int] | None = None) -> None:
    """Draw a :func:`snapshot` on ``ax`` with axes in mm.

    Parameters
    ----------
    cells : bool or tuple of str
        All cells, none, or the kinds of :data:`CELL_STYLE` to draw.
    window : (y0, x0, side), optional
        Show only this square of the slice (voxels), e.g. a zoom on :func:`most_changed_window`.
    """
    mm = snap["voxel_size_um"] / 1000.0
    y0, x0, side = window if window is not None else (0, 0, max(snap["rgb"].shape[:2]))
    rgb = snap["rgb"][y0:y0 + side, x0:x0 + side]   # only the shown square is resampled
    ny, nx = rgb.shape[:2]
    shown = np.ones((ny, nx, 4), dtype=np.float32)   # matplotlib resamples float32 RGBA ~3x faster than float64 RGB
    shown[..., :3] = rgb
    ax.imshow(shown, extent=(x0 * mm, (x0 + nx) * mm, (y0 + ny) * mm, y0 * mm), interpolation="nearest")
    if cells:
        for name, style in CELL_STYLE.items():
            if cells is not True and name not in cells:
                continue
            pos = snap["cells"][name]
            if len(pos):
                ax.scatter((pos[:, 1] + 0.5) * mm, (pos[:, 0] + 0.5) * mm, linewidths=0.8, **style)
    if window is not None:
        ax.set_xlim(x0 * mm, (x0 + side) * mm)
        ax.set_ylim((y0 + side) * mm, y0 * mm)
    ax.set_xlabel("mm")
    ax.set_ylabel("mm")
    ax.set_title(f"day {snap['day']}  BV/TV {snap['bv_tv']:.3f}" if title is None else title, fontsize=fontsize)


def legend_handles(cells: tuple[str, ...] | None = None, changes: bool = False) -> list:
    """Legend entries for tissue colours and cell glyphs.

    ``cells``: the kinds drawn (default all but tumour); ``changes``: add the colours of :func:`mark_changes`.
    """
    tissue = [(BONE_HIGH_RGB, "mineralised bone"), (OSTEOID_RGB, "osteoid"), (CAVITY_RGB, "open cavity"),
              (MARROW_RGB, "marrow")]
    if changes:
        tissue += [(LOST_RGB, "bone lost since day 0"), (GAINED_RGB, "bone gained since day 0")]
    patches = [Line2D([], [], marker="s", ls="", ms=9, color=c, label=lbl) for c, lbl in tissue]
    cells = cells or tuple(name for name in CELL_STYLE if name != "tumour")
    glyphs = [Line2D([], [], ls="", marker=s["marker"], color=s["color"], ms=6, label=s["label"])
              for name, s in CELL_STYLE.items() if name in cells]
    return patches + glyphs


def slice_figure(start: dict, end: dict, path, *, title: str = "") -> None:
    """Write the start and end slices side by side (the end with what changed) under a title and a shared legend.

    The figure's title is ``title`` (e.g. the scenario) followed by the site and the two days.
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 7.2), constrained_layout=True)
    draw_slice(axes[0], start, title=f"start (day {start['day']}): BV/TV {start['bv_tv']:.3f}")
    draw_slice(axes[1], mark_changes(end, start), title=f"end (day {end['day']}): BV/TV {end['bv_tv']:.3f}")
    fig.suptitle(f"{title + ': ' if title else ''}{end['site']} slice, day {start['day']} and day {end['day']}")
    fig.legend(handles=legend_handles(changes=True), loc="outside lower center", ncol=6, frameon=False)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _panel(ax, years, values, *, title: str, unit: str, colour: str, band: tuple[float, float] | None = None,
           ylim: tuple[float, float] | None = None) -> None:
    """One time-series panel: the line, its unit on the y axis, and a normal range shaded and named in the title.

    No legend: what each line and band is stands in the title, so nothing covers the data.
    """
    ax.plot(years, values, color=colour, lw=1)
    if band is not None:
        ax.axhspan(*band, color=colour, alpha=0.12)
        title += f"; shaded: normal {band[0]:g}-{band[1]:g}"
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)


def _band(test: str) -> tuple[float, float]:
    """Return the normal range of a laboratory test (:data:`bonegrid.readouts.panel.NORMAL_RANGES`) as a band."""
    r = NORMAL_RANGES[test]
    return r.low, r.high


def timeseries_figure(ts, path, *, title: str = "") -> None:
    """Write the key time series as a 4 x 2 grid of panels, each with its unit and its normal range where one exists.

    Fractions (BV/TV, remodeling space, OV/BV, osteocyte viability) are drawn in %.
    """
    years = ts["day"] / DAYS_PER_YEAR
    fig, axes = plt.subplots(4, 2, figsize=(12, 11), sharex=True, constrained_layout=True)
    bv = 100 * ts["bv_tv"]
    mean_bv, low_bv, high_bv = float(bv.mean()), float(bv.min()), float(bv.max())
    margin = 0.02 * (high_bv - low_bv)  # a drug that builds or a cause that wastes bone leaves the ±10% span
    _panel(axes[0, 0], years, bv, title="BV/TV, bone volume / tissue volume (axis spans at least mean ±10%)",
           unit="%", colour="#1b5e20",
           ylim=(min(0.9 * mean_bv, low_bv - margin), max(1.1 * mean_bv, high_bv + margin)))
    ax = axes[0, 1]
    ax.plot(years, 100 * ts["remodeling_space"], color="#f9a825", lw=1)
    _panel(ax, years, 100 * ts["ov_bv"], title="remodeling space (open cavities, yellow) and OV/BV (osteoid, red)",
           unit="% of bone volume", colour="#d84315")
    ax = axes[1, 0]
    ax.plot(years, ts["n_osteoclasts"], color="#b0179c", lw=1)
    _panel(ax, years, ts["n_osteoblasts"], title="osteoclasts (magenta) and osteoblasts (blue) in the slice",
           unit="cells", colour="#1f77b4")
    ax.set_yscale("symlog", linthresh=10)
    _panel(axes[1, 1], years, 100 * ts["osteocyte_viability"], title="osteocyte viability (living / all lacunae)",
           unit="%", colour="black", ylim=(0.0, 100.0))
    for ax, name, test, label, colour in (
            (axes[2, 0], "ctx", "ctx_ng_per_ml", "CTX (resorption marker)", "#6a1b9a"),
            (axes[2, 1], "p1np", "p1np_ug_per_l", "P1NP (formation marker)", "#0277bd"),
            (axes[3, 0], "serum_ca", "serum_calcium_mmol_per_l", "serum calcium", "#455a64"),
            (axes[3, 1], "pth", "pth_pmol_per_l", "PTH", "#c62828")):
        _panel(ax, years, ts[name], title=label, unit=column(name).unit, colour=colour, band=_band(test))
    for ax in axes[-1]:
        ax.set_xlabel("years since day 0")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
    plt.close(fig)
