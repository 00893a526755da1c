"""How batch workers start and run: one fork server with the task modules loaded, threads per worker.

A spawned worker imports numpy, rasterio, shapely, Pillow and satview before its first task (about
0.5 s of CPU each, more than a whole quick-look task). On Linux the workers of a local pool or a Dask
``LocalCluster`` are instead forked from satview's fork server (:mod:`satview.forkserver`), whose
preload imports ``satview.core.batch._warm`` and so runs :func:`warm` once; the CLI starts it
before its own imports and the executors before discovery, so that it loads meanwhile. Elsewhere
workers are spawned and :func:`warm` runs in their initializer.

A task's own threads (GDAL's decoding, the stretch, PNG deflate: ``satview.core.env.threads``)
would only compete with the other workers once the workers fill the cores: each worker gets its
share of the cores in ``SATVIEW_THREADS`` (:func:`threads_per_worker`; 1 when they fill them), which
also saves the threads' hand-over costs (a tenth of a quick-look task's CPU).
"""

from __future__ import annotations

import contextlib
import importlib
import os

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
)


def warm() -> None:
    """Import the modules every task needs (what each worker's first task would otherwise do)."""
    for name in PRELOAD:
        importlib.import_module(name)


def init_worker(environ: dict[str, str], cwd: str) -> None:
    """Initializer of a local pool worker: the parent's environment (with the worker's
    ``SATVIEW_THREADS``) and working folder as they are now (a worker forked from a fork server
    started earlier would have those of that moment), and the warm-up (a no-op when forked from
    the fork server)."""
    os.environ.clear()
    os.environ.update(environ)
    with contextlib.suppress(OSError):
        os.chdir(cwd)
    warm()


def threads_per_worker(workers: int) -> int:
    """Threads each of ``workers`` worker processes may use: its share of satview's threads (every
    CPU unless ``SATVIEW_THREADS`` says less), at least 1."""
    from satview.core.env import threads

    return max(1, threads() // workers)


def worker_environ(workers: int) -> dict[str, str]:
    """This process's environment as a worker of a pool of ``workers`` should see it."""
    from satview.core.env import THREADS_ENV

    return {**os.environ, THREADS_ENV: str(threads_per_worker(workers))}
