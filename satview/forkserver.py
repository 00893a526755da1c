"""The one fork server of a satview process, from which its worker processes fork (Linux).

Batch workers (a local pool or a Dask ``LocalCluster``) and the CLI's isolated readers start as
forks of a fork server: a clean process that imported what they need once, so each of them starts
with numpy, rasterio and satview's readers loaded instead of spending half a second importing them.
A process has at most one fork server: the first caller's preload list wins, later callers reuse it
as it is (their children import what it lacks themselves).

Commands start it as soon as they know they will need it, before their own heavy imports, so that
it loads on another core meanwhile: this module imports only the standard library. Elsewhere than
on Linux children are spawned instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
from collections.abc import Sequence
from multiprocessing.context import BaseContext

#: Imported by the fork server of batch workers: loads every task's modules (see satview.core.batch.worker).
BATCH_WARM = "satview.core.batch._warm"
#: What batch workers preload per command (a clip's AOI handling also loads pyproj: 0.15 s more).
BATCH_PRELOAD: dict[str, tuple[str, ...]] = {
    "quicklook": (BATCH_WARM,),
    "clip": (BATCH_WARM, "satview.core.clip"),
}
#: What Dask ``LocalCluster`` workers preload on top.
DASK_PRELOAD: tuple[str, ...] = ("distributed",)


def available() -> bool:
    """True where children fork from the fork server (Linux); elsewhere they are spawned."""
    return sys.platform.startswith("linux")


def start(preload: Sequence[str] = ()) -> BaseContext:
    """The multiprocessing context for satview's children: on Linux the fork server, started now (if it
    does not run yet) with ``preload`` importing in the background; elsewhere "spawn"."""
    if not available():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    with contextlib.suppress(Exception):  # ignored once the server runs
        ctx.set_forkserver_preload(list(preload))
    forkserver.ensure_running()
    return ctx


def batch_preload(command: str, dask: bool = False) -> tuple[str, ...]:
    """The fork server's preload for the workers of a batch ``command`` ("quicklook", "clip")."""
    return BATCH_PRELOAD.get(command, (BATCH_WARM,)) + (DASK_PRELOAD if dask else ())
