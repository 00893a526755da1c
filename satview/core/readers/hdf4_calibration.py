"""DN -> physical value, fill value and valid range of one HDF4 SDS, from its attributes.

Which ``add_offset`` rule applies is a property of the product family (see
:mod:`satview.core.modis`); the reader works it out once per file and passes it in here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from satview.core.types import Calibration

_DIMENSIONLESS_UNITS = {"", "none", "reflectance", "ndvi", "evi", "albedo", "unitless", "1", "-"}
_DIMENSIONLESS_WORDS = ("reflectance", "ndvi", "evi", "albedo", "vegetation index")


def calibration_from_attrs(attrs: dict[str, Any], *, hdf4_convention: bool = True,
                           offset_added: bool = False) -> tuple[Calibration, str]:
    """The calibration of an SDS from ``scale_factor``/``add_offset`` and a note on the rule used.

    - HDF4 convention (HDF-EOS files, or any SDS with ``calibrated_nt``):
      ``value = scale_factor * (stored - add_offset)``, i.e. scale ``s``, offset ``-s * o``
      (MOD09A1 reflectance: 0.0001; MOD06 brightness temperature: 0.01 * (DN + 15000)).
    - Added offset (``offset_added``: the MODIS/VIIRS LST&E families, see
      :func:`satview.core.modis.adds_offset`), and files with neither HDF-EOS nor ``calibrated_nt``
      (the CF rule): ``value = stored * s + o`` (MOD11 view angle DN - 65, emissivity
      0.002 DN + 0.49).
    - Divisor convention: a dimensionless quantity (reflectance, NDVI, EVI, albedo; units
      ``reflectance``/``none``/empty) whose ``scale_factor`` is a power of ten >= 100 is divided by
      it, ``value = (stored - add_offset) / scale_factor`` (MOD09GA C6 stores 10000.0, MOD13 too).
    """
    units = str(attrs.get("units", "") or "").strip()
    unit = "" if units.lower() == "none" else units
    s = scalar(attrs.get("scale_factor"))
    o = scalar(attrs.get("add_offset")) or 0.0
    if s is None and o == 0.0:
        return Calibration("none", unit=unit), ""
    s = 1.0 if s is None or s == 0.0 else s
    if s == 1.0 and o == 0.0:
        return Calibration("none", unit=unit), ""
    long_name = str(attrs.get("long_name", "") or "").lower()
    dimensionless = units.lower() in _DIMENSIONLESS_UNITS or any(w in long_name for w in _DIMENSIONLESS_WORDS)
    if s >= 100 and _power_of_ten(s) and dimensionless:
        return (Calibration("linear", 1.0 / s, -o / s, unit=unit),
                f"scale_factor {s:g} is a divisor: value = (DN - {o:g}) / {s:g}")
    if offset_added or not hdf4_convention:
        return Calibration("linear", s, o, unit=unit), ""
    return Calibration("linear", s, -s * o, unit=unit), ""


def _power_of_ten(v: float) -> bool:
    e = round(math.log10(abs(v)))
    return math.isclose(abs(v), 10.0 ** e, rel_tol=1e-9)


def scalar(v: Any) -> float | None:
    """The first number of an attribute value (scalar or array), or None when there is none."""
    if v is None:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        v = list(np.ravel(v))
        if not v:
            return None
        v = v[0]
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fill_value(attrs: dict[str, Any]) -> float | None:
    """``_FillValue`` as a number, or None."""
    v = attrs.get("_FillValue")
    if isinstance(v, (list, tuple)):
        v = v[0] if v else None
    if v is None or isinstance(v, str):
        return None
    return v


def valid_range(attrs: dict[str, Any]) -> tuple[float, float] | None:
    """The stored-value range from ``valid_range`` (or ``valid_min``/``valid_max``), or None."""
    vr = attrs.get("valid_range")
    if isinstance(vr, (list, tuple)) and len(vr) == 2:
        lo, hi = scalar(vr[0]), scalar(vr[1])
    else:
        lo, hi = scalar(attrs.get("valid_min")), scalar(attrs.get("valid_max"))
        if lo is None and hi is None:
            return None
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    return (lo, hi) if lo <= hi else None
