"""satview's desktop application: a thin PySide6 + pyqtgraph layer over the Qt-free core."""

#: Long side of a scene's first, whole-scene picture (and of its statistics read). Here, outside the
#: modules that import Qt, because the app asks for the first picture before Qt loads.
COARSE_SIZE = 1024
