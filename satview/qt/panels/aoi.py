"""The AOI panel: the list of areas of interest with their areas, and the AOI and export actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from satview.qt.aoi_store import AoiStore, AOISummary

#: Tooltip of AOIs that do not overlap the open scene (they are listed greyed out).
NO_OVERLAP = "does not overlap this scene"
#: The summary line without AOIs.
EMPTY = "Draw a polygon (P) or import GeoJSON."


class AoiPanel(QWidget):
    """Lists the window's AOIs (name, km², vertices; greyed out when they do not overlap the open
    scene); buttons run the window's actions.

    ``actions`` maps "draw", "delete", "import", "export", "clip", "quicklook" to QActions.
    """

    sig_aoi_selected = Signal(object)  # AOI id or None

    def __init__(self, aois: AoiStore, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.aois = aois
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._current_changed)
        self.summary = QLabel(EMPTY)
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
        aois.sig_aois_changed.connect(self.show_aois)

    def show_aois(self, summaries: list[AOISummary]) -> None:
        """Refill the list from AOISummary values, keeping the selection."""
        keep = self.selected_id()
        self.list.blockSignals(True)
        self.list.clear()
        total = 0.0
        grey = QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        for s in summaries:
            total += s.area_km2 if s.area_km2 == s.area_km2 else 0.0  # NaN: no area known
            item = QListWidgetItem(f"{s.name}   {s.area_km2:,.3f} km²   ({s.n_vertices} vertices)")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            if s.overlaps is False:
                item.setForeground(grey)
                item.setToolTip(NO_OVERLAP)
            self.list.addItem(item)
            if s.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        n = self.list.count()
        off = sum(s.overlaps is False for s in summaries)
        text = f"{n} AOI{'s' if n != 1 else ''}, {total:,.3f} km² in all" if n else EMPTY
        self.summary.setText(f"{text}; {off} not on this scene" if off else text)
        if self.selected_id() != keep:
            self.sig_aoi_selected.emit(self.selected_id())

    def selected_id(self) -> int | None:
        """Id of the highlighted AOI, or None."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, aoi_id: int | None) -> None:
        """Highlight an AOI (from a click on the canvas)."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == aoi_id:
                self.list.setCurrentRow(i)
                return
        self.list.setCurrentRow(-1)

    def _current_changed(self, *_args: Any) -> None:
        self.sig_aoi_selected.emit(self.selected_id())
