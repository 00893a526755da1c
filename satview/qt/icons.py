"""Find the resources/ folder (icon, .desktop) in a source checkout, an installed package or a bundle."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon

_SIZES = (16, 32, 64, 128, 256)


def resources_dir() -> Path | None:
    """The resources folder, or None when it cannot be found."""
    here = Path(__file__).resolve()
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates += [
        here.parents[2] / "resources",
        here.parent / "resources",
        Path(sys.prefix) / "share" / "satview",
    ]
    for c in candidates:
        if (c / "satview.svg").is_file():
            return c
    return None


def app_icon() -> QIcon:
    """The application icon (SVG plus the PNG sizes), or an empty icon when resources are missing."""
    icon = QIcon()
    root = resources_dir()
    if root is None:
        return icon
    for size in _SIZES:
        png = root / f"satview-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    if icon.isNull():
        icon.addFile(str(root / "satview.svg"))
    return icon


def zoom_icon(zoom_in: bool) -> QIcon:
    """A magnifying glass with "+" (zoom in) or "-" (zoom out), drawn at the toolbar sizes."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QColor, QPainter, QPen, QPixmap

    icon = QIcon()
    for size in (16, 24, 32, 48):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = size / 32.0
        p.setPen(QPen(QColor("#37474f"), 5 * s, c=Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(20 * s, 20 * s), QPointF(29 * s, 29 * s))
        p.setPen(QPen(QColor("#37474f"), 2.5 * s))
        p.setBrush(QColor("#e3f2fd"))
        p.drawEllipse(QPointF(13 * s, 13 * s), 10 * s, 10 * s)
        p.setPen(QPen(QColor("#1565c0"), 2.5 * s))
        p.drawLine(QPointF(8 * s, 13 * s), QPointF(18 * s, 13 * s))
        if zoom_in:
            p.drawLine(QPointF(13 * s, 8 * s), QPointF(13 * s, 18 * s))
        p.end()
        icon.addPixmap(pm)
    return icon
