"""Open rasterio datasets lazily, one per (thread, source), and close them all together.

GDAL dataset handles must not be shared between threads; a scene read from GUI workers and the
main thread gets its own handle in each thread.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import rasterio
from rasterio.errors import RasterioIOError

from satview.core.env import ensure_thread_env
from satview.errors import SceneReadError, TooLargeError


class DatasetPool:
    """Per-thread cache of open rasterio datasets keyed by GDAL path."""

    def __init__(self, display_path: str, drivers: tuple[str, ...] | None = None) -> None:
        self._display = display_path
        self._drivers = drivers
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self, source: str) -> Any:
        """The open dataset for ``source`` in this thread (opened on first use)."""
        cache: dict[str, Any] | None = getattr(self._local, "cache", None)
        if cache is None:
            cache = self._local.cache = {}
        ds = cache.get(source)
        if ds is None or ds.closed:
            ds = open_dataset(source, self._display, self._drivers)
            cache[source] = ds
            with self._lock:
                self._all.append(ds)
        return ds

    def close(self) -> None:
        """Close every dataset opened through this pool, in any thread."""
        with self._lock:
            for ds in self._all:
                with contextlib.suppress(Exception):  # already closed by GDAL teardown
                    ds.close()
            self._all.clear()
        self._local = threading.local()


def open_dataset(source: str, display_path: str | None = None, drivers: tuple[str, ...] | None = None) -> Any:
    """``rasterio.open`` (read-only, with only ``drivers`` when given) checked against the budgets.

    Raises a ``SceneReadError`` naming the user's file on failure and a ``TooLargeError`` when
    the dataset declares more bands, pixels or a bigger block than satview reads.
    """
    from satview.core.guard import check_gdal_dataset

    ensure_thread_env()
    shown = display_path or source
    if not source.startswith("/vsi"):  # a scene folder's band file: never hand GDAL a FIFO or device
        from satview.core.guard import check_path

        check_path(source)
    try:
        ds = rasterio.open(source, "r", driver=drivers[0] if drivers else None)  # rasterio takes one name
    except RasterioIOError as exc:
        msg = str(exc)
        if "not recognized as being in a supported file format" in msg or "not recognized as" in msg:
            why = "it is not a raster format GDAL can read"
            if drivers:
                why = f"it is not a valid {' / '.join(drivers)} file (damaged or truncated?)"
        elif "TIFFReadDirectory" in msg or "TIFF" in msg:
            why = f"the TIFF is damaged or truncated ({_short(msg)})"
        else:
            why = _short(msg)
        raise SceneReadError(f"cannot open the raster: {why}", shown) from exc
    except MemoryError as exc:
        raise TooLargeError("not enough memory to open the raster", shown) from exc
    try:
        check_gdal_dataset(ds, shown)
    except BaseException:
        ds.close()
        raise
    return ds


def _short(msg: str) -> str:
    msg = " ".join(msg.split())
    return msg if len(msg) < 200 else msg[:197] + "..."
