"""Change classes: USGS dNBR burn severity and a generic threshold pair, with their area tallies.

The change raster satview writes is always AFTER minus BEFORE. dNBR is conventionally BEFORE
minus AFTER (a burn lowers NBR, so burnt land has a positive dNBR); the ``dnbr`` classes are
therefore applied to the negated difference, and the output metadata says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from satview.core.types import GeoGrid
from satview.errors import SatviewError

_INF = math.inf

#: USGS FIREMON / Key & Benson (2006) dNBR severity classes on BEFORE minus AFTER (unscaled NBR).
DNBR_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("enhanced regrowth, high", -_INF, -0.25),
    ("enhanced regrowth, low", -0.25, -0.1),
    ("unburned", -0.1, 0.1),
    ("low severity", 0.1, 0.27),
    ("moderate-low severity", 0.27, 0.44),
    ("moderate-high severity", 0.44, 0.66),
    ("high severity", 0.66, _INF),
)
DNBR_CONVENTION = "dNBR = BEFORE - AFTER = -(AFTER - BEFORE); classes from USGS (Key & Benson 2006)"


@dataclass(frozen=True)
class ClassScheme:
    """Named classes ``[low, high)`` applied to ``sign`` x (AFTER - BEFORE)."""

    name: str
    classes: tuple[tuple[str, float, float], ...]
    sign: float
    convention: str

    def tally(self, diff: np.ndarray, valid: np.ndarray, cell_km2: np.ndarray | float) -> dict[str, float]:
        """Area (km²) per class of the ``valid`` cells of ``diff``; ``cell_km2`` per cell or one number."""
        # float64: the bounds are float64 (``nextafter(HIGH)``); compared as float32 a value of exactly
        # HIGH would fall into the class above (NumPy compares with the array's precision)
        v = diff.astype(np.float64) * self.sign
        area = np.broadcast_to(np.asarray(cell_km2, dtype=np.float64), diff.shape)
        out = {}
        for name, lo, hi in self.classes:
            with np.errstate(invalid="ignore"):
                hit = valid & (v >= lo) & (v < hi)
            out[name] = float(area[hit].sum())
        return out


def parse_classes(text: str | None, quantity_label: str) -> ClassScheme | None:
    """``dnbr`` or ``threshold:LOW,HIGH`` (AFTER - BEFORE: decrease < LOW <= no change <= HIGH < increase)."""
    if not text:
        return None
    key = text.strip().lower()
    if key == "dnbr":
        if quantity_label.lower() != "nbr":
            raise SatviewError("--classes dnbr needs --index nbr")
        return ClassScheme("dnbr", DNBR_CLASSES, -1.0, DNBR_CONVENTION)
    if key.startswith("threshold:"):
        try:
            low, high = (float(v) for v in key.split(":", 1)[1].split(","))
        except ValueError:
            raise SatviewError(f"--classes {text!r}: give threshold:LOW,HIGH with two numbers") from None
        if not low <= high:
            raise SatviewError(f"--classes {text!r}: LOW must not exceed HIGH")
        classes = (("decrease", -_INF, low), ("no change", low, math.nextafter(high, _INF)),
                   ("increase", math.nextafter(high, _INF), _INF))
        return ClassScheme("threshold", classes, 1.0,
                           f"on AFTER - BEFORE: decrease < {low:g} <= no change <= {high:g} < increase")
    raise SatviewError(f"unknown --classes {text!r}; use dnbr or threshold:LOW,HIGH")


def cell_area_km2(grid: GeoGrid) -> np.ndarray | float:
    """Area of a cell in km²: one number on a projected grid (nominal), per row on a lon/lat grid."""
    t = grid.transform
    if grid.crs is not None and grid.crs.is_geographic:
        r = 6371.0088
        top = t.f + t.e * np.arange(grid.height + 1)
        lat = np.radians(np.clip(top, -90, 90))
        band = np.abs(np.diff(np.sin(lat))) * r * r * math.radians(abs(t.a))
        return band[:, np.newaxis]
    factor = 1.0
    if grid.crs is not None:
        factor = float(grid.crs.linear_units_factor[1]) if grid.crs.linear_units_factor else 1.0
    return abs(t.a * t.e - t.b * t.d) * factor * factor / 1e6
