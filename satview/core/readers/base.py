"""The scene interface every reader implements: a context manager with rasterio-like reads.

A ``Scene`` exposes ``info`` (a :class:`~satview.core.types.SceneInfo`) and
``read(bands, window=..., out_shape=...)`` returning a ``(band, row, col)`` array on the scene's
grid. Decimated reads (``out_shape`` smaller than the window) are served from overviews by GDAL,
so showing or summarising a whole scene never reads it at full resolution.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from affine import Affine, AffineError
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, WindowError
from rasterio.windows import Window

import satview.core.env  # noqa: F401  (GDAL options before any dataset is opened)
from satview.core.guard import check_read
from satview.core.types import BandInfo, SceneInfo
from satview.errors import (
    ArgumentError,
    OutsideProjectionError,
    SatviewError,
    SceneReadError,
    TooLargeError,
)

ProgressFn = Callable[[float, str], None]


class Scene:
    """Base class of all readers. Subclasses set ``self.info`` and implement ``_read_band``."""

    info: SceneInfo

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> Scene:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release file handles. Idempotent."""
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    # -- shortcuts like rasterio's dataset ----------------------------------------------------
    @property
    def path(self) -> str:
        return self.info.path

    @property
    def width(self) -> int:
        return self.info.grid.width

    @property
    def height(self) -> int:
        return self.info.grid.height

    @property
    def shape(self) -> tuple[int, int]:
        return self.info.grid.shape

    @property
    def crs(self) -> CRS | None:
        return self.info.grid.crs

    @property
    def transform(self) -> Affine:
        return self.info.grid.transform

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.info.grid.bounds

    @property
    def count(self) -> int:
        return len(self.info.bands)

    @property
    def band_names(self) -> list[str]:
        return self.info.band_names

    def band(self, name: str | int) -> BandInfo:
        """The ``BandInfo`` called ``name``; raises ``BandNotFoundError``."""
        return self.info.band(str(name))

    # -- geolocation (readers with 2-D lat/lon arrays override these) ------------------------
    def lonlat_of_cell(self, row: int, col: int) -> tuple[float, float]:
        """(lon, lat) of the centre of cell (row, col); NaN when the scene has no geolocation or the
        centre is not on the Earth (e.g. the corners of polar MODIS sinusoidal tiles)."""
        import math

        from satview.core.geo import from_lonlat, pixel_center, to_lonlat

        x, y = pixel_center(self.info.grid, row, col)
        lon, lat = to_lonlat(self.crs, x, y)
        if self.crs is not None and math.isfinite(lon) and math.isfinite(lat):
            # off the Earth, PROJ still returns a (wrapped) lon/lat that does not map back
            x2, y2 = from_lonlat(self.crs, lon, lat)
            if not math.hypot(x2 - x, y2 - y) <= 1e-3 * max(*self.info.grid.res, 1e-9):
                return (math.nan, math.nan)
        return (lon, lat)

    def cell_of_lonlat(self, lon: float, lat: float) -> tuple[int, int]:
        """(row, col) of the cell containing (lon, lat); may lie outside the grid.

        Raises ``OutsideProjectionError`` when the scene's projection does not cover the point
        (a place off a geostationary disk, the far side of a polar projection).
        """
        import math

        from satview.core.geo import cell_of, from_lonlat

        if self.crs is None:
            raise ArgumentError("the scene has no CRS, so a lon/lat point cannot be placed", self.path)
        x, y = from_lonlat(self.crs, lon, lat)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise OutsideProjectionError(f"lon {lon:g}, lat {lat:g} is outside what the scene's projection "
                                         "covers", self.path)
        return cell_of(self.info.grid, x, y)

    # -- reading ----------------------------------------------------------------------------
    def read(
        self,
        bands: str | int | Sequence[str | int] | None = None,
        window: Window | None = None,
        out_shape: tuple[int, int] | tuple[int, int, int] | None = None,
        *,
        dn: bool = False,
        resampling: Resampling | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """Read bands as a ``(band, row, col)`` array on the scene grid.

        Parameters
        ----------
        bands : band name(s) (``"SR_B4"``, ``"B4"``, ...) or None for all bands.
        window : a ``rasterio.windows.Window`` in scene-grid pixels (default: the whole grid).
        out_shape : ``(rows, cols)`` of the result; smaller than the window means a decimated
            read, which GDAL serves from overviews.
        dn : False (default) gives float32 physical values (reflectance, kelvin, ...) with NaN
            at nodata/fill and flag values; True gives the raw DN in the band's own dtype.
        resampling : for decimated reads (default nearest; categorical bands always nearest).
        """
        if self._closed:
            raise SatviewError("the scene is closed", self.path)
        infos = self._band_infos(bands)
        win = self._check_window(window)
        shape = self._out_shape(win, out_shape)
        dtype = np.float32 if not dn else np.result_type(*[np.dtype(b.dtype) for b in infos])
        check_read(self.path, len(infos), *shape, dtype)  # "too large" rather than a MemoryError
        try:
            out = np.empty((len(infos), *shape), dtype=dtype)
            for i, info in enumerate(infos):
                if should_cancel is not None and should_cancel():
                    from satview.errors import CancelledError

                    raise CancelledError("reading was cancelled", self.path)
                rs = Resampling.nearest if (info.categorical or resampling is None) else resampling
                raw = self._read_band(info, win, shape, rs)
                out[i] = raw if dn else info.to_physical(raw)
        except MemoryError as exc:
            raise TooLargeError(f"not enough memory to read {len(infos)} band(s) of {shape[0]} x {shape[1]} "
                                "pixels", self.path) from exc
        return out

    def read_dn(self, bands: str | Sequence[str], **kwargs: Any) -> np.ndarray:
        """Raw DN of ``bands`` (shortcut for ``read(..., dn=True)``)."""
        return self.read(bands, dn=True, **kwargs)

    def _read_band(
        self, band: BandInfo, window: Window, out_shape: tuple[int, int], resampling: Resampling
    ) -> np.ndarray:
        """Read one band's DN for ``window`` of the scene grid, resampled to ``out_shape``."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------
    def _band_infos(self, bands: str | int | Sequence[str | int] | None) -> list[BandInfo]:
        if bands is None:
            return list(self.info.bands)
        if isinstance(bands, (str, int)):
            names: Iterable[str | int] = (
                [b for b in str(bands).split(",") if b.strip()] if isinstance(bands, str) else [bands]
            )
        else:
            names = bands
        infos = [self.info.band(str(n).strip()) for n in names]
        if not infos:
            raise SatviewError("no bands were asked for", self.path)
        return infos

    def _check_window(self, window: Window | None) -> Window:
        full = Window(0, 0, self.width, self.height)
        if window is None:
            return full
        win = Window(
            int(round(window.col_off)),
            int(round(window.row_off)),
            int(round(window.width)),
            int(round(window.height)),
        )
        if win.width <= 0 or win.height <= 0:
            raise SatviewError(f"the window {window} is empty", self.path)
        try:
            inter = win.intersection(full)
        except WindowError as exc:  # disjoint windows
            raise SatviewError(f"the window {window} lies outside the {self.width} x {self.height} grid",
                               self.path) from exc
        if inter.width != win.width or inter.height != win.height:
            raise SatviewError(
                f"the window {window} extends beyond the {self.width} x {self.height} grid", self.path
            )
        return win

    @staticmethod
    def _out_shape(win: Window, out_shape: tuple[int, ...] | None) -> tuple[int, int]:
        if out_shape is None:
            return (int(win.height), int(win.width))
        rows, cols = int(out_shape[-2]), int(out_shape[-1])
        if rows <= 0 or cols <= 0:
            raise SatviewError(f"out_shape {out_shape} must be positive")
        return (rows, cols)


#: What GDAL (through rasterio) and affine raise for a file's bad bytes or geometry: the exceptions a
#: GDAL read converts with :func:`read_error`. Anything else raised while reading is a bug in satview.
GDAL_ERRORS: tuple[type[Exception], ...] = (RasterioError, CPLE_BaseError, AffineError, MemoryError)


def read_error(path: str, exc: BaseException) -> SceneReadError:
    """A ``SceneReadError`` for a GDAL failure, with the GDAL message in plain words."""
    msg = str(exc).strip() or exc.__class__.__name__
    inner = exc.__cause__ or exc.__context__
    if "see previous exception" in msg.lower() and inner is not None and str(inner).strip():
        msg = str(inner).strip()  # rasterio's "Read failed. See previous exception for details."
    low = msg.lower()
    if isinstance(exc, MemoryError) or "out of memory" in low or "cannot allocate" in low:
        return TooLargeError(f"not enough memory to read the raster data ({msg[:200]})", path)
    for prefix in ("/vsitar/", "/vsisubfile/"):
        if prefix in msg:
            msg = msg.split(":", 1)[-1].strip() or msg
    return SceneReadError(f"cannot read the raster data ({msg})", path)
