"""satview's Qt-free core: open scenes, read them in physical units, stretch, clip, reproject, export.

Used unchanged by the command line, the GUI and the tests. Importing it never loads Qt.
"""

from __future__ import annotations

import satview.core.env  # noqa: F401  (GDAL options first)
from satview.core.readers import identify, open_scene
from satview.core.readers.base import Scene
from satview.core.types import BandInfo, Calibration, GeoGrid, LandsatInfo, SceneInfo

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
