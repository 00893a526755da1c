"""GDAL configuration that keeps satview from writing next to (or reading beside) the user's files.

Imported by every core module that touches GDAL, before any dataset is opened. Options are set
in the process environment (GDAL reads them there) so they hold in every thread and in
subprocesses, and are also offered as a ``rasterio.Env`` for code that wants them explicit.
GDAL's own temporary files (``CPL_TMPDIR``) go to ``<cache>/tmp``, set on the first
:func:`ensure_thread_env` (not at import, so importing satview creates no folder).
"""

from __future__ import annotations

import os
import threading
from typing import Any

#: GDAL options satview always runs with.
GDAL_OPTIONS: dict[str, str] = {
    # no .aux.xml side-cars next to inputs (statistics, PAM metadata)
    "GDAL_PAM_ENABLED": "NO",
    # no <file>.gz.properties index next to .tar.gz / .gz inputs
    "CPL_VSIL_GZIP_WRITE_PROPERTIES": "NO",
    # never list or probe the input's folder for side-cars (.ovr, .aux.xml, .msk, world files):
    # satview reads exactly the file it was given (its readers find scene files themselves)
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    # decode the blocks of one read on every core (a GDAL_NUM_THREADS or SATVIEW_THREADS of the user wins)
    "GDAL_NUM_THREADS": "ALL_CPUS",
}
#: Environment variable: how many threads one satview process keeps busy (GDAL's decoding, the stretch,
#: PNG deflate); unset, every CPU. Batch workers that fill the cores between them run with 1 each.
THREADS_ENV = "SATVIEW_THREADS"

for _key, _value in GDAL_OPTIONS.items():
    os.environ.setdefault(_key, _value)


def threads() -> int:
    """Threads satview's parallel work may use in this process: ``SATVIEW_THREADS``, else every CPU."""
    cpus = os.cpu_count() or 1
    try:
        n = int(os.environ.get(THREADS_ENV, ""))
    except ValueError:
        return cpus
    return n if n > 0 else cpus


def gdal_env(**extra: Any):
    """A ``rasterio.Env`` with satview's options (plus ``extra``); GDAL's decoding threads follow
    ``SATVIEW_THREADS`` when it is set, else the environment's ``GDAL_NUM_THREADS`` (satview's default
    ALL_CPUS unless the user set another)."""
    import rasterio

    if os.environ.get(THREADS_ENV):
        n_threads = str(threads())
    else:
        n_threads = os.environ.get("GDAL_NUM_THREADS") or GDAL_OPTIONS["GDAL_NUM_THREADS"]
    return rasterio.Env(**{**GDAL_OPTIONS, "GDAL_NUM_THREADS": n_threads, **extra})


_local = threading.local()


_tmpdir_lock = threading.Lock()
_tmpdir_set = False


def ensure_tmpdir() -> None:
    """Point GDAL's temporary files (``CPL_TMPDIR``) into satview's cache, once per process."""
    global _tmpdir_set
    if _tmpdir_set:
        return
    with _tmpdir_lock:
        if _tmpdir_set:
            return
        _tmpdir_set = True
        try:
            from satview.core.cache import user_cache_dir

            os.environ["CPL_TMPDIR"] = str(user_cache_dir("tmp"))
        except OSError:  # an unwritable cache: GDAL keeps its default
            pass


def ensure_thread_env() -> None:
    """Enter one GDAL environment for the calling thread, kept until the thread ends.

    Without an active environment every ``rasterio.open`` builds and tears down its own, which
    costs about 30 ms per dataset (a Landsat scene opens a dozen of them).
    """
    ensure_tmpdir()
    if getattr(_local, "env", None) is None:
        env = gdal_env()
        env.__enter__()
        _local.env = env
