"""The canvas: north up, viewport-driven fine images, cursor readout, AOI drawing, clip and quick-look."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog
from qthelpers import LANDSAT_TAR, data_to_widget, draw_polygon, open_and_wait, run_task

from satview.qt.dialogs.export import ExportDialog


@pytest.fixture
def north_tif(tmp_path):
    """A 200 x 100 UTM GeoTIFF: the northern (top) half bright, the southern half dark."""
    data = np.full((100, 200), 20, dtype=np.uint8)
    data[:50] = 230
    path = tmp_path / "north.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=200,
        height=100,
        count=1,
        dtype="uint8",
        crs="EPSG:32611",
        transform=Affine(30, 0, 500000, 0, -30, 4000000),
    ) as dst:
        dst.write(data, 1)
    return path


def _grab_at(win, col, row):
    img = win.canvas.glw.grab().toImage()
    p = data_to_widget(win.canvas, col, row)
    return img.pixelColor(int(p.x()), int(p.y())).lightness()


def test_north_is_up(qtbot, win, north_tif):
    """Row 0 (north) is drawn at the top of the canvas."""
    result = open_and_wait(qtbot, win, north_tif)
    assert result.pixel_rect == (0.0, 0.0, 200.0, 100.0)
    qtbot.wait(100)
    assert _grab_at(win, 100, 10) > 180
    assert _grab_at(win, 100, 90) < 80


def test_zooming_in_brings_a_fine_image_over_the_coarse_one(qtbot, win, real_data):
    """Zoomed in, the view is re-read (debounced) into a fine image inside the view; coarse stays."""
    from satview.core.demo import make_demo_scene

    path = make_demo_scene()  # into the per-test cache folder
    open_and_wait(qtbot, win, path)
    with qtbot.waitSignal(
        win.session.sig_rendered, timeout=60_000, check_params_cb=lambda r: not r.coarse
    ) as blk:
        win.canvas.zoom(6.0)
    fine = blk.args[0]
    x, y, w, h = fine.pixel_rect
    c0, r0, c1, r1 = win.canvas.view_rect()
    assert x <= c0 + 1 and y <= r0 + 1 and x + w >= c1 - 1 and y + h >= r1 - 1
    assert win.canvas.fine.image is not None and win.canvas.coarse.image is not None
    assert win.canvas.fine.zValue() > win.canvas.coarse.zValue()


def test_cursor_readout_matches_the_core(qtbot, win, real_data):
    """Moving the mouse over a cell shows what satview.core.pixel.query_pixel reports for it."""
    from satview.core.pixel import query_pixel
    from satview.core.readers import open_scene

    path = real_data / LANDSAT_TAR
    open_and_wait(qtbot, win, path)
    row, col = 30, 25
    pos = data_to_widget(win.canvas, col + 0.5, row + 0.5)
    with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000) as blk:
        qtbot.mouseMove(win.canvas.glw.viewport(), pos)
    rep = blk.args[0]
    assert (rep.row, rep.col) == (row, col)
    with open_scene(path) as scene:
        want = query_pixel(scene, row, col)
    assert [b.name for b in rep.bands] == [b.name for b in want.bands]
    assert [b.dn for b in rep.bands] == [b.dn for b in want.bands]
    table = win.projection.table
    assert table.rowCount() == len(want.bands)
    for i, b in enumerate(want.bands):
        assert table.item(i, 0).text() == b.name
        assert table.item(i, 1).text() == str(b.dn)
    assert win.projection.where.item(2, 1).text() == f"{row}, {col}"


def test_draw_aoi_by_clicks_then_export_a_clip_equal_to_the_core(
    qtbot, win, real_data, tmp_path, monkeypatch
):
    """Clicks at grid positions make the AOI; the exported GeoTIFF equals the core's clip_scene."""
    from satview.core.aoi import from_pixel_polygon
    from satview.core.clip import clip_scene
    from satview.core.readers import open_scene

    path = real_data / LANDSAT_TAR
    open_and_wait(qtbot, win, path)
    targets = [(10, 10), (45, 12), (40, 40), (12, 35)]
    draw_polygon(qtbot, win, targets)
    assert len(win.aois.aois) == 1
    aoi_id = win.aois.aois[0].id
    got = win.aois.aoi_vertices_pixels(aoi_id)
    assert np.allclose(got, targets, atol=1.0)
    assert win.aoi_panel.list.count() == 1 and "km²" in win.aoi_panel.list.item(0).text()
    assert aoi_id in win.canvas.aoi_layer.drawn

    out = tmp_path / "clip.tif"

    def fake_exec(dlg):
        dlg.path.setText(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    run_task(
        qtbot, win, "clip", lambda: qtbot.keyClick(win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    )
    assert out.exists()
    ref = tmp_path / "ref.tif"
    with open_scene(path) as scene:
        clip_scene(scene, from_pixel_polygon(got, scene.info.grid), ref)
    with rasterio.open(out) as a, rasterio.open(ref) as b:
        assert a.count == b.count and a.shape == b.shape
        assert a.transform.almost_equals(b.transform) and a.crs == b.crs
        assert np.array_equal(a.read(), b.read())


def test_double_click_closes_and_esc_cancels(qtbot, win, real_data):
    """Double-click closes a polygon; Esc drops an unfinished one; deleting removes it everywhere."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    vp = win.canvas.glw.viewport()
    win.canvas.glw.setFocus()
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_P)
    for col, row in [(5, 5), (30, 6), (20, 30)]:
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=data_to_widget(win.canvas, col, row))
    last = data_to_widget(win.canvas, 20, 30)
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=10_000):
        qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=last)
        qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=last)
    assert len(win.aois.aois) == 1 and win.aois.aois[0].n_vertices == 3
    qtbot.keyClick(win.canvas.glw, Qt.Key.Key_P)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=data_to_widget(win.canvas, 40, 40))
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not win.canvas.drawing and len(win.aois.aois) == 1
    win.aoi_panel.list.setCurrentRow(0)
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=10_000):
        win.actions_["delete"].trigger()
    assert win.aois.aois == [] and win.canvas.aoi_layer.drawn == {}


def test_quicklook_export(qtbot, win, real_data, tmp_path, monkeypatch):
    """Ctrl+Shift+E writes a non-blank PNG of the current composite with a world file."""
    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    out = tmp_path / "quick.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    run_task(qtbot, win, "quicklook", lambda: qtbot.keyClick(win, Qt.Key.Key_E, mods))
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert not img.isNull() and img.width() > 10
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20
    assert any(
        p.suffix.lower() in (".pgw", ".wld", ".pngw") or p.name.endswith(".aux.xml")
        for p in tmp_path.iterdir()
    )


def test_index_quicklook_from_the_app_writes_its_legend(qtbot, win, real_data, tmp_path, monkeypatch):
    """An NDVI quick-look exported from the app comes with OUT.legend.png, as the CLI writes it; an
    RGB one has none."""
    from PySide6.QtGui import QImage

    open_and_wait(qtbot, win, real_data / LANDSAT_TAR)
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    rgb = tmp_path / "rgb.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(rgb), "")))
    run_task(qtbot, win, "quicklook", lambda: qtbot.keyClick(win, Qt.Key.Key_E, mods))
    assert rgb.exists() and not (tmp_path / "rgb.legend.png").exists()
    with qtbot.waitSignal(win.session.sig_display_changed, timeout=60_000):
        win.bands.mode_buttons["index"].setChecked(True)
    out = tmp_path / "ndvi.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    result = run_task(qtbot, win, "quicklook", lambda: qtbot.keyClick(win, Qt.Key.Key_E, mods))
    legend = tmp_path / "ndvi.legend.png"
    assert result.legend == legend and not QImage(str(legend)).isNull()


def test_north_arrow_shows_on_a_bright_picture_and_zoom_actions_have_icons(qtbot, win, tmp_path):
    """Over a white picture the north arrow is still drawn (white on a dark halo); Zoom in and Zoom
    out have toolbar icons."""
    data = np.full((100, 200), 255, dtype=np.uint8)
    path = tmp_path / "white.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=1, dtype="uint8",
                       crs="EPSG:32611", transform=Affine(30, 0, 500000, 0, -30, 4000000)) as dst:
        dst.write(data, 1)
    open_and_wait(qtbot, win, path)
    win.canvas.vb.setRange(win.canvas.vb.viewRect().adjusted(60, 20, -60, -20), padding=0)  # all white
    qtbot.waitUntil(lambda: win.canvas.north_angle() is not None, timeout=10_000)  # found in a worker
    qtbot.wait(50)
    img = win.canvas.glw.grab().toImage()
    w = img.width()
    box = [img.pixelColor(x, y).lightness() for x in range(w - 56, w - 4) for y in range(10, 60)]
    assert min(box) < 80 and max(box) > 240
    for key in ("zoom_in", "zoom_out"):
        assert not win.actions_[key].icon().isNull()


def test_many_aois_are_placed_by_a_worker_then_drawn(qtbot, win, north_tif, tmp_path):
    """Eleven imported AOIs (more than the GUI thread places itself) are listed at once with their
    overlap unknown, then placed in a worker: the ten over the scene are drawn, the far one is not."""
    import json

    from pyproj import Transformer

    from satview.qt.aoi_store import INLINE_MARKS

    open_and_wait(qtbot, win, north_tif)
    to_lonlat = Transformer.from_crs(32611, 4326, always_xy=True)
    features = []
    for i in range(10):
        x0, y0 = 500300 + 500 * i, 3997600
        ring = [to_lonlat.transform(x, y) for x, y in
                [(x0, y0), (x0 + 400, y0), (x0 + 400, y0 + 1500), (x0, y0 + 1500), (x0, y0)]]
        features.append({"type": "Feature", "properties": {"name": f"field {i}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    far = [[10, 45], [11, 45], [11, 46], [10, 45]]
    features.append({"type": "Feature", "properties": {"name": "far"},
                     "geometry": {"type": "Polygon", "coordinates": [far]}})
    path = tmp_path / "fields.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert len(features) > INLINE_MARKS
    seen: list[list] = []
    win.aois.sig_aois_changed.connect(lambda s: seen.append([a.overlaps for a in s]))
    win.aois.import_aois(str(path))
    qtbot.waitUntil(lambda: bool(seen) and None not in seen[-1] and len(seen[-1]) == 11, timeout=60_000)
    assert seen[0] == [None] * 11
    assert seen[-1] == [True] * 10 + [False]
    qtbot.waitUntil(lambda: len(win.canvas.aoi_layer.drawn) == 10, timeout=10_000)
    assert win.aois.aois[-1].id not in win.canvas.aoi_layer.drawn
