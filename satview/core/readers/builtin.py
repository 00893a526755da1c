"""Registration of satview's own readers (imported on first use by :mod:`satview.core.readers`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from satview.core.readers.registry import register
from satview.core.sniff import Sniffed

if TYPE_CHECKING:
    from satview.core.readers.base import Scene

_MTL_ROOTS = (b"LANDSAT_METADATA_FILE", b"L1_METADATA_FILE")


def _is_mtl(sn: Sniffed) -> bool:
    head = sn.head.upper()
    return any(root in head for root in _MTL_ROOTS)


def _folder_has_mtl(sn: Sniffed) -> bool:
    from satview.core.mtl import find_mtl_name  # lazy: registry: loaded only for folders

    try:
        names = [p.name for p in sn.path.iterdir()]
    except OSError:
        return False
    return find_mtl_name(names) is not None


@register("landsat", {"tar", "tar.gz", "tar.bz2", "tar.xz"}, priority=10)
@register("landsat", {"directory"}, probe=_folder_has_mtl, priority=10)
@register("landsat", {"mtl-odl", "json", "xml"}, probe=_is_mtl, priority=10)
def _open_landsat(path: Path, sn: Sniffed, progress: Any = None, **_: Any) -> Scene:
    from satview.core.readers.landsat import LandsatScene  # lazy: Landsat only (+~55 ms)

    return LandsatScene(path, progress=progress, sniffed=sn)


@register("geotiff", {"tiff"}, priority=5)
def _open_geotiff(path: Path, sn: Sniffed, **_: Any) -> Scene:
    from satview.core.readers.raster import RasterScene  # lazy: loaded only for its format

    return RasterScene(path, fmt="geotiff", kind="tiff")


@register("gdal", {"png", "jpeg", "jp2"}, priority=0)
def _open_gdal(path: Path, sn: Sniffed, **_: Any) -> Scene:
    from satview.core.readers.raster import RasterScene  # lazy: loaded only for its format

    return RasterScene(path, fmt="gdal", kind=sn.kind)


# --- HDF, netCDF and NSIDC sea ice (modules imported only when such a file is opened) ---------

#: Sizes of NSIDC-0051/-0081 flat binary grids: 300-byte header + one byte per cell.
NSIDC_BINARY_SIZES = {
    300 + 304 * 448: "north25",
    300 + 316 * 332: "south25",
    300 + 608 * 896: "north12.5",
    300 + 632 * 664: "south12.5",
}


def _is_nsidc_binary(sn: Sniffed) -> bool:
    return sn.size in NSIDC_BINARY_SIZES


@register("hdf4", {"hdf4"}, priority=5)
def _open_hdf4(path: Path, sn: Sniffed, **options: Any) -> Scene:
    from satview.core.readers.hdf4 import open_hdf4  # lazy: HDF4 files only (pyhdf)

    return open_hdf4(path, sn, **options)


@register("hdf5", {"hdf5"}, priority=5)
def _open_hdf5(path: Path, sn: Sniffed, **options: Any) -> Scene:
    from satview.core.readers.hdf5 import open_hdf5  # lazy: HDF5 only: h5py +~30 ms

    return open_hdf5(path, sn, **options)


@register("netcdf3", {"netcdf3"}, priority=5)
def _open_netcdf3(path: Path, sn: Sniffed, **options: Any) -> Scene:
    from satview.core.readers.netcdf3 import open_netcdf3  # lazy: netCDF-3 files only

    return open_netcdf3(path, sn, **options)


@register("nsidc-binary", {"unknown", "text"}, probe=_is_nsidc_binary, priority=5)
def _open_nsidc_binary(path: Path, sn: Sniffed, **options: Any) -> Scene:
    from satview.core.readers.nsidc_binary import open_nsidc_binary  # lazy: sea-ice files only

    return open_nsidc_binary(path, sn, **options)
