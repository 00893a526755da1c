"""One date of a stack drawn as the date before it was: same display, optionally the same levels.

Stepping through a stack in the app keeps the composite, stretch mode and colour map, and with
"fix levels" the very levels, so frames compare. :func:`step_overview` computes a date's first
picture (levels, histograms, the coarse whole-scene image) for a given display and keeps the last
few results, so a date prefetched while the user looks at its neighbour comes back at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from satview.core.render import DisplaySpec, HistogramData, RenderResult, default_display, display_overview
from satview.core.stretch import Levels
from satview.errors import SatviewError

#: Pictures kept (each a coarse RGBA of at most max_size² x 4 bytes).
MAX_PICTURES = 6

_PICTURES: OrderedDict[tuple[Any, ...], tuple[Any, ...]] = OrderedDict()
_LOCK = threading.Lock()


def _fits(spec: DisplaySpec, scene: Any) -> bool:
    """True when every band ``spec`` names is a band of ``scene`` (mixed sensors differ)."""
    names = {b.name for b in scene.info.bands}
    wanted = set(spec.bands) | ({spec.qa_band} if spec.qa_band else set())
    return wanted <= names


def step_overview(scene: Any, spec: DisplaySpec | None, levels: Levels | None,
                  max_size: int) -> tuple[DisplaySpec, Levels, HistogramData, RenderResult]:
    """(spec, render-space levels, histograms, coarse picture) of ``scene`` shown with ``spec``.

    ``levels`` (render space) are kept when given (fixed levels across the stack), else the date's
    own levels are computed. A ``spec`` naming bands the scene lacks, or that the scene cannot
    show (an index of another sensor), falls back to the scene's default display.
    """
    key = (scene.info.path, id(scene), repr(spec), repr(levels), max_size)
    with _LOCK:
        hit = _PICTURES.get(key)
        if hit is not None:
            _PICTURES.move_to_end(key)
            return hit  # type: ignore[return-value]
    use = spec if spec is not None and _fits(spec, scene) else default_display(scene.info)
    try:  # one read gives the date's histograms and its picture, painted with the fixed levels if any
        own, hist, picture = display_overview(scene, use, max_size, levels if use is spec else None)
    except SatviewError:
        if use == default_display(scene.info):
            raise
        use = default_display(scene.info)
        own, hist, picture = display_overview(scene, use, max_size)
    out = (use, own, hist, picture)
    with _LOCK:
        _PICTURES[key] = out
        while len(_PICTURES) > MAX_PICTURES:
            _PICTURES.popitem(last=False)
    return out
