"""The Series dock: a value through the dates of the open stack, for the selected AOI or a point.

It draws rows computed by the core (``requests.series_through_time`` in a worker) with a date axis: the
mean (and median) of an index or band, or the sea-ice extent and area; the date on screen is
marked, and clicking a date asks to step there (``sig_date_clicked(index)``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

#: What the dock says until a series is plotted.
HINT = ("Plot the selected AOI (sea ice: the hemisphere without one) or the last clicked point through "
        "the dates of the open stack (a folder or several files of one place)")
#: Plotted columns of a row and their pen colours.
CURVES = {"mean": "#1f77b4", "median": "#ff7f0e", "extent_km2": "#1f77b4", "area_km2": "#2ca02c"}


def _stamp(date: str) -> float:
    """POSIX seconds of an ISO date at noon UTC (the date axis' unit)."""
    d = dt.date.fromisoformat(date)
    return dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp()


class SeriesPanel(QWidget):
    """Plot of one series; ``sig_plot_aoi`` / ``sig_plot_point`` ask for one, ``sig_date_clicked(i)``."""

    sig_plot_aoi = Signal()
    sig_plot_point = Signal()
    sig_date_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.aoi_button = QPushButton("Selected AOI")
        self.aoi_button.setToolTip("The value through time over the selected AOI (sea ice without one: "
                                   "the hemisphere)")
        self.point_button = QPushButton("Last clicked point")
        self.point_button.setToolTip("The value through time at the pixel of the last cursor readout")
        self.title = QLabel(HINT)
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(-10, 5))  # top right: the curves fall over the years
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d62728", width=2))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker)
        self.points: list[pg.ScatterPlotItem] = []
        row = QHBoxLayout()
        row.addWidget(self.aoi_button)
        row.addWidget(self.point_button)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.title)
        lay.addWidget(self.plot, 1)
        lay.addStretch(0)
        self.plot.setVisible(False)  # empty axes would show meaningless ticks: the hint stands alone
        self.aoi_button.clicked.connect(self.sig_plot_aoi)
        self.point_button.clicked.connect(self.sig_plot_point)

    def clear(self) -> None:
        """No series (another stack opened): the hint instead of the plot."""
        self.show_rows(HINT, [])

    def show_rows(self, title: str, rows: list[dict[str, Any]], unit: str = "") -> None:
        """Plot ``rows`` (one per date, as the core gives them); dates without a value are gaps."""
        self.rows = rows
        self.title.setText(title)
        for item in self.points:
            self.plot.removeItem(item)
        self.points = []
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        x = np.array([_stamp(r["date"]) for r in rows], dtype=float)
        for col, colour in CURVES.items():
            if not rows or col not in rows[0]:
                continue
            y = np.array([np.nan if r.get(col) is None else float(r[col]) for r in rows], dtype=float)
            curve = self.plot.plot(x, y, pen=pg.mkPen(colour, width=2), name=col.replace("_km2", " (km²)"),
                                   connect="finite")
            dots = pg.ScatterPlotItem(x=x, y=y, size=8, brush=pg.mkBrush(colour), pen=None,
                                      data=list(range(len(rows))), hoverable=True)
            dots.sigClicked.connect(self._clicked)
            self.plot.addItem(dots)
            self.points += [curve, dots]
        self.plot.setLabel("left", unit)
        self.plot.enableAutoRange()
        self.marker.setVisible(False)
        self.plot.setVisible(bool(rows))

    def mark(self, index: int) -> None:
        """Mark the date on screen (index into the plotted rows)."""
        if 0 <= index < len(self.rows):
            self.marker.setPos(_stamp(self.rows[index]["date"]))
            self.marker.setVisible(True)

    def _clicked(self, _item: Any, points: Any, *_: Any) -> None:
        if len(points):
            self.sig_date_clicked.emit(int(points[0].data()))
