"""Scene facts written into exported GeoTIFFs: band names, scale/offset/unit, Landsat metadata, K1/K2.

Shared by clips and reprojections so that QGIS and GDAL users get physical values and provenance.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

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
    if b.nodata is not None and not _same_value(b.nodata, nodata):
        btags["SOURCE_NODATA"] = str(b.nodata)
    if cal.kind == "brightness_temperature":
        btags.update({
            "RADIANCE_MULT": repr(cal.scale), "RADIANCE_ADD": repr(cal.offset),
            "K1_CONSTANT": repr(cal.k1), "K2_CONSTANT": repr(cal.k2), "CALIBRATION": _BT_FORMULA,
        })  # fmt: skip
    return btags


def write_scene_metadata(dst: Any, info: SceneInfo, infos: Sequence[BandInfo], nodata: float | None,
                         extra: dict[str, str] | None = None) -> None:
    """Write dataset and band tags, band descriptions and GDAL scale/offset/unit to ``dst``.

    Only linear calibrations become GDAL scale/offset (a brightness temperature is not linear: its
    constants go into band tags instead, so no tool shows radiance labelled as kelvin).
    """
    dst.update_tags(**scene_tags(info, extra))
    scales, offsets, units = [], [], []
    for i, b in enumerate(infos, start=1):
        dst.set_band_description(i, b.name)
        cal = b.calibration
        linear = cal.kind == "linear"
        scales.append(cal.scale if linear else 1.0)
        offsets.append(cal.offset if linear else 0.0)
        units.append(cal.unit if linear else "")
        dst.update_tags(i, **band_tags(b, nodata))
    dst.scales = tuple(scales)
    dst.offsets = tuple(offsets)
    dst.units = tuple(units)
