"""The open scene: what it is, what is displayed (spec, levels), its pictures and cursor readouts.

Panels and the canvas talk to ``Session`` for everything about the scene on screen; they never
touch readers or file formats. Every call returns at once and answers through a typed signal.
Decoding runs in the "display" worker of :class:`satview.qt.workers.Background`; results of
requests that were overtaken (a newer scene, display or view) are dropped by request tokens
(:class:`satview.qt.workers.Latest`), so only the newest is ever emitted.

Units: ``Session.levels``, the ``Levels`` of ``sig_display_changed`` and the argument of
``set_levels`` are PHYSICAL values (reflectance, kelvin, %, index value), like the histograms.
The session converts them to the render space (raw DN where possible) itself.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from satview.core import requests
from satview.core.pixel import PixelReport
from satview.core.render import DisplaySpec, HistogramData, RenderResult, levels_from_physical
from satview.core.requests import COARSE_SIZE
from satview.core.stretch import Levels
from satview.core.types import GeoGrid, SceneInfo
from satview.core.viewport import ReadPlan, overview_plan, plan_read
from satview.errors import SatviewError
from satview.qt.workers import Background, Latest

#: Fraction of the view read beyond each side when zoomed in (smooth panning).
VIEW_MARGIN = 0.1


def _stats_key(spec: DisplaySpec) -> tuple[Any, ...]:
    """The parts of a display spec the levels depend on (others only need a re-render)."""
    return (spec.mode, spec.bands, spec.index, spec.stretch, spec.seaice)


def guard(title: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Public methods of the Qt models never raise: an exception goes to the error route with
    ``title`` (``self.background.fail``) and the method returns None."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:  # reported to the user, never lost
                self.background.fail(exc, title, self.scene_path)
                return None

        return wrapper

    return deco


class Session(QObject):
    """The open scene of one main window and what is displayed of it.

    Signals (all emitted in the GUI thread):
      - ``sig_scene_opened(SceneInfo)``: a scene is open (panels fill in). ``session.info`` is it.
      - ``sig_scene_shown(SceneInfo)``: the scene on screen is this one, after every open and every
        step to another date (which keeps the view and emits no ``sig_scene_opened`` on one grid).
      - ``sig_display_changed(DisplaySpec, Levels)``: composite / stretch / levels now in force
        (levels in physical units).
      - ``sig_histogram(HistogramData)``: per-band histograms of the overview for the band panel.
      - ``sig_rendered(RenderResult)``: a picture for the canvas (``coarse`` True for the
        whole-scene image; a coarse picture always comes before the fine ones drawn over it).
      - ``sig_pixel(PixelReport)``: cursor readout.
      - ``sig_north(float)``: direction of true north at the view's centre, degrees clockwise from
        up (NaN: none, e.g. no CRS), found in a worker for every view the canvas reports.
    Errors and busy state go through ``background`` (``sig_failed``, ``sig_busy``).
    """

    sig_scene_opened = Signal(SceneInfo)
    sig_scene_shown = Signal(SceneInfo)
    sig_display_changed = Signal(DisplaySpec, Levels)
    sig_histogram = Signal(HistogramData)
    sig_rendered = Signal(RenderResult)
    sig_pixel = Signal(PixelReport)
    sig_north = Signal(float)

    def __init__(self, background: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = background
        self.info: SceneInfo | None = None
        self.display: DisplaySpec | None = None
        self.levels: Levels | None = None
        self.render_levels: Levels | None = None
        self._path: str | None = None
        self._dataset: str | None = None
        self._coarse_plan: ReadPlan | None = None
        self._latest = Latest()
        self._view: tuple[float, float, float, float] | None = None
        self._screen: tuple[int, int] = (1024, 768)
        self._view_busy = False
        self._view_pending = False
        self._north_asked = 0  # north requests sent and not yet finished
        self._pixel_busy = False
        self._pixel_pending: tuple[int, int] | None = None
        self._last_pixel: tuple[int, int] | None = None  # read again on the next date of a stack
        self._reproject: str | None = None
        self._warp_grid: GeoGrid | None = None  # the reprojected view's pixel grid (its coarse picture's)

    # ------------------------------------------------------------------------------ state
    @property
    def path(self) -> str | None:
        """The file of the open scene (None before the first successful open)."""
        return self._path

    scene_path = path

    @property
    def dataset(self) -> str | None:
        """The dataset of the open scene (HDF/netCDF), or None."""
        return self._dataset

    @property
    def view_render_active(self) -> bool:
        """True while a viewport render (or the view's north) is running or queued (screenshot mode
        waits for it)."""
        return self._view_busy or self._view_pending or self._north_asked > 0

    @property
    def reprojection(self) -> str | None:
        """The CRS of the "reproject view" mode, or None for the native grid."""
        return self._reproject

    def require_scene(self) -> tuple[str, SceneInfo]:
        """(path, info) of the open scene; a ``SatviewError`` when none is open."""
        if self.info is None or self._path is None:
            raise SatviewError("no scene is open; open a scene first")
        return self._path, self.info

    def _display_request(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None], title: str,
                         stale: Callable[[], bool], channel: str = "display", **kw: Any) -> None:
        path = args[0] if args and isinstance(args[0], str) else self._path
        self.background.run(channel, fn, *args, done=done, title=title, path=path, stale=stale, **kw)

    # ------------------------------------------------------------------------------ open
    @guard("Cannot open the scene")
    def open(self, path: str | os.PathLike[str], dataset: str | None = None) -> None:
        """Open a scene (async): ``sig_scene_opened``, ``sig_display_changed``, ``sig_histogram``,
        then the coarse ``sig_rendered``. Everything still pending for earlier scenes is dropped.
        The one way a scene opens: ``requests.open_view(path, dataset, COARSE_SIZE)`` in the display
        worker (the app's start-up request for it is adopted by the ``Background``). A reprojection
        of the view still running for the old scene is cancelled (its worker is freed for the new one)."""
        spath = os.fspath(path)
        self._latest.renew("scene", "display", "view")
        self.background.cancel("view")
        self._view_pending = False
        self._pixel_pending = None
        stale = self._latest.token("scene")

        def done(res: tuple[Any, ...]) -> None:
            info, spec, levels, hist, coarse = res
            self._show(spath, dataset, info, spec, levels, hist.levels, hist, coarse, new_grid=True)

        self._display_request(requests.open_view, spath, dataset, COARSE_SIZE, done=done,
                              title="Cannot open the scene", stale=stale,
                              busy=f"Opening {os.path.basename(spath)}…")

    def _show(self, path: str, dataset: str | None, info: SceneInfo, spec: DisplaySpec, render_levels: Levels,
              levels: Levels, hist: HistogramData, coarse: RenderResult, *, new_grid: bool) -> None:
        """Make (path, dataset) the scene on screen with its first picture; ``new_grid``: the view
        starts over (``sig_scene_opened``), else it is kept and drawn again finely."""
        self._path, self._dataset, self.info, self.display = path, dataset, info, spec
        self.render_levels, self.levels = render_levels, levels
        self._coarse_plan = overview_plan(info.grid.width, info.grid.height, COARSE_SIZE)
        self._latest.renew("display")
        if new_grid:
            self._view = None
            self._warp_grid = None
            self.sig_scene_opened.emit(info)
        self.sig_scene_shown.emit(info)
        self._draw_first(spec, hist, coarse)

    def _draw_first(self, spec: DisplaySpec, hist: HistogramData, coarse: RenderResult) -> None:
        """Announce the display now in force and its histograms, then draw: the coarse picture and
        the view over it (or the reprojected view)."""
        self.sig_display_changed.emit(spec, self.levels)
        self.sig_histogram.emit(hist)
        if self._reproject:
            self._render_reprojected()
        else:
            self.sig_rendered.emit(coarse)
            self._request_fine()

    @guard("Cannot step to the date")
    def step(self, path: str, *, fixed_levels: bool = False) -> None:
        """Show another date of a stack with the current display (composite, stretch mode, colour
        map; the levels too when ``fixed_levels``), keeping the view: ``sig_display_changed``,
        ``sig_histogram`` and the coarse ``sig_rendered`` (``sig_scene_opened`` only when the grid
        differs). Nothing open yet: an ordinary ``open``."""
        if self.info is None or self.display is None:
            self.open(path)
            return
        spath, old_grid = os.fspath(path), self.info.grid
        self._latest.renew("scene", "display", "view")
        self._pixel_pending = None
        levels = self.render_levels if fixed_levels else None

        def done(res: tuple[Any, ...]) -> None:
            info, spec, render_levels, hist, coarse = res
            kept = levels is not None and spec == self.display  # the fixed levels were used
            same = (info.grid.width, info.grid.height) == (old_grid.width, old_grid.height)
            self._show(spath, None, info, spec, render_levels, self.levels if kept else hist.levels, hist,
                       coarse, new_grid=not same)
            if same and self._last_pixel is not None:  # the readout follows the date
                self.request_pixel(*self._last_pixel)

        self._display_request(requests.step, spath, None, self.display, levels, COARSE_SIZE, done=done,
                              title="Cannot step to the date", stale=self._latest.token("scene"))

    def prefetch(self, paths: list[str], *, fixed_levels: bool = False) -> None:
        """Open ``paths`` (neighbouring dates) in the display worker and draw their first picture
        ahead of time with the current display, so stepping there is immediate."""
        if self.display is None:
            return
        levels = self.render_levels if fixed_levels else None
        for p in paths:
            self._display_request(requests.step, p, None, self.display, levels, COARSE_SIZE, False,
                                  done=lambda _r: None, title="Cannot prefetch the date",
                                  stale=self._latest.token("scene"), priority="low")

    # ---------------------------------------------------------------------------- display
    @guard("Cannot change the display")
    def set_display(self, spec: DisplaySpec) -> None:
        """Show ``spec``: levels are recomputed once (only when bands, index or stretch change), then
        the coarse image and the current view are drawn again."""
        path, _ = self.require_scene()
        old = self.display
        self._latest.renew("display")
        if old is not None and self.render_levels is not None and _stats_key(old) == _stats_key(spec):
            self.display = spec
            self.sig_display_changed.emit(spec, self.levels)
            self._refresh()
            return

        def done(res: tuple[Any, ...]) -> None:
            levels, hist, coarse = res
            self.display = spec
            self.render_levels, self.levels = levels, hist.levels
            self._draw_first(spec, hist, coarse)

        self._display_request(requests.display, path, self._dataset, spec, COARSE_SIZE, done=done,
                              title="Cannot change the display", stale=self._latest.token("scene", "display"))

    @guard("Cannot change the levels")
    def set_levels(self, levels: Levels) -> None:
        """Use these display limits (physical units, one lo/hi per displayed band or one for all);
        re-renders without new statistics."""
        _, info = self.require_scene()
        if self.display is None:
            return
        self.levels, self.render_levels = levels, levels_from_physical(info, self.display, levels)
        self._latest.renew("display")
        self.sig_display_changed.emit(self.display, levels)
        self._refresh()

    def _refresh(self) -> None:
        """Draw the current display again: the reprojected view, or the coarse image then the view."""
        if self._reproject:
            self._render_reprojected()
            return
        path, _ = self.require_scene()
        if self._coarse_plan is None:
            return

        def done(result: RenderResult) -> None:
            self.sig_rendered.emit(result)
            self._request_fine()

        self._display_request(requests.render, path, self._dataset, self.display, self.render_levels,
                              self._coarse_plan, True, done=done, title="Cannot draw the scene",
                              stale=self._latest.token("scene", "display"))

    # ------------------------------------------------------------------------------- view
    @guard("Cannot draw the view")
    def request_view(self, view: tuple[float, float, float, float], screen: tuple[int, int]) -> None:
        """The canvas shows ``view`` = (col0, row0, col1, row1) grid pixels in ``screen`` = (w, h) px.
        A fine image is rendered only when that is finer than the coarse image; older view
        renders become stale (only the newest is ever emitted)."""
        self._view = (float(view[0]), float(view[1]), float(view[2]), float(view[3]))
        self._screen = (max(1, int(screen[0])), max(1, int(screen[1])))
        self._latest.renew("view")
        self._request_north()
        self._request_fine()

    def _request_north(self) -> None:
        """Find north at the centre of the view (in the reprojected view's grid when there is one)."""
        grid = self._warp_grid if self._reproject else (self.info.grid if self.info else None)
        if grid is None or grid.crs is None or self._view is None:
            self.sig_north.emit(math.nan)
            return
        c0, r0, c1, r1 = self._view
        self._north_asked += 1

        def done(angle: float | None) -> None:
            self.sig_north.emit(math.nan if angle is None else float(angle))

        def finished() -> None:
            self._north_asked -= 1

        self._display_request(requests.north, grid, (c0 + c1) / 2, (r0 + r1) / 2, done=done,
                              title="Cannot find north", finished=finished,
                              stale=self._latest.token("scene", "display", "view"))

    def _fine_plan(self) -> ReadPlan | None:
        if self.info is None or self._view is None or self._coarse_plan is None or self._reproject:
            return None
        grid = self.info.grid
        plan = plan_read(grid.width, grid.height, self._view, self._screen, margin=VIEW_MARGIN)
        if plan is None or plan.decimation >= self._coarse_plan.decimation * 0.999:
            return None
        return plan

    def _fine_job(self) -> tuple[Any, ...] | None:
        """(service function, its arguments) of the sharper picture the current view needs, or None."""
        if self._reproject:
            grid, view = self._warp_grid, self._view
            if grid is None or view is None:
                return None
            c0, r0, c1, r1 = view
            if max((c1 - c0) / self._screen[0], (r1 - r0) / self._screen[1]) >= 0.999:
                return None  # the coarse picture is as sharp as the screen
            return (requests.reproject_view, self._path, self._dataset, self.display, self.render_levels,
                    self._reproject, self._screen, view, grid, VIEW_MARGIN)
        plan = self._fine_plan()
        if plan is None:
            return None
        return (requests.render, self._path, self._dataset, self.display, self.render_levels, plan, False)

    def _request_fine(self) -> None:
        job = self._fine_job()
        if job is None:
            return
        if self._view_busy:  # coalesce: only the newest request is served after this one
            self._view_pending = True
            return
        self._view_busy = True

        def finished() -> None:
            self._view_busy = False
            if self._view_pending:
                self._view_pending = False
                self._request_fine()

        self._display_request(*job, done=self.sig_rendered.emit, title="Cannot draw the view",
                              finished=finished, stale=self._latest.token("scene", "display", "view"),
                              channel="view" if self._reproject else "display")

    @guard("Cannot reproject the view")
    def set_reprojection(self, dst_crs: str | None) -> None:
        """Show the whole scene warped to ``dst_crs`` at screen resolution; None = the native grid."""
        self._reproject = str(dst_crs) if dst_crs else None
        self._warp_grid = None
        if self.info is None:
            return
        self._latest.renew("display")
        self._refresh()

    def _render_reprojected(self) -> None:
        path, info = self.require_scene()

        def done(result: RenderResult) -> None:
            from satview.core.mapview import WarpedView

            warped = WarpedView.from_result(info.grid, result)
            self._warp_grid = warped.grid if warped is not None else None
            self.sig_rendered.emit(result)
            self._request_fine()

        self._display_request(requests.reproject_view, path, self._dataset, self.display, self.render_levels,
                              self._reproject, self._screen, done=done,
                              title="Cannot reproject the view", stale=self._latest.token("scene", "display"),
                              busy="Reprojecting the view…", channel="view")

    # ------------------------------------------------------------------------------ pixel
    @guard("Cannot read the pixel")
    def request_pixel(self, row: int, col: int) -> None:
        """Cursor readout of cell (row, col) -> ``sig_pixel``; cells outside the grid are ignored and
        only the newest of several quick requests is served."""
        if self.info is None:
            return
        row, col = int(row), int(col)
        self._last_pixel = (row, col)
        if not (0 <= row < self.info.grid.height and 0 <= col < self.info.grid.width):
            return
        if self._pixel_busy:
            self._pixel_pending = (row, col)
            return
        self._pixel_busy = True

        def finished() -> None:
            self._pixel_busy = False
            if self._pixel_pending is not None:
                nxt, self._pixel_pending = self._pixel_pending, None
                self.request_pixel(*nxt)

        self._display_request(requests.pixel, self._path, self._dataset, row, col, done=self.sig_pixel.emit,
                              title="Cannot read the pixel", finished=finished,
                              stale=self._latest.token("scene"))

    @guard("Cannot locate the point")
    def locate_lonlat(self, lon: float, lat: float) -> None:
        """Readout of the cell holding (lon, lat) -> ``sig_pixel`` (an error when it is outside)."""
        path, _ = self.require_scene()
        self._display_request(requests.pixel_at, path, self._dataset, (float(lon), float(lat)),
                              done=self.sig_pixel.emit, title="Cannot locate the point",
                              stale=self._latest.token("scene"))
