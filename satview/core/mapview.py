"""Map geometry of what the canvas shows: the reprojected view, where a projection has Earth, north.

Rules
-----
- **The reprojected view** ("Reproject view" in the app) has its own pixel grid, a ``WarpedView``:
  the scene's grid as GDAL would warp it to the target CRS (``reproject.target_grid``), scaled to
  fit the screen. The canvas draws in that grid's pixels; every picture of the view is a window
  of it (``pixel_rect`` in view pixels) warped from the scene at about screen resolution, so
  zooming in re-reads the visible part of the scene sharper, as in the native view.
- **No Earth, no picture**: a target pixel whose centre does not survive the round trip
  target -> lon/lat -> target (the wedge behind an Albers or Lambert cone's cut meridian, the disc
  around its apex, the far side of an orthographic globe; :mod:`satview.core.earth`) is
  transparent. GDAL's warper would otherwise fill those pixels from wherever the inverse
  projection lands (a seam along the cut meridian and a false disc of ice around the pole).
- **Readout**: view pixels map back to the scene's grid pixels (``WarpedView.to_source``), so the
  cursor readout reports the source pixel under the cursor.
- **North**: :func:`north_angle` is the direction of true north on screen at a grid position
  (the grid convergence: it turns on polar stereographic and conic grids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from satview.core.earth import EARTH_TOLERANCE_PX, earth_mask, on_earth
from satview.core.geo import LONLAT, transform_points, transformer
from satview.core.readers.base import Scene
from satview.core.render import DisplaySpec, RenderResult, render_view
from satview.core.stretch import Levels
from satview.core.types import GeoGrid
from satview.core.viewport import plan_read

#: Points per side of the lattices that find the part of the scene a view window needs.
_LATTICE = 33
#: Most source pixels read per target pixel of a picture (guards against huge reads near singularities).
_MAX_READ_RATIO = 4.0
#: Largest picture of a reprojected view, in pixels (a 4K screen).
MAX_PICTURE_PIXELS = 3840 * 2160


def _map_xy(grid: GeoGrid, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = grid.transform
    return t.a * cols + t.b * rows + t.c, t.d * cols + t.e * rows + t.f


def _pixel_cr(grid: GeoGrid, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inv = ~grid.transform
    with np.errstate(invalid="ignore"):
        return inv.a * xs + inv.b * ys + inv.c, inv.d * xs + inv.e * ys + inv.f


@dataclass(frozen=True)
class WarpedView:
    """The pixel grid of a reprojected view (``grid``, in the target CRS) over the scene's ``source`` grid."""

    source: GeoGrid
    grid: GeoGrid

    @classmethod
    def fit(cls, source: GeoGrid, dst_crs: CRS | str, screen: tuple[int, int]) -> WarpedView:
        """The scene's grid warped to ``dst_crs`` (GDAL's suggested extent), fitted to ``screen`` = (w, h)."""
        from satview.core.reproject import target_grid

        sw, sh = max(1, int(screen[0])), max(1, int(screen[1]))
        dst = target_grid(source, dst_crs)
        factor = max(dst.width / sw, dst.height / sh)
        if factor > 1.0 or factor < 0.5:
            rx, ry = abs(dst.transform.a) * factor, abs(dst.transform.e) * factor
            dst = target_grid(source, dst_crs, resolution=(rx, ry))
        return cls(source, dst)

    @classmethod
    def from_result(cls, source: GeoGrid, result: RenderResult) -> WarpedView | None:
        """The view a coarse reprojected picture was drawn on (None for native pictures)."""
        if result.crs_wkt is None or result.transform is None:
            return None
        rows, cols = np.asarray(result.rgba).shape[:2]
        return cls(source, GeoGrid(CRS.from_wkt(result.crs_wkt), result.transform, int(cols), int(rows)))

    def on_earth(self, col: float, row: float) -> bool:
        """True when view pixel position (col, row) is a point of the Earth (see :func:`earth_mask`)."""
        assert self.grid.crs is not None
        x, y = self.grid.transform * (col, row)
        tol = EARTH_TOLERANCE_PX * min(self.grid.res)
        return bool(on_earth(self.grid.crs, np.array([x]), np.array([y]), tol)[0])

    def to_source(self, col: float, row: float) -> tuple[float, float] | None:
        """The scene grid position (col, row) under view pixel position (col, row); None off the Earth."""
        assert self.grid.crs is not None and self.source.crs is not None
        if not self.on_earth(col, row):
            return None
        x, y = self.grid.transform * (col, row)
        sx, sy = transformer(self.grid.crs, self.source.crs).transform(x, y, errcheck=False)
        if not (math.isfinite(sx) and math.isfinite(sy)):
            return None
        c, r = ~self.source.transform * (sx, sy)
        return float(c), float(r)

    def window_grid(self, view: tuple[float, float, float, float], screen: tuple[int, int],
                    margin: float = 0.0) -> tuple[GeoGrid, tuple[float, float, float, float]] | None:
        """The target grid of the visible part of the view at screen resolution, and where it goes.

        ``view`` = (col0, row0, col1, row1) in view pixels, shown on ``screen`` = (w, h) device
        pixels; ``margin`` widens it by that fraction on each side. Returns (grid, pixel_rect) with
        ``pixel_rect`` = (x, y, w, h) in view pixels, or None when the view misses the grid.
        """
        c0, r0, c1, r1 = (float(v) for v in view)
        vw, vh = c1 - c0, r1 - r0
        sw, sh = screen
        if not (vw > 0 and vh > 0 and sw > 0 and sh > 0) or not all(map(math.isfinite, view)):
            return None
        per_view_px = max(sw / vw, sh / vh)  # screen pixels per view pixel
        x0, x1 = max(0.0, c0 - margin * vw), min(float(self.grid.width), c1 + margin * vw)
        y0, y1 = max(0.0, r0 - margin * vh), min(float(self.grid.height), r1 + margin * vh)
        if x1 <= x0 or y1 <= y0:
            return None
        cols = max(1, math.ceil((x1 - x0) * per_view_px - 1e-6))
        rows = max(1, math.ceil((y1 - y0) * per_view_px - 1e-6))
        if cols * rows > MAX_PICTURE_PIXELS:
            shrink = math.sqrt(cols * rows / MAX_PICTURE_PIXELS)
            cols, rows = max(1, int(cols / shrink)), max(1, int(rows / shrink))
        scale = Affine.scale((x1 - x0) / cols, (y1 - y0) / rows)
        t = self.grid.transform * Affine.translation(x0, y0) * scale
        return GeoGrid(self.grid.crs, t, cols, rows), (x0, y0, x1 - x0, y1 - y0)


def _source_window(source: GeoGrid, dst: GeoGrid) -> tuple[tuple[int, int, int, int], float] | None:
    """The source pixel window (col0, row0, col1, row1) that ``dst`` needs, and the source pixels per
    target pixel to read it at; None when ``dst`` shows none of the source."""
    assert source.crs is not None and dst.crs is not None
    t = np.linspace(0.0, 1.0, _LATTICE)
    dc, dr = np.meshgrid(t * dst.width, t * dst.height)
    dx, dy = _map_xy(dst, dc, dr)
    sx, sy = transformer(dst.crs, source.crs).transform(dx, dy, errcheck=False)
    sc, sr = _pixel_cr(source, np.asarray(sx), np.asarray(sy))
    inside = np.isfinite(sc) & np.isfinite(sr)
    inside &= (sc >= -1) & (sc <= source.width + 1) & (sr >= -1) & (sr <= source.height + 1)
    # source lattice points that land in dst: parts of the scene the dst lattice may straddle
    gc, gr = np.meshgrid(t * source.width, t * source.height)
    gx, gy = _map_xy(source, gc, gr)
    tx, ty = transformer(source.crs, dst.crs).transform(gx, gy, errcheck=False)
    tc, tr = _pixel_cr(dst, np.asarray(tx), np.asarray(ty))
    hit = np.isfinite(tc) & np.isfinite(tr) & (tc >= 0) & (tc <= dst.width) & (tr >= 0) & (tr <= dst.height)
    cols = np.concatenate([sc[inside], gc[hit]])
    rows = np.concatenate([sr[inside], gr[hit]])
    if cols.size == 0:
        return None
    c0 = max(0, math.floor(cols.min()) - 2)
    r0 = max(0, math.floor(rows.min()) - 2)
    c1 = min(source.width, math.ceil(cols.max()) + 2)
    r1 = min(source.height, math.ceil(rows.max()) + 2)
    if c1 <= c0 or r1 <= r0:
        return None
    # source pixels per target pixel along the lattice (the finest place decides, so nothing is blurred)
    step = dst.width / (_LATTICE - 1)
    with np.errstate(invalid="ignore"):
        d = np.hypot(np.diff(sc, axis=1), np.diff(sr, axis=1)) / max(step, 1e-9)
    ratios = d[np.isfinite(d) & (d > 0)]
    per_px = float(np.min(ratios)) if ratios.size else 1.0
    area_ratio = (c1 - c0) * (r1 - r0) / (per_px * per_px * dst.width * dst.height)
    if area_ratio > _MAX_READ_RATIO:
        per_px *= math.sqrt(area_ratio / _MAX_READ_RATIO)
    return (c0, r0, c1, r1), max(1.0, per_px)


def render_warped(scene: Scene, spec: DisplaySpec, levels: Levels, view: WarpedView,
                  dst: GeoGrid, pixel_rect: tuple[float, float, float, float], *,
                  coarse: bool) -> RenderResult:
    """Draw the part of the scene that target grid ``dst`` (a window of ``view``) shows.

    The source window under ``dst`` is read at about ``dst``'s resolution and drawn like the native
    view (same levels and overlays), then warped (nearest) onto ``dst``; pixels with no source and
    pixels with no Earth are transparent.
    """
    from satview.core.reproject import reproject_array

    rgba = np.zeros((dst.height, dst.width, 4), dtype=np.uint8)
    found = _source_window(view.source, dst)
    if found is not None:
        (c0, r0, c1, r1), per_px = found
        out = (max(1, round((c1 - c0) / per_px)), max(1, round((r1 - r0) / per_px)))
        plan = plan_read(view.source.width, view.source.height, (c0, r0, c1, r1), out)
        if plan is not None:
            picture = render_view(scene, spec, levels, plan).rgba
            x, y, w, h = plan.pixel_rect
            rows, cols = plan.out_shape
            src = GeoGrid(view.source.crs,
                          view.source.transform * Affine.translation(x, y) * Affine.scale(w / cols, h / rows),
                          cols, rows)
            warped = reproject_array(np.moveaxis(picture, -1, 0), src, dst, "nearest",
                                     src_nodata=None, dst_nodata=0)
            rgba = np.ascontiguousarray(np.moveaxis(warped, 0, -1))
            rgba[~earth_mask(dst)] = 0
    assert dst.crs is not None
    return RenderResult(rgba, pixel_rect, coarse, crs_wkt=dst.crs.to_wkt(),
                        transform=dst.transform)


def render_reprojected(scene: Scene, spec: DisplaySpec, levels: Levels, dst_crs: Any,
                       screen: tuple[int, int] = (1024, 1024), *,
                       view: tuple[float, float, float, float] | None = None,
                       grid: GeoGrid | None = None, margin: float = 0.0) -> RenderResult:
    """A picture of the reprojected view.

    Without ``view``: the whole scene warped to ``dst_crs`` fitted to ``screen`` (the coarse picture;
    its ``transform``/``crs_wkt``/size define the view's grid). With ``view`` = (col0, row0, col1,
    row1) in pixels of the view's ``grid`` (the coarse picture's): that part at screen resolution.
    """
    src = scene.info.grid
    if view is None or grid is None:
        wv = WarpedView.fit(src, dst_crs, screen)
        g = wv.grid
        return render_warped(scene, spec, levels, wv, g, (0.0, 0.0, float(g.width), float(g.height)),
                             coarse=True)
    wv = WarpedView(src, grid)
    found = wv.window_grid(view, screen, margin)
    if found is None:
        return RenderResult(np.zeros((1, 1, 4), np.uint8), (0.0, 0.0, 1.0, 1.0), False,
                            crs_wkt=grid.crs.to_wkt() if grid.crs else None, transform=grid.transform)
    dst, rect = found
    return render_warped(scene, spec, levels, wv, dst, rect, coarse=False)


def north_angle(grid: GeoGrid, col: float, row: float) -> float | None:
    """Direction of true north on screen at grid position (col, row), in degrees clockwise from up.

    Rows run down the screen. 0 on north-up grids of a cylindrical projection; on a polar
    stereographic or conic grid it is the grid convergence at that point. None without a CRS or
    off the Earth.
    """
    if grid.crs is None:
        return None
    # GDAL's transform (PROJ warm once a scene is open), not pyproj's, whose first use costs its import
    x, y = grid.transform * (col, row)
    lon, lat = (float(v[0]) for v in transform_points(grid.crs, LONLAT, [x], [y]))
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90:
        return None
    step = 1e-3
    sign = 1.0 if lat + step <= 90.0 else -1.0
    x2, y2 = (float(v[0]) for v in transform_points(LONLAT, grid.crs, [lon], [lat + sign * step]))
    if not (math.isfinite(x2) and math.isfinite(y2)):
        return None
    c2, r2 = ~grid.transform * (x2, y2)
    dc, dr = (c2 - col) * sign, (r2 - row) * sign
    if dc == 0 and dr == 0:
        return None
    return math.degrees(math.atan2(dc, -dr))
