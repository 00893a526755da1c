"""Scene facts as plain JSON-ready dicts and as a short human summary (``satview info``)."""

from __future__ import annotations

import math
from typing import Any

from rasterio.crs import CRS

from satview.core.geo import crs_name, epsg_of
from satview.core.types import BandInfo, LandsatInfo, SceneInfo


def _num(v: float | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def band_dict(b: BandInfo) -> dict[str, Any]:
    """One band's facts; ``scale``/``offset``/``unit`` turn DN into the default physical unit."""
    cal = b.calibration
    d: dict[str, Any] = {
        "name": b.name,
        "description": b.description,
        "dtype": b.dtype,
        "nodata": _num(b.nodata) if b.nodata is not None else None,
        "scale": b.scale,
        "offset": b.offset,
        "unit": b.unit,
        "quantity": cal.quantity or None,
        "calibration": cal.kind,
        "role": b.role,
        "common_name": b.common_name,
        "wavelength": list(b.wavelength) if b.wavelength else None,
        "resolution": b.resolution,
        "categorical": b.categorical,
    }
    if cal.kind == "brightness_temperature":
        d["k1"], d["k2"] = cal.k1, cal.k2
    if b.qa:
        d["qa"] = b.qa
    if b.flags:
        d["flags"] = {str(v): name for v, name in b.flags}
    return d


def landsat_dict(li: LandsatInfo) -> dict[str, Any]:
    """Scene-level Landsat facts with the documented JSON keys."""
    return {
        "product_id": li.product_id,
        "scene_id": li.scene_id,
        "spacecraft": li.spacecraft,
        "sensor": li.sensor,
        "collection": li.collection,
        "level": li.level,
        "tier": li.tier,
        "wrs_path": li.wrs_path,
        "wrs_row": li.wrs_row,
        "acquired": li.acquired.isoformat() if li.acquired else None,
        "scene_center_time": li.scene_center_time,
        "processed": li.processed.isoformat() if li.processed else None,
        "cloud_cover": _num(li.cloud_cover),
        "cloud_cover_land": _num(li.cloud_cover_land),
        "sun_elevation": _num(li.sun_elevation),
        "sun_azimuth": _num(li.sun_azimuth),
        "earth_sun_distance": _num(li.earth_sun_distance),
    }


def scene_dict(info: SceneInfo) -> dict[str, Any]:
    """Everything ``satview info --json`` prints."""
    g = info.grid
    t = g.transform
    d: dict[str, Any] = {
        "path": info.path,
        "format": info.format,
        "width": g.width,
        "height": g.height,
        "crs": g.crs.to_wkt() if g.crs else None,
        "crs_name": crs_name(g.crs) if g.crs else None,
        "epsg": epsg_of(g.crs),
        "transform": [t.a, t.b, t.c, t.d, t.e, t.f],
        "bounds": list(g.bounds),
        "resolution": list(g.res),
        "footprint": _footprint(info),
        "bands": [band_dict(b) for b in info.bands],
        "warnings": list(info.warnings),
    }
    if info.landsat is not None:
        d["landsat"] = landsat_dict(info.landsat)
    if info.datasets:
        d["dataset"] = info.dataset
        d["datasets"] = [
            {"name": ds.name, "shape": list(ds.shape), "dtype": ds.dtype, "dims": list(ds.dims),
             "displayable": ds.displayable}
            for ds in info.datasets
        ]
    return d


def _footprint(info: SceneInfo) -> dict[str, Any] | None:
    if info.footprint is None:
        return None
    from shapely.geometry import mapping  # lazy: shapely (+~11 ms) only for scenes with a footprint

    return dict(mapping(info.footprint))


def summary(info: SceneInfo) -> str:
    """A few lines a person reads: what, where, which bands in which units."""
    g = info.grid
    lines = [f"{info.path}", f"  format      {info.format}"]
    li = info.landsat
    if li is not None:
        lines += [
            f"  product     {li.product_id}",
            f"  spacecraft  {li.spacecraft} {li.sensor}, collection {li.collection}, level {li.level}",
            f"  WRS         path {li.wrs_path:03d} row {li.wrs_row:03d}",
            f"  acquired    {li.acquired or '?'} {li.scene_center_time or ''}".rstrip(),
            f"  cloud cover {_fmt(li.cloud_cover, '%')}",
            f"  sun         elevation {_fmt(li.sun_elevation, '°')}, azimuth {_fmt(li.sun_azimuth, '°')}",
        ]
    rx, ry = g.res
    unit = map_unit(g.crs)
    left, bottom, right, top = (length_text(v, unit) for v in g.bounds)
    lines += [
        f"  grid        {g.width} x {g.height} cells of {length_text(rx)} x {length_text(ry, unit)}",
        f"  CRS         {crs_name(g.crs)}",
        f"  bounds      left {left}, bottom {bottom}, right {right}, top {top}",
        f"  bands       {len(info.bands)}",
    ]
    width = max((len(b.name) for b in info.bands), default=4)
    for b in info.bands:
        what = b.calibration.quantity or ("DN" if b.calibration.kind == "none" else "")
        unit = f" [{b.unit}]" if b.unit else ""
        cname = f" {b.common_name}" if b.common_name else ""
        lines.append(f"    {b.name:<{width}}  {b.dtype:<7} {b.role:<10}{cname} {what}{unit}".rstrip())
    if info.datasets:
        lines.append(f"  datasets    {len(info.datasets)} (showing {info.dataset})")
        for ds in info.datasets:
            mark = "*" if ds.name == info.dataset else " "
            lines.append(f"   {mark} {ds.name}  {shape_text(ds.shape, ds.dims)}  {ds.dtype}")
    for w in info.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def map_unit(crs: CRS | None) -> str:
    """The unit of a grid's coordinates as people write it: "m", "degrees", "ft", or "pixels"."""
    if crs is None:
        return "pixels"
    if crs.is_geographic:
        return "degrees"
    name = (crs.linear_units or "").strip().lower()
    return {"metre": "m", "meter": "m", "m": "m", "foot": "ft", "us survey foot": "US ft"}.get(
        name, name or "map units")


def length_text(v: float, unit: str = "") -> str:
    """A coordinate or length with thousands separators and at most 3 decimals (6 for degrees),
    trailing zeros dropped, and its unit: ``3,963,280 m``, ``463.313 m``, ``-179.95 degrees``."""
    digits = 6 if unit == "degrees" else 3
    text = f"{v:,.{digits}f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return f"{text} {unit}" if unit else text


_ROW_DIMS = {"y", "ydim", "lat", "latitude", "row", "rows", "nlat", "nrows"}
_COL_DIMS = {"x", "xdim", "lon", "longitude", "col", "cols", "column", "columns", "nlon", "ncols"}


def shape_text(shape: tuple[int, ...], dims: tuple[str, ...] = ()) -> str:
    """A dataset's shape written like the grid: ``width x height`` (columns first, found by the
    dimension names when they say which axis is which), then the layers along its other axes
    (``2400 x 2400 x 7 layers``); 1-D as ``N values``."""
    if len(shape) < 2:
        return f"{shape[0] if shape else 0:,} values"
    names = [d.split(":", 1)[0].strip().lower() for d in dims] if len(dims) == len(shape) else []
    row = next((i for i, d in enumerate(names) if d in _ROW_DIMS), None)
    col = next((i for i, d in enumerate(names) if d in _COL_DIMS), None)
    if row is None or col is None or row == col:
        if len(shape) == 3 and shape[2] <= 16 and shape[2] < min(shape[0], shape[1]):
            row, col = 0, 1  # (rows, cols, bands) as some HDF4 products store them
        else:
            row, col = len(shape) - 2, len(shape) - 1
    layers = math.prod(n for i, n in enumerate(shape) if i not in (row, col))
    return f"{shape[col]} x {shape[row]}" + (f" x {layers} layers" if layers > 1 else "")


def _fmt(v: float | None, unit: str) -> str:
    return "?" if v is None else f"{v:g}{unit}"
