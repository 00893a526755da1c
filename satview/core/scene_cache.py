"""The open scenes a worker process keeps between requests.

A request names a scene by (path, dataset); the worker keeps the last :data:`MAX_SCENES` of them open,
keyed by (path, dataset, mtime, size) so that a file changed on disk is opened again. (Pictures of
prefetched stack dates are kept by :mod:`satview.core.stack.step`.)
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
            _, old = _SCENES.popitem(last=False)
            with contextlib.suppress(OSError):
                old.close()
    return opened


def close_all() -> None:
    """Close every cached scene of this process."""
    with _LOCK:
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
