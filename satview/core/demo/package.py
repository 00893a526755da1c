"""Build the demo scene bundle: render the layers, write them as COGs, add the MTLs and tar it atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import os
import shutil
import tarfile
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import rasterio
import rasterio.shutil
from rasterio.windows import Window

import satview.core.env  # noqa: F401  (GDAL options before rasterio)
from satview.core.atomic import atomic_path, temp_prefix
from satview.core.cache import user_cache_dir
from satview.core.demo import grid as g
from satview.core.demo.landcover import Block, BlockCounts, SceneModel
from satview.core.demo.mtl_writer import (
    BAND_SUFFIXES,
    SceneFacts,
    file_name,
    mtl_groups,
    to_json,
    to_odl,
    to_xml,
)
from satview.errors import ExportError

ProgressFn = Callable[[float, str], None]
Format = Literal["tar", "tar.gz", "dir"]

#: rows rendered at a time: small enough for the CPU caches; fixed, the texture noise is seeded per block
BLOCK_ROWS = 128
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_TAR_MTIME = int(g.L2_GENERATED.timestamp())
# share of the progress bar per stage
_RENDER, _COG = 0.55, 0.40


def output_path(
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    full: bool = False,
    size: tuple[int, int] | None = None,
    fmt: Format = "tar",
    seed: int = 0,
    acquired: dt.date | None = None,
) -> Path:
    """Where :func:`make_demo_scene` puts (or finds) the scene for these arguments.

    ``<dest_dir>/<cols>x<rows>[-seed<n>][-<date>]/<product id>.tar`` (``.tar.gz``, or a folder for "dir").
    """
    rows, cols = _size(full, size)
    base = Path(dest_dir) if dest_dir is not None else user_cache_dir("demo")
    folder = base / (f"{cols}x{rows}" + (f"-seed{seed}" if seed else "")
                     + (f"-{acquired:%Y%m%d}" if acquired else ""))
    suffix = {"tar": ".tar", "tar.gz": ".tar.gz", "dir": ""}.get(fmt)
    if suffix is None:
        raise ValueError(f"unknown demo scene format {fmt!r}; use 'tar', 'tar.gz' or 'dir'")
    return folder / f"{_redate_text(g.DEMO_PRODUCT_ID, acquired)}{suffix}"


def _redate_text(text: str, acquired: dt.date | None) -> str:
    """``text`` with the demo's acquisition and processing dates (all spellings) moved to ``acquired``.

    Only identifiers and dates change (product ids, scene id, MTL dates); pixels, sun angles and
    the WRS path/row stay those of the default scene.
    """
    if acquired is None:
        return text
    acq0, proc0 = g.ACQUIRED.date(), g.L2_GENERATED.date()
    proc = acquired + (proc0 - acq0)
    pairs = [
        (f"{acq0:%Y%m%d}", f"{acquired:%Y%m%d}"),
        (acq0.isoformat(), acquired.isoformat()),
        (f"{proc0:%Y%m%d}", f"{proc:%Y%m%d}"),
        (proc0.isoformat(), proc.isoformat()),
        (f"{acq0:%Y%j}LGN", f"{acquired:%Y%j}LGN"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _redate_files(folder: Path, names: list[str], acquired: dt.date | None) -> list[str]:
    """Rename the scene's files and rewrite its MTLs for another date (see :func:`_redate_text`)."""
    if acquired is None:
        return names
    out = []
    for name in names:
        new = _redate_text(name, acquired)
        if "_MTL." in name:
            text = (folder / name).read_text(encoding="utf-8")
            (folder / name).write_text(_redate_text(text, acquired), encoding="utf-8")
        os.replace(folder / name, folder / new)
        out.append(new)
    return sorted(out)


def _size(full: bool, size: tuple[int, int] | None) -> tuple[int, int]:
    if full:
        return g.FULL_SIZE
    if size is None:
        return g.DEFAULT_SIZE
    rows, cols = (int(v) for v in size)
    if rows < 8 or cols < 8:
        raise ValueError(f"demo scene size must be at least 8 x 8 pixels, got {rows} x {cols}")
    return rows, cols


def make_demo_scene(
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    full: bool = False,
    size: tuple[int, int] | None = None,
    fmt: Format = "tar",
    seed: int = 0,
    acquired: dt.date | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> Path:
    """Generate (or reuse) the synthetic Landsat 8 C2 L2SP demo scene and return its path.

    ``dest_dir`` defaults to the per-user cache (``user_cache_dir("demo")``); the scene goes into
    a sub-folder named after its size, ``<cols>x<rows>`` (plus ``-seed<n>`` for a non-zero seed).
    Size: ``full=True`` gives the 7791 x 7921 benchmark scene, ``size=(rows, cols)`` any size,
    otherwise 1948 x 1981 (a quarter of a scene per side). ``fmt`` is "tar" (like a USGS
    download), "tar.gz" or "dir" (an unpacked folder). An existing output is returned at once
    unless ``force``; the output appears under its final name only when complete.
    ``progress(fraction, message)`` is called as the work advances. The content is a function
    of ``seed`` and the size only; ``acquired`` moves the product's date (and so its product id).
    """
    report = progress or (lambda _f, _m: None)
    rows, cols = _size(full, size)
    final = output_path(dest_dir, full=full, size=size, fmt=fmt, seed=seed, acquired=acquired)
    if final.exists() and not force:
        report(1.0, f"reusing {final}")
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=temp_prefix("build"), dir=final.parent))
    except OSError as exc:
        raise ExportError(f"cannot write the demo scene: {exc.strerror or exc}", final.parent) from exc
    try:
        scene_dir = build / final.name.removesuffix(".tar.gz").removesuffix(".tar")
        scene_dir.mkdir()
        names = _redate_files(scene_dir, _write_scene(scene_dir, rows, cols, seed, report), acquired)
        report(_RENDER + _COG, "packing")
        if fmt == "dir":
            scene_dir.chmod(0o755)
            _publish_dir(scene_dir, final)
        else:
            with atomic_path(final) as tmp:
                _write_tar(tmp, scene_dir, names, gz=fmt == "tar.gz")
                tmp.chmod(0o644)  # the temporary file was created private (0600)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    report(1.0, f"wrote {final}")
    return final


def _write_scene(folder: Path, rows: int, cols: int, seed: int, report: ProgressFn) -> list[str]:
    """Render every layer into ``folder`` as COGs plus the three MTLs; return the file names."""
    grid = g.demo_grid(rows, cols)
    az, el = g.sun_position(g.ACQUIRED, g.CENTER_LAT, g.CENTER_LON)
    report(0.0, "shaping the landscape")
    model = SceneModel(rows, cols, seed, az, el)

    raw = folder / "raw"
    raw.mkdir()
    profile = {
        "driver": "GTiff",
        "dtype": "uint16",
        "width": cols,
        "height": rows,
        "count": 1,
        "crs": f"EPSG:{g.EPSG}",
        "transform": grid.transform,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "BIGTIFF": "IF_SAFER",
    }
    counts = BlockCounts()
    with contextlib.ExitStack() as stack:
        dsts = {}
        for suffix in BAND_SUFFIXES:
            nodata = None if suffix.startswith("QA_") else 0
            dst = stack.enter_context(rasterio.open(raw / f"{suffix}.tif", "w", nodata=nodata, **profile))
            dst.update_tags(AREA_OR_POINT="Point")
            dsts[suffix] = dst
        starts = list(range(0, rows, BLOCK_ROWS))
        with ThreadPoolExecutor(_WORKERS) as pool:
            # render ahead on every core while this thread writes, at most a few blocks in memory
            pending: deque[Future[Block]] = deque()
            for row0 in starts[:_WORKERS]:
                pending.append(pool.submit(model.render, row0, min(rows, row0 + BLOCK_ROWS)))
            for i in range(len(starts)):
                block = pending.popleft().result()
                if i + _WORKERS < len(starts):
                    nxt = starts[i + _WORKERS]
                    pending.append(pool.submit(model.render, nxt, min(rows, nxt + BLOCK_ROWS)))
                row0 = block.row0
                window = Window(0, row0, cols, block.st.shape[0])
                for b in range(7):
                    dsts[f"SR_B{b + 1}"].write(block.sr[b], 1, window=window)
                dsts["ST_B10"].write(block.st, 1, window=window)
                dsts["QA_PIXEL"].write(block.qa_pixel, 1, window=window)
                dsts["QA_RADSAT"].write(block.qa_radsat, 1, window=window)
                counts.add(block.counts)
                row1 = row0 + block.st.shape[0]
                report(_RENDER * row1 / rows, f"rendering rows {row0}-{row1} of {rows}")
                del block

    names = []
    for i, suffix in enumerate(BAND_SUFFIXES):
        name = file_name(suffix)
        resampling = "NEAREST" if suffix.startswith("QA_") else "AVERAGE"
        rasterio.shutil.copy(
            raw / f"{suffix}.tif",
            folder / name,
            driver="COG",
            BLOCKSIZE=512,
            COMPRESS="DEFLATE",
            PREDICTOR=2,
            OVERVIEWS="AUTO",
            OVERVIEW_RESAMPLING=resampling,
            NUM_THREADS="ALL_CPUS",
            BIGTIFF="IF_SAFER",
        )
        (raw / f"{suffix}.tif").unlink()
        names.append(name)
        report(_RENDER + _COG * (i + 1) / len(BAND_SUFFIXES), f"writing {name}")
    raw.rmdir()

    facts = SceneFacts(
        rows=rows,
        cols=cols,
        cloud_cover=100.0 * counts.cloud / max(counts.valid, 1),
        cloud_cover_land=100.0 * counts.land_cloud / max(counts.land, 1),
        saturated_bands=frozenset(b + 1 for b in range(9) if counts.saturated[b] > 0),
    )
    groups = mtl_groups(facts)
    for ext, text in (("txt", to_odl(groups)), ("xml", to_xml(groups)), ("json", to_json(groups))):
        name = f"{g.DEMO_PRODUCT_ID}_MTL.{ext}"
        (folder / name).write_text(text, encoding="utf-8")
        names.append(name)
    return sorted(names)


def _write_tar(path: Path, folder: Path, names: list[str], *, gz: bool) -> None:
    """Write the members (alphabetical, no folder prefix, fixed owner and time) to a tar or tar.gz."""

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = _TAR_MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o644
        return info

    with open(path, "wb") as raw:
        gz_file = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=_TAR_MTIME)
            if gz
            else None
        )
        try:
            with tarfile.open(fileobj=gz_file or raw, mode="w", format=tarfile.GNU_FORMAT) as tf:
                for name in names:
                    tf.add(folder / name, arcname=name, recursive=False, filter=normalise)
        finally:
            if gz_file is not None:
                gz_file.close()


def _publish_dir(folder: Path, final: Path) -> None:
    """Move a finished scene folder to ``final``, replacing an older one only once the new one is complete."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        os.replace(final, old)
    os.replace(folder, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
