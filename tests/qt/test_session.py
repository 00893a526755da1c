"""The window's models (Session, AoiStore, Exports on one Background): scenes open and draw through
worker processes; stale results are dropped; errors arrive as ErrorReports; exports match the core;
nothing outlives shutdown()."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import workerfns

from satview.core import open_scene, requests
from satview.core.clip import clip_scene
from satview.core.pixel import query_pixel
from satview.core.render import DisplaySpec, RenderResult
from satview.core.requests import COARSE_SIZE
from satview.core.stretch import Levels, Stretch
from satview.qt.aoi_store import AoiStore, AOISummary
from satview.qt.errors import ErrorReport
from satview.qt.exports import Exports
from satview.qt.session import Session
from satview.qt.workers import Background
from satview.workers.lanes import Workers

T = 60_000
TARBALL = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
NSIDC = "nsidc/nt_20171002_f17_v1.1_n.bin"


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(300, 320))


class Models:
    """A window's models without the window: background workers, scene session, AOIs, exports."""

    def __init__(self, sync: bool = False, workers: Workers | None = None) -> None:
        self.background = Background(sync=sync, workers=workers)
        self.session = Session(self.background)
        self.aois = AoiStore(self.background, self.session)
        self.exports = Exports(self.background, self.session, self.aois)


@pytest.fixture(scope="module")
def models(qapp):
    """One process-backed set of models for the module (spawning workers costs about a second)."""
    m = Models()
    yield m
    m.background.shutdown()


@pytest.fixture
def session(models: Models) -> Session:
    return models.session


@contextlib.contextmanager
def recording(signal, into: list | None = None, fn=None):
    """Collect a signal's emissions (or call ``fn``) inside the block; disconnect afterwards."""
    got: list = [] if into is None else into
    slot = fn or (lambda *a: got.append(a[0] if len(a) == 1 else a))
    signal.connect(slot)
    try:
        yield got
    finally:
        signal.disconnect(slot)


def _open(qtbot, session: Session, path: Path) -> RenderResult:
    with recording(session.sig_rendered) as got, qtbot.waitSignals(
        [session.sig_scene_opened, session.sig_rendered], order="strict", timeout=T
    ):
        session.open(str(path))
    return got[-1]


def test_open_landsat_tarball_then_first_picture(qtbot, session: Session, real_data: Path) -> None:
    """A real tarball: sig_scene_opened, then display/histogram, then the coarse picture."""
    path = real_data / TARBALL
    order: list[str] = []
    with contextlib.ExitStack() as stack:
        for name in ("sig_scene_opened", "sig_display_changed", "sig_histogram", "sig_rendered"):
            stack.enter_context(recording(getattr(session, name), fn=lambda *a, n=name: order.append(n)))
        res = _open(qtbot, session, path)
    assert order[:4] == ["sig_scene_opened", "sig_display_changed", "sig_histogram", "sig_rendered"]
    assert session.info is not None and session.info.path == str(path) and session.path == str(path)
    assert session.display is not None and session.display.mode == "rgb"
    assert res.coarse and res.rgba.dtype == np.uint8 and res.rgba.shape[2] == 4
    assert res.rgba.flags.c_contiguous
    assert res.pixel_rect == (0.0, 0.0, float(session.info.grid.width), float(session.info.grid.height))
    assert session.levels is not None and all(-0.5 < v < 2.0 for v in session.levels.lo)  # reflectance


def test_open_nsidc_binary_in_sea_ice_colours(qtbot, models: Models, real_data: Path) -> None:
    """The NSIDC binary opens with the sea-ice display; extent/area arrive through sig_task_finished."""
    session = models.session
    res = _open(qtbot, session, real_data / NSIDC)
    assert session.display is not None and session.display.seaice
    assert res.rgba.shape == (448, 304, 4)
    with qtbot.waitSignal(models.exports.sig_task_finished, timeout=T) as blk:
        models.exports.compute_extent_area()
    kind, result = blk.args
    assert kind == "extent" and result["extent_km2"] > result["area_km2"] > 0


def test_stale_results_are_dropped(qtbot, session: Session, real_data: Path, demo_tar: Path) -> None:
    """Open A then B at once: only B's scene and pictures are emitted."""
    b = real_data / TARBALL
    with recording(session.sig_scene_opened) as infos, recording(session.sig_rendered) as rendered:
        with qtbot.waitSignal(session.sig_rendered, timeout=T):
            session.open(str(demo_tar))
            session.open(str(b))
        qtbot.wait(500)
    opened = [i.path for i in infos]
    assert opened == [str(b)]
    assert len(rendered) == 1 and rendered[0].rgba.shape[:2] == (60, 60)


def test_pixel_matches_the_core(qtbot, session: Session, demo_tar: Path) -> None:
    """The cursor readout equals satview.core.pixel.query_pixel for the same cell."""
    _open(qtbot, session, demo_tar)
    with qtbot.waitSignal(session.sig_pixel, timeout=T) as blk:
        session.request_pixel(150, 170)
    with open_scene(demo_tar) as s:
        assert blk.args[0] == query_pixel(s, 150, 170)


def test_zoomed_in_view_gets_a_fine_picture(qtbot, session: Session, demo_tar: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Zoomed in past the coarse image: a fine render of (about) the view arrives; zoomed out: none."""
    import satview.qt.session as session_mod

    monkeypatch.setattr(session_mod, "COARSE_SIZE", 128)  # the small demo scene needs a coarser overview
    coarse = _open(qtbot, session, demo_tar)
    assert max(coarse.rgba.shape[:2]) == 128
    with qtbot.waitSignal(session.sig_rendered, timeout=T) as blk:
        session.request_view((100, 100, 160, 140), (600, 400))
    res = blk.args[0]
    assert not res.coarse
    x, y, w, h = res.pixel_rect
    assert x <= 100 and y <= 100 and x + w >= 160 and y + h >= 140 and w < 100
    with recording(session.sig_rendered) as got:
        session.request_view((-50, -50, 400, 400), (100, 100))  # 4.5 px per screen px: coarse suffices
        qtbot.wait(300)
    assert got == []


def test_display_and_levels_changes_re_render(qtbot, session: Session, demo_tar: Path) -> None:
    """set_display recomputes levels (one histogram); set_levels (physical) re-renders without stats."""
    _open(qtbot, session, demo_tar)
    spec = DisplaySpec(mode="band", bands=("SR_B5",), cmap="viridis", stretch=Stretch(mode="minmax"))
    with qtbot.waitSignals([session.sig_display_changed, session.sig_histogram, session.sig_rendered],
                           timeout=T):
        session.set_display(spec)
    assert session.display == spec
    with recording(session.sig_histogram) as hist, recording(session.sig_display_changed) as changed, \
            qtbot.waitSignals([session.sig_display_changed, session.sig_rendered], timeout=T):
        session.set_levels(Levels((0.05,), (0.4,)))
    assert changed[0][1] == Levels((0.05,), (0.4,)) and hist == []
    assert session.levels == Levels((0.05,), (0.4,))


def test_clip_export_equals_clip_scene(qtbot, models: Models, demo_tar: Path, tmp_path: Path) -> None:
    """An AOI drawn in grid pixels, exported through the session, gives clip_scene's GeoTIFF."""
    aois = models.aois
    _open(qtbot, models.session, demo_tar)
    verts = [(40.0, 50.0), (220.0, 70.0), (200.0, 250.0), (60.0, 230.0)]
    with qtbot.waitSignal(aois.sig_aois_changed, timeout=T) as blk:
        aid = aois.add_aoi(verts)
    summary = blk.args[0][-1]
    assert isinstance(summary, AOISummary) and summary.id == aid and summary.n_vertices == 4
    assert summary.area_km2 == pytest.approx(180 * 180 * 0.0009, rel=0.2) and summary.overlaps
    out = tmp_path / "clip.tif"
    with qtbot.waitSignal(models.exports.sig_task_finished, timeout=T) as blk:
        models.exports.export_clip(str(out), aoi_id=aid, bands=["SR_B4", "SR_B3"])
    kind, result = blk.args
    assert kind == "clip" and Path(result.path) == out
    from satview.core.aoi import from_pixel_polygon

    with open_scene(demo_tar) as s:
        direct = clip_scene(s, from_pixel_polygon(verts, s.info.grid), tmp_path / "direct.tif",
                            bands=["SR_B4", "SR_B3"])
    with rasterio.open(out) as a, rasterio.open(direct.path) as b:
        assert a.transform == b.transform and np.array_equal(a.read(), b.read())
    assert np.allclose(aois.aoi_vertices_pixels(aid), verts) or np.allclose(
        aois.aoi_vertices_pixels(aid), verts[::-1])
    aois.remove_aoi(aid)


def test_quicklook_export(qtbot, models: Models, demo_tar: Path, tmp_path: Path) -> None:
    """The quick-look PNG of the current display is written with its world file."""
    _open(qtbot, models.session, demo_tar)
    out = tmp_path / "ql.png"
    with qtbot.waitSignal(models.exports.sig_task_finished, timeout=T) as blk:
        models.exports.export_quicklook(str(out), size=160)
    kind, result = blk.args
    assert kind == "quicklook" and out.exists() and out.with_suffix(".pgw").exists()
    assert max(result.width, result.height) == 160


def test_corrupt_file_fails_and_session_carries_on(qtbot, models: Models, demo_tar: Path,
                                                   tmp_path: Path) -> None:
    """A damaged TIFF gives one ErrorReport naming the file; the next open works."""
    session = models.session
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"II*\x00" + b"\x00garbage" * 20)
    with qtbot.waitSignal(models.background.sig_failed, timeout=T) as blk:
        session.open(str(bad))
    report = blk.args[0]
    assert isinstance(report, ErrorReport) and str(bad) in report.message and report.path == str(bad)
    assert report.details
    _open(qtbot, session, demo_tar)


def test_reader_crash_is_reported_and_recovered(qtbot, models: Models, demo_tar: Path) -> None:
    """A worker that dies under a request: "the reader crashed on FILE", then the session works again."""
    session = models.session
    _open(qtbot, session, demo_tar)
    with qtbot.waitSignal(models.background.sig_failed, timeout=T) as blk:
        models.background.run("display", workerfns.crash, str(demo_tar), done=lambda r: None,
                              title="Crash test", path=str(demo_tar))
    report = blk.args[0]
    assert "crashed" in report.message and demo_tar.name in report.message
    _open(qtbot, session, demo_tar)
    with qtbot.waitSignal(session.sig_pixel, timeout=T):
        session.request_pixel(10, 10)


def test_open_frees_the_view_lane_from_the_old_scenes_reprojection(qtbot, models: Models,
                                                                    demo_tar: Path) -> None:
    """Opening a scene cancels a view reprojection still running for the old one: a reprojection of
    the new scene is drawn, not left waiting behind the old one (which never finishes here)."""
    session, bg = models.session, models.background
    _open(qtbot, session, demo_tar)
    bg.run("view", workerfns.hung_view, str(demo_tar), done=lambda r: None, title="Old view")
    _open(qtbot, session, demo_tar)
    try:
        with qtbot.waitSignal(session.sig_rendered, timeout=T) as blk:
            session.set_reprojection("EPSG:4326")
        assert blk.args[0].crs_wkt
    finally:
        session.set_reprojection(None)


def test_cancel_an_export(qtbot, models: Models) -> None:
    """Exports.cancel() ends the running export with a cancelled ErrorReport."""
    bg = models.background
    with qtbot.waitSignal(bg.sig_progress, timeout=T):
        bg.run("export", workerfns.wait, 30.0, done=lambda r: None, title="Export", progress=True)
    with qtbot.waitSignal(bg.sig_failed, timeout=T) as blk:
        models.exports.cancel()
    assert blk.args[0].cancelled


def test_shutdown_leaves_no_worker_process(qtbot, demo_tar: Path) -> None:
    """After shutdown() no worker process of the models is alive (and shutdown is idempotent)."""
    m = Models()
    _open(qtbot, m.session, demo_tar)
    with qtbot.waitSignal(m.exports.sig_task_finished, timeout=T):
        m.exports.export_quicklook(str(demo_tar.parent / "x.png"), size=64)
    pids = m.background.pool("display").pids() + m.background.pool("export").pids()
    assert len(pids) == 2
    m.background.shutdown()
    m.background.shutdown()
    assert all(workerfns.gone(pid) for pid in pids)
    assert m.background.active == 0


def test_open_takes_a_request_submitted_before_the_window(qtbot, qapp, demo_tar: Path) -> None:
    """The app starts the worker lanes and asks for the first picture before the window exists:
    the window's Background adopts both; the one open path shows that very result with the status
    idle again, and the interactive worker stops at shutdown."""
    workers = Workers()
    pending = workers.pool("interactive").submit(requests.open_view, str(demo_tar), None, COARSE_SIZE)
    m = Models(workers=workers)
    m.background.adopt("display", pending, requests.open_view, str(demo_tar), None, COARSE_SIZE)
    s = m.session
    assert m.background.workers is workers
    busy: list[bool] = []
    busy_when_shown: list[bool] = []
    m.background.sig_busy.connect(lambda on, _msg: busy.append(on))
    s.sig_rendered.connect(lambda _r: busy_when_shown.append(busy[-1]))
    with qtbot.waitSignal(s.sig_rendered, timeout=T) as blk:
        s.open(str(demo_tar))
    assert blk.args[0] is pending.result()[-1]  # the adopted result, not a new one
    assert s.info is not None and s.info.path == str(demo_tar)
    assert busy_when_shown == [False]
    pids = workers.pool("interactive").pids()
    assert pids
    m.background.shutdown()
    assert all(workerfns.gone(pid) for pid in pids)


def test_main_window_loads_neither_pyproj_nor_the_aoi_module() -> None:
    """pyproj and satview.core.aoi (shapely + pyproj) load when AOIs or CRS tools are first used,
    not with the window: they are not needed for the first picture."""
    import subprocess
    import sys

    code = (
        "import sys; import satview.qt.main_window, satview.qt.app; "
        "print(sorted(m for m in ('pyproj', 'satview.core.aoi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- sync mode


@pytest.fixture
def sync_models(qapp):
    m = Models(sync=True)
    yield m
    m.background.shutdown()


def test_sync_session_runs_inline(qtbot, sync_models: Models, demo_tar: Path) -> None:
    """sync=True: every signal is emitted before the call returns; no process is started."""
    session = sync_models.session
    got: list[str] = []
    for name in ("sig_scene_opened", "sig_rendered", "sig_pixel"):
        getattr(session, name).connect(lambda *a, n=name: got.append(n))
    session.open(str(demo_tar))
    session.request_pixel(5, 5)
    assert got == ["sig_scene_opened", "sig_rendered", "sig_pixel"]
    assert sync_models.background.pool("display").pids() == []


def test_aoi_geojson_round_trip(qtbot, sync_models: Models, demo_tar: Path, tmp_path: Path) -> None:
    """Exported AOIs import back (read in the worker) as the same polygons, one AOI per feature."""
    aois = sync_models.aois
    sync_models.session.open(str(demo_tar))
    a = aois.add_aoi([(10, 10), (100, 10), (100, 80), (10, 80)])
    b = aois.add_aoi([(150, 150), (250, 160), (200, 260)])
    out = tmp_path / "aois.geojson"
    aois.export_aois(str(out))
    doc = json.loads(out.read_text())
    assert len(doc["features"]) == 2
    for aid in (a, b):
        aois.remove_aoi(aid)
    assert aois.aois == []
    aois.import_aois(str(out))
    assert [s.name for s in aois.aois] == ["AOI 1", "AOI 2"]
    first = aois.aois[0].id
    from shapely.geometry import Polygon

    got = Polygon(aois.aoi_vertices_pixels(first))
    assert got.symmetric_difference(Polygon([(10, 10), (100, 10), (100, 80), (10, 80)])).area < 1.0


def test_aois_of_another_place_are_kept_and_marked(qtbot, sync_models: Models, demo_tar: Path,
                                                    real_data: Path) -> None:
    """An AOI drawn on one scene stays listed when a scene elsewhere opens, marked as not overlapping
    it (and not drawn on it); back on its own scene it overlaps again."""
    m = sync_models
    m.session.open(str(demo_tar))
    aid = m.aois.add_aoi([(10, 10), (100, 10), (100, 80), (10, 80)])
    assert m.aois.aois[0].overlaps is True
    m.session.open(str(real_data / TARBALL))  # Australia; the demo scene is in California
    assert [s.id for s in m.aois.aois] == [aid] and m.aois.aois[0].overlaps is False
    assert m.aois.aoi_vertices_pixels(aid) == []
    m.session.open(str(demo_tar))
    assert m.aois.aois[0].overlaps is True


def test_errors_never_escape(qtbot, sync_models: Models) -> None:
    """Calls without a scene or with bad input report through sig_failed and never raise."""
    reports: list[ErrorReport] = []
    sync_models.background.sig_failed.connect(reports.append)
    assert sync_models.aois.add_aoi([(0, 0), (1, 1), (2, 0)]) == -1
    sync_models.exports.export_clip("/nonexistent/x.tif")
    sync_models.session.locate_lonlat(0, 0)
    sync_models.aois.import_aois("/nonexistent/aois.geojson")
    assert len(reports) == 4 and all(isinstance(r, ErrorReport) and r.message for r in reports)
