"""How batch workers start and run: one fork server with the task modules loaded, GDAL threads per task.

A spawned worker imports numpy, rasterio, shapely, Pillow and satview before its first task (about
0.5 s of CPU each, more than a whole quick-look task). On Linux the workers of a local pool or a Dask
``LocalCluster`` are instead forked from one fork server that imported all that once
(:func:`start_fork_server`; the CLI's reader isolation does the same), and the server is started
early, so that it loads while the parent is still finding the scenes. Elsewhere workers are
spawned and :func:`warm` runs in their initializer.

When the workers fill every core, GDAL's own decoding threads (``GDAL_NUM_THREADS=ALL_CPUS`` in
satview's environment) would only compete with the other workers: the executor then sets
:data:`GDAL_THREADS_ENV` in the workers and every task runs inside :func:`task_env`.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
from collections.abc import Iterator
from multiprocessing.context import BaseContext

#: Modules every batch task uses (opening a scene, quick-look, statistics); imported once by the fork
#: server (or a spawned worker).
PRELOAD = (
    "satview.core.batch.tasks",
    "satview.core.batch.stats",
    "satview.core.readers.builtin",
    "satview.core.readers.landsat",
    "satview.core.readers.gdal_handles",
    "satview.core.readers.read_aligned",
    "satview.core.archive",
    "satview.core.mtl",
    "satview.core.landsat",
    "satview.core.quicklook",
    "shapely.geometry",
    "PIL.PngImagePlugin",
    "tarfile",
    "_strptime",
)
#: What a command's tasks need beyond :data:`PRELOAD` (clip's AOI handling loads pyproj: 0.15 s more).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {"quicklook": (), "clip": ("satview.core.clip",)}
#: The module the fork server imports: importing it runs :func:`warm`.
WARM_MODULE = "satview.core.batch._warm"
#: Environment variable holding the GDAL decoding threads of one task in a worker (unset: satview's default).
GDAL_THREADS_ENV = "SATVIEW_BATCH_GDAL_THREADS"


def warm() -> None:
    """Import the modules every task needs (what each worker's first task would otherwise do)."""
    for name in PRELOAD:
        importlib.import_module(name)


def init_worker(gdal_threads: int | None, environ: dict[str, str], cwd: str) -> None:
    """Initializer of a local pool worker: the parent's environment and working folder as they are
    now (a worker forked from a fork server started earlier would have those of that moment), GDAL's
    thread cap per task (when given), and the warm-up (a no-op when forked from the fork server)."""
    os.environ.clear()
    os.environ.update(environ)
    with contextlib.suppress(OSError):
        os.chdir(cwd)
    if gdal_threads:
        os.environ[GDAL_THREADS_ENV] = str(gdal_threads)
    warm()


def gdal_threads_for(workers: int) -> int | None:
    """GDAL threads per task for ``workers`` worker processes on this machine: 1 when they fill the cores."""
    return 1 if workers >= (os.cpu_count() or 1) else None


@contextlib.contextmanager
def task_env() -> Iterator[None]:
    """satview's GDAL environment for one task in the calling thread, with the worker's thread cap if set."""
    from satview.core.env import ensure_thread_env

    ensure_thread_env()
    threads = os.environ.get(GDAL_THREADS_ENV)
    if not threads:
        yield
        return
    import rasterio

    with rasterio.Env(GDAL_NUM_THREADS=threads):
        yield


def uses_fork_server() -> bool:
    """True where workers fork from a fork server (Linux); elsewhere they are spawned."""
    return sys.platform.startswith("linux")


def start_fork_server(extra: tuple[str, ...] = ()) -> BaseContext:
    """The multiprocessing context for workers: on Linux the fork server, started now with the common task
    modules (and the ``extra`` modules) loading in the background; elsewhere "spawn".

    The fork server is one per process: when it already runs (started by an earlier batch, the CLI's
    reader isolation or Dask) it is reused as it is, and workers import what it lacks themselves.
    """
    if not uses_fork_server():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    with contextlib.suppress(Exception):
        ctx.set_forkserver_preload([WARM_MODULE, *extra])
    forkserver.ensure_running()
    return ctx
