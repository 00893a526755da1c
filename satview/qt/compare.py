"""Compare mode: the date on screen against a second date of the stack, on the canvas.

- swipe: the second date (same display, the current levels, so colours compare) is drawn left of a
  vertical divider the user drags;
- flicker: the second date is shown and hidden in turn;
- difference: AFTER minus BEFORE from the core (``change_layer`` in the "export" worker, a file in
  satview's cache) with a diverging colour map and the class legend.
"Export change GeoTIFF..." writes the same change (core ``write_change``) where the user says.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QTimer

from satview.core import requests
from satview.core.requests import COARSE_SIZE
from satview.errors import SatviewError
from satview.qt.panels.compare import ComparePanel
from satview.qt.session import Session, guard
from satview.qt.stacks import StackBrowser
from satview.qt.time_series import display_quantity
from satview.qt.workers import Latest

#: Flicker half-period.
FLICKER_MS = 600


class CompareMode(QObject):
    """Draws the second date or the difference over the ``canvas`` (in its ViewBox; in a reprojected
    view warped onto the view's grid, ``canvas.warp``)."""

    def __init__(self, session: Session, stacks: StackBrowser, canvas: Any, panel: ComparePanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = session.background
        self.session, self.stacks, self.canvas, self.panel = session, stacks, canvas, panel
        vb = canvas.vb
        self.layer = pg.ImageItem(axisOrder="row-major")
        self.layer.setZValue(5)  # over the scene's pictures, under the AOIs
        self.divider = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#ffdd00", width=3))
        self.divider.setZValue(6)
        for item in (self.layer, self.divider):
            item.setVisible(False)
            vb.addItem(item)
        self.picture: np.ndarray | None = None  # the layer in the coordinates of the view on screen
        self.rect = (0.0, 0.0, 1.0, 1.0)
        self._source: tuple[np.ndarray, tuple[float, ...]] | None = None  # the layer in scene pixels
        self._placed_on: Any = None  # the view (canvas.warp) the picture was placed on
        self.change: Any = None
        self.timer = QTimer(self)
        self.timer.setInterval(FLICKER_MS)
        self.timer.timeout.connect(lambda: self.layer.setVisible(not self.layer.isVisible()))
        self._latest = Latest()
        self.divider.sigPositionChanged.connect(lambda _l: self._swipe())
        panel.sig_changed.connect(self.refresh)
        stacks.sig_stack_changed.connect(lambda st: panel.set_stack(st, max(0, stacks.current)))
        stacks.sig_date_changed.connect(self._date_changed)
        session.sig_display_changed.connect(lambda *_a: self.refresh() if panel.mode in ("swipe", "flicker")
                                            else None)
        session.sig_rendered.connect(self._view_drawn)

    @property
    def scene_path(self) -> str | None:
        """The file on screen (errors name it)."""
        return self.session.path

    def pair(self) -> tuple[str, str, str]:
        """(BEFORE, AFTER, the grid of the date on screen: "before" or "after")."""
        stack, here, there = self.stacks.stack, self.stacks.current, self.panel.other.currentIndex()
        if stack is None or here < 0 or there < 0 or here == there:
            raise SatviewError("choose a second date of the stack to compare with")
        a, b = sorted((here, there))
        return stack.scenes[a].path, stack.scenes[b].path, "before" if here == a else "after"

    def _date_changed(self, index: int) -> None:
        """A step: the compared date keeps its distance from the date on screen, then redraw."""
        self.panel.follow(index)
        self.refresh()

    @guard("Cannot compare the dates")
    def refresh(self) -> None:
        """Draw what the panel asks for (called on every change of date, display or choice)."""
        self._latest.renew("compare")
        self.timer.stop()
        self.layer.setVisible(False)
        self.divider.setVisible(False)
        self._source = None
        self.panel.show_legend(None)
        mode = self.panel.mode
        if mode == "off" or self.session.info is None:
            return
        if mode == "difference":
            self._difference()
            return
        before, after, grid = self.pair()
        other = after if grid == "before" else before

        def done(res: tuple[Any, ...]) -> None:
            picture = res[4]
            self._place(np.asarray(picture.rgba), tuple(picture.pixel_rect))
            if mode == "swipe":
                x, _, w, _ = self.rect
                self.divider.setValue(x + w / 2)
                self.divider.setVisible(True)
            self._draw()
            if mode == "flicker":
                self.timer.start()

        levels = self.session.render_levels
        self.background.run("display", requests.step, other, None, self.session.display, levels, COARSE_SIZE,
                            done=done, title="Cannot draw the second date", path=other,
                            stale=self._latest.token("compare"))

    def _place(self, rgba: np.ndarray, rect: tuple[float, ...]) -> None:
        """Keep the layer ``rgba`` over ``rect`` (scene pixels) and put it in the view's coordinates."""
        self._source = (rgba, rect)
        warp = self._placed_on = self.canvas.warp
        if warp is None:
            self.picture, self.rect = rgba, rect
            return
        from satview.core.stack.change_view import layer_on_view

        self.picture, self.rect = layer_on_view(rgba, rect, warp.source, warp.grid)  # type: ignore[arg-type]

    def _draw(self) -> None:
        """Show the placed layer as the mode wants it (swipe: left of the divider)."""
        if self.picture is None:
            return
        if self.panel.mode == "swipe":
            self._swipe()
        else:
            self._show(self.picture, self.rect)

    def _view_drawn(self, result: Any) -> None:
        """A new first picture: the view may now be (or no longer be) reprojected; move the layer."""
        if self._source is not None and result.coarse and self.canvas.warp != self._placed_on:
            self._place(*self._source)
            if self.panel.mode == "swipe":
                x, _, w, _ = self.rect
                self.divider.setValue(x + w / 2)
            self._draw()

    def _show(self, rgba: np.ndarray, rect: tuple[float, ...]) -> None:
        self.layer.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.layer.setRect(QRectF(*(float(v) for v in rect)))
        self.layer.setVisible(True)

    def _swipe(self) -> None:
        """Show the second date left of the divider."""
        if self.panel.mode != "swipe" or self.picture is None:
            return
        x, y, w, h = self.rect
        cols = self.picture.shape[1]
        k = int(np.clip(round((self.divider.value() - x) / w * cols), 0, cols))
        if k == 0:
            self.layer.setVisible(False)
            return
        self._show(np.ascontiguousarray(self.picture[:, :k]), (x, y, w * k / cols, h))

    def _difference(self) -> None:
        before, after, grid = self.pair()
        quantity = self.quantity()
        classes = self.panel.classes.currentText().strip() or None
        info = self.session.info
        assert info is not None

        def done(layer: Any) -> None:
            self.change = layer.result
            self._place(layer.rgba, layer.rect)
            self._draw()
            self.panel.show_legend(layer.result, layer.limit)

        self.background.run("export", requests.change_layer, before, after, quantity, classes, grid,
                            info.grid.transform, COARSE_SIZE, done=done, title="Cannot compute the change",
                            path=after, stale=self._latest.token("compare"), busy="Computing the change…")

    def quantity(self) -> Any:
        """The core Quantity of the display (None for sea ice)."""
        return display_quantity(self.session.display)

    @guard("Cannot export the change")
    def export_dialog(self, parent: Any, start_dir: str, done: Any) -> None:
        """Ask where to write the change of the compared dates, then write it (``done(result)``)."""
        from PySide6.QtWidgets import QFileDialog

        self.pair()  # without a second date the user is told before the file dialog
        path, _ = QFileDialog.getSaveFileName(parent, "Export change GeoTIFF", f"{start_dir}/change.tif",
                                              "GeoTIFF (*.tif)")
        if path:
            self.export(path if path.lower().endswith((".tif", ".tiff")) else path + ".tif", done)

    @guard("Cannot export the change")
    def export(self, out: str, done: Any) -> None:
        """Write the change of the compared dates to ``out`` (GeoTIFF, core ``write_change``); then
        ``done("change", result)``."""
        before, after, _ = self.pair()
        classes = self.panel.classes.currentText().strip() or None
        self.background.run("export", requests.export_change, before, after, self.quantity(), classes, out,
                            done=lambda r: done("change", r), title="Cannot export the change", path=after,
                            busy="Writing the change GeoTIFF…")
