"""The app's difference layer: the two-date change (``write_change``, run by the
``satview.core.requests.change_layer`` request) kept in satview's cache, drawn with a diverging
colour map for the window on screen.

The change is written on the grid of the date on screen (``grid="before"`` or ``"after"``), so its
picture lands on that scene's pixels (warped by :func:`layer_on_view`, on a reprojected view's);
where the file came from and what it measured travel with it (:class:`ChangeLayer`), and the same
file is what "Export change GeoTIFF..." writes elsewhere.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
from rasterio import Affine

from satview.core.cache import user_cache_dir
from satview.core.colormap import colormap
from satview.core.stack.model import ChangeResult
from satview.core.stack.quantity import Quantity
from satview.core.types import GeoGrid

#: Sea-ice flag cells (251-255) kept in the difference; drawn grey.
FLAG_MIN = 250.5
FLAG_RGBA = (160, 160, 160, 255)


@dataclass(frozen=True)
class ChangeLayer:
    """The change file and its picture: ``rgba`` (rows, cols, 4) covering ``rect`` = (x, y, w, h) in
    the pixels of the scene on screen; colours run from -``limit`` (red) to +``limit`` (blue)."""

    result: ChangeResult
    rgba: np.ndarray
    rect: tuple[float, float, float, float]
    limit: float


def change_file(before: str, after: str, quantity: Quantity | None, classes: str | None, grid: str) -> str:
    """Where the change of these dates, quantity, classes and grid is kept in satview's cache (a new
    name when either file changes)."""
    key = "|".join([before, after, repr(quantity), classes or "", grid,
                    *(str(os.stat(p).st_mtime_ns) for p in (before, after) if os.path.exists(p))])
    return os.fspath(user_cache_dir("change") / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.tif")


def change_picture(path: str, seaice: bool, screen: Affine, max_size: int = 1024
                   ) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
    """The difference GeoTIFF at ``path`` drawn at most ``max_size`` pixels across with a diverging
    colour map: (rgba, rect in pixels of the scene whose grid transform is ``screen``, limit).
    ``seaice``: values over 250.5 are the sea-ice flags kept in the difference, drawn grey."""
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as src:
        scale = max(1.0, max(src.width, src.height) / max_size)
        shape = (max(1, round(src.height / scale)), max(1, round(src.width / scale)))
        diff = src.read(1, out_shape=shape, masked=True, resampling=Resampling.nearest)
        t = src.transform
        x0, y0 = ~screen * (t.c, t.f)
        rect = (float(x0), float(y0), float(src.width * t.a / screen.a), float(src.height * t.e / screen.e))
    values = np.ma.filled(diff.astype(np.float32), np.nan)
    flags = values > FLAG_MIN if seaice else np.zeros(values.shape, bool)
    finite = np.isfinite(values) & ~flags
    limit = float(np.percentile(np.abs(values[finite]), 98)) if finite.any() else 1.0
    limit = limit or 1.0
    idx = np.clip((values / limit + 1) * 127.5, 0, 255)
    rgba = np.zeros((*values.shape, 4), np.uint8)
    rgba[..., :3] = colormap("rdbu")[np.where(finite, idx, 0).astype(np.uint8)]
    rgba[..., 3] = np.where(finite, 255, 0)
    rgba[flags] = FLAG_RGBA
    return rgba, rect, limit


def layer_on_view(rgba: np.ndarray, rect: tuple[float, float, float, float], source: GeoGrid,
                  view: GeoGrid) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A picture ``rgba`` covering ``rect`` = (x, y, w, h) in pixels of the scene grid ``source``, warped
    onto the pixels of a reprojected view's grid ``view`` (nearest neighbour, transparent where the
    picture does not reach and off the Earth, as the view's own picture): (rgba, rect in view
    pixels). Compare layers are drawn in the scene's pixels; a reprojected view needs them in its own."""
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    from satview.core.mapview import earth_mask

    rows, cols = rgba.shape[:2]
    x, y, w, h = rect
    src_t = source.transform * Affine.translation(x, y) * Affine.scale(w / cols, h / rows)
    out = np.zeros((4, view.height, view.width), np.uint8)
    reproject(np.ascontiguousarray(np.moveaxis(rgba, -1, 0)), out, src_transform=src_t, src_crs=source.crs,
              dst_transform=view.transform, dst_crs=view.crs, resampling=Resampling.nearest)
    out[:, ~earth_mask(view)] = 0  # e.g. the wedge a conic projection leaves open behind the pole
    return np.ascontiguousarray(np.moveaxis(out, 0, -1)), (0.0, 0.0, float(view.width), float(view.height))
