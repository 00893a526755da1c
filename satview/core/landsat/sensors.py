"""Band tables of the Landsat sensors (MSS, TM, ETM+, OLI/TIRS): names, wavelengths, resolutions.

Sources: USGS "What are the band designations for the Landsat satellites?" and the Landsat
handbooks (see docs/landsat-facts.md section 3.1). Resolutions are the sensor's native ones (thermal
bands are delivered resampled to 30 m; MSS is delivered at 60 m).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SpectralBand",
    "band_number",
    "normalize_sensor",
    "normalize_spacecraft",
    "satellite_number",
    "spectral_band",
]


@dataclass(frozen=True)
class SpectralBand:
    """One band of a sensor: common name, wavelength range (µm), native resolution (m), role."""

    common_name: str
    wavelength: tuple[float, float]
    resolution: float
    role: str  # "reflective", "thermal" or "pan"


def _b(name: str, lo: float, hi: float, res: float, role: str = "reflective") -> SpectralBand:
    return SpectralBand(name, (lo, hi), res, role)


_OLI_TIRS: dict[str, SpectralBand] = {
    "1": _b("Coastal", 0.43, 0.45, 30),
    "2": _b("Blue", 0.45, 0.51, 30),
    "3": _b("Green", 0.53, 0.59, 30),
    "4": _b("Red", 0.64, 0.67, 30),
    "5": _b("NIR", 0.85, 0.88, 30),
    "6": _b("SWIR 1", 1.57, 1.65, 30),
    "7": _b("SWIR 2", 2.11, 2.29, 30),
    "8": _b("Pan", 0.50, 0.68, 15, "pan"),
    "9": _b("Cirrus", 1.36, 1.38, 30),
    "10": _b("TIR 1", 10.60, 11.19, 100, "thermal"),
    "11": _b("TIR 2", 11.50, 12.51, 100, "thermal"),
}

_TM: dict[str, SpectralBand] = {
    "1": _b("Blue", 0.45, 0.52, 30),
    "2": _b("Green", 0.52, 0.60, 30),
    "3": _b("Red", 0.63, 0.69, 30),
    "4": _b("NIR", 0.76, 0.90, 30),
    "5": _b("SWIR 1", 1.55, 1.75, 30),
    "6": _b("TIR", 10.40, 12.50, 120, "thermal"),
    "7": _b("SWIR 2", 2.08, 2.35, 30),
}

_ETM: dict[str, SpectralBand] = {
    "1": _b("Blue", 0.45, 0.52, 30),
    "2": _b("Green", 0.52, 0.60, 30),
    "3": _b("Red", 0.63, 0.69, 30),
    "4": _b("NIR", 0.77, 0.90, 30),
    "5": _b("SWIR 1", 1.55, 1.75, 30),
    "6": _b("TIR", 10.40, 12.50, 60, "thermal"),
    "6_VCID_1": _b("TIR", 10.40, 12.50, 60, "thermal"),
    "6_VCID_2": _b("TIR", 10.40, 12.50, 60, "thermal"),
    "7": _b("SWIR 2", 2.09, 2.35, 30),
    "8": _b("Pan", 0.52, 0.90, 15, "pan"),
}

# MSS: Landsat 1-3 number the bands 4-7 (Landsat 3 also had a thermal band 8); Landsat 4-5 use 1-4.
_MSS_SPECTRA = (
    ("Green", 0.5, 0.6),
    ("Red", 0.6, 0.7),
    ("NIR 1", 0.7, 0.8),
    ("NIR 2", 0.8, 1.1),
)
_MSS_L1_3: dict[str, SpectralBand] = {
    str(i + 4): _b(name, lo, hi, 60) for i, (name, lo, hi) in enumerate(_MSS_SPECTRA)
}
_MSS_L1_3["8"] = _b("TIR", 10.4, 12.6, 240, "thermal")
_MSS_L4_5: dict[str, SpectralBand] = {
    str(i + 1): _b(name, lo, hi, 60) for i, (name, lo, hi) in enumerate(_MSS_SPECTRA)
}


def satellite_number(spacecraft: str | None) -> int | None:
    """1..9 from "LANDSAT_8", "Landsat8", "L8"; None when unknown."""
    if not spacecraft:
        return None
    m = re.search(r"(\d+)\s*$", str(spacecraft))
    return int(m.group(1)) if m else None


def normalize_spacecraft(value: object) -> str | None:
    """ "LANDSAT_8" from the variants found in MTLs and ESPA files."""
    n = satellite_number(str(value)) if value is not None else None
    return f"LANDSAT_{n}" if n is not None else None


def normalize_sensor(value: object) -> str | None:
    """ "OLI_TIRS", "OLI", "TIRS", "ETM", "TM" or "MSS" from MTL/ESPA spellings."""
    if value is None:
        return None
    s = str(value).strip().upper().replace("+", "").replace("/", "_").replace(" ", "_")
    if not s:
        return None
    return {"ETM_PLUS": "ETM", "OLI-TIRS": "OLI_TIRS"}.get(s, s)


def _table(sensor: str | None, spacecraft: str | None) -> dict[str, SpectralBand]:
    sensor = normalize_sensor(sensor) or ""
    n = satellite_number(spacecraft)
    if sensor in ("OLI_TIRS", "OLI", "TIRS") or (n is not None and n >= 8 and not sensor):
        return _OLI_TIRS
    if sensor == "ETM" or (not sensor and n == 7):
        return _ETM
    if sensor == "TM":
        return _TM
    if sensor == "MSS":
        return _MSS_L1_3 if n is not None and n <= 3 else _MSS_L4_5
    return {}


def band_number(name: str) -> str | None:
    """The band key of a band name: "B4"/"SR_B4"/"ST_B10" -> "4"/"10", "B6_VCID_1" -> "6_VCID_1"."""
    m = re.fullmatch(r"(?:SR_|ST_)?B(\d{1,2}(?:_VCID_[12])?)", name.upper())
    return m.group(1) if m else None


def spectral_band(sensor: str | None, spacecraft: str | None, name: str) -> SpectralBand | None:
    """Table entry for a band name (``B4``, ``SR_B4``, ``ST_B10``, ``B6_VCID_1``), or None."""
    key = band_number(name)
    if key is None:
        return None
    return _table(sensor, spacecraft).get(key)
