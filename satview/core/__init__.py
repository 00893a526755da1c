"""satview's Qt-free core: open scenes, read them in physical units, stretch, clip, reproject, export.

Used unchanged by the command line, the GUI and the tests. Importing it never loads Qt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import satview.core.env  # noqa: F401  (GDAL options first)

if TYPE_CHECKING:
    from satview.core.readers import identify, open_scene
    from satview.core.readers.base import Scene
    from satview.core.types import BandInfo, Calibration, GeoGrid, LandsatInfo, SceneInfo

#: Where each public name lives; loaded on first use, so ``import satview.core.atomic`` (or any
#: one module) does not load the readers, rasterio and GDAL.
_HOMES = {
    "identify": "satview.core.readers",
    "open_scene": "satview.core.readers",
    "Scene": "satview.core.readers.base",
    **dict.fromkeys(("BandInfo", "Calibration", "GeoGrid", "LandsatInfo", "SceneInfo"), "satview.core.types"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "BandInfo",
    "Calibration",
    "GeoGrid",
    "LandsatInfo",
    "Scene",
    "SceneInfo",
    "identify",
    "open_scene",
]
