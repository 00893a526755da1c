"""Polygons from GIS vector files (shapefile, GeoPackage, FlatGeobuf, KML, GML, ...) through pyogrio.

pyogrio is GDAL/OGR's vector side with numpy in and out. satview takes from each layer only the
geometries (WKB, turned into shapely), the layer's CRS (a shapefile's ``.prj``, a GeoPackage's
``gpkg_spatial_ref_sys``) and a ``name`` field when there is one. :mod:`satview.core.aoi` imports
this module only for such files: importing pyogrio loads its own copy of GDAL (and pandas, when
that is installed), which GeoJSON and WKT areas of interest do not need.

Every failure about the file's bytes is an ``AOIError`` naming the file, with the category "not a
supported file" (OGR recognises no format) or "truncated or corrupt"; anything else is a bug and
propagates as it is.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import pyogrio.errors
import shapely
import shapely.errors
from rasterio.crs import CRS
from rasterio.errors import CRSError as RasterioCRSError
from shapely.geometry.base import BaseGeometry

import satview.core.env  # noqa: F401  (GDAL options: no side-cars, no folder listing)
from satview.core.guard import check_path
from satview.errors import CORRUPT, NOT_SUPPORTED, AOIError, SatviewError

#: Files that belong to a shapefile next to its ``.shp`` (checked to be regular files before OGR opens them).
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")
#: OGR layer geometry types that can hold areas ("Unknown" layers mix types: their features are filtered).
_AREA_TYPES = ("Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "Polygon M", "MultiPolygon M",
               "Polygon ZM", "MultiPolygon ZM", "GeometryCollection", "GeometryCollection Z", "Unknown")


@dataclass(frozen=True)
class VectorFeature:
    """One feature of a vector layer: its geometry, its ``name`` field (if any) and the layer's CRS."""

    geometry: BaseGeometry
    name: str | None
    crs: CRS | None
    layer: str


def read_vector_features(path: Path) -> tuple[list[VectorFeature], list[str]]:
    """Features of every layer of ``path`` that may hold areas, and the geometry types of the other layers.

    Null geometries are skipped. Raises ``AOIError`` naming the file when OGR cannot read it.
    """
    _check_shapefile(path)
    try:
        with warnings.catch_warnings():  # GDAL's remarks on a damaged file: the error below says it
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise _file_error(exc, path) from exc
    features: list[VectorFeature] = []
    skipped: list[str] = []
    for layer, geom_type in layers:
        if geom_type is None:
            continue  # a table without geometry (e.g. GeoPackage attributes)
        if str(geom_type) not in _AREA_TYPES:
            skipped.append(str(geom_type))
            continue
        features.extend(_read_layer(path, str(layer)))
    return features, skipped


def _read_layer(path: Path, layer: str) -> list[VectorFeature]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            info = pyogrio.read_info(path, layer=layer)
            name_field = next((f for f in info["fields"] if str(f).lower() == "name"), None)
            meta, _, wkbs, fields = pyogrio.raw.read(path, layer=layer, force_2d=True,  # areas are 2-D
                                                     columns=[name_field] if name_field else [])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeDecodeError) as exc:
        raise _file_error(exc, path) from exc
    crs = _layer_crs(meta.get("crs"), path)
    names = fields[0] if name_field and len(fields) else [None] * len(wkbs)
    out: list[VectorFeature] = []
    for wkb, name in zip(wkbs, names, strict=True):
        if wkb is None:
            continue
        try:
            geom = shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as exc:
            raise AOIError(f"a geometry in layer {layer!r} cannot be read ({exc})", path,
                           category=CORRUPT) from exc
        out.append(VectorFeature(geom, str(name) if name not in (None, "") else None, crs, layer))
    return out


def _layer_crs(value: str | None, path: Path) -> CRS | None:
    if not value:
        return None
    try:
        return CRS.from_user_input(value)
    except RasterioCRSError as exc:
        raise AOIError("the file's coordinate system cannot be read", path, category=CORRUPT) from exc


def _check_shapefile(path: Path) -> None:
    """A shapefile's side-cars are regular files, and its ``.shp`` is as long as its header says.

    OGR reads the records of a truncated ``.shp`` as null shapes without an error; the header's file
    length (16-bit words, big-endian, bytes 24-27) tells a truncated file from one with null shapes.
    """
    if path.suffix.lower() != ".shp":
        return
    for suffix in _SHAPEFILE_SIDECARS:
        for sidecar in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if os.path.lexists(sidecar):
                check_path(sidecar, allow_empty=True)
    with open(path, "rb") as fh:
        head = fh.read(28)
        size = os.fstat(fh.fileno()).st_size
    if len(head) < 28 or struct.unpack(">i", head[:4])[0] != 9994:
        raise AOIError("this is not an ESRI shapefile (its header is not a shapefile header)", path,
                       category=NOT_SUPPORTED)
    declared = 2 * struct.unpack(">i", head[24:28])[0]
    if size < declared:
        raise AOIError(f"the shapefile is truncated: its header says {declared} bytes, the file has {size}",
                       path, category=CORRUPT)


def _file_error(exc: Exception, path: Path) -> SatviewError:
    text = " ".join(str(exc).split())
    low = text.lower()
    if "not recognized as being in a supported file format" in low:
        return AOIError("not a vector file satview reads (GeoJSON, WKT, shapefile, GeoPackage or another "
                        "format OGR knows)", path, category=NOT_SUPPORTED)
    if ".shx" in low and "shape_restore_shx" in low:
        return AOIError("the shapefile's .shx index file is missing (a shapefile needs its .shp, .shx "
                        "and .prj)", path, category=CORRUPT)
    text = text.replace(str(path), path.name)
    return AOIError(f"the vector file is damaged or cannot be read ({text[:200]})", path, category=CORRUPT)
