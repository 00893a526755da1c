"""The band panel's histogram plot: per-band step histograms, framed once from the data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

_RGB_PENS = ("#ff5050", "#40d040", "#5090ff")


def histogram_plot() -> pg.PlotWidget:
    """An empty histogram plot of fixed height, x axis labelled, no mouse interaction."""
    plot = pg.PlotWidget(background="#202124")
    # fixed: a height that follows the panel's content would change when a scene fills the panel
    # (QA group shown, panel starts to scroll) and re-lay out and repaint the plot a second time
    plot.setFixedHeight(190)
    plot.setMenuEnabled(False)
    plot.hideAxis("left")
    plot.setMouseEnabled(x=False, y=False)
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    plot.setLabel("bottom", "value")  # shown from the start: the axis keeps its height
    return plot


def plot_histograms(plot: pg.PlotWidget, entries: list[Any]) -> None:
    """Replace the plotted histograms by ``entries`` (BandHistogram); the x label names their units."""
    for item in list(plot.listDataItems()):
        plot.removeItem(item)
    pens = _RGB_PENS if len(entries) == 3 else ("#e0e0e0",)
    units = set()
    for i, h in enumerate(entries):
        edges = np.asarray(h.edges, dtype=float)
        counts = np.asarray(h.counts, dtype=float)
        units.add(getattr(h, "unit", "") or "")
        color = pens[i % len(pens)]
        plot.plot(
            edges,
            counts,
            stepMode="center",
            pen=pg.mkPen(color, width=1.5),
            fillLevel=0,
            brush=pg.mkBrush(QColor(color).red(), QColor(color).green(), QColor(color).blue(), 40),
        )
    unit = ", ".join(u for u in units if u)
    plot.setLabel("bottom", unit or "value")


def frame_plot(plot: pg.PlotWidget, entries: list[Any]) -> None:
    """Set the plot's range from the data at once (what auto-range would pick, padding included)."""
    vb = plot.getViewBox()
    xs = [float(v) for h in entries for v in (np.nanmin(h.edges), np.nanmax(h.edges)) if len(h.edges)]
    ys = [float(np.nanmax(h.counts)) for h in entries if len(h.counts)]
    xs, ys = [v for v in xs if np.isfinite(v)], [v for v in ys if np.isfinite(v)]
    if not xs or not ys:
        vb.enableAutoRange()
        return
    vb.disableAutoRange()
    vb.setRange(xRange=(min(xs), max(xs)), yRange=(min(0.0, *ys), max(ys)))
    # apply the new transform now rather than in the paint: items that depend on it (the limits
    # region) would otherwise change geometry while painting and ask for another paint
    vb.prepareForPaint()
