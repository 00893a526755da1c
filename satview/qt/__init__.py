"""satview's desktop application: a thin PySide6 + pyqtgraph layer over the Qt-free core."""
