"""Render resources/satview.svg to the PNG icon sizes with Qt's SVG renderer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 32, 64, 128, 256)


def main(argv: list[str] | None = None) -> int:
    """Write resources/satview-<size>.png for every size; returns the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "resources"
    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(root / "satview.svg"))
    if not renderer.isValid():
        print(f"cannot read {root / 'satview.svg'}", file=sys.stderr)
        return 1
    for size in SIZES:
        img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(p)
        p.end()
        out = root / f"satview-{size}.png"
        if not img.save(str(out)):
            print(f"cannot write {out}", file=sys.stderr)
            return 1
        print(out)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
