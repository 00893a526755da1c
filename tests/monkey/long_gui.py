"""Long app session, the GUI side (issue 15, item 3): one ``MainWindow`` opens ``--scenes`` scenes one
after the other (each open closes the previous scene), then runs ``--exports`` exports.

Driven by ``bench/long_session.py``, which measures this process and its worker processes from /proc:
after each scene and each export this process prints one JSON line and waits for a line on stdin, so
every measurement is taken while the app is idle. The last line (``"closed"``) comes after the window shut
its workers down.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def say(kind: str, **fields: object) -> None:
    """One line to the measuring parent, then wait for its go-ahead."""
    sys.stdout.write(json.dumps({"kind": kind, **fields}) + "\n")
    sys.stdout.flush()
    sys.stdin.readline()


def main(argv: list[str] | None = None) -> int:
    """See the module docstring. ``--paths``: a JSON list of scenes to cycle through."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=Path, required=True)
    ap.add_argument("--scenes", type=int, default=500)
    ap.add_argument("--exports", type=int, default=200)
    ap.add_argument("--export-scene", required=True, help="the scene the exports are made of")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["satview-long-session"])
    from satview.qt.main_window import MainWindow

    say("baseline")
    a.out.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(a.out / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(root_dir=str(a.out), settings=settings)
    win.show()
    errors: list[str] = []
    win.reporter.sig_reported.connect(lambda r: errors.append(r.status_text))

    def wait(signals: list, timeout_ms: int = 60_000) -> None:
        loop = QEventLoop()
        for s in signals:
            s.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        for s in signals:
            s.disconnect(loop.quit)

    paths = json.loads(a.paths.read_text(encoding="utf-8"))
    for i in range(a.scenes):
        n_err = len(errors)
        win.open_path(paths[i % len(paths)])
        wait([win.session.sig_rendered, win.reporter.sig_reported])
        say("scene", i=i + 1, error=len(errors) > n_err)
    win.open_path(a.export_scene)
    wait([win.session.sig_rendered, win.reporter.sig_reported])
    w, h = win.canvas.grid_size()
    aoi = win.aois.add_aoi([(w * 0.25, h * 0.25), (w * 0.75, h * 0.3), (w * 0.6, h * 0.8)])
    for j in range(a.exports):
        n_err = len(errors)
        if j % 2:
            win.exports.export_clip(str(a.out / f"clip-{j:03d}.tif"), aoi_id=aoi)
        else:
            win.exports.export_quicklook(str(a.out / f"ql-{j:03d}.png"), size=256)
        wait([win.exports.sig_task_finished, win.reporter.sig_reported])
        say("export", i=j + 1, error=len(errors) > n_err)
    win.close()
    app.processEvents()
    say("closed", errors=errors[:20])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
