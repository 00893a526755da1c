"""The one thread pool of a satview process, for work that releases the GIL (numpy, zlib).

The stretch's chunks, the quick-look's PNG deflate pieces and the batch contact sheet's thumbnails
all run here, so no command starts threads twice. Its size (at most 4) follows ``SATVIEW_THREADS``
(:func:`satview.core.env.threads`) when it first starts; with one thread allowed (a batch worker on
a full machine) jobs run in the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from satview.core.env import threads

_T = TypeVar("_T")
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def run_parallel(fn: Callable[..., _T], jobs: list[tuple[Any, ...]]) -> list[_T]:
    """``[fn(*job) for job in jobs]``, on the shared thread pool when there are two jobs or more."""
    global _POOL
    n_threads = threads()
    if len(jobs) < 2 or n_threads < 2:
        return [fn(*j) for j in jobs]
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=min(4, n_threads), thread_name_prefix="satview-threads")
    return list(_POOL.map(lambda j: fn(*j), jobs))
