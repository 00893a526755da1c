"""The one list of modules worker processes import before their first request, so it is fast.

Every worker (the app's lanes, the CLI's isolated reader, batch workers, Dask ``LocalCluster``
workers) starts from :func:`mp_context`: on Linux a fork server that imported :data:`PRELOAD` once
(and registered GDAL's drivers), so each worker forks with numpy, rasterio, the readers and the
render/export code loaded (a spawned worker spends about a second importing them); elsewhere
workers are spawned and :func:`warm` runs in their initializer.

A module missing from here only makes a first request slower; a module here that no longer exists
is an error: :func:`warm` raises (the tests call it), although the fork server itself skips it.
What the list leaves out is imported by the request that needs it: pyproj (0.15-0.2 s; footprints,
clips, reprojection), h5py and pyhdf (50 ms), the export and CLI modules. Every worker waits for
the whole preload, batch quick-looks never use those, and a single worker (the app's first one, the
CLI's isolated one) imports them at its first use no later than the fork server would have.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections.abc import Sequence
from multiprocessing.context import BaseContext

#: What workers import at start: numpy, rasterio, the readers, drawing, quick-looks and batch tasks.
PRELOAD: tuple[str, ...] = (
    "numpy",
    "rasterio",
    "shapely.geometry",
    "PIL.PngImagePlugin",
    "tarfile",
    "satview.core.readers.builtin",
    "satview.core.readers.landsat",
    "satview.core.readers.gdal_handles",
    "satview.core.readers.read_aligned",
    "satview.core.readers.hdf4",
    "satview.core.readers.hdf5",
    "satview.core.readers.netcdf3",
    "satview.core.archive",
    "satview.core.mtl",
    "satview.core.landsat",
    "satview.core.render",
    "satview.core.quicklook",
    "satview.core.requests",
)
#: Imported on top of :data:`PRELOAD` by the fork server of a batch (the CLI's, a Dask
#: ``LocalCluster``'s): the batch tasks and their options and statistics. In the app, batch workers
#: import them at their first scene, so the app's first picture does not wait for them.
BATCH_PRELOAD: tuple[str, ...] = ("satview.core.batch.tasks",)
#: The module the fork server imports: it runs :func:`warm` (``satview/workers/warm.py``).
SERVER_MODULE = "satview.workers.warm"


def warm() -> None:
    """Import :data:`PRELOAD` and register GDAL's drivers (about 0.2 s otherwise paid per worker).

    Raises ``ImportError`` when a listed module is missing (a renamed module must be renamed here).
    """
    for name in PRELOAD:
        importlib.import_module(name)
    import rasterio

    importlib.import_module("satview.core.env")  # satview's GDAL options (by name: the layer imports no core)

    with rasterio.Env():
        pass  # entering an environment registers every GDAL driver, inherited by each forked worker


def mp_context(extra: Sequence[str] = ()) -> BaseContext:
    """The multiprocessing context of satview's workers: on Linux the fork server, started now if it
    does not run yet (it imports :data:`PRELOAD` on another core meanwhile; ``extra`` modules too,
    e.g. Dask's ``distributed`` for a ``LocalCluster``; the first caller's wins); elsewhere "spawn"."""
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    _short_socket_dir()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([SERVER_MODULE, *extra])  # ignored once the server runs
    forkserver.ensure_running()
    return ctx


def _short_socket_dir() -> None:
    """Keep multiprocessing's socket folder short: a Unix socket path has at most 107 bytes, and under
    a long ``TMPDIR`` the fork server's and the pools' sockets would not bind ("AF_UNIX path too
    long"). Python 3.11 does not fall back to /tmp itself; this does, for this process."""
    import shutil
    import tempfile
    from multiprocessing import process, util

    if process.current_process()._config.get("tempdir") is not None:  # already chosen
        return
    if len(tempfile.gettempdir()) <= 60 or not os.path.isdir("/tmp"):  # room for pymp-*/listener-*
        return
    folder = tempfile.mkdtemp(prefix="pymp-", dir="/tmp")
    util.Finalize(None, shutil.rmtree, args=[folder, True], exitpriority=-100)
    process.current_process()._config["tempdir"] = folder


def forks() -> bool:
    """True where workers fork from the preloaded fork server (Linux)."""
    return sys.platform.startswith("linux")
