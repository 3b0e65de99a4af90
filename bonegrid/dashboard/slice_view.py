"""The slice panel: the patient's picture (and the healthy twin's), the overlay menu, colour bar and legend."""

from __future__ import annotations

from collections.abc import Callable

import solara

import bonegrid.dashboard.explanations as explanations
from bonegrid.dashboard.session import Frame
from bonegrid.dashboard.slice_image import GLYPHS, OVERLAYS, TISSUE_LEGEND, glyph_icon, gradient_css
from bonegrid.dashboard.text import note, prose


def _tick(value: float) -> str:
    return f"{value:g}"


@solara.component
def ColourBar(overlay: str):
    """Render the colour scale of an overlay, with its ticks and what it means."""
    spec = OVERLAYS[overlay]
    ticks = "".join(
        f'<span style="position:absolute;left:{100 * spec.position(v):.1f}%;transform:translateX(-50%)">'
        f"{_tick(v)}</span>" for v in spec.ticks())
    solara.HTML(unsafe_innerHTML=(
        f'<div class="bg-colourbar" style="max-width:512px">'
        f'<div style="font-size:12px">{spec.label} ({spec.unit}, {"log scale" if spec.log else "linear"})</div>'
        f'<div style="height:12px;border:1px solid #999;background:{gradient_css(spec.cmap)}"></div>'
        f'<div style="position:relative;height:16px;font-size:11px">{ticks}</div>'
        f'<div style="font-size:12px;color:#444">{spec.meaning}</div></div>'))


@solara.component
def Legend():
    """Render swatches for the tissue colours and icons for the cell glyphs."""
    tissue = "".join(
        f'<span title="{why}" style="margin-right:10px;white-space:nowrap"><span style="display:inline-block;width:12px;'
        f'height:12px;vertical-align:middle;border:1px solid #888;background:rgb({int(255 * c[0])},{int(255 * c[1])},'
        f'{int(255 * c[2])})"></span> {name}</span>' for c, name, why in TISSUE_LEGEND)
    cells = "".join(
        f'<span title="{g.explanation}" style="margin-right:10px;white-space:nowrap"><img src="{glyph_icon(key)}" '
        f'style="vertical-align:middle;image-rendering:pixelated;border:1px solid #ccc"> {g.label}</span>'
        for key, g in reversed(GLYPHS.items()))
    solara.HTML(unsafe_innerHTML=f'<div class="bg-legend" style="font-size:12px;line-height:22px">{tissue}<br>{cells}'
                                 "</div>")


def _counts(frame: Frame) -> str:
    c = frame.counts
    dead = c["apoptotic"] + c["empty"]
    text = (f"{c['osteoclast']} osteoclasts · {c['osteoblast']} osteoblasts · {c['osteocyte']} living osteocytes, "
            f"{dead} dying or gone")
    return text + (f" · {c['tumour']} myeloma cells" if c["tumour"] else "")


@solara.component
def SliceCard(frame: solara.Reactive[Frame], overlay: str, on_overlay: Callable[[str], None], title: str):
    """Render the patient's slice with the overlay menu, colour bar, legend and the explanation of what is seen.

    Only the picture and the line under it (:func:`SlicePicture`) read the frame, so only they redraw with each one.
    """
    with solara.Card(title, classes=["bg-slice-card"]):
        SlicePicture(frame, "image", "bg-slice", counted=True)
        by_label = {o.label: key for key, o in OVERLAYS.items()}
        solara.Select("Signal overlay (drawn on both slices)", values=list(by_label), value=OVERLAYS[overlay].label,
                      on_value=lambda label: on_overlay(by_label[label]), dense=True, classes=["bg-overlay-select"],
                      style={"margin-top": "14px"})
        if overlay != "none":
            ColourBar(overlay)
        Legend()
        with solara.Details("What am I looking at?", expand=True):
            prose(explanations.SLICE)
            prose(explanations.SWITCH)


@solara.component
def SlicePicture(frame: solara.Reactive[Frame], image: str, classes: str, counted: bool = False):
    """Render a slice picture of the frame (its field ``image``) with the day under it (and the cell counts)."""
    current = frame.value
    solara.Image(getattr(current, image), width="100%", classes=[classes])
    note(f"day {current.day}" + (f" · {_counts(current)}" if counted else ""), size=12, colour="#444")


@solara.component
def TwinCard(frame: solara.Reactive[Frame]):
    """Render the healthy twin's slice, with what it is for."""
    with solara.Card("Healthy twin", subtitle="same bone, age and sex, no cause", classes=["bg-twin-card"]):
        SlicePicture(frame, "twin_image", "bg-twin")
        prose(explanations.TWIN)


__all__ = ["ColourBar", "Legend", "SliceCard", "SlicePicture", "TwinCard"]
