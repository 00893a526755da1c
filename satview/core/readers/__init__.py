"""Open any supported file as a scene: identify it by content, then hand it to a registered reader.

Readers register the content kinds they accept (see :mod:`satview.core.sniff`) and an optional
probe in :mod:`satview.core.readers.registry`; the first matching reader by priority opens the
file. Format code lives only in readers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satview.core.env import ensure_thread_env
from satview.core.guard import check_declared, check_path
from satview.core.readers.registry import ReaderEntry, entries
from satview.core.sniff import Sniffed, sniff
from satview.errors import SatviewError, TooLargeError, UnsupportedFormatError

if TYPE_CHECKING:
    from satview.core.readers.base import Scene

_MULTI_DATASET = frozenset({"hdf4", "hdf5", "netcdf3"})


def readers() -> list[ReaderEntry]:
    """The registered readers, highest priority first."""
    _load_builtin()
    return entries()


def identify(path: str | os.PathLike[str]) -> str | None:
    """Name of the reader that would open ``path``, or None (never raises for bad content)."""
    try:
        sn = sniff(path)
    except SatviewError:
        return None
    entry = _match(sn)
    return entry.name if entry else None


def open_scene(path: str | os.PathLike[str], **options: Any) -> Scene:
    """Open ``path`` as a scene (a context manager). Raises a ``SatviewError`` naming the file."""
    check_path(path, allow_dir=True)  # before any library sees it: no FIFOs, devices, /vsi, URLs, empties
    sn = sniff(path)
    entry = _match(sn)
    if entry is None:  # found from the first bytes alone: no GDAL loaded for a file that is not a scene
        raise UnsupportedFormatError(_why_unsupported(sn), path)
    if options.get("dataset") and entry.name not in _MULTI_DATASET:
        raise UnsupportedFormatError(
            f"this {entry.name} file has no datasets to choose from (--dataset is for HDF and netCDF)", path
        )
    ensure_thread_env()
    try:
        scene = entry.opener(Path(path), sn, **options)
    except MemoryError as exc:
        raise TooLargeError("not enough memory to open the file", path) from exc
    try:
        grid = scene.info.grid
        check_declared(path, grid.width, grid.height, len(scene.info.bands),
                       [b.dtype for b in scene.info.bands], "the scene")
    except BaseException:
        scene.close()
        raise
    return scene


def _match(sn: Sniffed) -> ReaderEntry | None:
    _load_builtin()
    for entry in entries():
        if sn.kind in entry.kinds and (entry.probe is None or entry.probe(sn)):
            return entry
    return None


def _why_unsupported(sn: Sniffed) -> str:
    words = {
        "empty": "the file is empty",
        "text": "this is a text file, not a raster or a scene",
        "odl": "this is a text metadata file (not a Landsat MTL)",
        "json": "this JSON file is not a Landsat MTL",
        "xml": "this XML file is not a Landsat MTL",
        "gzip": "this is gzip-compressed data that is not a tar archive",
        "zip": "zip archives are not supported; unpack it and open the folder",
        "directory": "the folder holds no Landsat scene (no *_MTL.txt/.json/.xml file)",
        "unknown": "the content is not a format satview reads",
    }
    return words.get(sn.kind, f"{sn.kind} files are not supported yet")


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from satview.core.readers import builtin  # noqa: F401  (registers the readers)


def __getattr__(name: str) -> Any:
    if name == "Scene":  # the scene base class, loaded (with rasterio) on first use
        from satview.core.readers.base import Scene

        return Scene
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
