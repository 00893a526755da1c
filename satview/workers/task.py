"""The worker side of :class:`satview.workers.pool.WorkerPool`: the running task's context, the memory cap.

A pool's worker process starts with :func:`init_worker` (the client's environment and folder, the
address-space cap, a connection back to the client for events) and runs each task through
:func:`run_task`. Inside a task, core code calls :func:`report_progress` and :func:`should_cancel`;
outside one (a plain in-process call) both are harmless no-ops.

Failures keep their meaning across the process boundary: a ``SatviewError`` travels as it is; a
``MemoryError`` (the cap is an input-caused limit) becomes a ``TooLargeError`` naming the file;
any other exception is a bug and travels as its own type (or, when it does not pickle, as a
:class:`WorkerError` stand-in with the same text); the pool attaches the worker's traceback text as
its ``__cause__``. Nothing here turns a bug into "damaged file".
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from satview.errors import SatviewError, TooLargeError

GiB = 1 << 30


class Progress(NamedTuple):
    """A progress event: ``fraction`` done (0-1) and what is being done."""

    fraction: float
    message: str


class WorkerError(Exception):
    """Stand-in for an exception of a worker that could not be pickled: ``"TypeName: text"``."""


@dataclass(frozen=True)
class TaskContext:
    """What the running task may use: ``emit(event)`` to the client, ``cancelled()``."""

    emit: Callable[[Any], None]
    cancelled: Callable[[], bool]


_CURRENT: contextvars.ContextVar[TaskContext | None] = contextvars.ContextVar("satview_task", default=None)
_CONN: Any = None  # worker side: the connection events travel back on
_CANCELLED: Any = None  # worker side: shared array of the ids of cancelled tasks


def emit(event: Any) -> None:
    """Send a picklable ``event`` to the client's ``on_event`` callback (no-op outside a task)."""
    ctx = _CURRENT.get()
    if ctx is not None:
        ctx.emit(event)


def report_progress(fraction: float, message: str = "") -> None:
    """Report progress of the running task to the client's ``progress`` callback."""
    emit(Progress(float(fraction), str(message)))


def should_cancel() -> bool:
    """True when the client cancelled the running task (long work checks this between steps)."""
    ctx = _CURRENT.get()
    return bool(ctx is not None and ctx.cancelled())


def memory_cap() -> int | None:
    """The address-space cap of a worker process in bytes (None: no cap).

    ``SATVIEW_WORKER_MEMORY`` (bytes, or with a K/M/G suffix; 0 for none) overrides the default,
    which on Linux is the smaller of 8 GiB and 75 % of the physical memory (never below 2 GiB).
    """
    text = os.environ.get("SATVIEW_WORKER_MEMORY", "").strip()
    if text:
        try:
            scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(text[-1].lower(), 1)
            value = int(float(text.rstrip("kKmMgG")) * scale)
        except ValueError:
            value = -1
        if value >= 0:
            return value or None
    if not sys.platform.startswith("linux"):
        return None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * GiB
    return max(min(8 * GiB, int(ram * 0.75)), 2 * GiB)


def apply_memory_cap(cap: int | None) -> None:
    """Cap this process's address space at ``cap`` bytes (``RLIMIT_AS``; Linux), and keep glibc from
    reserving a 64 MiB heap per thread, which would spend the cap on reservations."""
    if not cap or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.mallopt(-8, 4)  # M_ARENA_MAX = 4


def init_worker(address: Any, authkey: bytes, cancelled: Any, cap: int | None, environ: dict[str, str],
                cwd: str, path: list[str]) -> None:
    """Pool initializer (worker side): the client's environment, folder and ``sys.path`` as they are
    now (a worker forked from a fork server started earlier would have those of that moment), the
    memory cap, the event connection, and the preload (a no-op when forked from the preloaded fork
    server)."""
    global _CONN, _CANCELLED
    from multiprocessing.connection import Client

    from satview.workers.preload import warm

    os.environ.clear()
    os.environ.update(environ)
    with contextlib.suppress(OSError):
        os.chdir(cwd)
    sys.path[:] = path
    apply_memory_cap(cap)
    _CANCELLED = cancelled
    if address is not None:
        with contextlib.suppress(OSError):  # no events then; the tasks still run
            _CONN = Client(address, authkey=authkey)
            _CONN.send((0, os.getpid()))  # "task 0": this worker's pid, for the client's list of workers
            if _CONN.poll(30):  # the client listens to this connection now: no event of a task is missed
                _CONN.recv()
    warm()


def _send(task_id: int, event: Any) -> None:
    if _CONN is not None:
        with contextlib.suppress(OSError, ValueError):
            _CONN.send((task_id, event))


def run_task(task_id: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
             path: str | None) -> Any:
    """Worker side: run ``fn(*args, **kwargs)`` as task ``task_id`` (see the module docstring)."""
    ctx = TaskContext(lambda event: _send(task_id, event),
                      lambda: _CANCELLED is not None and task_id in _CANCELLED[:])
    return call(ctx, fn, args, kwargs, path, portable=True)


def call(ctx: TaskContext, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
         path: str | None, *, portable: bool) -> Any:
    """Run ``fn`` with ``ctx`` as the task context; ``portable``: the exception must pickle."""
    token = _CURRENT.set(ctx)
    try:
        return fn(*args, **kwargs)
    except SatviewError:
        raise
    except MemoryError as exc:  # the worker's memory cap (or the machine's) was reached
        raise TooLargeError("not enough memory: the file needs more than the reader process may use",
                            path) from exc
    except Exception as exc:  # a bug: its own type when it pickles (the pool adds the traceback)
        if portable and not _pickles(exc):
            raise WorkerError(f"{type(exc).__qualname__}: {exc}") from exc
        raise
    finally:
        _CURRENT.reset(token)


def _pickles(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # any failure to round-trip means "send the stand-in"
        return False
    return True
