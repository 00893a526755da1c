"""Plan reads of only what the screen shows: a grid window and an output shape at screen resolution."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rasterio.windows import Window

_EPS = 1e-9


@dataclass(frozen=True)
class ReadPlan:
    """What to read and where to draw it.

    ``window`` is an integer window clipped to the grid; read it with ``out_shape`` (rows, cols)
    (e.g. ``dataset.read(window=plan.window, out_shape=(bands, *plan.out_shape))`` so GDAL can use
    overviews) and draw the result over ``pixel_rect`` = (x, y, width, height) in full-resolution
    grid pixel coordinates, which is exactly the window. ``decimation`` is window pixels per
    output pixel (1.0 = full resolution).
    """

    window: Window
    out_shape: tuple[int, int]
    pixel_rect: tuple[float, float, float, float]
    decimation: float

    @property
    def is_full_resolution(self) -> bool:
        """True when the read is not decimated (no overview can serve it)."""
        return self.out_shape == (int(self.window.height), int(self.window.width))


def _make_plan(col0: int, row0: int, col1: int, row1: int, factor: float) -> ReadPlan:
    """Plan for the integer window [col0, col1) x [row0, row1) decimated by ``factor`` (≥ 1)."""
    w, h = col1 - col0, row1 - row0
    out_cols = max(1, min(w, math.floor(w / factor + _EPS)))
    out_rows = max(1, min(h, math.floor(h / factor + _EPS)))
    return ReadPlan(
        window=Window(col0, row0, w, h),
        out_shape=(out_rows, out_cols),
        pixel_rect=(float(col0), float(row0), float(w), float(h)),
        decimation=max(w / out_cols, h / out_rows),
    )


def plan_read(
    grid_width: int,
    grid_height: int,
    view: tuple[float, float, float, float],
    screen: tuple[int, int],
    margin: float = 0.0,
) -> ReadPlan | None:
    """Plan the read for a widget of ``screen`` = (width_px, height_px) showing ``view``.

    ``view`` = (col0, row0, col1, row1) in full-resolution grid pixel coordinates; it may be
    fractional or extend past the grid. ``margin`` widens it by that fraction of its size on each
    side (pre-reading for smooth panning). The window is the view snapped outwards to whole pixels
    and clipped to the grid; the output is decimated by one factor on both axes (square pixels),
    the larger of the two axes' grid-pixels-per-screen-pixel, so it is never larger than the window
    nor than the screen area that window covers. Returns None when the view misses the grid.
    """
    c0, r0, c1, r1 = (float(v) for v in view)
    c0, c1 = min(c0, c1), max(c0, c1)
    r0, r1 = min(r0, r1), max(r0, r1)
    sw, sh = screen
    vw, vh = c1 - c0, r1 - r0
    if not (vw > 0 and vh > 0 and sw > 0 and sh > 0 and grid_width > 0 and grid_height > 0):
        return None
    if not all(math.isfinite(v) for v in (c0, r0, c1, r1)):
        return None
    factor = max(1.0, vw / sw, vh / sh)
    if margin > 0:
        c0, c1 = c0 - margin * vw, c1 + margin * vw
        r0, r1 = r0 - margin * vh, r1 + margin * vh
    col0, col1 = max(0, math.floor(c0)), min(grid_width, math.ceil(c1))
    row0, row1 = max(0, math.floor(r0)), min(grid_height, math.ceil(r1))
    if col1 <= col0 or row1 <= row0:
        return None
    return _make_plan(col0, row0, col1, row1, factor)


def overview_plan(grid_width: int, grid_height: int, max_size: int) -> ReadPlan:
    """The whole grid at most ``max_size`` pixels on the long side, aspect preserved (quick-looks, stats)."""
    if grid_width <= 0 or grid_height <= 0 or max_size <= 0:
        raise ValueError(f"bad overview request: grid {grid_width}x{grid_height}, max_size {max_size}")
    factor = max(1.0, max(grid_width, grid_height) / max_size)
    return _make_plan(0, 0, grid_width, grid_height, factor)
