"""CF conventions for HDF5/netCDF readers: attribute values and band semantics.

:func:`clean_attrs` turns HDF5/netCDF attributes into plain JSON-able values and :func:`cf_band`
turns a variable's attributes into a ``BandInfo``. Grid georeferencing lives in
:mod:`satview.core.cf_georef`, which uses the attribute helpers here (never the other way round).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from satview.core.types import BandInfo, Calibration

# --- attribute values ------------------------------------------------------------------------------

_SKIP_ATTRS = frozenset({"DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Coordinates", "_Netcdf4Dimid"})


def attr_value(v: Any) -> Any:
    """An attribute value as plain JSON-able Python: str, int, float, bool, list (1-element -> scalar)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace").rstrip("\x00")
    if isinstance(v, np.generic):
        return attr_value(v.item())
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biufSUO":
            return str(v.dtype)
        items = [attr_value(x) for x in v.ravel().tolist()]
        if len(items) == 1:
            return items[0]
        if items and all(isinstance(x, str) for x in items):
            return " ".join(items) if v.dtype.kind == "S" and v.ndim > 1 else items
        return items
    if isinstance(v, (list, tuple)):
        return [attr_value(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def clean_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as a JSON-able dict, without HDF5/netCDF bookkeeping (dimension lists, ids)."""
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if k in _SKIP_ATTRS:
            continue
        try:
            out[str(k)] = attr_value(v)
        except (TypeError, ValueError, RecursionError):  # odd types (references, deep object arrays)
            out[str(k)] = "<unreadable>"
    return out


def first_number(v: Any) -> float | None:
    """The first number of an attribute value (a number, a list, or text such as ``"0.01, 0"``), or None."""
    if isinstance(v, list):
        v = v[0] if v else None
    if isinstance(v, str):
        try:
            return float(v.strip().split()[0].rstrip(","))
        except (ValueError, IndexError):
            return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def numbers(v: Any) -> list[float]:
    """Every number of an attribute value (a list, text, or one number); [] when there are none."""
    if isinstance(v, str):
        return [float(t) for t in re.findall(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", v)]
    if isinstance(v, list):
        return [float(x) for x in v if isinstance(x, (int, float)) and not isinstance(x, bool)]
    n = first_number(v)
    return [] if n is None else [n]


def attr_text(v: Any) -> str:
    """An attribute value as text (a list joined by spaces, None as "")."""
    return " ".join(str(x) for x in v) if isinstance(v, list) else ("" if v is None else str(v))


# --- band semantics ------------------------------------------------------------------------------

def parse_flags(attrs: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
    """(value, name) pairs from ``flag_values`` + ``flag_meanings``, or a ``"0: Ocean, 254: Land"`` text."""
    values = attrs.get("flag_values")
    if values is None:
        return ()
    if isinstance(values, str):  # G02202 ancillary style: "0: Ocean, 2: Lake, 253: Coast, 254: Land"
        pairs = re.findall(r"([-+]?\d+)\s*[:=]\s*([^,;]+)", values)
        return tuple((int(v), name.strip().replace(" ", "_")) for v, name in pairs)
    nums = numbers(values)
    meanings = attr_text(attrs.get("flag_meanings")).split()
    out = []
    for i, v in enumerate(nums):
        if float(v).is_integer():
            out.append((int(v), meanings[i] if i < len(meanings) else f"flag_{int(v)}"))
    return tuple(out)


def _bit_flags(attrs: Mapping[str, Any]) -> str:
    masks = attrs.get("flag_masks")
    if masks is not None:
        names = attr_text(attrs.get("flag_mask_meanings") or attrs.get("flag_meanings")).split()
        parts = [f"{int(m)}={names[i] if i < len(names) else '?'}" for i, m in enumerate(numbers(masks))]
        return "bit flags: " + ", ".join(parts)
    if "bitmask_values" in attrs:
        return "bit flags: " + attr_text(attrs["bitmask_values"])
    return ""


def is_concentration(name: str, attrs: Mapping[str, Any]) -> bool:
    """True for a sea-ice concentration variable (by standard_name or name)."""
    std = attr_text(attrs.get("standard_name")).lower()
    if "status_flag" in std or "flag" in name.lower() or "stdev" in name.lower():
        return False
    return "sea_ice_area_fraction" in std or re.search(r"(^|_)(seaice_)?conc(_|$)", name.lower()) is not None


def cf_band(name: str, attrs: Mapping[str, Any], dtype: str, *, description: str = "",
            source: str = "", source_band: int = 1) -> BandInfo:
    """A ``BandInfo`` from CF attributes (cleaned by :func:`clean_attrs`).

    ``scale_factor``/``add_offset`` -> linear calibration in ``units``; ``_FillValue`` (else
    ``missing_value``) -> nodata; ``valid_range``/``valid_min``/``valid_max`` -> valid range (raw);
    ``flag_values``/``flag_meanings`` -> named flags; ``flag_masks`` -> described bit flags. A
    variable of integer flags without scaling is categorical. A sea-ice concentration stored as a
    fraction (units "1", scale 0.01, raw 0-100) is reported in percent.
    """
    scale = first_number(attrs.get("scale_factor"))
    offset = first_number(attrs.get("add_offset"))
    unit = attr_text(attrs.get("units")).strip()
    fill = first_number(attrs.get("_FillValue"))
    missing = first_number(attrs.get("missing_value"))
    nodata = fill if fill is not None else missing
    if isinstance(attrs.get("_FillValue"), str) and attrs["_FillValue"].lower() == "nan":
        nodata = math.nan
    valid = numbers(attrs.get("valid_range")) if "valid_range" in attrs else []
    lo = valid[0] if len(valid) >= 2 else first_number(attrs.get("valid_min"))
    hi = valid[1] if len(valid) >= 2 else first_number(attrs.get("valid_max"))
    valid_range = None if lo is None and hi is None else (
        -math.inf if lo is None else lo, math.inf if hi is None else hi)
    flags = parse_flags(attrs)
    if missing is not None and fill is not None and missing != fill and float(missing).is_integer() and all(
            v != missing for v, _ in flags):
        flags = (*flags, (int(missing), "missing_value"))
    bits = _bit_flags(attrs)
    integer = np.dtype(dtype).kind in "biu"
    scaled = (scale not in (None, 1.0)) or (offset not in (None, 0.0))
    categorical = integer and not scaled and (bool(flags) or bool(bits))
    quantity = attr_text(attrs.get("standard_name")).replace("_", " ")
    if scaled:
        s, o = scale if scale is not None else 1.0, offset if offset is not None else 0.0
        if (is_concentration(name, attrs) and unit.lower() in ("1", "", "fraction")
                and math.isclose(s, 0.01, rel_tol=1e-4) and valid_range is not None
                and valid_range[1] <= 100.0 + 1e-9):
            s, o, unit, quantity = s * 100.0, o * 100.0, "%", "sea ice concentration"
            s = round(s, 6)
        cal = Calibration("linear", s, o, unit=unit, quantity=quantity)
    else:
        cal = Calibration("none", unit=unit, quantity=quantity if not categorical else "")
    desc = description or attr_text(attrs.get("long_name")) or name
    if bits:
        desc = f"{desc} ({bits})"
    return BandInfo(name=name, description=desc, dtype=str(np.dtype(dtype)), nodata=nodata,
                    role="qa" if categorical else "data", calibration=cal, categorical=categorical,
                    flags=flags, valid_range=valid_range, source=source, source_band=source_band)

