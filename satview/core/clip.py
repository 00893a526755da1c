"""Clip a scene to an AOI polygon into a GeoTIFF (or COG) on the scene's own pixel grid.

Rules
-----
- **Grid**: the output keeps the source pixel grid. Its window is the AOI's extent snapped
  *outward* to whole source pixels and intersected with the scene; the output transform is
  ``rasterio.windows.transform(window, grid.transform)``, so nothing is resampled.
- **Which pixels**: a pixel is kept when its centre lies inside the AOI (GDAL's rasterisation
  rule, ``all_touched=False``); with ``all_touched=True`` every pixel the polygon touches is kept,
  and the window is grown (within the scene) to hold every touched pixel. All other pixels are
  set to nodata.
- **Nodata**: when every chosen band has the same nodata value (representable in the output
  dtype) that value is used. Otherwise the file's nodata is the output dtype's maximum for
  unsigned integers, its minimum for signed integers and NaN for floats; band pixels equal to
  the band's own nodata are rewritten to that value. (A real pixel with that value would then
  read as nodata; a warning says so when it happens.)
- **Values**: raw DN in the source dtype (several dtypes are promoted with ``np.result_type``).
  Band descriptions are the band names; linear calibrations become GDAL scale/offset/unit, so
  GDAL and QGIS users get physical values; brightness-temperature bands carry their radiance
  rescaling and K1/K2 as band tags; Landsat scene facts become dataset tags; everything else
  satview knows (roles, common names, QA decoders, flags, the Landsat product) goes into the
  ``SATVIEW`` domain, so the clip reopens in satview as what it was, with the same physical
  values (:mod:`satview.core.geotiff_tags`).
- **dst_crs**: the only case that resamples. The clip is made on the source grid first, then
  warped (``calculate_default_transform`` for the grid; nearest by default and always for
  categorical and flagged bands, or ``resampling``) and masked again with the AOI in the target CRS.
- **Files**: tiled DEFLATE GeoTIFF (predictor 2 for integers, 3 for floats, BIGTIFF=IF_SAFER)
  or, with ``cog=True``, a Cloud-Optimized GeoTIFF with overviews. Everything is written
  atomically: a failure or a cancel leaves neither the output nor a temporary file behind. A
  band with named flag values gets its categories in ``OUT.tif.aux.xml``, renamed into place with
  the GeoTIFF.
- **Memory**: bands are read one at a time in blocks of at most 2048 rows, and GDAL's block
  cache is capped at 256 MB while a clip runs (process-wide; rasterio restores it afterwards).
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
import shapely
import shapely.affinity
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.env import get_gdal_config
from rasterio.features import geometry_mask
from rasterio.vrt import WarpedVRT
from rasterio.warp import calculate_default_transform
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from satview.core.aoi import AOI, _grid_polygon, _polygonal, ensure_overlap
from satview.core.atomic import scratch_path
from satview.core.composite import dataset_bands
from satview.core.env import gdal_env
from satview.core.geo import parse_crs
from satview.core.geotiff_tags import atomic_geotiff, write_scene_metadata
from satview.core.readers.base import GDAL_ERRORS, Scene
from satview.core.types import BandInfo, SceneInfo
from satview.errors import AOIError, CancelledError, ExportError, SatviewError

ProgressFn = Callable[[float, str], None]

#: Rows read and written at a time (per band).
BLOCK_ROWS = 2048
#: GDAL block cache while clipping (bytes); GDAL's default is 5 % of RAM, which alone can exceed 1 GB.
CLIP_CACHE_BYTES = 256 * 1024 * 1024
_SNAP_EPS = 1e-6


@dataclass(frozen=True)
class ClipResult:
    """What ``clip_scene`` wrote."""

    path: Path
    width: int
    height: int
    count: int
    bands: tuple[str, ...]
    transform: Affine
    crs: CRS
    bounds: tuple[float, float, float, float]
    pixels_inside: int  # cells inside the AOI; with a target CRS, those that hold data after warping


def clip_scene(
    scene: Scene,
    aoi: AOI,
    out_path: str | os.PathLike[str],
    *,
    bands: list[str] | None = None,
    all_touched: bool = False,
    dst_crs: CRS | str | int | None = None,
    cog: bool = False,
    resampling: str | None = None,
    progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ClipResult:
    """Write the pixels of ``scene`` inside ``aoi`` to ``out_path`` (see the module docstring).

    Raises ``AOIError`` when the AOI misses the scene or covers no pixel, ``CancelledError`` when
    ``should_cancel()`` turns true, ``ExportError`` when the file cannot be written.
    """
    info = scene.info
    out = Path(out_path)
    infos = [info.band(str(b)) for b in bands] if bands else dataset_bands(info)
    if not infos:
        raise SatviewError("no bands were chosen", info.path)
    names = tuple(b.name for b in infos)
    if len(set(names)) != len(names):
        raise SatviewError(f"a band was chosen twice ({', '.join(names)})", info.path)
    target = _target_crs(dst_crs)
    if target is not None and info.grid.crs is not None and target == info.grid.crs:
        target = None  # same CRS: nothing to reproject
    rs_name = _resampling(resampling)
    report = progress or (lambda _f, _m: None)

    local = ensure_overlap(aoi, info)
    window, inside = _clip_window(local, info, all_touched)
    n_inside = int(inside.sum())
    if n_inside == 0:
        hint = ("; use --all-touched (all_touched=True) to keep the pixels it touches"
                if not all_touched else "")
        raise AOIError(f"the AOI is too small or thin to contain the centre of any pixel{hint}", info.path)

    dtype = np.result_type(*[np.dtype(b.dtype) for b in infos])
    nodata = _nodata(infos, dtype)
    grid = info.grid
    src_transform = window_transform(window, grid.transform)
    width, height = int(window.width), int(window.height)
    meta = _Meta(infos, info, dtype, nodata, all_touched, aoi.name, out)

    def check_cancel() -> None:
        if should_cancel is not None and should_cancel():
            raise CancelledError("the clip was cancelled", out)

    fill = _fill(nodata, dtype)

    def source_blocks(weight: float) -> Iterator[tuple[int, int, int, np.ndarray]]:
        """(band index, row, nrows, data) blocks of the clip on the source grid, masked."""
        steps = len(infos) * math.ceil(height / BLOCK_ROWS)
        done = 0
        clash = 0
        for i, b in enumerate(infos):
            for r in range(0, height, BLOCK_ROWS):
                check_cancel()
                n = min(BLOCK_ROWS, height - r)
                win = Window(window.col_off, window.row_off + r, width, n)
                data = scene.read([b.name], window=win, dn=True)[0]
                if data.dtype != dtype:
                    data = data.astype(dtype)
                keep = inside[r:r + n]
                if b.nodata is None or not _same_value(b.nodata, nodata):
                    clash += int(np.count_nonzero(_equals(data, nodata) & keep))
                    if b.nodata is not None:
                        data[_equals(data, b.nodata)] = fill
                data[~keep] = fill
                yield i + 1, r, n, data
                done += 1
                report(weight * done / steps, f"clipping {b.name}")
        if clash:
            warnings.warn(
                f"{info.path}: {clash} pixels inside the AOI have the value {nodata}, which the clip "
                "uses as nodata; they will read as nodata", stacklevel=3)

    folder = out.parent if str(out.parent) else Path(".")
    with contextlib.ExitStack() as stack:
        stack.enter_context(_bounded_gdal_cache())
        final_tmp = stack.enter_context(atomic_geotiff(out, infos))
        gtiff = stack.enter_context(_scratch(folder, out.name)) if cog else final_tmp
        first_weight = 0.45 if target is not None else (0.9 if cog else 1.0)
        if target is None:
            _write(gtiff, source_blocks(first_weight), width, height, len(infos), dtype, nodata,
                   grid.crs, src_transform, meta)
            out_crs, out_transform, out_w, out_h = grid.crs, src_transform, width, height
        else:
            staged = stack.enter_context(_scratch(folder, out.name))
            _write(staged, source_blocks(first_weight), width, height, len(infos), dtype, nodata,
                   grid.crs, src_transform, meta, fast=True)
            left, top = src_transform @ (0, 0)
            right, bottom = src_transform @ (width, height)
            try:
                out_transform, out_w, out_h = calculate_default_transform(
                    grid.crs, target, width, height,
                    left=min(left, right), bottom=min(top, bottom), right=max(left, right),
                    top=max(top, bottom))
            except (*GDAL_ERRORS, ValueError) as exc:  # e.g. "Computed dimensions are too big"
                raise SatviewError(f"cannot transform the clip's extent to {target.to_string()} ({exc})",
                                   info.path) from exc
            out_w, out_h = int(out_w), int(out_h)
            out_crs = target
            # the AOI part over the scene, in the target CRS (pixels off the scene are not "inside")
            on_scene = local.geometry.intersection(_grid_polygon(grid))
            dst_aoi = AOI(_polygonal(on_scene), local.crs, aoi.name).to_crs(target)
            dst_inside = geometry_mask([dst_aoi.geometry], out_shape=(out_h, out_w), transform=out_transform,
                                       all_touched=all_touched, invert=True)
            n_inside = int(dst_inside.sum())
            if n_inside == 0:
                raise AOIError(f"after reprojection to {target.to_string()} no pixel centre lies inside the "
                               "AOI; use --all-touched or a finer resolution", info.path)
            blocks = _warped_blocks(staged, infos, target, out_transform, out_w, out_h, dtype, nodata,
                                    rs_name, dst_inside, check_cancel, report, first_weight,
                                    0.9 if cog else 1.0)
            valid = np.zeros((out_h, out_w), dtype=bool)  # inside the AOI and holding data
            _write(gtiff, _noting_valid(blocks, valid, nodata), out_w, out_h, len(infos), dtype, nodata,
                   target, out_transform, meta)
            n_inside = int(valid.sum())
        if cog:
            check_cancel()
            report(0.92, "writing the Cloud-Optimized GeoTIFF")
            try:
                _to_cog(gtiff, final_tmp, dtype, any(b.categorical or b.flags for b in infos), out_w, out_h)
            except ExportError as exc:
                raise ExportError(exc.message, out) from exc
    report(1.0, "done")
    x0, y0 = out_transform @ (0, 0)
    x1, y1 = out_transform @ (out_w, out_h)
    return ClipResult(
        path=out,
        width=out_w,
        height=out_h,
        count=len(infos),
        bands=names,
        transform=out_transform,
        crs=out_crs,
        bounds=(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)),
        pixels_inside=n_inside,
    )


# -- window and mask -------------------------------------------------------------------------------


def _clip_window(local: AOI, info: SceneInfo, all_touched: bool) -> tuple[Window, np.ndarray]:
    """The output window on the scene grid and the (rows, cols) mask of kept pixels in it."""
    grid = info.grid
    inv = ~grid.transform
    pix = shapely.affinity.affine_transform(local.geometry, [inv.a, inv.b, inv.d, inv.e, inv.xoff, inv.yoff])
    c0, r0, c1, r1 = (_snap(v) for v in pix.bounds)
    col0, row0 = math.floor(c0), math.floor(r0)
    col1, row1 = math.ceil(c1), math.ceil(r1)
    core = _intersect(col0, row0, col1, row1, grid.width, grid.height)
    if core is None:
        raise AOIError("the AOI does not overlap the scene's pixels", info.path)
    if not all_touched:
        win = _window(*core)
        mask = geometry_mask([local.geometry], out_shape=(int(win.height), int(win.width)),
                             transform=window_transform(win, grid.transform), all_touched=False, invert=True)
        return win, mask
    # all touched: pad by one pixel (edge-touched pixels), then keep the snapped window plus the
    # bounding box of every touched pixel
    padded = _intersect(col0 - 1, row0 - 1, col1 + 1, row1 + 1, grid.width, grid.height)
    assert padded is not None
    pc0, pr0, pc1, pr1 = padded
    pwin = _window(*padded)
    mask = geometry_mask([local.geometry], out_shape=(pr1 - pr0, pc1 - pc0),
                         transform=window_transform(pwin, grid.transform), all_touched=True, invert=True)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    kc0, kr0, kc1, kr1 = core
    if rows.size:
        kr0, kr1 = min(kr0, pr0 + int(rows[0])), max(kr1, pr0 + int(rows[-1]) + 1)
        kc0, kc1 = min(kc0, pc0 + int(cols[0])), max(kc1, pc0 + int(cols[-1]) + 1)
    win = _window(kc0, kr0, kc1, kr1)
    return win, mask[kr0 - pr0:kr1 - pr0, kc0 - pc0:kc1 - pc0]


def _snap(v: float) -> float:
    r = round(v)
    return float(r) if abs(v - r) < _SNAP_EPS else float(v)


def _intersect(c0: int, r0: int, c1: int, r1: int, w: int, h: int) -> tuple[int, int, int, int] | None:
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, w), min(r1, h)
    return (c0, r0, c1, r1) if c1 > c0 and r1 > r0 else None


def _window(c0: int, r0: int, c1: int, r1: int) -> Window:
    return Window(c0, r0, c1 - c0, r1 - r0)


# -- nodata ------------------------------------------------------------------------------------------


def _nodata(infos: list[BandInfo], dtype: np.dtype) -> float:
    values = {_key(b.nodata) for b in infos}
    if len(values) == 1 and infos[0].nodata is not None and _representable(infos[0].nodata, dtype):
        return float(infos[0].nodata)
    if np.issubdtype(dtype, np.floating):
        return math.nan
    ii = np.iinfo(dtype)
    return float(ii.max if np.issubdtype(dtype, np.unsignedinteger) else ii.min)


def _key(v: float | None) -> Any:
    if v is None:
        return None
    return "nan" if math.isnan(v) else float(v)


def _representable(v: float, dtype: np.dtype) -> bool:
    if np.issubdtype(dtype, np.floating):
        return True
    if math.isnan(v) or v != int(v):
        return False
    ii = np.iinfo(dtype)
    return ii.min <= v <= ii.max


def _same_value(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _equals(data: np.ndarray, v: float) -> np.ndarray:
    return np.isnan(data) if math.isnan(v) else data == v


def _fill(v: float, dtype: np.dtype) -> Any:
    return dtype.type(v)


# -- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    infos: list[BandInfo]
    info: SceneInfo
    dtype: np.dtype
    nodata: float
    all_touched: bool
    aoi_name: str | None
    out: Path


def _write(path: Path, blocks: Iterator[tuple[int, int, int, np.ndarray]], width: int, height: int,
           count: int, dtype: np.dtype, nodata: float, crs: CRS | None, transform: Affine, meta: _Meta,
           fast: bool = False) -> None:
    """Write ``blocks`` into a new tiled GeoTIFF at ``path`` and set the clip's metadata."""
    profile = _profile(width, height, count, dtype, nodata, crs, transform, fast)
    try:
        with rasterio.open(path, "w", **profile) as dst:
            for band, row, nrows, data in blocks:
                dst.write(data, band, window=Window(0, row, width, nrows))
            _set_metadata(dst, meta)
    except (OSError, *GDAL_ERRORS) as exc:  # the disk, the folder or GDAL refused the write
        raise ExportError(f"cannot write the GeoTIFF ({exc})", meta.out) from exc


def _profile(width: int, height: int, count: int, dtype: np.dtype, nodata: float, crs: CRS | None,
             transform: Affine, fast: bool) -> dict[str, Any]:
    block = 512 if min(width, height) > 1024 else 256
    profile: dict[str, Any] = {
        "driver": "GTiff", "width": width, "height": height, "count": count, "dtype": dtype.name,
        "crs": crs, "transform": transform, "nodata": nodata, "tiled": True,
        "blockxsize": block, "blockysize": block, "BIGTIFF": "IF_SAFER",
        "compress": "DEFLATE", "predictor": 3 if np.issubdtype(dtype, np.floating) else 2,
        "interleave": "band",
    }
    if fast:
        profile["ZLEVEL"] = 1
    return profile


def _set_metadata(dst: Any, meta: _Meta) -> None:
    extra = {"SATVIEW_CLIP_RULE": "all_touched" if meta.all_touched else "pixel_centre"}
    if meta.aoi_name:
        extra["SATVIEW_AOI"] = meta.aoi_name
    write_scene_metadata(dst, meta.info, meta.infos, meta.nodata, extra)


def _warped_blocks(staged: Path, infos: list[BandInfo], crs: CRS, transform: Affine, width: int, height: int,
                   dtype: np.dtype, nodata: float, rs_name: Resampling | None, inside: np.ndarray,
                   check_cancel: Callable[[], None], report: ProgressFn, start: float, end: float,
                   ) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """Blocks of the staged source-grid clip warped to the target grid and masked with the AOI there."""
    steps = len(infos) * math.ceil(height / BLOCK_ROWS)
    done = 0
    fill = _fill(nodata, dtype)
    with rasterio.open(staged) as src:
        vrts: dict[Resampling, WarpedVRT] = {}
        try:
            for i, b in enumerate(infos, start=1):
                rs = Resampling.nearest if (b.categorical or b.flags or rs_name is None) else rs_name
                if rs not in vrts:
                    vrts[rs] = WarpedVRT(src, crs=crs, transform=transform, width=width, height=height,
                                         resampling=rs, src_nodata=nodata, nodata=nodata)
                vrt = vrts[rs]
                for r in range(0, height, BLOCK_ROWS):
                    check_cancel()
                    n = min(BLOCK_ROWS, height - r)
                    data = vrt.read(i, window=Window(0, r, width, n))
                    data[~inside[r:r + n]] = fill
                    yield i, r, n, data
                    done += 1
                    report(start + (end - start) * done / steps, f"reprojecting {b.name}")
        finally:
            for v in vrts.values():
                v.close()


def _noting_valid(blocks: Iterator[tuple[int, int, int, np.ndarray]], valid: np.ndarray,
                  nodata: float) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """``blocks`` passed on unchanged, marking in ``valid`` the cells where some band has data: the
    warped clip's count of valid pixels (AOI cells near its edge may get no source pixel)."""
    for i, r, n, data in blocks:
        valid[r:r + n] |= ~_equals(data, nodata)
        yield i, r, n, data


def _to_cog(src_path: Path, dst_path: Path, dtype: np.dtype, categorical: bool, width: int,
            height: int) -> None:
    block = 512 if min(width, height) > 1024 else 256
    try:
        rasterio.shutil.copy(
            str(src_path), str(dst_path), driver="COG",
            COMPRESS="DEFLATE", PREDICTOR="FLOATING_POINT" if np.issubdtype(dtype, np.floating) else "YES",
            BLOCKSIZE=str(block), BIGTIFF="IF_SAFER", OVERVIEWS="AUTO",
            RESAMPLING="NEAREST" if categorical else "AVERAGE",
            COPY_SRC_MDD="YES",  # the SATVIEW and IMAGERY domains too, not only the default one
        )
    except (OSError, *GDAL_ERRORS) as exc:  # the disk, the folder or GDAL refused the write
        raise ExportError(f"cannot write the Cloud-Optimized GeoTIFF ({exc})", dst_path) from exc


def _scratch(folder: Path, name: str) -> contextlib.AbstractContextManager[Path]:
    """A temporary .tif next to the output (named like every satview temporary file), always removed."""
    return scratch_path(folder, f"{name}.part", suffix=".tif")


def _bounded_gdal_cache() -> contextlib.AbstractContextManager[Any]:
    """Cap GDAL's (process-wide) block cache while clipping; rasterio restores it afterwards."""
    try:
        current = int(get_gdal_config("GDAL_CACHEMAX") or 0)
    except (TypeError, ValueError):
        current = 0
    if 0 < current <= CLIP_CACHE_BYTES:
        return contextlib.nullcontext()
    return gdal_env(GDAL_CACHEMAX=CLIP_CACHE_BYTES)


def _target_crs(dst_crs: CRS | str | int | None) -> CRS | None:
    if dst_crs is None or (isinstance(dst_crs, str) and not dst_crs.strip()):
        return None
    return parse_crs(dst_crs)


def _resampling(name: str | None) -> Resampling | None:
    if name is None:
        return None
    try:
        return Resampling[name.strip().lower()]
    except KeyError:
        choices = ", ".join(r.name for r in Resampling if r.value < 100)
        raise SatviewError(f"unknown resampling {name!r}; choose one of {choices}") from None
