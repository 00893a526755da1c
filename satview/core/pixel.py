"""What is at one point of a scene: cell, map and lon/lat coordinates, every band's DN and value.

Used by ``satview pixel`` and the GUI's cursor readout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rasterio.windows import Window

from satview.core.geo import cell_of, pixel_center
from satview.core.readers.base import Scene
from satview.core.types import BandInfo
from satview.errors import ArgumentError, SatviewError


@dataclass(frozen=True)
class BandValue:
    """One band at one cell: raw DN, physical value (None at nodata/flags), unit, flag, QA."""

    name: str
    dn: float | int | None
    value: float | None
    unit: str
    flag: str | None = None
    qa: dict[str, Any] | None = None


@dataclass(frozen=True)
class PixelReport:
    """The cell containing a point, its centre in map and lon/lat coordinates, and band values."""

    row: int
    col: int
    x: float
    y: float
    lon: float | None
    lat: float | None
    bands: list[BandValue] = field(default_factory=list)


def locate(scene: Scene, *, rowcol: tuple[float, float] | None = None,
           xy: tuple[float, float] | None = None,
           lonlat: tuple[float, float] | None = None) -> tuple[int, int]:
    """(row, col) of the cell holding the point given one of three ways; error when outside."""
    grid = scene.info.grid
    given = rowcol if rowcol is not None else xy if xy is not None else lonlat
    if given is not None and not all(math.isfinite(v) for v in given):
        raise ArgumentError(f"the point {given[0]:g}, {given[1]:g} is not a finite coordinate", scene.path)
    if rowcol is not None:
        row, col = math.floor(rowcol[0]), math.floor(rowcol[1])
        where = f"row {rowcol[0]:g}, column {rowcol[1]:g}"
    elif xy is not None:
        row, col = cell_of(grid, *xy)
        where = f"x {xy[0]:.3f}, y {xy[1]:.3f}"
    elif lonlat is not None:
        row, col = scene.cell_of_lonlat(*lonlat)
        where = f"lon {lonlat[0]:.6f}, lat {lonlat[1]:.6f}"
    else:
        raise SatviewError("give a point as row/col, x/y or lon/lat")
    if not (0 <= row < grid.height and 0 <= col < grid.width):
        raise SatviewError(
            f"the point ({where}) lies outside the scene grid of {grid.width} x {grid.height} cells",
            scene.path,
        )
    return row, col


def query_pixel(scene: Scene, row: int, col: int) -> PixelReport:
    """Read every band at cell (row, col) and describe it."""
    from satview.core import qa as qa_decoder

    grid = scene.info.grid
    x, y = pixel_center(grid, row, col)
    lon, lat = scene.lonlat_of_cell(row, col)
    values: list[BandValue] = []
    win = Window(col, row, 1, 1)
    for band in scene.info.bands:
        raw = scene.read([band.name], window=win, dn=True)[0]
        dn_val = raw[0, 0].item()
        phys = physical_value(band, raw)
        flag = band.flag_name(dn_val)
        if flag is None and band.nodata is not None and _same(dn_val, band.nodata):
            flag = "nodata"
        decoded = qa_decoder.decode(band.qa, int(dn_val)) if band.qa else None
        values.append(
            BandValue(
                name=band.name,
                dn=dn_val,
                value=phys if math.isfinite(phys) else None,
                unit=band.unit,
                flag=flag,
                qa=decoded,
            )
        )
    return PixelReport(
        row=row,
        col=col,
        x=x,
        y=y,
        lon=lon if math.isfinite(lon) else None,
        lat=lat if math.isfinite(lat) else None,
        bands=values,
    )


#: Significant digits a queried value keeps: float64 arithmetic noise (13213 * 0.02 =
#: 264.26000000000005) is dropped, every digit the calibration can carry is kept.
VALUE_DIGITS = 12


def physical_value(band: BandInfo, raw: np.ndarray) -> float:
    """The physical value of one cell's DN (``raw``, shape (1, 1)) in float64, NaN at nodata/flags.

    Bulk reads convert in float32 (``BandInfo.to_physical``); one queried value is worth full
    precision, so the same calibration is applied here in float64 and rounded to ``VALUE_DIGITS``
    significant digits (LST DN 13213 x 0.02 gives 264.26, not float32's 264.2599792480469).
    """
    if not math.isfinite(float(band.to_physical(raw)[0, 0])):
        return math.nan  # nodata, a flag value or outside the valid range
    dn = float(raw[0, 0])
    cal = band.calibration
    if cal.kind == "none":
        return dn
    value = dn * cal.scale + cal.offset
    if cal.kind == "brightness_temperature":
        assert cal.k1 is not None and cal.k2 is not None
        if value <= 0:
            return math.nan
        value = cal.k2 / math.log(cal.k1 / value + 1.0)
    return float(f"{value:.{VALUE_DIGITS}g}") if math.isfinite(value) else math.nan


def _same(a: float, b: float) -> bool:
    """Equality that also treats NaN nodata as equal to a NaN value."""
    if a == b:
        return True
    return isinstance(a, float) and math.isnan(a) and math.isnan(float(b))
