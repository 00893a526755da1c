"""The worker-process reader service: round trips, picklable results, errors, crashes, cancel, shutdown."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from satview.core import open_scene
from satview.core import service as svc
from satview.core.clip import clip_scene
from satview.core.pixel import query_pixel
from satview.core.render import RenderResult, default_display
from satview.core.viewport import plan_read
from satview.errors import CancelledError, SatviewError, UnsupportedFormatError


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(300, 320))


@pytest.fixture(scope="module")
def service():
    s = svc.ReaderService("test")
    yield s
    s.shutdown()


def test_inline_open_returns_picklable_values(demo_tar: Path) -> None:
    """svc_open gives (SceneInfo, DisplaySpec, Levels, HistogramData), all picklable."""
    s = svc.ReaderService("inline", inline=True)
    try:
        info, spec, levels, hist = s.submit(svc.svc_open, str(demo_tar), None).result()
    finally:
        s.shutdown()
    assert info.path == str(demo_tar) and spec == default_display(info)
    again = pickle.loads(pickle.dumps((info, spec, levels, hist)))
    assert again[0].grid == info.grid and again[2] == levels


def test_portable_info_drops_unpicklable_metadata(demo_tar: Path) -> None:
    """Metadata that cannot cross the process boundary is dropped, the rest is kept."""
    from dataclasses import replace

    with open_scene(demo_tar) as s:
        info = replace(s.info, metadata={**s.info.metadata, "lock": threading.Lock()})
    out = svc.portable_info(info)
    assert "lock" not in out.metadata and "mtl" in out.metadata
    pickle.dumps(out)


def test_round_trip_in_the_worker_process(service: svc.ReaderService, demo_tar: Path) -> None:
    """Open, render and pixel requests run in another process and match in-process results."""
    path = str(demo_tar)
    pid = service.submit(svc.svc_pid).result(timeout=60)
    assert pid in service.pids() and pid != multiprocessing.current_process().pid
    info, spec, levels, _, coarse = service.submit(svc.svc_open_view, path, None, 256).result(timeout=60)
    assert isinstance(coarse, RenderResult) and coarse.coarse
    plan = plan_read(info.grid.width, info.grid.height, (0, 0, 100, 80), (100, 80))
    fine = service.submit(svc.svc_render, path, None, spec, levels, plan).result(timeout=60)
    assert fine.rgba.shape == (80, 100, 4)
    report = service.submit(svc.svc_pixel, path, None, 120, 150).result(timeout=60)
    with open_scene(demo_tar) as s:
        assert report == query_pixel(s, 120, 150)


def test_errors_keep_their_type_and_file(service: svc.ReaderService, tmp_path: Path) -> None:
    """A SatviewError raised in the worker arrives with its class, message, path and remote traceback."""
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    with pytest.raises(UnsupportedFormatError) as info:
        service.submit(svc.svc_open, str(bad), None).result(timeout=60)
    assert info.value.path == str(bad) and str(bad) in str(info.value)
    assert isinstance(info.value.__cause__, svc.RemoteTraceback)
    assert "svc_open" in str(info.value.__cause__)


def test_crash_is_reported_and_the_worker_restarts(service: svc.ReaderService, demo_tar: Path) -> None:
    """A worker that dies gives "the reader crashed on FILE"; the next request works in a new process."""
    before = service.submit(svc.svc_pid).result(timeout=60)
    with pytest.raises(SatviewError) as info:
        service.submit(svc.svc_crash_for_tests, str(demo_tar)).result(timeout=60)
    msg = str(info.value)
    assert "crashed" in msg and demo_tar.name in msg and info.value.path == str(demo_tar)
    after = service.submit(svc.svc_pid).result(timeout=60)
    assert after != before
    info2 = service.submit(svc.svc_open, str(demo_tar), None).result(timeout=60)[0]
    assert info2.path == str(demo_tar)


def test_progress_and_cancel_cross_the_process_boundary(service: svc.ReaderService) -> None:
    """Progress reaches the client callback; cancel() stops the running task with CancelledError."""
    seen: list[tuple[float, str]] = []
    got_some = threading.Event()

    def progress(f: float, m: str) -> None:
        seen.append((f, m))
        if len(seen) >= 3:
            got_some.set()

    fut = service.submit(svc.svc_wait_for_tests, 30.0, progress=progress)
    assert got_some.wait(30), "no progress arrived"
    service.cancel()
    with pytest.raises(CancelledError):
        fut.result(timeout=30)
    assert all(0 <= f <= 1 for f, _ in seen)
    assert service.submit(svc.svc_wait_for_tests, 0.05).result(timeout=30) >= 1  # later tasks run


def test_clip_in_the_worker_equals_clip_scene(service: svc.ReaderService, demo_tar: Path,
                                              tmp_path: Path) -> None:
    """svc_clip writes the same GeoTIFF as clip_scene in-process."""
    import rasterio

    from satview.core.aoi import from_pixel_polygon

    with open_scene(demo_tar) as s:
        aoi = from_pixel_polygon([(50, 40), (200, 60), (180, 220), (60, 200)], s.info.grid)
        direct = clip_scene(s, aoi, tmp_path / "direct.tif", bands=["SR_B4", "QA_PIXEL"])
    res = service.submit(svc.svc_clip, str(demo_tar), None, aoi, str(tmp_path / "worker.tif"),
                         ["SR_B4", "QA_PIXEL"]).result(timeout=60)
    assert (res.width, res.height, res.transform) == (direct.width, direct.height, direct.transform)
    with rasterio.open(res.path) as a, rasterio.open(direct.path) as b:
        assert np.array_equal(a.read(), b.read())


def test_shutdown_leaves_no_process(demo_tar: Path) -> None:
    """After shutdown() the worker process is gone and further submits are refused."""
    s = svc.ReaderService("short")
    s.submit(svc.svc_pid).result(timeout=60)
    procs = s.processes()
    assert procs and all(p.is_alive() for p in procs)
    s.shutdown()
    s.shutdown()  # idempotent
    assert not any(p.is_alive() for p in procs)
    assert not any(p in multiprocessing.active_children() for p in procs)
    with pytest.raises(SatviewError):
        s.submit(svc.svc_pid)


def svc_trip_for_tests(path: str) -> None:
    """A request on a file that trips over its content with a plain exception (as numpy or a library
    may on hostile data outside the readers' own checks)."""
    raise ValueError("zero-size array to reduction operation minimum which has no identity")


def test_plain_exception_on_a_file_is_not_called_a_damaged_file(demo_tar: Path) -> None:
    """A plain exception in a request on a file is a bug in satview: it comes back as itself (the app
    reports it as an internal error), never as a "truncated or corrupt" error about a good file."""
    service = svc.ReaderService("inline-test", inline=True)
    with pytest.raises(ValueError, match="zero-size array") as info:
        service.submit(svc_trip_for_tests, str(demo_tar)).result(timeout=10)
    assert not isinstance(info.value, SatviewError)
    service.shutdown()
