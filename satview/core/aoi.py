"""Areas of interest: load polygons (GeoJSON, WKT, vector files, canvas drawings), reproject, measure.

:func:`load_aoi` makes one AOI (the union) from any source, :func:`read_aoi_file` one AOI per
feature of a file; the sources themselves are read by :mod:`satview.core.aoi_sources`. Every AOI
is validated the same way (polygons only, repaired when invalid, finite, with an area).
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pyproj.exceptions
import shapely
import shapely.affinity
import shapely.errors
from pyproj import Geod
from rasterio.crs import CRS
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from satview.core.aoi_sources import Part, Source, file_parts, inline_parts, parse_crs_arg, source_path
from satview.core.earth import earth_part, reach
from satview.core.geo import LONLAT, epsg_of, parse_crs, transformer
from satview.core.types import GeoGrid, SceneInfo
from satview.errors import NOT_SUPPORTED, AOIError

#: Edges are split into this many pieces of the AOI's extent (at least) before reprojection.
_DENSIFY_STEPS = 256
_WGS84_GEOD = Geod(ellps="WGS84")
#: The CRS of GeoJSON, plain WKT and shapely geometries that do not say another.
LONLAT_CRS = CRS.from_epsg(4326)


@dataclass(frozen=True)
class AOI:
    """A polygonal area of interest: a shapely (Multi)Polygon in ``crs``, with an optional name."""

    geometry: Polygon | MultiPolygon
    crs: CRS
    name: str | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the AOI's own CRS."""
        x0, y0, x1, y1 = self.geometry.bounds
        return (float(x0), float(y0), float(x1), float(y1))

    @property
    def is_valid(self) -> bool:
        """True when the geometry is a non-empty, valid (Multi)Polygon."""
        return (
            isinstance(self.geometry, (Polygon, MultiPolygon))
            and not self.geometry.is_empty
            and bool(self.geometry.is_valid)
        )

    def to_crs(self, crs: CRS | str | int) -> AOI:
        """The AOI in another CRS; edges are densified first so long edges follow the projection.

        Only its part on the Earth moves: a polygon in a projected CRS that reaches into the blank
        part of a map (beyond an Albers cone's cut meridian or around its pole, as drawn across a
        reprojected view) is cut to its part with a place on the globe (:func:`earth_part`); one
        that has none is an ``AOIError`` saying so.
        """
        dst = parse_crs(crs)
        if _same_crs(self.crs, dst):
            return self
        geom = _densify(self.geometry)
        try:
            if self.crs.is_projected:
                on_earth = earth_part(geom, self.crs)
                if on_earth is not geom:
                    geom = _densify(_polygonal(on_earth))
                    if geom.is_empty:
                        raise AOIError(
                            f"the AOI lies in the part of the {_crs_label(self.crs)} map (or view) with "
                            "no Earth, beyond the projection's cut meridian or pole: there is no place there")
            tr = transformer(self.crs, dst)
        except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError) as exc:  # e.g. EPSG:2301
            raise AOIError(f"the AOI's CRS cannot be transformed to {_crs_label(dst)} ({exc})") from exc

        def fn(coords: np.ndarray) -> np.ndarray:
            x, y = tr.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

        try:
            out = shapely.transform(geom, fn)
        except Exception as exc:  # pyproj raises for points outside a projection's domain
            raise AOIError(f"the AOI cannot be transformed to {_crs_label(dst)} ({exc})") from exc
        coords = shapely.get_coordinates(out)
        r = reach(dst)
        if coords.size == 0 or not np.isfinite(coords).all() or \
                (r is not None and not r.holds((*coords.min(axis=0), *coords.max(axis=0)))):
            # e.g. latitude -90 in a north polar stereographic grid: inf, or finite but ~1e23 m
            raise AOIError(
                f"the AOI cannot be transformed to {_crs_label(dst)}: part of it lies outside "
                "the area where that projection is defined"
            )
        if not out.is_valid:  # folded by the projection: the places it covers are the union of its parts
            out = _polygonal(shapely.make_valid(out, method="structure", keep_collapsed=False))
        return AOI(out, dst, self.name)

    @functools.cached_property
    def lonlat_bounds(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of the AOI in lon/lat, None when it has none (computed once)."""
        try:
            return self.to_crs(LONLAT).bounds
        except AOIError:
            return None

    def lonlat(self) -> Polygon | MultiPolygon:
        """The geometry in lon/lat (EPSG:4326)."""
        return self._lonlat

    @functools.cached_property
    def _lonlat(self) -> Polygon | MultiPolygon:
        # computed once: the app lists every AOI's area on each change and scene
        return self.to_crs(LONLAT).geometry

    def area_km2(self) -> float:
        """Geodesic area on the WGS84 ellipsoid, in km² (always positive)."""
        return self._area_km2

    @functools.cached_property
    def _area_km2(self) -> float:
        geom = self.lonlat()
        parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
        total = 0.0
        for part in parts:
            area, _ = _WGS84_GEOD.geometry_area_perimeter(orient(part, 1.0))
            total += abs(area)
        return total / 1e6

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection (RFC 7946: lon/lat, exterior rings counter-clockwise)."""
        geom = self.lonlat()
        if isinstance(geom, MultiPolygon):
            geom = MultiPolygon([orient(p, 1.0) for p in geom.geoms])
        else:
            geom = orient(geom, 1.0)
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": self.name} if self.name else {},
                    "geometry": _lists(mapping(geom)),
                }
            ],
        }


# -- loading ---------------------------------------------------------------------------------------

#: What ``load_aoi`` accepts: a path, inline GeoJSON/WKT text, a GeoJSON dict, a shapely geometry or an AOI.
AOISource = Source | AOI


def load_aoi(source: AOISource, crs: CRS | str | int | None = None) -> AOI:
    """One AOI (the union of every polygon) from a file, inline text, a GeoJSON dict or a geometry.

    Files: GeoJSON and WKT are read by satview; shapefiles, GeoPackages and every other vector
    format OGR knows through pyogrio (all layers with areas, CRS from the layer: a shapefile needs
    its ``.prj``). GeoJSON may be a FeatureCollection, a Feature or a bare geometry; its CRS is
    lon/lat (EPSG:4326) unless a legacy ``crs`` member says otherwise. WKT is lon/lat unless written
    as EWKT (``SRID=32618;POLYGON(...)``); a shapely geometry is lon/lat unless ``crs`` is given.
    ``crs``, when given, overrides whatever the source says. Invalid polygons are repaired (with a
    warning); empty or non-polygonal input raises ``AOIError`` naming the file.

    >>> load_aoi("POLYGON((-78 24.5, -77.5 24.5, -77.5 25, -78 25, -78 24.5))").crs.to_epsg()
    4326
    """
    override = parse_crs_arg(crs)
    if isinstance(source, AOI):
        return source if override is None else replace(source, crs=override)
    path = source_path(source)
    if path is None:
        parts = inline_parts(source)
        name = None
    else:
        parts = file_parts(path, override is not None)
        name = path.stem
    target = override or next((p.crs for p in parts if p.crs is not None), None) or LONLAT_CRS
    return _finish(_union_in(parts, target, override is not None, path), target, name, path)


def read_aoi_file(path: str | os.PathLike[str], crs: CRS | str | int | None = None) -> list[AOI]:
    """Every polygonal feature of a vector file as its own named AOI (picklable: WKB, CRS WKT, name).

    The file kinds and CRS rules are those of :func:`load_aoi`. A feature is named by its ``name``
    property, else ``"<file stem> <n>"`` (just the stem when the file holds one feature). Features
    without an area are skipped with a warning; a file without any raises ``AOIError``. The app
    asks a worker process to run this, so the GUI process never parses the file.

    >>> [a.name for a in read_aoi_file("box.shp")]  # doctest: +SKIP
    ['box']
    """
    override = parse_crs_arg(crs)
    p = source_path(os.fspath(path))
    if p is None:
        raise AOIError("read_aoi_file needs a file name", os.fspath(path))
    parts = file_parts(p, override is not None)
    aois: list[AOI] = []
    skipped: set[str] = set()
    for i, part in enumerate(parts, start=1):
        polys = [g for g in _flatten(part.geometry)
                 if isinstance(g, (Polygon, MultiPolygon)) and not g.is_empty]
        if not polys:
            skipped.update(g.geom_type for g in _flatten(part.geometry) if not g.is_empty)
            continue
        name = part.name or (p.stem if len(parts) == 1 else f"{p.stem} {i}")
        aois.append(_finish(shapely.GeometryCollection(polys), override or part.crs or LONLAT_CRS, name, p))
    if not aois:
        kinds = " and ".join(sorted(skipped)) or "no"
        raise AOIError(f"the AOI must be a polygon (an area); this file holds {kinds} geometry only", p,
                       category=NOT_SUPPORTED)
    if skipped:
        warnings.warn(f"{p}: skipped its {', '.join(sorted(skipped))} features (only polygons are AOIs)",
                      stacklevel=2)
    return aois


def _union_in(parts: list[Part], crs: CRS, crs_given: bool, path: Path | None) -> BaseGeometry:
    """All parts as one collection in ``crs`` (parts of layers in another CRS are reprojected)."""
    same = [p.geometry for p in parts if crs_given or p.crs is None or _same_crs(p.crs, crs)]
    others = [p for p in parts if not crs_given and p.crs is not None and not _same_crs(p.crs, crs)]
    moved = [_finish(p.geometry, p.crs, None, path).to_crs(crs).geometry for p in others if p.crs is not None]
    return shapely.GeometryCollection(same + moved)


def from_pixel_polygon(vertices: list[tuple[float, float]], grid: GeoGrid) -> AOI:
    """An AOI from a polygon drawn on the canvas: ``(col, row)`` vertices in ``grid`` pixels."""
    if grid.crs is None:
        raise AOIError("the scene has no coordinate system, so a drawn polygon cannot be placed on a map")
    pts = [(float(c), float(r)) for c, r in vertices]
    if len({p for p in pts}) < 3:
        raise AOIError("a polygon needs at least three distinct corners")
    t = grid.transform
    ring = [tuple(t @ p) for p in pts]
    return _finish(Polygon(ring), grid.crs, None, None)


def ensure_overlap(aoi: AOI, info: SceneInfo) -> AOI:
    """The part of the AOI over the scene, in the scene's CRS; raises ``AOIError`` (naming the scene
    file) when they are disjoint.

    The AOI is cut to the scene's footprint in the AOI's own CRS before it is projected: a
    whole-world box, or one wider than a hemisphere, has no image in a UTM zone or a polar grid
    as a whole, but its part over the scene has (an antimeridian-crossing lon/lat AOI too).
    """
    grid = info.grid
    if grid.crs is None:
        raise AOIError("the scene has no coordinate system, so an AOI cannot be placed on it", info.path)
    if _far_apart(aoi, info):
        raise _no_overlap(aoi, info)
    scene_poly = _grid_polygon(grid)
    cut = _cut_to_scene(aoi, info)
    local: AOI | None
    if cut is not None:
        local = None if cut.is_empty else AOI(cut, grid.crs, aoi.name)
    else:
        try:
            local = aoi.to_crs(grid.crs)
        except AOIError:
            local = _to_crs_near(aoi, info)
    if local is None or not local.geometry.intersects(scene_poly) or \
            local.geometry.intersection(scene_poly).area <= 0:
        raise _no_overlap(aoi, info)
    return local


def _no_overlap(aoi: AOI, info: SceneInfo) -> AOIError:
    return AOIError(f"the AOI does not overlap the scene (AOI bounds {_fmt_bounds(aoi.lonlat_bounds)} in "
                    f"lon/lat, scene bounds {_fmt_bounds(_scene_lonlat_bounds(info))})", info.path)


def _far_apart(aoi: AOI, info: SceneInfo) -> bool:
    """True when the AOI's and the scene's lon/lat boxes are over a degree apart: the quick answer for
    AOIs of other places (the app marks every AOI against each scene it opens, in the GUI thread; the
    full test reprojects the AOI, tens of ms). Boxes wider than 180 degrees (around a pole), at the
    antimeridian or beyond 80 degrees of latitude are never apart."""
    fp, ab = _scene_lonlat_bounds(info), aoi.lonlat_bounds
    if fp is None or ab is None:
        return False
    (fx0, fy0, fx1, fy1), (ax0, ay0, ax1, ay1) = fp, ab
    if max(fx1 - fx0, ax1 - ax0) > 180 or min(fx0, ax0) < -179 or max(fx1, ax1) > 179 or \
            max(abs(fy0), abs(fy1), abs(ay0), abs(ay1)) > 80.0:
        return False
    return ax0 > fx1 + 1.0 or fx0 > ax1 + 1.0 or ay0 > fy1 + 1.0 or fy0 > ay1 + 1.0


def _cut_to_scene(aoi: AOI, info: SceneInfo) -> Polygon | MultiPolygon | None:
    """The AOI cut to the scene's padded footprint in the AOI's CRS, then projected to the scene's CRS
    (empty when they are disjoint); None when the footprint cannot be placed in the AOI's CRS.

    Lon/lat AOIs: the AOI is repeated 360 degrees east and west (the same places, so AOIs written
    across the antimeridian or beyond +-180 meet the scene) and its part over the footprint is
    projected in slightly overlapping pieces of 90 degrees of longitude, joined in the scene's CRS:
    a part that closes around a pole has no seam along the meridian where it was cut.
    """
    grid = info.grid
    pad = 0.02 * max(grid.width * grid.res[0], grid.height * grid.res[1])
    try:
        if not aoi.crs.is_geographic:
            fp = AOI(_grid_polygon(grid).buffer(pad, join_style="mitre"), grid.crs).to_crs(aoi.crs).geometry
            part = _polygonal(aoi.geometry.intersection(fp))
            return part if part.is_empty else AOI(part, aoi.crs).to_crs(grid.crs).geometry
        fp = _lonlat_footprint(info)
        if fp is None:
            return None
        repeated = shapely.union_all([shapely.affinity.translate(aoi.geometry, dx)
                                      for dx in (-360.0, 0.0, 360.0)])
        over = repeated.intersection(fp)
        pieces = []
        x0, _, x1, _ = fp.bounds
        for k in range(math.floor(x0 / 90.0), math.ceil(x1 / 90.0)):
            piece = _polygonal(over.intersection(shapely.box(k * 90.0 - 1.0, -90.0, k * 90.0 + 91.0, 90.0)))
            if not piece.is_empty:
                pieces.append(AOI(piece, aoi.crs).to_crs(grid.crs).geometry)
        return _polygonal(shapely.union_all(pieces)) if pieces else Polygon()
    except AOIError:
        return None


def _lonlat_footprint(info: SceneInfo) -> BaseGeometry | None:
    """The scene's lon/lat footprint (a polar cap for grids holding a pole), continuous across the
    antimeridian (longitudes up to 360) and padded by a few per cent."""
    fp = info.footprint
    if fp is None:
        return None
    ring = np.asarray(fp.exterior.coords)
    polar = bool(np.any(np.abs(ring[:, 1]) >= 90.0))
    if not polar and np.any(np.abs(np.diff(ring[:, 0])) > 180.0):
        ring[:, 0] = np.where(ring[:, 0] < 0, ring[:, 0] + 360.0, ring[:, 0])
        fp = Polygon(ring)
    x0, y0, x1, y1 = fp.bounds
    return fp.buffer(max(0.02 * max(x1 - x0, y1 - y0), 0.01), join_style="mitre")


# -- helpers -----------------------------------------------------------------------------------------


def _finish(geom: BaseGeometry, crs: CRS, name: str | None, path: Path | None) -> AOI:
    parts = list(_flatten(geom))
    if not parts or all(p.is_empty for p in parts):
        raise AOIError("the AOI is empty (it holds no polygon)", path)
    polys = [p for p in parts if isinstance(p, (Polygon, MultiPolygon)) and not p.is_empty]
    others = sorted({p.geom_type for p in parts if not isinstance(p, (Polygon, MultiPolygon))})
    if not polys:
        raise AOIError(
            f"the AOI must be a polygon (an area); this holds {' and '.join(others)} geometry only", path
        )
    if others:
        warnings.warn(f"{path or 'AOI'}: ignored its {', '.join(others)} parts (only polygons are used)",
                      stacklevel=3)
    if not all(np.isfinite(shapely.get_coordinates(p)).all() for p in polys):
        raise AOIError("the AOI has coordinates that are not finite numbers", path)
    _check_within_reach(polys, crs, path)
    repaired = False
    fixed: list[BaseGeometry] = []
    try:
        for p in polys:
            if not p.is_valid:
                repaired = True
                p = _polygonal(shapely.make_valid(p))
            if not p.is_empty:
                fixed.append(p)
        merged = _polygonal(shapely.union_all(fixed)) if fixed else Polygon()
    except shapely.errors.GEOSException as exc:
        # GEOS gives up on some degenerate rings (denormal coordinates: "side location conflict").
        raise AOIError(f"the AOI polygon is damaged beyond repair ({exc})", path) from exc
    if merged.is_empty or merged.area <= 0:
        raise AOIError("the AOI polygon has no area (it is empty or degenerate)", path)
    if repaired:
        warnings.warn(f"{path or 'AOI'}: the polygon was invalid (e.g. self-intersecting) and was repaired",
                      stacklevel=3)
    return AOI(merged, crs, name)


def _check_within_reach(polys: list[BaseGeometry], crs: CRS, path: Path | None) -> None:
    """Refuse a polygon in a projected CRS that lies far beyond where that CRS is defined (a typo
    that puts a vertex 4,000,000 km north in UTM): see :func:`satview.core.earth.reach`."""
    r = reach(crs)
    bounds = tuple(float(v) for v in shapely.total_bounds(polys))
    if r is not None and not r.holds(bounds):
        x0, y0, x1, y1 = bounds
        raise AOIError(f"the AOI lies far outside the area where {_crs_label(crs)} is used ({r.use_text}): "
                       f"its extent is x {x0:,.0f}..{x1:,.0f}, y {y0:,.0f}..{y1:,.0f}", path)


def _flatten(geom: BaseGeometry):
    if isinstance(geom, shapely.GeometryCollection) or (
        hasattr(geom, "geoms") and not isinstance(geom, MultiPolygon)
    ):
        for g in geom.geoms:
            yield from _flatten(g)
    else:
        yield geom


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """Only the polygonal parts of ``geom`` (make_valid may return lines and points too)."""
    polys: list[Polygon] = []
    for g in _flatten(geom):
        if isinstance(g, Polygon) and not g.is_empty:
            polys.append(g)
        elif isinstance(g, MultiPolygon):
            polys.extend(p for p in g.geoms if not p.is_empty)
    if not polys:
        return Polygon()
    if len(polys) == 1:
        return polys[0]
    merged = shapely.union_all(polys)
    return merged if isinstance(merged, (Polygon, MultiPolygon)) else _polygonal(merged)


def _densify(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    x0, y0, x1, y1 = geom.bounds
    extent = max(x1 - x0, y1 - y0)
    if not math.isfinite(extent) or extent <= 0:
        return geom
    return shapely.segmentize(geom, extent / _DENSIFY_STEPS)


def _same_crs(a: CRS, b: CRS) -> bool:
    try:
        return a == b
    except Exception:  # CRSs that cannot be compared are treated as different (the AOI is reprojected)
        return False


def _crs_label(crs: CRS) -> str:
    code = epsg_of(crs) if crs else None  # cached: these labels are built for errors callers often catch
    return f"EPSG:{code}" if code else "the target CRS"


def _lists(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_lists(v) for v in obj]
    return obj


def _grid_polygon(grid: GeoGrid) -> Polygon:
    t = grid.transform
    w, h = grid.width, grid.height
    return Polygon([t @ (0, 0), t @ (w, 0), t @ (w, h), t @ (0, h)])


def _to_crs_near(aoi: AOI, info: SceneInfo) -> AOI | None:
    """Reproject only the part of the AOI near the scene (for AOIs that leave a projection's domain)."""
    if info.footprint is None:
        return None
    try:
        ll = aoi.lonlat()
    except AOIError:
        return None
    fx0, fy0, fx1, fy1 = info.footprint.bounds
    pad = max(fx1 - fx0, fy1 - fy0, 0.1)
    near = ll.intersection(shapely.box(fx0 - pad, fy0 - pad, fx1 + pad, fy1 + pad))
    near = _polygonal(near)
    if near.is_empty:
        return None
    try:
        return AOI(near, LONLAT_CRS, aoi.name).to_crs(info.grid.crs)
    except AOIError:
        return None


def _scene_lonlat_bounds(info: SceneInfo) -> tuple[float, ...] | None:
    if info.footprint is not None:
        return tuple(float(v) for v in info.footprint.bounds)
    return None


def _fmt_bounds(b: tuple[float, ...] | None) -> str:
    if b is None:
        return "unknown"
    return "W {:.4f}, S {:.4f}, E {:.4f}, N {:.4f}".format(*b)
