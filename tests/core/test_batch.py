"""Batch quick-looks and clips: discovery, per-file failures, resume, pooled stretch, summaries, executors."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from satview.core.batch import (
    CANCELLED,
    FAILED,
    OK,
    SKIPPED,
    BatchJob,
    ClipOptions,
    DaskExecutor,
    LocalPoolExecutor,
    QuicklookOptions,
    SerialExecutor,
    discover,
    run_batch,
)
from satview.core.batch.manifest import MANIFEST_NAME
from satview.core.batch.stats import BandHistogram, StatsResult, band_histogram, pooled_levels

SIZE = (200, 220)
DATES = (dt.date(2021, 5, 3), dt.date(2021, 6, 12), dt.date(2021, 7, 30))
SMALL = QuicklookOptions(size=128, thumb_size=64)


@pytest.fixture(scope="module")
def demo_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three small demo scenes with different seeds and dates (so different product ids)."""
    from satview.core.demo import make_demo_scene

    root = tmp_path_factory.mktemp("demo")
    return [make_demo_scene(root, size=SIZE, seed=i + 1, acquired=d) for i, d in enumerate(DATES)]


@pytest.fixture
def scene_dir(tmp_path: Path, demo_scenes: list[Path]) -> Path:
    """A download folder of the three demo tarballs."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    for p in demo_scenes:
        shutil.copy2(p, folder / p.name)
    return folder


def _corrupt_tiff(path: Path) -> Path:
    path.write_bytes(b"II*\x00" + bytes(range(256)) * 2)
    return path


def _mixed_folder(root: Path, real: Path, demo: Path) -> Path:
    folder = root / "mixed"
    (folder / "sub").mkdir(parents=True)
    shutil.copy2(demo, folder / demo.name)
    tarball = real / "landsat-tarballs" / "LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz"
    shutil.copy2(tarball, folder / "sub")
    scene = "LC08_L1TP_090084_20160121_20200907_02_T1"
    shutil.copytree(real / "landsat-scenes" / scene, folder / "sub" / scene)
    shutil.copy2(real / "geotiff" / "goes.tif", folder / "goes.tif")
    shutil.copy2(real / "hdf5-netcdf" / "testpyM15.h5", folder / "sub" / "testpyM15.h5")
    (folder / "notes.txt").write_text("my study area\n")
    _corrupt_tiff(folder / "broken.tif")
    return folder


def test_discover_mixed_folder(tmp_path: Path, real_data: Path, demo_scenes: list[Path]) -> None:
    folder = _mixed_folder(tmp_path, real_data, demo_scenes[0])
    found = discover([folder])
    names = {Path(s.path).name: s.reader for s in found.scenes}
    assert names == {
        demo_scenes[0].name: "landsat",
        "LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz": "landsat",
        "LC08_L1TP_090084_20160121_20200907_02_T1": "landsat",  # the folder, not its 13 TIFFs
        "goes.tif": "geotiff",
        "testpyM15.h5": "hdf5",
        "broken.tif": "geotiff",
    }
    assert [Path(p).name for p, _ in found.ignored] == ["notes.txt"]
    assert "text file" in found.ignored[0][1]
    # a member TIFF named directly stands for its scene folder; a missing input is reported
    member = next((folder / "sub" / "LC08_L1TP_090084_20160121_20200907_02_T1").glob("*_B4.TIF"))
    again = discover([member, folder / "sub" / "LC08_L1TP_090084_20160121_20200907_02_T1", tmp_path / "nope"])
    assert [Path(s.path).name for s in again.scenes] == ["LC08_L1TP_090084_20160121_20200907_02_T1"]
    assert again.missing and "no such file" in again.missing[0][1]
    # patterns: unrecognised matches are ignored, not failed
    pattern = discover([str(folder / "*")])
    assert {Path(s.path).name for s in pattern.scenes} >= {"goes.tif", "broken.tif"}
    assert not pattern.missing


def test_file_named_as_a_product_but_not_one_fails_by_name(tmp_path: Path, demo_scenes: list[Path]) -> None:
    """A product-named file no reader takes (a saved login page) is a failed scene, not an ignored file."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy2(demo_scenes[0], folder / demo_scenes[0].name)
    login = folder / "LC08_L1TP_090084_20160121_20170405_01_T1.tar"
    login.write_text("<!DOCTYPE html>\n<html><head><title>EROS login</title></head><body>Sign in</body>")
    (folder / "notes.txt").write_text("my study area\n")
    found = discover([folder])
    assert [Path(p).name for p, _ in found.missing] == [login.name]
    assert "HTML" in found.missing[0][1]
    assert [Path(p).name for p, _ in found.ignored] == ["notes.txt"]
    report = run_batch(BatchJob("quicklook", [str(folder)], str(tmp_path / "out"), quicklook=SMALL),
                       executor=SerialExecutor())
    status = {Path(r.path).name: r.status for r in report.records}
    assert status == {demo_scenes[0].name: OK, login.name: FAILED}
    assert report.exit_code == 1


def test_bad_file_reported_others_succeed_on_local_pool(tmp_path: Path, real_data: Path,
                                                         demo_scenes: list[Path]) -> None:
    folder = _mixed_folder(tmp_path, real_data, demo_scenes[0])
    out = tmp_path / "out"
    report = run_batch(BatchJob("quicklook", [str(folder)], str(out), quicklook=SMALL),
                       executor=LocalPoolExecutor(2))
    by_name = {Path(r.path).name: r for r in report.records}
    bad = by_name.pop("broken.tif")
    assert bad.status == FAILED and bad.error and not bad.error.startswith(bad.path)
    assert all(r.status == OK for r in by_name.values()), {n: r.error for n, r in by_name.items()}
    assert report.exit_code == 1
    # throughput counts every scene worked on (the bad one too) over the span the workers ran
    assert report.tasks_run == len(report.records) and 0 < report.task_span <= report.seconds
    assert report.throughput == pytest.approx(report.tasks_run / report.task_span)
    for r in by_name.values():
        assert (out / r.outputs[0]).is_file() and (out / r.outputs[0]).suffix == ".png"
        assert any(o.startswith("thumbs/") for o in r.outputs)
    leftovers = [p.name for p in out.rglob(".*")]
    assert leftovers == [], leftovers  # atomic writes leave no temporary files


def test_resume_skips_done_and_redoes_on_change(tmp_path: Path, scene_dir: Path) -> None:
    out = tmp_path / "out"
    job = BatchJob("quicklook", [str(scene_dir)], str(out), quicklook=SMALL)
    first = run_batch(job, executor=SerialExecutor())
    assert [r.status for r in first.records] == [OK] * 3
    assert (out / MANIFEST_NAME).is_file()

    second = run_batch(job, executor=SerialExecutor())
    assert [r.status for r in second.records] == [SKIPPED] * 3
    assert second.exit_code == 0 and second.tasks_run == 0 and second.throughput == 0
    assert [r.outputs for r in second.records] == [r.outputs for r in first.records]

    # a changed input (new mtime) is redone, the others stay skipped
    target = Path(first.records[1].path)
    os.utime(target, (target.stat().st_atime, target.stat().st_mtime + 10))
    third = run_batch(job, executor=SerialExecutor())
    assert [r.status for r in third.records] == [SKIPPED, OK, SKIPPED]

    # an option that changes the output redoes everything; a deleted output is redone
    bigger = BatchJob("quicklook", [str(scene_dir)], str(out),
                      quicklook=QuicklookOptions(size=96, thumb_size=64))
    assert [r.status for r in run_batch(bigger, executor=SerialExecutor()).records] == [OK] * 3
    (out / first.records[0].outputs[0]).unlink()
    assert [r.status for r in run_batch(bigger, executor=SerialExecutor()).records] == [OK, SKIPPED, SKIPPED]


def test_stretch_from_all_gives_identical_levels(tmp_path: Path, scene_dir: Path) -> None:
    job = BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "out"), quicklook=SMALL, stretch_from="all")
    report = run_batch(job, executor=SerialExecutor())
    levels = {r.levels for r in report.records}
    assert all(r.status == OK for r in report.records)
    assert len(levels) == 1 and len(report.levels) == 1
    per_scene = run_batch(BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "out2"), quicklook=SMALL),
                          executor=SerialExecutor())
    assert len({r.levels for r in per_scene.records}) == 3  # the default stays per scene
    # pooled levels change the resume key: switching back to per-scene redoes the quick-looks
    again = run_batch(BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "out"), quicklook=SMALL),
                      executor=SerialExecutor())
    assert [r.status for r in again.records] == [OK] * 3


def test_pooled_levels_match_percentiles_of_all_pixels() -> None:
    rng = np.random.default_rng(1)
    parts = [rng.normal(0.2, 0.05, 40_000), rng.normal(0.35, 0.1, 25_000), np.full(500, 0.9)]
    results = [StatsResult(f"s{i}", ("b",), [band_histogram(p.astype(np.float32))])
               for i, p in enumerate(parts)]
    lv = pooled_levels(results)
    allpix = np.concatenate([p.astype(np.float32) for p in parts])
    lo, hi = np.percentile(allpix, [2, 98])
    span = allpix.max() - allpix.min()
    assert abs(lv.lo[0] - lo) < span / 2000 and abs(lv.hi[0] - hi) < span / 2000
    empty = StatsResult("e", ("b",), [BandHistogram(0, np.inf, -np.inf, 0, 0, np.zeros(4096, np.int64))])
    assert pooled_levels([*results, empty]).lo == lv.lo


def test_summaries_hold_every_successful_scene(tmp_path: Path, scene_dir: Path) -> None:
    _corrupt_tiff(scene_dir / "broken.tif")
    out = tmp_path / "out"
    report = run_batch(BatchJob("quicklook", [str(scene_dir)], str(out), quicklook=SMALL),
                       executor=SerialExecutor())
    ok = report.by_status(OK)
    assert len(ok) == 3 and len(report.by_status(FAILED)) == 1
    pids = {r.facts["product_id"] for r in ok}
    assert len(pids) == 3 and all(p.startswith("LC08_L2SP_042034_2021") for p in pids)

    page = (out / "index.html").read_text()
    for r in ok:
        assert r.facts["product_id"] in page and r.facts["acquired"] in page
        assert f'href="{r.outputs[0]}"' in page
    assert "cloud " in page and "<script" not in page

    gj = json.loads((out / "footprints.geojson").read_text())
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 3
    props = {f["properties"]["product_id"]: f for f in gj["features"]}
    assert set(props) == pids
    for f in gj["features"]:
        assert f["geometry"]["type"] == "Polygon"
        lon, lat = f["geometry"]["coordinates"][0][0]
        assert -120 < lon < -118.5 and 35.5 < lat < 36.5
        assert f["properties"]["cloud_cover"] is not None and f["properties"]["acquired"]

    with Image.open(out / "contact_sheet.png") as im:
        assert im.width >= 3 * 64 and im.height > 64
        assert np.asarray(im.convert("L")).std() > 5  # not a blank canvas


def test_dask_local_cluster_matches_local_pool(tmp_path: Path, scene_dir: Path) -> None:
    pytest.importorskip("distributed")
    _corrupt_tiff(scene_dir / "broken.tif")
    job_pool = BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "pool"), quicklook=SMALL,
                        stretch_from="all")
    job_dask = BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "dask"), quicklook=SMALL,
                        stretch_from="all")
    pool = run_batch(job_pool, executor=LocalPoolExecutor(2))
    dask = run_batch(job_dask, executor=DaskExecutor("local", 2))
    assert [(r.status, r.outputs, r.levels, r.error) for r in pool.records] == \
        [(r.status, r.outputs, r.levels, r.error) for r in dask.records]
    for r in pool.records:
        for o in r.outputs:
            if o.endswith(".png"):
                a = np.asarray(Image.open(tmp_path / "pool" / o))
                b = np.asarray(Image.open(tmp_path / "dask" / o))
                assert np.array_equal(a, b), o


def test_batch_clip_skips_scenes_the_aoi_misses(tmp_path: Path, scene_dir: Path, real_data: Path) -> None:
    from satview.core.aoi import load_aoi

    shutil.copy2(real_data / "geotiff" / "RGB.byte.tif", scene_dir / "RGB.byte.tif")
    aoi = load_aoi("POLYGON((-119.34 36.05, -119.32 36.05, -119.32 36.07, -119.34 36.07, -119.34 36.05))")
    opts = ClipOptions(aoi.geometry.wkt, aoi.crs.to_wkt(), bands=("SR_B4", "QA_PIXEL"))
    out = tmp_path / "out"
    report = run_batch(BatchJob("clip", [str(scene_dir)], str(out), clip=opts), executor=SerialExecutor())
    by_name = {Path(r.path).name: r for r in report.records}
    miss = by_name.pop("RGB.byte.tif")
    assert miss.status == SKIPPED and "does not overlap" in (miss.error or "")
    assert all(r.status == OK for r in by_name.values())
    assert report.exit_code == 0
    import rasterio

    for r in by_name.values():
        with rasterio.open(out / r.outputs[0]) as ds:
            assert ds.count == 2 and 0 < ds.width < SIZE[1]
    gj = json.loads((out / "footprints.geojson").read_text())
    assert len(gj["features"]) == 3
    # resume remembers the miss too
    again = run_batch(BatchJob("clip", [str(scene_dir)], str(out), clip=opts), executor=SerialExecutor())
    assert {r.status for r in again.records} == {SKIPPED}
    assert "does not overlap" in next(r for r in again.records if r.path.endswith("RGB.byte.tif")).error


def test_cancel_stops_the_batch(tmp_path: Path, scene_dir: Path) -> None:
    seen: list[int] = []
    report = run_batch(BatchJob("quicklook", [str(scene_dir)], str(tmp_path / "out"), quicklook=SMALL),
                       executor=SerialExecutor(), progress=lambda d, t, r: seen.append(d),
                       should_cancel=lambda: len(seen) >= 1)
    assert [r.status for r in report.records] == [OK, CANCELLED, CANCELLED]
    assert report.cancelled and report.exit_code == 1
    assert not (tmp_path / "out" / "index.html").exists()


def test_satview_threads_caps_gdal_and_satview_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """SATVIEW_THREADS=1 (a batch worker on a full machine): GDAL decodes with one thread and satview's
    parallel work runs in the calling thread; unset, GDAL keeps the environment's setting."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from rasterio._env import get_gdal_config

    from satview.core.env import THREADS_ENV, ensure_thread_env
    from satview.core.threads import run_parallel

    def in_fresh_thread() -> tuple[str, set[str]]:
        ensure_thread_env()  # the thread's GDAL environment is made on its first use
        names = set(run_parallel(lambda: threading.current_thread().name, [()] * 8))
        return get_gdal_config("GDAL_NUM_THREADS", normalize=False), names

    monkeypatch.setenv(THREADS_ENV, "1")
    with ThreadPoolExecutor(1, thread_name_prefix="task") as pool:
        gdal, names = pool.submit(in_fresh_thread).result()
    assert gdal == "1" and names == {"task_0"}
    monkeypatch.delenv(THREADS_ENV)
    monkeypatch.setenv("GDAL_NUM_THREADS", "3")
    with ThreadPoolExecutor(1, thread_name_prefix="task") as pool:
        gdal, names = pool.submit(in_fresh_thread).result()
    assert gdal == "3"
    if (os.cpu_count() or 1) > 1:
        assert names and "task_0" not in names  # on the shared pool


def test_pool_workers_see_the_parent_as_it_is_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork from a long-lived fork server, yet get the environment and folder of each pool's start."""
    from satview.core.env import THREADS_ENV

    cores = os.cpu_count() or 1
    for n, folder in enumerate((tmp_path / "a", tmp_path / "b")):
        folder.mkdir()
        monkeypatch.chdir(folder)
        monkeypatch.setenv("SATVIEW_TEST_MARK", f"pool {n}")
        with LocalPoolExecutor(cores) as ex:
            got = dict(ex.run(os.getenv, [("SATVIEW_TEST_MARK",), (THREADS_ENV,)]))
            cwd = dict(ex.run(os.getcwd, [()]))[0]
        assert got == {0: f"pool {n}", 1: "1"}  # workers filling the cores run one thread each
        assert Path(cwd).resolve() == folder.resolve()
    with LocalPoolExecutor(1) as ex:  # a single worker has every core
        assert dict(ex.run(os.getenv, [(THREADS_ENV,)])) == {0: str(cores)}
