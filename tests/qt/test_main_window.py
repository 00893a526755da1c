"""The main window: opens real scenes, survives bad files, shortcuts, settings, drag and drop, no stalls."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog
from qthelpers import LANDSAT_TAR, NSIDC_BIN, StallMeter, open_and_wait, run_task


def test_real_tarball_opens_with_a_picture_and_panels(qtbot, win, real_data):
    """A real Landsat 9 tarball: first picture arrives, title names the product, panels fill in."""
    result = open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    assert result.rgba.dtype == np.uint8 and result.rgba.ndim == 3 and result.rgba.shape[2] == 4
    assert result.rgba[..., 3].any(), "the picture is fully transparent"
    assert "LC09_L1TP_112081_20220209_20220209_02_T1" in win.windowTitle()
    assert win.canvas.coarse.image is not None
    assert win.bands.preset.count() > 1  # presets for OLI plus "Custom"
    assert win.projection.epsg_label.text().startswith("326")
    assert win.recent_files()[0].endswith(".tar")


def test_nsidc_binary_opens_with_sea_ice_legend_and_extent(qtbot, win, real_data):
    """The NSIDC 25 km binary: picture, sea-ice legend, and the extent/area button reports km²."""
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    assert not win.bands.ice_group.isHidden()
    assert win.bands.ice_legend.count() > 4
    run_task(qtbot, win, "extent", win.bands.extent_button.click)
    assert "km²" in win.bands.extent_label.text()


def test_corrupt_file_leaves_the_window_alive_with_a_message(qtbot, win, tmp_path):
    """A damaged file gives a status-bar message naming it and a Details button; nothing pops up."""
    bad = tmp_path / "broken_scene.tif"
    bad.write_bytes(b"II*\\x00" + b"\\x00garbage" * 50)
    with qtbot.waitSignal(win.reporter.sig_reported, timeout=60_000):
        win.open_path(str(bad))
    assert win.isVisible()
    assert "broken_scene.tif" in win.statusBar().currentMessage()
    assert win.reporter.details_button.isVisible()
    win.reporter.show_details()
    dlg = win.reporter._dialog
    assert "broken_scene.tif" in dlg.text()
    dlg.close()


def test_reader_crash_leaves_the_window_alive(qtbot, win, real_data, monkeypatch):
    """A reader that kills its worker process: a message names the file, the next file opens fine."""
    import qthelpers

    from satview.core import requests

    monkeypatch.setattr(requests, "open_view", qthelpers.crash_reader)
    victim = real_data / NSIDC_BIN
    with qtbot.waitSignal(win.reporter.sig_reported, timeout=60_000) as blk:
        win.open_path(str(victim))
    assert victim.name in blk.args[0].message
    assert "crash" in blk.args[0].message.lower()
    monkeypatch.undo()
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    assert win.isVisible()


def test_shortcuts_open_draw_cancel_and_zoom(qtbot, win, real_data, monkeypatch):
    """Ctrl+O opens through the file dialog; P starts a polygon, Esc drops it; Ctrl+0 frames the scene."""
    path = str(real_data / LANDSAT_TAR)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        qtbot.keyClick(win, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    win.canvas.glw.setFocus()
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_P)
    assert win.canvas.drawing and win.actions_["draw"].isChecked()
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not win.canvas.drawing and not win.actions_["draw"].isChecked()
    (x0, x1), _ = win.canvas.vb.viewRange()
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_Plus)
    (z0, z1), _ = win.canvas.vb.viewRange()
    assert z1 - z0 < 0.9 * (x1 - x0)
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_Right)
    (p0, _p1), _ = win.canvas.vb.viewRange()
    assert p0 > z0
    qtbot.keyClick(win, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    (y0, y1), _ = win.canvas.vb.viewRange()
    assert y1 - y0 == pytest.approx(x1 - x0, rel=0.05)


def test_docks_can_be_hidden_and_layout_is_remembered(qtbot, make_win):
    """Docks hide through the View menu actions; geometry and state go to QSettings on close."""
    win = make_win()
    dock = win.docks["files"]
    dock.toggleViewAction().trigger()
    assert dock.isHidden()
    win.close()
    assert win.settings.value("window_state") is not None
    again = make_win()
    assert again.docks["files"].isHidden()


def test_drop_a_file_opens_it(qtbot, win, real_data):
    """Dropping a file on the window opens it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(real_data / LANDSAT_TAR))])
    ev = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.dropEvent(ev)
    assert "LC09" in win.windowTitle()


def test_excepthook_goes_to_the_status_bar(qtbot, win):
    """An uncaught exception in a slot is shown like any error; the app keeps running."""
    win.reporter.install_hooks()
    try:
        import sys

        with qtbot.waitSignal(win.reporter.sig_reported, timeout=5000):
            try:
                raise RuntimeError("boom in a slot")
            except RuntimeError as exc:
                sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        win.reporter.uninstall_hooks()
    assert "boom in a slot" in win.statusBar().currentMessage()


def test_event_loop_never_stalls_while_the_demo_scene_opens_and_zooms(qtbot, win, tmp_path):
    """Heartbeat: opening the demo scene (1948 x 1981, 9 COG bands) and zooming keeps stalls < 250 ms."""
    from satview.core.demo import make_demo_scene

    path = make_demo_scene(tmp_path / "demo")
    with StallMeter() as meter:
        open_and_wait(qtbot, win, path)
        for factor in (4.0, 2.0, 2.0):  # each step is finer than the whole-scene overview
            with qtbot.waitSignal(
                win.session.sig_rendered, timeout=60_000, check_params_cb=lambda r: not r.coarse
            ):
                win.canvas.zoom(factor)
        win.canvas.pan(0.3, 0.3)
        qtbot.wait(600)
    print(f"longest event-loop stall: {meter.max_gap_ms:.0f} ms")
    assert meter.max_gap_ms < 250, f"the event loop stalled for {meter.max_gap_ms:.0f} ms"
