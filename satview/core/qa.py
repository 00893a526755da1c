"""Decode Landsat QA bit fields into named flags, per pixel (readout) or per array (overlay masks).

Layouts are keyed by a decoder key (``BandInfo.qa``), because the same band name means different
bits in Collection 1 and 2 (see docs/landsat-facts.md section 3.4):

- ``c2_qa_pixel``: C2 Level-1/2 QA_PIXEL (all sensors; cirrus bits only set for OLI/TIRS).
- ``c2_qa_radsat``: C2 QA_RADSAT of OLI/TIRS (bits 0-8 bands 1-9 saturated, bit 11 terrain occlusion).
- ``c2_qa_radsat_tm_etm``: C2 QA_RADSAT of MSS/TM/ETM+ (bits 0-6 bands 1-7 saturated, bit 5 is
  ETM+ band 6 low gain, bit 8 ETM+ band 6 high gain, bit 9 dropped pixel).
- ``c1_bqa`` / ``c1_bqa_tm_etm``: C1 Level-1 BQA of OLI/TIRS (bit 1 terrain occlusion, bits 11-12
  cirrus confidence) and of TM/ETM+ (bit 1 dropped pixel).
- ``c1_pixel_qa``: C1 Level-2 pixel_qa.
- ``c2_sr_qa_aerosol``: C2 OLI SR_QA_AEROSOL; ``c2_sr_cloud_qa``: C2 TM/ETM+ SR_CLOUD_QA (LEDAPS).

Masks: ``mask(key, data, "cloud")`` for a one-bit flag; for a multi-bit field pass a comparison,
``"cloud_confidence>=medium"`` (also ``==``, ``>``, ``<=``, ``<``, ``!=``), or the field name with
``min_confidence="medium"``. QA_RADSAT also has ``"saturated"`` (any band).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["CONFIDENCE", "QA_KEYS", "decode", "flag_names", "mask"]

#: Names of the 2-bit confidence levels 0..3 (USGS C2 calls 0 "none/not set").
CONFIDENCE = ("none", "low", "medium", "high")
_RADSAT_C1 = ("none", "1-2 bands", "3-4 bands", "5+ bands")
_AEROSOL = ("climatology", "low", "medium", "high")


@dataclass(frozen=True)
class _Field:
    name: str
    bit: int
    width: int = 1
    levels: tuple[str, ...] = ()  # names of the values of a multi-bit field
    band: int | None = None  # QA_RADSAT: the band whose saturation this bit reports


def _sat(bit: int, band: int) -> _Field:
    return _Field(f"band_{band}_saturated", bit, band=band)


_LAYOUTS: dict[str, tuple[_Field, ...]] = {
    "c2_qa_pixel": (
        _Field("fill", 0),
        _Field("dilated_cloud", 1),
        _Field("cirrus", 2),
        _Field("cloud", 3),
        _Field("cloud_shadow", 4),
        _Field("snow", 5),
        _Field("clear", 6),
        _Field("water", 7),
        _Field("cloud_confidence", 8, 2, CONFIDENCE),
        _Field("cloud_shadow_confidence", 10, 2, CONFIDENCE),
        _Field("snow_ice_confidence", 12, 2, CONFIDENCE),
        _Field("cirrus_confidence", 14, 2, CONFIDENCE),
    ),
    "c2_qa_radsat": (*(_sat(b, b + 1) for b in range(9)), _Field("terrain_occlusion", 11)),
    "c2_qa_radsat_tm_etm": (
        *(_sat(b, b + 1) for b in range(7)),
        _Field("band_6h_saturated", 8),
        _Field("dropped_pixel", 9),
    ),
    "c1_bqa": (
        _Field("fill", 0),
        _Field("terrain_occlusion", 1),
        _Field("radiometric_saturation", 2, 2, _RADSAT_C1),
        _Field("cloud", 4),
        _Field("cloud_confidence", 5, 2, CONFIDENCE),
        _Field("cloud_shadow_confidence", 7, 2, CONFIDENCE),
        _Field("snow_ice_confidence", 9, 2, CONFIDENCE),
        _Field("cirrus_confidence", 11, 2, CONFIDENCE),
    ),
    "c1_bqa_tm_etm": (
        _Field("fill", 0),
        _Field("dropped_pixel", 1),
        _Field("radiometric_saturation", 2, 2, _RADSAT_C1),
        _Field("cloud", 4),
        _Field("cloud_confidence", 5, 2, CONFIDENCE),
        _Field("cloud_shadow_confidence", 7, 2, CONFIDENCE),
        _Field("snow_ice_confidence", 9, 2, CONFIDENCE),
    ),
    "c1_pixel_qa": (
        _Field("fill", 0),
        _Field("clear", 1),
        _Field("water", 2),
        _Field("cloud_shadow", 3),
        _Field("snow", 4),
        _Field("cloud", 5),
        _Field("cloud_confidence", 6, 2, CONFIDENCE),
        _Field("cirrus_confidence", 8, 2, CONFIDENCE),
        _Field("terrain_occlusion", 10),
    ),
    "c2_sr_qa_aerosol": (
        _Field("fill", 0),
        _Field("valid_aerosol_retrieval", 1),
        _Field("water", 2),
        _Field("interpolated_aerosol", 5),
        _Field("aerosol_level", 6, 2, _AEROSOL),
    ),
    "c2_sr_cloud_qa": (
        _Field("dark_dense_vegetation", 0),
        _Field("cloud", 1),
        _Field("cloud_shadow", 2),
        _Field("adjacent_cloud", 3),
        _Field("snow", 4),
        _Field("water", 5),
    ),
}

#: All decoder keys this module knows.
QA_KEYS: tuple[str, ...] = tuple(_LAYOUTS)

_COMPARE_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(>=|<=|==|!=|>|<)\s*([a-z0-9+\- ]+?)\s*$")


def _layout(key: str) -> tuple[_Field, ...]:
    try:
        return _LAYOUTS[key]
    except KeyError:
        raise KeyError(f"unknown QA decoder {key!r}; known: {', '.join(QA_KEYS)}") from None


def _is_radsat(key: str) -> bool:
    return key.startswith("c2_qa_radsat")


def decode(key: str, value: int) -> dict[str, object]:
    """Named flags of one QA pixel value.

    One-bit fields give bools, multi-bit fields give their level name (e.g. "high"). QA_RADSAT
    gives ``saturated_bands`` (sorted band numbers) instead of one bool per band, plus its other
    flags. Raises KeyError for an unknown key.
    """
    v = int(value)
    out: dict[str, object] = {}
    saturated: list[int] = []
    for f in _layout(key):
        raw = (v >> f.bit) & ((1 << f.width) - 1)
        if f.band is not None:
            if raw:
                saturated.append(f.band)
            continue
        out[f.name] = f.levels[raw] if f.levels else bool(raw)
    if _is_radsat(key):
        return {"saturated_bands": saturated, **out}
    return out


def flag_names(key: str) -> list[str]:
    """Flag names for overlay checkboxes, all accepted by :func:`mask`.

    One-bit flags first, then ``"<field>>=medium"`` and ``"<field>>=high"`` for each confidence
    field (``>=low``/``>=high`` style for other multi-bit fields); QA_RADSAT starts with
    ``"saturated"`` (any band).
    """
    names: list[str] = ["saturated"] if _is_radsat(key) else []
    multi: list[str] = []
    for f in _layout(key):
        if f.levels:
            if f.levels == CONFIDENCE or f.levels == _AEROSOL:
                multi += [f"{f.name}>=medium", f"{f.name}>=high"]
            else:
                multi += [f"{f.name}>={f.levels[1]}"]
        else:
            names.append(f.name)
    return names + multi


def mask(key: str, data: np.ndarray, flag: str, min_confidence: str | None = None) -> np.ndarray:
    """Boolean mask (same shape as ``data``) where ``flag`` holds; vectorised.

    ``flag`` is a one-bit flag name ("cloud"), "saturated" for QA_RADSAT, or a comparison on a
    multi-bit field ("cloud_confidence>=medium", "aerosol_level==high"); a bare multi-bit field
    name means ``>= min_confidence`` (default "high"). Raises KeyError for unknown names/levels.
    """
    fields = {f.name: f for f in _layout(key)}
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        valid = np.isfinite(arr)
        ints = np.where(valid, arr, 0).astype(np.int64)
    else:  # native width: shifts and masks need no int64 copy
        valid = None
        ints = arr.view(np.dtype(f"u{arr.dtype.itemsize}")) if arr.dtype.kind == "i" else arr
        if ints.dtype.kind == "b":
            ints = ints.view(np.uint8)
    flag = flag.strip()
    if flag == "saturated" and _is_radsat(key):
        bits = 0
        for f in fields.values():
            if f.band is not None or f.name == "band_6h_saturated":
                bits |= 1 << f.bit
        result = (ints & bits) != 0
    else:
        m = _COMPARE_RE.match(flag)
        if m:
            name, op, level = m.group(1), m.group(2), m.group(3)
        elif flag in fields and fields[flag].levels:
            name, op, level = flag, ">=", (min_confidence or "high")
        else:
            name, op, level = flag, "", ""
        if name not in fields:
            raise KeyError(f"unknown flag {flag!r} for {key}; known: {', '.join(flag_names(key))}")
        f = fields[name]
        if not op and f.width == 1 and f.bit < 8 * ints.dtype.itemsize:
            result = (ints & ints.dtype.type(1 << f.bit)) != 0
        else:
            raw = (ints >> f.bit) & ((1 << f.width) - 1)
            if not op:
                result = raw != 0
            else:
                target = _level_value(f, level)
                result = {
                    ">=": raw >= target,
                    "<=": raw <= target,
                    ">": raw > target,
                    "<": raw < target,
                    "==": raw == target,
                    "!=": raw != target,
                }[op]
    if valid is not None:
        result = result & valid
    return np.asarray(result, dtype=bool)


def _level_value(f: _Field, level: str) -> int:
    level = level.strip()
    if level.isdigit():
        return int(level)
    levels = f.levels or ("false", "true")
    if level in levels:
        return levels.index(level)
    raise KeyError(f"unknown level {level!r} for {f.name}; known: {', '.join(levels)}")
