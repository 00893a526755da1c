"""Reproject scenes and arrays into another CRS: target grids, in-memory warps and GeoTIFF output.

Rules
-----
- **Grid**: :func:`target_grid` asks GDAL for the suggested output grid
  (``rasterio.warp.calculate_default_transform``), which samples the source edges densely and so
  copes with polar and antimeridian-crossing footprints; ``resolution`` fixes the pixel size
  (upper-left corner kept).
- **Resampling**: nearest by default; categorical bands (QA, flags, classes) and bands with named
  flag values among their measurements (e.g. sea-ice concentration with land/coast/pole-hole
  codes) always use nearest, whatever was asked for, so no value appears that was not in the input.
- **Values**: :func:`reproject_scene` writes raw DN in the source dtype (several dtypes are
  promoted with ``np.result_type``). When every band has the same nodata value (representable in
  that dtype) it is kept; otherwise the file's nodata is the dtype's maximum (unsigned), minimum
  (signed) or NaN (float), and each band's own nodata pixels are warped to it. Pixels outside the
  source footprint are nodata. Band descriptions are the band names; linear calibrations become
  GDAL scale/offset/unit; Landsat scene facts become dataset tags; the ``SATVIEW`` domain carries
  the rest, so the output reopens as what it was (:mod:`satview.core.geotiff_tags`).
- **Speed and memory**: each band is warped straight from its source file into the output band
  by GDAL's chunked, multi-threaded warper (``num_threads`` = all CPUs), so a scene is never
  held in memory. A band whose source GDAL cannot open with the scene's georeferencing is read
  through the scene instead (one band in memory at a time).
- **Swaths**: a scene without a CRS whose reader gives geolocation arrays (``scene.geolocation()``
  -> 2-D lon, lat per cell, e.g. VIIRS SDR) is resampled through them, always by nearest: each
  output pixel takes the cell whose centre (projected into the target CRS) is nearest, if that
  centre is within half a cell diagonal (:func:`swath_nearest_index`). GDAL's geolocation
  transformer is not used: it reads geolocation values as pixel corners, half a cell off. The
  output pixel size is ``resolution`` or, by default, the swath's mean cell spacing in the target
  CRS; the grid covers every geolocated cell (:func:`swath_target_grid`).
- **Files**: tiled DEFLATE GeoTIFF written atomically (with ``OUT.tif.aux.xml`` holding the
  categories of flagged bands); a failure or a cancel leaves nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj.exceptions import ProjError
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject

import satview.core.env  # noqa: F401  (GDAL options first)
from satview.core.composite import dataset_bands
from satview.core.geo import parse_crs, transformer
from satview.core.geotiff_tags import atomic_geotiff, write_scene_metadata
from satview.core.readers.base import GDAL_ERRORS, ProgressFn, Scene
from satview.core.types import BandInfo, GeoGrid, SceneInfo
from satview.errors import CancelledError, ExportError, SatviewError

#: Resampling methods offered to users, in the order they are listed.
RESAMPLING_NAMES: tuple[str, ...] = (
    "nearest", "bilinear", "cubic", "cubic_spline", "lanczos", "average",
    "mode", "min", "max", "med", "q1", "q3",
)  # fmt: skip

#: GDAL warp memory per chunk, in MB (GDAL's default is 64; bigger chunks thread better).
WARP_MEM_LIMIT_MB = 512


def resampling_from_name(name: str | Resampling) -> Resampling:
    """The ``rasterio.enums.Resampling`` called ``name`` (case-insensitive, '-' or ' ' as '_').

    Raises ``SatviewError`` listing the valid names for anything else.
    """
    if isinstance(name, Resampling):
        return name
    key = "_".join(str(name).strip().lower().replace("-", " ").split())
    if key == "cubicspline":
        key = "cubic_spline"
    if key not in RESAMPLING_NAMES:
        raise SatviewError(f"unknown resampling {name!r}; choose one of {', '.join(RESAMPLING_NAMES)}")
    return Resampling[key]


def _resolution(resolution: float | Sequence[float] | None) -> tuple[float, float] | None:
    if resolution is None:
        return None
    if isinstance(resolution, (int, float)):
        res = (float(resolution), float(resolution))
    else:
        vals = [float(v) for v in resolution]
        if len(vals) not in (1, 2):
            raise SatviewError(f"resolution must be one or two numbers, got {resolution!r}")
        res = (vals[0], vals[-1])
    if not all(math.isfinite(r) and r > 0 for r in res):
        raise SatviewError(f"resolution must be positive, got {resolution!r}")
    return res


def target_grid(
    grid: GeoGrid, dst_crs: CRS | str | int, resolution: float | Sequence[float] | None = None
) -> GeoGrid:
    """The grid ``grid`` becomes in ``dst_crs``: GDAL's suggested warp output, north-up.

    ``resolution`` (one number, or (x, y)) sets the pixel size in target units; by default GDAL
    keeps about the source's number of pixels across the footprint. Raises ``CRSError`` for a bad
    CRS and ``SatviewError`` when the grid has no CRS or cannot be transformed.
    """
    crs = parse_crs(dst_crs)
    if grid.crs is None:
        raise SatviewError("the scene has no CRS, so it cannot be reprojected")
    res = _resolution(resolution)
    t = grid.transform
    kwargs: dict[str, Any] = {}
    if t.b == 0 and t.d == 0:
        left, bottom, right, top = grid.bounds
        kwargs.update(left=left, bottom=bottom, right=right, top=top)
    else:  # rotated or sheared: GCPs on a 3 x 3 lattice describe the affine exactly
        gcps = []
        for r in (0.0, grid.height / 2, float(grid.height)):
            for c in (0.0, grid.width / 2, float(grid.width)):
                x, y = t @ (c, r)
                gcps.append(GroundControlPoint(row=r, col=c, x=x, y=y, z=0.0, id=f"{r},{c}", info=""))
        kwargs["gcps"] = gcps
    try:
        transform, width, height = calculate_default_transform(
            grid.crs, crs, grid.width, grid.height, resolution=res, **kwargs
        )
    except (*GDAL_ERRORS, ValueError) as exc:  # the target CRS cannot hold the scene's extent
        raise SatviewError(f"cannot transform the scene's extent to {crs.to_string()} ({exc})") from exc
    if transform is None or not width or not height:
        raise SatviewError(f"the scene's extent cannot be expressed in {crs.to_string()}")
    return GeoGrid(crs, Affine(*tuple(transform)[:6]), int(width), int(height))


def _finite_lonlat(scene: Scene) -> tuple[np.ndarray, np.ndarray] | None:
    """The scene's (lon, lat) geolocation arrays (float64, NaN at fills), or None for non-swaths."""
    geolocation = getattr(scene, "geolocation", None)
    geo = geolocation() if callable(geolocation) else None
    if geo is None:
        return None
    lon, lat = (np.asarray(a, dtype=np.float64) for a in geo)
    if lon.shape != lat.shape or lon.shape != scene.info.grid.shape:
        raise SatviewError(f"the geolocation arrays {lon.shape} do not match the scene grid "
                           f"{scene.info.grid.shape}", scene.info.path)
    return lon, lat


def swath_target_grid(
    lon: np.ndarray, lat: np.ndarray, dst_crs: CRS | str | int,
    resolution: float | Sequence[float] | None = None,
) -> GeoGrid:
    """The north-up grid in ``dst_crs`` covering every geolocated cell of a swath.

    ``lon``/``lat`` are the cell centres (NaN at fills). The pixel size is ``resolution`` (one
    number or (x, y), in target units) or, by default, the mean distance between neighbouring
    cells along rows and columns in the target CRS. The grid extends half a pixel beyond the
    outermost centres. Raises ``SatviewError`` when no cell is geolocated or transformable.
    """
    crs = parse_crs(dst_crs)
    x, y = _project_swath(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), crs)
    good = np.isfinite(x)
    res = _resolution(resolution)
    if res is None:
        steps = [np.hypot(np.diff(x, axis=ax), np.diff(y, axis=ax)).ravel() for ax in (0, 1)]
        spacing = np.concatenate(steps)
        spacing = spacing[np.isfinite(spacing) & (spacing > 0)]
        if spacing.size == 0:
            raise SatviewError("the swath is a single point: give a resolution")
        res = (float(spacing.mean()),) * 2
    rx, ry = res
    left, right = float(np.min(x[good])) - rx / 2, float(np.max(x[good])) + rx / 2
    bottom, top = float(np.min(y[good])) - ry / 2, float(np.max(y[good])) + ry / 2
    width = max(1, math.ceil((right - left) / rx - 1e-9))
    height = max(1, math.ceil((top - bottom) / ry - 1e-9))
    if width * height > 40_000 ** 2:
        raise SatviewError(f"the output grid would be {width} x {height} pixels: give a larger resolution")
    return GeoGrid(crs, Affine(rx, 0.0, left, 0.0, -ry, top), int(width), int(height))


def _project_swath(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of a swath in ``crs`` (NaN where not geolocated or not transformable)."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise SatviewError("the swath has no valid latitude/longitude")
    try:
        x, y = transformer("EPSG:4326", crs).transform(np.where(ok, lon, 0.0), np.where(ok, lat, 0.0))
    except (ProjError, ValueError) as exc:  # PROJ cannot take the swath into the target CRS
        raise SatviewError(f"cannot transform the swath to {crs.to_string()} ({exc})") from exc
    x = np.where(ok, np.asarray(x, dtype=np.float64), np.nan)
    y = np.where(ok, np.asarray(y, dtype=np.float64), np.nan)
    good = np.isfinite(x) & np.isfinite(y)
    if not good.any():
        raise SatviewError(f"the swath cannot be expressed in {crs.to_string()}")
    return np.where(good, x, np.nan), np.where(good, y, np.nan)


def _neighbour_spacing(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per cell, the largest distance to its row/column neighbours (NaN when it has none)."""
    out = np.full(x.shape, np.nan)
    for axis in (0, 1):
        if x.shape[axis] < 2:
            continue
        d = np.hypot(np.diff(x, axis=axis), np.diff(y, axis=axis))
        lo = [slice(None)] * 2
        hi = [slice(None)] * 2
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(lo)] = np.fmax(out[tuple(lo)], d)
        out[tuple(hi)] = np.fmax(out[tuple(hi)], d)
    return out


def swath_nearest_index(lon: np.ndarray, lat: np.ndarray, grid: GeoGrid) -> np.ndarray:
    """For each pixel of ``grid`` (north-up), the flat index of the nearest swath cell, or -1.

    Distances are measured between cell centres projected into ``grid.crs``; a pixel is filled
    only when the nearest centre is within half a cell diagonal (the larger neighbour spacing of
    that cell x sqrt(2) / 2), so nothing is invented beyond the swath edges. In a geographic CRS,
    longitude differences count times the cosine of the swath's mean latitude.
    """
    if grid.crs is None:
        raise SatviewError("the target grid needs a CRS")
    x, y = _project_swath(lon, lat, grid.crs)
    kx = math.cos(math.radians(float(np.nanmean(lat)))) if grid.crs.is_geographic else 1.0
    spacing = _neighbour_spacing(x * kx, y)
    t = grid.transform
    rx, ry = abs(t.a) * kx, abs(t.e)
    flat = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    fx, fy = x.ravel()[flat], y.ravel()[flat]
    sp = spacing.ravel()[flat]
    sp = np.where(np.isfinite(sp), sp, np.nanmax(spacing) if np.isfinite(spacing).any() else max(rx, ry))
    radius = sp * math.sqrt(2.0) / 2.0
    col = (fx - t.c) / t.a - 0.5  # pixel coordinates of the centres (pixel centres at integers)
    row = (fy - t.f) / t.e - 0.5
    ic, ir = np.rint(col).astype(np.int64), np.rint(row).astype(np.int64)
    k = int(math.ceil(float(radius.max()) / min(rx, ry))) + 1
    best_d = np.full(grid.height * grid.width, np.inf)
    best_i = np.full(grid.height * grid.width, -1, dtype=np.int64)
    for dr in range(-k, k + 1):
        for dc in range(-k, k + 1):
            pr, pc = ir + dr, ic + dc
            d = np.hypot((pc - col) * rx, (pr - row) * ry)
            keep = (pr >= 0) & (pr < grid.height) & (pc >= 0) & (pc < grid.width) & (d <= radius)
            if not keep.any():
                continue
            pix, dk, src = pr[keep] * grid.width + pc[keep], d[keep], flat[keep]
            order = np.lexsort((dk, pix))  # per pixel, the nearest first
            pix, dk, src = pix[order], dk[order], src[order]
            first = np.ones(pix.size, dtype=bool)
            first[1:] = pix[1:] != pix[:-1]
            pix, dk, src = pix[first], dk[first], src[first]
            better = dk < best_d[pix]
            best_d[pix[better]] = dk[better]
            best_i[pix[better]] = src[better]
    return best_i.reshape(grid.height, grid.width)


def _default_fill(dtype: np.dtype) -> float:
    return math.nan if dtype.kind == "f" else 0.0


def reproject_array(
    data: np.ndarray,
    src_grid: GeoGrid,
    dst_grid: GeoGrid,
    resampling: str | Resampling = "nearest",
    src_nodata: float | None = None,
    dst_nodata: float | None = None,
) -> np.ndarray:
    """Warp ``data`` ((band, row, col) or (row, col), on ``src_grid``) onto ``dst_grid`` in memory.

    Returns an array of ``data``'s dtype and dimensionality shaped like ``dst_grid``. Source
    pixels equal to ``src_nodata`` (NaN by default for floats) are ignored; destination pixels
    with no source are ``dst_nodata`` (default: ``src_nodata``, else NaN for floats, 0 otherwise).
    """
    arr = np.asarray(data)
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected a (band, row, col) or (row, col) array, got shape {arr.shape}")
    if arr.shape[-2:] != src_grid.shape:
        raise ValueError(f"data shape {arr.shape} does not match the source grid {src_grid.shape}")
    if src_grid.crs is None or dst_grid.crs is None:
        raise SatviewError("both grids need a CRS to reproject")
    rs = resampling_from_name(resampling)
    if src_nodata is None and arr.dtype.kind == "f":
        src_nodata = math.nan
    if dst_nodata is None:
        dst_nodata = src_nodata if src_nodata is not None else _default_fill(arr.dtype)
    src = arr[np.newaxis] if arr.ndim == 2 else arr
    if not src.flags.c_contiguous or not src.dtype.isnative:
        src = np.ascontiguousarray(src.astype(src.dtype.newbyteorder("="), copy=False))
    out = np.full((src.shape[0], dst_grid.height, dst_grid.width), dst_nodata, dtype=src.dtype)
    reproject(
        source=src,
        destination=out,
        src_transform=src_grid.transform,
        src_crs=src_grid.crs,
        src_nodata=src_nodata,
        dst_transform=dst_grid.transform,
        dst_crs=dst_grid.crs,
        dst_nodata=dst_nodata,
        resampling=rs,
        num_threads=os.cpu_count() or 1,
        init_dest_nodata=True,
    )
    return out[0] if arr.ndim == 2 else out


@dataclass(frozen=True)
class ReprojectResult:
    """What :func:`reproject_scene` wrote."""

    path: Path
    crs: CRS
    transform: Affine
    width: int
    height: int
    count: int
    bands: tuple[str, ...]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _fits(value: float, dtype: np.dtype) -> bool:
    if dtype.kind == "f":
        return True
    if math.isnan(value) or value != int(value):
        return False
    info = np.iinfo(dtype)
    return info.min <= value <= info.max


def output_nodata(infos: Sequence[BandInfo], dtype: np.dtype) -> float:
    """The nodata value of a file holding ``infos`` as ``dtype`` (see the module rules)."""
    values = [b.nodata for b in infos]
    first = values[0]
    shared = first is not None and all(v is not None and _same(float(v), float(first)) for v in values)
    if shared and _fits(float(first), dtype):
        return float(first)
    if dtype.kind == "f":
        return math.nan
    info = np.iinfo(dtype)
    return float(info.max if dtype.kind == "u" else info.min)


def _profile(grid: GeoGrid, count: int, dtype: np.dtype, nodata: float) -> dict[str, Any]:
    block = 512 if min(grid.width, grid.height) > 1024 else 256
    return {
        "driver": "GTiff", "width": grid.width, "height": grid.height, "count": count,
        "dtype": dtype.name, "crs": grid.crs, "transform": grid.transform, "nodata": nodata,
        "tiled": True, "blockxsize": block, "blockysize": block, "BIGTIFF": "IF_SAFER",
        "compress": "DEFLATE", "predictor": 3 if dtype.kind == "f" else 2, "interleave": "band",
        "NUM_THREADS": "ALL_CPUS",
    }  # fmt: skip


def _set_metadata(dst: Any, info: SceneInfo, infos: Sequence[BandInfo], resampling: Resampling) -> None:
    write_scene_metadata(dst, info, infos, dst.nodata, {"SATVIEW_RESAMPLING": resampling.name})


def _take_nearest(data: np.ndarray, index: np.ndarray, src_nodata: float | None, nodata: float) -> np.ndarray:
    """``data`` sampled at flat ``index`` (-1: no source), with source nodata and gaps as ``nodata``."""
    out = np.full(index.shape, nodata, dtype=data.dtype)
    hit = index >= 0
    vals = data.ravel()[index[hit]]
    if src_nodata is not None:
        miss = np.isnan(vals) if math.isnan(src_nodata) else vals == src_nodata
        vals = np.where(miss, np.asarray(nodata, dtype=data.dtype), vals)
    out[hit] = vals
    return out


def _open_source(band: BandInfo, grid: GeoGrid) -> Any | None:
    """The band's source dataset when GDAL opens it with usable georeferencing, else None."""
    if not band.source:
        return None
    try:
        ds = rasterio.open(band.source)
    except Exception:  # no overview source: the caller reads the full band instead
        return None
    usable = (
        ds.crs is not None
        and ds.crs == grid.crs
        and not ds.transform.is_identity
        and 1 <= band.source_band <= ds.count
    )
    if not usable:
        ds.close()
        return None
    return ds


def reproject_scene(
    scene: Scene,
    out_path: str | os.PathLike[str],
    dst_crs: CRS | str | int,
    *,
    bands: Sequence[str] | None = None,
    resampling: str = "nearest",
    resolution: float | Sequence[float] | None = None,
    progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ReprojectResult:
    """Warp ``bands`` (default all) of ``scene`` into ``dst_crs`` as a tiled DEFLATE GeoTIFF.

    See the module docstring for the rules. ``progress(fraction, message)`` is called between
    bands and ``should_cancel()`` checked there. Raises ``CRSError`` for a bad CRS, ``SatviewError``
    for a bad resampling or resolution, ``CancelledError`` on cancel and ``ExportError`` when the
    file cannot be written; nothing is left behind on failure.
    """
    crs = parse_crs(dst_crs)
    info = scene.info
    out = Path(out_path)
    rs = resampling_from_name(resampling)
    infos = [info.band(str(b)) for b in bands] if bands else dataset_bands(info)
    if not infos:
        raise SatviewError("no bands were chosen", info.path)
    names = tuple(b.name for b in infos)
    if len(set(names)) != len(names):
        raise SatviewError(f"a band was chosen twice ({', '.join(names)})", info.path)
    swath = _finite_lonlat(scene) if info.grid.crs is None else None
    if info.grid.crs is None and swath is None:
        raise SatviewError("the scene has no CRS, so it cannot be reprojected", info.path)
    try:
        dst_grid = (swath_target_grid(*swath, crs, resolution) if swath is not None
                    else target_grid(info.grid, crs, resolution))
    except SatviewError as exc:
        if exc.path is not None:
            raise
        raise SatviewError(exc.message, info.path) from exc
    dtype = np.dtype(np.result_type(*[np.dtype(b.dtype) for b in infos]))
    nodata = output_nodata(infos, dtype)
    report = progress or (lambda _f, _m: None)
    threads = os.cpu_count() or 1
    n = len(infos)
    nearest: np.ndarray | None = None  # swaths: source cell of each output pixel

    with atomic_geotiff(out, infos) as tmp:
        try:
            with rasterio.open(tmp, "w", **_profile(dst_grid, n, dtype, nodata)) as dst:
                for i, b in enumerate(infos, start=1):
                    if should_cancel is not None and should_cancel():
                        raise CancelledError("the reprojection was cancelled", out)
                    report(0.95 * (i - 1) / n, f"reprojecting {b.name}")
                    band_rs = Resampling.nearest if (b.categorical or b.flags) else rs
                    common: dict[str, Any] = {
                        "dst_transform": dst_grid.transform, "dst_crs": dst_grid.crs,
                        "dst_nodata": nodata, "resampling": band_rs, "num_threads": threads,
                        "warp_mem_limit": WARP_MEM_LIMIT_MB, "init_dest_nodata": True,
                    }  # fmt: skip
                    src_nodata = None if b.nodata is None else float(b.nodata)
                    ds = _open_source(b, info.grid) if swath is None else None
                    if swath is not None:  # nearest through the geolocation arrays, one band in memory
                        if nearest is None:
                            nearest = swath_nearest_index(*swath, dst_grid)
                        data = scene.read([b.name], dn=True, should_cancel=should_cancel)[0]
                        sampled = _take_nearest(data.astype(dtype, copy=False), nearest, src_nodata, nodata)
                        dst.write(sampled, i)
                    elif ds is not None:
                        with ds:
                            reproject(
                                source=rasterio.band(ds, b.source_band),
                                destination=rasterio.band(dst, i),
                                src_transform=ds.transform,
                                src_crs=ds.crs,
                                src_nodata=src_nodata,
                                **common,
                            )
                    else:  # e.g. HDF datasets georeferenced by the reader: one band in memory
                        data = scene.read([b.name], dn=True, should_cancel=should_cancel)[0]
                        reproject(
                            source=np.ascontiguousarray(data.astype(dtype, copy=False)),
                            destination=rasterio.band(dst, i),
                            src_transform=info.grid.transform,
                            src_crs=info.grid.crs,
                            src_nodata=src_nodata,
                            **common,
                        )
                _set_metadata(dst, info, infos, Resampling.nearest if swath is not None else rs)
                report(0.95, "writing the GeoTIFF")
        except (OSError, *GDAL_ERRORS) as exc:  # the disk, the folder or GDAL refused the write
            raise ExportError(f"cannot write the reprojected GeoTIFF ({exc})", out) from exc
    report(1.0, "done")
    return ReprojectResult(out, crs, dst_grid.transform, dst_grid.width, dst_grid.height, n, names)

