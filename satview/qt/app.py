"""The desktop application's entry point: ``satview [PATH] [--dataset NAME] [--screenshot OUT.png]``."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

SCREENSHOT_TIMEOUT_S = 120.0
SETTLE_POLL_MS = 10  # while a finer picture is being drawn, look again this often
SETTLE_MAX_MS = 8000  # never wait longer than this after the first picture for a finer one
#: Qt maps PNG quality 80 to zlib level 1: about half the time of the default level for ~5 % more bytes.
PNG_QUALITY = 80


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
def _start_demo(window: Any) -> None:
    """Generate (or reuse) the demo scene in a worker (satview's own synthetic data), then open it."""
    from satview.core import requests

    window.background.run("files", requests.demo_scene, done=window.open_path,
                          title="Cannot make the demo scene",
                          busy="Making the demo scene (first run only, a few seconds)...",
                          on_progress=lambda f, m: window._progress(f, f"Making the demo scene: {m}"))


# ---------------------------------------------------------------------------------- screenshot
class _Screenshot:
    """Saves ``window.grab()`` as soon as the first picture is on screen and no finer one is on its
    way (or once the first error is shown), then ends the event loop."""

    def __init__(self, app: Any, window: Any, out: str, label: str, timeout_s: float) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.app, self.window, self.out, self.label = app, window, out, label
        self.code: int | None = None
        self.error: Any = None
        self.first = QElapsedTimer()
        self.settle = QTimer(singleShot=True, interval=SETTLE_POLL_MS)
        self.settle.timeout.connect(self._settled)
        self.timeout = QTimer(singleShot=True, interval=int(timeout_s * 1000))
        self.timeout.timeout.connect(self._timed_out)
        self.timeout.start()
        window.session.sig_rendered.connect(self._rendered)
        window.reporter.sig_reported.connect(self._failed)
        # nobody looks at the window before the picture: it is painted once, by the grab
        window.setUpdatesEnabled(False)

    def _rendered(self, _result: Any) -> None:
        """A picture is on the canvas (connected after it): grab now unless a finer one is coming."""
        if self.code is not None or self.error is not None:
            return
        if not self.first.isValid():
            self.first.start()
        self._settled()

    def _settled(self) -> None:
        """Grab now unless a finer picture is on its way: a view change still in its debounce is
        sent at once (it starts a finer render or needs none) and a running view render is awaited.
        Grabbing before the event loop repaints the window keeps it painted once, by the grab."""
        if self.first.elapsed() < SETTLE_MAX_MS:
            self.window.canvas.send_view_now()
            if self.window.session.view_render_active:
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
        """Save the window as it is now and end the event loop with ``code``."""
        from PySide6.QtCore import QCoreApplication, QEvent

        if self.code is not None:
            return
        self.code = code
        self.settle.stop()
        self.timeout.stop()
        self.window.setUpdatesEnabled(True)
        # lay out what the last signals changed; painting is left to the grab itself
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        pm = self.window.grab()
        saved = pm.save(self.out, "PNG", PNG_QUALITY)
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


@contextlib.contextmanager
def _no_collections() -> Iterator[None]:
    """No cyclic garbage collection inside the block. Start-up only makes objects that live as long
    as the app (modules, classes, widgets), so the collections that would run while it imports and
    builds everything find nothing, and cost about a tenth of the start-up.

    Kept (with the ``gc.freeze()`` calls below) because measured worth it: ``satview DEMO.tar
    --screenshot`` took 1.37 s of CPU without them against 1.16-1.24 s with them (median of 7 runs
    each, 2-core VM), 10-18 %, above the 5 % of the screenshot figure of docs/PERFORMANCE.md."""
    gc.disable()
    try:
        yield
    finally:
        from satview.qt import gui_gc  # lazy: loads pyqtgraph, which the block has loaded by now

        if not gui_gc.active():  # once the window exists, the GUI thread collects (satview.qt.gui_gc)
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; ``argv`` are the arguments after the program name. Returns the exit code."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.selftest:
        return selftest()
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    path = os.path.abspath(os.path.expanduser(args.path)) if args.path else None

    with _no_collections():
        from satview.core import requests
        from satview.workers.lanes import Workers

        # The interactive worker starts now and imports its stack while Qt loads here; the scene's
        # first picture is asked for at once, so it is mostly drawn by the time the window exists.
        workers = Workers()
        first = (path, args.dataset, requests.COARSE_SIZE)  # Session.open asks for the same picture
        opening = None
        if path:
            opening = workers.pool("interactive").submit(requests.open_view, *first)
        cleanup_stale_exports()

        from PySide6.QtCore import QSettings
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        from satview import __version__
        from satview.qt.icons import app_icon
        from satview.qt.main_window import MainWindow
        from satview.qt.workers import Background

        app = QApplication.instance()
        own_app = app is None
        if app is None:
            app = QApplication([sys.argv[0] if sys.argv else "satview"])
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

        background = Background(workers=workers)
        if opening is not None:
            background.adopt("display", opening, requests.open_view, *first)
        window = MainWindow(background, settings=settings)
        window.reporter.install_hooks()
        shot = None
        if args.screenshot:
            window.resize(1400, 900)
            label = path or "the demo scene"
            shot = _Screenshot(app, window, os.path.abspath(args.screenshot), label, args.timeout)

        app.aboutToQuit.connect(window.shutdown)
        window.show()
        if path:
            window.files.select_path(path)
            window.open_path(path, args.dataset)
        else:
            _start_demo(window)
    if own_app:  # this process is the app's: its start-up objects are kept out of later collections
        gc.freeze()
    code = app.exec()
    window.shutdown()
    window.reporter.uninstall_hooks()
    if shot is not None and shot.code is not None:
        code = shot.code
    window.close()
    window.deleteLater()
    if tmp_settings is not None and settings is not None:
        settings.sync()  # written now, so the QSettings destructor has nothing left to write
        tmp_settings.cleanup()
    if own_app:
        # The process ends next and everything is saved and closed: what is still alive is left to
        # the OS instead of to the interpreter's final garbage collections over every Qt, pyqtgraph
        # and numpy object (0.1-0.3 s of the exit).
        gc.freeze()
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
