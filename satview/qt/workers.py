"""The Qt layer's one door to the worker processes, and the one place that decides what is stale.

``Background`` owns the worker layer (:mod:`satview.workers`) of one main window and runs requests
on it by channel: ``run(channel, fn, *args, done=...)`` submits ``fn(*args)`` to the channel's
workers and calls ``done(result)`` in the GUI thread. The future's completion is relayed to the GUI
thread through one queued signal of the long-lived ``Background`` (no Qt object is made, owned or
destroyed per request, so none can be destroyed from another thread). Failures go to ``sig_failed``
as ``ErrorReport``s (MainWindow connects it to the ``ErrorReporter``, the one route of errors to the
user); ``sig_busy`` and ``sig_progress`` feed the status bar.

Channels, so that an interactive request never waits behind a long one:
  - "display": open, render, pixel readouts, the Files panel's scene facts (the interactive lane of
    :class:`satview.workers.lanes.Workers`: short reads, the worker starts with the app);
  - "view": the reprojected view (the background lane: long, still for the screen);
  - "export": clips, quick-looks, sea-ice extent (the export lane);
  - "files": AOI files, and "batch": whole batches of the Batch dialog (a worker pool each, started
    on first use).
``cancel(channel)`` cancels the channel's futures (the pool stops or replaces the worker); a batch
is asked to stop instead, so it returns what it finished.

``Latest`` hands out request tokens: a result whose token is no longer the newest of its channels
is dropped before anything sees it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from satview.qt.errors import ErrorReport
from satview.qt.gui_gc import collect_in_gui_thread
from satview.workers.declare import Lane
from satview.workers.lanes import Workers
from satview.workers.pool import ProgressFn, WorkerPool

log = logging.getLogger(__name__)

#: The lane of :class:`Workers` each channel runs on; the other channels have a pool of their own.
LANE_OF: dict[str, Lane] = {"display": "interactive", "view": "background", "export": "export"}
#: Channels whose cancel asks the work to stop and keeps its (partial) result.
STOPS_WITH_RESULT = frozenset({"batch"})


class Latest:
    """Request tokens: ``token(*channels)`` is a ``stale()`` test that turns True once any of those
    channels was ``renew``ed after the token was taken. The one owner of "is this result stale"."""

    def __init__(self) -> None:
        self._count: Counter[str] = Counter()

    def renew(self, *channels: str) -> None:
        """Everything requested so far on ``channels`` is out of date."""
        for c in channels:
            self._count[c] += 1

    def token(self, *channels: str) -> Callable[[], bool]:
        """A test telling whether a request made now on ``channels`` is out of date."""
        snap = tuple(self._count[c] for c in channels)
        return lambda: tuple(self._count[c] for c in channels) != snap


@dataclass(frozen=True)
class _Request:
    """What to call in the GUI thread when a request's future is done (or reports progress)."""

    result: Callable[[Any], None]
    failed: Callable[[BaseException], None]
    finished: Callable[[], None]
    progress: Callable[[float, str], None] | None


class Background(QObject):
    """The worker processes of one main window by channel, and the requests sent to them.

    Signals (GUI thread): ``sig_failed(ErrorReport)``, ``sig_busy(bool, str)`` (long work running,
    with its label), ``sig_progress(float, str)``.
    """

    sig_failed = Signal(ErrorReport)
    sig_busy = Signal(bool, str)
    sig_progress = Signal(float, str)
    #: (request id, its finished future) and (request id, fraction, message), emitted from whichever
    #: thread finishes the future or reports progress; queued to the GUI thread.
    _sig_settled = Signal(int, object)
    _sig_progressed = Signal(int, float, str)

    def __init__(self, parent: QObject | None = None, *, sync: bool = False,
                 workers: Workers | None = None) -> None:
        """``workers``: worker lanes started earlier (the app starts them before Qt loads); they are
        taken over and shut down with the others. ``sync``: everything runs inline (tests)."""
        super().__init__(parent)
        collect_in_gui_thread()  # before any thread of ours runs: see satview.qt.gui_gc
        self.sync = sync
        self._requests: dict[int, _Request] = {}  # waiting for their future, by id
        self._ids = itertools.count(1)
        # queued even from the GUI thread (a future cancelled there calls back at once): handlers run
        # from the event loop, never inside the caller's code; inline (sync) requests are handled at once
        how = Qt.ConnectionType.DirectConnection if sync else Qt.ConnectionType.QueuedConnection
        self._sig_settled.connect(self._settled, how)
        self._sig_progressed.connect(self._progressed, how)
        self.workers = workers or Workers(inline=sync)
        self._own: dict[str, WorkerPool] = {}  # "files", "batch"
        self._futures: defaultdict[str, set[Future]] = defaultdict(set)  # unfinished, by channel
        self._lock = threading.Lock()
        self._busy: dict[int, str] = {}
        self._busy_seq = 0
        self._adopted: list[tuple[str, Callable[..., Any], tuple[Any, ...], Future]] = []
        self.closed = False

    def pool(self, channel: str) -> WorkerPool:
        """The workers of ``channel`` (a lane of ``workers``, or its own pool started on first use)."""
        if channel in LANE_OF:
            return self.workers.pool(LANE_OF[channel])
        if channel not in self._own:
            self._own[channel] = WorkerPool(channel, inline=self.sync)
        return self._own[channel]

    def adopt(self, channel: str, future: Future, fn: Callable[..., Any], *args: Any) -> None:
        """Take over ``fn(*args)``, submitted to ``channel``'s workers before the window existed (the
        app asks for the first picture while Qt loads): the next ``run`` of the same request waits
        for ``future`` instead of submitting it again."""
        self._adopted.append((channel, fn, args, future))
        self._track(channel, future)

    def _take_adopted(self, channel: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future | None:
        for i, (c, f, a, future) in enumerate(self._adopted):
            if c == channel and f is fn and a == args:
                del self._adopted[i]
                return future
        return None

    def _track(self, channel: str, future: Future) -> None:
        with self._lock:
            self._futures[channel].add(future)

        def forget(f: Future) -> None:
            with self._lock:
                self._futures[channel].discard(f)

        future.add_done_callback(forget)

    def _submit(self, channel: str, fn: Callable[..., Any], args: tuple[Any, ...], path: str | None,
                progress: ProgressFn | None, priority: str = "normal") -> Future:
        future = self._take_adopted(channel, fn, args)
        if future is None:
            future = self.pool(channel).submit(fn, *args, path=path, progress=progress, priority=priority)
            self._track(channel, future)
        return future

    def fail(self, exc: BaseException, title: str, path: str | None = None) -> None:
        """Send ``exc`` to the user as an ``ErrorReport`` (``sig_failed``)."""
        if self.closed:
            return
        report = ErrorReport.from_exception(exc, title, path)
        log.info("%s", report.status_text)
        self.sig_failed.emit(report)

    def _busy_on(self, label: str) -> int:
        self._busy_seq += 1
        self._busy[self._busy_seq] = label
        self.sig_busy.emit(True, label)
        return self._busy_seq

    def _busy_off(self, token: int) -> None:
        self._busy.pop(token, None)
        if self.closed:
            return
        if self._busy:
            self.sig_busy.emit(True, next(reversed(self._busy.values())))
        else:
            self.sig_busy.emit(False, "")

    def run(
        self,
        channel: str,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None],
        title: str,
        path: str | None = None,
        stale: Callable[[], bool] | None = None,
        finished: Callable[[], None] | None = None,
        failed: Callable[[ErrorReport], None] | None = None,
        busy: str | None = None,
        progress: bool = False,
        on_progress: Callable[[float, str], None] | None = None,
        priority: str = "normal",
    ) -> None:
        """Run ``fn(*args)`` in ``channel``'s worker; ``done(result)`` runs in the GUI thread unless
        ``stale()`` says the request is out of date (errors likewise). ``path`` names the file in
        errors. ``failed(report)`` sees an error too (it is reported anyway). ``finished()`` always
        runs last. ``progress``: the request's progress goes to ``sig_progress`` (the status bar);
        ``on_progress(fraction, message)`` gets it instead. ``priority="low"`` (prefetch) starts only
        when nothing else waits in the worker. A request ``adopt``ed earlier is not submitted again:
        its future is used."""
        if self.closed:
            return
        token = self._busy_on(busy) if busy else None

        def not_busy() -> None:  # with the result, so the status bar is idle once it is shown
            nonlocal token
            if token is not None:
                self._busy_off(token)
                token = None

        def on_result(result: Any) -> None:
            not_busy()
            if self.closed or (stale is not None and stale()):
                return
            try:
                done(result)
            except Exception as exc:  # a bug in a handler: shown, never lost
                self.fail(exc, title, path)

        def on_failed(exc: BaseException) -> None:
            not_busy()
            if self.closed or (stale is not None and stale()):
                return
            self.fail(exc, title, path)
            if failed is not None:
                failed(ErrorReport.from_exception(exc, title, path))

        def on_finished() -> None:
            not_busy()
            if finished is not None and not self.closed:
                try:
                    finished()
                except Exception as exc:  # a bug in a handler: shown, never lost
                    self.fail(exc, title, path)

        shown = on_progress if on_progress is not None else self._on_progress if progress else None
        rid = next(self._ids)
        relay = functools.partial(self._relay_progress, rid) if shown is not None else None
        try:
            future = self._submit(channel, fn, args, path, relay, priority)
        except BaseException:
            not_busy()
            raise
        self._requests[rid] = _Request(on_result, on_failed, on_finished, shown)
        future.add_done_callback(functools.partial(self._relay_settled, rid))  # now, when already done

    @property
    def active(self) -> int:
        """Requests whose result has not been handled yet."""
        return len(self._requests)

    def _relay_settled(self, rid: int, future: Future) -> None:
        """(any thread) Hand the finished future to the GUI thread."""
        with contextlib.suppress(RuntimeError):  # the window (and this object) is gone: nobody waits
            self._sig_settled.emit(rid, future)

    def _relay_progress(self, rid: int, fraction: float, message: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._sig_progressed.emit(rid, float(fraction), str(message))

    @Slot(int, object)
    def _settled(self, rid: int, future: Future) -> None:
        """The result (or error, or cancellation) of request ``rid``, then its ``finished``."""
        request = self._requests.pop(rid, None)
        if request is None:  # shut down meanwhile
            return
        try:
            try:
                result = future.result(timeout=0)
            except BaseException as exc:  # the request's failure (CancelledError included): reported
                request.failed(exc)
            else:
                request.result(result)
        finally:
            request.finished()

    @Slot(int, float, str)
    def _progressed(self, rid: int, fraction: float, message: str) -> None:
        request = self._requests.get(rid)  # a late event of a finished request is dropped
        if request is not None and request.progress is not None:
            request.progress(fraction, message)

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self.closed:
            self.sig_progress.emit(fraction, message)

    def cancel(self, channel: str) -> None:
        """Cancel the running and queued requests of ``channel`` (they fail as cancelled; a batch
        stops early and returns what it finished)."""
        with self._lock:
            futures = list(self._futures[channel])
        for future in futures:
            if channel in STOPS_WITH_RESULT:
                self.pool(channel).stop(future)
            else:
                future.cancel()

    def shutdown(self) -> None:
        """Stop the worker processes and drain the thread pools. Idempotent."""
        if self.closed:
            return
        self.closed = True
        for channel in STOPS_WITH_RESULT:  # a batch may finish removing its temporary files first
            self.cancel(channel)
        self.workers.shutdown()
        for pool in self._own.values():
            pool.shutdown(timeout=3.0)
        self._requests.clear()
