"""The app's workers: one :class:`WorkerPool` per lane, so an interactive read never waits behind long work.

- "interactive": opening, drawing, pixels (one process that keeps the open scenes); prefetches of
  stack dates (``satview.core.requests.step`` without a reply, sent with priority "low") run here
  too, so the scenes they open are the ones the next requests find;
- "background": view reprojections (long, for the screen; a newer one cancels the older);
- "export": clips, quick-looks, reprojections, sea-ice extent (writing files).

:meth:`Workers.submit` sends a request to the lane its declaration names
(:mod:`satview.workers.declare`). The interactive lane starts at once (its process imports the
stack while the window is built); the others at their first request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from satview.workers.declare import Lane, declared
from satview.workers.pool import WorkerPool

LANES: tuple[Lane, ...] = ("interactive", "background", "export")
#: Modules the requests' results are made of: the shapely footprint, the MTL, render types.
RESULT_MODULES = ("shapely.geometry", "satview.core.landsat", "satview.core.render")


class Workers:
    """The three lanes (see the module docstring); ``inline=True`` runs every request in the caller."""

    def __init__(self, *, inline: bool = False) -> None:
        self._pools = {lane: WorkerPool(lane, inline=inline, start=lane == "interactive") for lane in LANES}
        if not inline:
            import_result_types()

    def pool(self, lane: Lane) -> WorkerPool:
        """The pool of ``lane``."""
        return self._pools[lane]

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """``WorkerPool.submit`` on the lane ``fn`` is declared for ("interactive" when undeclared)."""
        spec = declared(fn)
        return self._pools[spec.lane if spec is not None else "interactive"].submit(fn, *args, **kwargs)

    def cancel(self, lane: Lane) -> None:
        """Cancel every request of ``lane`` (running ones stop, or their worker is replaced)."""
        self._pools[lane].cancel_all()

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop every lane's workers: the interactive and background ones at once (they only read and
        draw, nothing needs flushing), cancelled exports after up to ``timeout`` s (so they may remove
        their temporary files)."""
        for lane, pool in self._pools.items():
            pool.shutdown(timeout if lane == "export" else 0.0)


def import_result_types() -> None:
    """Import what results are made of in the calling thread, before any result arrives.

    Results are unpickled in the pool's own thread as soon as they arrive. Were that thread importing
    shapely while another one imports it (the app's panels), the two imports could meet halfway
    (shapely's modules import each other) and fail with "partially initialized module"; and an
    import there holds the GIL while the app waits to paint the first picture.
    """
    for name in RESULT_MODULES:
        importlib.import_module(name)
