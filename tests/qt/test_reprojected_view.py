"""The reprojected view works like the native one: scale bar, readout, AOIs, zoom, status, north, go-to."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QDialog
from qthelpers import NSIDC_BIN, data_to_widget, draw_polygon, open_and_wait, run_task

from satview.core.geo import transformer
from satview.qt.dialogs.export import ExportDialog


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory):
    """A small demo scene, made once for the module (tar members are read in place)."""
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(640, 660))


def _reproject(qtbot, win, code: str = "EPSG:3338"):
    proj = win.projection
    proj.chooser.combo.setCurrentIndex(proj.chooser.combo.findData(code))
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000,
                          check_params_cb=lambda r: r.coarse and r.crs_wkt is not None) as blk:
        proj.reproject.setChecked(True)
    qtbot.waitUntil(lambda: win.canvas.warp is not None, timeout=10_000)
    qtbot.wait(200)  # the framing's view change settles
    return blk.args[0]


def _source_pixel(warp, col: float, row: float) -> tuple[int, int]:
    """(row, col) of the scene cell under view position (col, row), by pyproj directly."""
    x, y = warp.grid.transform * (col, row)
    sx, sy = transformer(warp.grid.crs, warp.source.crs).transform(x, y)
    c, r = ~warp.source.transform * (sx, sy)
    return math.floor(r), math.floor(c)


def test_scale_bar_measures_the_reprojected_grid(qtbot, win, demo_path):
    """In the reprojected view the scale bar's metres per screen pixel are the distance, in the target
    CRS, between the map points under two screen pixels (not the scene's pixel size)."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    canvas = win.canvas
    grid = canvas.warp.grid
    centre = canvas.vb.mapViewToScene(QPointF(*canvas._centre()))
    a = canvas.vb.mapSceneToView(centre)
    b = canvas.vb.mapSceneToView(centre + QPointF(100, 0))
    xa, ya = grid.transform * (a.x(), a.y())
    xb, yb = grid.transform * (b.x(), b.y())
    per_px = math.hypot(xb - xa, yb - ya) / 100
    assert canvas.metres_per_screen_pixel() == pytest.approx(per_px, rel=0.02)


def test_readout_reports_the_source_pixel_under_the_cursor(qtbot, win, demo_path):
    """Moving the mouse over the reprojected view reads the scene cell whose area is under the cursor."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    warp = win.canvas.warp
    for fx, fy in ((0.5, 0.5), (0.35, 0.6)):
        pos = data_to_widget(win.canvas, warp.grid.width * fx, warp.grid.height * fy)
        with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000) as blk:
            qtbot.mouseMove(win.canvas.glw.viewport(), pos)
        rep = blk.args[0]
        under = win.canvas.vb.mapSceneToView(win.canvas.glw.mapToScene(pos))  # the exact cursor position
        col, row = under.x(), under.y()
        exp_row, exp_col = _source_pixel(warp, col, row)
        assert abs(rep.row - exp_row) <= 1 and abs(rep.col - exp_col) <= 1
    assert win.projection.where.item(2, 1).text() == f"{rep.row}, {rep.col}"


def test_aoi_drawn_in_the_reprojected_view_is_real_and_clips_the_source(
        qtbot, win, demo_path, tmp_path, monkeypatch):
    """An AOI drawn in the reprojected view is stored in the scene CRS, shown in both views, and its
    clip is on the source grid (scene CRS and pixel size)."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    warp = win.canvas.warp
    w, h = warp.grid.width, warp.grid.height
    targets = [(w * 0.4, h * 0.4), (w * 0.6, h * 0.42), (w * 0.58, h * 0.6), (w * 0.42, h * 0.58)]
    draw_polygon(qtbot, win, targets)
    summary = win.aois.aois[0]
    aoi = win.aois.aoi(summary.id)
    assert aoi.crs == win.session.info.grid.crs
    # each drawn corner is within a view pixel of a vertex of the stored polygon
    xs, ys = aoi.geometry.exterior.coords.xy
    vx, vy = transformer(aoi.crs, warp.grid.crs).transform(np.asarray(xs), np.asarray(ys))
    vc, vr = ~warp.grid.transform * (np.asarray(vx), np.asarray(vy))
    for col, row in targets:
        assert np.min(np.hypot(vc - col, vr - row)) < 1.5
    assert summary.id in win.canvas.aoi_layer.drawn  # shown in the reprojected view
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000,
                          check_params_cb=lambda r: r.coarse and r.crs_wkt is None):
        win.projection.reproject.setChecked(False)
    qtbot.waitUntil(lambda: win.canvas.warp is None, timeout=10_000)
    assert summary.id in win.canvas.aoi_layer.drawn  # and in the native one

    out = tmp_path / "clip.tif"

    def fake_exec(dlg):
        dlg.path.setText(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    ctrl = Qt.KeyboardModifier.ControlModifier
    run_task(qtbot, win, "clip", lambda: qtbot.keyClick(win, Qt.Key.Key_E, ctrl))
    with rasterio.open(out) as ds:
        grid = win.session.info.grid
        assert ds.crs == grid.crs and ds.res == pytest.approx(grid.res)


def test_zooming_in_rereads_sharper_in_the_target_crs(qtbot, win, demo_path):
    """Zoomed into the reprojected view, a finer picture of the visible part arrives (more image
    pixels than view pixels), still in the target CRS."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000,
                          check_params_cb=lambda r: not r.coarse) as blk:
        win.canvas.zoom(6.0)
    fine = blk.args[0]
    x, y, w, h = fine.pixel_rect
    rows, cols = fine.rgba.shape[:2]
    (vx0, vx1), _ = win.canvas.vb.viewRange()
    screen_per_view_px = win.canvas.vb.width() / (vx1 - vx0)
    assert screen_per_view_px > 2
    assert fine.crs_wkt is not None
    assert cols / w == pytest.approx(screen_per_view_px, rel=0.1)
    assert rows / h == pytest.approx(cols / w, rel=0.1)
    c0, r0, c1, r1 = win.canvas.view_rect()
    assert x <= c0 + 1 and y <= r0 + 1 and x + w >= c1 - 1 and y + h >= r1 - 1
    assert win.canvas.fine.image is not None


def test_status_bar_is_cleared_when_the_reprojected_view_is_ready(qtbot, win, demo_path):
    """"Reprojecting the view..." disappears once the picture is shown."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    qtbot.waitUntil(lambda: "Reprojecting" not in win.statusBar().currentMessage(), timeout=10_000)


def test_seaice_view_has_no_earth_around_albers_apex_and_north_turns(qtbot, win, real_data):
    """Sea ice in Albers: the wedge behind the cut meridian is transparent on screen and takes no
    polygon corners; the north arrow follows the grid convergence of the native polar stereographic
    grid."""
    from satview.core.mapview import north_angle

    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    canvas = win.canvas
    canvas.vb.setRange(QRectF(200, 50, 100, 100), padding=0)  # far from the central meridian: turned
    expected = north_angle(win.session.info.grid, *canvas._centre())
    assert expected is not None and abs(expected) > 5
    qtbot.waitUntil(lambda: canvas.north_angle() == pytest.approx(expected), timeout=10_000)
    res = _reproject(qtbot, win)
    grid = canvas.warp.grid
    wedge_col, wedge_row = ~grid.transform * (0, 8_000_000)  # beyond the pole on the central meridian
    assert 0 <= wedge_row < grid.height and 0 <= wedge_col < grid.width
    assert res.rgba[int(wedge_row), int(wedge_col), 3] == 0
    assert (res.rgba[..., 3] == 255).mean() > 0.3
    # a polygon corner cannot go where there is no Earth; one over Alaska can
    canvas.set_drawing(True)
    canvas.add_vertex(wedge_col, wedge_row)
    assert canvas.vertices == []
    alaska_col, alaska_row = ~grid.transform * (0, 1_500_000)
    canvas.add_vertex(alaska_col, alaska_row)
    assert len(canvas.vertices) == 1
    canvas.cancel_drawing()


def test_go_to_lonlat_marks_the_point_in_both_views(qtbot, win, demo_path):
    """Go to lon/lat puts a marker on the point and centres the view there, native and reprojected."""
    open_and_wait(qtbot, win, demo_path)
    c = win.session.info.footprint.centroid
    win.projection.goto.setText(f"{c.x:.6f}, {c.y:.6f}")
    with qtbot.waitSignal(win.session.sig_pixel, timeout=30_000):
        win.projection._goto()
    xs, ys = win.canvas.marker.getData()
    grid = win.session.info.grid
    x, y = transformer("EPSG:4326", grid.crs).transform(c.x, c.y)
    col, row = ~grid.transform * (x, y)
    assert len(xs) == 1 and abs(xs[0] - col) < 0.01 and abs(ys[0] - row) < 0.01
    _reproject(qtbot, win)
    xs, ys = win.canvas.marker.getData()
    vgrid = win.canvas.warp.grid
    x, y = transformer("EPSG:4326", vgrid.crs).transform(c.x, c.y)
    col, row = ~vgrid.transform * (x, y)
    assert len(xs) == 1 and abs(xs[0] - col) < 0.01 and abs(ys[0] - row) < 0.01


def test_a_scene_opened_in_the_reprojected_view_stays_reprojected(qtbot, win, demo_path, real_data):
    """Opening another scene while the view is reprojected shows it reprojected too, the box stays
    ticked and the view's grid is over the new scene."""
    open_and_wait(qtbot, win, demo_path)
    _reproject(qtbot, win)
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000,
                          check_params_cb=lambda r: r.coarse and r.crs_wkt is not None):
        win.open_path(str(real_data / NSIDC_BIN))
    qtbot.waitUntil(lambda: win.canvas.warp is not None
                    and win.canvas.warp.source == win.session.info.grid, timeout=10_000)
    assert win.projection.reproject.isChecked()


def test_seaice_polygon_drawn_across_the_blank_wedge_keeps_its_earth_part(qtbot, win, real_data):
    """Sea ice in Albers: a polygon whose edges cross the blank wedge behind the cut meridian is
    added (cut to its part on the Earth, in the scene's CRS), not refused; one drawn with its
    corners in the wedge is refused saying there is no Earth there."""
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    _reproject(qtbot, win)
    grid = win.canvas.warp.grid
    col, _ = ~grid.transform * (0, 8_000_000)
    draw_polygon(qtbot, win, [(col - 80, 20), (col + 80, 20), (col + 80, 80), (col - 80, 80)])
    summary = win.aois.aois[-1]
    aoi = win.aois.aoi(summary.id)
    assert summary.n_vertices == 4 and summary.overlaps  # every corner on the Earth, edges across the wedge
    assert aoi.crs == win.session.info.grid.crs and aoi.is_valid and aoi.area_km2() > 100_000
    with qtbot.waitSignal(win.reporter.sig_reported, timeout=10_000) as blk:
        win.aois.add_aoi([(col - 5, 3), (col + 5, 3), (col + 5, 25), (col - 5, 25)], grid)
    assert "no Earth" in blk.args[0].message
