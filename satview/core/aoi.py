"""Areas of interest: load polygons (GeoJSON, WKT, Shapefile, canvas drawings), reproject, measure."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from rasterio.crs import CRS
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from satview.core.geo import LONLAT, parse_crs, transformer
from satview.core.types import GeoGrid, SceneInfo
from satview.errors import AOIError, CRSError

#: Edges are split into this many pieces of the AOI's extent (at least) before reprojection.
_DENSIFY_STEPS = 256
_WGS84_GEOD = Geod(ellps="WGS84")


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
        """The AOI in another CRS; edges are densified first so long edges follow the projection."""
        dst = parse_crs(crs)
        if _same_crs(self.crs, dst):
            return self
        geom = _densify(self.geometry)
        tr = transformer(self.crs, dst)

        def fn(coords: np.ndarray) -> np.ndarray:
            x, y = tr.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

        try:
            out = shapely.transform(geom, fn)
        except Exception as exc:  # pyproj raises for points outside a projection's domain
            raise AOIError(f"the AOI cannot be transformed to {_crs_label(dst)} ({exc})") from exc
        coords = shapely.get_coordinates(out)
        if coords.size == 0 or not np.isfinite(coords).all():
            raise AOIError(
                f"the AOI cannot be transformed to {_crs_label(dst)}: part of it lies outside "
                "the area where that projection is defined"
            )
        if not out.is_valid:
            out = _polygonal(shapely.make_valid(out))
        return AOI(out, dst, self.name)

    def lonlat(self) -> Polygon | MultiPolygon:
        """The geometry in lon/lat (EPSG:4326)."""
        return self.to_crs(LONLAT).geometry

    def area_km2(self) -> float:
        """Geodesic area on the WGS84 ellipsoid, in km² (always positive)."""
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


def load_aoi(source: str | os.PathLike[str], crs: CRS | str | int | None = None) -> AOI:
    """Load an AOI from a GeoJSON / WKT / Shapefile path, or from an inline GeoJSON or WKT string.

    GeoJSON may be a FeatureCollection, a Feature or a bare geometry; several polygons become
    their union. Its CRS is lon/lat (EPSG:4326) unless a legacy ``crs`` member says otherwise.
    WKT is lon/lat unless written as EWKT (``SRID=32618;POLYGON(...)``). A Shapefile (``.shp``)
    needs its ``.prj``. ``crs``, when given, overrides whatever the source says. Invalid
    polygons are repaired (with a warning); empty or non-polygonal input raises ``AOIError``.
    """
    override = _parse_crs_arg(crs)
    path: Path | None = None
    if isinstance(source, os.PathLike):
        path = Path(source)
    else:
        text = str(source).strip()
        if not text:
            raise AOIError("the AOI is empty (no file name, WKT or GeoJSON was given)")
        if not _looks_inline(text):
            path = Path(text).expanduser()
    if path is None:
        geom, src_crs = _parse_text(str(source), None)
        name = None
    else:
        if not path.exists():
            raise AOIError("the AOI file does not exist", path)
        if path.is_dir():
            raise AOIError("this is a folder; give a GeoJSON, WKT or Shapefile", path)
        if path.suffix.lower() == ".shp":
            geom, src_crs = _read_shapefile(path, override is not None)
        else:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise AOIError("the AOI file is not text (GeoJSON or WKT expected)", path) from exc
            except OSError as exc:
                raise AOIError(f"cannot read the AOI file ({exc.strerror or exc})", path) from exc
            geom, src_crs = _parse_text(text, path)
        name = path.stem
    return _finish(geom, override or src_crs or CRS.from_epsg(4326), name, path)


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
    """The AOI in the scene's CRS; raises ``AOIError`` (naming the scene file) when they are disjoint."""
    grid = info.grid
    if grid.crs is None:
        raise AOIError("the scene has no coordinate system, so an AOI cannot be placed on it", info.path)
    scene_poly = _grid_polygon(grid)
    try:
        local = aoi.to_crs(grid.crs)
    except AOIError:
        local = _to_crs_near(aoi, info)
    if local is None or not local.geometry.intersects(scene_poly) or \
            local.geometry.intersection(scene_poly).area <= 0:
        raise AOIError(
            f"the AOI does not overlap the scene (AOI bounds {_fmt_bounds(_lonlat_bounds(aoi))} "
            f"in lon/lat, scene bounds {_fmt_bounds(_scene_lonlat_bounds(info))})",
            info.path,
        )
    return local


# -- helpers -----------------------------------------------------------------------------------------


def _parse_crs_arg(crs: CRS | str | int | None) -> CRS | None:
    if crs is None:
        return None
    try:
        return parse_crs(crs)
    except CRSError as exc:
        raise AOIError(exc.message) from exc


def _looks_inline(text: str) -> bool:
    if text.startswith(("{", "[")):
        return True
    head = re.sub(r"^SRID=\d+;", "", text, flags=re.I).lstrip().upper()
    kinds = r"(MULTI)?(POLYGON|POINT|LINESTRING)|GEOMETRYCOLLECTION"
    return bool(re.match(kinds, head)) and ("(" in head or head.endswith("EMPTY"))


def _parse_text(text: str, path: Path | None) -> tuple[BaseGeometry, CRS | None]:
    stripped = text.strip()
    if not stripped:
        raise AOIError("the AOI file is empty", path)
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise AOIError(f"the GeoJSON is not valid JSON ({exc.msg} at line {exc.lineno})", path) from exc
        return _from_geojson(doc, path)
    return _from_wkt(stripped, path)


def _from_wkt(text: str, path: Path | None) -> tuple[BaseGeometry, CRS | None]:
    src_crs: CRS | None = None
    m = re.match(r"^SRID=(\d+);(.*)$", text, flags=re.I | re.S)
    if m:
        src_crs = _parse_crs_arg(m.group(1))
        text = m.group(2)
    try:
        geom = shapely.from_wkt(text)
    except Exception as exc:
        raise AOIError(
            "cannot read the AOI: it is neither GeoJSON nor WKT (expected e.g. 'POLYGON((...))')", path
        ) from exc
    return geom, src_crs


def _from_geojson(doc: Any, path: Path | None) -> tuple[BaseGeometry, CRS | None]:
    if not isinstance(doc, dict) or "type" not in doc:
        raise AOIError("the JSON is not GeoJSON (no 'type' member)", path)
    src_crs = _legacy_crs(doc.get("crs"), path)
    kind = doc["type"]
    if kind == "FeatureCollection":
        features = doc.get("features") or []
        geoms = [f.get("geometry") for f in features if isinstance(f, dict)]
    elif kind == "Feature":
        geoms = [doc.get("geometry")]
    else:
        geoms = [doc]
    shapes: list[BaseGeometry] = []
    for g in geoms:
        if not g:
            continue
        try:
            shapes.append(shape(g))
        except Exception as exc:
            raise AOIError(f"a GeoJSON geometry cannot be read ({exc})", path) from exc
    if not shapes:
        raise AOIError("the GeoJSON holds no geometry", path)
    return shapely.GeometryCollection(shapes), src_crs


def _legacy_crs(member: Any, path: Path | None) -> CRS | None:
    """The CRS of a pre-RFC 7946 ``crs`` member (``{"type": "name", "properties": {"name": ...}}``)."""
    if not member:
        return None
    if not isinstance(member, dict):
        raise AOIError("the GeoJSON 'crs' member is not an object", path)
    props = member.get("properties") if isinstance(member.get("properties"), dict) else {}
    value = props.get("name") or props.get("code")
    if str(member.get("type", "")).upper() == "EPSG" and props.get("code") is not None:
        value = f"EPSG:{props['code']}"
    if not value:
        return None
    if str(value).upper().endswith(("CRS84", "CRS:84")):
        return CRS.from_epsg(4326)
    try:
        return parse_crs(str(value))
    except CRSError as exc:
        raise AOIError(f"the GeoJSON 'crs' member {value!r} is not a CRS satview understands", path) from exc


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
    repaired = False
    fixed: list[BaseGeometry] = []
    for p in polys:
        if not p.is_valid:
            repaired = True
            p = _polygonal(shapely.make_valid(p))
        if not p.is_empty:
            fixed.append(p)
    merged = _polygonal(shapely.union_all(fixed)) if fixed else Polygon()
    if merged.is_empty or merged.area <= 0:
        raise AOIError("the AOI polygon has no area (it is empty or degenerate)", path)
    if repaired:
        warnings.warn(f"{path or 'AOI'}: the polygon was invalid (e.g. self-intersecting) and was repaired",
                      stacklevel=3)
    if not np.isfinite(shapely.get_coordinates(merged)).all():
        raise AOIError("the AOI has coordinates that are not finite numbers", path)
    return AOI(merged, crs, name)


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
    except Exception:
        return False


def _crs_label(crs: CRS) -> str:
    code = crs.to_epsg() if crs else None
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
        return AOI(near, CRS.from_epsg(4326), aoi.name).to_crs(info.grid.crs)
    except AOIError:
        return None


def _lonlat_bounds(aoi: AOI) -> tuple[float, ...] | None:
    try:
        return aoi.to_crs(LONLAT).bounds
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


# -- Shapefile (polygon .shp + .prj), read without GDAL/OGR --------------------------------------------

_SHP_POLYGON_TYPES = {5, 15, 25}  # Polygon, PolygonZ, PolygonM
_SHP_TYPE_NAMES = {0: "null", 1: "Point", 3: "LineString", 8: "MultiPoint", 11: "PointZ", 13: "LineStringZ",
                   18: "MultiPointZ", 21: "PointM", 23: "LineStringM", 28: "MultiPointM", 31: "MultiPatch"}


def _read_shapefile(path: Path, crs_given: bool) -> tuple[BaseGeometry, CRS | None]:
    """Polygons of an ESRI Shapefile (union of all records) and the CRS from its ``.prj``."""
    data = path.read_bytes()
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise AOIError("this is not an ESRI Shapefile (bad header)", path)
    shape_type = struct.unpack("<i", data[32:36])[0]
    if shape_type not in _SHP_POLYGON_TYPES:
        kind = _SHP_TYPE_NAMES.get(shape_type, f"type {shape_type}")
        raise AOIError(f"the AOI must be a polygon (an area); this Shapefile holds {kind} shapes", path)
    polys: list[BaseGeometry] = []
    pos = 100
    while pos + 8 <= len(data):
        _, words = struct.unpack(">ii", data[pos:pos + 8])
        if words < 0:
            raise AOIError("the Shapefile is damaged (a record declares a negative length)", path)
        content = data[pos + 8:pos + 8 + 2 * words]
        pos += 8 + 2 * words
        if len(content) < 4 or struct.unpack("<i", content[:4])[0] == 0:
            continue  # null shape
        try:
            n_parts, n_points = struct.unpack("<ii", content[36:44])
            parts = list(struct.unpack(f"<{n_parts}i", content[44:44 + 4 * n_parts]))
            start = 44 + 4 * n_parts
            xy = np.frombuffer(content, dtype="<f8", count=2 * n_points, offset=start).reshape(-1, 2)
        except (struct.error, ValueError) as exc:
            raise AOIError("the Shapefile is damaged (a record is truncated)", path) from exc
        if n_parts < 1 or any(not 0 <= a <= n_points for a in parts) or not np.isfinite(xy).all():
            raise AOIError("the Shapefile is damaged (a polygon's parts or coordinates are invalid)", path)
        rings = [xy[a:b] for a, b in zip(parts, [*parts[1:], n_points], strict=True)]
        polys.extend(_rings_to_polygons([r for r in rings if len(r) >= 3]))
    src_crs: CRS | None = None
    prj = path.with_suffix(".prj")
    if not prj.exists():
        prj = path.with_suffix(".PRJ")
    if prj.exists():
        try:
            src_crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace").strip())
        except Exception as exc:
            raise AOIError(f"the coordinate system in {prj.name} cannot be read", path) from exc
    elif not crs_given:
        raise AOIError("the Shapefile has no .prj file, so its coordinate system is unknown; "
                       "give the CRS explicitly", path)
    return shapely.GeometryCollection(polys), src_crs


def _rings_to_polygons(rings: list[np.ndarray]) -> list[Polygon]:
    """Shapefile rings -> polygons: clockwise rings are shells, counter-clockwise ones are holes."""
    shells: list[np.ndarray] = []
    holes: list[np.ndarray] = []
    for r in rings:
        x, y = r[:, 0], r[:, 1]
        signed = 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))
        (shells if signed < 0 else holes).append(r)
    if not shells:  # wrongly oriented file: treat every ring as a shell
        shells, holes = holes, []
    owned: list[list[np.ndarray]] = [[] for _ in shells]
    shell_polys = [Polygon(s) for s in shells]
    for h in holes:
        probe = shapely.Point(h[0])
        for i, sp in enumerate(shell_polys):
            if sp.covers(probe):
                owned[i].append(h)
                break
    return [Polygon(s, owned[i]) for i, s in enumerate(shells)]
