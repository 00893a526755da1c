"""GUI monkey engine: drives the real ``MainWindow`` with seeded random user actions (issue 15, item 2).

Runs as its own process (``bench/monkey.py`` starts it, so a crash of the GUI process is counted, not
suffered). Actions go through real Qt events where a user would make them: key clicks on the canvas and
window (shortcuts), mouse clicks and drags on the canvas viewport, button clicks, and combo boxes / spin
boxes / line edits set the way their signals fire on user input. Modal dialogs never block: the file
dialogs answer from the seeded stream (a sample, a hostile case, an output in a temporary folder, or
"cancelled"), and the clip dialog is filled in and its OK button clicked.

Everything seen is written as JSON lines to ``--log``: ``{"i", "action"}`` before each action (so the parent
knows where a crash happened), ``exception`` (sys/threading excepthook), ``qt`` (Qt warnings and worse),
``stall`` (heartbeat timer more than 250 ms late; with the GUI thread's CPU time in that gap, to tell the
app's own work from a starved machine), ``report`` (every ErrorReport that reached the user, with whether
it names a file or an action) and finally ``done``.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from user_actions import Monkey

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STALL_MS = 250.0
BEAT_MS = 10
#: Titles that say nothing about what was being done.
GENERIC_TITLES = {"", "error", "unexpected error"}


def names_file_or_action(report: Any) -> bool:
    """True when the error the user sees names the file concerned or the action that failed."""
    text = str(getattr(report, "status_text", "") or report)
    path = getattr(report, "path", None)
    if path and os.path.basename(str(path).rstrip("/")) in text:
        return True
    return str(getattr(report, "title", "")).strip().lower() not in GENERIC_TITLES


class Recorder:
    """Writes what the monkey sees as JSON lines; installs the exception hooks and the Qt message handler."""

    def __init__(self, log_path: Path) -> None:
        self.out = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        self.action = "start"
        self.detail = ""  # the input or output of the latest action that named one
        self.counts: dict[str, int] = {}

    def write(self, kind: str, **fields: Any) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        row = {"kind": kind, "action": self.action, "detail": self.detail, **fields}
        self.out.write(json.dumps(row, default=str) + "\n")
        self.out.flush()

    def install(self) -> None:
        from PySide6.QtCore import QtMsgType, qInstallMessageHandler

        def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
            self.write("exception", type=exc_type.__name__, message=str(exc),
                       traceback="".join(traceback.format_exception(exc_type, exc, tb)))

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                hook(args.exc_type, args.exc_value, args.exc_traceback)

        levels = {QtMsgType.QtWarningMsg: "warning", QtMsgType.QtCriticalMsg: "critical",
                  QtMsgType.QtFatalMsg: "fatal"}

        def qt_handler(mode: Any, _context: Any, message: str) -> None:
            if mode in levels:
                self.write("qt", level=levels[mode], message=message)

        sys.excepthook = hook
        threading.excepthook = thread_hook
        qInstallMessageHandler(qt_handler)


class Heartbeat:
    """A GUI-thread timer every 10 ms; a tick more than 250 ms late is an event-loop stall."""

    def __init__(self, rec: Recorder) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.rec = rec
        self.max_late_ms = 0.0
        self.last = (time.perf_counter(), time.thread_time())
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        late = (now[0] - self.last[0]) * 1000 - BEAT_MS
        if late > self.max_late_ms:
            self.max_late_ms = late
        if late > STALL_MS:
            self.rec.write("stall", ms=round(late, 1), gui_cpu_ms=round((now[1] - self.last[1]) * 1000, 1))
        self.last = now


def fault_log(log: Path) -> Path:
    """Where the engine logging to ``log`` leaves the Python stacks of a crash (faulthandler)."""
    return log.with_name(log.stem + "-faults.txt")


def main(argv: list[str] | None = None) -> int:
    """Run ``--actions`` actions from index ``--start`` with seed ``--seed``; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--actions", type=int, default=300)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--paths", type=Path, required=True, help="JSON {scenes: [...], vectors: [...]}")
    ap.add_argument("--out", type=Path, required=True, help="folder for exports and settings")
    ap.add_argument("--log", type=Path, required=True)
    ap.add_argument("--deadline", type=float, help="start no action after this many seconds")
    ap.add_argument("--patience", type=float, default=1.0, help="scales the waits for opens and exports")
    a = ap.parse_args(argv)
    # a crash in C (Qt, GDAL, PROJ) leaves every thread's Python stack here, read by bench/monkey.py
    faults = open(fault_log(a.log), "a", encoding="utf-8")  # noqa: SIM115  (open while the process lives)
    faulthandler.enable(faults, all_threads=True)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    rec = Recorder(a.log)
    app = QApplication.instance() or QApplication(["satview-monkey"])
    rec.install()
    from satview.qt.main_window import MainWindow

    a.out.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(a.out / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(root_dir=str(a.out), settings=settings)
    win.reporter.sig_reported.connect(lambda r: rec.write(
        "report", title=r.title, message=r.message, path=r.path, category=r.category,
        cancelled=r.cancelled, ok=names_file_or_action(r)))
    win.show()
    win.activateWindow()
    paths = json.loads(a.paths.read_text(encoding="utf-8"))
    monkey = Monkey(win, random.Random(f"{a.seed}-{a.start}"), paths, a.out / "exports", rec, a.patience)
    (a.out / "exports").mkdir(exist_ok=True)
    monkey.patch_dialogs()
    beat = Heartbeat(rec)
    t0 = time.perf_counter()
    ran = 0
    for i in range(a.start, a.actions):
        if a.deadline is not None and time.perf_counter() - t0 > a.deadline:
            break
        monkey.step(i)
        ran += 1
    rec.action = "close"
    beat.timer.stop()
    win.close()
    app.processEvents()
    rec.write("done", actions=ran, seconds=round(time.perf_counter() - t0, 1),
              max_late_ms=round(beat.max_late_ms, 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
