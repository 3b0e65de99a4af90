"""Blocks of text, rendered to HTML on the server.

``solara.Markdown`` renders in the browser and loads KaTeX and Mermaid for every block; KaTeX
is not in ``solara-assets``, so offline each block would ask for files that are not there. The
dashboard's texts need only bold, italics and lists, so they are converted here, once, with the
``markdown`` package (a dependency of Solara) and shown as plain HTML.
"""

from __future__ import annotations

import functools

import markdown
import solara


@functools.lru_cache(maxsize=256)
def to_html(text: str) -> str:
    """Convert Markdown ``text`` to HTML (cached: the texts are few and fixed)."""
    return markdown.markdown(text)


def prose(text: str, size: int = 13, classes: list[str] | None = None):
    """Return a block of Markdown ``text`` as HTML at ``size`` px."""
    return solara.HTML(tag="div", unsafe_innerHTML=to_html(text), style=f"font-size:{size}px;line-height:1.45",
                       classes=["bg-prose", *(classes or [])])


CSS = ".bg-prose strong { font-weight: 700; } .bg-prose p { margin-bottom: 6px; } .bg-prose ul { margin-bottom: 6px; }"
"""Page styles for :func:`prose` blocks (the page's reset style leaves ``<strong>`` unbolded)."""


def note(text: str, size: int = 11, colour: str = "#666", bold: bool = False):
    """Return a block of small explanatory text (an HTML div, so it wraps and stacks)."""
    weight = "font-weight:bold;" if bold else ""
    return solara.HTML(tag="div", unsafe_innerHTML=text, style=f"font-size:{size}px;color:{colour};{weight}")


__all__ = ["CSS", "note", "prose", "to_html"]
