"""Spectral indices (NDVI, NDWI, NDSI, NBR, NDMI, EVI) computed in float32 from reflectance arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from satview.core.composite import band_for, missing_bands_message
from satview.core.types import SceneInfo
from satview.errors import BandNotFoundError, SatviewError

_F = np.float32


def _normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b) in float32; NaN where an input is NaN or a + b == 0."""
    a = np.asarray(a, dtype=_F)
    b = np.asarray(b, dtype=_F)
    num = a - b
    den = a + b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        np.divide(num, den, out=num)
    num[den == 0] = np.nan
    return num


def _evi(nir: np.ndarray, red: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """2.5 (NIR - Red) / (NIR + 6 Red - 7.5 Blue + 1) in float32; NaN where undefined."""
    nir = np.asarray(nir, dtype=_F)
    red = np.asarray(red, dtype=_F)
    blue = np.asarray(blue, dtype=_F)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        den = nir + _F(6.0) * red - _F(7.5) * blue + _F(1.0)
        out = _F(2.5) * (nir - red)
        np.divide(out, den, out=out)
    out[den == 0] = np.nan
    return out


@dataclass(frozen=True)
class IndexDef:
    """A spectral index: the common names it needs (in formula order) and how to show it."""

    key: str
    title: str
    common_names: tuple[str, ...]
    formula: str
    default_cmap: str
    value_range: tuple[float, float] = (-1.0, 1.0)
    func: Callable[..., np.ndarray] = field(default=_normalized_difference, repr=False, compare=False)


def _nd(key: str, title: str, a: str, b: str, cmap: str) -> tuple[str, IndexDef]:
    return key, IndexDef(key, title, (a, b), f"({a} - {b}) / ({a} + {b})", cmap)


#: Index definitions by lower-case key (band choices as in landsat-facts.md 3.2).
INDICES: dict[str, IndexDef] = dict(
    [
        _nd("ndvi", "Normalized Difference Vegetation Index", "NIR", "Red", "rdylgn"),
        _nd("ndwi", "Normalized Difference Water Index (McFeeters)", "Green", "NIR", "rdbu"),
        _nd("ndsi", "Normalized Difference Snow Index", "Green", "SWIR 1", "ice"),
        _nd("nbr", "Normalized Burn Ratio", "NIR", "SWIR 2", "rdylgn"),
        _nd("ndmi", "Normalized Difference Moisture Index", "NIR", "SWIR 1", "rdbu"),
        (
            "evi",
            IndexDef(
                "evi",
                "Enhanced Vegetation Index",
                ("NIR", "Red", "Blue"),
                "2.5 * (NIR - Red) / (NIR + 6 * Red - 7.5 * Blue + 1)",
                "rdylgn",
                (-1.0, 1.0),
                _evi,
            ),
        ),
    ]
)


def get_index(key: str) -> IndexDef:
    """The index called ``key`` (case-insensitive); SatviewError lists the known ones."""
    k = key.strip().lower()
    if k not in INDICES:
        raise SatviewError(f"unknown index {key!r}; choose one of {', '.join(INDICES)}")
    return INDICES[k]


def index_bands(info: SceneInfo, key: str) -> dict[str, str]:
    """Common name -> band name of the bands index ``key`` needs; BandNotFoundError names what's missing."""
    idx = get_index(key)
    found = {cn: band_for(info, cn) for cn in idx.common_names}
    missing = [cn for cn, name in found.items() if name is None]
    if missing:
        raise BandNotFoundError(missing_bands_message(info, idx.key.upper(), missing), info.path)
    return {cn: name for cn, name in found.items() if name is not None}


def compute_index(key: str, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Index ``key`` from reflectance arrays keyed by common name (float32, NaN at fill).

    Returns float32 with NaN where any input is NaN or the denominator is 0; no warnings.
    """
    idx = get_index(key)
    lower = {k.lower(): v for k, v in arrays.items()}
    missing = [cn for cn in idx.common_names if cn.lower() not in lower]
    if missing:
        raise BandNotFoundError(f"{idx.key.upper()} needs arrays for {', '.join(missing)}")
    return idx.func(*(lower[cn.lower()] for cn in idx.common_names))
