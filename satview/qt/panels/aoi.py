"""The AOI panel: the list of areas of interest with their areas, and the AOI and export actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class AoiPanel(QWidget):
    """Lists the session's AOIs (name, km², vertices); buttons run the window's actions.

    ``actions`` maps "draw", "delete", "import", "export", "clip", "quicklook" to QActions.
    """

    sig_aoi_selected = Signal(object)  # AOI id or None

    def __init__(self, session: Any, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._current_changed)
        self.summary = QLabel("Draw a polygon (P) or import GeoJSON.")
        self.summary.setWordWrap(True)
        grid = QGridLayout()
        for i, key in enumerate(("draw", "delete", "import", "export", "clip", "quicklook")):
            b = QToolButton()
            b.setDefaultAction(actions[key])
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
            grid.addWidget(b, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        layout.addLayout(grid)
        session.sig_aois_changed.connect(self.show_aois)

    def show_aois(self, summaries: Any) -> None:
        """Refill the list from AOISummary values, keeping the selection."""
        keep = self.selected_id()
        self.list.blockSignals(True)
        self.list.clear()
        total = 0.0
        for s in summaries or []:
            area = float(getattr(s, "area_km2", 0.0) or 0.0)
            total += area
            item = QListWidgetItem(f"{s.name}   {area:,.3f} km²   ({s.n_vertices} vertices)")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.list.addItem(item)
            if s.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        n = self.list.count()
        self.summary.setText(
            f"{n} AOI{'s' if n != 1 else ''}, {total:,.3f} km² in all"
            if n
            else "Draw a polygon (P) or import GeoJSON."
        )
        if self.selected_id() != keep:
            self.sig_aoi_selected.emit(self.selected_id())

    def selected_id(self) -> Any:
        """Id of the highlighted AOI, or None."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, aoi_id: Any) -> None:
        """Highlight an AOI (from a click on the canvas)."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == aoi_id:
                self.list.setCurrentRow(i)
                return
        self.list.setCurrentRow(-1)

    def _current_changed(self, *_args: Any) -> None:
        self.sig_aoi_selected.emit(self.selected_id())
