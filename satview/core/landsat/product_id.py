"""Parse Landsat product identifiers (C1/C2) and pre-collection scene identifiers.

Product id: ``LXSS_LLLL_PPPRRR_YYYYMMDD_yyyymmdd_CC_TX``; scene id: ``LXSPPPRRRYYYYDDDGSIVV``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["ProductId", "parse_product_id", "sensor_from_letter"]

_PRODUCT_RE = re.compile(
    r"(?<![A-Za-z0-9])L([COTEM])(\d{2})_([A-Z0-9]{4})_(\d{3})(\d{3})_(\d{8})_(\d{8})_(\d{2})_([A-Z0-9]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_SCENE_RE = re.compile(
    r"(?<![A-Za-z0-9])L([COTEM])(\d)(\d{3})(\d{3})(\d{4})(\d{3})([A-Z]{3})(\d{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductId:
    """The facts encoded in a Landsat product or scene identifier."""

    product_id: str
    sensor_letter: str  # C, O, T, E, M
    spacecraft: str  # "LANDSAT_8"
    sensor: str  # "OLI_TIRS", "OLI", "TIRS", "ETM", "TM", "MSS"
    level: str | None  # "L1TP", "L2SP", ...; None for pre-collection scene ids
    wrs_path: int
    wrs_row: int
    acquired: dt.date
    processed: dt.date | None
    collection: int  # 0 for pre-collection scene ids
    tier: str | None  # "T1", "T2", "RT"; None for pre-collection


def sensor_from_letter(letter: str, satellite: int) -> str:
    """Sensor name from the id's sensor letter (T is TM on Landsat 4-5, TIRS on 8-9)."""
    letter = letter.upper()
    if letter == "C":
        return "OLI_TIRS"
    if letter == "O":
        return "OLI"
    if letter == "E":
        return "ETM"
    if letter == "M":
        return "MSS"
    return "TIRS" if satellite >= 8 else "TM"


def _date(text: str) -> dt.date | None:
    """``YYYYMMDD`` (eight digits, as the pattern guarantees) as a date, None when it is no real date
    (without ``strptime``, whose first use imports ``_strptime`` and its locale tables: 2 ms)."""
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_product_id(text: str | None) -> ProductId | None:
    """Find and parse a product id (C1/C2) or a pre-collection scene id in ``text``.

    ``text`` may be a bare id, a file or member name (``..._B4.TIF``) or a path. Returns None
    when there is no valid id (including impossible dates).
    """
    if not text:
        return None
    text = str(text).replace("\\", "/").rsplit("/", 1)[-1]
    m = _PRODUCT_RE.search(text)
    if m:
        letter, sat, level, path, row, acq, proc, coll, tier = m.groups()
        acquired = _date(acq)
        if acquired is None:
            return None
        n = int(sat)
        return ProductId(
            product_id=m.group(0).upper(),
            sensor_letter=letter.upper(),
            spacecraft=f"LANDSAT_{n}",
            sensor=sensor_from_letter(letter, n),
            level=level.upper(),
            wrs_path=int(path),
            wrs_row=int(row),
            acquired=acquired,
            processed=_date(proc),
            collection=int(coll),
            tier=tier.upper(),
        )
    m = _SCENE_RE.search(text)
    if m:
        letter, sat, path, row, year, doy, _station, _version = m.groups()
        try:
            acquired = dt.date(int(year), 1, 1) + dt.timedelta(days=int(doy) - 1)
        except (ValueError, OverflowError):
            return None
        if not 1 <= int(doy) <= 366 or acquired.year != int(year):
            return None
        n = int(sat)
        return ProductId(
            product_id=m.group(0).upper(),
            sensor_letter=letter.upper(),
            spacecraft=f"LANDSAT_{n}",
            sensor=sensor_from_letter(letter, n),
            level=None,
            wrs_path=int(path),
            wrs_row=int(row),
            acquired=acquired,
            processed=None,
            collection=0,
            tier=None,
        )
    return None
