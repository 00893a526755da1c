"""Where on a grid a statistic is taken: the whole grid, an AOI's cells, or the one cell under a point."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from rasterio.features import geometry_mask
from rasterio.windows import Window, from_bounds
from rasterio.windows import transform as window_transform

from satview.core.aoi import AOI
from satview.core.geo import cell_of, from_lonlat
from satview.core.types import GeoGrid
from satview.errors import AOIError, SatviewError

#: Rows read at a time when streaming through a window (bounded memory on full-size scenes).
BLOCK_ROWS = 1024


def aoi_window(aoi: AOI, grid: GeoGrid, path: str | None = None) -> tuple[Window, np.ndarray]:
    """The smallest window of ``grid`` holding ``aoi`` and the (rows, cols) mask of cells whose centre
    lies inside it. ``AOIError`` when the AOI and the grid do not overlap."""
    if grid.crs is None:
        raise AOIError("the scene has no CRS, so the AOI cannot be placed on it", path)
    local = aoi.to_crs(grid.crs)
    x0, y0, x1, y1 = local.bounds
    raw = from_bounds(x0, y0, x1, y1, transform=grid.transform)
    c0 = max(0, math.floor(raw.col_off))
    r0 = max(0, math.floor(raw.row_off))
    c1 = min(grid.width, math.ceil(raw.col_off + raw.width))
    r1 = min(grid.height, math.ceil(raw.row_off + raw.height))
    if c1 <= c0 or r1 <= r0:
        raise AOIError("the AOI does not overlap the scene", path)
    win = Window(c0, r0, c1 - c0, r1 - r0)
    inside = geometry_mask([local.geometry], out_shape=(r1 - r0, c1 - c0),
                           transform=window_transform(win, grid.transform), invert=True)
    if not inside.any():
        raise AOIError("the AOI covers no cell centre of the scene", path)
    return win, inside


def point_window(grid: GeoGrid, lon: float, lat: float, path: str | None = None) -> Window:
    """The one-cell window under (lon, lat); ``AOIError`` when the point is off the grid."""
    if grid.crs is None:
        raise SatviewError("the scene has no CRS, so a lon/lat point cannot be placed", path)
    row, col = cell_of(grid, *from_lonlat(grid.crs, lon, lat))
    if not (0 <= row < grid.height and 0 <= col < grid.width):
        raise AOIError(f"the point {lon:g}, {lat:g} lies outside the scene", path)
    return Window(col, row, 1, 1)


def row_blocks(win: Window, rows: int = BLOCK_ROWS) -> Iterator[tuple[Window, slice]]:
    """Sub-windows of ``win`` of at most ``rows`` rows, with the matching row slice of ``win``."""
    h = int(win.height)
    for r in range(0, h, rows):
        n = min(rows, h - r)
        yield Window(win.col_off, win.row_off + r, win.width, n), slice(r, r + n)
