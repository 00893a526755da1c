"""The raster canvas: shows the session's uint8 RGBA pictures, asks for views and pixels, draws AOIs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from satview.core.geo import LONLAT, transformer
from satview.core.mapview import WarpedView
from satview.core.types import GeoGrid
from satview.qt.aoi_layer import AoiLayer
from satview.qt.overlay import MapOverlay

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

VIEW_DEBOUNCE_MS = 120
_UNSET = object()
PIXEL_THROTTLE_MS = 40
_DRAW_PEN = pg.mkPen("#00e5ff", width=2, style=Qt.PenStyle.DashLine)
#: Metres per degree of latitude (and of longitude at the equator) for scale bars on lon/lat grids.
_M_PER_DEGREE = 111_320.0


class RasterCanvas(QWidget):
    """pyqtgraph view of the scene in full-resolution grid pixels (row 0 at the top, aspect locked).

    The coarse whole-scene image stays under the fine image of the current view. View changes are
    debounced into ``session.request_view``; mouse moves are throttled into ``session.request_pixel``.
    The AOI tool draws polygons by clicks (double-click or Enter closes, Esc cancels).
    """

    sig_cursor_moved = Signal(float, float)  # col, row under the mouse (grid pixels)
    sig_drawing_changed = Signal(bool)  # polygon tool on/off
    sig_aoi_selected = Signal(object)  # AOI id or None

    def __init__(self, session: Any, aois: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.aois = aois
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("#3a3d42")
        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.glw.addItem(self.vb)
        self.coarse = pg.ImageItem(axisOrder="row-major")
        self.fine = pg.ImageItem(axisOrder="row-major")
        self.fine.setZValue(1)
        self.vb.addItem(self.coarse)
        self.vb.addItem(self.fine)
        self.draft = pg.PlotDataItem(pen=_DRAW_PEN, symbol="o", symbolSize=7, symbolBrush="#00e5ff")
        self.draft.setZValue(20)
        self.vb.addItem(self.draft)
        self.marker = pg.ScatterPlotItem(size=16, symbol="o", pen=pg.mkPen("#ff1744", width=3),
                                         brush=pg.mkBrush(0, 0, 0, 0))
        self.marker.setZValue(30)
        self.vb.addItem(self.marker)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.glw)
        self._north: float | None = None  # degrees clockwise from up at the view's centre
        self.overlay = MapOverlay(self)

        self.drawing = False
        self.vertices: list[tuple[float, float]] = []
        self.aoi_layer = AoiLayer(self.vb, aois, self._warp_grid, self)
        self.aoi_layer.sig_selected.connect(self.sig_aoi_selected)
        self._coarse_crs: Any = _UNSET
        self._last_view: tuple[Any, ...] | None = None
        self._pending_pixel: tuple[int, int] | None = None
        self.warp: WarpedView | None = None  # the reprojected view's grid, or None for the native grid
        self._marked: tuple[float, float] | None = None  # lon, lat of the "go to" point

        self._view_timer = QTimer(self, singleShot=True, interval=VIEW_DEBOUNCE_MS)
        self._view_timer.timeout.connect(self._send_view)
        self._pixel_timer = QTimer(self, singleShot=True, interval=PIXEL_THROTTLE_MS)
        self._pixel_timer.timeout.connect(self._send_pixel)
        self.vb.sigRangeChanged.connect(self._range_changed)
        self.vb.sigResized.connect(self._range_changed)
        self.vb.scene().sigMouseMoved.connect(self._mouse_moved)
        self.vb.scene().sigMouseClicked.connect(self._mouse_clicked)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.glw)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self.finish_polygon)

        session.sig_scene_opened.connect(self._scene_opened)
        session.sig_rendered.connect(self.show_result)
        session.sig_north.connect(self._north_found)
        aois.sig_aois_changed.connect(self.sync_aois)

    # ------------------------------------------------------------------ scene and pictures
    def has_scene(self) -> bool:
        """True when a scene is open."""
        return getattr(self.session, "info", None) is not None

    def grid_size(self) -> tuple[int, int]:
        """(width, height) of the displayed pixel grid (the coarse picture's rect, else the scene grid)."""
        if self.coarse.image is not None:
            r = self.coarse.mapRectToParent(self.coarse.boundingRect())
            return int(round(r.width())), int(round(r.height()))
        info = getattr(self.session, "info", None)
        if info is None:
            return (1, 1)
        return info.grid.width, info.grid.height

    @property
    def reprojected(self) -> bool:
        """True while the canvas shows the reprojected view."""
        return self.warp is not None

    def view_grid(self) -> GeoGrid | None:
        """The georeferenced pixel grid the canvas draws in: the reprojected view's or the scene's."""
        if self.warp is not None:
            return self.warp.grid
        info = getattr(self.session, "info", None)
        return info.grid if info is not None else None

    def _warp_grid(self) -> GeoGrid | None:
        """The reprojected view's grid (AOIs drawn there are converted), None in the native view."""
        return self.warp.grid if self.warp is not None else None

    def _centre(self) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return (x0 + x1) / 2, (y0 + y1) / 2

    def metres_per_screen_pixel(self) -> float | None:
        """Metres per screen pixel along the view's x axis in its grid (None without a CRS).

        Projected grids use their pixel size in metres; lon/lat grids the length of a degree of
        longitude at the latitude of the view's centre (its datum's latitude: near enough for a
        scale bar, and no PROJ call on the GUI thread).
        """
        grid = self.view_grid()
        if grid is None or grid.crs is None:
            return None
        (x0, x1), _ = self.vb.viewRange()
        per_px = grid.res[0] * (x1 - x0) / max(1.0, self.vb.width())
        try:
            if grid.crs.is_projected:
                return per_px * grid.crs.linear_units_factor[1]
        except Exception:  # no scale bar where the grid cannot be measured
            return None
        _, lat = grid.transform * self._centre()  # a geographic grid's y is the latitude
        if not math.isfinite(lat) or abs(lat) >= 89.9:
            return None
        return per_px * _M_PER_DEGREE * math.cos(math.radians(lat))

    def north_angle(self) -> float | None:
        """Direction of true north at the view's centre, degrees clockwise from up (None: unknown),
        as the session last found it (``Session.sig_north``)."""
        return self._north

    def _north_found(self, angle: float) -> None:
        self._north = None if math.isnan(angle) else angle
        self.overlay.update()

    def _scene_opened(self, info: Any) -> None:
        """A new scene: drop the old pictures and AOIs, frame the whole grid."""
        self.cancel_drawing()
        self.coarse.clear()
        self.fine.clear()
        self.marker.clear()
        self._marked = None
        self._north = None
        self.warp = None
        self._coarse_crs = _UNSET
        self._last_view = None
        self.vb.setRange(QRectF(0, 0, info.grid.width, info.grid.height), padding=0.02)
        self.overlay.update()

    def show_result(self, result: Any) -> None:
        """Put a RenderResult on screen: coarse under everything, fine on top for its window."""
        rgba = np.asarray(result.rgba)
        x, y, w, h = result.pixel_rect
        item = self.coarse if result.coarse else self.fine
        item.setImage(rgba, autoLevels=False, levels=(0, 255))
        item.setRect(QRectF(float(x), float(y), float(w), float(h)))
        if result.coarse:  # the session sends a new coarse picture before the fine ones over it
            self.fine.clear()
            crs = getattr(result, "crs_wkt", None)
            info = getattr(self.session, "info", None)
            warp = WarpedView.from_result(info.grid, result) if info is not None else None
            if crs != self._coarse_crs or warp != self.warp:
                first = self._coarse_crs is _UNSET
                self._coarse_crs = crs
                self.warp = warp
                self.cancel_drawing()  # vertices of the other grid mean nothing here
                self._redraw_aois()
                self._place_marker()
                if not first or warp is not None:  # another grid: frame it
                    self.vb.setRange(QRectF(float(x), float(y), float(w), float(h)), padding=0.02)
        self.overlay.update()

    def resizeEvent(self, event: Any) -> None:
        """Keep the overlay the size of the view."""
        super().resizeEvent(event)
        self.overlay.setGeometry(self.glw.rect())

    # ------------------------------------------------------------------ navigation
    def view_rect(self) -> tuple[float, float, float, float]:
        """Visible (col0, row0, col1, row1) in grid pixels, clipped to the grid."""
        (x0, x1), (y0, y1) = self.vb.viewRange()
        w, h = self.grid_size()
        return (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))

    def screen_size(self) -> tuple[int, int]:
        """Size in device pixels of the visible part of the grid."""
        (x0, x1), (y0, y1) = self.vb.viewRange()
        c0, r0, c1, r1 = self.view_rect()
        dpr = self.devicePixelRatioF()
        sw = self.vb.width() * dpr * max(0.0, c1 - c0) / max(1e-9, x1 - x0)
        sh = self.vb.height() * dpr * max(0.0, r1 - r0) / max(1e-9, y1 - y0)
        return max(1, int(round(sw))), max(1, int(round(sh)))

    def _range_changed(self, *args: Any) -> None:
        self.overlay.update()
        if self.has_scene():
            self._view_timer.start()

    def _send_view(self) -> None:
        c0, r0, c1, r1 = self.view_rect()
        if c1 <= c0 or r1 <= r0 or not self.has_scene():
            return
        view = (c0, r0, c1, r1)
        screen = self.screen_size()
        if (view, screen) == self._last_view:
            return
        self._last_view = (view, screen)
        self.session.request_view(view, screen)

    def send_view_now(self) -> None:
        """Send a view change still waiting for its debounce at once (screenshot mode: no waiting)."""
        if self._view_timer.isActive():
            self._view_timer.stop()
            self._send_view()

    def zoom_to_scene(self) -> None:
        """Frame the whole grid."""
        w, h = self.grid_size()
        self.vb.setRange(QRectF(0, 0, w, h), padding=0.02)

    def zoom(self, factor: float) -> None:
        """Zoom about the view centre (factor > 1 zooms in)."""
        self.vb.scaleBy((1.0 / factor, 1.0 / factor))

    def pan(self, dx: float, dy: float) -> None:
        """Pan by a fraction of the view size (dx right, dy down)."""
        (x0, x1), (y0, y1) = self.vb.viewRange()
        self.vb.translateBy(x=dx * (x1 - x0), y=dy * (y1 - y0))

    def center_on(self, col: float, row: float) -> None:
        """Centre the view on a grid position, keeping the zoom."""
        (x0, x1), (y0, y1) = self.vb.viewRange()
        self.vb.translateBy(x=col - (x0 + x1) / 2, y=row - (y0 + y1) / 2)

    # ------------------------------------------------------------------ mouse
    def _to_view(self, scene_pos: QPointF) -> QPointF:
        return self.vb.mapSceneToView(scene_pos)

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        if not self.has_scene() or not self.vb.sceneBoundingRect().contains(scene_pos):
            return
        p = self._to_view(scene_pos)
        x, y = p.x(), p.y()
        if self.warp is not None:  # the readout is of the scene pixel under the cursor
            w, h = self.grid_size()
            src = self.warp.to_source(x, y) if 0 <= x < w and 0 <= y < h else None
            if src is None:
                return
            x, y = src
            w, h = self.warp.source.width, self.warp.source.height
        else:
            w, h = self.grid_size()
        self.sig_cursor_moved.emit(x, y)
        col, row = math.floor(x), math.floor(y)
        if 0 <= col < w and 0 <= row < h:
            self._pending_pixel = (row, col)
            if not self._pixel_timer.isActive():
                self._pixel_timer.start()

    def _send_pixel(self) -> None:
        if self._pending_pixel is not None and self.has_scene():
            row, col = self._pending_pixel
            self._pending_pixel = None
            self.session.request_pixel(row, col)

    def _mouse_clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        if not self.drawing:  # a click inside an AOI's outline selects it
            p = self._to_view(ev.scenePos())
            hit = self.aoi_layer.hit(p.x(), p.y())
            if hit is not None and hit != self.selected_aoi:
                self.select_aoi(hit)
            return
        ev.accept()
        if ev.double():
            self.finish_polygon()
            return
        p = self._to_view(ev.scenePos())
        self.add_vertex(p.x(), p.y())

    # ------------------------------------------------------------------ AOI drawing
    def set_drawing(self, on: bool) -> None:
        """Switch the polygon tool on or off (off drops an unfinished polygon)."""
        if on == self.drawing or (on and not self.has_scene()):
            if on != self.drawing:
                self.sig_drawing_changed.emit(self.drawing)
            return
        self.drawing = on
        self.vertices = []
        self._update_draft()
        self.glw.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if on:
            self.glw.setFocus()
        self.sig_drawing_changed.emit(on)

    def add_vertex(self, col: float, row: float) -> None:
        """Add a vertex (grid pixels) to the polygon being drawn; in the reprojected view, clicks where
        the projection has no Earth are ignored (no place on the map to put a corner)."""
        if self.warp is not None and not self.warp.on_earth(col, row):
            return
        self.vertices.append((float(col), float(row)))
        self._update_draft()

    def _update_draft(self) -> None:
        if not self.vertices:
            self.draft.setData([], [])
            return
        pts = [*self.vertices, self.vertices[0]] if len(self.vertices) > 2 else self.vertices
        self.draft.setData([p[0] for p in pts], [p[1] for p in pts])

    def finish_polygon(self) -> Any:
        """Close the polygon being drawn and hand it to the session; returns the new AOI id or None."""
        if not self.drawing:
            return None
        verts = self.vertices
        self.set_drawing(False)
        if len(verts) < 3:
            return None
        return self.aois.add_aoi(verts, self._warp_grid())

    def cancel_drawing(self) -> bool:
        """Drop an unfinished polygon; True when the tool was on."""
        was = self.drawing
        self.set_drawing(False)
        return was

    def sync_aois(self, summaries: Any) -> None:
        """Draw the session's AOIs (added, imported, changed) and remove deleted ones."""
        self.aoi_layer.sync(summaries)

    def _redraw_aois(self) -> None:
        """Draw every AOI in the grid now shown (after a new scene or a switch to or from the
        reprojected view)."""
        self.aoi_layer.sync(self.aois.aois)

    # ------------------------------------------------------------------ go to lon/lat
    def mark_lonlat(self, lon: float, lat: float) -> bool:
        """Mark (lon, lat) with a ring and centre the view on it; False when it is off the grid shown."""
        self._marked = (float(lon), float(lat))
        return self._place_marker(centre=True)

    def _place_marker(self, centre: bool = False) -> bool:
        self.marker.clear()
        grid = self.view_grid()
        if self._marked is None or grid is None or grid.crs is None:
            return False
        try:
            x, y = transformer(LONLAT, grid.crs).transform(*self._marked)
        except Exception:  # no marker where the point does not project onto this grid
            return False
        col, row = ~grid.transform * (x, y)
        w, h = self.grid_size()
        if not (math.isfinite(col) and math.isfinite(row) and 0 <= col <= w and 0 <= row <= h):
            return False
        self.marker.setData([col], [row])
        if centre:
            self.center_on(col, row)
        return True

    @property
    def selected_aoi(self) -> Any:
        """The selected AOI's id, or None."""
        return self.aoi_layer.selected

    def select_aoi(self, aoi_id: Any) -> None:
        """Select one AOI (or none): its outline becomes editable (``sig_aoi_selected``)."""
        self.aoi_layer.select(aoi_id)
