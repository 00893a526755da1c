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
from rasterio.windows import Window

from satview.core.aoi import AOI
from satview.core.polar_grids import cell_areas_km2, nsidc_grid
from satview.core.readers import open_scene
from satview.core.seaice import EXTENT_THRESHOLD, extent_and_area
from satview.core.stack.area import aoi_window, point_window, row_blocks
from satview.core.stack.discover import Stack, single_stack
from satview.core.stack.headers import SceneHeader, read_header, seaice_scene_header
from satview.core.stack.quantity import Quantity, qa_band, unusable
from satview.core.stack.seaice_files import percent_table, read_file, read_raw
from satview.core.stack.seaice_files import read_header as read_seaice_header
from satview.errors import AOIError, SatviewError

ProgressFn = Callable[[float, str], None]

#: Columns of a value series and of a sea-ice series, in output order.
VALUE_COLUMNS = ("date", "mean", "median", "clear_fraction", "pixels")
SEAICE_COLUMNS = ("date", "extent_km2", "area_km2")


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


def _aoi_cells(grid_name: str, aoi: AOI) -> np.ndarray:
    """Mask of the cells of NSIDC grid ``grid_name`` whose centre is inside ``aoi``."""
    grid = nsidc_grid(grid_name).geogrid()
    win, inside = aoi_window(aoi, grid)
    full = np.zeros(grid.shape, dtype=bool)
    r0, c0 = int(win.row_off), int(win.col_off)
    full[r0:r0 + int(win.height), c0:c0 + int(win.width)] = inside
    return full


def _seaice_totals(raw: np.ndarray, packing: Any, weights: np.ndarray, threshold: float) -> dict[str, float]:
    """Extent and area (km²) of one stored grid, ``weights`` being the true cell areas (0 off the AOI)."""
    if raw.dtype != np.uint8:
        extent, area = extent_and_area(packing.decode(raw), weights.reshape(raw.shape), threshold)
        return {"extent_km2": extent, "area_km2": area}
    table = percent_table(packing)
    with np.errstate(invalid="ignore"):
        values = np.flatnonzero(np.isfinite(table) & (table >= threshold))  # stored values that are ice
    r = raw.ravel()
    if values.size and values[-1] - values[0] + 1 == values.size:  # one run: two byte comparisons
        ice = (r >= np.uint8(values[0])) & (r <= np.uint8(values[-1]))
    else:
        ice = np.isin(r, values)
    cells = weights[ice]
    fraction = np.minimum(table, 100.0).astype(np.float64) / 100.0
    return {"extent_km2": float(cells.sum()), "area_km2": float((cells * fraction[r[ice]]).sum())}


def seaice_stack_series(inputs: Sequence[Any], *, aoi: AOI | None = None, threshold: float = EXTENT_THRESHOLD,
                        progress: ProgressFn | None = None) -> tuple[Stack, list[dict[str, Any]]]:
    """The sea-ice stack among ``inputs`` and its series, each file opened once (header and grid
    together), so a year of daily files costs about what reading their grids does."""
    weights: dict[str, np.ndarray] = {}
    totals: dict[str, dict[str, float]] = {}

    def visit(path: str, reader: str) -> SceneHeader:
        if reader not in ("nsidc-binary", "hdf5"):
            return read_header(path, reader)
        try:
            header, raw, packing = read_file(path, netcdf=reader == "hdf5")
        except SatviewError:
            if reader == "nsidc-binary":
                raise
            return read_header(path, reader)
        if progress:
            progress(min(0.99, len(totals) / 400), header.date.isoformat())
        totals[path] = _seaice_totals(raw, packing, _weights(header.grid, aoi, weights), threshold)
        return seaice_scene_header(header)

    stack = single_stack(list(inputs), "nsidc-seaice", header=visit)
    return stack, [{"date": s.date.isoformat(), **totals[s.path]} for s in stack.scenes]


def _weights(grid: Any, aoi: AOI | None, cache: dict[str, np.ndarray]) -> np.ndarray:
    """True cell areas (km², flat) of a NSIDC grid, 0 outside ``aoi``; made once per grid."""
    if grid.name not in cache:
        w = np.nan_to_num(cell_areas_km2(grid))
        cache[grid.name] = (w * _aoi_cells(grid.name, aoi) if aoi is not None else w).ravel()
    return cache[grid.name]


def seaice_series(scenes: Sequence[SceneHeader], *, aoi: AOI | None = None,
                  threshold: float = EXTENT_THRESHOLD,
                  progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Per date: sea-ice extent and area (km²) of NSIDC files, hemisphere-wide or inside ``aoi``."""
    out = []
    weights: dict[str, np.ndarray] = {}
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        header = read_seaice_header(h.path)
        raw, packing = read_raw(header)
        totals = _seaice_totals(raw, packing, _weights(header.grid, aoi, weights), threshold)
        out.append({"date": h.date.isoformat(), **totals})
    return out
