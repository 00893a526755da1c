"""Regression tests for what the GUI monkey (bench/monkey.py) found."""

from __future__ import annotations

import threading

import numpy as np
import pyproj.database
from PySide6.QtTest import QTest

from satview.qt.panels import projection


def test_first_crs_search_reads_the_proj_database_off_the_gui_thread(qtbot, monkeypatch):
    """The first PROJ-database search (about 0.3 s of CPU) runs in a thread, not the GUI thread,
    and its results still show up in the list."""
    monkeypatch.setattr(projection, "_CATALOGUE", None)
    real_query = pyproj.database.query_crs_info
    threads: list[threading.Thread] = []

    def query(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_query(*args, **kwargs)

    monkeypatch.setattr(pyproj.database, "query_crs_info", query)
    chooser = projection.CrsChooser()
    qtbot.addWidget(chooser)
    chooser.set_text("")
    QTest.keyClicks(chooser.filter, "polar stereo")
    qtbot.waitUntil(lambda: chooser.results.count() > 0, timeout=30_000)
    assert threads and threading.main_thread() not in threads
    assert chooser.status.text() == ""


def test_imported_lonlat_aoi_is_drawn_with_few_handles(qtbot, win, real_data, tmp_path):
    """A lon/lat box imported over a UTM scene arrives densified (thousands of vertices after
    reprojection); it is drawn as an editable outline of at most MAX_DRAWN_VERTICES handles that keeps
    the box's shape, instead of freezing the GUI for minutes building one handle per vertex."""
    import json

    from qthelpers import open_and_wait
    from shapely.geometry import Polygon

    from satview.qt.aoi_store import MAX_DRAWN_VERTICES

    open_and_wait(qtbot, win, real_data / "geotiff" / "RGB.byte.tif")
    c = win.session.info.footprint.centroid
    box = [[c.x - 0.3, c.y - 0.3], [c.x + 0.3, c.y - 0.3], [c.x + 0.3, c.y + 0.3], [c.x - 0.3, c.y + 0.3]]
    path = tmp_path / "box.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {},
                                "geometry": {"type": "Polygon", "coordinates": [[*box, box[0]]]}}))
    with qtbot.waitSignal(win.aois.sig_aois_changed, timeout=60_000):
        win.aois.import_aois(str(path))
    qtbot.waitUntil(lambda: len(win.canvas.aoi_layer.drawn) == 1, timeout=10_000)
    (aoi_id, drawn), = win.canvas.aoi_layer.drawn.items()
    win.canvas.select_aoi(aoi_id)
    assert np.allclose(win.canvas.aoi_layer.vertices(win.canvas.aoi_layer.editor), drawn)
    assert 4 <= len(drawn) <= MAX_DRAWN_VERTICES
    aoi = win.aois.aoi(aoi_id).to_crs(win.session.info.grid.crs).geometry
    inv = ~win.session.info.grid.transform
    full = Polygon([inv * xy for xy in aoi.exterior.coords])
    assert len(full.exterior.coords) > MAX_DRAWN_VERTICES  # the case this guards: a densified ring
    assert abs(Polygon(drawn).area - full.area) < 0.01 * full.area


def test_reopening_a_modis_scene_matches_its_crs_against_proj_once(qtbot, win, real_data):
    """The EPSG code of a CRS that has none (MODIS sinusoidal: some 40 ms of PROJ database search
    per call, two calls per opened scene, in the GUI thread) is looked up once: opening the scene
    again makes no new search."""
    from qthelpers import open_and_wait

    from satview.core import geo

    modis = real_data / "hdf4" / "MOD09A1.A2017193.h18v04.006.2017202035302.hdf"
    open_and_wait(qtbot, win, modis)
    assert win.projection.epsg_label.text() == "—"
    open_and_wait(qtbot, win, real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin")
    searches = geo._epsg_of_wkt.cache_info().misses
    open_and_wait(qtbot, win, modis)
    assert geo._epsg_of_wkt.cache_info().misses == searches
    assert win.projection.epsg_label.text() == "—"


def test_aoi_overlap_marks_are_not_recomputed_for_every_change(qtbot, win, real_data, monkeypatch):
    """With many AOIs stored (the monkey had some 30 when opening a scene kept the GUI thread busy
    767 ms; later 1.2 s on a whole-world grid), the GUI thread places none of them on a newly opened
    scene (a worker does), and adding another AOI places only that one, at once."""
    from qthelpers import open_and_wait
    from shapely.geometry import box

    from satview.core import aoi as core_aoi
    from satview.core import aoi_marks

    open_and_wait(qtbot, win, real_data / "landsat-tarballs" / "LC09_L1TP_112081_20220209_20220209_02_T1.tar")
    for i in range(12):  # lon/lat boxes over South America: nowhere near the Australian scene
        win.aois._put(core_aoi.AOI(box(-70 + i, -30, -69 + i, -29), core_aoi.LONLAT_CRS), 4)
    in_gui: list[object] = []
    real_mark = aoi_marks.mark_aoi
    monkeypatch.setattr(aoi_marks, "mark_aoi", lambda a, info: in_gui.append(a) or real_mark(a, info))
    win.aois._emit()
    qtbot.waitUntil(lambda: [s.overlaps for s in win.aois.aois] == [False] * 12, timeout=60_000)
    assert in_gui == []
    g = win.session.info.grid
    aid = win.aois.add_aoi([(g.width * 0.4, g.height * 0.4), (g.width * 0.6, g.height * 0.4),
                            (g.width * 0.5, g.height * 0.6)])
    assert in_gui == [win.aois.aoi(aid)]
    assert win.aois.aois[-1].overlaps


def test_north_arrow_of_a_polar_scene_builds_no_pyproj_transformer(qtbot, win, real_data, monkeypatch):
    """The north arrow (painted on every repaint) turns with the polar stereographic grid using GDAL's
    transform: the first paint of a projected scene used to import pyproj and build two transformers
    in the GUI thread (~180 ms; the monkey's stall of 259 ms of GUI-thread CPU)."""
    from qthelpers import NSIDC_BIN, open_and_wait

    from satview.core import mapview

    def refuse(*_a, **_k):
        raise AssertionError("a pyproj transformer was built for the north arrow")

    monkeypatch.setattr(mapview, "transformer", refuse)
    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    g = win.session.info.grid
    left, right = mapview.north_angle(g, 20, g.height / 2), mapview.north_angle(g, g.width - 20, g.height / 2)
    assert left is not None and right is not None and left * right < 0 and abs(left) > 20
    win.canvas.vb.setRange(xRange=(0, 60), yRange=(200, 260), padding=0)
    qtbot.waitUntil(lambda: abs(win.canvas.north_angle() or 0) > 20, timeout=10_000)  # found in a worker


def test_aoi_beyond_the_south_pole_is_drawn_on_an_arctic_scene(qtbot, win, real_data):
    """A lon/lat AOI from beyond the south pole (latitude -95, as a hand-written file may say) to the
    Arctic overlaps the sea-ice scene but cannot be transformed to its north polar stereographic CRS as
    a whole: its part over the scene is drawn, with no "Cannot draw the AOI" error (the monkey saw 7)."""
    from qthelpers import NSIDC_BIN, open_and_wait
    from shapely.geometry import box

    from satview.core.aoi import AOI, LONLAT_CRS

    open_and_wait(qtbot, win, real_data / NSIDC_BIN)
    reports: list[object] = []
    win.reporter.sig_reported.connect(reports.append)
    aid = win.aois._put(AOI(box(-60, -95, 30, 75), LONLAT_CRS), 4)
    win.aois._emit()
    ring = win.aois.aoi_vertices_pixels(aid)
    g = win.session.info.grid
    assert len(ring) >= 3 and reports == []
    assert all(-g.width <= c <= 2 * g.width and -g.height <= r <= 2 * g.height for c, r in ring)


def test_outline_that_cannot_be_simplified_is_drawn_without_hanging():
    """An outline that Douglas-Peucker (topology kept) cannot reduce at any tolerance (a scribble of
    absurd coordinates, as a garbage reprojection gives) comes back with at most MAX_DRAWN_VERTICES
    vertices instead of looping for ever (the monkey's GUI hung at action 6,766 in drawable_ring)."""
    import random

    from satview.qt.aoi_store import MAX_DRAWN_VERTICES, drawable_ring

    rng = random.Random(1)
    ring = [(rng.uniform(-1e23, 1e23), rng.uniform(-1e23, 1e23)) for _ in range(300)]
    assert 3 <= len(drawable_ring(ring)) <= MAX_DRAWN_VERTICES


def test_aoi_editor_works_out_its_state_once_however_many_vertices(qtbot, win, monkeypatch):
    """Selecting an AOI builds its editor with the ROI state worked out once, not once per handle
    added (pyqtgraph's PolyLineROI does it per handle over all handles: O(n²), ~85 ms of GUI thread
    for 64 vertices, the monkey's 356 ms select_aoi stall on a loaded machine)."""
    import math

    from satview.qt.aoi_layer import AoiEditor
    from satview.qt.aoi_store import MAX_DRAWN_VERTICES

    n = MAX_DRAWN_VERTICES
    angles = [2 * math.pi * i / n for i in range(n)]
    ring = [(100 + 50 * math.cos(a), 100 + 50 * math.sin(a)) for a in angles]
    layer = win.canvas.aoi_layer
    calls = []
    original = AoiEditor.getState
    monkeypatch.setattr(AoiEditor, "getState", lambda self: calls.append(1) or original(self))
    layer.drawn = {1: ring}
    layer.select(1)
    assert layer.editor is not None and np.allclose(layer.vertices(layer.editor), ring)
    assert len(calls) < n // 4, len(calls)  # pyqtgraph alone: 4 per vertex
