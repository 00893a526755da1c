"""The app's workers: one :class:`WorkerPool` per lane, so an interactive read never waits behind long work.

- "interactive": opening, drawing, pixels (one process that keeps the open scenes); prefetches run
  here too, at low priority, so the scenes they open are the ones the next requests find;
- "background": view reprojections (long, for the screen; a newer one cancels the older);
- "export": clips, quick-looks, reprojections, sea-ice extent (writing files).

:meth:`Workers.submit` sends a request to the lane its declaration names
(:mod:`satview.workers.declare`). The interactive lane starts at once (its process imports the
stack while the window is built); the others at their first request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from satview.workers.declare import Lane, declared
from satview.workers.pool import WorkerPool

LANES: tuple[Lane, ...] = ("interactive", "background", "export")


class Workers:
    """The three lanes (see the module docstring); ``inline=True`` runs every request in the caller."""

    def __init__(self, *, inline: bool = False) -> None:
        self._pools = {lane: WorkerPool(lane, inline=inline, start=lane == "interactive") for lane in LANES}

    def pool(self, lane: Lane) -> WorkerPool:
        """The pool of ``lane``."""
        return self._pools[lane]

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """``WorkerPool.submit`` on the lane ``fn`` is declared for ("interactive" when undeclared)."""
        spec = declared(fn)
        return self._pools[spec.lane if spec is not None else "interactive"].submit(fn, *args, **kwargs)

    def prefetch(self, paths: Iterable[str], dataset: str | None = None) -> list[Future]:
        """Open ``paths`` and draw their first pictures in the interactive worker, after any other work."""
        from satview.workers.requests import prefetch

        return [self._pools["interactive"].submit(prefetch, p, dataset, priority="low") for p in paths]

    def cancel(self, lane: Lane) -> None:
        """Cancel every request of ``lane`` (running ones stop, or their worker is replaced)."""
        self._pools[lane].cancel_all()

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop every lane's workers (see ``WorkerPool.shutdown``)."""
        for pool in self._pools.values():
            pool.shutdown(timeout)
