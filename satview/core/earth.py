"""Where a projected CRS has Earth: the round-trip test, the mask of a grid, the Earth part of a polygon.

A map point of a projected CRS is a point of the Earth when its lon/lat projects back onto itself.
The points that fail are the blank parts of a view in that projection: the wedge behind an Albers
or Lambert cone's cut meridian (PROJ's inverse wraps their longitude, so they come back somewhere
else), the disc around the cone's apex beyond the pole and the far side of an orthographic globe
(no inverse at all). The reprojected view draws nothing there (:func:`earth_mask`), and an AOI drawn
across them keeps only its part on the Earth (:func:`earth_part`), since the rest names no place.
Coordinates far beyond a CRS's area of use (:func:`reach`) name no place either.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import rasterio.features
import shapely
from affine import Affine
from rasterio.crs import CRS
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from satview.core.geo import LONLAT, transformer
from satview.core.types import GeoGrid

#: Round-trip error, in target pixels, above which a target pixel is taken to have no Earth.
EARTH_TOLERANCE_PX = 0.01
#: Cells along the longer side of the mask that finds the Earth part of a polygon.
_PART_CELLS = 1024
#: Length of the equator (WGS84), in metres: no point of the Earth is farther than this from any
#: CRS's area of use.
_EQUATOR_M = 40_075_017.0


def _geodetic(crs: CRS) -> str:
    """WKT of the geographic CRS ``crs`` is based on (no datum shift: the round trip is pure projection)."""
    return _geodetic_of(crs.to_wkt())


@functools.lru_cache(maxsize=32)
def _geodetic_of(wkt: str) -> str:
    from pyproj import CRS as ProjCRS

    geodetic = ProjCRS.from_wkt(wkt).geodetic_crs
    return geodetic.to_wkt() if geodetic is not None else LONLAT


def on_earth(crs: CRS, x: np.ndarray, y: np.ndarray, tol: float) -> np.ndarray:
    """True where map point (x, y) of ``crs`` has a lon/lat that projects back within ``tol``."""
    geo = _geodetic(crs)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore"):
        lon, lat = transformer(crs, geo).transform(x, y, errcheck=False)
        x2, y2 = transformer(geo, crs).transform(lon, lat, errcheck=False)
        err = np.hypot(np.asarray(x2) - x, np.asarray(y2) - y)
        return np.isfinite(err) & (err <= tol) & (np.abs(np.asarray(lat)) <= 90.0)


def earth_mask(grid: GeoGrid, step: int = 4) -> np.ndarray:
    """(rows, cols) True where the pixel centre of ``grid`` is a point of the Earth in its CRS.

    A centre counts when its lon/lat projects back onto itself within ``EARTH_TOLERANCE_PX``. The
    test runs on every ``step``-th pixel, then on every pixel of blocks near a change (the edges of
    no-Earth areas are smooth curves), so a full-screen mask costs a small fraction of a warp.
    """
    assert grid.crs is not None
    h, w = grid.height, grid.width
    tol = EARTH_TOLERANCE_PX * min(grid.res)
    lr = np.minimum(np.arange(0, h + step, step), h - 1)
    lc = np.minimum(np.arange(0, w + step, step), w - 1)
    cc, rr = np.meshgrid(lc + 0.5, lr + 0.5)
    lattice = on_earth(grid.crs, *(grid.transform * (cc, rr)), tol)
    corners = np.stack([lattice[:-1, :-1], lattice[:-1, 1:], lattice[1:, :-1], lattice[1:, 1:]])
    uncertain = corners.any(axis=0) != corners.all(axis=0)
    padded = np.pad(uncertain, 1)
    near = np.zeros_like(uncertain)
    for dr in range(3):
        for dc in range(3):
            near |= padded[dr:dr + uncertain.shape[0], dc:dc + uncertain.shape[1]]
    block = np.repeat(np.repeat(near, step, axis=0), step, axis=1)[:h, :w]
    out = np.repeat(np.repeat(lattice[:-1, :-1], step, axis=0), step, axis=1)[:h, :w].copy()
    rows, cols = np.nonzero(block)
    if rows.size:
        out[rows, cols] = on_earth(grid.crs, *(grid.transform * (cols + 0.5, rows + 0.5)), tol)
    return out


def earth_part(geom: Polygon | MultiPolygon, crs: CRS) -> BaseGeometry:
    """The part of polygon ``geom`` (map coordinates of projected ``crs``) that lies on the Earth.

    ``geom`` itself (the same object) when every vertex is on the Earth (give it densified edges,
    so a crossing edge has vertices in the blank part); empty when none is. Otherwise the polygon
    is cut to the Earth area found on a mask of ``_PART_CELLS`` cells over its extent, kept a
    little more than a cell inside it so every point of the cut polygon reprojects (the result is
    the intersection: it may hold lines and points where the cut touches an edge). A polygon that
    encloses a blank area without an edge in it (a ring around an Albers apex, which is the pole)
    is kept whole: there is no edge to cut, and its image closes around the pole.
    """
    coords = shapely.get_coordinates(geom)
    x0, y0, x1, y1 = geom.bounds
    extent = max(x1 - x0, y1 - y0)
    if coords.size == 0 or not math.isfinite(extent) or extent <= 0:
        return geom
    cell = extent / _PART_CELLS
    flags = on_earth(crs, coords[:, 0], coords[:, 1], EARTH_TOLERANCE_PX * cell)
    if flags.all():
        return geom
    if not flags.any():
        return Polygon()
    pad = 4
    w, h = math.ceil((x1 - x0) / cell) + 2 * pad, math.ceil((y1 - y0) / cell) + 2 * pad
    grid = GeoGrid(crs, Affine(cell, 0.0, x0 - pad * cell, 0.0, -cell, y1 + pad * cell), w, h)
    mask = earth_mask(grid)
    shapes = [shape(s) for s, _ in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                            transform=grid.transform)]
    earth = shapely.union_all(shapes).buffer(-1.5 * cell, join_style="mitre").simplify(0.5 * cell)
    return geom.intersection(earth)


@dataclass(frozen=True)
class Reach:
    """The box (in the CRS's units) outside which its coordinates name no place a user means."""

    box: tuple[float, float, float, float]
    #: The CRS's area of use in words (longitude and latitude range).
    use_text: str

    def holds(self, bounds: tuple[float, ...]) -> bool:
        """True when the box ``(xmin, ymin, xmax, ymax)`` lies within reach."""
        x0, y0, x1, y1 = self.box
        return bool(bounds[0] >= x0 and bounds[1] >= y0 and bounds[2] <= x1 and bounds[3] <= y1)


def reach(crs: CRS) -> Reach | None:
    """How far a projected CRS reaches: its area of use widened on every side by the larger of its
    own width and the length of the equator; None for a geographic CRS or one PROJ cannot bound.

    Farther coordinates are typos (a vertex 4,000,000 km north in UTM) or the far side of the globe
    from a projection's centre (latitude -90 in a north polar stereographic grid is about 1e23 m);
    reprojected, they fold over the globe into rings GEOS can spend minutes repairing. A whole
    hemisphere drawn in a view in that CRS (the Arctic in Alaska Albers) is within reach.
    """
    if not crs.is_projected:
        return None
    return _reach_of(crs.to_wkt(version="WKT2_2019"))


@functools.lru_cache(maxsize=64)
def _reach_of(wkt: str) -> Reach | None:
    import pyproj  # on first use: the app's window does not load PROJ's database before an AOI needs it
    import pyproj.exceptions

    try:
        proj_crs = pyproj.CRS.from_user_input(wkt)
        use = proj_crs.area_of_use
        if use is None:
            return None
        ax0, ay0, ax1, ay1 = pyproj.Transformer.from_crs(4326, proj_crs, always_xy=True).transform_bounds(
            use.west, use.south, use.east, use.north, densify_pts=21)
    except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError):
        return None  # nothing to compare with
    metres = proj_crs.axis_info[0].unit_conversion_factor if proj_crs.axis_info else 1.0
    span = max(ax1 - ax0, ay1 - ay0, _EQUATOR_M / (metres or 1.0))
    if not math.isfinite(span):
        return None
    return Reach((ax0 - span, ay0 - span, ax1 + span, ay1 + span),
                 f"longitude {use.west:g}..{use.east:g}, latitude {use.south:g}..{use.north:g}")
