"""What one band of a Landsat product is: spectral facts, role, fill value and DN calibration.

Calibration lookups are group-aware on purpose: a C2 Level-2 MTL has REFLECTANCE_MULT_BAND_n in
both LEVEL1_RADIOMETRIC_RESCALING (TOA) and LEVEL2_SURFACE_REFLECTANCE_PARAMETERS (SR).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from satview.core.landsat.bands import band_role
from satview.core.landsat.metadata import as_float
from satview.core.landsat.radiometry import (
    L2_SR_DEFAULT,
    L2_ST_DEFAULT,
    ST_AUX_SCALES,
    THERMAL_K_DEFAULTS,
    TIRS_RADIANCE_DEFAULT,
    esun,
    radiance_from_minmax,
    reflectance_from_radiance,
)
from satview.core.landsat.sensors import band_number, normalize_sensor, satellite_number, spectral_band
from satview.core.mtl_model import MTL
from satview.core.types import Calibration, LandsatInfo

__all__ = ["BandDescription", "describe_band"]

_RESCALE_GROUPS = ("LEVEL1_RADIOMETRIC_RESCALING", "RADIOMETRIC_RESCALING")
_MINMAX_RAD_GROUPS = ("LEVEL1_MIN_MAX_RADIANCE", "MIN_MAX_RADIANCE")
_MINMAX_DN_GROUPS = ("LEVEL1_MIN_MAX_PIXEL_VALUE", "MIN_MAX_PIXEL_VALUE")
_THERMAL_GROUPS = ("LEVEL1_THERMAL_CONSTANTS", "TIRS_THERMAL_CONSTANTS", "THERMAL_CONSTANTS")
_SR_GROUP = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"
_ST_GROUP = "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS"
_RAD_UNIT = "W/(m² sr µm)"

_QA_TEXT = {
    "QA_PIXEL": "Pixel quality (cloud, shadow, snow, water flags)",
    "QA_RADSAT": "Radiometric saturation flags per band",
    "BQA": "Collection 1 quality band (fill, cloud, shadow, snow confidences)",
    "PIXEL_QA": "Collection 1 Level-2 pixel quality",
    "SR_QA_AEROSOL": "Surface reflectance aerosol quality",
    "SR_CLOUD_QA": "Surface reflectance (LEDAPS) cloud quality",
}
_ANGLE_TEXT = {
    "SAA": "Solar azimuth angle",
    "SZA": "Solar zenith angle",
    "VAA": "View (sensor) azimuth angle",
    "VZA": "View (sensor) zenith angle",
}
_DATA_TYPE_KEYS = {
    "QA_PIXEL": "QUALITY_L1_PIXEL",
    "QA_RADSAT": "QUALITY_L1_RADIOMETRIC_SATURATION",
    "BQA": "BAND_QUALITY",
    "SR_QA_AEROSOL": "QUALITY_L2_AEROSOL",
    "SR_CLOUD_QA": "QUALITY_L2_SURFACE_REFLECTANCE_CLOUD",
    "SR_ATMOS_OPACITY": "ATMOSPHERIC_OPACITY",
    "ST_QA": "QUALITY_L2_SURFACE_TEMPERATURE",
    "ST_TRAD": "THERMAL_RADIANCE",
    "ST_URAD": "UPWELL_RADIANCE",
    "ST_DRAD": "DOWNWELL_RADIANCE",
    "ST_ATRAN": "ATMOSPHERIC_TRANSMITTANCE",
    "ST_EMIS": "EMISSIVITY",
    "ST_EMSD": "EMISSIVITY_STDEV",
    "ST_CDIST": "CLOUD_DISTANCE",
    "SAA": "ANGLE_SOLAR_AZIMUTH_BAND_4",
    "SZA": "ANGLE_SOLAR_ZENITH_BAND_4",
    "VAA": "ANGLE_SENSOR_AZIMUTH_BAND_4",
    "VZA": "ANGLE_SENSOR_ZENITH_BAND_4",
}


@dataclass(frozen=True)
class BandDescription:
    """Everything the MTL and the sensor tables say about one band (no pixels read).

    ``nodata`` is the default fill to use when the file declares none. ``dtype`` is the MTL's
    DATA_TYPE_* value in numpy spelling when known. ``notes`` explain fallbacks that were used
    (published constants instead of missing/broken MTL values).
    """

    name: str
    common_name: str | None
    wavelength: tuple[float, float] | None
    resolution: float | None
    role: str
    calibration: Calibration
    categorical: bool
    qa: str | None
    nodata: float | None
    description: str
    dtype: str | None = None
    notes: tuple[str, ...] = ()


def _canonical(name: str) -> str:
    s = name.strip().upper()
    m = re.fullmatch(r"(SR_|ST_)?(?:B|BAND)?0*(\d{1,2})(_VCID_[12])?", s)
    if m and (m.group(1) or s.startswith("B")):
        return f"{m.group(1) or ''}B{int(m.group(2))}{m.group(3) or ''}"
    return s


def _lookup(mtl: MTL, key: str, groups: tuple[str, ...]) -> float | None:
    for group in groups:
        value = as_float(mtl.get(key, group=group))
        if value is not None:
            return value
    return None


def _fmt_wl(wl: tuple[float, float] | None) -> str:
    return f" ({wl[0]:.2f}-{wl[1]:.2f} µm)" if wl else ""


def _sin_elev(info: LandsatInfo) -> float | None:
    elev = info.sun_elevation
    if elev is None or not 0.0 < elev <= 90.0:
        return None
    return math.sin(math.radians(elev))


def _radiance(mtl: MTL, num: str, notes: list[str]) -> tuple[float, float] | None:
    """(gain, bias) of Level-1 radiance for band key ``num`` ("4", "6_VCID_1")."""
    gain = _lookup(mtl, f"RADIANCE_MULT_BAND_{num}", _RESCALE_GROUPS)
    bias = _lookup(mtl, f"RADIANCE_ADD_BAND_{num}", _RESCALE_GROUPS)
    if gain is not None and bias is not None and gain != 0.0:
        return gain, bias
    candidates = [num]
    if num.startswith("6_VCID_"):  # pre-2012 ETM+: LMAX_BAND61 / LMAX_BAND62
        candidates.append("6" + num[-1])
    for n in candidates:
        lmax = _lookup(mtl, f"RADIANCE_MAXIMUM_BAND_{n}", _MINMAX_RAD_GROUPS)
        lmin = _lookup(mtl, f"RADIANCE_MINIMUM_BAND_{n}", _MINMAX_RAD_GROUPS)
        qmax = _lookup(mtl, f"QUANTIZE_CAL_MAX_BAND_{n}", _MINMAX_DN_GROUPS)
        qmin = _lookup(mtl, f"QUANTIZE_CAL_MIN_BAND_{n}", _MINMAX_DN_GROUPS)
        if lmax is None:
            lmax = _lookup(mtl, f"LMAX_BAND{n}", _MINMAX_RAD_GROUPS)
            lmin = _lookup(mtl, f"LMIN_BAND{n}", _MINMAX_RAD_GROUPS)
            qmax = _lookup(mtl, f"QCALMAX_BAND{n}", _MINMAX_DN_GROUPS)
            qmin = _lookup(mtl, f"QCALMIN_BAND{n}", _MINMAX_DN_GROUPS)
        if None not in (lmax, lmin, qmax, qmin) and qmax != qmin and lmax != lmin:
            assert lmax is not None and lmin is not None and qmax is not None and qmin is not None
            if gain == 0.0:
                notes.append(f"RADIANCE_MULT_BAND_{num} is 0 in the MTL; used LMAX/LMIN instead")
            return radiance_from_minmax(lmax, lmin, qmax, qmin)
    return None


def _level1_reflective(info: LandsatInfo, mtl: MTL, num: str, notes: list[str]) -> Calibration:
    sin_e = _sin_elev(info)
    mult = _lookup(mtl, f"REFLECTANCE_MULT_BAND_{num}", _RESCALE_GROUPS)
    add = _lookup(mtl, f"REFLECTANCE_ADD_BAND_{num}", _RESCALE_GROUPS)
    if mult is not None and add is not None and mult != 0.0:
        if sin_e is None:
            notes.append("no usable SUN_ELEVATION: TOA reflectance is not sun-angle corrected")
            return Calibration("linear", mult, add, "", quantity="TOA reflectance (no sun correction)")
        return Calibration("linear", mult / sin_e, add / sin_e, "", quantity="TOA reflectance")
    rad = _radiance(mtl, num, notes)
    if rad is None:
        notes.append(f"no rescaling coefficients for band {num} in the MTL: values are DN")
        return Calibration()
    sensor = normalize_sensor(info.sensor) or ""
    e = esun(sensor, satellite_number(info.spacecraft), num)
    d = info.earth_sun_distance
    if e is not None and sin_e is not None and d is not None and info.sun_elevation is not None:
        scale, offset = reflectance_from_radiance(rad[0], rad[1], e, info.sun_elevation, d)
        notes.append("TOA reflectance from radiance with ESUN (Chander et al. 2009)")
        return Calibration("linear", scale, offset, "", quantity="TOA reflectance")
    notes.append("no ESUN or sun elevation for this band: values are TOA radiance")
    return Calibration("linear", rad[0], rad[1], _RAD_UNIT, quantity="TOA radiance")


def _level1_thermal(info: LandsatInfo, mtl: MTL, num: str, notes: list[str]) -> Calibration:
    rad = _radiance(mtl, num, notes)
    sat = satellite_number(info.spacecraft) or 0
    sensor = normalize_sensor(info.sensor) or ""
    if rad is None and sensor in ("OLI_TIRS", "TIRS") and sat in TIRS_RADIANCE_DEFAULT:
        rad = TIRS_RADIANCE_DEFAULT[sat]
        notes.append(f"no usable radiance rescaling for B{num}; used the published TIRS default")
    if rad is None:
        notes.append(f"no rescaling coefficients for band {num} in the MTL: values are DN")
        return Calibration()
    k1 = _lookup(mtl, f"K1_CONSTANT_BAND_{num}", _THERMAL_GROUPS)
    k2 = _lookup(mtl, f"K2_CONSTANT_BAND_{num}", _THERMAL_GROUPS)
    if k1 is None or k2 is None or k1 <= 0 or k2 <= 0:
        key_sensor = "OLI_TIRS" if sensor in ("OLI_TIRS", "TIRS") else sensor
        defaults = THERMAL_K_DEFAULTS.get((key_sensor, sat, num))
        if defaults is None:
            return Calibration("linear", rad[0], rad[1], _RAD_UNIT, quantity="TOA radiance")
        k1, k2 = defaults
        notes.append("K1/K2 not in the MTL; used the published constants")
    return Calibration(
        "brightness_temperature", rad[0], rad[1], "K", k1=k1, k2=k2, quantity="brightness temperature"
    )


def _dtype(mtl: MTL, name: str) -> str | None:
    num = band_number(name)
    keys = []
    if num is not None and name.startswith("ST_B"):
        keys.append(f"DATA_TYPE_BAND_ST_B{num}")
    elif num is not None:
        keys.append(f"DATA_TYPE_BAND_{num}")
    if name in _DATA_TYPE_KEYS:
        keys.append(f"DATA_TYPE_{_DATA_TYPE_KEYS[name]}")
    for key in keys:
        value: Any = mtl.get(key, group="PRODUCT_CONTENTS")
        if isinstance(value, str) and value:
            return value.lower()
    return None


def describe_band(info: LandsatInfo, mtl: MTL, name: str) -> BandDescription:
    """Describe band ``name`` ("B4", "SR_B4", "ST_B10", "QA_PIXEL", "SAA", ...) of a product.

    Calibration: C2 SR/ST from the Level-2 groups (USGS defaults as fallback); Level-1 reflective
    and pan as sun-corrected TOA reflectance (REFLECTANCE_MULT/ADD, else radiance x pi d² / (ESUN
    sin elev)); Level-1 thermal as brightness temperature (RADIANCE_MULT/ADD + K1/K2, published
    constants as fallback); angle bands 0.01 deg; QA and unknown layers uncalibrated.
    """
    key = _canonical(name)
    sensor = normalize_sensor(info.sensor)
    spacecraft = info.spacecraft
    role = band_role(key, sensor, spacecraft)
    spec = spectral_band(sensor, spacecraft, key)
    num = band_number(key)
    notes: list[str] = []
    common = spec.common_name if spec else None
    wl = spec.wavelength if spec else None
    res = spec.resolution if spec else None
    cal = Calibration()
    categorical = False
    qa: str | None = None
    nodata: float | None = None
    label = f"{common}{_fmt_wl(wl)}" if common else key

    if key.startswith("SR_B") and num is not None:
        mult = _lookup(mtl, f"REFLECTANCE_MULT_BAND_{num}", (_SR_GROUP,))
        add = _lookup(mtl, f"REFLECTANCE_ADD_BAND_{num}", (_SR_GROUP,))
        if mult is None or add is None:
            mult, add = L2_SR_DEFAULT
            notes.append("Level-2 SR scale not in the MTL; used the USGS C2 default")
        cal = Calibration("linear", mult, add, "", quantity="surface reflectance")
        nodata = 0
        text = f"{label}, surface reflectance"
    elif key.startswith("ST_B") and num is not None:
        mult = _lookup(mtl, f"TEMPERATURE_MULT_BAND_ST_B{num}", (_ST_GROUP,))
        add = _lookup(mtl, f"TEMPERATURE_ADD_BAND_ST_B{num}", (_ST_GROUP,))
        if mult is None or add is None:
            mult, add = L2_ST_DEFAULT
            notes.append("Level-2 ST scale not in the MTL; used the USGS C2 default")
        cal = Calibration("linear", mult, add, "K", quantity="surface temperature")
        nodata = 0
        text = f"{label}, surface temperature"
    elif key in ST_AUX_SCALES:
        scale, unit, quantity, fill = ST_AUX_SCALES[key]
        cal = Calibration("linear", scale, 0.0, unit, quantity=quantity)
        role, nodata = "auxiliary", fill
        text = quantity[0].upper() + quantity[1:] + (f" ({unit})" if unit else "")
    elif role == "qa":
        categorical = True
        qa = _qa_key(key, info)
        text = _QA_TEXT.get(key, key)
        nodata = None
    elif role == "angle":
        cal = Calibration("linear", 0.01, 0.0, "deg", quantity="angle")
        text = _ANGLE_TEXT.get(key.split("_B")[0], key)
        if "_B" in key:
            text += f" (band {int(key.split('_B')[1])})"
    elif role in ("reflective", "pan") and num is not None:
        cal = _level1_reflective(info, mtl, num, notes)
        nodata = 0
        text = f"{label}, {cal.quantity or 'DN'}"
    elif role == "thermal" and num is not None:
        cal = _level1_thermal(info, mtl, num, notes)
        nodata = 0
        text = f"{label}, {cal.quantity or 'DN'}"
        if num == "6_VCID_1":
            text += ", low gain"
        elif num == "6_VCID_2":
            text += ", high gain"
    else:
        role = "auxiliary"
        text = key
    return BandDescription(
        name=key,
        common_name=common,
        wavelength=wl,
        resolution=res,
        role=role,
        calibration=cal,
        categorical=categorical,
        qa=qa,
        nodata=nodata,
        description=text,
        dtype=_dtype(mtl, key) or ("int16" if role == "angle" else None),
        notes=tuple(notes),
    )


def _qa_key(name: str, info: LandsatInfo) -> str | None:
    """QA decoder key (see satview.core.qa) for a QA band of this product."""
    sensor = normalize_sensor(info.sensor) or ""
    oli = sensor in ("OLI_TIRS", "OLI", "TIRS")
    if name == "QA_PIXEL":
        return "c2_qa_pixel"
    if name == "QA_RADSAT":
        return "c2_qa_radsat" if oli else "c2_qa_radsat_tm_etm"
    if name == "BQA":
        if info.collection != 1:
            return None  # pre-collection BQA used another bit layout
        return "c1_bqa" if oli else "c1_bqa_tm_etm"
    if name == "PIXEL_QA":
        return "c1_pixel_qa"
    if name == "SR_QA_AEROSOL":
        return "c2_sr_qa_aerosol"
    if name == "SR_CLOUD_QA":
        return "c2_sr_cloud_qa"
    return None
