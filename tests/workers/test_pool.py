"""The worker pool: crashes, deadlines, the memory cap, bugs, progress, cancel, priorities, shutdown."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
import workerfns

from satview.errors import (
    CRASHED,
    TIMED_OUT,
    TOO_LARGE,
    ReaderCrashedError,
    ReaderTimeoutError,
    TooLargeError,
)
from satview.workers.declare import Request, declared
from satview.workers.pool import WorkerPool
from satview.workers.task import WorkerError

H5 = "hdf5-netcdf/testpyM15.h5"


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool("test")
    yield p
    p.shutdown()


def test_crash_is_categorised_and_the_worker_replaced(pool: WorkerPool, real_data: Path) -> None:
    """A dying worker gives ReaderCrashedError naming the file and the signal; a new worker serves on."""
    path = str(real_data / H5)
    before = pool.submit(workerfns.pid).result(60)
    with pytest.raises(ReaderCrashedError) as err:
        pool.submit(workerfns.abort, path).result(60)
    assert err.value.category == CRASHED and err.value.path == path
    assert "the reader crashed on testpyM15.h5" in str(err.value) and "SIGABRT" in str(err.value)
    assert pool.submit(workerfns.pid).result(60) != before


def test_deadline_kills_and_replaces_the_worker(pool: WorkerPool, real_data: Path) -> None:
    """A request past its deadline fails with "timed out" naming the file; a new worker serves the next."""
    path = str(real_data / H5)
    before = pool.submit(workerfns.pid).result(60)
    with pytest.raises(ReaderTimeoutError) as err:
        pool.submit(workerfns.hang, path, deadline=0.5).result(60)
    assert err.value.category == TIMED_OUT and err.value.path == path
    assert "timed out on testpyM15.h5" in str(err.value)
    assert pool.submit(workerfns.pid).result(60) != before


def test_deadline_is_declared_with_the_function_and_scales(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A request's deadline is its declaration's seconds plus per-GB of the file, times
    SATVIEW_DEADLINE_SCALE (0: none); undeclared functions have none."""
    from satview.core import requests

    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(2_000_000_000)  # sparse
    spec = declared(requests.open_view)
    assert spec is not None and spec.deadline(str(big)) == pytest.approx(50.0)
    assert declared(workerfns.pid) is None
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "2")
    assert spec.deadline(str(big)) == pytest.approx(100.0)
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "0")
    assert spec.deadline(str(big)) is None
    assert Request(0).deadline(None, scale=1) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux-only here")
def test_memory_cap_gives_too_large(pool: WorkerPool, real_data: Path) -> None:
    """An allocation beyond the worker's cap fails inside the worker as "too large" naming the file;
    the worker lives on."""
    cap = pool.memory_cap
    assert cap is not None and cap <= 8 << 30
    pid = pool.submit(workerfns.pid).result(60)
    path = str(real_data / H5)
    with pytest.raises(TooLargeError) as err:
        pool.submit(workerfns.allocate, path, cap + (1 << 30)).result(60)
    assert err.value.category == TOO_LARGE and err.value.path == path
    assert pool.submit(workerfns.allocate, "x", 64 << 20).result(60) == pid  # numpy still works


def test_a_bug_arrives_as_itself_with_the_worker_traceback(pool: WorkerPool, real_data: Path) -> None:
    """A plain exception in a worker is a bug: same type and text, the worker's traceback as the cause,
    never a "damaged file"; one that does not pickle arrives as a WorkerError with its text."""
    path = str(real_data / H5)
    with pytest.raises(TypeError, match="can only concatenate") as err:
        pool.submit(workerfns.type_error, path).result(60)
    assert "workerfns.py" in str(err.value.__cause__) and "type_error" in str(err.value.__cause__)
    with pytest.raises(WorkerError, match="Unpicklable: broken thing"):
        pool.submit(workerfns.unpicklable_error, path).result(60)


def test_progress_and_cooperative_cancel(pool: WorkerPool) -> None:
    """Progress reaches the client; future.cancel() of a running task makes should_cancel() true in the
    worker, which stops without being killed."""
    got_some = threading.Event()
    seen: list[float] = []

    def progress(f: float, _m: str) -> None:
        seen.append(f)
        if len(seen) >= 3:
            got_some.set()

    pid = pool.submit(workerfns.pid).result(60)
    fut = pool.submit(workerfns.wait, 60.0, progress=progress)
    assert got_some.wait(60), "no progress arrived"
    assert fut.cancel()
    assert pool.submit(workerfns.wait, 0.05).result(60) >= 1  # later tasks run ...
    assert pool.submit(workerfns.pid).result(60) == pid  # ... in the same worker
    assert all(0 <= f <= 1 for f in seen)


def test_stop_keeps_the_result_of_what_was_done(pool: WorkerPool) -> None:
    """stop(future) makes should_cancel() true in the worker and the future still gets the task's
    (partial) result; the worker is not replaced."""
    started = threading.Event()
    pid = pool.submit(workerfns.pid).result(60)
    fut = pool.submit(workerfns.count_until_stopped, 60.0, progress=lambda _f, _m: started.set())
    assert started.wait(60), "the task did not start"
    pool.stop(fut)
    assert fut.result(60) >= 1 and not fut.cancelled()
    assert pool.submit(workerfns.pid).result(60) == pid


def test_cancel_kills_a_task_that_does_not_stop(pool: WorkerPool) -> None:
    """A cancelled task that never checks should_cancel() has its worker replaced, and the pool serves on."""
    pid = pool.submit(workerfns.pid).result(60)
    fut = pool.submit(workerfns.hang, "x")
    time.sleep(0.3)  # let it start (a waiting one would simply be dropped)
    fut.cancel()
    assert pool.submit(workerfns.pid).result(60) != pid
    assert workerfns.gone(pid)


def test_latest_only_request_supersedes_the_stale_one(pool: WorkerPool) -> None:
    """A newer request of a latest-only function cancels the older one (the worker is replaced when
    the old one is stuck), so the new one is served."""
    old = pool.submit(workerfns.stale_open, "old.tif")
    new = pool.submit(workerfns.stale_open, "new.tif", deadline=0.5)
    assert old.cancelled()
    with pytest.raises(ReaderTimeoutError):  # it ran (and ran out of time) instead of waiting forever
        new.result(60)


def test_low_priority_waits_for_normal_work(pool: WorkerPool) -> None:
    """A low-priority request submitted first still runs after a normal one submitted later."""
    order: list[str] = []
    blocker = pool.submit(workerfns.wait, 0.3)
    low = pool.submit(workerfns.wait, 0.01, priority="low")
    low.add_done_callback(lambda _f: order.append("low"))
    normal = pool.submit(workerfns.wait, 0.01)
    normal.add_done_callback(lambda _f: order.append("normal"))
    for f in (blocker, low, normal):
        f.result(60)
    assert order == ["normal", "low"]


def test_inline_pool_runs_in_the_caller_with_the_same_errors(real_data: Path) -> None:
    """inline=True runs requests in this process; MemoryError still becomes "too large" naming the file."""
    pool = WorkerPool("inline", inline=True)
    assert pool.submit(workerfns.pid).result() == os.getpid()
    path = str(real_data / H5)

    def no_memory(_path: str) -> None:
        raise MemoryError

    with pytest.raises(TooLargeError) as err:
        pool.submit(no_memory, path).result()
    assert err.value.path == path
    seen: list[str] = []
    assert pool.submit(workerfns.wait, 0.05, progress=lambda _f, m: seen.append(m)).result() >= 1 and seen
    pool.shutdown()


def test_shutdown_leaves_no_process() -> None:
    """After shutdown() (also with a task still running) no worker process is left; it is idempotent
    and refuses new requests."""
    pool = WorkerPool("short")
    pid = pool.submit(workerfns.pid).result(60)
    running = pool.submit(workerfns.hang, "x")
    time.sleep(0.2)
    pool.shutdown(timeout=0.5)
    pool.shutdown()
    assert running.cancelled()
    assert workerfns.gone(pid)
    with pytest.raises(RuntimeError):
        pool.submit(workerfns.pid)

