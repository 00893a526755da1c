"""Long-lived offscreen GUI process of the hostile suite: opens each path it gets with ``Session.open``."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    """Read ``{"id", "path", "wait"}`` JSON lines on stdin; answer one JSON line per request on stdout.

    Each answer holds the outcome ("opens" on ``sig_rendered``, "error" on ``sig_failed``, "hang"
    when neither came within ``wait`` seconds), the error's category and message, the seconds taken
    and the longest event-loop stall in ms (a 5 ms heartbeat timer in the GUI thread).
    """
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from satview.qt.session import Session
    from satview.qt.workers import Background

    app = QApplication.instance() or QApplication(["satview-hostile"])
    background = Background()
    session = Session(background)
    ticks: list[float] = []
    beat = QTimer()
    beat.setTimerType(Qt.TimerType.PreciseTimer)
    beat.setInterval(5)
    beat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    out = sys.stdout
    out.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        got: dict = {}
        loop = QEventLoop()

        def rendered(_res: object, got: dict = got, loop: QEventLoop = loop) -> None:
            if not got:
                got["outcome"] = "opens"
                loop.quit()

        def failed(report: object, got: dict = got, loop: QEventLoop = loop) -> None:
            if not got:
                got.update(
                    outcome="error",
                    category=getattr(report, "category", None),
                    message=getattr(report, "message", str(report)),
                    report_path=getattr(report, "path", None),
                    cancelled=getattr(report, "cancelled", False),
                )
                loop.quit()

        session.sig_rendered.connect(rendered)
        background.sig_failed.connect(failed)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        ticks.clear()
        t0 = time.perf_counter()
        ticks.append(t0)
        beat.start()
        timer.start(int(float(req.get("wait", 60)) * 1000))
        session.open(req["path"])
        if not got:
            loop.exec()
        beat.stop()
        t1 = time.perf_counter()
        ticks.append(t1)
        timer.stop()
        session.sig_rendered.disconnect(rendered)
        background.sig_failed.disconnect(failed)
        stall = max((b - a for a, b in itertools.pairwise(ticks)), default=0.0) * 1000
        answer = {
            "id": req["id"],
            "outcome": got.get("outcome", "hang"),
            "seconds": t1 - t0,
            "stall_ms": stall,
            **{k: v for k, v in got.items() if k != "outcome"},
        }
        out.write(json.dumps(answer) + "\n")
        out.flush()
    background.shutdown()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
