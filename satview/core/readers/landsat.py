"""Landsat scenes as USGS ships them: ``.tar`` (read in place), ``.tar.gz`` (unpacked once into
the cache), an unpacked scene folder, or the path of its MTL (``.txt``, ``.xml``, ``.json``).

The MTL says what the product is and how to calibrate each band; band files are found by the
names the MTL lists and, failing that, by the band suffix of any GeoTIFF in the scene.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.enums import Resampling
from rasterio.windows import Window

from satview.core.archive import gdal_member_path, list_tar, member_error, read_member, unpack_to_cache
from satview.core.geo import footprint_lonlat
from satview.core.guard import check_path
from satview.core.landsat import band_files, band_name_from_filename, describe_band, landsat_info
from satview.core.mtl import MAX_MTL_BYTES, find_mtl_name, parse_mtl
from satview.core.mtl_model import MTL
from satview.core.readers.base import Scene
from satview.core.readers.gdal_handles import DatasetPool
from satview.core.readers.read_aligned import read_aligned
from satview.core.sniff import Sniffed, sniff
from satview.core.types import BandInfo, Deferred, GeoGrid, SceneInfo
from satview.errors import SatviewError, SceneReadError, TooLargeError

ProgressFn = Callable[[float, str], None]
_RASTER_SUFFIXES = (".tif", ".tiff")


@dataclass(frozen=True)
class _File:
    """A file of the scene: its name in the scene and the GDAL path that reads it; ``member``: it is
    a member of the archive the user opened (read in place or from the unpacked cache copy)."""

    name: str
    gdal_path: str
    member: bool = False


@contextlib.contextmanager
def _about(display: str | os.PathLike[str], f: _File | None) -> Iterator[None]:
    """Errors about an archive member's file become errors about the archive (:func:`member_error`)."""
    try:
        yield
    except SatviewError as exc:
        if f is None or not f.member:
            raise
        raise member_error(exc, display, f.name, f.gdal_path) from exc


class LandsatScene(Scene):
    """One Landsat product, whichever way it was delivered."""

    def __init__(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
                 sniffed: Sniffed | None = None) -> None:
        super().__init__()
        self._display = os.fspath(path)
        self._pool = DatasetPool(self._display, ("GTiff",))  # band files are GeoTIFFs, nothing else
        sn = sniffed or sniff(path)
        files, mtl = _collect(Path(path), sn, progress)
        self._by_source = {f.gdal_path: f for f in files.values()}
        info = landsat_info(mtl)
        self.info = self._build_info(files, mtl, info)

    def close(self) -> None:
        self._pool.close()
        super().close()

    def _read_band(
        self, band: BandInfo, window: Window, out_shape: tuple[int, int], resampling: Resampling
    ) -> np.ndarray:
        with _about(self._display, self._by_source.get(band.source)):
            ds = self._pool.get(band.source)
            return read_aligned(ds, band, self.info.grid, window, out_shape, resampling, self.path)

    def _build_info(self, files: dict[str, _File], mtl: MTL, linfo) -> SceneInfo:
        by_base = {f.name.rsplit("/", 1)[-1].lower(): f for f in files.values()}
        chosen: dict[str, _File] = {}
        listed = band_files(mtl)
        for band, fname in listed.items():
            f = by_base.get(fname.rsplit("/", 1)[-1].lower())
            if f is not None:
                chosen[band] = f
        for f in files.values():  # bands present but not (or differently) named in the MTL
            if not f.name.lower().endswith(_RASTER_SUFFIXES):
                continue
            band = band_name_from_filename(f.name)
            if band and band not in chosen:
                chosen[band] = f
        if not chosen:
            what = f"lists {len(listed)} band files but none is present" if listed else "lists no band files"
            raise SceneReadError(f"no band files: the MTL {what}", self._display)
        order = {name: i for i, name in enumerate(listed)}
        names = sorted(chosen, key=lambda n: (order.get(n, len(order)), n))
        bands: list[BandInfo] = []
        grids: dict[str, GeoGrid] = {}
        for name in names:
            f = chosen[name]
            with _about(self._display, f):
                ds = self._pool.get(f.gdal_path)
            desc = describe_band(linfo, mtl, name)
            nodata = ds.nodatavals[0] if ds.nodatavals and ds.nodatavals[0] is not None else desc.nodata
            bands.append(
                BandInfo(
                    name=name,
                    description=desc.description,
                    dtype=ds.dtypes[0],
                    nodata=nodata,
                    role=desc.role,
                    common_name=desc.common_name,
                    wavelength=desc.wavelength,
                    resolution=desc.resolution,
                    calibration=desc.calibration,
                    categorical=desc.categorical,
                    qa=desc.qa,
                    source=f.gdal_path,
                    source_band=1,
                )
            )
            grids[name] = GeoGrid(ds.crs, ds.transform, ds.width, ds.height)
        grid = grids[_reference_band(bands)]
        return SceneInfo(
            path=self._display,
            format="landsat",
            grid=grid,
            bands=tuple(bands),
            landsat=linfo,
            metadata={"mtl": mtl},
            footprint=Deferred(footprint_lonlat, grid),
            warnings=tuple(mtl.warnings),
        )


def _reference_band(bands: list[BandInfo]) -> str:
    """The band whose grid is the scene grid: the first 30 m-class reflective band."""
    for role in ("reflective", "thermal", "qa"):
        for b in bands:
            if b.role == role:
                return b.name
    return bands[0].name


def _collect(path: Path, sn: Sniffed, progress: ProgressFn | None) -> tuple[dict[str, _File], MTL]:
    """The scene's files and its parsed MTL, for every way a scene can be delivered."""
    if sn.kind == "tar":
        members = list_tar(path)
        files = {m.name: _File(m.name, gdal_member_path(path, m), member=True) for m in members}
        mtl_name = find_mtl_name(list(files))
        if mtl_name is None:
            raise SceneReadError("the archive holds no Landsat MTL metadata file (*_MTL.txt/.json/.xml)",
                                 path)
        member = next(m for m in members if m.name == mtl_name)
        if member.size > MAX_MTL_BYTES:
            raise TooLargeError(f"the MTL member {mtl_name} is {member.size} bytes, far too large to be "
                                "Landsat metadata", path)
        with _about(path, files[mtl_name]):
            mtl = parse_mtl(read_member(path, member, MAX_MTL_BYTES), name=f"{path}:{mtl_name}")
        return files, mtl
    if sn.is_archive or sn.kind in ("tar.bz2", "tar.xz"):
        folder = unpack_to_cache(path, progress)
        return _collect_folder(folder, display=path, members=True)
    if sn.kind == "directory":
        return _collect_folder(path, display=path)
    if sn.kind in ("mtl-odl", "json", "xml"):
        files, _ = _list_folder(path.parent)
        mtl = _parse_file(path)
        return files, mtl
    raise SceneReadError(f"not a Landsat scene (the file is {sn.kind})", path)


def _list_folder(folder: Path, depth: int = 2, members: bool = False) -> tuple[dict[str, _File], list[str]]:
    """The files of a scene folder up to ``depth`` levels down, by relative name (``members``: the
    folder is the unpacked copy of the user's archive)."""
    files: dict[str, _File] = {}
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        rel_depth = len(Path(dirpath).relative_to(root).parts)
        if rel_depth >= depth:
            dirnames[:] = []
        dirnames.sort()
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            files[rel] = _File(rel, str(full), member=members)
    return files, list(files)


def _collect_folder(folder: Path, display: Path, members: bool = False) -> tuple[dict[str, _File], MTL]:
    files, names = _list_folder(folder, members=members)
    mtl_name = find_mtl_name(names)
    if mtl_name is None:
        where = "archive" if members else "folder"
        raise SceneReadError(f"the {where} holds no Landsat MTL metadata file (*_MTL.txt/.json/.xml)",
                             display)
    with _about(display, files[mtl_name]):
        return files, _parse_file(Path(files[mtl_name].gdal_path))


def _parse_file(path: Path) -> MTL:
    try:
        size = check_path(path).st_size
        if size > MAX_MTL_BYTES:
            raise TooLargeError(f"the MTL file is {size} bytes, far too large to be Landsat metadata", path)
        return parse_mtl(path)
    except OSError as exc:
        raise SceneReadError(f"cannot read the MTL file ({exc.strerror or exc})", path) from exc
