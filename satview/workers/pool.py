"""satview's one worker layer: run core functions in worker processes, with deadlines and a memory cap.

``WorkerPool(name, processes=1)`` runs ``submit(fn, *args, **kwargs)`` in a worker process and
returns a ``concurrent.futures.Future``. The processes are a ``pebble.ProcessPool`` (pebble starts,
watches and replaces them, kills a task's worker past its deadline, and carries each exception
back with the worker's traceback as ``__cause__``); satview adds what is its own:

- **errors that name the file**: a worker that died under a request (a crash in a C reader) gives
  ``ReaderCrashedError``, a request past its deadline ``ReaderTimeoutError`` ("timed out", the
  worker killed and replaced), a ``MemoryError`` under the worker's address-space cap
  ``TooLargeError``; the file is ``path=`` or the first argument, the deadline and what the request
  was doing come from its declaration (:mod:`satview.workers.declare`). Other exceptions are bugs
  and arrive as themselves (:mod:`satview.workers.task`).
- **priorities and cancel**: requests wait in the client, not in a pipe, so ``future.cancel()`` of
  a waiting one costs nothing, and "low" ones (prefetch) only start when nothing else waits or runs.
  ``future.cancel()`` of a running one sets its :func:`should_cancel`; a task that has not stopped
  ``cancel_grace`` seconds later has its worker killed and replaced. A request declared
  ``latest_only`` cancels the older unfinished requests of the same function.
- **events**: ``report_progress``/``emit`` in the worker reach ``progress(fraction, message)`` /
  ``on_event(event)`` in the client (from a helper thread), over one connection per worker.

``inline=True`` runs requests in the calling thread (tests, ``Session(sync=True)``): same context,
same errors, no processes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, InvalidStateError
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, Listener, wait
from typing import Any, Literal

import pebble
import pebble.common

from satview.errors import ReaderCrashedError, ReaderTimeoutError, SatviewError
from satview.workers.declare import Request, declared
from satview.workers.preload import mp_context
from satview.workers.task import Progress, TaskContext, call, init_worker, run_task
from satview.workers.task import memory_cap as default_memory_cap

ProgressFn = Callable[[float, str], None]
EventFn = Callable[[Any], None]
Priority = Literal["normal", "low"]
_AUTO: Any = object()
_CANCEL_SLOTS = 64  # ids of recently cancelled tasks the workers can see

# pebble's manager threads look at their pool every ``sleep_unit`` seconds (0.1 by default), and
# joining a pool waits for that look: 0.1 s added to every exit of the app (about a tenth of a
# ``--screenshot`` run) and of every isolated CLI command. Every 20 ms costs a client well under
# 1 ms of CPU a second per pool. Process-wide: pebble has one such setting.
pebble.common.CONSTS.sleep_unit = 0.02


@dataclass(eq=False)
class _Job:
    id: int
    outer: Future
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    path: str | None
    spec: Request | None
    deadline: float | None
    low: bool
    progress: ProgressFn | None
    on_event: EventFn | None
    inner: Any = None  # the pebble future once a worker has it


class WorkerPool:
    """``processes`` worker processes running submitted functions (see the module docstring).

    ``memory_cap``: bytes of address space per worker (default :func:`task.memory_cap`; None: no
    cap). ``environ``: variables set in the workers on top of this process's. ``start``: start the
    workers now (they import the stack while the caller goes on) instead of at the first request.
    """

    def __init__(self, name: str, *, processes: int = 1, memory_cap: int | None = _AUTO,
                 inline: bool = False, environ: dict[str, str] | None = None, cancel_grace: float = 1.0,
                 start: bool = True) -> None:
        self.name = name
        self.processes = max(1, int(processes))
        self.inline = inline
        self.memory_cap = default_memory_cap() if memory_cap is _AUTO else memory_cap
        self.cancel_grace = cancel_grace
        self._environ = environ or {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._waiting: deque[_Job] = deque()
        self._running: dict[int, _Job] = {}
        self._jobs: dict[int, _Job] = {}
        self._closed = False
        self._pool: pebble.ProcessPool | None = None
        self._listener: Listener | None = None
        self._conns: list[Connection] = []
        self._pids: dict[Connection, int] = {}
        self._started = threading.Event()
        self._cancelled: Any = None
        self._slot = 0
        self.timeouts = 0
        self.crashes = 0
        if start and not inline:
            self._start()

    # -- lifecycle -----------------------------------------------------------------------------
    def _start(self) -> None:
        """Create the pebble pool, the event listener and its threads (called with the lock held)."""
        if self._pool is not None:
            return
        ctx = mp_context()
        self._cancelled = ctx.Array("q", _CANCEL_SLOTS, lock=False)
        authkey = os.urandom(16)
        self._listener = Listener(authkey=authkey)
        environ = {**os.environ, **self._environ}
        self._pool = pebble.ProcessPool(
            max_workers=self.processes, context=ctx, initializer=init_worker,
            initargs=(self._listener.address, authkey, self._cancelled, self.memory_cap, environ, os.getcwd(),
                      list(sys.path)))
        for target in (self._accept_loop, self._event_loop):
            threading.Thread(target=target, name=f"satview-{self.name}-events", daemon=True).start()
        threading.Thread(target=self._start_workers, name=f"satview-{self.name}-start", daemon=True).start()

    def _start_workers(self) -> None:
        """Start the worker processes (in a helper thread: starting the first one waits until the fork
        server has imported the preload, about a second the caller spends on its own start-up), then
        hand them the requests that arrived meanwhile."""
        pool = self._pool
        if pool is not None:
            pool.schedule(os.getpid)
        self._started.set()
        self._dispatch()

    def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel every request, stop the workers (killed after ``timeout`` s). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            jobs = list(self._jobs.values())
            pool, self._pool = self._pool, None
        for job in jobs:
            job.outer.cancel()
        if pool is not None:
            pool.close()
            if timeout <= 0 or not _joined(pool, timeout):
                pool.stop()
                pool.join()
        if self._listener is not None:  # wake the accepting thread (it then sees _closed), then close
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as wake:
                wake.connect(self._listener.address)
            with contextlib.suppress(OSError):
                self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.close()

    def pids(self) -> list[int]:
        """Process ids of the live workers (as they reported themselves; empty when inline or shut down)."""
        self._drain()
        with self._lock:
            return [] if self._closed else sorted(self._pids.values())

    # -- requests ------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, path: str | None = None,
               deadline: float | None = _AUTO, progress: ProgressFn | None = None,
               on_event: EventFn | None = None, priority: Priority = "normal",
               request: Request | None = None, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in a worker; a ``Future`` of its result.

        ``path`` names the file in errors (default: the first argument when it is a path).
        ``deadline``: seconds from the moment a worker starts the request (default: the function's
        declared one; None: none). ``priority`` "low" waits until nothing else waits or runs.
        ``request``: the declaration to use instead of ``fn``'s own (a caller running a generic
        function for a known job, like the CLI's isolated commands).
        """
        if path is None and args and isinstance(args[0], (str, os.PathLike)):
            path = os.fspath(args[0])
        spec = request or declared(fn)
        if deadline is _AUTO:
            deadline = spec.deadline(path) if spec is not None else None
        job = _Job(next(self._ids), Future(), fn, args, kwargs, path, spec, deadline, priority == "low",
                   progress, on_event)
        if self.inline:
            return self._run_inline(job)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.name} workers have been shut down")
            self._start()
            if spec is not None and spec.latest_only:
                stale = [j for j in self._jobs.values() if j.fn is fn]
            else:
                stale = []
            self._jobs[job.id] = job
            if job.low:
                self._waiting.append(job)
            else:  # before every low-priority request
                at = next((i for i, j in enumerate(self._waiting) if j.low), len(self._waiting))
                self._waiting.insert(at, job)
        job.outer.add_done_callback(lambda _f: self._on_outer_done(job))
        for old in stale:
            old.outer.cancel()
        self._dispatch()
        return job.outer

    def cancel_all(self) -> None:
        """Cancel every request submitted so far (running ones as ``future.cancel()`` does)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.outer.cancel()

    def stop(self, future: Future) -> None:
        """Ask the request of ``future`` to stop early and keep its result (its :func:`should_cancel`
        turns True; no kill): for work that returns what it finished, like a batch. A request still
        waiting is cancelled outright."""
        with self._lock:
            job = next((j for j in self._jobs.values() if j.outer is future), None)
            if job is None or job in self._waiting or self._cancelled is None:
                waiting = job is not None
            else:
                self._cancelled[self._slot] = job.id
                self._slot = (self._slot + 1) % _CANCEL_SLOTS
                return
        if waiting:
            future.cancel()

    def _run_inline(self, job: _Job) -> Future:
        def on_event(event: Any) -> None:
            _deliver(job, event)

        try:
            result = call(TaskContext(on_event, job.outer.cancelled), job.fn, job.args, job.kwargs, job.path,
                          portable=False)
        except Exception as exc:  # carried to the caller as it is (inline pool)
            job.outer.set_exception(exc)
        else:
            job.outer.set_result(result)
        return job.outer

    def _dispatch(self) -> None:
        """Hand waiting requests to pebble while a worker is free (low ones only to an idle pool)."""
        with self._lock:
            while (self._waiting and len(self._running) < self.processes and self._started.is_set()
                   and self._pool is not None):
                job = self._waiting[0]
                if job.low and self._running:
                    return
                self._waiting.popleft()
                self._running[job.id] = job
                job.inner = self._pool.schedule(run_task, (job.id, job.fn, job.args, job.kwargs, job.path),
                                                timeout=job.deadline)
                job.inner.add_done_callback(lambda inner, job=job: self._settle(job, inner))

    def _on_outer_done(self, job: _Job) -> None:
        """The client's future is done: when it was cancelled, stop the work (see the module docstring)."""
        if not job.outer.cancelled():
            return
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
                self._jobs.pop(job.id, None)
                return
            if job.inner is None or self._cancelled is None:
                return
            self._cancelled[self._slot] = job.id
            self._slot = (self._slot + 1) % _CANCEL_SLOTS
        timer = threading.Timer(self.cancel_grace, lambda: job.inner.cancel())  # kills a worker still at it
        timer.daemon = True
        timer.start()

    def _settle(self, job: _Job, inner: Any) -> None:
        """A worker finished ``job`` (or died, or ran past the deadline): settle the client's future."""
        self._drain()  # events the task sent before it returned come first
        with self._lock:
            self._running.pop(job.id, None)
            self._jobs.pop(job.id, None)
        try:
            error = inner.exception()
        except CancelledError:
            error = None
        with contextlib.suppress(InvalidStateError):
            if inner.cancelled() or job.outer.done():
                pass
            elif error is None:
                job.outer.set_result(inner.result())
            else:
                job.outer.set_exception(self._client_error(job, error))
        self._dispatch()

    def _client_error(self, job: _Job, error: BaseException) -> BaseException:
        doing = job.spec.doing if job.spec is not None else "reading it"
        name = os.path.basename(job.path) if job.path else "this file"
        if isinstance(error, pebble.ProcessExpired):
            self.crashes += 1
            err: SatviewError = ReaderCrashedError(
                f"the reader crashed on {name} while {doing} (the worker process died: "
                f"{exit_text(error.exitcode)}); the file is probably damaged", job.path)
        elif isinstance(error, TimeoutError) and error.args[:1] == ("Task timeout",):  # pebble's
            self.timeouts += 1
            seconds = round(job.deadline or 0, 1)
            err = ReaderTimeoutError(f"the reader timed out on {name} while {doing} (no result after "
                                     f"{seconds:g} s) and was stopped", job.path)
        else:
            return error
        err.__cause__ = error
        return err

    # -- events --------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        listener = self._listener
        while listener is not None and not self._closed:
            try:
                conn = listener.accept()
            except (OSError, EOFError, AuthenticationError):
                if self._closed:
                    return
                continue
            with self._lock:
                self._conns.append(conn)
            with contextlib.suppress(OSError):
                conn.send(True)  # the worker waits for this before its first task (see task.init_worker)

    def _event_loop(self) -> None:
        while not self._closed:
            with self._lock:
                conns = list(self._conns)
            if not conns:
                threading.Event().wait(0.05)
                continue
            wait(conns, timeout=0.2)
            self._drain()

    def _drain(self) -> None:
        """Deliver every event already received (any thread; one at a time, in order)."""
        with self._lock:
            for conn in list(self._conns):
                try:
                    while conn.poll(0):
                        task_id, event = conn.recv()
                        job = self._jobs.get(task_id)
                        if task_id == 0:
                            self._pids[conn] = event
                        elif job is not None:
                            _deliver(job, event)
                except (OSError, EOFError):  # the worker is gone
                    self._conns.remove(conn)
                    self._pids.pop(conn, None)
                    with contextlib.suppress(OSError):
                        conn.close()


def _deliver(job: _Job, event: Any) -> None:
    """Hand ``event`` to the job's callbacks; their failures are the caller's bugs, not the task's."""
    if isinstance(event, Progress):
        if job.progress is not None:
            job.progress(event.fraction, event.message)
    elif job.on_event is not None:
        job.on_event(event)


def exit_text(code: int | None) -> str:
    """A worker's exit code in words: "signal SIGABRT", "exit status 1"."""
    if code is None:
        return "no exit status"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"exit status {code}"


def _joined(pool: pebble.ProcessPool, timeout: float) -> bool:
    try:
        pool.join(timeout)
    except TimeoutError:
        return False
    return True
