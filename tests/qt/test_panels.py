"""Panels: band controls drive the display, files browser facts, projection readout and CRS chooser."""

from __future__ import annotations

import os
import re

import pytest
from PySide6.QtCore import Qt
from qthelpers import LANDSAT_TAR, NSIDC_BIN, open_and_wait, run_task

from satview.core.stretch import Levels


def _display_after(qtbot, win, action):
    with qtbot.waitSignal(win.session.sig_display_changed, timeout=60_000) as blk:
        action()
    return blk.args


def test_presets_and_stretch_modes_reach_the_session(qtbot, win, real_data):
    """Choosing a preset, a stretch mode, gamma and linked limits changes the display in force."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    panel = win.bands
    i = panel.preset.findData("color-infrared")
    assert i >= 0
    panel.preset.setCurrentIndex(i)
    spec, _ = _display_after(qtbot, win, lambda: panel.preset.activated.emit(i))
    assert spec.preset == "color-infrared" and spec.bands == ("B5", "B4", "B3")
    assert [c.currentText() for c in panel.rgb_combos] == ["B5", "B4", "B3"]
    m = panel.stretch_mode.findData("minmax")
    panel.stretch_mode.setCurrentIndex(m)
    spec, levels = _display_after(qtbot, win, lambda: panel.stretch_mode.activated.emit(m))
    assert spec.stretch.mode == "minmax" and "min" in levels.source.lower()
    spec, _ = _display_after(qtbot, win, lambda: panel.gamma.setValue(1.6))
    assert spec.stretch.gamma == pytest.approx(1.6)
    spec, levels = _display_after(qtbot, win, lambda: panel.linked.setChecked(True))
    assert spec.stretch.linked and len(set(levels.lo)) == 1
    p = panel.stretch_mode.findData("percentile")
    panel.stretch_mode.setCurrentIndex(p)
    panel.low.blockSignals(True)
    panel.low.setValue(5.0)
    panel.low.blockSignals(False)
    spec, _ = _display_after(qtbot, win, lambda: panel.high.setValue(95.0))
    assert (spec.stretch.mode, spec.stretch.low, spec.stretch.high) == ("percentile", 5.0, 95.0)


def test_single_band_index_and_colour_bar(qtbot, win, real_data):
    """Single band with a colour map, then NDVI with its default colour map and -1..1 colour bar."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    panel = win.bands
    spec, _ = _display_after(qtbot, win, lambda: panel.mode_buttons["band"].setChecked(True))
    assert spec.mode == "band" and len(spec.bands) == 1
    panel.cmap.setCurrentText("viridis")
    spec, _ = _display_after(qtbot, win, lambda: panel.cmap.activated.emit(panel.cmap.currentIndex()))
    assert spec.cmap == "viridis"
    assert panel.colorbar.pixmap() is not None and not panel.colorbar.pixmap().isNull()
    spec, _levels = _display_after(qtbot, win, lambda: panel.mode_buttons["index"].setChecked(True))
    assert spec.mode == "index" and spec.index == "ndvi" and spec.cmap == "rdylgn"
    assert "…" in panel.colorbar_range.text()


def test_histogram_limits_drag_sets_levels(qtbot, win, real_data):
    """Moving the histogram's limit region sends physical levels to the session (source "manual")."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    panel = win.bands
    assert len(panel.plot.listDataItems()) == 3
    lo, hi = panel.region.getRegion()
    assert (lo, hi) == pytest.approx((panel.levels.lo[0], panel.levels.hi[0]))
    panel.region.setRegion((0.05, 0.2))
    region = panel.region
    _spec, levels = _display_after(qtbot, win, lambda: region.sigRegionChangeFinished.emit(region))
    assert isinstance(levels, Levels) and levels.source == "manual"
    assert (levels.lo[0], levels.hi[0]) == pytest.approx((0.05, 0.2))


def test_histogram_is_framed_once_at_its_final_size(qtbot, win, real_data):
    """The histogram's range is set from the data (no lazy auto-range) and the plot's height does not
    follow the panel's content, so the first scene paints it once instead of re-laying it out."""
    height = win.bands.plot.height()
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    panel = win.bands
    vb = panel.plot.getViewBox()
    assert list(vb.autoRangeEnabled()) == [False, False]
    (x0, x1), (y0, y1) = vb.viewRange()
    for h in panel.hist.bands:
        assert x0 < min(h.edges) and max(h.edges) < x1
        assert y0 <= 0 and max(h.counts) < y1
    assert panel.plot.height() == height == 190


def test_qa_overlay_flags_have_swatches_and_reach_the_spec(qtbot, win, real_data):
    """QA flags are listed with colour swatches; ticking one overlays it."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    panel = win.bands
    assert not panel.qa_group.isHidden() and panel.qa_band.currentText() == "QA_PIXEL"
    assert "cloud" in panel._qa_boxes and not panel._qa_boxes["cloud"].icon().isNull()
    spec, _ = _display_after(qtbot, win, lambda: panel.set_qa_flag("cloud", True))
    assert spec.qa_flags == ("cloud",) and spec.qa_band == "QA_PIXEL"


def test_units_toggle_hides_physical_columns(qtbot, win, real_data):
    """The DN / physical toggle of the band panel switches the readout's value columns."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    win.bands.units.setChecked(False)
    assert win.projection.table.isColumnHidden(2)
    win.bands.units.setChecked(True)
    assert not win.projection.table.isColumnHidden(2)


def test_files_panel_filters_and_shows_landsat_facts(qtbot, win, real_data, tmp_path):
    """Only recognised files are listed; Landsat entries get sensor, date, path/row and cloud cover."""
    folder = real_data / "landsat-tarballs"
    files = win.files
    files.set_root(str(folder))
    model = files.model
    qtbot.waitUntil(lambda: len(files.listed()) > 0, timeout=10_000)
    idx = model.index(str(folder / LANDSAT_TAR.split("/")[1]), 4)
    assert idx.isValid()
    text = model.data(idx)
    assert "OLI/TIRS" in text and "2022-02-09" in text and "112/081" in text
    qtbot.waitUntil(lambda: "cloud" in model.data(idx), timeout=20_000)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "scene.tif").write_bytes(b"")
    files.set_root(str(tmp_path))
    qtbot.waitUntil(lambda: len(files.listed()) > 0, timeout=10_000)
    names = {os.path.basename(p) for p in files.listed()}
    assert "scene.tif" in names and "notes.txt" not in names


def test_files_panel_activation_opens(qtbot, win, real_data):
    """Enter / double-click on a file asks to open it."""
    folder = real_data / "landsat-tarballs"
    win.files.set_root(str(folder))
    idx = win.files.proxy.mapFromSource(win.files.model.index(str(folder / LANDSAT_TAR.split("/")[1])))
    with qtbot.waitSignal(win.files.sig_open_requested) as blk:
        win.files.tree.activated.emit(idx)
    assert blk.args[0].endswith(".tar")


def test_projection_facts_goto_and_reproject(qtbot, win, real_data):
    """Scene CRS facts, go to lon/lat centres the readout there, reproject view draws a warped picture."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    proj = win.projection
    assert "UTM" in proj.crs_label.text()
    proj.show_wkt()
    assert "PROJCRS" in proj._wkt.text.toPlainText() and "UTM" in proj._wkt.text.toPlainText()
    proj._wkt.close()
    info = win.session.info
    c = info.footprint.centroid
    proj.goto.setText(f"{c.x:.5f}, {c.y:.5f}")
    with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000) as blk:
        proj._goto()
    rep = blk.args[0]
    assert abs(rep.lon - c.x) < 0.05 and abs(rep.lat - c.y) < 0.05  # one ~3 km cell of the sample
    i = proj.chooser.combo.findData("EPSG:3338")
    proj.chooser.combo.setCurrentIndex(i)
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000) as blk:
        proj.reproject.setChecked(True)
    assert blk.args[0].crs_wkt is not None
    assert win.canvas.reprojected
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000) as blk:
        proj.reproject.setChecked(False)
    assert blk.args[0].crs_wkt is None and not win.canvas.reprojected


def test_crs_chooser_presets_custom_and_search(qtbot):
    """Presets parse, bad custom text is reported, the PROJ database search finds EPSG:3413."""
    from satview.qt.panels.projection import CrsChooser

    w = CrsChooser()
    qtbot.addWidget(w)
    assert w.crs() is None
    for i in range(1, w.combo.count()):
        if w.combo.itemData(i) not in ("custom", None):
            w.combo.setCurrentIndex(i)
            assert w.crs() is not None
    w.set_text("not a crs at all")
    assert "cannot understand" in w.status.text()
    w.set_text("+proj=laea +lat_0=90 +lon_0=0 +datum=WGS84")
    assert w.crs().is_projected
    w.filter.setText("Polar Stereographic North")
    qtbot.waitUntil(lambda: w.results.count() > 0, timeout=10_000)
    codes = [w.results.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.results.count())]
    assert "EPSG:3413" in codes


def test_error_dialog_copies_everything(qtbot):
    """The details dialog shows message, file and traceback, and Copy puts them on the clipboard."""
    from PySide6.QtGui import QGuiApplication

    from satview.qt.dialogs.error import ErrorDialog
    from satview.qt.errors import ErrorReport

    dlg = ErrorDialog(ErrorReport("Cannot open", "/x/y.tif: damaged", "Traceback...", "/x/y.tif"))
    qtbot.addWidget(dlg)
    assert dlg.details.isHidden()
    dlg.toggle.setChecked(True)
    assert not dlg.details.isHidden()
    dlg.copy()
    text = QGuiApplication.clipboard().text()
    assert "damaged" in text and "Traceback" in text and "/x/y.tif" in text


def test_seaice_legend_is_shown_at_once_next_to_its_swatches_and_stretch_is_fixed(qtbot, win, real_data):
    """Sea ice: the legend's widgets are visible as soon as the scene is set (a --screenshot grab does
    not wait for the event loop), each label sits right of its swatch, and the stretch controls,
    which cannot change the fixed 0-100 % picture, are disabled."""
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    box = win.bands.ice_group
    box.set_scene(win.session.info)  # as the scene opens, without running the event loop after it
    widgets = [box.legend.itemAt(i).widget() for i in range(box.legend.count())]
    assert len(widgets) > 8 and not any(w.isHidden() for w in widgets)
    win.docks["bands"].raise_()
    qtbot.waitUntil(lambda: widgets[0].isVisible(), timeout=5_000)
    for row in range(box.legend.rowCount()):
        sw, label = box.legend.itemAtPosition(row, 0).widget(), box.legend.itemAtPosition(row, 1).widget()
        assert 0 <= label.geometry().left() - sw.geometry().right() < 16
    assert not win.bands.stretch_group.isEnabled() and not win.bands.region.movable


def test_extent_result_is_in_sight_without_scrolling(qtbot, win, real_data):
    """After "Extent / area" the result is inside the visible part of the band dock."""
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    win.docks["bands"].raise_()
    run_task(qtbot, win, "extent", win.bands.extent_button.click)
    label = win.bands.extent_label
    area = win.docks["bands"].widget()
    qtbot.waitUntil(lambda: label.isVisible(), timeout=5_000)
    top_left = label.mapTo(area.viewport(), label.rect().topLeft())
    bottom = label.mapTo(area.viewport(), label.rect().bottomLeft())
    assert top_left.y() >= 0 and bottom.y() <= area.viewport().height()


def test_projection_panel_numbers_units_rows_and_utm(qtbot, win, real_data):
    """Extents and pixel sizes read as 3,850,000 m / 25,000 m, all three cursor rows fit, the CRS
    name is not cut, and no UTM zone is offered for a pan-Arctic grid (but one is for a Landsat scene)."""
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    proj = win.projection
    win.docks["projection"].raise_()
    qtbot.waitUntil(lambda: proj.isVisible(), timeout=5_000)
    assert proj.res_label.text() == "25,000 m"
    assert "W -3,850,000 m" in proj.extent_label.text() and "e+" not in proj.extent_label.text()
    where = proj.where
    for r in range(3):
        rect = where.visualRect(where.model().index(r, 0))
        assert rect.top() >= 0 and rect.bottom() <= where.viewport().height()
    label = proj.crs_label
    assert label.height() >= label.heightForWidth(label.width())
    assert not any("UTM" in proj.chooser.combo.itemText(i) for i in range(proj.chooser.combo.count()))
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    assert any("UTM zone" in proj.chooser.combo.itemText(i) for i in range(proj.chooser.combo.count()))
    assert re.fullmatch(r"[\d,]+ m( x [\d,]+ m)?", proj.res_label.text())


def test_qa_flags_wrap_in_the_cursor_table(qtbot, win, real_data):
    """The QA cell of the readout wraps its flag list instead of cutting it."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    win.docks["projection"].raise_()
    with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000):
        win.session.request_pixel(30, 25)
    table = win.projection.table
    assert table.wordWrap()

    def rows_fit() -> bool:
        right = table.columnViewportPosition(4) + table.columnWidth(4)
        if not table.isVisible() or right > table.viewport().width():  # no horizontal scrolling
            return False
        # every row is as tall as its cells need at the current column widths (the view's own
        # delegate measures the wrapped text, as it does when it paints)
        return all(table.rowHeight(r) >= table.sizeHintForRow(r) for r in range(table.rowCount()))

    qtbot.waitUntil(rows_fit, timeout=5_000)  # rows follow the column width at the next layout


def test_batch_results_table_shows_rows_and_sheet_path_is_told(qtbot, win, tmp_path, monkeypatch):
    """The Batch dialog's results table is at least six rows high, and "Open contact sheet" says where
    the file is when no program can open it."""
    from PySide6.QtGui import QDesktopServices

    win.batch()
    dlg = win.batch_dialog
    qtbot.waitExposed(dlg)
    table = dlg.table
    rows_fit = (table.viewport().height()) // table.verticalHeader().defaultSectionSize()
    assert rows_fit >= 6
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    sheet = tmp_path / "index.html"
    dlg.open_contact_sheet(sheet)
    assert str(sheet) in dlg.status.text()


def test_large_dn_limits_read_as_whole_numbers(qtbot, win, tmp_path):
    """Limits of a band of large raw DN read 12,345 in the panel, never 1.234e+04."""
    import numpy as np
    import rasterio
    from affine import Affine

    path = tmp_path / "dn.tif"
    data = np.linspace(10_000, 40_000, 100 * 120).reshape(100, 120).astype(np.uint16)
    with rasterio.open(path, "w", driver="GTiff", width=120, height=100, count=1, dtype="uint16",
                       crs="EPSG:32611", transform=Affine(30, 0, 500000, 0, -30, 4000000)) as dst:
        dst.write(data, 1)
    open_and_wait(qtbot, win, path)
    text = win.bands.levels_label.text() + win.bands.colorbar_range.text()
    assert "e+" not in text and re.search(r"\d{2},\d{3}", text)


def test_crs_chooser_names_the_projection_of_a_proj_string(qtbot):
    """A PROJ string without a name is described by its projection method, not as "unknown"."""
    from satview.qt.panels.projection import CrsChooser

    chooser = CrsChooser()
    qtbot.addWidget(chooser)
    chooser.set_text("+proj=aea +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154 +datum=NAD83 +units=m")
    assert chooser.status.text().startswith("Albers Equal Area")
