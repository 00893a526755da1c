"""Registration of satview's own readers (imported lazily by the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from satview.core.readers import register
from satview.core.readers.base import Scene
from satview.core.sniff import Sniffed

_MTL_ROOTS = (b"LANDSAT_METADATA_FILE", b"L1_METADATA_FILE")


def _is_mtl(sn: Sniffed) -> bool:
    head = sn.head.upper()
    return any(root in head for root in _MTL_ROOTS)


def _folder_has_mtl(sn: Sniffed) -> bool:
    from satview.core.mtl import find_mtl_name

    try:
        names = [p.name for p in sn.path.iterdir()]
    except OSError:
        return False
    return find_mtl_name(names) is not None


@register("landsat", {"tar", "tar.gz", "tar.bz2", "tar.xz"}, priority=10)
@register("landsat", {"directory"}, probe=_folder_has_mtl, priority=10)
@register("landsat", {"mtl-odl", "json", "xml"}, probe=_is_mtl, priority=10)
def _open_landsat(path: Path, sn: Sniffed, progress: Any = None, **_: Any) -> Scene:
    from satview.core.readers.landsat import LandsatScene

    return LandsatScene(path, progress=progress, sniffed=sn)


@register("geotiff", {"tiff"}, priority=5)
def _open_geotiff(path: Path, sn: Sniffed, **_: Any) -> Scene:
    from satview.core.readers.raster import RasterScene

    return RasterScene(path, fmt="geotiff")


@register("gdal", {"png", "jpeg", "jp2"}, priority=0)
def _open_gdal(path: Path, sn: Sniffed, **_: Any) -> Scene:
    from satview.core.readers.raster import RasterScene

    return RasterScene(path, fmt="gdal")
