"""Scene facts written into exported GeoTIFFs, so that an output means what its source meant.

Shared by clips and reprojections. Two audiences:

- **a GIS** (GDAL, QGIS): band descriptions (the band names), GDAL scale/offset/unit for linear
  calibrations, the file's nodata, default-domain tags (Landsat facts, band roles, K1/K2 of
  brightness temperatures, QA decoder, CF-style flag values/meanings), the ``IMAGERY`` domain
  (satellite, cloud cover, acquisition time; band wavelengths), a colour table for a sea-ice band
  (drawn as satview draws it) and, in the ``OUT.tif.aux.xml`` side-car GDAL reads for GeoTIFFs,
  category names and a raster attribute table for bands with named flag values (GeoTIFF itself
  cannot hold them);
- **satview**: the ``SATVIEW`` domain (:mod:`satview.core.satview_domain`), from which the GeoTIFF
  reader rebuilds every band's ``BandInfo`` and the scene's ``LandsatInfo``.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from satview.core.atomic import atomic_path, atomic_paths
from satview.core.satview_domain import BAND_ITEM, DOMAIN, SCENE_ITEM, band_record, encode, scene_record
from satview.core.seaice import color_table, flag_color, is_seaice_band
from satview.core.types import BandInfo, SceneInfo

_BT_FORMULA = "BT = K2 / ln(K1 / (DN * RADIANCE_MULT + RADIANCE_ADD) + 1), in K"


def _same_value(a: float, b: float | None) -> bool:
    if b is None:
        return False
    a, b = float(a), float(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def scene_tags(info: SceneInfo, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Dataset tags: the source file, the scene's Landsat facts and ``extra``."""
    tags: dict[str, str] = {"SATVIEW_SOURCE": os.path.basename(info.path), "AREA_OR_POINT": "Area"}
    tags.update(extra or {})
    ls = info.landsat
    if ls is not None:
        facts = {
            "LANDSAT_PRODUCT_ID": ls.product_id, "LANDSAT_SCENE_ID": ls.scene_id,
            "SPACECRAFT_ID": ls.spacecraft, "SENSOR_ID": ls.sensor, "COLLECTION": ls.collection,
            "PROCESSING_LEVEL": ls.level, "COLLECTION_CATEGORY": ls.tier,
            "DATE_ACQUIRED": ls.acquired.isoformat() if ls.acquired else None,
            "SCENE_CENTER_TIME": ls.scene_center_time, "WRS_PATH": ls.wrs_path, "WRS_ROW": ls.wrs_row,
            "CLOUD_COVER": ls.cloud_cover, "CLOUD_COVER_LAND": ls.cloud_cover_land,
            "SUN_ELEVATION": ls.sun_elevation, "SUN_AZIMUTH": ls.sun_azimuth,
            "EARTH_SUN_DISTANCE": ls.earth_sun_distance,
        }  # fmt: skip
        tags.update({k: str(v) for k, v in facts.items() if v is not None})
    return tags


def band_tags(b: BandInfo, nodata: float | None) -> dict[str, str]:
    """Per-band tags: name, role, description, wavelength, quantity, categories, thermal constants."""
    cal = b.calibration
    btags: dict[str, str] = {"NAME": b.name, "ROLE": b.role}
    if b.description:
        btags["DESCRIPTION"] = b.description
    if b.common_name:
        btags["COMMON_NAME"] = b.common_name
    if b.wavelength:
        btags["WAVELENGTH_UM"] = f"{b.wavelength[0]}-{b.wavelength[1]}"
    if cal.quantity:
        btags["QUANTITY"] = cal.quantity
    if b.categorical:
        btags["CATEGORICAL"] = "YES"
    if b.qa:
        btags["QA_DECODER"] = b.qa
    if b.flags:  # CF attribute names: what netCDF users know
        btags["FLAG_VALUES"] = " ".join(_number(v) for v, _ in b.flags)
        btags["FLAG_MEANINGS"] = " ".join(name.replace(" ", "_") for _, name in b.flags)
    if b.valid_range:
        btags["VALID_RANGE"] = f"{_number(b.valid_range[0])} {_number(b.valid_range[1])}"
    if b.nodata is not None and not _same_value(b.nodata, nodata):
        btags["SOURCE_NODATA"] = str(b.nodata)
    if cal.kind == "brightness_temperature":
        btags.update({
            "RADIANCE_MULT": repr(cal.scale), "RADIANCE_ADD": repr(cal.offset),
            "K1_CONSTANT": repr(cal.k1), "K2_CONSTANT": repr(cal.k2), "CALIBRATION": _BT_FORMULA,
        })  # fmt: skip
    return btags


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def imagery_tags(info: SceneInfo) -> dict[str, str]:
    """GDAL's ``IMAGERY`` domain items of the scene (satellite, cloud cover, acquisition time)."""
    ls = info.landsat
    if ls is None:
        return {}
    tags = {"SATELLITEID": ls.spacecraft}
    if ls.cloud_cover is not None and math.isfinite(ls.cloud_cover):
        tags["CLOUDCOVER"] = repr(ls.cloud_cover)
    if ls.acquired is not None:
        time = (ls.scene_center_time or "").strip().strip('"').rstrip("Z")
        tags["ACQUISITIONDATETIME"] = f"{ls.acquired.isoformat()} {time}".strip()
    return tags


def write_scene_metadata(dst: Any, info: SceneInfo, infos: Sequence[BandInfo], nodata: float | None,
                         extra: dict[str, str] | None = None) -> None:
    """Write dataset and band tags, band descriptions, GDAL scale/offset/unit, the ``SATVIEW`` and
    ``IMAGERY`` domains and (one uint8 sea-ice band) a colour table to the open GeoTIFF ``dst``.

    Only linear calibrations become GDAL scale/offset (a brightness temperature is not linear: its
    constants go into band tags instead, so no tool shows radiance labelled as kelvin).
    """
    dst.update_tags(**scene_tags(info, extra))
    dst.update_tags(ns=DOMAIN, **{SCENE_ITEM: encode(scene_record(info, extra))})
    imagery = imagery_tags(info)
    if imagery:
        dst.update_tags(ns="IMAGERY", **imagery)
    scales, offsets, units = [], [], []
    for i, b in enumerate(infos, start=1):
        dst.set_band_description(i, b.name)
        cal = b.calibration
        linear = cal.kind == "linear"
        scales.append(cal.scale if linear else 1.0)
        offsets.append(cal.offset if linear else 0.0)
        units.append(cal.unit if linear else "")
        dst.update_tags(i, **band_tags(b, nodata))
        dst.update_tags(i, ns=DOMAIN, **{BAND_ITEM: encode(band_record(b))})
        if b.wavelength:
            lo, hi = b.wavelength
            dst.update_tags(i, ns="IMAGERY", CENTRAL_WAVELENGTH_UM=f"{(lo + hi) / 2:g}",
                            FWHM_UM=f"{hi - lo:g}")
    dst.scales = tuple(scales)
    dst.offsets = tuple(offsets)
    dst.units = tuple(units)
    if len(infos) == 1 and dst.dtypes[0] == "uint8" and is_seaice_band(infos[0]):
        dst.write_colormap(1, color_table(infos[0]))


#: GDAL raster attribute table field types and usages (gdal.h GDALRATFieldType / GDALRATFieldUsage).
_RAT_INTEGER, _RAT_STRING = 0, 2
_RAT_USAGE = {"VALUE": 5, "CLASS": 2, "RED": 6, "GREEN": 7, "BLUE": 8, "ALPHA": 9}
#: Category names are listed per DN from 0: only for flags below this value.
_MAX_CATEGORY_VALUE = 65536


def categories_aux_xml(infos: Sequence[BandInfo]) -> str | None:
    """The ``.aux.xml`` side-car text holding each flagged band's category names and raster
    attribute table (value, class name, and for sea ice the legend colour), or None when no band
    has named flag values. GDAL keeps a GeoTIFF's categories in this side-car, never in the file."""
    bands: list[str] = []
    for i, b in enumerate(infos, start=1):
        flags = [(int(v), name) for v, name in b.flags
                 if float(v).is_integer() and 0 <= v < _MAX_CATEGORY_VALUE]
        if not flags:
            continue
        names = dict(flags)
        cats = "".join(f"<Category>{escape(names.get(v, ''))}</Category>" for v in range(max(names) + 1))
        columns = ["VALUE", "CLASS"] + (["RED", "GREEN", "BLUE", "ALPHA"] if is_seaice_band(b) else [])
        fields = "".join(
            f'<FieldDefn index="{k}"><Name>{c}</Name><Type>{_RAT_STRING if c == "CLASS" else _RAT_INTEGER}'
            f"</Type><Usage>{_RAT_USAGE[c]}</Usage></FieldDefn>" for k, c in enumerate(columns))
        rows = []
        for k, (value, name) in enumerate(flags):
            cells = [str(value), escape(name)]
            if len(columns) > 2:
                cells += [str(c) for c in (*flag_color(name), 255)]
            rows.append(f'<Row index="{k}">' + "".join(f"<F>{c}</F>" for c in cells) + "</Row>")
        bands.append(f'  <PAMRasterBand band="{i}">\n    <CategoryNames>{cats}</CategoryNames>\n'
                     f'    <GDALRasterAttributeTable tableType="thematic">{fields}{"".join(rows)}'
                     "</GDALRasterAttributeTable>\n  </PAMRasterBand>\n")
    return f"<PAMDataset>\n{''.join(bands)}</PAMDataset>\n" if bands else None


def aux_xml_path(out: str | os.PathLike[str]) -> Path:
    """The PAM side-car GDAL reads beside ``out`` (``OUT.tif.aux.xml``)."""
    return Path(f"{os.fspath(out)}.aux.xml")


@contextlib.contextmanager
def atomic_geotiff(out: Path, infos: Sequence[BandInfo]) -> Iterator[Path]:
    """A temporary path for the GeoTIFF ``out`` holding ``infos``; on success the file and, when a band
    has categories, its ``.aux.xml`` side-car are renamed into place together (the GeoTIFF last).
    Without categories a side-car left by an earlier output of that name is removed: it would give
    the new file's bands another file's categories."""
    aux_text = categories_aux_xml(infos)
    aux = aux_xml_path(out)
    if aux_text is None:
        with atomic_path(out) as tmp:
            yield tmp
        with contextlib.suppress(FileNotFoundError):
            aux.unlink()
        return
    with atomic_paths(out, aux) as (tmp, tmp_aux):
        yield tmp
        tmp_aux.write_text(aux_text, encoding="utf-8")
