"""Time series of an index or a band over a stack: one row per date.

The mean and median over the valid, clear pixels of the area (QA-masked as
:func:`satview.core.stack.quantity.unusable` says), the clear fraction (clear / non-fill pixels of
the area) and the pixel count. Scenes are read in row blocks, so memory stays bounded on
full-size inputs. Sea-ice extent and area are :mod:`satview.core.stack.seaice_series`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rasterio.windows import Window

from satview.core.aoi import AOI
from satview.core.readers import open_scene
from satview.core.stack.area import aoi_window, point_window, row_blocks
from satview.core.stack.model import SceneHeader
from satview.core.stack.quantity import Quantity, qa_band, unusable
from satview.errors import AOIError

ProgressFn = Callable[[float, str], None]

#: Columns of a value series, in output order.
VALUE_COLUMNS = ("date", "mean", "median", "clear_fraction", "pixels")


def value_series(scenes: Sequence[SceneHeader], quantity: Quantity, *, aoi: AOI | None = None,
                 lonlat: tuple[float, float] | None = None,
                 progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Per date: mean, median, clear fraction and pixel count of ``quantity`` (see the module doc).

    A date whose scene does not cover the AOI or point (a neighbouring row) gets no values and 0 pixels.
    """
    out = []
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        try:
            stats = scene_statistics(h.path, quantity, aoi=aoi, lonlat=lonlat)
        except AOIError:
            stats = {"mean": None, "median": None, "clear_fraction": None, "pixels": 0}
        out.append({"date": h.date.isoformat(), **stats})
    return out


def scene_statistics(path: str, quantity: Quantity, *, aoi: AOI | None = None,
                     lonlat: tuple[float, float] | None = None) -> dict[str, Any]:
    """``{"mean", "median", "clear_fraction", "pixels"}`` of ``quantity`` over one scene's area."""
    with open_scene(path) as scene:
        info = scene.info
        inputs = quantity.inputs(info)
        qa = qa_band(info)
        inside: np.ndarray | None = None
        if aoi is not None:
            win, inside = aoi_window(aoi, info.grid, info.path)
        elif lonlat is not None:
            win = point_window(info.grid, *lonlat, path=info.path)
        else:
            win = Window(0, 0, info.grid.width, info.grid.height)
        values: list[np.ndarray] = []
        usable = 0
        for block, rows in row_blocks(win):
            arrays = {meaning: scene.read([name], window=block)[0] for meaning, name in inputs.items()}
            value = quantity.compute(arrays)
            valid = np.ones(value.shape, dtype=bool)
            for a in arrays.values():
                valid &= np.isfinite(a)
            clear = valid.copy()
            if qa is not None:
                fill, obstructed = unusable(qa.qa or "", scene.read([qa.name], window=block, dn=True)[0],
                                            quantity.masks_snow)
                valid &= ~fill
                clear &= ~(fill | obstructed)
            if inside is not None:
                valid &= inside[rows]
                clear &= inside[rows]
            clear &= np.isfinite(value)
            usable += int(valid.sum())
            values.append(value[clear])
    v = np.concatenate(values) if values else np.empty(0, np.float32)
    return {
        "mean": float(v.mean(dtype=np.float64)) if v.size else None,
        "median": float(np.median(v)) if v.size else None,
        "clear_fraction": (v.size / usable) if usable else None,
        "pixels": int(v.size),
    }
