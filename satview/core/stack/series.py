"""Time series over a stack: one row per date.

For an index or a band: the mean and median over the valid, clear pixels of the area (QA-masked
as :func:`satview.core.stack.quantity.unusable` says), the clear fraction (clear / non-fill pixels
of the area) and the pixel count. For sea ice: the extent (cells >= 15 %) and the area
(concentration x true cell area) in km², over the hemisphere or inside an AOI, read straight from
the files (:mod:`satview.core.stack.seaice_files`) so a year of daily files takes seconds.
Scenes are read in row blocks, so memory stays bounded on full-size inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from satview.core.aoi import AOI
from satview.core.seaice import EXTENT_THRESHOLD, extent_and_area
from satview.core.stack.area import aoi_window, point_window, row_blocks
from satview.core.stack.headers import SceneHeader
from satview.core.stack.quantity import Quantity, qa_band, unusable

ProgressFn = Callable[[float, str], None]

#: Columns of a value series and of a sea-ice series, in output order.
VALUE_COLUMNS = ("date", "mean", "median", "clear_fraction", "pixels")
SEAICE_COLUMNS = ("date", "extent_km2", "area_km2")


def value_series(scenes: Sequence[SceneHeader], quantity: Quantity, *, aoi: AOI | None = None,
                 lonlat: tuple[float, float] | None = None,
                 progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Per date: mean, median, clear fraction and pixel count of ``quantity`` (see the module doc)."""
    out = []
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        out.append({"date": h.date.isoformat(), **scene_statistics(h.path, quantity, aoi=aoi, lonlat=lonlat)})
    return out


def scene_statistics(path: str, quantity: Quantity, *, aoi: AOI | None = None,
                     lonlat: tuple[float, float] | None = None) -> dict[str, Any]:
    """``{"mean", "median", "clear_fraction", "pixels"}`` of ``quantity`` over one scene's area."""
    from rasterio.windows import Window

    from satview.core.readers import open_scene

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


def _aoi_cells(grid_name: str, aoi: AOI) -> np.ndarray:
    """Mask of the cells of NSIDC grid ``grid_name`` whose centre is inside ``aoi``."""
    from satview.core.polar_grids import nsidc_grid

    grid = nsidc_grid(grid_name).geogrid()
    win, inside = aoi_window(aoi, grid)
    full = np.zeros(grid.shape, dtype=bool)
    r0, c0 = int(win.row_off), int(win.col_off)
    full[r0:r0 + int(win.height), c0:c0 + int(win.width)] = inside
    return full


def seaice_series(scenes: Sequence[SceneHeader], *, aoi: AOI | None = None,
                  threshold: float = EXTENT_THRESHOLD,
                  progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Per date: sea-ice extent and area (km²) of NSIDC files, hemisphere-wide or inside ``aoi``."""
    from satview.core.polar_grids import cell_areas_km2
    from satview.core.stack.seaice_files import percent_table, read_header, read_raw

    out = []
    weights: dict[str, np.ndarray] = {}  # true cell area (km2), 0 outside the AOI, per grid
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        header = read_header(h.path)
        raw, packing = read_raw(header)
        name = header.grid.name
        if name not in weights:
            w = np.nan_to_num(cell_areas_km2(header.grid))
            weights[name] = (w * _aoi_cells(name, aoi) if aoi is not None else w).ravel()
        if raw.dtype == np.uint8:  # one pass: total cell area per stored value, then per concentration
            table = percent_table(packing)
            per_value = np.bincount(raw.ravel(), weights=weights[name], minlength=256)
            with np.errstate(invalid="ignore"):
                ice = np.isfinite(table) & (table >= threshold)
            extent = float(per_value[ice].sum())
            area = float((per_value[ice] * np.minimum(table[ice], 100.0) / 100.0).sum())
        else:
            extent, area = extent_and_area(packing.decode(raw), weights[name].reshape(raw.shape), threshold)
        out.append({"date": h.date.isoformat(), "extent_km2": extent, "area_km2": area})
    return out
