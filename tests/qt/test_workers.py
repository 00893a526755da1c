"""Requests of the Background arrive in the GUI thread (result or error, then finished), none lost
and none after shutdown; request tokens tell stale results."""

from __future__ import annotations

import operator
import threading
import time

import pytest

from satview.qt.workers import Background, Latest


@pytest.fixture
def background(qapp):
    b = Background()
    yield b
    b.shutdown()


def test_many_results_arrive_in_the_gui_thread(qtbot, background: Background) -> None:
    """40 requests on three channels with nothing kept by the caller: every result arrives, each in
    the GUI thread and before its finished(), and no request is left waiting."""
    main = threading.get_ident()
    got: list[tuple[int, int]] = []
    order: list[str] = []
    for i in range(40):
        channel = ("display", "export", "files")[i % 3]
        background.run(channel, operator.mul, i, 2, title="t",
                       done=lambda r: (got.append((r, threading.get_ident())), order.append("done")),
                       finished=lambda: order.append("finished"))
    qtbot.waitUntil(lambda: len(got) == 40, timeout=60_000)
    assert sorted(r for r, _ in got) == [2 * i for i in range(40)]
    assert {t for _, t in got} == {main}
    qtbot.waitUntil(lambda: background.active == 0, timeout=10_000)
    assert order == ["done", "finished"] * 40


def test_failure_is_reported_not_raised(qtbot, background: Background) -> None:
    """A request that raises reaches sig_failed and failed(report) naming its path, then finished();
    done() is not called."""
    seen: list[str] = []
    with qtbot.waitSignal(background.sig_failed, timeout=60_000) as blk:
        background.run("display", int, "x", title="Cannot count", path="/data/x.tif",
                       done=lambda r: seen.append("done"), failed=lambda rep: seen.append("failed"),
                       finished=lambda: seen.append("finished"))
    qtbot.waitUntil(lambda: "finished" in seen, timeout=10_000)
    assert seen == ["failed", "finished"] and blk.args[0].path == "/data/x.tif"


def test_request_pending_at_shutdown_calls_nothing(qtbot, qapp) -> None:
    """After shutdown, a request still running in a worker calls none of its handlers."""
    b = Background()
    seen: list[str] = []
    b.run("export", time.sleep, 0.5, title="t", done=lambda r: seen.append("done"),
          failed=lambda rep: seen.append("failed"), finished=lambda: seen.append("finished"))
    b.shutdown()
    qtbot.wait(800)
    assert seen == [] and b.active == 0


def test_sync_background_runs_inline(qapp) -> None:
    """sync=True: the request runs and its result is handled before run() returns."""
    b = Background(sync=True)
    got: list[int] = []
    b.run("display", operator.add, 20, 22, title="t", done=got.append)
    assert got == [42]
    b.shutdown()


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
