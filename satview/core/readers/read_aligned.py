"""Read a window of the scene grid from a band file whose own grid may differ (pan, thermal).

Most bands share the scene grid and are read directly. A band on another grid (the 15 m pan
band, or shrunk sample files) is read through the window with the same map bounds in its own
pixel space, resampled to the requested shape, so every band comes back aligned.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasterio.enums import Resampling
from rasterio.windows import Window, from_bounds
from rasterio.windows import bounds as window_bounds

from satview.core.readers.base import GDAL_ERRORS, read_error
from satview.core.types import BandInfo, GeoGrid


def read_aligned(
    ds: Any,
    band: BandInfo,
    grid: GeoGrid,
    window: Window,
    out_shape: tuple[int, int],
    resampling: Resampling,
    display_path: str,
) -> np.ndarray:
    """DN of ``band`` for ``window`` of ``grid`` as an ``out_shape`` array."""
    try:
        if ds.transform == grid.transform and (ds.width, ds.height) == (grid.width, grid.height):
            return ds.read(band.source_band, window=window, out_shape=out_shape, resampling=resampling)
        left, bottom, right, top = window_bounds(window, grid.transform)
        own = from_bounds(left, bottom, right, top, transform=ds.transform)
        inside = (
            own.col_off >= -1e-6
            and own.row_off >= -1e-6
            and own.col_off + own.width <= ds.width + 1e-6
            and own.row_off + own.height <= ds.height + 1e-6
        )
        fill = band.nodata if band.nodata is not None else 0
        return ds.read(
            band.source_band,
            window=own,
            out_shape=out_shape,
            resampling=resampling,
            boundless=not inside,
            fill_value=fill,
        )
    except GDAL_ERRORS as exc:  # GDAL I/O errors become a message about the user's file
        raise read_error(display_path, exc) from exc
