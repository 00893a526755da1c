"""The AOIs on the canvas: every AOI over the scene as a thin outline, the selected one editable.

All outlines are one pyqtgraph curve (rings joined by NaN breaks), so hundreds of AOIs (an imported
file of field boundaries) cost one item to draw and nothing to forget when another scene opens. Only
the selected AOI is a ``PolyLineROI``: drag its corners to edit it, right-click it to remove it.
A click inside an outline selects that AOI (the smallest one when outlines nest).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPolygonF

from satview.core.types import GeoGrid

#: Outline of every AOI over the scene; the selected one is drawn by its editor.
AOI_PEN = pg.mkPen("#ffd400", width=2)
SELECTED_PEN = pg.mkPen("#ff4081", width=3)
#: The selected AOI under the mouse (pyqtgraph's default hover colour is yellow, the outlines' colour).
HOVER_PEN = pg.mkPen("#ff80ab", width=4)

#: GUI-thread time per turn of the event loop spent working out outlines new to the grid shown.
SYNC_BUDGET_S = 0.05

Ring = list[tuple[float, float]]


class AoiEditor(pg.PolyLineROI):
    """A ``PolyLineROI`` that works out its state once when its vertices are set; pyqtgraph's does it
    after every handle it adds, each time over all handles, so building an editor costs O(n²)."""

    _setting = False

    def setPoints(self, points: Any, closed: bool | None = None) -> None:
        self._setting = True
        try:
            super().setPoints(points, closed)
        finally:
            self._setting = False
        self.stateChanged(finish=True)

    def stateChanged(self, finish: bool = True) -> None:
        if not self._setting:
            super().stateChanged(finish)


class AoiLayer(QObject):
    """AOI outlines and the editor of the selected one, in the ViewBox ``vb``. ``sig_selected(id)``
    (None: no AOI) after every selection; ``aois`` is the window's AoiStore and ``grid()`` the
    grid drawn in (the reprojected view's, else None for the scene's)."""

    sig_selected = Signal(object)

    def __init__(self, vb: pg.ViewBox, aois: Any, grid: Callable[[], GeoGrid | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vb, self.aois, self.grid = vb, aois, grid
        self.outlines = pg.PlotCurveItem(pen=AOI_PEN, connect="finite")
        self.outlines.setZValue(10)
        vb.addItem(self.outlines)
        self.drawn: dict[Any, Ring] = {}  # AOI id -> outline in grid pixels, for the AOIs over the scene
        self.selected: Any = None
        self.editor: pg.PolyLineROI | None = None
        self._editing: Any = None  # the AOI id of ``editor``
        self._summaries: list[Any] = []  # the AOIs to draw (the latest list)
        self._continuing = False  # a turn of outlines still to work out is scheduled

    def sync(self, summaries: Any) -> None:
        """Draw the session's AOIs (added, imported, changed, placed on a new scene), drop deleted ones.

        Outlines new to the grid shown (a reprojected view puts every AOI through PROJ, a few ms each)
        are worked out for at most :data:`SYNC_BUDGET_S` per turn of the event loop; the rest follow
        in the next turns, so hundreds of AOIs never hold the window still."""
        self._summaries = list(summaries or [])
        if not self._continuing:
            self._draw_some()

    def _draw_some(self) -> None:
        self._continuing = False
        start = time.perf_counter()
        drawn: dict[Any, Ring] = {}
        ids = {s.id for s in self._summaries}
        for s in self._summaries:
            if time.perf_counter() - start > SYNC_BUDGET_S:  # the rest next turn (drawn as before meanwhile)
                if s.id in self.drawn:
                    drawn[s.id] = self.drawn[s.id]
                self._continuing = True
                continue
            ring = self.aois.aoi_vertices_pixels(s.id, self.grid())
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring = ring[:-1]
            if len(ring) >= 3:
                drawn[s.id] = ring
        self.drawn = drawn
        if self._continuing:
            QTimer.singleShot(0, self._draw_some)
        if self.selected is not None and self.selected not in ids:  # deleted
            self.select(None)
        else:
            self._show()

    def select(self, aoi_id: Any) -> None:
        """Make ``aoi_id`` the selected AOI (None: none); it gets an editor when it is drawn here."""
        self.selected = aoi_id
        self._show()
        self.sig_selected.emit(self.selected)

    def hit(self, col: float, row: float) -> Any:
        """The AOI whose outline holds grid pixel (col, row), the smallest when several do; else None."""
        point, best, best_area = QPointF(col, row), None, float("inf")
        for aoi_id, ring in self.drawn.items():
            if QPolygonF([QPointF(x, y) for x, y in ring]).containsPoint(point, Qt.FillRule.OddEvenFill):
                xy = np.asarray(ring)
                area = 0.5 * abs(float(np.dot(xy[:, 0], np.roll(xy[:, 1], 1)) -
                                       np.dot(xy[:, 1], np.roll(xy[:, 0], 1))))
                if area < best_area:
                    best, best_area = aoi_id, area
        return best

    @staticmethod
    def vertices(roi: pg.PolyLineROI) -> Ring:
        """Vertices of an editor in grid pixels."""
        return [(p.x(), p.y()) for p in (roi.mapToParent(pos) for _n, pos in roi.getLocalHandlePositions())]

    def _show(self) -> None:
        xs: list[float] = []
        ys: list[float] = []
        for aoi_id, ring in self.drawn.items():
            if aoi_id != self.selected:
                xs += [x for x, _ in ring] + [ring[0][0], np.nan]
                ys += [y for _, y in ring] + [ring[0][1], np.nan]
        self.outlines.setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        self._edit(self.drawn.get(self.selected))

    def _drop_editor(self) -> None:
        """Take the editor off the canvas and have Qt delete it (with its handles and menu) from the
        event loop: left to Python's cyclic collector, a ROI's items were freed in an arbitrary order
        in the middle of a collection, the moment the GUI process of the monkey died in."""
        roi, self.editor, self._editing = self.editor, None, None
        if roi is None:
            return
        self.vb.removeItem(roi)
        for signal in (roi.sigRegionChangeFinished, roi.sigRemoveRequested):
            signal.disconnect()
        menu = getattr(roi, "menu", None)
        if menu is not None:
            menu.deleteLater()
        roi.deleteLater()

    def _edit(self, ring: Ring | None) -> None:
        """Give the selected AOI an editor (kept while its outline does not change)."""
        if self.editor is not None:
            if ring is not None and self._editing == self.selected:
                now = self.vertices(self.editor)
                if len(now) == len(ring) and np.allclose(now, ring, atol=1e-6):
                    return
            self._drop_editor()
        if ring is None:
            return
        aoi_id = self.selected
        roi = AoiEditor([list(v) for v in ring], closed=True, pen=SELECTED_PEN, hoverPen=HOVER_PEN,
                             removable=True)
        roi.setZValue(11)
        roi.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        roi.sigRegionChangeFinished.connect(
            lambda r, i=aoi_id: self.aois.update_aoi(i, self.vertices(r), self.grid()))
        roi.sigRemoveRequested.connect(lambda _r, i=aoi_id: self.aois.remove_aoi(i))
        self.vb.addItem(roi)
        self.editor, self._editing = roi, aoi_id
