"""Where AOI geometries come from: a file (GeoJSON, WKT, or a vector format OGR reads), inline
GeoJSON/WKT text, a GeoJSON dict or a shapely geometry; each as :class:`Part` values (geometry, CRS, name).

GeoJSON and WKT are parsed here with ``json`` and shapely: they are the common case (the CLI, batch
and the benchmarks pass GeoJSON), need no GDAL and keep the GeoJSON CRS rules exact (lon/lat unless
a legacy ``crs`` member says otherwise; OGC CRS84 is lon/lat). Shapefiles, GeoPackages and every
other OGR vector format go through pyogrio (:mod:`satview.core.vector_files`), imported only for
them. :mod:`satview.core.aoi` turns parts into validated AOIs.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
import shapely.errors
from rasterio.crs import CRS
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from satview.core.geo import parse_crs
from satview.core.guard import check_path, open_regular
from satview.errors import CORRUPT, NOT_REGULAR, NOT_SUPPORTED, AOIError, CRSError

#: What can hold AOI geometries: a path, inline GeoJSON/WKT text, a GeoJSON dict or a shapely geometry.
Source = str | os.PathLike[str] | dict[str, Any] | BaseGeometry

#: Suffixes read as text (GeoJSON or WKT) by satview itself; any other file goes to OGR (pyogrio).
_TEXT_SUFFIXES = frozenset({".geojson", ".json", ".wkt", ".txt"})


@dataclass(frozen=True)
class Part:
    """A geometry read from a source, with its CRS (None: the source does not say) and feature name."""

    geometry: BaseGeometry
    crs: CRS | None
    name: str | None


def source_path(source: Source) -> Path | None:
    """The file ``source`` names, or None for inline GeoJSON/WKT, a dict or a geometry."""
    if isinstance(source, os.PathLike):
        return Path(source)
    if not isinstance(source, str):
        return None
    text = source.strip()
    if not text:
        raise AOIError("the AOI is empty (no file name, WKT or GeoJSON was given)")
    return None if _looks_inline(text) else Path(text).expanduser()


def inline_parts(source: Source) -> list[Part]:
    """The geometries of inline GeoJSON/WKT text, a GeoJSON dict or a shapely geometry."""
    if isinstance(source, BaseGeometry):
        return [Part(source, None, None)]
    if isinstance(source, dict):
        return _from_geojson(source, None)
    if isinstance(source, str):
        return _parse_text(source, None)
    raise TypeError(f"an AOI is a path, GeoJSON or WKT text, a GeoJSON dict or a shapely geometry, "
                    f"not {type(source).__name__}")


def file_parts(path: Path, crs_given: bool) -> list[Part]:
    """The geometries of the file at ``path`` (checked first: no FIFOs, devices, folders or URLs)."""
    if not os.path.lexists(path):
        raise AOIError("the AOI file does not exist", path, category=NOT_REGULAR)
    check_path(path, allow_dir=True, allow_empty=True)
    if path.is_dir():
        raise AOIError("this is a folder; give a GeoJSON, WKT, shapefile or GeoPackage file", path,
                       category=NOT_REGULAR)
    if path.suffix.lower() in _TEXT_SUFFIXES or _starts_like_text_aoi(path):
        return _parse_text(_read_text(path), path)
    from satview.core.vector_files import read_vector_features  # pyogrio: only for OGR formats

    features, skipped = read_vector_features(path)
    if not features:
        what = f"only {' and '.join(sorted(set(skipped)))} layers" if skipped else "no geometry"
        raise AOIError(f"the AOI must be a polygon (an area); this file holds {what}", path,
                       category=NOT_SUPPORTED)
    if not crs_given and any(f.crs is None for f in features):
        what = "no .prj file" if path.suffix.lower() == ".shp" else "a layer without a coordinate system"
        raise AOIError(f"the file has {what}, so its coordinate system is unknown; give the CRS "
                       "explicitly", path, category=CORRUPT)
    return [Part(f.geometry, f.crs, f.name) for f in features]


def _starts_like_text_aoi(path: Path) -> bool:
    """True when a file of another suffix begins like GeoJSON (``{``) or WKT (``POLYGON (...``)."""
    with open_regular(path) as fh:
        head = fh.read(256).decode("utf-8", "ignore").lstrip("\ufeff \t\r\n")
    return bool(head) and _looks_inline(head)


def _read_text(path: Path) -> str:
    try:
        with open_regular(path) as fh:
            raw = fh.read()
    except OSError as exc:
        raise AOIError(f"cannot read the AOI file ({exc.strerror or exc})", path) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AOIError("the AOI file is not text (GeoJSON or WKT expected)", path,
                       category=NOT_SUPPORTED) from exc


def parse_crs_arg(crs: CRS | str | int | None) -> CRS | None:
    """A CRS given by the user for an AOI (None stays None); a bad one is an ``AOIError``."""
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


def _parse_text(text: str, path: Path | None) -> list[Part]:
    stripped = text.strip()
    if not stripped:
        raise AOIError("the AOI file is empty", path, category=CORRUPT)
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise AOIError(f"the GeoJSON is not valid JSON ({exc.msg} at line {exc.lineno})", path,
                           category=CORRUPT) from exc
        except RecursionError as exc:
            raise AOIError("the GeoJSON is nested too deeply", path, category=CORRUPT) from exc
        return _from_geojson(doc, path)
    return _from_wkt(stripped, path)


def _from_wkt(text: str, path: Path | None) -> list[Part]:
    src_crs: CRS | None = None
    m = re.match(r"^SRID=(\d+);(.*)$", text, flags=re.I | re.S)
    if m:
        src_crs = parse_crs_arg(m.group(1))
        text = m.group(2)
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.ShapelyError as exc:
        raise AOIError(
            "cannot read the AOI: it is neither GeoJSON nor WKT (expected e.g. 'POLYGON((...))')", path,
            category=NOT_SUPPORTED,
        ) from exc
    return [Part(geom, src_crs, None)]


def _from_geojson(doc: Any, path: Path | None) -> list[Part]:
    """One part per feature (named by its ``name`` property); every part in the document's CRS."""
    if not isinstance(doc, dict) or "type" not in doc:
        raise AOIError("the JSON is not GeoJSON (no 'type' member)", path, category=NOT_SUPPORTED)
    src_crs = _legacy_crs(doc.get("crs"), path)
    kind = doc["type"]
    if kind == "FeatureCollection":
        features = doc.get("features") or []
        found = [(f.get("geometry"), f.get("properties")) for f in features if isinstance(f, dict)]
    elif kind == "Feature":
        found = [(doc.get("geometry"), doc.get("properties"))]
    else:
        found = [(doc, None)]
    parts: list[Part] = []
    for g, props in found:
        if not g:
            continue
        try:
            geom = shape(g)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError,
                shapely.errors.ShapelyError) as exc:  # what shapely raises for malformed GeoJSON
            raise AOIError(f"a GeoJSON geometry cannot be read ({type(exc).__name__}: {exc})", path,
                           category=CORRUPT) from exc
        name = props.get("name") if isinstance(props, dict) else None
        parts.append(Part(geom, src_crs, str(name) if name not in (None, "") else None))
    if not parts:
        raise AOIError("the GeoJSON holds no geometry", path, category=CORRUPT)
    return parts


def _legacy_crs(member: Any, path: Path | None) -> CRS | None:
    """The CRS of a pre-RFC 7946 ``crs`` member (``{"type": "name", "properties": {"name": ...}}``)."""
    if not member:
        return None
    if not isinstance(member, dict):
        raise AOIError("the GeoJSON 'crs' member must be an object", path)
    props = member.get("properties")
    props = props if isinstance(props, dict) else {}
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
