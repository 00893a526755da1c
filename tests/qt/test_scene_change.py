"""Opening another file clears what belonged to the old one (readout, drawing hint) and keeps AOIs,
marking those off the new scene; outputs default to a satview folder, never next to the input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFileDialog
from qthelpers import LANDSAT_TAR, NSIDC_BIN, open_and_wait

from satview.qt.main_window import DRAW_HINT
from satview.qt.output_dirs import default_output_dir, documents_dir, is_allowed, remember_output_dir
from satview.qt.panels.aoi import NO_OVERLAP


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(200, 220))


def test_new_file_clears_the_cursor_readout(qtbot, win, demo_tar: Path, real_data: Path) -> None:
    """After a readout on one file, opening another leaves no lon/lat, cell or values of the first."""
    open_and_wait(qtbot, win, demo_tar)
    with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000):
        win.session.request_pixel(50, 60)
    win.cursor_label.setText("col 60.5  row 50.5")
    where = win.projection.where
    assert where.item(1, 1).text() and win.projection.table.rowCount() > 0
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    assert [where.item(r, 1).text() for r in range(where.rowCount())] == ["", "", ""]
    assert win.projection.table.rowCount() == 0 and win.cursor_label.text() == ""


def test_drawing_hint_goes_when_the_polygon_is_closed(qtbot, win, demo_tar: Path) -> None:
    """The "click the polygon's vertices" hint shows while drawing and is gone once it is closed."""
    open_and_wait(qtbot, win, demo_tar)
    win.actions_["draw"].setChecked(True)
    assert win.statusBar().currentMessage() == DRAW_HINT
    for col, row in ((20, 20), (120, 30), (90, 150)):
        win.canvas.add_vertex(col, row)
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=10_000):
        win.canvas.finish_polygon()
    assert win.statusBar().currentMessage() != DRAW_HINT


def test_aois_off_the_new_scene_are_greyed(qtbot, win, demo_tar: Path, real_data: Path) -> None:
    """An AOI of the demo scene (California) stays listed when the Australian tarball opens, greyed
    with a tooltip, and is not drawn there; back on the demo scene it is normal again."""
    open_and_wait(qtbot, win, demo_tar)
    aid = win.aois.add_aoi([(20, 20), (120, 30), (90, 150)])
    item = win.aoi_panel.list.item(0)
    assert item.toolTip() == "" and aid in win.canvas.aoi_layer.drawn
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    item = win.aoi_panel.list.item(0)
    grey = QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert item.toolTip() == NO_OVERLAP and item.foreground().color() == grey
    assert win.aoi_panel.summary.text().endswith("1 not on this scene")
    assert aid not in win.canvas.aoi_layer.drawn
    open_and_wait(qtbot, win, demo_tar)
    assert win.aoi_panel.list.item(0).toolTip() == "" and aid in win.canvas.aoi_layer.drawn


def test_quicklook_defaults_to_the_documents_folder(qtbot, win, demo_tar: Path, monkeypatch,
                                                    tmp_path: Path) -> None:
    """The quick-look save dialog starts in <documents>/satview, not in the input's folder; the folder
    the user picks is proposed next time."""
    open_and_wait(qtbot, win, demo_tar)
    starts: list[str] = []
    chosen = tmp_path / "mine"
    chosen.mkdir()

    def ask(_parent, _title, start, _filter):
        starts.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(ask))
    win.export_quicklook()
    assert Path(starts[0]).parent == documents_dir() and documents_dir().is_dir()
    remember_output_dir(win.settings, chosen)
    win.export_quicklook()
    assert Path(starts[1]).parent == chosen


def test_output_folders_never_next_to_inputs_or_in_the_cache(qapp, tmp_path: Path) -> None:
    """The cache, an input folder, a file's folder and a pattern's folder (and anything inside them)
    are refused; a remembered folder inside an input is not proposed."""
    from PySide6.QtCore import QSettings

    from satview.core.cache import user_cache_dir

    inputs = tmp_path / "downloads"
    inputs.mkdir()
    scene = inputs / "a.tar"
    scene.write_bytes(b"")
    assert not is_allowed(user_cache_dir("demo"))
    assert not is_allowed(inputs / "out", [inputs])
    assert not is_allowed(inputs, [scene])
    assert not is_allowed(inputs / "x", [str(inputs / "*.tar")])
    assert is_allowed(tmp_path / "out", [inputs, scene, str(inputs / "*.tar")])
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    remember_output_dir(settings, inputs)
    assert default_output_dir(settings, [inputs]) == str(documents_dir())
    assert default_output_dir(settings) == os.fspath(inputs)


def test_batch_output_defaults_outside_the_input_folder(qtbot, win, tmp_path: Path) -> None:
    """Adding an input folder proposes <documents>/satview/batch, not a folder inside the input; once
    a batch wrote somewhere, that folder (unless it is inside the new input)."""
    win.actions_["batch"].trigger()
    dlg = win.batch_dialog
    dlg.add_input(str(tmp_path))
    assert Path(dlg.output.text()) == documents_dir() / "batch"
    remember_output_dir(win.settings, tmp_path / "earlier")
    (tmp_path / "earlier").mkdir()
    dlg.output.clear()
    dlg.inputs.clear()
    dlg.add_input(str(tmp_path / "downloads"))
    assert dlg.output.text() == str(tmp_path / "earlier")
    dlg.output.clear()
    dlg.inputs.clear()
    dlg.add_input(str(tmp_path))
    assert Path(dlg.output.text()) == documents_dir() / "batch"
