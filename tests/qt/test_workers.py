"""Background tasks: signal holder on a QRunnable, nothing lost to GC, pools drained on shutdown;
request tokens tell stale results."""

from __future__ import annotations

import threading
import time

import pytest

from satview.qt.workers import POOL_THREADS, Latest, Task, TaskRunner


@pytest.fixture
def runner(qapp):
    r = TaskRunner()
    yield r
    assert r.shutdown(20_000)


def test_result_progress_and_finished(qtbot, runner: TaskRunner) -> None:
    """A task reports progress, then its result, then finished, in the GUI thread."""
    main = threading.get_ident()
    seen: list[tuple[str, object]] = []

    def work(x: int, progress=None) -> int:
        progress(0.5, "half")
        return x * 2

    task = Task(work, 21, with_progress=True)
    task.signals.sig_progress.connect(lambda f, m: seen.append(("progress", (f, m, threading.get_ident()))))
    task.signals.sig_result.connect(lambda r: seen.append(("result", (r, threading.get_ident()))))
    with qtbot.waitSignal(task.signals.sig_finished, timeout=10_000):
        runner.start(task, "display")
    assert seen == [("progress", (0.5, "half", main)), ("result", (42, main))]


def test_failure_is_reported_not_raised(qtbot, runner: TaskRunner) -> None:
    """An exception in the task arrives as sig_failed(exc); no result is emitted."""
    def work() -> None:
        raise ValueError("nope")

    task = Task(work)
    results: list[object] = []
    task.signals.sig_result.connect(results.append)
    with qtbot.waitSignal(task.signals.sig_failed, timeout=10_000) as blk:
        runner.start(task, "display")
    assert isinstance(blk.args[0], ValueError) and not results


def test_fire_and_forget_tasks_all_deliver(qtbot, runner: TaskRunner) -> None:
    """50 tasks with lambda slots and no reference kept by the caller: every result arrives."""
    got: list[int] = []
    for i in range(50):
        t = Task(lambda i=i: (time.sleep(0.002), i)[1])
        t.signals.sig_result.connect(lambda r: got.append(r))
        runner.start(t, "display" if i % 2 else "export")
    qtbot.waitUntil(lambda: len(got) == 50, timeout=20_000)
    assert sorted(got) == list(range(50))
    qtbot.waitUntil(lambda: runner.active == 0, timeout=10_000)


def test_pools_have_the_documented_sizes(runner: TaskRunner) -> None:
    """One pool per channel: display 2 threads, view, export, files and batch 1 each."""
    assert POOL_THREADS == {"display": 2, "view": 1, "export": 1, "files": 1, "batch": 1}
    for name, n in POOL_THREADS.items():
        assert runner.pool(name).maxThreadCount() == n


def test_shutdown_waits_for_running_tasks(qapp) -> None:
    """shutdown() returns only when running tasks have finished; starting afterwards is refused."""
    r = TaskRunner()
    done = threading.Event()
    r.start(Task(lambda: (time.sleep(0.3), done.set())), "export")
    time.sleep(0.05)
    assert r.shutdown(10_000) and done.is_set()
    with pytest.raises(RuntimeError):
        r.start(Task(lambda: None), "export")


def test_sync_runner_runs_inline(qtbot) -> None:
    """sync=True runs the task in the calling thread before start() returns."""
    r = TaskRunner(sync=True)
    got: list[int] = []
    t = Task(lambda: threading.get_ident())
    t.signals.sig_result.connect(got.append)
    r.start(t, "display")
    assert got == [threading.get_ident()]
    assert r.shutdown()


def test_a_token_goes_stale_when_one_of_its_channels_is_renewed() -> None:
    """A view request is stale after a new scene, display or view; a scene request only after a new scene."""
    latest = Latest()
    view = latest.token("scene", "display", "view")
    scene = latest.token("scene")
    assert not view() and not scene()
    latest.renew("view")
    assert view() and not scene()
    newer = latest.token("scene", "display", "view")
    latest.renew("display")
    assert newer() and not scene()
    latest.renew("scene")
    assert scene()
