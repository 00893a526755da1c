"""Sea-ice extent and area through time: per date the extent (cells >= 15 %) and area (concentration x
true cell area) in km² of NSIDC files, hemisphere-wide or inside an AOI.

A year of daily files must take about what reading their grids does, so each file is opened once
(its header for the stack and its concentration together, :func:`satview.core.readers.nsidc_quick.
read_concentration`), the true cell areas are made once per grid, and a one-byte grid is never
turned into floats: the stored bytes that mean ice come from a 256-entry table of what each byte
means, so a file costs two byte comparisons and a sum of the ice cells' areas. Light imports: the
command line pays for what it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from satview.core.polar_grids import NsidcGrid, cell_areas_km2
from satview.core.readers.nsidc_quick import percent_table, read_concentration, to_percent
from satview.core.seaice import EXTENT_THRESHOLD, extent_and_area
from satview.core.stack.discover import single_stack
from satview.core.stack.headers import read_header, seaice_scene_header
from satview.core.stack.model import SceneHeader, Stack
from satview.core.types import BandInfo
from satview.errors import SatviewError

if TYPE_CHECKING:
    from satview.core.aoi import AOI

ProgressFn = Callable[[float, str], None]

#: Columns of a sea-ice series, in output order.
SEAICE_COLUMNS = ("date", "extent_km2", "area_km2")


def seaice_stack_series(inputs: Sequence[Any], *, aoi: AOI | None = None, threshold: float = EXTENT_THRESHOLD,
                        progress: ProgressFn | None = None) -> tuple[Stack, list[dict[str, Any]]]:
    """The sea-ice stack among ``inputs`` and its series, each file opened once (header and grid
    together). Unreadable files are reported by the stack discovery like any other."""
    weights = _Weights(aoi)
    totals: dict[str, dict[str, float]] = {}

    def visit(path: str, reader: str) -> SceneHeader:
        if reader not in ("nsidc-binary", "hdf5"):
            return read_header(path, reader)
        try:
            header, raw, band = read_concentration(path)
        except SatviewError:
            if reader == "nsidc-binary":
                raise
            return read_header(path, reader)  # an HDF5 file of another kind: its own header
        if progress:
            progress(min(0.99, len(totals) / 400), header.date.isoformat())
        totals[path] = seaice_totals(raw, band, weights.of(header.grid), threshold)
        return seaice_scene_header(header)

    stack = single_stack(list(inputs), "nsidc-seaice", header=visit)
    return stack, [{"date": s.date.isoformat(), **totals[s.path]} for s in stack.scenes]


def seaice_series(scenes: Sequence[SceneHeader], *, aoi: AOI | None = None,
                  threshold: float = EXTENT_THRESHOLD,
                  progress: ProgressFn | None = None) -> list[dict[str, Any]]:
    """Per date: sea-ice extent and area (km²) of the NSIDC files of a stack already found."""
    out = []
    weights = _Weights(aoi)
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        header, raw, band = read_concentration(h.path)
        totals = seaice_totals(raw, band, weights.of(header.grid), threshold)
        out.append({"date": h.date.isoformat(), **totals})
    return out


def seaice_totals(raw: np.ndarray, band: BandInfo, weights: np.ndarray, threshold: float) -> dict[str, float]:
    """Extent and area (km²) of one stored grid; ``weights`` are the true cell areas (flat, 0 off the AOI)."""
    if raw.dtype.itemsize != 1:
        extent, area = extent_and_area(to_percent(raw, band), weights.reshape(raw.shape), threshold)
        return {"extent_km2": extent, "area_km2": area}
    table = percent_table(band)
    with np.errstate(invalid="ignore"):
        values = np.flatnonzero(np.isfinite(table) & (table >= threshold))  # stored bytes that are ice
    r = raw.view(np.uint8).ravel()
    if values.size and values[-1] - values[0] + 1 == values.size:  # one run: two byte comparisons
        ice = (r >= np.uint8(values[0])) & (r <= np.uint8(values[-1]))
    else:
        ice = np.isin(r, values)
    cells = weights[ice]
    fraction = np.minimum(table, 100.0).astype(np.float64) / 100.0
    return {"extent_km2": float(cells.sum()), "area_km2": float((cells * fraction[r[ice]]).sum())}

class _Weights:
    """True cell areas (km², flat) of each NSIDC grid met, 0 outside the AOI; made once per grid."""

    def __init__(self, aoi: AOI | None) -> None:
        self.aoi = aoi
        self._made: dict[str, np.ndarray] = {}

    def of(self, grid: NsidcGrid) -> np.ndarray:
        if grid.name not in self._made:
            w = np.nan_to_num(cell_areas_km2(grid))
            if self.aoi is not None:
                w *= _aoi_cells(grid, self.aoi)
            self._made[grid.name] = w.ravel()
        return self._made[grid.name]


def _aoi_cells(grid: NsidcGrid, aoi: AOI) -> np.ndarray:
    """Mask of the cells of ``grid`` whose centre is inside ``aoi``."""
    from satview.core.stack.area import aoi_window  # rasterio's rasterizer: only with an AOI

    geogrid = grid.geogrid()
    win, inside = aoi_window(aoi, geogrid)
    full = np.zeros(geogrid.shape, dtype=bool)
    r0, c0 = int(win.row_off), int(win.col_off)
    full[r0:r0 + int(win.height), c0:c0 + int(win.width)] = inside
    return full
