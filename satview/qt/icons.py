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
