"""The desktop application's entry point: ``satview [PATH] [--dataset NAME] [--screenshot OUT.png]``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

SCREENSHOT_TIMEOUT_S = 120.0
SETTLE_MS = 160  # after the first picture, wait this long without new pictures before grabbing
SETTLE_MAX_MS = 8000


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the desktop app."""
    p = argparse.ArgumentParser(
        prog="satview",
        description="Open a satellite scene in the satview window (no PATH: the synthetic demo scene).",
    )
    p.add_argument(
        "path", nargs="?", help="scene: Landsat .tar/.tar.gz, folder, GeoTIFF, HDF, netCDF, NSIDC .bin"
    )
    p.add_argument("--dataset", help="dataset (variable / SDS) of a multi-dataset file")
    p.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="save the window to OUT.png once the first picture (or an error) is shown, then exit",
    )
    p.add_argument("--timeout", type=float, default=SCREENSHOT_TIMEOUT_S, help=argparse.SUPPRESS)
    p.add_argument(
        "--selftest",
        action="store_true",
        help="open the demo scene headless, reproject a point and a window, exit 0 when all works",
    )
    return p


# ---------------------------------------------------------------------------------- self test
def selftest(out: Any = sys.stdout) -> int:
    """Headless check of a build: demo scene, read, lon/lat of a pixel, a reprojected window."""
    import numpy as np
    from rasterio.windows import Window

    from satview.core.demo import make_demo_scene
    from satview.core.geo import epsg_of
    from satview.core.readers import open_scene
    from satview.core.reproject import reproject_array, target_grid
    from satview.core.types import GeoGrid

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="satview-selftest-") as tmp:
        path = make_demo_scene(tmp, size=(256, 256))
        with open_scene(path) as scene:
            info = scene.info
            code = epsg_of(info.grid.crs)
            if code != 32611:
                print(f"selftest: FAIL: EPSG {code} instead of 32611 (PROJ data missing?)", file=out)
                return 1
            lon, lat = scene.lonlat_of_cell(128, 128)
            if not (-125 < lon < -110 and 30 < lat < 40):
                print(f"selftest: FAIL: centre at lon {lon}, lat {lat}", file=out)
                return 1
            win = Window(64, 64, 64, 64)
            data = scene.read(["SR_B4"], window=win, dn=True)
            src = GeoGrid(info.grid.crs, scene.transform * scene.transform.translation(64, 64), 64, 64)
            dst = target_grid(src, "EPSG:3338")
            warped = reproject_array(data, src, dst, src_nodata=0)
            if not np.any(warped):
                print("selftest: FAIL: the reprojected window is empty", file=out)
                return 1
    print(
        f"selftest: OK: {info.landsat.product_id if info.landsat else path}, EPSG:{code}, "
        f"centre {lon:.4f} {lat:.4f}, warped {data.shape[-2:]} -> {warped.shape[-2:]} in EPSG:3338, "
        f"{time.perf_counter() - t0:.1f} s",
        file=out,
    )
    return 0


# ---------------------------------------------------------------------------------- demo scene
def _start_demo(window: Any) -> Any:
    """Generate (or reuse) the demo scene in a worker thread, then open it; returns the task."""
    from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

    from satview.qt.notify import report_from_exception

    class _Signals(QObject):
        sig_progressed = Signal(float, str)
        sig_finished = Signal(str)
        sig_failed = Signal(object)

    class _DemoTask(QRunnable):
        def __init__(self) -> None:
            super().__init__()
            self.signals = _Signals(window)

        def run(self) -> None:
            from satview.core.demo import make_demo_scene

            try:
                path = make_demo_scene(
                    progress=lambda f, m="": self.signals.sig_progressed.emit(
                        float(f), f"Making the demo scene: {m}"
                    )
                )
            except Exception as exc:
                self.signals.sig_failed.emit(report_from_exception(exc))
                return
            self.signals.sig_finished.emit(str(path))

    task = _DemoTask()
    task.setAutoDelete(False)
    task.signals.sig_progressed.connect(window._progress)
    task.signals.sig_finished.connect(lambda p: (window._busy(False, ""), window.open_path(p)))
    task.signals.sig_failed.connect(window.session.sig_failed)
    window._busy(True, "Making the demo scene (first run only, a few seconds)...")
    QThreadPool.globalInstance().start(task)
    return task


# ---------------------------------------------------------------------------------- screenshot
class _Screenshot:
    """Waits for the first picture or the first error, saves ``window.grab()`` and ends the loop."""

    def __init__(self, app: Any, window: Any, out: str, label: str, timeout_s: float) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.app, self.window, self.out, self.label = app, window, out, label
        self.code: int | None = None
        self.error: Any = None
        self.first = QElapsedTimer()
        self.settle = QTimer(singleShot=True, interval=SETTLE_MS)
        self.settle.timeout.connect(self._settled)
        self.timeout = QTimer(singleShot=True, interval=int(timeout_s * 1000))
        self.timeout.timeout.connect(self._timed_out)
        self.timeout.start()
        window.session.sig_rendered.connect(self._rendered)
        window.reporter.sig_reported.connect(self._failed)

    def _rendered(self, _result: Any) -> None:
        if self.code is not None or self.error is not None:
            return
        if not self.first.isValid():
            self.first.start()
        if self.first.elapsed() < SETTLE_MAX_MS:
            self.settle.start()

    def _settled(self) -> None:
        """Grab once no finer picture is on its way (a pending view render restarts the wait)."""
        busy = self.window.session.view_render_active or self.window.canvas.view_update_pending()
        if busy and self.first.elapsed() < SETTLE_MAX_MS:
            self.settle.start()
            return
        self.finish(0)

    def _failed(self, report: Any) -> None:
        if self.code is not None or getattr(report, "cancelled", False):
            return
        self.error = report
        if not self.first.isValid():  # no picture yet: the scene could not be shown
            from PySide6.QtCore import QTimer

            QTimer.singleShot(200, lambda: self.finish(1))

    def _timed_out(self) -> None:
        if self.error is None:
            from satview.qt.notify import make_report

            self.error = make_report(
                "Timeout", f"{self.label}: no picture after {self.timeout.interval() // 1000} s"
            )
        self.finish(1)

    def finish(self, code: int) -> None:
        if self.code is not None:
            return
        self.code = code
        self.settle.stop()
        self.timeout.stop()
        self.app.processEvents()
        pm = self.window.grab()
        saved = pm.save(self.out)
        if code != 0 and self.error is not None:
            msg = self.error.message
            path = getattr(self.error, "path", None) or self.label
            if path and os.path.basename(path) not in msg:
                msg = f"{path}: {msg}"
            print(f"satview: error: {msg}", file=sys.stderr)
        if not saved:
            print(f"satview: error: cannot write the screenshot {self.out}", file=sys.stderr)
            self.code = 1
        self.app.exit(self.code)


# ---------------------------------------------------------------------------------- main
def cleanup_stale_exports() -> threading.Thread:
    """Remove temporary files left by exports that were killed (in a background thread).

    Only satview's own temporary names in folders where an export of a dead process was writing
    (see :func:`satview.core.atomic.cleanup_pending`) are touched.
    """
    from satview.core.atomic import cleanup_pending

    def run() -> None:
        with contextlib.suppress(Exception):  # best effort: never stop the app from starting
            cleanup_pending()

    t = threading.Thread(target=run, name="satview-stale-cleanup", daemon=True)
    t.start()
    return t


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; ``argv`` are the arguments after the program name. Returns the exit code."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.selftest:
        return selftest()
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from satview.core import service

    service.prestart("display")  # the reader process imports its stack while Qt loads here
    cleanup_stale_exports()

    from PySide6.QtCore import QSettings, QThreadPool
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from satview import __version__
    from satview.qt.icons import app_icon
    from satview.qt.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "satview"])
    app.setApplicationName("satview")
    app.setOrganizationName("satview")
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName("satview")
    app.setWindowIcon(app_icon())

    tmp_settings = None
    settings = None
    if args.screenshot or os.environ.get("SATVIEW_SETTINGS"):
        if args.screenshot:  # a fixed, fresh layout for reproducible pictures
            tmp_settings = tempfile.TemporaryDirectory(prefix="satview-settings-")
            ini = os.path.join(tmp_settings.name, "satview.ini")
        else:
            ini = os.environ["SATVIEW_SETTINGS"]
        settings = QSettings(ini, QSettings.Format.IniFormat)

    window = MainWindow(settings=settings)
    window.reporter.install_hooks()
    shot = None
    if args.screenshot:
        window.resize(1400, 900)
        label = os.path.abspath(args.path) if args.path else "the demo scene"
        shot = _Screenshot(app, window, os.path.abspath(args.screenshot), label, args.timeout)

    def _drain() -> None:
        window.shutdown()
        QThreadPool.globalInstance().waitForDone(20_000)

    app.aboutToQuit.connect(_drain)
    window.show()
    demo_task = None
    if args.path:
        window.files.select_path(args.path)
        window.open_path(args.path, args.dataset)
    else:
        demo_task = _start_demo(window)
    code = app.exec()
    _drain()
    window.reporter.uninstall_hooks()
    del demo_task
    if shot is not None and shot.code is not None:
        code = shot.code
    window.close()
    window.deleteLater()
    if tmp_settings is not None:
        tmp_settings.cleanup()
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
