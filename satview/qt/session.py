"""The GUI's one model object: the open scene, what is displayed, AOIs, and the background work.

Panels and the canvas talk only to ``Session``; they never touch readers or file formats. Every
long call returns at once and reports through a signal. Decoding runs in worker processes
(``satview.workers.lanes``): an interactive lane (open, render, pixel), a background lane (view
reprojection) and an export lane (clip, quick-look, reprojection, sea-ice extent), so long work
never delays the picture. Requests
carry generation numbers; results of stale requests are dropped before they are emitted.

Units: ``Session.levels``, the ``Levels`` of ``sig_display_changed`` and the argument of
``set_levels`` are PHYSICAL values (reflectance, kelvin, %, index value), like the histograms.
The session converts them to the render space (raw DN where possible) itself.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from satview.core.render import DisplaySpec, levels_from_physical
from satview.core.stretch import Levels
from satview.core.types import SceneInfo
from satview.core.viewport import ReadPlan, overview_plan, plan_read
from satview.errors import AOIError, ExportError, SatviewError
from satview.qt.errors import ErrorReport
from satview.qt.workers import Task, TaskRunner
from satview.workers import requests
from satview.workers.lanes import Workers
from satview.workers.pool import ProgressFn

if TYPE_CHECKING:  # satview.core.aoi loads shapely and pyproj: imported when AOIs are first used
    from satview.core.aoi import AOI

log = logging.getLogger(__name__)

#: Long side of the coarse whole-scene image (and of the statistics read); ``requests.open_view``'s default.
COARSE_SIZE = 1024
#: Fraction of the view read beyond each side when zoomed in (smooth panning).
VIEW_MARGIN = 0.1


@dataclass(frozen=True)
class AOISummary:
    """An AOI as the AOI panel lists it; ``bounds`` are in the AOI's CRS (the scene's for drawn ones)."""

    id: int
    name: str
    n_vertices: int
    area_km2: float
    bounds: tuple[float, float, float, float]


def _stats_key(spec: DisplaySpec) -> tuple[Any, ...]:
    """The parts of a display spec the levels depend on (others only need a re-render)."""
    return (spec.mode, spec.bands, spec.index, spec.stretch, spec.seaice)


def _guard(title: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Public methods never raise: an exception becomes ``sig_failed``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(self: Session, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:
                self._fail(exc, title, self._path)
                return None

        return wrapper

    return deco


class Session(QObject):
    """State and background work of one main window.

    Signals (all emitted in the GUI thread):
      - ``sig_scene_opened(SceneInfo)``: a scene is open (panels fill in). ``session.info`` is it.
      - ``sig_display_changed(DisplaySpec, Levels)``: composite / stretch / levels now in force
        (levels in physical units).
      - ``sig_histogram(HistogramData)``: per-band histograms of the overview for the band panel.
      - ``sig_rendered(RenderResult)``: a picture for the canvas: ``rgba`` (rows, cols, 4) uint8,
        C-contiguous, row-major; ``pixel_rect`` (x, y, w, h) in full-resolution grid pixels where
        it must be drawn; ``coarse`` True for the whole-scene overview image. With a reprojected
        view, ``crs_wkt``/``transform`` are set and ``pixel_rect`` is in the image's own grid.
      - ``sig_pixel(PixelReport)``: cursor readout (satview.core.pixel.PixelReport).
      - ``sig_aois_changed(list[AOISummary])``: AOIs with name, vertex count, area km².
      - ``sig_busy(bool, str)``, ``sig_progress(float, str)``: long work state for the status bar.
      - ``sig_task_finished(str, object)``: work finished: kind ("clip", "quicklook",
        "reproject", "extent") and its result object.
      - ``sig_failed(ErrorReport)``: something went wrong (title, message, details, path);
        the one route of errors to the user.
    """

    sig_scene_opened = Signal(object)
    sig_display_changed = Signal(object, object)
    sig_histogram = Signal(object)
    sig_rendered = Signal(object)
    sig_pixel = Signal(object)
    sig_aois_changed = Signal(object)
    sig_busy = Signal(bool, str)
    sig_progress = Signal(float, str)
    sig_task_finished = Signal(str, object)
    sig_failed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, sync: bool = False,
                 workers: Workers | None = None) -> None:
        """``workers``: worker lanes started earlier (the app starts them before Qt loads); the
        session takes them over and shuts them down. By default the session starts its own."""
        super().__init__(parent)
        self.sync = sync
        self.info: SceneInfo | None = None
        self.display: DisplaySpec | None = None
        self.levels: Levels | None = None
        self.aois: list[AOISummary] = []
        self._render_levels: Levels | None = None
        self._path: str | None = None
        self._dataset: str | None = None
        self._coarse_plan: ReadPlan | None = None
        self._scene_gen = 0
        self._display_gen = 0
        self._view_gen = 0
        self._seq = 0
        self._view: tuple[float, float, float, float] | None = None
        self._screen: tuple[int, int] = (1024, 768)
        self._view_busy = False
        self._view_pending = False
        self._pixel_busy = False
        self._pixel_pending: tuple[int, int] | None = None
        self._reproject: str | None = None
        self._aoi_store: dict[int, AOI] = {}
        self._aoi_nverts: dict[int, int] = {}
        self._next_aoi = 1
        self._busy: dict[int, str] = {}
        self._busy_seq = 0
        self._closed = False
        self._runner = TaskRunner(self, sync=sync)
        self._workers = workers or Workers(inline=sync)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------------------ state
    @property
    def path(self) -> str | None:
        """The file of the open scene (None before the first successful open)."""
        return self._path

    @property
    def dataset(self) -> str | None:
        """The dataset of the open scene (HDF/netCDF), or None."""
        return self._dataset

    @property
    def view_render_active(self) -> bool:
        """True while a viewport render is running or queued (screenshot mode waits for it)."""
        return self._view_busy or self._view_pending

    @property
    def reprojection(self) -> str | None:
        """The CRS of the "reproject view" mode, or None for the native grid."""
        return self._reproject

    @property
    def workers(self) -> Workers:
        """The worker lanes (tests check their processes)."""
        return self._workers

    @property
    def runner(self) -> TaskRunner:
        """The task runner (its pools are drained by ``shutdown``)."""
        return self._runner

    # --------------------------------------------------------------------------- plumbing
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _fail(self, exc: BaseException, title: str, path: str | None = None) -> None:
        if self._closed:
            return
        report = ErrorReport.from_exception(exc, title, path)
        log.info("%s", report.status_text)
        self.sig_failed.emit(report)

    def _busy_on(self, label: str) -> int:
        self._busy_seq += 1
        self._busy[self._busy_seq] = label
        self.sig_busy.emit(True, label)
        return self._busy_seq

    def _busy_off(self, token: int) -> None:
        self._busy.pop(token, None)
        if self._closed:
            return
        if self._busy:
            self.sig_busy.emit(True, next(reversed(self._busy.values())))
        else:
            self.sig_busy.emit(False, "")

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self._closed:
            self.sig_progress.emit(fraction, message)

    def _run(
        self,
        service: Workers,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None],
        title: str,
        pool: str = "render",
        stale: Callable[[], bool] | None = None,
        finished: Callable[[], None] | None = None,
        busy: str | None = None,
        progress: bool = False,
        pending: Future | None = None,
    ) -> None:
        """Run ``fn(*args)`` in ``service``'s process behind a Task on ``pool``; ``done(result)`` runs
        in the GUI thread unless ``stale()`` says the request is out of date (errors likewise).
        ``pending``: that request was already submitted (this future): wait for it instead."""
        if self._closed:
            return
        path = self._path if not (args and isinstance(args[0], str)) else args[0]
        token = self._busy_on(busy) if busy else None

        def work(progress: ProgressFn | None = None) -> Any:
            if pending is not None:
                return pending.result()
            return service.submit(fn, *args, path=path, progress=progress).result()

        task = Task(work, with_progress=progress, name=getattr(fn, "__name__", "task"))

        def not_busy() -> None:  # with the result, so the status bar is idle once it is shown
            nonlocal token
            if token is not None:
                self._busy_off(token)
                token = None

        def on_result(result: Any) -> None:
            not_busy()
            if self._closed or (stale is not None and stale()):
                return
            try:
                done(result)
            except Exception as exc:
                self._fail(exc, title, path)

        def on_failed(exc: BaseException) -> None:
            not_busy()
            if self._closed or (stale is not None and stale()):
                return
            self._fail(exc, title, path)

        def on_finished() -> None:
            not_busy()
            if finished is not None and not self._closed:
                try:
                    finished()
                except Exception as exc:
                    self._fail(exc, title, path)

        task.signals.sig_result.connect(on_result)
        task.signals.sig_failed.connect(on_failed)
        task.signals.sig_finished.connect(on_finished)
        if progress:
            task.signals.sig_progress.connect(self._on_progress)
        self._runner.start(task, pool)

    def _require_scene(self) -> tuple[str, SceneInfo]:
        if self.info is None or self._path is None:
            raise SatviewError("no scene is open; open a scene first")
        return self._path, self.info

    # ------------------------------------------------------------------------------ open
    @_guard("Cannot open the scene")
    def open(self, path: str | os.PathLike[str], dataset: str | None = None, *,
             pending: Future | None = None) -> None:
        """Open a scene (async): ``sig_scene_opened``, ``sig_display_changed``, ``sig_histogram``,
        then the coarse ``sig_rendered``. Everything still pending for earlier scenes is dropped.
        ``pending``: ``requests.open_view(path, dataset)`` already submitted to the workers (the
        app asks for it while the window is being built); its result is used instead."""
        spath = os.fspath(path)
        self._scene_gen += 1
        self._display_gen += 1
        self._view_gen += 1
        self._view_pending = False
        self._pixel_pending = None
        g = self._scene_gen
        seq = self._next_seq()

        def done(res: tuple[Any, ...]) -> None:
            info, spec, levels, hist, coarse = res
            self._path, self._dataset = spath, dataset
            self.info, self.display = info, spec
            self._render_levels, self.levels = levels, hist.levels
            self._coarse_plan = overview_plan(info.grid.width, info.grid.height, COARSE_SIZE)
            self._view = None
            self._display_gen += 1
            self.sig_scene_opened.emit(info)
            self.sig_display_changed.emit(spec, self.levels)
            self.sig_histogram.emit(hist)
            if self._reproject:
                self._render_reprojected()
            else:
                self.sig_rendered.emit(coarse)
            if self._aoi_store:
                self._emit_aois()

        self._run(self._workers, requests.open_view, spath, dataset, COARSE_SIZE, seq, done=done,
                  title="Cannot open the scene", stale=lambda: g != self._scene_gen,
                  busy=f"Opening {os.path.basename(spath)}…", pending=pending)

    # ---------------------------------------------------------------------------- display
    @_guard("Cannot change the display")
    def set_display(self, spec: DisplaySpec) -> None:
        """Show ``spec``: levels are recomputed once (only when bands, index or stretch change), then
        the coarse image and the current view are drawn again."""
        path, _ = self._require_scene()
        old = self.display
        self._display_gen += 1
        if old is not None and self._render_levels is not None and _stats_key(old) == _stats_key(spec):
            self.display = spec
            self.sig_display_changed.emit(spec, self.levels)
            self._refresh()
            return
        g, dg = self._scene_gen, self._display_gen
        seq = self._next_seq()

        def done(res: tuple[Any, ...]) -> None:
            levels, hist, coarse = res
            self.display = spec
            self._render_levels, self.levels = levels, hist.levels
            self.sig_display_changed.emit(spec, self.levels)
            self.sig_histogram.emit(hist)
            if self._reproject:
                self._render_reprojected()
            else:
                self.sig_rendered.emit(coarse)
                self._request_fine()

        self._run(self._workers, requests.display, path, self._dataset, spec, COARSE_SIZE, seq,
                  done=done, title="Cannot change the display",
                  stale=lambda: (g, dg) != (self._scene_gen, self._display_gen))

    @_guard("Cannot change the levels")
    def set_levels(self, levels: Levels) -> None:
        """Use these display limits (physical units, one lo/hi per displayed band or one for all);
        re-renders without new statistics."""
        _, info = self._require_scene()
        if self.display is None:
            return
        render = levels_from_physical(info, self.display, levels)
        self.levels, self._render_levels = levels, render
        self._display_gen += 1
        self.sig_display_changed.emit(self.display, levels)
        self._refresh()

    def _refresh(self) -> None:
        """Draw the current display again: the reprojected view, or the coarse image plus the view."""
        if self._reproject:
            self._render_reprojected()
            return
        self._render_coarse()
        self._request_fine()

    def _render_coarse(self) -> None:
        path, _ = self._require_scene()
        if self._coarse_plan is None:
            return
        g, dg = self._scene_gen, self._display_gen
        self._run(self._workers, requests.render, path, self._dataset, self.display, self._render_levels,
                  self._coarse_plan, True, self._next_seq(), done=self.sig_rendered.emit,
                  title="Cannot draw the scene",
                  stale=lambda: (g, dg) != (self._scene_gen, self._display_gen))

    # ------------------------------------------------------------------------------- view
    @_guard("Cannot draw the view")
    def request_view(self, view: tuple[float, float, float, float], screen: tuple[int, int]) -> None:
        """The canvas shows ``view`` = (col0, row0, col1, row1) grid pixels in ``screen`` = (w, h) px.
        A fine image is rendered only when that is finer than the coarse image; older view
        renders become stale (only the newest is ever emitted)."""
        self._view = tuple(float(v) for v in view)  # type: ignore[assignment]
        self._screen = (max(1, int(screen[0])), max(1, int(screen[1])))
        self._view_gen += 1
        self._request_fine()

    def _fine_plan(self) -> ReadPlan | None:
        if self.info is None or self._view is None or self._coarse_plan is None or self._reproject:
            return None
        grid = self.info.grid
        plan = plan_read(grid.width, grid.height, self._view, self._screen, margin=VIEW_MARGIN)
        if plan is None or plan.decimation >= self._coarse_plan.decimation * 0.999:
            return None
        return plan

    def _request_fine(self) -> None:
        plan = self._fine_plan()
        if plan is None:
            return
        if self._view_busy:  # coalesce: only the newest request is served after this one
            self._view_pending = True
            return
        self._view_busy = True
        g, dg, vg = self._scene_gen, self._display_gen, self._view_gen

        def finished() -> None:
            self._view_busy = False
            if self._view_pending:
                self._view_pending = False
                self._request_fine()

        self._run(self._workers, requests.render, self._path, self._dataset, self.display,
                  self._render_levels, plan, False, self._next_seq(), done=self.sig_rendered.emit,
                  title="Cannot draw the view", finished=finished,
                  stale=lambda: (g, dg, vg) != (self._scene_gen, self._display_gen, self._view_gen))

    @_guard("Cannot reproject the view")
    def set_reprojection(self, dst_crs: str | None) -> None:
        """Show the whole scene warped to ``dst_crs`` at screen resolution; None = the native grid."""
        self._reproject = str(dst_crs) if dst_crs else None
        if self.info is None:
            return
        self._display_gen += 1
        self._refresh()

    def _render_reprojected(self) -> None:
        path, _ = self._require_scene()
        g, dg = self._scene_gen, self._display_gen
        self._run(self._workers, requests.reproject_view, path, self._dataset, self.display,
                  self._render_levels, self._reproject, self._screen, self._next_seq(),
                  done=self.sig_rendered.emit, title="Cannot reproject the view",
                  stale=lambda: (g, dg) != (self._scene_gen, self._display_gen),
                  busy="Reprojecting the view…")

    # ------------------------------------------------------------------------------ pixel
    @_guard("Cannot read the pixel")
    def request_pixel(self, row: int, col: int) -> None:
        """Cursor readout of cell (row, col) -> ``sig_pixel``; cells outside the grid are ignored and
        only the newest of several quick requests is served."""
        if self.info is None:
            return
        row, col = int(row), int(col)
        if not (0 <= row < self.info.grid.height and 0 <= col < self.info.grid.width):
            return
        if self._pixel_busy:
            self._pixel_pending = (row, col)
            return
        self._pixel_busy = True
        g = self._scene_gen

        def finished() -> None:
            self._pixel_busy = False
            if self._pixel_pending is not None:
                nxt, self._pixel_pending = self._pixel_pending, None
                self.request_pixel(*nxt)

        self._run(self._workers, requests.pixel, self._path, self._dataset, row, col,
                  done=self.sig_pixel.emit, title="Cannot read the pixel", finished=finished,
                  stale=lambda: g != self._scene_gen)

    @_guard("Cannot locate the point")
    def locate_lonlat(self, lon: float, lat: float) -> None:
        """Readout of the cell holding (lon, lat) -> ``sig_pixel`` (an error when it is outside)."""
        path, _ = self._require_scene()
        g = self._scene_gen
        self._run(self._workers, requests.pixel_at, path, self._dataset, (float(lon), float(lat)),
                  done=self.sig_pixel.emit, title="Cannot locate the point",
                  stale=lambda: g != self._scene_gen)

    # ------------------------------------------------------------------------------- AOIs
    def _summaries(self) -> list[AOISummary]:
        out = []
        for aid, aoi in self._aoi_store.items():
            try:
                area = aoi.area_km2()
            except Exception:
                area = float("nan")
            n = self._aoi_nverts.get(aid, 0)
            out.append(AOISummary(aid, aoi.name or f"AOI {aid}", n, area, aoi.bounds))
        return out

    def _emit_aois(self) -> None:
        self.aois = self._summaries()
        self.sig_aois_changed.emit(list(self.aois))

    def _store_aoi(self, aoi: AOI, n_vertices: int, aoi_id: int | None = None) -> int:
        aid = self._next_aoi if aoi_id is None else aoi_id
        if aoi_id is None:
            self._next_aoi += 1
        self._aoi_store[aid] = aoi if aoi.name else replace(aoi, name=f"AOI {aid}")
        self._aoi_nverts[aid] = n_vertices
        return aid

    def _aoi_from_pixels(self, vertices: list[tuple[float, float]]) -> AOI:
        """An AOI of the open scene from (col, row) grid-pixel vertices."""
        from satview.core.aoi import from_pixel_polygon

        _, info = self._require_scene()
        return from_pixel_polygon(list(vertices), info.grid)

    def add_aoi(self, vertices: list[tuple[float, float]]) -> int:
        """Add an AOI drawn as (col, row) grid-pixel vertices; returns its id (-1 on failure)."""
        try:
            aoi = self._aoi_from_pixels(vertices)
            aid = self._store_aoi(aoi, len(vertices))
        except Exception as exc:
            self._fail(exc, "Cannot add the AOI", self._path)
            return -1
        self._emit_aois()
        return aid

    @_guard("Cannot change the AOI")
    def update_aoi(self, aoi_id: int, vertices: list[tuple[float, float]]) -> None:
        """Replace the vertices of AOI ``aoi_id`` ((col, row) grid pixels)."""
        old = self._aoi(aoi_id)
        aoi = replace(self._aoi_from_pixels(vertices), name=old.name)
        self._store_aoi(aoi, len(vertices), aoi_id)
        self._emit_aois()

    @_guard("Cannot remove the AOI")
    def remove_aoi(self, aoi_id: int) -> None:
        """Forget AOI ``aoi_id`` (unknown ids are ignored)."""
        if self._aoi_store.pop(aoi_id, None) is not None:
            self._aoi_nverts.pop(aoi_id, None)
            self._emit_aois()

    def _aoi(self, aoi_id: int) -> AOI:
        try:
            return self._aoi_store[aoi_id]
        except KeyError:
            raise AOIError(f"there is no AOI number {aoi_id}") from None

    @_guard("Cannot import AOIs")
    def import_aois(self, path: str) -> None:
        """Add the polygons of a GeoJSON (one AOI per feature), WKT or Shapefile."""
        from satview.core.aoi import load_aoi

        p = Path(path)
        aois: list[AOI] = []
        doc = None
        if p.suffix.lower() in (".geojson", ".json"):
            try:
                doc = json.loads(p.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError):
                doc = None
        feats = doc.get("features") if isinstance(doc, dict) else None
        if isinstance(feats, list) and len(feats) > 1:
            for i, f in enumerate(feats, start=1):
                sub = {"type": "FeatureCollection", "features": [f]}
                if "crs" in doc:
                    sub["crs"] = doc["crs"]
                aoi = load_aoi(json.dumps(sub))
                name = (f.get("properties") or {}).get("name") or f"{p.stem} {i}"
                aois.append(replace(aoi, name=str(name)))
        else:
            aoi = load_aoi(p)
            if isinstance(feats, list) and feats:
                name = (feats[0].get("properties") or {}).get("name")
                if name:
                    aoi = replace(aoi, name=str(name))
            aois.append(aoi)
        for aoi in aois:
            geom = aoi.geometry
            n = len(geom.exterior.coords) - 1 if geom.geom_type == "Polygon" else sum(
                len(g.exterior.coords) - 1 for g in geom.geoms)
            self._store_aoi(aoi, n)
        self._emit_aois()

    @_guard("Cannot export AOIs")
    def export_aois(self, path: str) -> None:
        """Write every AOI to a GeoJSON FeatureCollection (lon/lat), one feature per AOI."""
        if not self._aoi_store:
            raise AOIError("there are no AOIs to export")
        features = []
        for aid, aoi in self._aoi_store.items():
            for f in aoi.to_geojson()["features"]:
                f["properties"] = {"name": aoi.name or f"AOI {aid}", "id": aid}
                features.append(f)
        from satview.core.atomic import atomic_path

        out = Path(path)
        try:
            with atomic_path(out) as tmp:  # temp name + fsync + rename, like every export
                tmp.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1),
                               encoding="utf-8")
        except ExportError:
            raise
        except OSError as exc:
            raise ExportError(f"cannot write the AOI file ({exc.strerror or exc})", out) from exc

    def aoi_vertices_pixels(self, aoi_id: int) -> list[tuple[float, float]]:
        """The AOI's outer ring as (col, row) grid pixels of the open scene (largest part), for drawing."""
        try:
            _, info = self._require_scene()
            aoi = self._aoi(aoi_id)
            assert info.grid.crs is not None
            geom = aoi.to_crs(info.grid.crs).geometry
            if geom.geom_type != "Polygon":
                geom = max(geom.geoms, key=lambda g: g.area)
            inv = ~info.grid.transform
            coords = list(geom.exterior.coords)[:-1]
            return [tuple(float(v) for v in inv * (x, y)) for x, y in coords]  # type: ignore[misc]
        except Exception as exc:
            self._fail(exc, "Cannot draw the AOI", self._path)
            return []

    # ---------------------------------------------------------------------------- exports
    def _export(self, kind: str, fn: Callable[..., Any], *args: Any, busy: str, title: str) -> None:
        self._run(self._workers, fn, *args, done=lambda r: self.sig_task_finished.emit(kind, r),
                  title=title, pool="export", busy=busy, progress=True)

    @_guard("Export failed")
    def export_clip(self, out_path: str, *, aoi_id: int | None = None, bands: list[str] | None = None,
                    all_touched: bool = False, dst_crs: str | None = None, cog: bool = False) -> None:
        """Clip the scene to an AOI (default: the last one) into a GeoTIFF -> ``sig_task_finished("clip")``.

        ``bands`` default all; ``dst_crs`` reprojects the clip; ``cog`` writes a Cloud-Optimized GeoTIFF."""
        path, _ = self._require_scene()
        if aoi_id is None:
            if not self._aoi_store:
                raise AOIError("draw or import an AOI first")
            aoi_id = list(self._aoi_store)[-1]
        aoi = self._aoi(aoi_id)
        self._export("clip", requests.clip, path, self._dataset, aoi, os.fspath(out_path), bands, all_touched,
                     dst_crs, cog, busy=f"Clipping to {Path(out_path).name}…", title="Clip export failed")

    @_guard("Export failed")
    def export_quicklook(self, out_path: str, size: int = 2048) -> None:
        """Write the current composite, stretch and overlays as a georeferenced PNG (long side
        ``size``) -> ``sig_task_finished("quicklook")``."""
        path, _ = self._require_scene()
        self._export("quicklook", requests.quicklook, path, self._dataset, self.display, self._render_levels,
                     os.fspath(out_path), int(size), busy=f"Writing {Path(out_path).name}…",
                     title="Quick-look export failed")

    @_guard("Export failed")
    def export_reprojected(self, out_path: str, dst_crs: str, *, bands: list[str] | None = None,
                           resampling: str = "nearest", resolution: float | None = None) -> None:
        """Warp the scene to ``dst_crs`` into a GeoTIFF -> ``sig_task_finished("reproject")``."""
        path, _ = self._require_scene()
        self._export("reproject", requests.reproject, path, self._dataset, os.fspath(out_path), dst_crs,
                     bands, resampling, resolution, busy=f"Reprojecting to {Path(out_path).name}…",
                     title="Reprojection failed")

    @_guard("Cannot measure the sea ice")
    def compute_extent_area(self) -> None:
        """Sea-ice extent and area -> ``sig_task_finished("extent", dict)``."""
        path, _ = self._require_scene()
        self._export("extent", requests.extent_area, path, self._dataset, busy="Measuring sea-ice extent…",
                     title="Cannot measure the sea ice")

    def cancel(self) -> None:
        """Cancel the running (and queued) exports; they end with a cancelled ``ErrorReport``."""
        self._workers.cancel("export")

    def shutdown(self) -> None:
        """Stop the worker processes and drain the thread pools. Idempotent."""
        if self._closed:
            return
        self._closed = True
        # The display process only reads and draws (nothing of it needs flushing), so it is stopped
        # at once instead of being given time to exit by itself; a cancelled export may finish
        # removing its temporary file first.
        self._workers.shutdown()
        self._runner.shutdown()
