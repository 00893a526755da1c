"""Where batch tasks run: in this process, on a local process pool, or on Dask distributed.

All three take the same picklable top-level task functions and give results back the same way:
``run(fn, jobs)`` yields ``(job index, result)`` as jobs finish, where ``result`` is what the task
returned or the exception that kept it from returning (a crashed worker, a lost Dask worker).
Local workers (the pool's, a ``LocalCluster``'s) fork from the worker layer's fork server, which
loaded the task modules once (:mod:`satview.workers.preload`), started by
:meth:`BatchExecutor.prepare` while the caller still finds the scenes. Dask is imported only when a
:class:`DaskExecutor` starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent import futures as cf
from typing import Any

from satview.core.env import THREADS_ENV, threads
from satview.errors import SatviewError
from satview.workers.pool import WorkerPool
from satview.workers.preload import BATCH_PRELOAD, SERVER_MODULE, forks, mp_context

Job = tuple[Any, ...]
ShouldCancel = Callable[[], bool]
_POLL_SECONDS = 0.2


def _never() -> bool:
    return False


class BatchExecutor:
    """Base class: a context manager that starts and stops the workers, and :meth:`run`."""

    name = "serial"
    workers = 1

    def __init__(self) -> None:
        self._depth = 0

    def __enter__(self) -> BatchExecutor:
        if self._depth == 0:
            self.start()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.close()

    def prepare(self) -> None:
        """Begin the start-up that can run in the background while the caller finds the scenes (if any)."""

    def start(self) -> None:
        """Start the workers (nothing for the serial executor)."""

    def close(self) -> None:
        """Stop the workers."""

    def run(self, fn: Callable[..., Any], jobs: list[Job],
            should_cancel: ShouldCancel = _never) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*job)`` for every job; yield ``(index, result or exception)`` as they finish.

        Stops early (pending jobs are dropped) once ``should_cancel()`` is true.
        """
        for i, job in enumerate(jobs):
            if should_cancel():
                return
            try:
                yield i, fn(*job)
            except Exception as exc:  # a scene's failure is a value (describe_error tells bugs)
                yield i, exc


class SerialExecutor(BatchExecutor):
    """Runs the tasks one after the other in this process (debugging, tests, tiny batches)."""


class LocalPoolExecutor(BatchExecutor):
    """``workers`` processes of satview's worker layer (:class:`~satview.workers.pool.WorkerPool`),
    forked from the preloaded fork server on Linux, each with its share of the cores' threads
    (:func:`threads_per_worker`). A worker that dies under a scene (a reader crashing on a damaged
    file) fails that scene only, with "the reader crashed" naming it, and is replaced.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        super().__init__()
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: WorkerPool | None = None

    def prepare(self) -> None:
        mp_context(BATCH_PRELOAD)

    def start(self) -> None:
        self._pool = WorkerPool("batch", processes=self.workers,
                                environ={THREADS_ENV: str(threads_per_worker(self.workers))})

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(timeout=30.0)
            self._pool = None

    def run(self, fn: Callable[..., Any], jobs: list[Job],
            should_cancel: ShouldCancel = _never) -> Iterator[tuple[int, Any]]:
        if self._pool is None:
            raise RuntimeError("start the executor first (use it as a context manager)")
        pending = {self._pool.submit(fn, *job): i for i, job in enumerate(jobs)}
        while pending:
            if should_cancel():
                self._pool.cancel_all()
                return
            done, _ = cf.wait(pending, timeout=_POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for f in done:
                i = pending.pop(f)
                try:
                    yield i, f.result()
                except Exception as exc:  # handed to the caller as this job's result
                    yield i, exc


def threads_per_worker(workers: int) -> int:
    """Threads each of ``workers`` worker processes may use: its share of satview's threads (every
    CPU unless ``SATVIEW_THREADS`` says less), at least 1. Once workers fill the cores a task's own
    threads (GDAL's decoding, the stretch, PNG deflate) would only compete with the other workers,
    and one thread saves their hand-over costs (a tenth of a quick-look task's CPU)."""
    return max(1, threads() // workers)


#: What the fork server of Dask ``LocalCluster`` workers loads on top of the workers' preload.
DASK_PRELOAD = ("distributed",)
#: Dask settings of a ``LocalCluster`` batch. Its workers share the cores with the tasks: no statistical
#: profiler (it samples every task's stack and nobody sees it), and the event loop's tick and the system
#: and memory monitors wake every 0.2-1 s instead of every 20-500 ms (each wake-up takes the GIL from the
#: task running beside it): 4 % less time per quick-look task (0.149 vs 0.154 s).
_LOCAL_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "200ms",
    "distributed.admin.system-monitor.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskExecutor(BatchExecutor):
    """Dask distributed: ``scheduler`` is a scheduler address, or "local" for a ``LocalCluster``.

    The local cluster listens on loopback only, with ``workers`` processes of one thread each,
    forked from the batch fork server (which also loads ``distributed``) on Linux, and quiet
    below errors. Workers must see the input and output paths (a shared file system on a real
    cluster). All jobs are submitted at once.
    """

    name = "dask"

    def __init__(self, scheduler: str = "local", workers: int | None = None) -> None:
        super().__init__()
        self.scheduler = scheduler
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._client: Any = None
        self._cluster: Any = None

    def prepare(self) -> None:
        if self.scheduler == "local" and forks():
            mp_context((*BATCH_PRELOAD, *DASK_PRELOAD))

    def start(self) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise SatviewError("--scheduler needs Dask: pip install 'satview[batch-dask]'") from exc
        try:
            if self.scheduler == "local":
                self.prepare()
                method = "forkserver" if forks() else "spawn"
                config = {"distributed.worker.multiprocessing-method": method, **_LOCAL_DASK_CONFIG}
                with dask.config.set(config):
                    self._cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, silence_logs=logging.ERROR,
                        preload=[SERVER_MODULE, *BATCH_PRELOAD],
                        env={THREADS_ENV: str(threads_per_worker(self.workers))})
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler, timeout=30)
        except OSError as exc:
            self.close()
            raise SatviewError(f"cannot reach the Dask scheduler {self.scheduler}: {exc}") from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(self, fn: Callable[..., Any], jobs: list[Job],
            should_cancel: ShouldCancel = _never) -> Iterator[tuple[int, Any]]:
        if self._client is None:
            raise RuntimeError("start the executor first (use it as a context manager)")
        if not jobs:
            return
        from distributed import wait

        from satview.core.batch.cluster import check_jobs

        check_jobs(self._client, jobs)
        futures = [self._client.submit(fn, *job, pure=False) for job in jobs]
        pending = {f: i for i, f in enumerate(futures)}
        while pending:
            if should_cancel():
                self._client.cancel(list(pending))
                return
            try:
                done = wait(list(pending), timeout=_POLL_SECONDS, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                continue
            for f in done:
                i = pending.pop(f)
                try:
                    yield i, f.result()
                except Exception as exc:  # a scene's failure is a value (describe_error tells bugs)
                    yield i, exc


def make_executor(workers: int | None = None, scheduler: str | None = None) -> BatchExecutor:
    """The executor for ``--workers``/``--scheduler``: Dask when a scheduler is named, else a local pool."""
    if scheduler:
        return DaskExecutor(scheduler, workers)
    return LocalPoolExecutor(workers)
