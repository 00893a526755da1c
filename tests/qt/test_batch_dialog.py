"""The Batch... dialog: quick-looks of a folder with a bad file, cancel, and clips to a window AOI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

DATES = (dt.date(2021, 4, 2), dt.date(2021, 6, 12), dt.date(2021, 8, 30))
TIMEOUT = 180_000


@pytest.fixture(scope="module")
def demo_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three small demo tarballs with different seeds and dates."""
    from satview.core.demo import make_demo_scene

    root = tmp_path_factory.mktemp("batch-demo")
    return [make_demo_scene(root, size=(200, 220), seed=i + 1, acquired=d) for i, d in enumerate(DATES)]


@pytest.fixture
def downloads(tmp_path: Path, demo_scenes: list[Path]) -> Path:
    """A download folder: the three demo scenes and a corrupt GeoTIFF."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    for p in demo_scenes:
        shutil.copy2(p, folder / p.name)
    (folder / "broken.tif").write_bytes(b"II*\x00" + bytes(range(256)) * 2)
    return folder


def _dialog(qtbot, win, monkeypatch, inputs: Path, out: Path):
    """Open the dialog from the menu action and choose the folders through (replaced) file dialogs."""
    win.actions_["batch"].trigger()
    dlg = win.batch_dialog
    assert dlg is not None and dlg.isVisible()
    opened: list[Path] = []
    monkeypatch.setattr(dlg, "open_contact_sheet", opened.append)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(inputs)))
    dlg.add_input_dialog()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    dlg.choose_output_dialog()
    dlg.size.setValue(128)
    dlg.workers.setValue(2)
    return dlg, opened


def _leftovers(out: Path) -> list[Path]:
    """Temporary (half-written) files anywhere under ``out``."""
    return [p for p in out.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]


def test_batch_quicklooks_with_a_bad_file(qtbot, win, monkeypatch, downloads: Path, tmp_path: Path) -> None:
    """Quick-looks of every scene, a failed row naming the corrupt file, and the contact sheet opened."""
    out = tmp_path / "out"
    dlg, opened = _dialog(qtbot, win, monkeypatch, downloads, out)
    assert dlg.input_folders() == [str(downloads)] and dlg.output.text() == str(out)
    with qtbot.waitSignal(dlg.sig_finished, timeout=TIMEOUT) as blk:
        assert dlg.start()
        assert dlg.running and not dlg.run_button.isEnabled() and dlg.cancel_button.isEnabled()
    report = blk.args[0]
    assert report is not None and not report.cancelled
    rows = dlg.rows()
    assert len(rows) == 4
    failed = [r for r in rows if r[0] == "failed"]
    assert len(failed) == 1 and failed[0][1] == "broken.tif" and failed[0][2]
    ok = [r for r in report.records if r.status == "ok"]
    assert len(ok) == 3
    for rec in ok:
        png = out / f"{rec.name}.png"
        assert png.exists() and (out / "thumbs" / f"{rec.name}.png").exists()
        with Image.open(png) as im:
            assert max(im.size) == 128
    for name in ("index.html", "contact_sheet.png", "footprints.geojson"):
        assert (out / name).exists(), name
    assert opened == [out / "index.html"]
    assert "3 done" in dlg.status.text() and "1 failed" in dlg.status.text()
    assert dlg.run_button.isEnabled() and not dlg.cancel_button.isEnabled()
    assert not _leftovers(out)


def test_batch_cancelled_right_away(qtbot, win, monkeypatch, downloads: Path, tmp_path: Path) -> None:
    """A run cancelled at once ends as cancelled (a report of cancelled scenes, or none when the
    worker had not started it): no contact sheet, no half-written files."""
    out = tmp_path / "cancelled"
    dlg, opened = _dialog(qtbot, win, monkeypatch, downloads, out)
    with qtbot.waitSignal(dlg.sig_finished, timeout=TIMEOUT) as blk:
        assert dlg.start()
        dlg.cancel()
        assert not dlg.cancel_button.isEnabled()
    report = blk.args[0]
    assert report is None or (report.cancelled and {r[0] for r in dlg.rows()} == {"cancelled"})
    assert dlg.status.text().startswith("Cancelled") and not dlg.error.text()
    assert not (out / "index.html").exists() and not (out / "contact_sheet.png").exists()
    assert opened == []
    assert not _leftovers(out)
    for png in out.rglob("*.png"):  # a scene already handed to a worker finishes whole
        with Image.open(png) as im:
            im.load()


def test_start_refuses_incomplete_choices(qtbot, win, monkeypatch, tmp_path: Path) -> None:
    """Without an input folder, with two quick-look bands, or without a usable AOI, nothing starts."""
    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    dlg = win.batch_dialog
    assert dlg is not None
    assert not dlg.start() and "input folder" in dlg.error.text()
    dlg.add_input("/nonexistent-folder")
    dlg.bands.setText("SR_B4,SR_B3")
    assert not dlg.start() and "three names" in dlg.error.text()
    dlg.command.setCurrentIndex(dlg.command.findData("clip"))
    assert not dlg.start() and "AOI" in dlg.error.text()
    missing = str(tmp_path / "missing.geojson")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (missing, "")))
    dlg.choose_aoi_dialog()
    assert dlg.aoi.currentData() == ("file", missing)
    assert not dlg.start() and "does not exist" in dlg.error.text()
    assert not dlg.running


def test_batch_clip_to_a_window_aoi(qtbot, win, monkeypatch, downloads: Path, tmp_path: Path,
                                    demo_scenes: list[Path]) -> None:
    """Clip every scene to an AOI imported in the window (handed over in map coordinates)."""
    from satview.core import open_scene

    with open_scene(demo_scenes[0]) as scene:
        c = scene.info.footprint.centroid
    aoi_file = tmp_path / "site.geojson"
    ring = [[c.x - 0.01, c.y - 0.01], [c.x + 0.01, c.y - 0.01], [c.x + 0.01, c.y + 0.01],
            [c.x - 0.01, c.y + 0.01], [c.x - 0.01, c.y - 0.01]]
    feature = {"type": "Feature", "properties": {"name": "site"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    aoi_file.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=TIMEOUT):
        win.aois.import_aois(str(aoi_file))  # read in the "files" worker
    out = tmp_path / "clips"
    dlg, opened = _dialog(qtbot, win, monkeypatch, downloads, out)
    dlg.command.setCurrentIndex(dlg.command.findData("clip"))
    assert dlg.aoi.count() == 1 and dlg.aoi.currentText().startswith("site")
    dlg.bands.setText("SR_B4,SR_B5")
    with qtbot.waitSignal(dlg.sig_finished, timeout=TIMEOUT) as blk:
        assert dlg.start()
    report = blk.args[0]
    ok = [r for r in report.records if r.status == "ok"]
    assert len(ok) == 3
    import rasterio

    for rec in ok:
        with rasterio.open(out / f"{rec.name}.tif") as ds:
            assert ds.count == 2 and 0 < ds.width < 220
    assert [r[1] for r in dlg.rows() if r[0] == "failed"] == ["broken.tif"]
    assert opened == [out / "index.html"]


def test_batch_clip_to_an_aoi_file(qtbot, win, monkeypatch, downloads: Path, tmp_path: Path,
                                   demo_scenes: list[Path]) -> None:
    """An AOI file chosen in the dialog is read by the batch's worker (not the GUI) and clips every scene."""
    from satview.core import open_scene

    with open_scene(demo_scenes[1]) as scene:
        c = scene.info.footprint.centroid
    aoi_file = tmp_path / "site.wkt"
    aoi_file.write_text(f"POLYGON(({c.x - 0.01} {c.y - 0.01}, {c.x + 0.01} {c.y - 0.01}, "
                        f"{c.x + 0.01} {c.y + 0.01}, {c.x - 0.01} {c.y - 0.01}))")
    out = tmp_path / "clips"
    dlg, _opened = _dialog(qtbot, win, monkeypatch, downloads, out)
    dlg.command.setCurrentIndex(dlg.command.findData("clip"))
    dlg.add_aoi_file(aoi_file)
    with qtbot.waitSignal(dlg.sig_finished, timeout=TIMEOUT) as blk:
        assert dlg.start()
    ok = [r for r in blk.args[0].records if r.status == "ok"]
    assert len(ok) == 3 and all((out / f"{r.name}.tif").exists() for r in ok)
