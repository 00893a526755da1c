"""Background tasks for the GUI: QRunnables with a separate signal holder, kept alive until done,
on two thread pools (render, export) that are drained on quit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class TaskSignals(QObject):
    """Signals of one ``Task`` (a QRunnable cannot carry signals itself).

    ``sig_result(object)`` the return value; ``sig_failed(object)`` the exception;
    ``sig_progress(float, str)``; ``sig_finished()`` always last.
    """

    sig_result = Signal(object)
    sig_failed = Signal(object)
    sig_progress = Signal(float, str)
    sig_finished = Signal()


class Task(QRunnable):
    """Run ``fn(*args, **kwargs)`` on a pool thread and report through ``self.signals``.

    If ``fn`` accepts a ``progress`` keyword (``with_progress=True``) it gets a callable
    ``progress(fraction, message)`` that emits ``sig_progress`` from any thread. In satview ``fn``
    only waits on a ``satview.workers`` future: decoding happens in a worker process.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False,
                 name: str = "", **kwargs: Any) -> None:
        super().__init__()
        self.signals = TaskSignals()
        self.name = name or getattr(fn, "__name__", "task")
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._with_progress = with_progress

    def progress(self, fraction: float, message: str = "") -> None:
        """Emit ``sig_progress`` (thread-safe)."""
        self.signals.sig_progress.emit(float(fraction), str(message))

    def run(self) -> None:
        """Run the function; emit exactly one of result/failed, then finished. Never raises."""
        try:
            kwargs = dict(self._kwargs)
            if self._with_progress:
                kwargs["progress"] = self.progress
            result = self._fn(*self._args, **kwargs)
        except BaseException as exc:  # reported, never lost
            self.signals.sig_failed.emit(exc)
        else:
            self.signals.sig_result.emit(result)
        finally:
            self._fn = self._args = self._kwargs = None  # type: ignore[assignment]
            self.signals.sig_finished.emit()


class TaskRunner(QObject):
    """Own thread pools for tasks: "render" (2 threads) and "export" (1 thread).

    Running tasks are kept in a set until their ``sig_finished`` is handled, so neither the task
    nor its signal holder is garbage-collected early. ``sync=True`` runs tasks inline in the
    calling thread (tests). Connect ``shutdown`` to ``QCoreApplication.aboutToQuit``.
    """

    def __init__(self, parent: QObject | None = None, *, sync: bool = False, render_threads: int = 2,
                 export_threads: int = 1) -> None:
        super().__init__(parent)
        self.sync = sync
        self._pools: dict[str, QThreadPool] = {}
        for name, n in (("render", render_threads), ("export", export_threads)):
            pool = QThreadPool(self)
            pool.setMaxThreadCount(max(1, n))
            self._pools[name] = pool
        self._tasks: set[Task] = set()
        self._closed = False

    @property
    def active(self) -> int:
        """Number of tasks started and not yet finished."""
        return len(self._tasks)

    def pool(self, name: str) -> QThreadPool:
        """The thread pool called ``name`` ("render" or "export")."""
        return self._pools[name]

    def start(self, task: Task, pool: str = "render") -> Task:
        """Start ``task`` on ``pool``; returns it (connect its signals before calling this)."""
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        self._tasks.add(task)
        task.signals.sig_finished.connect(self._reap)
        if self.sync:
            task.run()
        else:
            self._pools[pool].start(task)
        return task

    @Slot()
    def _reap(self) -> None:
        sender = self.sender()
        for t in list(self._tasks):
            if t.signals is sender:
                self._tasks.discard(t)
                t.signals.deleteLater()  # drops its connections (and any lambdas they hold)
                break

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Drop queued tasks and wait for running ones (True when all finished in time). Idempotent."""
        self._closed = True
        ok = True
        for pool in self._pools.values():
            pool.clear()
            ok = pool.waitForDone(timeout_ms) and ok
        if ok:
            self._tasks.clear()  # all ran; their queued finished signals no longer matter
        return ok
