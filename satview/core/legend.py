"""Legend images for quick-looks: a labelled colour bar or named colour swatches, as RGBA arrays and PNGs.

Legends are drawn with Pillow on an opaque white background in black text, using Pillow's own
default font (scalable since Pillow 10.1, so no font file is needed). Images are (rows, cols, 4)
uint8 arrays; :func:`write_legend_png` writes one as a plain (not georeferenced) PNG.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from satview.core.colormap import colormap
from satview.errors import ExportError

#: Font size of legend text, in pixels.
FONT_SIZE = 14
#: Width and height of the colour bar, in pixels (one column per colour-map entry).
BAR_WIDTH, BAR_HEIGHT = 256, 18
#: Side of a swatch, in pixels.
SWATCH = 16
_MARGIN = 8
_GAP = 6
_BACKGROUND = (255, 255, 255, 255)
_INK = (0, 0, 0, 255)
_OUTLINE = (90, 90, 90, 255)


@functools.lru_cache(maxsize=4)
def _font(size: int = FONT_SIZE) -> Any:
    """Pillow's default font at ``size`` px (the fixed bitmap font on Pillow < 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no size argument
        return ImageFont.load_default()


def _text_size(text: str) -> tuple[int, int]:
    """(width, height) of ``text`` in the legend font."""
    if not text:
        return (0, 0)
    draw = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=_font())
    return (int(math.ceil(right - min(left, 0))), int(math.ceil(bottom - min(top, 0))))


def format_value(value: float) -> str:
    """A colour-bar label: up to 4 significant digits, no exponent for ordinary magnitudes."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e6:
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return f"{value:.3e}"


def colorbar_legend(cmap: str, lo: float, hi: float, *, unit: str = "", title: str = "") -> np.ndarray:
    """A horizontal colour bar of ``cmap`` from ``lo`` (left) to ``hi`` (right), labelled below.

    The title line is ``title`` with ``unit`` in brackets; the labels are the two end values.
    Returns (rows, cols, 4) uint8. Raises ``SatviewError`` for an unknown colour map.
    """
    lut = colormap(cmap)
    heading = f"{title} ({unit})" if title and unit else (title or unit)
    lo_text, hi_text = format_value(lo), format_value(hi)
    hw, hh = _text_size(heading)
    lw, lh = _text_size(lo_text)
    rw, rh = _text_size(hi_text)
    width = max(BAR_WIDTH, hw, lw + rw + 3 * _GAP) + 2 * _MARGIN
    bar_top = _MARGIN + (hh + _GAP if heading else 0)
    label_top = bar_top + BAR_HEIGHT + 4 + _GAP // 2
    height = label_top + max(lh, rh) + _MARGIN
    img = Image.new("RGBA", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(img)
    if heading:
        draw.text((_MARGIN, _MARGIN), heading, fill=_INK, font=_font())
    x0 = (width - BAR_WIDTH) // 2
    bar = np.repeat(lut[np.newaxis, :, :], BAR_HEIGHT, axis=0)
    img.paste(Image.fromarray(np.ascontiguousarray(bar)), (x0, bar_top))
    draw.rectangle((x0 - 1, bar_top - 1, x0 + BAR_WIDTH, bar_top + BAR_HEIGHT), outline=_OUTLINE)
    for x in (x0, x0 + BAR_WIDTH - 1):  # end ticks
        draw.line((x, bar_top + BAR_HEIGHT, x, bar_top + BAR_HEIGHT + 4), fill=_INK)
    draw.text((x0, label_top), lo_text, fill=_INK, font=_font())
    draw.text((x0 + BAR_WIDTH - rw, label_top), hi_text, fill=_INK, font=_font())
    return np.asarray(img, dtype=np.uint8).copy()


def swatch_legend(entries: Sequence[tuple[str, tuple[int, int, int]]], *, title: str = "") -> np.ndarray:
    """One row per ``(label, (r, g, b))`` entry: a colour swatch and its label, under ``title``.

    Returns (rows, cols, 4) uint8. ``entries`` may be empty (then only the title is drawn).
    """
    sizes = [_text_size(label) for label, _ in entries]
    tw, th = _text_size(title)
    row_h = max([SWATCH, *[h for _, h in sizes]]) + 4
    width = max([tw, *[SWATCH + _GAP + w for w, _ in sizes], 1]) + 2 * _MARGIN
    top = _MARGIN + (th + _GAP if title else 0)
    height = top + row_h * len(entries) + _MARGIN - (4 if entries else 0)
    img = Image.new("RGBA", (width, max(height, 2 * _MARGIN)), _BACKGROUND)
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((_MARGIN, _MARGIN), title, fill=_INK, font=_font())
    for i, ((label, color), (_, h)) in enumerate(zip(entries, sizes, strict=True)):
        y = top + i * row_h
        sy = y + (row_h - 4 - SWATCH) // 2
        draw.rectangle((_MARGIN, sy, _MARGIN + SWATCH - 1, sy + SWATCH - 1),
                       fill=(*(int(c) for c in color), 255), outline=_OUTLINE)
        draw.text((_MARGIN + SWATCH + _GAP, y + (row_h - 4 - h) // 2), label, fill=_INK, font=_font())
    return np.asarray(img, dtype=np.uint8).copy()


def write_legend_png(image: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write a (rows, cols, 4) uint8 legend image as a PNG at ``path`` (no atomic rename here)."""
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 4 or arr.dtype != np.uint8:
        raise ValueError(f"a legend image is (rows, cols, 4) uint8, got {arr.shape} {arr.dtype}")
    try:
        Image.fromarray(np.ascontiguousarray(arr)).save(os.fspath(path), format="PNG")
    except OSError as exc:
        raise ExportError(f"cannot write the legend PNG ({exc})", os.fspath(path)) from exc
