"""What a NSIDC-0051 / -0081 flat binary sea-ice file holds: its 300-byte header and the meaning of
its one-byte cells (0-250 = 0-100 %, 251-255 flags).

Shared by the scene reader (:mod:`satview.core.readers.nsidc_binary`) and the quick reads of
stacks and series (:mod:`satview.core.readers.nsidc_quick`); plain Python and numpy, no GDAL.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from satview.core.types import BandInfo, Calibration

HEADER_BYTES = 300

#: Raw values 251-255 of NSIDC-0051/-0081 are flags, never concentrations.
NSIDC_BINARY_FLAGS: tuple[tuple[int, str], ...] = (
    (251, "pole_hole"),
    (252, "unused"),
    (253, "coast"),
    (254, "land"),
    (255, "missing"),
)

#: Raw 0-250 is 0-100 % concentration.
CONCENTRATION_SCALE = 250

# The header (NSIDC-0051 user guide, "header structure"): 21 fields of 6 bytes, then a 24-byte file
# name, an 80-byte image title and a 70-byte information field, each NUL-terminated ASCII.
_FIELDS6: tuple[tuple[str, str], ...] = (
    ("missing_value", "int"),
    ("columns", "int"),
    ("rows", "int"),
    ("internal_1", "float"),
    ("latitude_enclosed", "float"),
    ("greenwich_orientation", "float"),
    ("internal_2", "float"),
    ("pole_j", "float"),
    ("pole_i", "float"),
    ("instrument", "str"),
    ("descriptors", "str"),
    ("start_julian_day", "int"),
    ("start_hour", "int"),
    ("start_minute", "int"),
    ("end_julian_day", "int"),
    ("end_hour", "int"),
    ("end_minute", "int"),
    ("year", "int"),
    ("julian_day", "int"),
    ("channel", "str"),
    ("scaling_factor", "int"),
)
_TEXT_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("file_name", 126, 150),
    ("title", 150, 230),
    ("information", 230, 300),
)
_PLATFORMS = {"N07": "Nimbus-7", "N7": "Nimbus-7"}
_ALGORITHMS = {"nt": "NASA Team", "bt": "Bootstrap"}


def _ascii(raw: bytes) -> str:
    """A NUL-terminated header field as text, or "" when it holds anything but printable ASCII."""
    field = raw.split(b"\x00", 1)[0]
    if any(not 32 <= c < 127 for c in field):
        return ""
    return field.decode("ascii").strip()


def parse_header(raw: bytes) -> dict[str, Any]:
    """The fields of a 300-byte NSIDC-0051 header that parse (numbers as numbers; missing = absent)."""
    out: dict[str, Any] = {}
    for i, (name, kind) in enumerate(_FIELDS6):
        text = _ascii(raw[6 * i : 6 * i + 6])
        if not text or text == "-9999":
            continue
        if kind == "str":
            out[name] = text
            continue
        try:
            out[name] = int(text) if kind == "int" else float(text)
        except ValueError:
            continue
    for name, start, stop in _TEXT_FIELDS:
        text = _ascii(raw[start:stop])
        if text:
            out[name] = re.sub(r"\s+", " ", text)
    return out


def _hemisphere_of(header: dict[str, Any], path: Path) -> str | None:
    title = " ".join(str(header.get(k, "")) for k in ("title", "information")).upper()
    if re.search(r"\bANTARCTIC\b", title):
        return "south"
    if re.search(r"\bARCTIC\b", title):
        return "north"
    for name in (str(header.get("file_name", "")), path.name):
        m = re.search(r"_([ns])(?:\.bin)?$", name.lower())
        if m:
            return "north" if m.group(1) == "n" else "south"
    return None


def _date_of(header: dict[str, Any], path: Path) -> dt.date | None:
    year, day = header.get("year"), header.get("julian_day")
    if isinstance(year, int) and isinstance(day, int) and 1900 < year < 2200 and 1 <= day <= 366:
        try:
            return dt.date(year, 1, 1) + dt.timedelta(days=day - 1)
        except (OverflowError, ValueError):
            pass
    for name in (str(header.get("file_name", "")), path.name):
        m = re.search(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", name)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


def _platform_of(header: dict[str, Any], path: Path) -> str | None:
    desc = str(header.get("descriptors", "")).split()
    if desc and desc[0].isdigit():
        return f"DMSP F{int(desc[0]):02d}" if int(desc[0]) != 7 else "Nimbus-7"
    m = re.search(r"_(f\d{2}|n07)_", path.name.lower())
    if m:
        code = m.group(1).upper()
        return _PLATFORMS.get(code, f"DMSP {code}")
    return None


def describe_header(header: dict[str, Any], path: Path) -> dict[str, Any]:
    """Scene facts derived from the header and the file name: hemisphere, date, sensor, product."""
    facts: dict[str, Any] = {}
    hemisphere = _hemisphere_of(header, path)
    if hemisphere:
        facts["hemisphere"] = hemisphere
    date = _date_of(header, path)
    if date:
        facts["date"] = date.isoformat()
    if header.get("instrument"):
        facts["sensor"] = str(header["instrument"])
    platform = _platform_of(header, path)
    if platform:
        facts["platform"] = platform
    names = f"{header.get('file_name', '')} {path.name}".lower()
    algo = re.search(r"(?:^|\s)(nt|bt)_", names)
    if algo:
        facts["algorithm"] = _ALGORITHMS[algo.group(1)]
    facts["product"] = "NSIDC-0081" if "_nrt_" in names else "NSIDC-0051"
    return facts



def concentration_band(facts: dict[str, Any], resolution: float, source: str) -> BandInfo:
    """The one band of a flat binary file: raw 0-250 = 0-100 %, flags 251-255 (the values' meaning,
    shared by the scene and the quick reads of :mod:`satview.core.readers.nsidc_quick`)."""
    about = [str(facts[k]) for k in ("algorithm", "platform", "sensor") if k in facts]
    return BandInfo(
        name="concentration",
        description="sea-ice concentration" + (f" ({', '.join(about)})" if about else ""),
        dtype="uint8",
        nodata=255,
        role="data",
        resolution=resolution,
        calibration=Calibration(kind="linear", scale=100.0 / CONCENTRATION_SCALE, offset=0.0, unit="%",
                                quantity="sea-ice concentration"),
        # Flags sit in the same band as the concentrations: any interpolation would blend land
        # (254) into ice values, so the band is resampled by nearest only.
        categorical=True,
        flags=NSIDC_BINARY_FLAGS,
        source=source,
        source_band=1,
    )
