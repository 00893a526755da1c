"""Radiometric constants and formulas: DN -> radiance, TOA reflectance, brightness temperature.

Everything is folded into one linear ``scale``/``offset`` (plus K1/K2 for thermal bands) so a
:class:`satview.core.types.Calibration` can carry it.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = [
    "L2_SR_DEFAULT",
    "L2_ST_DEFAULT",
    "ST_AUX_SCALES",
    "THERMAL_K_DEFAULTS",
    "TIRS_RADIANCE_DEFAULT",
    "earth_sun_distance",
    "esun",
    "radiance_from_minmax",
    "reflectance_from_radiance",
]

# Mean exo-atmospheric solar irradiance ESUN (W m-2 µm-1) per reflective band, from
# G. Chander, B.L. Markham, D.L. Helder (2009), "Summary of current radiometric calibration
# coefficients for Landsat MSS, TM, ETM+, and EO-1 ALI sensors", Remote Sensing of Environment
# 113, 893-903 (solar exoatmospheric spectral irradiances table). Only pre-collection products
# lacking REFLECTANCE_MULT/ADD need these. Keys are the MTL band numbers of each spacecraft
# (MSS on Landsat 1-3 numbers its bands 4-7, on Landsat 4-5 1-4).
_MSS_ESUN = {
    1: (1823.0, 1559.0, 1276.0, 880.1),
    2: (1829.0, 1539.0, 1268.0, 886.6),
    3: (1839.0, 1555.0, 1291.0, 887.9),
    4: (1827.0, 1569.0, 1260.0, 866.4),
    5: (1824.0, 1570.0, 1249.0, 853.4),
}
_ESUN: dict[tuple[str, int], dict[str, float]] = {
    ("TM", 4): {"1": 1983.0, "2": 1795.0, "3": 1539.0, "4": 1028.0, "5": 219.8, "7": 83.49},
    ("TM", 5): {"1": 1983.0, "2": 1796.0, "3": 1536.0, "4": 1031.0, "5": 220.0, "7": 83.44},
    ("ETM", 7): {
        "1": 1997.0,
        "2": 1812.0,
        "3": 1533.0,
        "4": 1039.0,
        "5": 230.8,
        "7": 84.90,
        "8": 1362.0,
    },
}
for _sat, _values in _MSS_ESUN.items():
    _first = 4 if _sat <= 3 else 1
    _ESUN[("MSS", _sat)] = {str(_first + i): v for i, v in enumerate(_values)}

#: Published thermal constants (K1 W m-2 sr-1 µm-1, K2 K) used when the MTL lacks them:
#: TM/ETM+ from Chander et al. (2009), OLI/TIRS from the Landsat 8 MTL files.
THERMAL_K_DEFAULTS: dict[tuple[str, int, str], tuple[float, float]] = {
    ("TM", 4, "6"): (671.62, 1284.30),
    ("TM", 5, "6"): (607.76, 1260.56),
    ("ETM", 7, "6"): (666.09, 1282.71),
    ("ETM", 7, "6_VCID_1"): (666.09, 1282.71),
    ("ETM", 7, "6_VCID_2"): (666.09, 1282.71),
    ("OLI_TIRS", 8, "10"): (774.8853, 1321.0789),
    ("OLI_TIRS", 8, "11"): (480.8883, 1201.1442),
    ("OLI_TIRS", 9, "10"): (799.0284, 1329.2405),
    ("OLI_TIRS", 9, "11"): (475.6581, 1198.3494),
}

#: Typical TIRS radiance rescaling (gain, bias) per spacecraft number, used only when an MTL carries
#: a zero RADIANCE_MULT for B10/B11 (seen in some pre-collection MTL.json files).
TIRS_RADIANCE_DEFAULT: dict[int, tuple[float, float]] = {8: (3.3420e-04, 0.1), 9: (3.8000e-04, 0.1)}

#: Collection 2 Level-2 defaults (USGS FAQ "How do I use a scale factor with Landsat Level-2
#: science products?"): (scale, offset).
L2_SR_DEFAULT = (2.75e-05, -0.2)
L2_ST_DEFAULT = (0.00341802, 149.0)

#: C2 Level-2 surface-temperature helper layers and SR_ATMOS_OPACITY:
#: suffix -> (scale, unit, quantity, fill); USGS Landsat 8-9 / 4-7 C2 L2 Science Product Guides.
_RAD_UNIT = "W/(m² sr µm)"
ST_AUX_SCALES: dict[str, tuple[float, str, str, float]] = {
    "ST_ATRAN": (0.0001, "", "atmospheric transmittance", -9999),
    "ST_EMIS": (0.0001, "", "emissivity", -9999),
    "ST_EMSD": (0.0001, "", "emissivity standard deviation", -9999),
    "ST_CDIST": (0.01, "km", "distance to cloud", -9999),
    "ST_DRAD": (0.001, _RAD_UNIT, "downwelled radiance", -9999),
    "ST_URAD": (0.001, _RAD_UNIT, "upwelled radiance", -9999),
    "ST_TRAD": (0.001, _RAD_UNIT, "thermal radiance", -9999),
    "ST_QA": (0.01, "K", "surface temperature uncertainty", -9999),
    "SR_ATMOS_OPACITY": (0.001, "", "atmospheric opacity", -9999),
}


def esun(sensor: str, satellite: int | None, band: str) -> float | None:
    """ESUN (W m-2 µm-1) for a band of a sensor/spacecraft, or None when not tabulated."""
    if satellite is None:
        return None
    return _ESUN.get((sensor, satellite), {}).get(band)


def earth_sun_distance(date: dt.date) -> float:
    """Earth-Sun distance in astronomical units from the day of year (error < 0.0002 AU).

    d = 1 - 0.01672 cos(0.9856° (DOY - 4)), the usual first-order orbit approximation.
    """
    doy = date.timetuple().tm_yday
    return 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))


def radiance_from_minmax(lmax: float, lmin: float, qcalmax: float, qcalmin: float) -> tuple[float, float]:
    """(gain, bias) from LMAX/LMIN/QCALMAX/QCALMIN: L = gain * DN + bias."""
    gain = (lmax - lmin) / (qcalmax - qcalmin)
    return gain, lmin - gain * qcalmin


def reflectance_from_radiance(
    gain: float, bias: float, esun_value: float, sun_elevation: float, distance: float
) -> tuple[float, float]:
    """Fold rho = pi L d² / (ESUN sin(elev)) into the radiance gain/bias: (scale, offset)."""
    factor = math.pi * distance * distance / (esun_value * math.sin(math.radians(sun_elevation)))
    return gain * factor, bias * factor
