"""GUI responsiveness on a full-size scene: time to the first picture and the longest event-loop stall.

A 5 ms heartbeat timer runs in the GUI thread while the window opens a scene, zooms in through five
levels, pans, and exports a clip. Prints one JSON line.
"""

import gc
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
T0 = time.perf_counter()

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from qt_wait import wait  # noqa: E402

from satview.qt.main_window import MainWindow  # noqa: E402


class Heartbeat:
    """Ticks of a 5 ms timer; the largest gap is the longest stall."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.ticks: list[float] = []
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        self.ticks.append(time.perf_counter())
        return float(np.diff(self.ticks).max() * 1000)


def main() -> None:
    scene = sys.argv[1]
    app = QApplication.instance() or QApplication([])
    settings = QSettings(
        os.path.join(os.environ.get("TMPDIR", "/tmp"), "satview-bench.ini"), QSettings.Format.IniFormat
    )
    win = MainWindow(settings=settings)
    win.resize(1400, 900)
    win.show()
    gc.freeze()  # as satview.qt.app.main does after start-up: no collections over start-up objects
    app.processEvents()
    startup = time.perf_counter() - T0
    hb = Heartbeat()
    hb.start()
    t = time.perf_counter()
    win.open_path(scene)
    wait(win.session.sig_rendered)
    first = time.perf_counter() - t
    canvas = win.canvas
    for _ in range(5):
        canvas.zoom(2.0)
        wait(win.session.sig_rendered, lambda r: not r.coarse)
    for dx, dy in ((0.3, 0.0), (0.0, 0.3), (-0.3, 0.0)):
        canvas.pan(dx, dy)
        wait(win.session.sig_rendered, lambda r: not r.coarse)
    stall_view = hb.stop()
    w, h = canvas.grid_size()
    aoi = win.aois.add_aoi(
        [(0.2 * w, 0.2 * h), (0.6 * w, 0.25 * h), (0.55 * w, 0.6 * h), (0.25 * w, 0.55 * h)]
    )
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "satview-bench-clip.tif")
    hb.start()
    t = time.perf_counter()
    win.exports.export_clip(out, aoi_id=aoi, bands=["SR_B4", "SR_B3", "SR_B2"])
    wait(win.exports.sig_task_finished, lambda kind, result: kind == "clip", timeout=300)
    export = time.perf_counter() - t
    stall_export = hb.stop()
    win.close()
    app.processEvents()
    print(
        json.dumps(
            {
                "seconds": first,
                "first_picture": first,
                "startup": startup,
                "stall_view_ms": stall_view,
                "stall_export_ms": stall_export,
                "export": export,
            }
        )
    )


if __name__ == "__main__":
    main()
