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
    """Per-thread cache of open rasterio datasets keyed by GDAL path.

    ``without_bad_georef``: a GeoTIFF whose georeferencing tags cannot be decoded is opened
    without them (no CRS, pixel grid) instead of failing; :attr:`notes` then says so per source.
    """

    def __init__(self, display_path: str, drivers: tuple[str, ...] | None = None, *,
                 without_bad_georef: bool = False) -> None:
        self._display = display_path
        self._drivers = drivers
        self._tolerant = without_bad_georef
        #: Warnings about sources opened in a degraded way (source -> text).
        self.notes: dict[str, str] = {}
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
            notes = self.notes if self._tolerant else None
            ds = open_dataset(source, self._display, self._drivers, notes=notes)
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


def open_dataset(source: str, display_path: str | None = None, drivers: tuple[str, ...] | None = None,
                 notes: dict[str, str] | None = None) -> Any:
    """``rasterio.open`` (read-only, with only ``drivers`` when given) checked against the budgets.

    Raises a ``SceneReadError`` naming the user's file on failure and a ``TooLargeError`` when
    the dataset declares more bands, pixels or a bigger block than satview reads.

    GeoTIFF keys are text GDAL turns into a CRS; damaged ones hold bytes that are not UTF-8 and
    rasterio fails with ``UnicodeDecodeError``. With ``notes`` (a dict) such a GeoTIFF is opened
    again without its georeferencing (``GEOREF_SOURCES=NONE``: pixel grid, no CRS) and
    ``notes[source]`` says so; without it the file is "truncated or corrupt".
    """
    from satview.core.guard import check_gdal_dataset

    ensure_thread_env()
    shown = display_path or source
    if not source.startswith("/vsi"):  # a scene folder's band file: never hand GDAL a FIFO or device
        from satview.core.guard import check_path

        check_path(source)
    driver = drivers[0] if drivers else None  # rasterio takes one name
    try:
        try:
            ds = rasterio.open(source, "r", driver=driver)
        except UnicodeError as exc:
            if notes is None or driver != "GTiff":
                raise SceneReadError(_NOT_TEXT, shown) from exc
            ds = rasterio.open(source, "r", driver=driver, GEOREF_SOURCES="NONE")
            notes[source] = ("the GeoTIFF's georeferencing tags are damaged (bytes that are not text), so it "
                             "was opened without them: no CRS, coordinates in pixels")
    except UnicodeError as exc:
        raise SceneReadError(_NOT_TEXT, shown) from exc
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


_NOT_TEXT = ("cannot open the raster: its georeferencing or metadata tags hold bytes that are not text "
             "(the file is damaged)")


def _short(msg: str) -> str:
    msg = " ".join(msg.split())
    return msg if len(msg) < 200 else msg[:197] + "..."
