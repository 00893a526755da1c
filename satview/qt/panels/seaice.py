"""The sea-ice box of the band panel: the colour legend (concentration ramp and flags) and extent/area."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from satview.core.render import seaice_band
from satview.qt.exports import Exports


def swatch(color: tuple[int, int, int], size: int = 12) -> QPixmap:
    """A small square of one colour."""
    pm = QPixmap(size, size)
    pm.fill(QColor(*color))
    p = QPainter(pm)
    p.setPen(QColor(110, 110, 110))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return pm


class SeaIceBox(QGroupBox):
    """Legend of the sea-ice colours and the "Extent / area" button with its result; hidden for
    scenes that are not sea ice."""

    def __init__(self, exports: Exports, parent: QWidget | None = None) -> None:
        super().__init__("Sea ice", parent)
        self.exports = exports
        iv = QVBoxLayout(self)
        self.legend = QGridLayout()
        self.legend.setHorizontalSpacing(6)
        self.legend.setColumnStretch(1, 1)  # labels sit next to their swatches, the rest is space
        iv.addLayout(self.legend)
        self.extent_button = QPushButton("Extent / area")
        self.extent_button.setToolTip("Sea-ice extent (cells ≥ 15 %) and area of the scene, in km²")
        self.extent_button.clicked.connect(lambda _c=False: self.exports.compute_extent_area())
        self.extent_label = QLabel("")
        self.extent_label.setWordWrap(True)
        iv.addWidget(self.extent_button)
        iv.addWidget(self.extent_label)
        exports.sig_task_finished.connect(self._task_finished)
        self.setVisible(False)

    def set_scene(self, info: Any) -> None:
        """Show the legend of a sea-ice scene (or hide the box for other scenes)."""
        while self.legend.count():
            w = self.legend.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.extent_label.setText("")
        band = seaice_band(info)
        self.setVisible(band is not None)
        if band is None:
            return
        from satview.core.seaice import legend_entries

        for i, (label, color) in enumerate(legend_entries(band)):
            sw = QLabel()
            sw.setPixmap(swatch(color, 14))
            text = QLabel(label)
            self.legend.addWidget(sw, i, 0)
            self.legend.addWidget(text, i, 1)
            # shown now: a layout shows new children of a visible widget only from the event loop,
            # which a --screenshot grab does not wait for
            sw.show()
            text.show()

    def _task_finished(self, kind: str, result: Any) -> None:
        if kind != "extent":
            return
        get = result.get if isinstance(result, dict) else (lambda k, d=None: getattr(result, k, d))
        extent, area = get("extent_km2"), get("area_km2")
        if extent is None:
            self.extent_label.setText(str(result))
            return
        self.extent_label.setText(
            f"Extent {extent / 1e6:.3f} million km²\nArea {area / 1e6:.3f} million km²"
            f" (cells ≥ {get('threshold', 15):g} %)"
        )
        self._reveal(self.extent_label)

    def _reveal(self, widget: QWidget) -> None:
        """Scroll the dock holding the box (if any) so that ``widget`` is in sight."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(widget)
