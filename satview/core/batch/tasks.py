"""The picklable per-scene task functions of a batch: open, make the output atomically, return a plain record.

They run in worker processes (a local process pool or Dask workers), take only plain arguments
and never raise for a bad scene: every problem comes back as a ``failed`` record with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satview.core.batch.discover import MULTI_DATASET_READERS
from satview.core.batch.options import ClipOptions, QuicklookOptions
from satview.core.batch.stats import StatsResult, band_histogram, display_bands, display_data
from satview.core.env import ensure_thread_env
from satview.core.stretch import Levels

OK, SKIPPED, FAILED, CANCELLED = "ok", "skipped", "failed", "cancelled"
THUMBS_DIR = "thumbs"


@dataclass
class TaskResult:
    """What became of one scene: ``status`` (ok, skipped, failed, cancelled), outputs, facts, reason.

    ``outputs`` are file names relative to the output folder, the main file first; ``facts`` hold
    product_id, acquired (ISO date), cloud_cover, format and footprint (GeoJSON geometry, lon/lat)
    when the scene could be opened; ``error``/``reason`` say why it failed or was skipped.
    """

    path: str
    name: str
    status: str
    outputs: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    levels: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    seconds: float = 0.0
    started: float = 0.0  # wall-clock time (time.time()) the task began: the batch's throughput

    @property
    def ok(self) -> bool:
        return self.status == OK


def open_options(reader: str, dataset: str | None) -> dict[str, Any]:
    """Options for ``open_scene``: ``dataset`` only goes to multi-dataset files (HDF, netCDF)."""
    return {"dataset": dataset} if dataset and reader in MULTI_DATASET_READERS else {}


def scene_facts(info: Any) -> dict[str, Any]:
    """Product id, date, cloud cover, format, size and lon/lat footprint of an opened scene (plain values)."""
    from shapely.geometry import mapping

    li = info.landsat
    facts: dict[str, Any] = {
        "product_id": li.product_id if li is not None else Path(info.path).name,
        "acquired": li.acquired.isoformat() if li is not None and li.acquired else None,
        "cloud_cover": li.cloud_cover if li is not None else None,
        "format": info.format,
        "width": info.grid.width,
        "height": info.grid.height,
        "dataset": info.dataset,
        "footprint": dict(mapping(info.footprint)) if info.footprint is not None else None,
    }
    if facts["acquired"] is None and isinstance(info.metadata, dict):
        facts["acquired"] = info.metadata.get("time_coverage_start")
    return facts


def describe_error(exc: BaseException) -> str:
    """One line for the report: the satview message (the path is in the table already); a bug in
    satview is logged (:func:`satview.errors.log_internal_error`) and reported as an internal error."""
    from satview.errors import SatviewError, internal_error_summary, is_input_error, log_internal_error

    if not is_input_error(exc):
        return "internal error: " + internal_error_summary(exc, log_internal_error(exc, "batch task"))
    return exc.message if isinstance(exc, SatviewError) else "not enough memory for this scene"


def quicklook_task(path: str, reader: str, out_dir: str, name: str, options: QuicklookOptions,
                   levels: Levels | None = None, dataset: str | None = None) -> TaskResult:
    """Write ``<name>.png`` (+ world file, .aux.xml) and ``thumbs/<name>.png`` for one scene."""
    t0 = time.perf_counter()
    rec = TaskResult(path, name, FAILED, started=time.time())
    try:
        from satview.core import open_scene
        from satview.core.quicklook import quicklook_array, save_quicklook

        out = Path(out_dir)
        ensure_thread_env()
        with open_scene(path, **open_options(reader, dataset)) as scene:
            rec.facts = scene_facts(scene.info)
            bands = list(options.bands) if options.bands else None
            rgba, used, transform = quicklook_array(
                scene, preset=options.preset, bands=bands, band=options.band, index=options.index,
                cmap=options.cmap, size=options.size, stretch=options.parsed_stretch(), levels=levels)
            res = save_quicklook(rgba, out / f"{name}.png", scene.info.grid.crs, transform,
                                 _drawn_bands(scene, options), used)
        thumb = write_thumbnail(rgba, out / THUMBS_DIR / f"{name}.png", options.thumb_size)
        rec.outputs = [res.path.name] + [p.name for p in (res.world_file, res.aux_xml) if p is not None]
        rec.outputs.append(f"{THUMBS_DIR}/{thumb.name}")
        rec.levels = (tuple(used.lo), tuple(used.hi))
        rec.status = OK
    except Exception as exc:  # one scene's failure is a line of the report; the batch goes on
        rec.error = describe_error(exc)
    rec.seconds = time.perf_counter() - t0
    return rec


def _drawn_bands(scene: Any, options: QuicklookOptions) -> tuple[str, ...]:
    return display_bands(scene, options)[1]


def stats_task(path: str, reader: str, options: QuicklookOptions, dataset: str | None = None) -> StatsResult:
    """Histograms of the values a quick-look of ``path`` would stretch (picklable, never raises)."""
    from satview.core import open_scene

    t0 = time.perf_counter()
    out = StatsResult(path)
    try:
        ensure_thread_env()
        with open_scene(path, **open_options(reader, dataset)) as scene:
            names, data = display_data(scene, options)
        out.bands = names
        out.histograms = [band_histogram(data[b]) for b in range(data.shape[0])]
    except Exception as exc:  # one scene's failure is a line of the report; the batch goes on
        out.error = describe_error(exc)
    out.seconds = time.perf_counter() - t0
    return out



def write_thumbnail(rgba: Any, out_png: Path, size: int) -> Path:
    """A small RGBA PNG of a rendered quick-look ((4, row, col) uint8), long side ``size``, atomically."""
    from PIL import Image

    from satview.core.atomic import atomic_path

    out_png.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(rgba.transpose(1, 2, 0).copy(), "RGBA")
    # box-reduce by the whole factor first, LANCZOS only for the rest, and zlib level 1: 2x faster than
    # LANCZOS + level 6 (a tenth of the task), for a file 10 % bigger and pixels within 1-2 levels
    img.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=1.0)
    with atomic_path(out_png) as tmp:
        img.save(tmp, format="PNG", compress_level=1)
    return out_png


def clip_task(path: str, reader: str, out_dir: str, name: str, options: ClipOptions,
              dataset: str | None = None) -> TaskResult:
    """Clip one scene to the AOI into ``<name>.tif``; an AOI that misses the scene gives ``skipped``."""
    t0 = time.perf_counter()
    rec = TaskResult(path, name, FAILED, started=time.time())
    try:
        import shapely
        from rasterio.crs import CRS

        from satview.core import open_scene
        from satview.core.aoi import AOI, ensure_overlap
        from satview.core.clip import clip_scene
        from satview.errors import AOIError

        aoi = AOI(shapely.from_wkt(options.aoi_wkt), CRS.from_wkt(options.aoi_crs), options.aoi_name)
        ensure_thread_env()
        with open_scene(path, **open_options(reader, dataset)) as scene:
            rec.facts = scene_facts(scene.info)
            try:
                ensure_overlap(aoi, scene.info)
            except AOIError as exc:
                rec.status, rec.error = SKIPPED, exc.message
                rec.seconds = time.perf_counter() - t0
                return rec
            res = clip_scene(scene, aoi, Path(out_dir) / f"{name}.tif",
                             bands=list(options.bands) if options.bands else None,
                             all_touched=options.all_touched, dst_crs=options.dst_crs, cog=options.cog)
        rec.outputs = [res.path.name]
        rec.facts["clip_pixels_inside"] = res.pixels_inside
        rec.status = OK
    except Exception as exc:  # one scene's failure is a line of the report; the batch goes on
        rec.error = describe_error(exc)
    rec.seconds = time.perf_counter() - t0
    return rec
