"""The open scenes a worker process keeps between requests, and the first pictures it drew or prefetched.

A request names a scene by (path, dataset); the worker keeps the last :data:`MAX_SCENES` of them open,
keyed by (path, dataset, mtime, size) so that a file changed on disk is opened again. Next to each
open scene the worker keeps its first picture (``open_view``'s result), so a prefetched scene
(``requests.prefetch``) opens at once when the user steps to it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

#: Open scenes a worker keeps (each holds file handles and a few overview arrays).
MAX_SCENES = 4
_SCENES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_VIEWS: dict[tuple[Any, ...], Any] = {}  # (scene key, max size) -> open_view's result
_LOCK = threading.Lock()


def scene_key(path: str, dataset: str | None) -> tuple[Any, ...]:
    """(path, dataset, mtime, size) of the scene as it is on disk now."""
    try:
        st = os.stat(path)
        stamp: tuple[Any, ...] = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = ()
    return (os.fspath(path), dataset, *stamp)


def scene(path: str, dataset: str | None) -> Any:
    """The open scene for (path, dataset), opened now unless it is cached (and unchanged)."""
    from satview.core import open_scene

    key = scene_key(path, dataset)
    with _LOCK:
        cached = _SCENES.get(key)
        if cached is not None and not cached.closed:
            _SCENES.move_to_end(key)
            return cached
    opened = open_scene(path, **({"dataset": dataset} if dataset else {}))
    with _LOCK:
        _SCENES[key] = opened
        while len(_SCENES) > MAX_SCENES:
            old_key, old = _SCENES.popitem(last=False)
            for view_key in [k for k in _VIEWS if k[0] == old_key]:
                del _VIEWS[view_key]
            with contextlib.suppress(OSError):
                old.close()
    return opened


def cached_view(path: str, dataset: str | None, max_size: int) -> Any | None:
    """The first picture kept for the scene (see :func:`keep_view`), or None."""
    with _LOCK:
        return _VIEWS.get((scene_key(path, dataset), max_size))


def keep_view(path: str, dataset: str | None, max_size: int, view: Any) -> None:
    """Keep ``open_view``'s result for the scene while the scene stays open."""
    key = scene_key(path, dataset)
    with _LOCK:
        if key in _SCENES:
            _VIEWS[(key, max_size)] = view


def close_all() -> None:
    """Close every cached scene of this process."""
    with _LOCK:
        _VIEWS.clear()
        while _SCENES:
            _, s = _SCENES.popitem()
            with contextlib.suppress(OSError):
                s.close()


def portable_info(info: Any) -> Any:
    """``info`` made safe to pickle: metadata entries that do not pickle are dropped."""
    try:
        pickle.dumps(info)
        return info
    except Exception:  # any pickling failure: drop the entries that cause it
        meta = {}
        for k, v in info.metadata.items():
            try:
                pickle.dumps(v)
            except Exception:  # this entry does not travel
                continue
            meta[k] = v
        return replace(info, metadata=meta)
