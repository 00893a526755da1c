"""Checks made before any library touches a user's file, and budgets checked before reading it.

Nothing here opens a path that is not a regular file: :func:`check_path` looks at ``os.stat``
first (a FIFO named ``.tif`` would block ``open()`` forever), and :func:`open_regular` opens with
``O_NONBLOCK`` and checks the opened descriptor again, so a file swapped for a FIFO in between is
refused too. GDAL virtual paths (``/vsi...``) and URLs are refused: satview reads local files only.

Budgets (:data:`LIMITS`, a :class:`Budgets`) bound what a file may *declare* (bands, pixels, tar
members, dataset shapes) and what one read may allocate, so a tiny hostile header gives
"too large" instead of a ``MemoryError`` or an exhausted machine. Tests may replace ``LIMITS``.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from satview.errors import (
    NotRegularFileError,
    SceneReadError,
    TooLargeError,
    UnsupportedFormatError,
)

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class Budgets:
    """Upper bounds on what an input may declare and on what one read may allocate."""

    max_bands: int = 16384  # bands of one scene (hyperspectral cubes have a few hundred)
    max_declared_bytes: int = 64 * GiB  # width x height x bands x itemsize of a scene / dataset
    max_read_bytes: int = 2 * GiB  # one Scene.read result
    max_block_bytes: int = 512 * MiB  # one GDAL block / HDF chunk, decoded
    max_side: int = 1 << 24  # rows or columns of a grid (16.7 M)
    max_tar_members: int = 10_000
    max_unpacked_bytes: int = 32 * GiB  # total uncompressed size of a .tar.gz
    max_unpack_ratio: float = 200.0  # uncompressed / compressed bytes, checked while streaming ...
    ratio_floor_bytes: int = 1 * GiB  # ... once this much has been unpacked
    max_metadata_bytes: int = 8 * MiB  # an MTL file


LIMITS = Budgets()


def _kind_of_mode(mode: int) -> str | None:
    """Plain words for a non-regular file type, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def refuse_virtual(path: str | os.PathLike[str]) -> None:
    """Refuse GDAL virtual file system paths and URLs: satview opens local files only."""
    text = os.fspath(path)
    if text.startswith("/vsi") or "://" in text:
        raise UnsupportedFormatError(
            "GDAL virtual paths (/vsi...) and URLs are not opened; give the path of a local file", text
        )


def refuse_undecodable_name(path: str | os.PathLike[str]) -> None:
    """Refuse a file name that is not valid UTF-8: GDAL, HDF4 and HDF5 cannot be handed it."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsupportedFormatError(
            "the file name is not valid UTF-8, which the raster libraries cannot open; rename the file",
            path,
        ) from exc


def check_path(path: str | os.PathLike[str], *, allow_dir: bool = False,
               allow_empty: bool = False) -> os.stat_result:
    """``os.stat`` of ``path`` after checking it is a local regular file (or a folder if allowed).

    Raises ``NotRegularFileError`` for missing paths, FIFOs, devices, sockets and unexpected
    folders, ``UnsupportedFormatError`` for ``/vsi`` paths and URLs, ``SceneReadError`` for an
    empty file (unless ``allow_empty``). Never opens the path.
    """
    refuse_virtual(path)
    p = Path(path)
    refuse_undecodable_name(p)
    try:
        st = os.stat(p)
    except FileNotFoundError as exc:
        raise NotRegularFileError("no such file or folder", p) from exc
    except PermissionError as exc:
        raise SceneReadError("permission denied: the file cannot be read", p) from exc
    except (OSError, ValueError) as exc:
        raise NotRegularFileError(f"cannot be looked at: {getattr(exc, 'strerror', None) or exc}", p) from exc
    what = _kind_of_mode(st.st_mode)
    if what == "a folder" and allow_dir:
        return st
    if what is not None:
        raise NotRegularFileError(f"this is {what}, not a regular file; nothing was read from it", p)
    if st.st_size == 0 and not allow_empty:
        raise SceneReadError("the file is empty (0 bytes): an incomplete download?", p)
    return st


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file for binary reading without ever blocking on a FIFO or device.

    The path is checked with ``os.stat`` first, opened with ``O_NONBLOCK | O_NOCTTY`` and the
    descriptor checked again (the path may have been replaced in between).
    """
    check_path(path, allow_empty=True)
    flags = os.O_RDONLY
    for extra in ("O_NONBLOCK", "O_NOCTTY", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise SceneReadError("permission denied: the file cannot be read", path) from exc
    except OSError as exc:
        raise SceneReadError(f"cannot be read: {exc.strerror or exc}", path) from exc
    try:
        what = _kind_of_mode(os.fstat(fd).st_mode)
        if what is not None:
            raise NotRegularFileError(f"this is {what}, not a regular file; nothing was read from it", path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def human_bytes(n: float) -> str:
    """``n`` bytes in words (``"2.0 GiB"``)."""
    return _human(float(n))


def _itemsize(dtype: object) -> int:
    try:
        return max(int(np.dtype(dtype).itemsize), 1)  # type: ignore[call-overload]
    except TypeError:
        return 8


def check_declared(path: str | os.PathLike[str], width: int, height: int, count: int,
                   dtypes: Sequence[object] | object, what: str = "the raster") -> None:
    """Refuse a grid whose declared size exceeds the budgets (bands, sides, total bytes)."""
    lim = LIMITS
    if count > lim.max_bands:
        raise TooLargeError(f"{what} declares {count} bands; satview reads at most {lim.max_bands}", path)
    if width < 0 or height < 0 or width > lim.max_side or height > lim.max_side:
        raise TooLargeError(f"{what} declares a {width} x {height} grid; satview reads at most "
                            f"{lim.max_side} pixels per side", path)
    if isinstance(dtypes, (list, tuple)):
        size = sum(_itemsize(d) for d in dtypes) if dtypes else 0
    else:
        size = count * _itemsize(dtypes)
    total = int(width) * int(height) * size
    if total > lim.max_declared_bytes:
        raise TooLargeError(
            f"{what} declares {width} x {height} pixels x {count} bands = {human_bytes(total)} of data; "
            f"satview opens at most {human_bytes(lim.max_declared_bytes)}", path)


def check_block(path: str | os.PathLike[str], rows: int, cols: int, itemsize: int, bands: int = 1,
                what: str = "a block") -> None:
    """Refuse a tile, strip or chunk that would decode into more than the block budget."""
    total = int(rows) * int(cols) * int(itemsize) * max(int(bands), 1)
    if total > LIMITS.max_block_bytes:
        raise TooLargeError(f"{what} of {rows} x {cols} pixels would need {human_bytes(total)} of memory "
                            f"to decode; satview allows {human_bytes(LIMITS.max_block_bytes)}", path)


def check_dataset_shape(path: str | os.PathLike[str], shape: Sequence[int], dtype: object,
                        name: str = "the dataset", chunks: Sequence[int] | None = None) -> None:
    """Refuse an HDF/netCDF dataset whose declared shape (or chunk) exceeds the budgets."""
    shape = tuple(int(s) for s in shape)
    total = math.prod(shape) * _itemsize(dtype) if shape else _itemsize(dtype)
    if any(s < 0 for s in shape) or total > LIMITS.max_declared_bytes:
        raise TooLargeError(f"{name} declares the shape {' x '.join(map(str, shape))} "
                            f"({human_bytes(total)}); satview opens at most "
                            f"{human_bytes(LIMITS.max_declared_bytes)}", path)
    if len(shape) > 2:
        lead = math.prod(shape[:-2])
        if lead > LIMITS.max_bands:
            raise TooLargeError(f"{name} has {lead} 2-D layers; satview reads at most {LIMITS.max_bands}",
                                path)
    if chunks:
        chunk_bytes = math.prod(int(c) for c in chunks) * _itemsize(dtype)
        if chunk_bytes > LIMITS.max_block_bytes:
            raise TooLargeError(f"{name} is stored in chunks of {human_bytes(chunk_bytes)}; satview allows "
                                f"{human_bytes(LIMITS.max_block_bytes)} per chunk", path)


def check_read(path: str | os.PathLike[str] | None, nbands: int, rows: int, cols: int, dtype: object) -> None:
    """Refuse one read whose result would exceed the read budget (a "too large" error, not a MemoryError)."""
    total = int(nbands) * int(rows) * int(cols) * _itemsize(dtype)
    if total > LIMITS.max_read_bytes:
        raise TooLargeError(
            f"reading {nbands} band(s) of {rows} x {cols} pixels would need {human_bytes(total)} of memory; "
            f"one read may use at most {human_bytes(LIMITS.max_read_bytes)} (read a smaller window or "
            "a decimated out_shape)", path)


def check_gdal_dataset(ds: object, path: str | os.PathLike[str]) -> None:
    """Budgets of an open rasterio dataset: bands, declared size, and the size of one decoded block."""
    width, height, count = int(ds.width), int(ds.height), int(ds.count)  # type: ignore[attr-defined]
    dtypes = list(ds.dtypes)  # type: ignore[attr-defined]
    check_declared(path, width, height, count, dtypes)
    if count == 0:
        return
    # rasterio is loaded already (``ds`` is its dataset); imported here so that guard, used by the
    # app's light checks, does not load it
    from rasterio._err import CPLE_BaseError
    from rasterio.errors import RasterioError

    try:
        shapes = ds.block_shapes  # type: ignore[attr-defined]
        interleave = getattr(getattr(ds, "interleaving", None), "name", "").lower()
    except (RasterioError, CPLE_BaseError):  # GDAL cannot tell the block layout: no block check
        return
    rows, cols = shapes[0]
    bands = count if interleave == "pixel" else 1
    check_block(path, rows, cols, max(_itemsize(d) for d in dtypes), bands, "one block of the raster")
