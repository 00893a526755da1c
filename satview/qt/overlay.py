"""The canvas overlay: a scale bar and a north arrow painted over the map, mouse-transparent."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QWidget


def _nice(x: float) -> float:
    """The largest 1-2-5 x 10^n not above ``x``."""
    if x <= 0 or not math.isfinite(x):
        return 0.0
    e = 10 ** math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * e <= x:
            return m * e
    return e


class MapOverlay(QWidget):
    """Scale bar (bottom left) and north arrow (top right), painted over the view; mouse-transparent."""

    def __init__(self, canvas: Any) -> None:
        super().__init__(canvas.glw)
        self.canvas = canvas
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.show_scale = True
        self.show_north = True

    def set_shown(self, part: str, on: bool) -> None:
        """Show or hide ``part``: "scale" (the scale bar) or "north" (the arrow)."""
        setattr(self, f"show_{part}", on)
        self.update()

    def paintEvent(self, event: Any) -> None:
        """Draw the scale bar and the north arrow (white on a dark halo: visible on any picture)."""
        metres_per_px = self.canvas.metres_per_screen_pixel()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSize(9)
        font.setBold(True)
        p.setFont(font)
        if self.show_scale and metres_per_px:
            length_m = _nice(metres_per_px * min(160, self.width() / 4))
            px = length_m / metres_per_px
            x0, y0 = 14, self.height() - 18
            p.fillRect(QRectF(x0 - 6, y0 - 22, px + 12 + 60, 32), QColor(0, 0, 0, 110))
            p.setPen(QPen(QColor("white"), 3))
            p.drawLine(QPointF(x0, y0), QPointF(x0 + px, y0))
            p.drawLine(QPointF(x0, y0 - 5), QPointF(x0, y0 + 3))
            p.drawLine(QPointF(x0 + px, y0 - 5), QPointF(x0 + px, y0 + 3))
            text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
            p.drawText(QPointF(x0 + 2, y0 - 8), text)
        angle = self.canvas.north_angle() if self.show_north else None
        if angle is not None:
            self._paint_north(p, angle, font)
        p.end()

    def _paint_north(self, p: QPainter, angle: float, font: QFont) -> None:
        """An arrow and "N" turned ``angle`` degrees clockwise, in a dark disc with a dark outline."""
        cx, cy = self.width() - 30.0, 34.0
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 110))
        p.drawEllipse(QPointF(cx, cy), 24, 24)
        arrow = QPainterPath()
        arrow.moveTo(0, -20)
        arrow.lineTo(-7, 2)
        arrow.lineTo(0, -3)
        arrow.lineTo(7, 2)
        arrow.closeSubpath()
        letter = QPainterPath()
        letter.addText(QPointF(-4.5, 16), font, "N")
        turn = QTransform().translate(cx, cy).rotate(angle)
        for path in (turn.map(arrow), turn.map(letter)):
            p.strokePath(path, QPen(QColor(0, 0, 0, 230), 3.5))
            p.fillPath(path, QColor("white"))
