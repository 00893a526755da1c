"""satview: look at and cut up downloaded satellite scenes.

The Python API (:mod:`satview.api`) is re-exported here: ``satview.open``, ``satview.clip``,
``satview.reproject``, ``satview.quicklook``, ``satview.Scene`` and ``satview.SatviewError``.
They are loaded on first use (PEP 562 module ``__getattr__``), not by ``import satview``: importing
``satview.api`` pulls in rasterio, numpy and the readers (0.44 s at best on the 2-core test machine,
``python -X importtime -c "import satview.api"``), while ``import satview.cli`` takes 9 ms (the
same as before the API existed) and every CLI command loads only what it needs.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Names re-exported from satview.api on first use.
_API = ("open", "clip", "reproject", "quicklook", "Scene")

__all__ = ["SatviewError", "Scene", "__version__", "clip", "open", "quicklook", "reproject"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers treat it the same)
if TYPE_CHECKING:
    from satview.api import Scene, clip, open, quicklook, reproject
    from satview.errors import SatviewError


def __getattr__(name: str) -> object:
    if name in _API:
        from satview import api

        return getattr(api, name)
    if name == "SatviewError":
        from satview.errors import SatviewError

        return SatviewError
    raise AttributeError(f"module 'satview' has no attribute {name!r}")
