"""Helpers shared by the GUI tests: sample paths, opening a scene and waiting, mapping grid to widget."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

LANDSAT_TAR = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
NSIDC_BIN = "nsidc/nt_20171002_f17_v1.1_n.bin"


def open_and_wait(qtbot, win, path, dataset=None, timeout=60_000):
    """Open ``path`` in ``win`` and wait for its first picture; returns the RenderResult."""
    with qtbot.waitSignal(win.session.sig_rendered, timeout=timeout) as blk:
        win.open_path(str(path), dataset)
    return blk.args[0]


def draw_polygon(qtbot, win, points):
    """Draw an AOI with the polygon tool: P, a click at each (col, row) of the canvas grid, Enter."""
    vp = win.canvas.glw.viewport()
    win.canvas.glw.setFocus()
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_P)
    assert win.canvas.drawing
    for col, row in points:
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=data_to_widget(win.canvas, col, row))
        qtbot.wait(30)
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=10_000):
        qtbot.keyClick(win.canvas.glw, Qt.Key.Key_Return)


def data_to_widget(canvas, x, y):
    """Widget position in ``canvas.glw.viewport()`` of grid position (col x, row y)."""
    from PySide6.QtCore import QPointF

    p = canvas.glw.mapFromScene(canvas.vb.mapViewToScene(QPointF(x, y)))
    return p


class StallMeter(QObject):
    """Largest gap between ticks of a 5 ms GUI-thread timer: the longest event-loop stall."""

    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self.ticks: list[float] = []

    def __enter__(self) -> StallMeter:
        self.ticks = [time.perf_counter()]
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()
        self.ticks.append(time.perf_counter())

    @property
    def max_gap_ms(self) -> float:
        return float(np.diff(self.ticks).max() * 1000)


def crash_reader(*args: object, **kwargs: object) -> None:
    """Stands in for a reader call and kills its worker process, like a crashing C library."""
    import os

    os._exit(1)


def run_task(qtbot, win, kind, trigger, timeout=120_000):
    """Call ``trigger()`` and wait until the session finishes task ``kind`` (fails fast on an error)."""
    got: dict = {}

    def finished(k, result):
        if k == kind:
            got["result"] = result

    def failed(report):
        got["error"] = report

    win.exports.sig_task_finished.connect(finished)
    win.reporter.sig_reported.connect(failed)
    try:
        trigger()
        qtbot.waitUntil(lambda: bool(got), timeout=timeout)
    finally:
        win.exports.sig_task_finished.disconnect(finished)
        win.reporter.sig_reported.disconnect(failed)
    assert "error" not in got, f"{kind} failed: {got['error'].message}"
    return got["result"]
