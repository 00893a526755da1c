"""Run scene decoding in a separate worker process (spawn), so a crashing or GIL-holding reader
cannot freeze or kill the window.

Two halves:

- ``svc_*`` functions run **in the worker process**. They keep a small LRU cache of open scenes
  keyed by (path, dataset, mtime, size) and return plain picklable values. Long ones report
  progress and honour cancellation through :func:`report_progress` / :func:`should_cancel`,
  which talk to the client through a queue and a shared counter given to the pool initializer.
- :class:`ReaderService` is the client: one ``ProcessPoolExecutor(max_workers=1)`` with a spawn
  context. ``submit(fn, *args)`` returns a ``Future``; when the process dies the future fails with
  ``ReaderCrashedError("... the reader crashed on FILE ...")`` and the process is started again.
  ``inline=True`` runs the same functions in the calling thread (tests, ``Session(sync=True)``).

Protection: every request on a file has a deadline scaled by the file's size (:data:`DEADLINES`,
e.g. 30 s + 10 s per GB to open; ``SATVIEW_DEADLINE_SCALE`` multiplies them, 0 turns them off);
when it passes, the worker is killed and replaced and the request fails with
``ReaderTimeoutError`` ("timed out") naming the file. On Linux each worker's address space is
capped (:func:`memory_cap`, ``RLIMIT_AS``; ``SATVIEW_WORKER_MEMORY`` overrides it), so a runaway
allocation fails inside the worker as a ``MemoryError``, reported as "too large".
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import itertools
import os
import pickle
import queue as queue_mod
import sys
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import CancelledError as FutureCancelled
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing import get_context
from typing import Any

from satview.errors import (
    CancelledError,
    ReaderCrashedError,
    ReaderTimeoutError,
    SatviewError,
    TooLargeError,
    input_error,
)

ProgressFn = Callable[[float, str], None]

_MAX_SCENES = 4
_SCENES: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_SCENES_LOCK = threading.Lock()


# ----------------------------------------------------------------- task context (both sides)


@dataclass(frozen=True)
class _TaskContext:
    task_id: int
    progress: ProgressFn
    cancelled: Callable[[], bool]


_CURRENT: contextvars.ContextVar[_TaskContext | None] = contextvars.ContextVar("satview_task", default=None)
_QUEUE: Any = None  # worker side: progress queue given to the initializer
_CANCEL: Any = None  # worker side: shared counter; tasks with id <= its value are cancelled
_RUNNING: Any = None  # worker side: shared value, the id of the task running now (0: none)

GiB = 1 << 30

#: Deadlines by request: (seconds, extra seconds per GB of the file). Others get ``_DEFAULT_DEADLINE``
#: when they name a file, none otherwise. Exports write whole scenes, so they get much longer.
DEADLINES: dict[str, tuple[float, float]] = {
    "svc_open": (30.0, 10.0), "svc_open_view": (30.0, 10.0), "svc_levels": (30.0, 10.0),
    "svc_display": (30.0, 10.0), "svc_render": (30.0, 10.0), "svc_pixel": (30.0, 10.0),
    "svc_locate": (30.0, 10.0), "svc_pixel_at": (30.0, 10.0), "svc_reproject_view": (60.0, 20.0),
    "svc_extent_area": (60.0, 20.0), "svc_quicklook": (120.0, 30.0), "svc_clip": (600.0, 120.0),
    "svc_reproject": (600.0, 120.0),
    "svc_warmup": (0.0, 0.0), "svc_pid": (0.0, 0.0),
}  # fmt: skip
_DEFAULT_DEADLINE = (30.0, 10.0)
_AUTO: Any = object()


def report_progress(fraction: float, message: str = "") -> None:
    """Report progress of the running task (no-op outside a service task)."""
    ctx = _CURRENT.get()
    if ctx is not None:
        with contextlib.suppress(Exception):
            ctx.progress(float(fraction), str(message))


def should_cancel() -> bool:
    """True when the client cancelled the running task."""
    ctx = _CURRENT.get()
    return bool(ctx is not None and ctx.cancelled())


class RemoteTraceback(Exception):
    """The traceback text of an exception raised in the worker process (its ``__cause__``)."""

    def __str__(self) -> str:
        return "\n" + (self.args[0] if self.args else "")


@dataclass(frozen=True)
class _Failure:
    """An exception of the worker, returned as a value so its type, message, path and category survive."""

    cls: type
    message: str
    path: str | None
    args: tuple[Any, ...]
    tb: str
    category: str | None = None

    def rebuild(self) -> BaseException:
        exc: BaseException
        try:
            if issubclass(self.cls, SatviewError):
                exc = self.cls(self.message, self.path, category=self.category)
            else:
                exc = self.cls(*self.args)
        except Exception:
            exc = RuntimeError(f"{self.cls.__name__}: {self.message}")
        exc.__cause__ = RemoteTraceback(self.tb)
        return exc


def _failure(exc: BaseException) -> _Failure:
    tb = "".join(traceback.format_exception(exc))
    if isinstance(exc, SatviewError):
        return _Failure(type(exc), exc.message, exc.path, (), tb, exc.category)
    args = exc.args
    try:
        pickle.dumps((type(exc), args))
    except Exception:
        text = f"{type(exc).__name__}: {exc}"
        return _Failure(RuntimeError, text, None, (text,), tb)
    return _Failure(type(exc), str(exc), None, args, tb)


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
    if not cap:
        return
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        return
    with contextlib.suppress(Exception):
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 4)  # M_ARENA_MAX = 4


def _init_worker(progress_queue: Any, cancel_mark: Any, running: Any = None, cap: int | None = None) -> None:
    """Pool initializer (worker side): keep the shared values, cap the memory, import the stack."""
    global _QUEUE, _CANCEL, _RUNNING
    _QUEUE, _CANCEL, _RUNNING = progress_queue, cancel_mark, running
    apply_memory_cap(cap)
    svc_warmup()


def _run(task_id: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Worker side: run ``fn`` with a task context; exceptions come back as ``_Failure`` values."""
    def cancelled() -> bool:
        return _CANCEL is not None and _CANCEL.value >= task_id

    def progress(f: float, m: str) -> None:
        if _QUEUE is not None:
            _QUEUE.put((task_id, f, m))

    if _RUNNING is not None:  # shared memory, seen by the client's deadline watch at once
        _RUNNING.value = task_id
    try:
        return _call(_TaskContext(task_id, progress, cancelled), fn, args, kwargs)
    finally:
        if _RUNNING is not None:
            _RUNNING.value = 0


def _call(ctx: _TaskContext, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    token = _CURRENT.set(ctx)
    try:
        if ctx.cancelled():
            raise CancelledError("the task was cancelled before it started")
        return fn(*args, **kwargs)
    except MemoryError as exc:  # the worker's memory cap (or the machine's) was reached
        path = args[0] if args and isinstance(args[0], str) else None
        err = TooLargeError("not enough memory: the file needs more than the reader process may use", path)
        err.__cause__ = exc
        return _failure(err)
    except SatviewError as exc:
        return _failure(exc)
    except Exception as exc:
        path = args[0] if args and isinstance(args[0], str) else None
        if path is None or not getattr(fn, "__name__", "").startswith("svc_"):
            return _failure(exc)
        # a request on a user's file tripped over its content outside the readers' own checks
        # (rendering, statistics, export): categorised and naming the file, traceback kept as cause
        return _failure(input_error(exc, path, _what(fn)))
    finally:
        _CURRENT.reset(token)


# ------------------------------------------------------------------------ worker functions


def svc_warmup() -> int:
    """Import the heavy modules (numpy, rasterio, readers, render) so the first request is fast."""
    import numpy  # noqa: F401
    import rasterio  # noqa: F401

    import satview.core.render  # noqa: F401
    from satview.core.readers import readers

    readers()
    return os.getpid()


def svc_pid() -> int:
    """The worker's process id (tests)."""
    return os.getpid()


def svc_crash_for_tests(path: str) -> None:
    """Kill the worker process abruptly, like a crashing C reader (tests only)."""
    os._exit(1)


def svc_hang_for_tests(path: str, seconds: float = 3600.0) -> None:
    """Block without checking for cancellation, like a C reader in an endless loop (tests only)."""
    import time as _time

    _time.sleep(seconds)


def svc_allocate_for_tests(path: str, nbytes: int) -> int:
    """Allocate and touch ``nbytes`` (tests of the memory cap); returns the worker's pid."""
    import numpy as np

    a = np.ones(int(nbytes), dtype=np.uint8)
    return int(a[-1]) and os.getpid()


def svc_wait_for_tests(seconds: float, step: float = 0.02) -> int:
    """Report progress for up to ``seconds`` unless cancelled (tests of progress and cancel)."""
    import time

    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        if should_cancel():
            raise CancelledError("the test task was cancelled")
        report_progress((time.monotonic() - start) / seconds, f"step {n}")
        n += 1
        time.sleep(step)
    return n


def _scene(path: str, dataset: str | None) -> Any:
    """The open scene for (path, dataset) from the LRU cache (reopened when the file changed)."""
    from satview.core import open_scene

    try:
        st = os.stat(path)
        stamp: tuple[Any, ...] = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = ()
    key = (os.fspath(path), dataset, *stamp)
    with _SCENES_LOCK:
        scene = _SCENES.get(key)
        if scene is not None and not scene.closed:
            _SCENES.move_to_end(key)
            return scene
    scene = open_scene(path, **({"dataset": dataset} if dataset else {}))
    with _SCENES_LOCK:
        _SCENES[key] = scene
        while len(_SCENES) > _MAX_SCENES:
            _, old = _SCENES.popitem(last=False)
            with contextlib.suppress(Exception):
                old.close()
    return scene


def close_scenes() -> None:
    """Close every cached scene of this process."""
    with _SCENES_LOCK:
        while _SCENES:
            _, s = _SCENES.popitem()
            with contextlib.suppress(Exception):
                s.close()


def portable_info(info: Any) -> Any:
    """``info`` made safe to pickle: metadata entries that do not pickle are dropped."""
    try:
        pickle.dumps(info)
        return info
    except Exception:
        meta = {}
        for k, v in info.metadata.items():
            try:
                pickle.dumps(v)
                meta[k] = v
            except Exception:
                continue
        return replace(info, metadata=meta)


def svc_open(path: str, dataset: str | None = None) -> tuple[Any, Any, Any, Any]:
    """Open a scene: (SceneInfo, default DisplaySpec, render-space Levels, HistogramData)."""
    from satview.core.render import compute_display_levels, default_display

    scene = _scene(path, dataset)
    spec = default_display(scene.info)
    levels, hist = compute_display_levels(scene, spec)
    return portable_info(scene.info), spec, levels, hist


def svc_open_view(path: str, dataset: str | None = None, max_size: int = 1024,
                  generation: int = 0) -> tuple[Any, Any, Any, Any, Any]:
    """Open a scene and draw its first picture from one read: (info, spec, levels, hist, RenderResult)."""
    from satview.core.render import default_display, display_overview

    scene = _scene(path, dataset)
    spec = default_display(scene.info)
    levels, hist, result = display_overview(scene, spec, max_size, generation=generation)
    return portable_info(scene.info), spec, levels, hist, result


def svc_step(path: str, dataset: str | None, spec: Any, levels: Any, max_size: int = 1024,
             reply: bool = True) -> tuple[Any, ...] | None:
    """A date of a stack drawn with the previous date's display (and ``levels`` when fixed):
    (info, spec, levels, hist, RenderResult). ``reply=False`` only prefetches: the scene stays open
    and its picture cached (:func:`satview.core.stack.step.step_overview`) for the real request."""
    from satview.core.stack.step import step_overview

    scene = _scene(path, dataset)
    out = step_overview(scene, spec, levels, max_size)
    return (portable_info(scene.info), *out) if reply else None


def svc_levels(path: str, dataset: str | None, spec: Any) -> tuple[Any, Any]:
    """Render-space levels and histograms of ``spec`` (one overview read)."""
    from satview.core.render import compute_display_levels

    return compute_display_levels(_scene(path, dataset), spec)


def svc_display(path: str, dataset: str | None, spec: Any, max_size: int = 1024,
                generation: int = 0) -> tuple[Any, Any, Any]:
    """(levels, histograms, coarse RenderResult) of ``spec``, from one overview read."""
    from satview.core.render import display_overview

    return display_overview(_scene(path, dataset), spec, max_size, generation=generation)


def svc_render(path: str, dataset: str | None, spec: Any, levels: Any, plan: Any, coarse: bool = False,
               generation: int = 0) -> Any:
    """``render.render_view`` of the cached scene."""
    from satview.core.render import render_view

    return render_view(_scene(path, dataset), spec, levels, plan, coarse=coarse, generation=generation)


def svc_pixel(path: str, dataset: str | None, row: int, col: int) -> Any:
    """``pixel.query_pixel`` at (row, col)."""
    from satview.core.pixel import locate, query_pixel

    scene = _scene(path, dataset)
    r, c = locate(scene, rowcol=(row, col))
    return query_pixel(scene, r, c)


def svc_locate(path: str, dataset: str | None, lonlat: tuple[float, float] | None = None,
               xy: tuple[float, float] | None = None) -> tuple[int, int]:
    """(row, col) of a lon/lat or map x/y point (``pixel.locate``)."""
    from satview.core.pixel import locate

    return locate(_scene(path, dataset), lonlat=lonlat, xy=xy)


def svc_pixel_at(path: str, dataset: str | None, lonlat: tuple[float, float] | None = None,
                 xy: tuple[float, float] | None = None) -> Any:
    """The PixelReport of the cell holding a lon/lat or map x/y point."""
    from satview.core.pixel import locate, query_pixel

    scene = _scene(path, dataset)
    return query_pixel(scene, *locate(scene, lonlat=lonlat, xy=xy))


def svc_clip(path: str, dataset: str | None, aoi: Any, out_path: str, bands: list[str] | None = None,
             all_touched: bool = False, dst_crs: Any = None, cog: bool = False) -> Any:
    """``clip.clip_scene`` with progress and cancellation."""
    from satview.core.clip import clip_scene

    return clip_scene(_scene(path, dataset), aoi, out_path, bands=bands, all_touched=all_touched,
                      dst_crs=dst_crs, cog=cog, progress=report_progress, should_cancel=should_cancel)


def svc_quicklook(path: str, dataset: str | None, spec: Any, levels: Any, out_path: str,
                  size: int = 2048) -> Any:
    """A georeferenced quick-look PNG of what is displayed (composite, stretch, overlays)."""
    import numpy as np

    from satview.core.quicklook import quicklook_shape, quicklook_transform, save_quicklook
    from satview.core.render import render_array

    scene = _scene(path, dataset)
    report_progress(0.05, "reading the overview")
    shape = quicklook_shape(scene.info.grid, size)
    rgba = render_array(scene, spec, levels, shape)
    if should_cancel():
        raise CancelledError("the quick-look export was cancelled", out_path)
    report_progress(0.7, "writing the PNG")
    names = tuple(spec.bands) if spec.mode != "index" else (str(spec.index),)
    result = save_quicklook(np.moveaxis(rgba, -1, 0), out_path, scene.info.grid.crs,
                            quicklook_transform(scene.info.grid, shape), names, levels)
    report_progress(1.0, "done")
    return result


def svc_reproject(path: str, dataset: str | None, out_path: str, dst_crs: Any,
                  bands: list[str] | None = None, resampling: str = "nearest",
                  resolution: float | None = None) -> Any:
    """``reproject.reproject_scene`` with progress and cancellation."""
    from satview.core.reproject import reproject_scene

    return reproject_scene(_scene(path, dataset), out_path, dst_crs, bands=bands, resampling=resampling,
                           resolution=resolution, progress=report_progress, should_cancel=should_cancel)


def svc_reproject_view(path: str, dataset: str | None, spec: Any, levels: Any, dst_crs: Any,
                       screen: tuple[int, int] = (1024, 1024), generation: int = 0) -> Any:
    """``render.render_reprojected``: the whole scene warped to ``dst_crs`` at screen resolution."""
    from satview.core.render import render_reprojected

    return render_reprojected(_scene(path, dataset), spec, levels, dst_crs, screen, generation=generation)


def svc_extent_area(path: str, dataset: str | None = None) -> dict[str, Any]:
    """Sea-ice extent and area (``seaice.scene_extent_and_area``)."""
    from satview.core.seaice import scene_extent_and_area

    report_progress(0.1, "reading the concentration")
    out = scene_extent_and_area(_scene(path, dataset))
    report_progress(1.0, "done")
    return out


# ----------------------------------------------------------------------------------- client


def _what(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", "working")
    return {
        "svc_open": "opening it", "svc_open_view": "opening it", "svc_render": "drawing it",
        "svc_display": "drawing it", "svc_levels": "computing its statistics",
        "svc_pixel": "reading a pixel", "svc_pixel_at": "reading a pixel", "svc_clip": "clipping it",
        "svc_quicklook": "writing a quick-look", "svc_reproject": "reprojecting it",
        "svc_reproject_view": "reprojecting the view", "svc_extent_area": "measuring the ice",
    }.get(name, "reading it")  # fmt: skip


def crash_error(path: str | None, fn: Callable[..., Any]) -> SatviewError:
    """The error a request gets when the worker process died under it."""
    name = os.path.basename(path) if path else "this file"
    return ReaderCrashedError(
        f"the reader crashed on {name} while {_what(fn)} (the worker process died); "
        "it has been restarted, so you can carry on",
        path,
    )


def timeout_error(path: str | None, fn: Callable[..., Any], seconds: float) -> SatviewError:
    """The error a request gets when it ran past its deadline (the worker was killed and replaced)."""
    name = os.path.basename(path) if path else "this file"
    return ReaderTimeoutError(
        f"the reader timed out on {name} while {_what(fn)} (no result after {seconds:.0f} s); it was "
        "stopped and restarted, so you can carry on",
        path,
    )


def deadline_for(fn: Callable[..., Any], path: str | None, scale: float | None = None) -> float | None:
    """Seconds ``fn`` on ``path`` may run (:data:`DEADLINES` scaled by the file's size), or None."""
    if scale is None:
        try:
            scale = float(os.environ.get("SATVIEW_DEADLINE_SCALE", "1") or 1)
        except ValueError:
            scale = 1.0
    if scale <= 0:
        return None
    name = getattr(fn, "__name__", "")
    base, per_gb = DEADLINES.get(name, _DEFAULT_DEADLINE if path else (0.0, 0.0))
    if base <= 0:
        return None
    size = 0
    if path:
        with contextlib.suppress(OSError, ValueError):
            size = os.stat(path).st_size
    return scale * (base + per_gb * size / 1e9)


@dataclass
class _Watch:
    """A submitted request under a deadline (client side)."""

    outer: Future
    fn: Callable[..., Any]
    path: str | None
    deadline: float
    executor: Any
    started: float | None = None


#: Modules the results of ``svc_*`` requests are made of: the shapely footprint, the MTL, render types.
RESULT_MODULES = ("shapely.geometry", "satview.core.landsat", "satview.core.render")


def import_result_types() -> None:
    """Import what the results are made of in the calling thread, before any result arrives.

    Results are unpickled in the pool's own thread as soon as they arrive. Were that thread importing
    shapely while another one imports it (the app's panels), the two imports could meet halfway
    (shapely's modules import each other) and fail with "partially initialized module"; and an
    import there holds the GIL while the app waits to paint the first picture.
    """
    for name in RESULT_MODULES:
        importlib.import_module(name)


class ReaderService:
    """A one-process pool (spawn) running ``svc_*`` functions; restarts itself when the process dies.

    ``submit(fn, *args, path=..., progress=...)`` returns a ``Future``; ``progress(fraction,
    message)`` is called from a helper thread. ``cancel()`` cancels every task submitted so far
    (running ones see ``should_cancel()``, queued ones do not start). ``warm`` starts the process
    and imports numpy/rasterio there at once. ``inline`` runs tasks in the calling thread.
    """

    def __init__(self, name: str = "reader", *, warm: bool = True, inline: bool = False,
                 deadline_scale: float | None = None, memory: int | Any | None = _AUTO) -> None:
        self.name = name
        self.inline = inline
        self.deadline_scale = deadline_scale
        self.memory = memory_cap() if memory is _AUTO else memory
        self._running: Any = None
        self._watches: dict[int, _Watch] = {}
        self._watchdog: threading.Thread | None = None
        self._timeouts = 0
        self._warm = warm
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._last_id = 0
        self._closed = False
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False
        self._queue: Any = None
        self._cancel: Any = None
        self._cancelled_upto = 0
        self._callbacks: dict[int, ProgressFn] = {}
        self._pump: threading.Thread | None = None
        self._pump_stop = threading.Event()
        self._restarts = 0
        if not inline:
            import_result_types()
        if warm and not inline:
            self._start()

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self, kill_now: bool = False) -> None:
        """(Re)create the pool; called with the lock held. ``kill_now`` kills the old process at once."""
        ctx = get_context("spawn")
        old = self._executor
        self._queue = ctx.Queue()
        self._cancel = ctx.Value("q", self._cancelled_upto, lock=False)
        self._running = ctx.Value("q", 0, lock=False)
        self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=ctx, initializer=_init_worker,
            initargs=(self._queue, self._cancel, self._running, self.memory),
        )
        self._broken = False
        self._executor.submit(svc_pid)  # starts the process now (it imports the stack)
        if old is not None:
            _kill(old, timeout=0.0 if kill_now else 0.5)
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch_loop, name=f"satview-{self.name}-deadlines",
                                              daemon=True)
            self._watchdog.start()
        if self._pump is None or not self._pump.is_alive():
            self._pump_stop.clear()
            self._pump = threading.Thread(target=self._pump_loop, name=f"satview-{self.name}-progress",
                                          daemon=True)
            self._pump.start()

    def restart(self) -> None:
        """Stop the worker process (killing a running task) and start a fresh one."""
        with self._lock:
            if self._closed or self.inline:
                return
            self._restarts += 1
            self._start()

    @property
    def restarts(self) -> int:
        """How many times the process was started again."""
        return self._restarts

    @property
    def timeouts(self) -> int:
        """How many requests ran past their deadline (each killed and replaced the worker)."""
        return self._timeouts

    def pids(self) -> list[int]:
        """Process ids of the live worker processes (empty when inline or shut down)."""
        ex = self._executor
        procs = getattr(ex, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.is_alive()]

    def processes(self) -> list[Any]:
        """The worker ``multiprocessing.Process`` objects (tests check none outlives shutdown)."""
        ex = self._executor
        return list((getattr(ex, "_processes", None) or {}).values())

    def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel everything, stop the worker process (killed after ``timeout`` s) and the helper
        thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            ex, self._executor = self._executor, None
            if self._cancel is not None:
                self._cancel.value = 1 << 62
        if ex is not None:
            _kill(ex, timeout)
        self._pump_stop.set()
        if self._queue is not None:  # wake the progress pump at once instead of after its timeout
            with contextlib.suppress(Exception):
                self._queue.put_nowait((0, 0.0, ""))
        if self._pump is not None:
            self._pump.join(2.0)
        if self._queue is not None:
            with contextlib.suppress(Exception):
                self._queue.close()
                self._queue.cancel_join_thread()
        if self.inline:
            close_scenes()

    # -- requests ------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, path: str | None = None,
               progress: ProgressFn | None = None, deadline: float | Any | None = _AUTO,
               **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in the worker; ``path`` names the file in crash messages
        (default: the first argument when it is a string). ``deadline`` is in seconds from the
        moment the worker starts the request (default :func:`deadline_for`; None: no deadline)."""
        if path is None and args and isinstance(args[0], (str, os.PathLike)):
            path = os.fspath(args[0])
        if deadline is _AUTO:
            deadline = deadline_for(fn, path, self.deadline_scale)
        outer: Future = Future()
        with self._lock:
            if self._closed:
                raise SatviewError(f"the {self.name} service has been shut down")
            task_id = next(self._ids)
            self._last_id = task_id
            if self.inline:
                inline = True
            else:
                inline = False
                if self._executor is None or self._broken:
                    self._start()
                if progress is not None:
                    self._callbacks[task_id] = progress
                assert self._executor is not None
                try:
                    inner = self._executor.submit(_run, task_id, fn, args, kwargs)
                except (BrokenProcessPool, RuntimeError):
                    self._start()
                    inner = self._executor.submit(_run, task_id, fn, args, kwargs)
        if inline:
            return self._run_inline(outer, task_id, fn, args, kwargs, progress)
        ex = self._executor
        if deadline is not None and deadline > 0:
            with self._lock:
                self._watches[task_id] = _Watch(outer, fn, path, float(deadline), ex)
        outer.add_done_callback(lambda o: inner.cancel() if o.cancelled() else None)
        inner.add_done_callback(lambda f: self._settle(f, outer, task_id, fn, path, ex))
        return outer

    def _run_inline(self, outer: Future, task_id: int, fn: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any], progress: ProgressFn | None) -> Future:
        ctx = _TaskContext(task_id, progress or (lambda _f, _m: None),
                           lambda: self._cancelled_upto >= task_id)
        outer.set_running_or_notify_cancel()
        result = _call(ctx, fn, args, kwargs)
        if isinstance(result, _Failure):
            outer.set_exception(result.rebuild())
        else:
            outer.set_result(result)
        return outer

    def cancel(self) -> None:
        """Cancel every task submitted so far (running tasks stop at their next check)."""
        with self._lock:
            self._cancelled_upto = self._last_id
            if self._cancel is not None:
                self._cancel.value = self._last_id

    def _settle(self, inner: Future, outer: Future, task_id: int, fn: Callable[..., Any],
                path: str | None, ex: ProcessPoolExecutor | None) -> None:
        self._callbacks.pop(task_id, None)
        with self._lock:
            self._watches.pop(task_id, None)
        if outer.done():  # already failed by its deadline
            return
        try:
            self._settle_outer(inner, outer, fn, path, ex)
        except (RuntimeError, InvalidStateError):  # the deadline watch finished it meanwhile
            return

    def _settle_outer(self, inner: Future, outer: Future, fn: Callable[..., Any], path: str | None,
                      ex: ProcessPoolExecutor | None) -> None:
        if inner.cancelled():
            outer.cancel()
            if not outer.cancelled() and outer.set_running_or_notify_cancel():
                outer.set_exception(FutureCancelled())
            return
        if not outer.set_running_or_notify_cancel():
            return
        exc = inner.exception()
        if exc is None:
            result = inner.result()
            if isinstance(result, _Failure):
                outer.set_exception(result.rebuild())
            else:
                outer.set_result(result)
            return
        if isinstance(exc, BrokenProcessPool):
            with self._lock:
                current = ex is self._executor
                if current:
                    self._broken = True
                closed = self._closed
            if current and not closed:
                threading.Thread(target=self._restart_if_broken, daemon=True).start()
                err = crash_error(path, fn)
                err.__cause__ = exc
                outer.set_exception(err)
                return
            if closed:
                outer.set_exception(SatviewError(f"the {self.name} service was shut down", path))
            else:
                outer.set_exception(SatviewError(
                    f"the {self.name} process was restarted (a request on a file crashed or timed out) "
                    "before this request finished; try again", path))
            return
        outer.set_exception(exc)

    def _watch_loop(self) -> None:
        """Deadline watch (client side): start each request's clock when the worker picks it up, and
        kill and replace the worker when a request runs past its deadline."""
        while not self._closed:
            time.sleep(0.05)
            with self._lock:
                if not self._watches:
                    continue
                running = self._running.value if self._running is not None else 0
                now = time.monotonic()
                expired: list[tuple[int, _Watch]] = []
                for task_id, w in list(self._watches.items()):
                    if w.outer.done():
                        self._watches.pop(task_id, None)
                        continue
                    if w.started is None and task_id == running and w.executor is self._executor:
                        w.started = now
                    if w.started is not None and now - w.started > w.deadline:
                        expired.append((task_id, w))
                for task_id, _w in expired:
                    self._watches.pop(task_id, None)
                if expired and not self._closed and any(w.executor is self._executor for _, w in expired):
                    self._timeouts += len(expired)
                    self._restarts += 1
                    with contextlib.suppress(Exception):
                        self._start(kill_now=True)
            for _task_id, w in expired:
                with contextlib.suppress(RuntimeError, InvalidStateError):
                    if w.outer.set_running_or_notify_cancel():
                        w.outer.set_exception(timeout_error(w.path, w.fn, w.deadline))

    def _restart_if_broken(self) -> None:
        with self._lock:
            if self._broken and not self._closed:
                self._restarts += 1
                with contextlib.suppress(Exception):  # e.g. the interpreter is shutting down
                    self._start()

    def _pump_loop(self) -> None:
        while not self._pump_stop.is_set():
            q = self._queue
            try:
                task_id, f, m = q.get(timeout=0.2)
            except (queue_mod.Empty, OSError, ValueError, EOFError):
                continue
            except Exception:
                continue
            cb = self._callbacks.get(task_id)
            if cb is not None:
                with contextlib.suppress(Exception):
                    cb(f, m)


def _kill(ex: ProcessPoolExecutor, timeout: float) -> None:
    """Shut an executor down: let its process finish for ``timeout`` s, then terminate/kill it
    (``timeout`` 0: kill at once, for a process stuck past its deadline)."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    if timeout <= 0:
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
    with contextlib.suppress(Exception):
        ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(timeout)
        if p.is_alive():
            p.terminate()
            p.join(2.0)
        if p.is_alive():
            p.kill()
            p.join(2.0)
    with contextlib.suppress(Exception):
        ex.shutdown(wait=True)
