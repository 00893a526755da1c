"""The ``SATVIEW`` metadata domain of satview's own GeoTIFFs: scene and band facts as versioned JSON.

The standard carriers a GIS reads (band descriptions, scale/offset/unit, nodata, category names, a
colour table) say what a band's numbers are, but not that a band is Landsat ``QA_PIXEL`` decoded
with ``c2_qa_pixel``, that ``B10`` is a brightness temperature (not linear in the DN: K1/K2), which
common name and wavelength a band has, or which Landsat product the pixels came from. Those facts
travel in the ``SATVIEW`` domain of the file: ``SCENE`` (dataset level) and ``BAND`` (band level),
each a JSON object with ``"version"``. satview's GeoTIFF reader recognises an output by this
domain, whatever the file is called, and rebuilds the scene's ``BandInfo``/``Calibration``/
``LandsatInfo`` from it, so a clip or a reprojection reopens as what it was.

Decoding treats the text as untrusted: anything malformed raises ``ValueError`` and the reader
falls back to reading the file as a plain GeoTIFF.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from typing import Any

from satview.core.types import BAND_ROLES, BandInfo, Calibration, LandsatInfo, SceneInfo

#: Metadata domain name (dataset and band level).
DOMAIN = "SATVIEW"
#: Dataset-level item: the scene record. Band-level item: the band record.
SCENE_ITEM = "SCENE"
BAND_ITEM = "BAND"
#: Version of the records written; readers accept this one only.
VERSION = 1
#: Records longer than this are not satview's (a band record is well under 2 KB).
MAX_RECORD_CHARS = 64_000
#: Source metadata items kept in the scene record: scalars of at most this many characters.
_MAX_FACT_CHARS = 200

_CAL_KINDS = ("none", "linear", "brightness_temperature")


def encode(record: dict[str, Any]) -> str:
    """A record as compact JSON (non-finite numbers as null: JSON has no NaN)."""
    return json.dumps(_finite(record), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def band_record(b: BandInfo) -> dict[str, Any]:
    """Everything about ``b`` that the GeoTIFF itself cannot say (not its pixels' place or dtype)."""
    cal = b.calibration
    return {
        "version": VERSION,
        "name": b.name,
        "description": b.description,
        "role": b.role,
        "common_name": b.common_name,
        "wavelength": list(b.wavelength) if b.wavelength else None,
        "resolution": b.resolution,
        "calibration": {"kind": cal.kind, "scale": cal.scale, "offset": cal.offset, "unit": cal.unit,
                        "k1": cal.k1, "k2": cal.k2, "quantity": cal.quantity},
        "categorical": b.categorical,
        "qa": b.qa,
        "flags": [[v, name] for v, name in b.flags],
        "valid_range": list(b.valid_range) if b.valid_range else None,
        "source_nodata": b.nodata,
    }


def scene_record(info: SceneInfo, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The source scene: file name, format, dataset, Landsat facts and its small scalar metadata."""
    facts = {k: v for k, v in info.metadata.items()
             if isinstance(k, str) and _scalar(v) and len(str(v)) <= _MAX_FACT_CHARS}
    li = info.landsat
    return {
        "version": VERSION,
        "source": os.path.basename(info.path),
        "format": info.format,
        "dataset": info.dataset,
        "landsat": None if li is None else {
            **{k: getattr(li, k) for k in LandsatInfo.__dataclass_fields__},
            "acquired": li.acquired.isoformat() if li.acquired else None,
            "processed": li.processed.isoformat() if li.processed else None,
        },
        "metadata": facts,
        "export": dict(extra or {}),
    }


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) and not (isinstance(v, float) and not math.isfinite(v))


# -- decoding (untrusted text) -----------------------------------------------------------------------


def _load(text: str) -> dict[str, Any]:
    if len(text) > MAX_RECORD_CHARS:
        raise ValueError("the record is too long")
    record = json.loads(text)
    if not isinstance(record, dict):
        raise ValueError("the record is not a JSON object")
    if record.get("version") != VERSION:
        raise ValueError(f"record version {record.get('version')!r} (this satview reads {VERSION})")
    return record


def _opt(record: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """``record[key]`` when it is of ``kind`` (a bool is not a number here), None when absent."""
    v = record.get(key)
    if v is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds):
        raise ValueError(f"{key} is not a {' or '.join(k.__name__ for k in kinds)}")
    return v


def _num(record: dict[str, Any], key: str) -> float | None:
    v = _opt(record, key, (int, float))
    return None if v is None else float(v)


def _pair(record: dict[str, Any], key: str) -> tuple[float, float] | None:
    v = _opt(record, key, list)
    if v is None:
        return None
    if len(v) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        raise ValueError(f"{key} is not a pair of numbers")
    return (float(v[0]), float(v[1]))


def _calibration(record: Any) -> Calibration:
    if not isinstance(record, dict):
        raise ValueError("calibration is not an object")
    kind = record.get("kind")
    if kind not in _CAL_KINDS:
        raise ValueError(f"unknown calibration kind {kind!r}")
    scale, offset = _num(record, "scale"), _num(record, "offset")
    k1, k2 = _num(record, "k1"), _num(record, "k2")
    if kind == "brightness_temperature" and (k1 is None or k2 is None):
        raise ValueError("a brightness temperature needs K1 and K2")
    return Calibration(kind, 1.0 if scale is None else scale, 0.0 if offset is None else offset,
                       unit=_opt(record, "unit", str) or "", k1=k1, k2=k2,
                       quantity=_opt(record, "quantity", str) or "")


def decode_band(text: str, *, dtype: str, nodata: float | None, source: str, source_band: int,
                qa_keys: tuple[str, ...]) -> BandInfo:
    """The ``BandInfo`` of band ``source_band`` of ``source`` from its ``BAND`` record.

    ``dtype`` and ``nodata`` are the file's (a clip may have promoted the dtype and unified the
    nodata); a QA decoder key not in ``qa_keys`` raises ``ValueError`` like any malformed record.
    """
    r = _load(text)
    name = _opt(r, "name", str)
    if not name or not name.strip():
        raise ValueError("the band has no name")
    role = _opt(r, "role", str) or "data"
    if role not in BAND_ROLES:
        raise ValueError(f"unknown band role {role!r}")
    qa = _opt(r, "qa", str)
    if qa is not None and qa not in qa_keys:
        raise ValueError(f"unknown QA decoder {qa!r}")
    flags_raw = _opt(r, "flags", list) or []
    flags: list[tuple[int, str]] = []
    for item in flags_raw:
        if (not isinstance(item, list) or len(item) != 2 or isinstance(item[0], bool)
                or not isinstance(item[0], (int, float)) or not isinstance(item[1], str)):
            raise ValueError("flags are not [value, name] pairs")
        flags.append((int(item[0]) if float(item[0]).is_integer() else item[0], item[1]))
    return BandInfo(
        name=name.strip(),
        description=_opt(r, "description", str) or "",
        dtype=dtype,
        nodata=nodata,
        role=role,
        common_name=_opt(r, "common_name", str),
        wavelength=_pair(r, "wavelength"),
        resolution=_num(r, "resolution"),
        calibration=_calibration(r.get("calibration", {"kind": "none"})),
        categorical=bool(_opt(r, "categorical", bool)),
        qa=qa,
        flags=tuple(flags),
        valid_range=_pair(r, "valid_range"),
        source=source,
        source_band=source_band,
    )


def decode_scene(text: str) -> tuple[LandsatInfo | None, dict[str, Any]]:
    """The Landsat facts (or None) and the other facts (source, format, dataset, metadata) of a scene
    record; the other facts are metadata items, the source under ``satview_output``."""
    r = _load(text)
    facts: dict[str, Any] = {
        "source": _opt(r, "source", str), "format": _opt(r, "format", str),
        "dataset": _opt(r, "dataset", str),
        "export": {k: v for k, v in (_opt(r, "export", dict) or {}).items() if isinstance(v, str)},
    }
    metadata = {k: v for k, v in (_opt(r, "metadata", dict) or {}).items() if _scalar(v)}
    ls = _opt(r, "landsat", dict)
    return (None if ls is None else _landsat(ls)), {"satview_output": facts, **metadata}


def _date(record: dict[str, Any], key: str) -> dt.date | None:
    v = _opt(record, key, str)
    return None if v is None else dt.date.fromisoformat(v)


def _int(record: dict[str, Any], key: str) -> int:
    v = _opt(record, key, int)
    if v is None:
        raise ValueError(f"{key} is missing")
    return int(v)


def _landsat(r: dict[str, Any]) -> LandsatInfo:
    product_id = _opt(r, "product_id", str)
    spacecraft, sensor, level = _opt(r, "spacecraft", str), _opt(r, "sensor", str), _opt(r, "level", str)
    if not (product_id and spacecraft and sensor and level):
        raise ValueError("the Landsat facts lack the product id, spacecraft, sensor or level")
    return LandsatInfo(
        product_id=product_id, scene_id=_opt(r, "scene_id", str), spacecraft=spacecraft, sensor=sensor,
        collection=_int(r, "collection"), level=level, tier=_opt(r, "tier", str),
        wrs_path=_int(r, "wrs_path"), wrs_row=_int(r, "wrs_row"),
        acquired=_date(r, "acquired"), scene_center_time=_opt(r, "scene_center_time", str),
        processed=_date(r, "processed"), cloud_cover=_num(r, "cloud_cover"),
        cloud_cover_land=_num(r, "cloud_cover_land"), sun_elevation=_num(r, "sun_elevation"),
        sun_azimuth=_num(r, "sun_azimuth"), earth_sun_distance=_num(r, "earth_sun_distance"),
        utm_zone=_opt(r, "utm_zone", int),
    )
