"""Coordinates: pixel <-> map <-> lon/lat, footprints and CRS descriptions (always x/y order).

Point transforms go through GDAL (``rasterio.warp.transform``, traditional lon/lat order), which
is already loaded; pyproj is imported only by callers that need its extras (``transformer``).
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING

import numpy as np
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.warp import transform as warp_transform

from satview.core.types import GeoGrid
from satview.errors import CRSError, OutsideProjectionError

LONLAT = "EPSG:4326"


if TYPE_CHECKING:
    from pyproj import Transformer
    from shapely.geometry import Polygon


@functools.lru_cache(maxsize=64)
def _transformer(src_wkt: str, dst_wkt: str) -> Transformer:
    from pyproj import CRS as ProjCRS  # lazy: pyproj +~50 ms on `satview info`/quicklook
    from pyproj import Transformer

    return Transformer.from_crs(ProjCRS.from_user_input(src_wkt), ProjCRS.from_user_input(dst_wkt),
                                always_xy=True)


def transformer(src: CRS | str, dst: CRS | str) -> Transformer:
    """A cached pyproj transformer between two CRSs, always in (x/east, y/north) order."""
    return _transformer(_wkt(src), _wkt(dst))


def _wkt(crs: CRS | str) -> str:
    if isinstance(crs, CRS):
        return crs.to_wkt()
    return _wkt_of_text(crs)


@functools.lru_cache(maxsize=64)
def _wkt_of_text(text: str) -> str:
    """WKT of a CRS given as text (e.g. "EPSG:4326"): a PROJ database lookup, ~0.1 ms, done once."""
    from pyproj import CRS as ProjCRS  # lazy: pyproj +~50 ms on `satview info`/quicklook

    return ProjCRS.from_user_input(text).to_wkt()


def transform_points(src: CRS | str, dst: CRS | str, xs, ys) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays (x/east, y/north order on both sides); inf/NaN where undefined."""
    x = np.atleast_1d(np.asarray(xs, dtype=np.float64))
    y = np.atleast_1d(np.asarray(ys, dtype=np.float64))
    try:
        ox, oy = warp_transform(src, dst, x.tolist(), y.tolist())
    except (CPLE_BaseError, RasterioCRSError):  # "Point outside of projection domain", a CRS PROJ refuses
        return np.full_like(x, np.nan), np.full_like(y, np.nan)
    return np.asarray(ox, dtype=np.float64), np.asarray(oy, dtype=np.float64)


def to_lonlat(crs: CRS | None, x: float, y: float) -> tuple[float, float]:
    """Map coordinates in ``crs`` to (lon, lat); NaN when the scene has no CRS."""
    if crs is None:
        return (math.nan, math.nan)
    lon, lat = transform_points(crs, LONLAT, [x], [y])
    return (float(lon[0]), float(lat[0]))


def from_lonlat(crs: CRS, lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) to map coordinates in ``crs``; NaN or inf where the projection does not cover it."""
    x, y = transform_points(LONLAT, crs, [lon], [lat])
    return (float(x[0]), float(y[0]))


def pixel_center(grid: GeoGrid, row: int, col: int) -> tuple[float, float]:
    """Map coordinates of the centre of cell (row, col)."""
    x, y = grid.transform @ (col + 0.5, row + 0.5)
    return (float(x), float(y))


def cell_of(grid: GeoGrid, x: float, y: float) -> tuple[int, int]:
    """(row, col) of the cell containing map point (x, y) (may be outside the grid).

    Raises ``OutsideProjectionError`` for a NaN or infinite point (what a projection gives for
    places it does not cover), which has no cell.
    """
    if not (math.isfinite(x) and math.isfinite(y)):
        raise OutsideProjectionError(f"x {x}, y {y} is not a point of the map")
    col, row = ~grid.transform @ (x, y)
    return (math.floor(row), math.floor(col))


def footprint_lonlat(grid: GeoGrid, densify: int = 16) -> Polygon | None:
    """The grid's outline in lon/lat, densified so projected edges stay accurate.

    A grid that contains a pole (polar stereographic sea-ice grids, high-latitude MODIS tiles)
    gets a polar cap from its lowest latitude to the pole, since its outline does not bound it.
    """
    from shapely.geometry import Polygon  # lazy: shapely only for footprints (+~11 ms)

    if grid.crs is None:
        return None
    t = np.linspace(0.0, 1.0, densify + 1)[:-1]
    w, h = grid.width, grid.height
    cols = np.concatenate([t * w, np.full_like(t, w), (1 - t) * w, np.zeros_like(t)])
    rows = np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), (1 - t) * h])
    xs, ys = grid.transform @ (cols, rows)
    lon, lat = transform_points(grid.crs, LONLAT, xs, ys)
    pairs = zip(lon, lat, strict=True)
    pts = [(float(a), float(b)) for a, b in pairs if math.isfinite(a) and math.isfinite(b) and abs(b) <= 90]
    if len(pts) < 3:
        return None
    for pole in (90.0, -90.0):
        if _grid_contains_lonlat(grid, 0.0, pole):
            edge = min(p[1] for p in pts) if pole > 0 else max(p[1] for p in pts)
            return Polygon([(-180.0, edge), (180.0, edge), (180.0, pole), (-180.0, pole)])
    return Polygon(pts)


def _grid_contains_lonlat(grid: GeoGrid, lon: float, lat: float) -> bool:
    """True when (lon, lat) falls inside the grid (False when it cannot be projected)."""
    xa, ya = transform_points(LONLAT, grid.crs, [lon], [lat])
    x, y = float(xa[0]), float(ya[0])
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    row, col = cell_of(grid, x, y)
    return 0 <= row < grid.height and 0 <= col < grid.width


def epsg_of(crs: CRS | None) -> int | None:
    """The EPSG code of ``crs`` when it is one (exactly), else None.

    Cached by WKT: matching a CRS that is no EPSG code (MODIS sinusoidal) against PROJ's database
    takes some 40 ms, and the app asks on every scene it opens, in the GUI thread.
    """
    return None if crs is None else _epsg_of_wkt(crs.to_wkt())


@functools.lru_cache(maxsize=64)
def _epsg_of_wkt(wkt: str) -> int | None:
    try:
        code = CRS.from_wkt(wkt).to_epsg(confidence_threshold=90)
    except (RasterioCRSError, CPLE_BaseError):  # a CRS PROJ cannot match against its database
        return None
    return int(code) if code else None


def parse_crs(text: str | int | CRS) -> CRS:
    """A CRS from an EPSG code (``3338``, ``"EPSG:3338"``), a PROJ string or WKT."""
    if isinstance(text, CRS):
        return text
    value = str(text).strip()
    if not value:
        raise CRSError("an empty CRS was given")
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except (RasterioCRSError, CPLE_BaseError, ValueError) as exc:  # ValueError: "EPSG:not-a-code"
        raise CRSError(
            f"cannot understand the CRS {value!r}: give an EPSG code, a PROJ string or WKT"
        ) from exc


def crs_name(crs: CRS | None) -> str:
    """A short human name: ``"WGS 84 / UTM zone 11N (EPSG:32611)"``."""
    if crs is None:
        return "no CRS (pixel grid only)"
    match = re.match(r'\s*\w+\[\s*"([^"]*)"', crs.to_wkt())
    name = match.group(1) if match else crs.to_string()
    code = epsg_of(crs)
    return f"{name} (EPSG:{code})" if code else name
