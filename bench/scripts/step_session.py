"""Stepping through a stack of full-size dates in the app: time from the step to the picture.

    step_session.py FOLDER

Opens FOLDER (a stack of dated scenes) in the main window as a user does, waits for the first
date's picture, lets the app prefetch its neighbours in the display worker (as it does on its
own once a date is on screen), then steps to the next date (prefetched) and, for comparison, to a
date three further on (not prefetched). Each time runs from the step (``StackBrowser.step_to``,
what the timeline's keys and slider call) to the coarse picture arriving in the GUI thread
(``Session.sig_rendered``). Prints one JSON line.
"""

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from qt_wait import wait

from satview.qt.main_window import MainWindow

#: Time given to the prefetch of the neighbours (a full-size date's overview takes ~0.5 s).
PREFETCH_WAIT_S = 4.0


def idle(seconds: float) -> None:
    """Let the event loop run (the workers prefetch meanwhile)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def step_time(win: MainWindow, index: int) -> float:
    """Seconds from stepping to date ``index`` to its coarse picture in the GUI thread."""
    t = time.perf_counter()
    win.stacks.step_to(index)
    wait(win.session.sig_rendered, lambda r: r.coarse)
    return time.perf_counter() - t


def main() -> None:
    folder = sys.argv[1]
    app = QApplication.instance() or QApplication([])
    settings = QSettings(
        os.path.join(os.environ.get("TMPDIR", "/tmp"), "satview-bench-step.ini"), QSettings.Format.IniFormat
    )
    win = MainWindow(settings=settings)
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    win.stacks.open_paths([folder])
    wait(win.session.sig_rendered, lambda r: r.coarse)
    dates = len(win.stacks.stack.scenes)
    idle(PREFETCH_WAIT_S)
    prefetched = step_time(win, 1)
    cold = step_time(win, min(4, dates - 1))
    win.close()
    app.processEvents()
    print(json.dumps({"seconds": prefetched, "prefetched_s": prefetched, "not_prefetched_s": cold}))


if __name__ == "__main__":
    main()
