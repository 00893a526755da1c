"""Band names of a Landsat product: from raster file names, and the band list an MTL declares.

Both go through :func:`band_name_from_filename`, so names from a folder/tarball listing and names
from the MTL always agree.
"""

from __future__ import annotations

import re
from typing import Any

from satview.core.landsat.sensors import band_number, normalize_sensor, spectral_band
from satview.core.mtl_model import MTL

__all__ = ["band_files", "band_name_from_filename", "band_role", "band_sort_key"]

_RASTER_EXT = re.compile(r"\.(tif|tiff)$", re.IGNORECASE)

# Tokens that name a band, searched in the underscore-separated file stem (upper case). Longer,
# more specific tokens first; the match ending last in the stem wins (so "_B1_clip" gives B1).
_TOKENS = (
    r"SR_QA_AEROSOL",
    r"SR_CLOUD_QA",
    r"SR_ATMOS_OPACITY",
    r"SR_B\d{1,2}",
    r"ST_B\d{1,2}",
    r"ST_[A-Z]{2,6}",
    r"QA_PIXEL",
    r"QA_RADSAT",
    r"PIXEL_QA",
    r"BQA",
    r"B\d{1,2}_VCID_[12]",
    r"B\d{1,2}",
    r"(?:SAA|SZA|VAA|VZA)(?:_B\d{1,2})?",
)
_TOKEN_RE = re.compile(r"(" + "|".join(_TOKENS) + r")(?=_|$)")
# Pre-2012 names: L5PPPRRR_RRRYYYYMMDD_B10.TIF = band 1, ETM+ _B61/_B62 = band 6 low/high gain.
_OLD_NAME_RE = re.compile(r"^L[4-7]\d{6,7}_\d{11}_B(\d)([0-2])$")
_GAP_MASK_RE = re.compile(r"(?:^|_)GM_B\d")

_QA_ORDER = ("QA_PIXEL", "QA_RADSAT", "BQA", "PIXEL_QA", "SR_QA_AEROSOL", "SR_CLOUD_QA")
_ANGLE_NAMES = ("SAA", "SZA", "VAA", "VZA")
_ROLE_RANK = {"reflective": 0, "pan": 1, "thermal": 2, "qa": 3, "angle": 4, "auxiliary": 5}


def band_name_from_filename(filename: str) -> str | None:
    """Band name of a Landsat raster file name (any case, with or without folders), or None.

    ``..._B4.TIF`` -> "B4", ``_SR_B4`` -> "SR_B4", ``_ST_B10``/``_ST_QA``/``_ST_TRAD`` -> same,
    ``_QA_PIXEL``/``_QA_RADSAT``/``_BQA``/``_SR_QA_AEROSOL``/``_SR_CLOUD_QA``/``_SR_ATMOS_OPACITY``,
    ``_B6_VCID_1``, angle bands ``_SAA``/``_SZA``/``_VAA``/``_VZA`` (``_VAA_B04`` -> "VAA_B04"),
    crops like ``LC8_test_B1_clip.TIF`` -> "B1". ETM+ gap masks (``_GM_B1``) give None on purpose:
    they are per-band SLC-off masks, not bands to show. Non-raster names give None.
    """
    if not filename:
        return None
    base = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    if base.startswith("._") or not _RASTER_EXT.search(base):
        return None
    stem = _RASTER_EXT.sub("", base).upper()
    if _GAP_MASK_RE.search(stem):
        return None
    old = _OLD_NAME_RE.match(stem)
    if old:
        band, sub = old.groups()
        if band == "6" and sub in ("1", "2"):
            return f"B6_VCID_{sub}"
        return f"B{band}"
    best: tuple[int, int, str] | None = None
    starts = [0] + [i + 1 for i, ch in enumerate(stem) if ch == "_"]
    for pos in starts:
        m = _TOKEN_RE.match(stem, pos)
        if m:
            cand = (m.end(1), len(m.group(1)), m.group(1))
            if best is None or cand[:2] > best[:2]:
                best = cand
    if best is None:
        return None
    name = best[2]
    return _normalise(name)


def _normalise(name: str) -> str:
    m = re.fullmatch(r"(SR_|ST_)?B0*(\d{1,2})(_VCID_[12])?", name)
    if m:
        return f"{m.group(1) or ''}B{int(m.group(2))}{m.group(3) or ''}"
    return name


def band_role(name: str, sensor: str | None = None, spacecraft: str | None = None) -> str:
    """Role of a band name: reflective, pan, thermal, qa, angle or auxiliary."""
    upper = name.upper()
    if upper in _QA_ORDER:
        return "qa"
    if upper.split("_B")[0] in _ANGLE_NAMES:
        return "angle"
    if upper.startswith("ST_B"):
        return "thermal"
    if upper.startswith("SR_B"):
        return "reflective"
    if re.fullmatch(r"B\d{1,2}(_VCID_[12])?", upper):
        spec = spectral_band(sensor, spacecraft, upper)
        if spec is not None:
            return spec.role
        if sensor is None and spacecraft is None:
            return "thermal" if "VCID" in upper else "reflective"
        return "auxiliary"
    return "auxiliary"


def band_sort_key(
    name: str, sensor: str | None = None, spacecraft: str | None = None
) -> tuple[int, float, int]:
    """Sort key: reflective bands by number, then pan, thermal, QA, angle, auxiliary."""
    role = band_role(name, sensor, spacecraft)
    number = band_number(name)
    if number is not None:
        main, _, vcid = number.partition("_VCID_")
        value = float(main) + (float(vcid) / 10 if vcid else 0.0)
    elif role == "qa":
        value = float(_QA_ORDER.index(name.upper()))
    elif role == "angle":
        value = float(_ANGLE_NAMES.index(name.upper().split("_B")[0]))
    else:
        value = 0.0
    return (_ROLE_RANK.get(role, 9), value, 0)


def _key_fallback(key: str) -> str | None:
    """Band name from an MTL key when the file name says nothing (hand-made MTLs)."""
    m = re.fullmatch(r"FILE_NAME_BAND_(\d{1,2}(?:_VCID_[12])?)|BAND(\d{1,2})_FILE_NAME", key)
    if m:
        num = m.group(1) or m.group(2)
        if m.group(2) and len(num) == 2 and num[0] == "6":  # pre-2012 BAND61/BAND62
            return f"B6_VCID_{num[1]}"
        return f"B{num}"
    return {
        "FILE_NAME_BAND_QUALITY": "BQA",
        "FILE_NAME_QUALITY_L1_PIXEL": "QA_PIXEL",
        "FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION": "QA_RADSAT",
    }.get(key)


def band_files(mtl: MTL) -> dict[str, str]:
    """Band name -> file name as listed in the MTL (the product's own files only).

    C2 reads PRODUCT_CONTENTS (so a Level-2 MTL lists SR/ST/QA files, not the Level-1 files of
    LEVEL1_PROCESSING_RECORD); C1/pre-collection read PRODUCT_METADATA. Band names come from
    :func:`band_name_from_filename`; the first file listed for a name wins. Ordered reflective
    bands by number, then pan, thermal, QA, angle, auxiliary.
    """
    group: dict[str, Any] | None = None
    for name in ("PRODUCT_CONTENTS", "PRODUCT_METADATA"):
        group = mtl.group(name)
        if group:
            break
    if not group:
        espa = mtl.group("ESPA_BANDS") or {}
        group = {f"FILE_NAME_{k}": v for k, v in espa.items()}
    found: dict[str, str] = {}
    for key, value in group.items():
        if not isinstance(value, str):
            continue
        if not (key.startswith("FILE_NAME") or key.endswith("_FILE_NAME")):
            continue
        name = band_name_from_filename(value)
        if name is None and _RASTER_EXT.search(value) and not _GAP_MASK_RE.search(value.upper()):
            name = _key_fallback(key)
        if name is not None and name not in found:
            found[name] = value
    sensor = normalize_sensor(mtl.get("SENSOR_ID"))
    spacecraft = mtl.get("SPACECRAFT_ID")
    order = list(found)
    ordered = sorted(
        order,
        key=lambda n: (
            *band_sort_key(n, sensor, str(spacecraft) if spacecraft else None)[:2],
            order.index(n),
        ),
    )
    return {n: found[n] for n in ordered}
