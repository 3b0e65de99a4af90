"""The slice as one picture: tissue in Goldner colours, cells as glyphs, an optional signal overlay.

Everything is drawn with numpy into one RGB array and encoded once as PNG, so a redraw costs a
few milliseconds at 256² whatever the number of cells (Mesa's per-agent space drawing would
cost one matplotlib artist or one Altair mark per cell; see ``docs`` of the dashboard package).

Layers, bottom to top:

1. tissue (:func:`bonegrid.runs.slice_snapshot.slice_rgb`): marrow pale, open remodeling cavities yellow,
   osteoid orange-red, mineralised bone green, darker with more mineral;
2. an overlay of one signal field (:data:`OVERLAYS`), colour-mapped on a fixed scale so colours
   mean the same concentration on every day and in every scenario, blended at
   :data:`OVERLAY_ALPHA`;
3. cells as glyphs (:data:`GLYPHS`), each voxel drawn as ``scale`` x ``scale`` pixels.
"""

from __future__ import annotations

import base64
import dataclasses
import struct
import zlib

import matplotlib
import numpy as np
from PIL import Image

from bonegrid.runs.slice_snapshot import BONE_HIGH_RGB, CAVITY_RGB, MARROW_RGB, OSTEOID_RGB, slice_rgb
from bonegrid.tissue import APOPTOTIC, EMPTY, VIABLE

IMAGE_SIDE_PX = 512
"""Target side of the picture; each voxel is drawn as ``max(1, 512 // grid side)`` pixels square."""
OVERLAY_ALPHA = 0.6
"""Opacity of a signal overlay over the tissue."""


@dataclasses.dataclass(frozen=True)
class Overlay:
    """A signal field drawn over the slice on a fixed colour scale.

    Attributes
    ----------
    key : str
        ``"none"``, a map of :class:`bonegrid.fields.Fields` or ``"ratio"`` (total RANKL / OPG).
    label, unit : str
        As shown beside the colour bar.
    low, high : float
        Ends of the colour scale, in ``unit``; values outside are clipped.
    log : bool
        Logarithmic scale.
    cmap : str
        Matplotlib colormap name.
    meaning : str
        One sentence for a visitor: what the colours show.
    """

    key: str
    label: str
    unit: str = "pM"
    low: float = 0.0
    high: float = 1.0
    log: bool = True
    cmap: str = "magma"
    meaning: str = ""

    def normalise(self, values: np.ndarray) -> np.ndarray:
        """Map ``values`` (in ``unit``) to 0..1 on this overlay's scale."""
        v = np.asarray(values, dtype=float)
        if self.log:
            v = np.log10(np.maximum(v, self.low))
            lo, hi = np.log10(self.low), np.log10(self.high)
        else:
            lo, hi = self.low, self.high
        return np.clip((v - lo) / (hi - lo), 0.0, 1.0)

    def ticks(self) -> list[float]:
        """Tick values for the colour bar (decades on a log scale, quarters otherwise)."""
        if self.log:
            return [10.0 ** k for k in range(int(np.ceil(np.log10(self.low))), int(np.floor(np.log10(self.high))) + 1)]
        return [float(v) for v in np.linspace(self.low, self.high, 5)]

    def position(self, value: float) -> float:
        """Where ``value`` sits along the colour bar, 0..1."""
        return float(self.normalise(np.array([value]))[0])


OVERLAYS: dict[str, Overlay] = {o.key: o for o in (
    Overlay("none", "no overlay", meaning=""),
    Overlay("free_rankl", "free RANKL", low=0.03, high=30.0, cmap="magma",
            meaning="RANKL not caught by OPG: where it is high, precursors fuse into osteoclasts "
                    "(half of their RANK receptors are occupied at 4.5 pM)."),
    Overlay("opg", "OPG", low=0.0, high=600.0, log=False, cmap="viridis",
            meaning="OPG, the decoy receptor that catches RANKL. It spreads far, so it is nearly even."),
    Overlay("ratio", "RANKL / OPG", unit="ratio", low=1e-4, high=0.1, cmap="RdBu_r",
            meaning="The switch: red where RANKL outweighs OPG (bone will be eaten), blue where OPG wins."),
    Overlay("tgfb", "TGF-β", low=0.01, high=10.0, cmap="inferno",
            meaning="TGF-β freed from the bone the osteoclasts dissolve: it calls osteoblasts to refill the pit."),
    Overlay("wnt_antagonist", "Wnt antagonists (sclerostin, DKK1)", low=0.03, high=10.0, cmap="bone",
            meaning="Sclerostin from osteocytes and DKK1 from myeloma cells: they hold osteoblasts back."),
)}
"""Overlays by key, in menu order."""


@dataclasses.dataclass(frozen=True)
class Glyph:
    """How one kind of cell is drawn: a colour and a shape of pixel offsets around the voxel's centre."""

    label: str
    colour: tuple[int, int, int]
    shape: str
    radius: int
    explanation: str

    def offsets(self) -> np.ndarray:
        """(k, 2) int array of (dy, dx) pixel offsets that make up the glyph."""
        r = self.radius
        dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
        if self.shape == "disc":
            keep = dy ** 2 + dx ** 2 <= r * r + r
        elif self.shape == "ring":
            d2 = dy ** 2 + dx ** 2
            keep = (d2 <= r * r + r) & (d2 >= (r - 1) ** 2)
        elif self.shape == "cross":
            keep = (np.abs(dy) == np.abs(dx))
        else:  # square
            keep = np.ones_like(dy, dtype=bool)
        return np.stack([dy[keep], dx[keep]], axis=1)


GLYPHS: dict[str, Glyph] = {
    "tumour": Glyph("myeloma cell", (78, 52, 46), "square", 0,
                    "a plasma-cell tumour cell filling the marrow"),
    "empty": Glyph("empty lacuna", (150, 150, 150), "square", 0,
                   "a hole left where an osteocyte died and was cleared"),
    "osteocyte": Glyph("osteocyte (alive)", (20, 20, 20), "square", 0,
                       "a former osteoblast buried in bone: it senses wear and calls for repair"),
    "apoptotic": Glyph("osteocyte (dying)", (230, 0, 0), "cross", 2,
                       "a dying osteocyte: it sends out RANKL, which starts a remodeling unit"),
    "osteoblast": Glyph("osteoblast", (31, 119, 180), "square", 1,
                        "a bone-forming cell refilling a pit with osteoid"),
    "osteoclast": Glyph("osteoclast", (176, 23, 156), "disc", 4,
                        "a bone-eating cell dissolving mineralised bone"),
}
"""Cell glyphs in drawing order (later ones on top)."""

TISSUE_LEGEND = (
    (MARROW_RGB, "marrow", "soft tissue between the trabeculae"),
    (CAVITY_RGB, "open pit", "dug by osteoclasts, not yet refilled"),
    (OSTEOID_RGB, "osteoid", "new bone matrix, not yet mineralised"),
    (BONE_HIGH_RGB, "mineralised bone", "green; darker = more mineral (older bone)"),
)
"""(colour 0..1, name, explanation) of each tissue colour."""


def scale_for(shape: tuple[int, int]) -> int:
    """Pixels per voxel side for a slice of ``shape`` (about :data:`IMAGE_SIDE_PX` wide, at least 1)."""
    return max(1, IMAGE_SIDE_PX // max(shape))


def cell_positions(model) -> dict[str, np.ndarray]:
    """Voxel positions of every kind of cell in :data:`GLYPHS`.

    Returns
    -------
    dict of str to (n, 2) int ndarray
        ``(y, x)`` rows.
    """
    state = model.osteocytes.state
    return {
        "osteoclast": np.array([c.pos for c in model.osteoclasts], dtype=np.intp).reshape(-1, 2),
        "osteoblast": np.array([c.pos for c in model.osteoblasts], dtype=np.intp).reshape(-1, 2),
        "osteocyte": np.argwhere(state == VIABLE),
        "apoptotic": np.argwhere(state == APOPTOTIC),
        "empty": np.argwhere(state == EMPTY),
        "tumour": np.argwhere(model.tumour_mask()),
    }


def _stamp(image: np.ndarray, positions: np.ndarray, glyph: Glyph, scale: int) -> None:
    """Draw ``glyph`` centred on each voxel of ``positions`` into ``image`` (in place)."""
    if not len(positions):
        return
    centre = positions * scale + scale // 2
    if glyph.shape == "square" and glyph.radius == 0:  # a whole voxel
        dy, dx = np.mgrid[0:scale, 0:scale]
        offsets = np.stack([dy.ravel(), dx.ravel()], axis=1)
        centre = positions * scale
    else:
        offsets = glyph.offsets()
    ys = (centre[:, None, 0] + offsets[None, :, 0]).ravel()
    xs = (centre[:, None, 1] + offsets[None, :, 1]).ravel()
    inside = (ys >= 0) & (ys < image.shape[0]) & (xs >= 0) & (xs < image.shape[1])
    image[ys[inside], xs[inside]] = glyph.colour


def overlay_values(fields, key: str) -> np.ndarray:
    """Return the coarse-mesh map of overlay ``key`` from a :class:`bonegrid.fields.Fields`, in the overlay's unit."""
    if key == "ratio":
        return fields.rankl / np.maximum(fields.opg, 1e-12)
    return getattr(fields, key)


def colour_lut(cmap: str) -> np.ndarray:
    """(256, 3) uint8 lookup table of a matplotlib colormap."""
    return (matplotlib.colormaps[cmap](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)


def render_rgb(model, overlay: str = "none", positions: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Draw the model's slice now.

    Parameters
    ----------
    model : BoneModel
        Read only.
    overlay : str
        A key of :data:`OVERLAYS`.
    positions : dict, optional
        The model's :func:`cell_positions`, if already taken.

    Returns
    -------
    (ny * s, nx * s, 3) uint8 ndarray
        ``s`` = :func:`scale_for` the slice's shape.
    """
    t = model.tissue
    scale = scale_for(t.kind.shape)
    tissue = (slice_rgb(t.kind, t.mineral, t.cavity) * 255).astype(np.uint8)
    if overlay != "none":
        spec = OVERLAYS[overlay]
        index = (spec.normalise(overlay_values(model.fields, overlay)) * 255).astype(np.uint8)
        coarse = Image.fromarray(colour_lut(spec.cmap)[index])
        field = np.asarray(coarse.resize((tissue.shape[1], tissue.shape[0]), Image.BILINEAR), dtype=np.float32)
        tissue = (tissue * (1.0 - OVERLAY_ALPHA) + field * OVERLAY_ALPHA).astype(np.uint8)
    image = np.repeat(np.repeat(tissue, scale, axis=0), scale, axis=1) if scale > 1 else tissue.copy()
    positions = cell_positions(model) if positions is None else positions
    for name, glyph in GLYPHS.items():
        _stamp(image, positions[name], glyph, scale)
    return image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 array as PNG, fast: the picture changes every frame.

    Rows are stored unfiltered (filter type 0) and deflated at level 1. Drawn pictures (flat
    colours, each voxel a square of pixels) deflate well as they are, so this is ~4x faster than
    Pillow's per-row filter choice at level 1, and smaller (PNG: ISO/IEC 15948:2004, sections 5, 9, 11).
    """
    h, w, _ = image.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # each row: filter byte 0, then R, G, B per pixel
    rows[:, 1:] = image.reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit truecolour, deflate, no filter, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def glyph_icon(name: str, size: int = 14) -> str:
    """Return a data URI of a small PNG of glyph ``name`` on marrow colour, for the legend."""
    glyph = GLYPHS[name]
    image = np.empty((size, size, 3), dtype=np.uint8)
    image[:] = (MARROW_RGB * 255).astype(np.uint8)
    scale = 6 if glyph.radius == 0 else 1
    _stamp(image, np.array([[size // (2 * scale), size // (2 * scale)]]), glyph, scale)
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode()


def gradient_css(cmap: str, stops: int = 11) -> str:
    """Return a CSS ``linear-gradient`` running left to right through a colormap."""
    lut = colour_lut(cmap)
    parts = [f"rgb({r},{g},{b}) {100 * i / (stops - 1):.0f}%"
             for i, (r, g, b) in enumerate(lut[np.linspace(0, 255, stops).astype(int)])]
    return "linear-gradient(to right, " + ", ".join(parts) + ")"


__all__ = ["GLYPHS", "OVERLAYS", "TISSUE_LEGEND", "Glyph", "Overlay", "cell_positions", "glyph_icon",
           "gradient_css", "overlay_values", "png_bytes", "render_rgb", "scale_for"]
