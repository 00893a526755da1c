"""Put two dates on one grid: choose the common grid, then read any scene's bands onto it, block by block.

The common grid is by default the BEFORE scene's own pixel grid cut to where both scenes (and the
AOI, when given) overlap; ``--grid after`` takes the AFTER scene's, ``--dst-crs`` a grid in another
CRS at the chosen scene's resolution. A scene already on that pixel grid is read directly (no
resampling at all); any other (another UTM zone, path/row, sensor) is warped band by band from
just the source window under each block: bilinear for reflectance and other measurements,
nearest for QA and categorical bands, so the index is computed afterwards from resampled
reflectances, never resampled itself.
"""

from __future__ import annotations

import math

import numpy as np
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from satview.core.aoi import AOI
from satview.core.geo import parse_crs
from satview.core.readers.base import Scene
from satview.core.reproject import target_grid
from satview.core.types import GeoGrid
from satview.errors import AOIError, SatviewError

_SNAP = 1e-6  # pixel fractions below this count as whole pixels when snapping windows


def _bounds_in(grid: GeoGrid, crs: object) -> tuple[float, float, float, float]:
    if grid.crs is None:
        raise SatviewError("a scene without a CRS cannot be aligned with another date")
    return tuple(transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=21))  # type: ignore[return-value]


def common_grid(base: GeoGrid, other: GeoGrid, *, aoi: AOI | None = None, dst_crs: object = None,
                path: str | None = None) -> GeoGrid:
    """``base``'s pixel grid (or ``base`` warped to ``dst_crs``) cut to its overlap with ``other``, ``aoi``.

    ``AOIError`` / ``SatviewError`` when nothing is left.
    """
    if dst_crs is not None:
        crs = parse_crs(dst_crs)  # type: ignore[arg-type]
        keep_res = base.crs is not None and not base.crs.is_geographic and not crs.is_geographic
        base = target_grid(base, crs, resolution=base.res[0] if keep_res else None)
    assert base.crs is not None
    left, bottom, right, top = base.bounds
    o = _bounds_in(other, base.crs)
    boxes = [o]
    if aoi is not None:
        boxes.append(aoi.to_crs(base.crs).bounds)
    for b in boxes:
        left, bottom, right, top = max(left, b[0]), max(bottom, b[1]), min(right, b[2]), min(top, b[3])
    if right <= left or top <= bottom:
        if aoi is not None and _disjoint(base, aoi):
            raise AOIError("the AOI does not overlap the BEFORE/AFTER scenes", path)
        raise SatviewError("the two dates do not overlap", path)
    t = base.transform
    inv = ~t
    cols, rows = zip(*(inv * (x, y) for x, y in ((left, top), (right, top), (left, bottom), (right, bottom))),
                     strict=True)
    c0 = max(0, math.floor(min(cols) + _SNAP))
    r0 = max(0, math.floor(min(rows) + _SNAP))
    c1 = min(base.width, math.ceil(max(cols) - _SNAP))
    r1 = min(base.height, math.ceil(max(rows) - _SNAP))
    if c1 <= c0 or r1 <= r0:
        raise SatviewError("the two dates overlap by less than a pixel", path)
    return GeoGrid(base.crs, t * Affine.translation(c0, r0), c1 - c0, r1 - r0)


def _disjoint(grid: GeoGrid, aoi: AOI) -> bool:
    a = aoi.to_crs(grid.crs).bounds  # type: ignore[arg-type]
    g = grid.bounds
    return a[2] <= g[0] or a[0] >= g[2] or a[3] <= g[1] or a[1] >= g[3]


def same_pixels(src: GeoGrid, dst: GeoGrid) -> Window | None:
    """The window of ``src`` that is exactly ``dst`` (same CRS, pixel size, whole-pixel offset), or None."""
    if src.crs is None or dst.crs is None or src.crs != dst.crs:
        return None
    s, d = src.transform, dst.transform
    if not all(math.isclose(a, b, rel_tol=0, abs_tol=1e-9 * max(1.0, abs(a))) for a, b in
               ((s.a, d.a), (s.b, d.b), (s.d, d.d), (s.e, d.e))):
        return None
    col, row = ~s * (d.c, d.f)
    if abs(col - round(col)) > _SNAP or abs(row - round(row)) > _SNAP:
        return None
    col, row = int(round(col)), int(round(row))
    if col < 0 or row < 0 or col + dst.width > src.width or row + dst.height > src.height:
        return None
    return Window(col, row, dst.width, dst.height)


def read_on_grid(scene: Scene, bands: list[str], grid: GeoGrid, *, dn: bool = False) -> np.ndarray:
    """``bands`` of ``scene`` on ``grid``: (band, row, col); physical float32 (NaN outside the scene,
    at fill and flags) or with ``dn`` raw values (0 outside). Categorical bands resample by nearest,
    the others bilinearly."""
    direct = same_pixels(scene.info.grid, grid)
    if direct is not None:
        return scene.read(bands, window=direct, dn=dn)

    info = scene.info
    src_grid = info.grid
    x0, y0, x1, y1 = _bounds_in(grid, src_grid.crs)
    inv = ~src_grid.transform
    cols, rows = zip(*(inv * (x, y) for x, y in ((x0, y1), (x1, y1), (x0, y0), (x1, y0))), strict=True)
    c0, r0 = max(0, math.floor(min(cols)) - 2), max(0, math.floor(min(rows)) - 2)
    c1, r1 = min(src_grid.width, math.ceil(max(cols)) + 2), min(src_grid.height, math.ceil(max(rows)) + 2)
    out_dtype = np.float32 if not dn else np.result_type(*[np.dtype(info.band(b).dtype) for b in bands])
    out = np.zeros((len(bands), grid.height, grid.width), dtype=out_dtype)
    if not dn:
        out[:] = np.nan
    if c1 <= c0 or r1 <= r0:
        return out
    win = Window(c0, r0, c1 - c0, r1 - r0)
    src_t = src_grid.transform * Affine.translation(c0, r0)
    for i, name in enumerate(bands):
        band = info.band(name)
        data = scene.read([name], window=win, dn=dn)[0]
        nearest = band.categorical or dn
        reproject(data, out[i], src_transform=src_t, src_crs=src_grid.crs, dst_transform=grid.transform,
                  dst_crs=grid.crs, resampling=Resampling.nearest if nearest else Resampling.bilinear,
                  src_nodata=None if dn else np.nan, dst_nodata=None if dn else np.nan, num_threads=2)
    return out


def grid_blocks(grid: GeoGrid, rows: int) -> list[GeoGrid]:
    """``grid`` cut into strips of at most ``rows`` rows (same columns), top to bottom."""
    out = []
    for r in range(0, grid.height, rows):
        n = min(rows, grid.height - r)
        out.append(GeoGrid(grid.crs, grid.transform * Affine.translation(0, r), grid.width, n))
    return out
