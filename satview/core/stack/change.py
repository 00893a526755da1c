"""Two-date change: AFTER minus BEFORE of an index, a band or sea-ice concentration, on one grid.

Both dates go onto the common grid (:mod:`satview.core.stack.align`) strip by strip; the bands
are matched by meaning and resampled before the index is computed; a pixel that is fill, cloud,
dilated cloud, cirrus, shadow or (not for NDSI) snow in *either* date, or outside the AOI, is
nodata. The result is a float32 GeoTIFF (NaN nodata) written atomically, with the quantity, the
two dates and the sign convention in its metadata, and a summary: the grid, pixels compared and
masked, and the area per class. Sea-ice files (NSIDC, same polar grid) give the difference of
concentration in percentage points, with the flag cells (land, coast, pole hole, lakes, missing)
written as their flag values 251-255, as in NSIDC-0051.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import rasterio
from rasterio.features import geometry_mask
from rasterio.windows import Window

from satview.core.aoi import AOI
from satview.core.atomic import atomic_path
from satview.core.env import gdal_env
from satview.core.polar_grids import cell_areas_km2
from satview.core.readers import identify, open_scene
from satview.core.readers.nsidc_quick import read_field
from satview.core.readers.nsidc_quick import read_header as read_seaice_header
from satview.core.stack.align import common_grid, grid_blocks, read_on_grid
from satview.core.stack.classes import ClassScheme, cell_area_km2
from satview.core.stack.headers import read_header
from satview.core.stack.model import ChangeResult
from satview.core.stack.quantity import Quantity, qa_band, unusable
from satview.core.types import GeoGrid
from satview.errors import ExportError, SatviewError

BLOCK_ROWS = 512
#: GDAL's block cache while comparing (its default, 5 % of RAM, would hold whole decoded scenes).
GDAL_CACHE_BYTES = 256 * 1024 * 1024
#: Output values of sea-ice flags (either date), by flag name; NSIDC-0051 numbering.
SEAICE_FLAG_CODES = {"pole_hole": 251, "lakes": 252, "unused": 252, "coast": 253, "coastal": 253,
                     "land": 254, "land_mask": 254, "missing": 255, "missing_data": 255}
_FLAG_MEANINGS = "pole_hole lakes coast land missing"


def _date(path: str) -> str | None:
    try:
        return read_header(path, identify(path) or "").date.isoformat()
    except SatviewError:
        return None


def _profile(grid: GeoGrid) -> dict[str, Any]:
    return {"driver": "GTiff", "dtype": "float32", "count": 1, "nodata": float("nan"), "crs": grid.crs,
            "transform": grid.transform, "width": grid.width, "height": grid.height, "tiled": True,
            "blockxsize": 512, "blockysize": 512, "compress": "deflate", "zlevel": 1, "predictor": 3,
            "num_threads": 2, "bigtiff": "if_safer"}


class _Tally:
    """Running counts and class areas over the strips of the output."""

    def __init__(self, scheme: ClassScheme | None) -> None:
        self.scheme, self.compared, self.masked = scheme, 0, 0
        self.areas: dict[str, float] = {name: 0.0 for name, _, _ in scheme.classes} if scheme else {}

    def add(self, diff: np.ndarray, valid: np.ndarray, inside: np.ndarray, cell: np.ndarray | float) -> None:
        self.compared += int(valid.sum())
        self.masked += int((inside & ~valid).sum())
        if self.scheme is not None:
            for k, v in self.scheme.tally(diff, valid, cell).items():
                self.areas[k] += v


def write_change(before: str, after: str, quantity: Quantity | None, out: str | os.PathLike[str], *,
                 aoi: AOI | None = None, grid: str = "before", dst_crs: Any = None,
                 scheme: ClassScheme | None = None) -> ChangeResult:
    """Write AFTER minus BEFORE of ``quantity`` (None: sea-ice concentration) to ``out`` (module doc)."""
    if grid not in ("before", "after"):
        raise SatviewError(f"--grid must be 'before' or 'after', not {grid!r}")
    label = quantity.label if quantity else "sea-ice concentration (%)"
    result = ChangeResult(os.fspath(out), GeoGrid(None, rasterio.Affine.identity(), 0, 0), label,
                          _date(before), _date(after))
    tally = _Tally(scheme)
    try:
        with gdal_env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), atomic_path(out) as tmp:
            if quantity is None:
                _seaice(before, after, tmp, aoi, tally, result)
            else:
                _land(before, after, quantity, tmp, aoi, grid, dst_crs, tally, result)
            with rasterio.open(tmp, "r+") as dst:
                dst.set_band_description(1, f"{result.quantity} change, AFTER minus BEFORE")
                classes = {"CLASSES": scheme.name, "CLASS_CONVENTION": scheme.convention} if scheme else {}
                dst.update_tags(SATVIEW_CHANGE="AFTER minus BEFORE", QUANTITY=result.quantity,
                                BEFORE=os.path.basename(before), AFTER=os.path.basename(after),
                                BEFORE_DATE=result.before_date or "", AFTER_DATE=result.after_date or "",
                                **classes)
    except OSError as exc:
        raise ExportError(f"cannot write the change raster: {exc.strerror or exc}", out) from exc
    result.pixels_compared, result.pixels_masked, result.classes = tally.compared, tally.masked, tally.areas
    if scheme is not None:
        result.convention = f"AFTER - BEFORE; {scheme.convention}"
    return result


def _inside(aoi: AOI | None, g: GeoGrid) -> np.ndarray:
    if aoi is None:
        return np.ones(g.shape, dtype=bool)

    local = aoi.to_crs(g.crs)  # type: ignore[arg-type]
    return geometry_mask([local.geometry], out_shape=g.shape, transform=g.transform, invert=True)


def _land(before: str, after: str, q: Quantity, tmp: Any, aoi: AOI | None, which: str, dst_crs: Any,
          tally: _Tally, result: ChangeResult) -> None:
    with open_scene(before) as b, open_scene(after) as a:
        scenes = (b, a)
        base, other = (b, a) if which == "before" else (a, b)
        target = common_grid(base.info.grid, other.info.grid, aoi=aoi, dst_crs=dst_crs, path=base.path)
        result.grid = target
        plans = []
        for s in scenes:
            inputs = q.inputs(s.info)
            plans.append((s, inputs, qa_band(s.info)))
        with rasterio.open(tmp, "w", **_profile(target)) as dst:
            for i, strip in enumerate(grid_blocks(target, BLOCK_ROWS)):
                values, ok = [], np.ones(strip.shape, dtype=bool)
                for s, inputs, qa in plans:
                    names = list(inputs.values())
                    data = read_on_grid(s, names, strip)
                    arrays = {m: data[k] for k, m in enumerate(inputs)}
                    v = q.compute(arrays)
                    ok &= np.isfinite(v)
                    if qa is not None:
                        qa_dn = read_on_grid(s, [qa.name], strip, dn=True)[0]
                        fill, obstructed = unusable(qa.qa or "", qa_dn, q.masks_snow)
                        ok &= ~(fill | obstructed)
                    values.append(v)
                inside = _inside(aoi, strip)
                ok &= inside
                diff = np.where(ok, values[1] - values[0], np.float32(np.nan)).astype(np.float32)
                tally.add(diff, ok, inside, cell_area_km2(strip))
                dst.write(diff, 1, window=Window(0, i * BLOCK_ROWS, strip.width, strip.height))


def _seaice(before: str, after: str, tmp: Any, aoi: AOI | None, tally: _Tally, result: ChangeResult) -> None:
    hb, ha = read_seaice_header(before), read_seaice_header(after)
    if hb.grid.name != ha.grid.name:
        raise SatviewError(f"the two sea-ice files lie on different grids ({hb.grid.name}, {ha.grid.name})",
                           after)
    fb, fa = read_field(before), read_field(after)
    grid = hb.grid.geogrid()
    result.grid = grid
    diff = (fa.percent - fb.percent).astype(np.float32)
    inside = _inside(aoi, grid)
    ok = np.isfinite(diff) & inside
    tally.add(diff, ok, inside, cell_areas_km2(hb.grid))
    for field_ in (fa, fb):  # BEFORE's flag wins where both dates have one
        for k, name in enumerate(field_.flag_names):
            code = SEAICE_FLAG_CODES.get(name.lower())
            if code is not None:
                diff[field_.flags == k + 1] = np.float32(code)
    diff[~inside] = np.nan
    profile = _profile(grid)
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(diff, 1)
        dst.update_tags(1, flag_values="251 252 253 254 255", flag_meanings=_FLAG_MEANINGS,
                        units="percentage points")
