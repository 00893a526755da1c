"""Scene facts (LandsatInfo) from a parsed MTL of any generation: C2, C1, pre-collection, ESPA.

Values come from the MTL where present and fall back to the product/scene id, so a damaged or
minimal MTL still gives what can be known.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

from satview.core.landsat.product_id import ProductId, parse_product_id
from satview.core.landsat.radiometry import earth_sun_distance
from satview.core.landsat.sensors import normalize_sensor, normalize_spacecraft
from satview.core.mtl_model import MTL
from satview.core.types import LandsatInfo

__all__ = ["as_date", "as_float", "as_int", "landsat_info"]

# Where each fact lives, most specific group first. None = anywhere (first in document order).
_ID_GROUPS = ("PRODUCT_CONTENTS", "METADATA_FILE_INFO", "PRODUCT_METADATA", None)


def as_float(value: Any) -> float | None:
    """A finite float from an MTL value, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and out not in (float("inf"), float("-inf")) else None


def as_int(value: Any) -> int | None:
    """An int from an MTL value ("02", 2, 2.0), or None."""
    f = as_float(value)
    return int(f) if f is not None and f == int(f) else None


def as_date(value: Any) -> dt.date | None:
    """A date from "YYYY-MM-DD" (optionally followed by a time), or None."""
    if isinstance(value, dt.date):
        return value
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", str(value)) if value is not None else None
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _first(mtl: MTL, keys: tuple[str, ...], groups: tuple[str | None, ...] = (None,)) -> Any:
    for group in groups:
        for key in keys:
            value = mtl.get(key, group=group)
            if value is not None and value != "":
                return value
    return None


def _product_id(mtl: MTL) -> tuple[str | None, ProductId | None, str | None]:
    text = _first(mtl, ("LANDSAT_PRODUCT_ID",), _ID_GROUPS)
    scene = _first(mtl, ("LANDSAT_SCENE_ID",))
    scene_id = str(scene) if scene else None
    parsed = parse_product_id(str(text)) if text else None
    if parsed is None and scene_id:
        parsed = parse_product_id(scene_id)
    if parsed is None and mtl.source:
        parsed = parse_product_id(PurePosixPath(mtl.source.replace("\\", "/")).name)
    pid = str(text) if text else (scene_id or (parsed.product_id if parsed else None))
    return pid, parsed, scene_id


def landsat_info(mtl: MTL) -> LandsatInfo:
    """Scene facts of a Landsat product from its MTL (C2, C1, pre-collection incl. MSS, ESPA).

    ``product_id`` is the C1/C2 product id, else the scene id. ``level`` is PROCESSING_LEVEL (C2,
    so L2SP/L2SR for Level-2) or DATA_TYPE (C1/pre: L1TP, L1T, ...). ``earth_sun_distance`` is
    computed from the acquisition day when the MTL lacks it. Missing numbers are None (path/row 0).
    """
    pid_text, pid, scene_id = _product_id(mtl)
    spacecraft = normalize_spacecraft(_first(mtl, ("SPACECRAFT_ID",)))
    if spacecraft is None:
        spacecraft = pid.spacecraft if pid else "UNKNOWN"
    sensor = normalize_sensor(_first(mtl, ("SENSOR_ID",)))
    if sensor is None:
        sensor = pid.sensor if pid else "UNKNOWN"
    collection = as_int(_first(mtl, ("COLLECTION_NUMBER",), _ID_GROUPS))
    if collection is None:
        collection = pid.collection if pid else 0
    level_value = _first(mtl, ("PROCESSING_LEVEL",), _ID_GROUPS) or _first(
        mtl, ("DATA_TYPE", "PRODUCT_TYPE"), ("PRODUCT_METADATA", None)
    )
    level = str(level_value) if level_value else (pid.level if pid and pid.level else "unknown")
    tier_value = _first(mtl, ("COLLECTION_CATEGORY",), _ID_GROUPS)
    tier = str(tier_value) if tier_value else (pid.tier if pid else None)
    wrs_path = as_int(_first(mtl, ("WRS_PATH",)))
    wrs_row = as_int(_first(mtl, ("WRS_ROW", "STARTING_ROW")))
    if wrs_path is None:
        wrs_path = pid.wrs_path if pid else 0
    if wrs_row is None:
        wrs_row = pid.wrs_row if pid else 0
    acquired = as_date(_first(mtl, ("DATE_ACQUIRED", "ACQUISITION_DATE")))
    if acquired is None and pid is not None:
        acquired = pid.acquired
    center = _first(mtl, ("SCENE_CENTER_TIME", "SCENE_CENTER_SCAN_TIME"))
    processed = pid.processed if pid and pid.processed else None
    if processed is None:
        processed = as_date(
            _first(mtl, ("DATE_PRODUCT_GENERATED", "FILE_DATE", "PRODUCT_CREATION_TIME"), _ID_GROUPS)
        )
    cloud = as_float(_first(mtl, ("CLOUD_COVER",)))
    cloud_land = as_float(_first(mtl, ("CLOUD_COVER_LAND",)))
    distance = as_float(_first(mtl, ("EARTH_SUN_DISTANCE",)))
    if distance is None and acquired is not None:
        distance = earth_sun_distance(acquired)
    return LandsatInfo(
        product_id=pid_text or "",
        scene_id=scene_id,
        spacecraft=spacecraft,
        sensor=sensor,
        collection=collection,
        level=level,
        tier=tier,
        wrs_path=wrs_path,
        wrs_row=wrs_row,
        acquired=acquired,
        scene_center_time=str(center) if center is not None else None,
        processed=processed,
        cloud_cover=cloud if cloud is None or cloud >= 0 else None,
        cloud_cover_land=cloud_land if cloud_land is None or cloud_land >= 0 else None,
        sun_elevation=as_float(_first(mtl, ("SUN_ELEVATION",))),
        sun_azimuth=as_float(_first(mtl, ("SUN_AZIMUTH",))),
        earth_sun_distance=distance,
        utm_zone=as_int(_first(mtl, ("UTM_ZONE", "ZONE_NUMBER"))),
    )
