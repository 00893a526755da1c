"""Requests in worker processes: round trips equal in-process results, lanes keep interactive reads
prompt, prefetch fills the worker's cache, the preload list imports."""

from __future__ import annotations

import importlib
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
import workerfns

from satview.core import open_scene, requests, scene_cache
from satview.core.clip import clip_scene
from satview.core.pixel import query_pixel
from satview.core.render import RenderResult, default_display
from satview.core.viewport import plan_read
from satview.errors import UnsupportedFormatError
from satview.workers.lanes import Workers
from satview.workers.pool import WorkerPool
from satview.workers.preload import BATCH_PRELOAD, PRELOAD, warm


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(300, 320))


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool("requests-test")
    yield p
    p.shutdown()


def test_inline_open_view_returns_picklable_values(demo_tar: Path) -> None:
    """open_view gives (SceneInfo, DisplaySpec, Levels, HistogramData, RenderResult), all picklable."""
    pool = WorkerPool("inline", inline=True)
    info, spec, levels, hist, coarse = pool.submit(requests.open_view, str(demo_tar), None, 256).result()
    pool.shutdown()
    scene_cache.close_all()
    assert info.path == str(demo_tar) and spec == default_display(info) and coarse.coarse
    again = pickle.loads(pickle.dumps((info, spec, levels, hist, coarse)))
    assert again[0].grid == info.grid and again[2] == levels


def test_portable_info_drops_unpicklable_metadata(demo_tar: Path) -> None:
    """Metadata that cannot cross the process boundary is dropped, the rest is kept."""
    from dataclasses import replace

    with open_scene(demo_tar) as s:
        info = replace(s.info, metadata={**s.info.metadata, "lock": threading.Lock()})
    out = scene_cache.portable_info(info)
    assert "lock" not in out.metadata and "mtl" in out.metadata
    pickle.dumps(out)


def test_round_trip_in_the_worker_process(pool: WorkerPool, demo_tar: Path) -> None:
    """Open, render and pixel requests run in another process and match in-process results."""
    path = str(demo_tar)
    assert pool.submit(workerfns.pid).result(60) != os.getpid()
    info, spec, levels, _, coarse = pool.submit(requests.open_view, path, None, 256).result(60)
    assert isinstance(coarse, RenderResult) and coarse.coarse
    plan = plan_read(info.grid.width, info.grid.height, (0, 0, 100, 80), (100, 80))
    fine = pool.submit(requests.render, path, None, spec, levels, plan).result(60)
    assert fine.rgba.shape == (80, 100, 4)
    report = pool.submit(requests.pixel, path, None, 120, 150).result(60)
    with open_scene(demo_tar) as s:
        assert report == query_pixel(s, 120, 150)


def test_errors_keep_their_type_and_file(pool: WorkerPool, tmp_path: Path) -> None:
    """A SatviewError raised in the worker arrives with its class, message, path and remote traceback."""
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    with pytest.raises(UnsupportedFormatError) as info:
        pool.submit(requests.open_view, str(bad), None).result(60)
    assert info.value.path == str(bad) and str(bad) in str(info.value)
    assert "open_view" in str(info.value.__cause__)


def test_clip_in_the_worker_equals_clip_scene(pool: WorkerPool, demo_tar: Path, tmp_path: Path) -> None:
    """requests.clip writes the same GeoTIFF as clip_scene in-process."""
    import rasterio

    from satview.core.aoi import from_pixel_polygon

    with open_scene(demo_tar) as s:
        aoi = from_pixel_polygon([(50, 40), (200, 60), (180, 220), (60, 200)], s.info.grid)
        direct = clip_scene(s, aoi, tmp_path / "direct.tif", bands=["SR_B4", "QA_PIXEL"])
    res = pool.submit(requests.clip, str(demo_tar), None, aoi, str(tmp_path / "worker.tif"),
                      ["SR_B4", "QA_PIXEL"]).result(60)
    assert (res.width, res.height, res.transform) == (direct.width, direct.height, direct.transform)
    with rasterio.open(res.path) as a, rasterio.open(direct.path) as b:
        assert np.array_equal(a.read(), b.read())


def test_prefetch_keeps_the_first_picture_in_the_worker(pool: WorkerPool, demo_tar: Path) -> None:
    """After a prefetch (a ``step`` without a reply), stepping to the scene is answered from the
    worker's cache: the very picture the prefetch drew."""
    path = str(demo_tar)
    drawn = pool.submit(requests.step, path, None, None, None, 200, False, priority="low").result(60)
    assert drawn is None
    first = pool.submit(requests.step, path, None, None, None, 200).result(60)
    second = pool.submit(requests.step, path, None, None, None, 200).result(60)
    assert first[4] is not None and np.array_equal(first[4].rgba, second[4].rgba)


def test_interactive_open_is_not_held_up_by_a_hung_view_reprojection_or_export(real_data: Path) -> None:
    """With a view reprojection and an export hung in their lanes, opening a small sea-ice file on the
    interactive lane still completes (the hung ones are still running when it does)."""
    workers = Workers()
    try:
        sea_ice = real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin"
        hung = [workers.submit(workerfns.hung_view, str(sea_ice)), workers.submit(workerfns.hung_export, "x")]
        opened = workers.submit(requests.open_view, str(sea_ice), None)
        info = opened.result(timeout=120)[0]
        assert info.path == str(sea_ice)
        assert not any(f.done() for f in hung)
        newer = workers.submit(workerfns.hung_view, str(sea_ice))
        assert hung[0].cancelled() and not newer.done()  # a newer view reprojection replaces the stale one
    finally:
        workers.shutdown(timeout=0)


def test_preload_imports_every_listed_module() -> None:
    """Every module of the one preload list (and of the batch's addition) exists: a renamed module
    fails here, not silently."""
    warm()
    for name in BATCH_PRELOAD:
        importlib.import_module(name)
    assert "satview.core.requests" in PRELOAD
