"""Reprojection: target grids, in-memory warps and GeoTIFF output of whole scenes."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform as warp_transform

from satview.core import open_scene
from satview.core.reproject import (
    RESAMPLING_NAMES,
    ReprojectResult,
    output_nodata,
    reproject_array,
    reproject_scene,
    resampling_from_name,
    target_grid,
)
from satview.core.types import BandInfo, GeoGrid
from satview.errors import CancelledError, CRSError, ExportError, SatviewError


@pytest.fixture
def rgb_path(real_data: Path) -> Path:
    return real_data / "geotiff" / "RGB.byte.tif"


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(240, 320))


def _only(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# -- resampling names ---------------------------------------------------------------------------


def test_resampling_names_map_to_rasterio() -> None:
    for name in RESAMPLING_NAMES:
        assert resampling_from_name(name) == Resampling[name]
    assert resampling_from_name("Cubic-Spline") == Resampling.cubic_spline
    assert resampling_from_name(" BILINEAR ") == Resampling.bilinear


def test_bad_resampling_name_lists_choices() -> None:
    with pytest.raises(SatviewError, match="nearest, bilinear, cubic"):
        resampling_from_name("smooth")


# -- target grid ----------------------------------------------------------------------------------


def test_target_grid_covers_the_footprint(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        grid = scene.info.grid
    dst = target_grid(grid, "EPSG:4326")
    assert dst.crs == CRS.from_epsg(4326)
    left, bottom, right, top = grid.bounds
    xs, ys = warp_transform(grid.crs, dst.crs, [left, right, left, right], [top, top, bottom, bottom])
    w, s, e, n = dst.bounds
    tol = max(dst.res) * 1.01
    assert all(w - tol <= x <= e + tol for x in xs)
    assert all(s - tol <= y <= n + tol for y in ys)
    assert dst.transform.b == 0 and dst.transform.d == 0


def test_target_grid_resolution(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        grid = scene.info.grid
    dst = target_grid(grid, 3857, resolution=1000)
    assert dst.res == pytest.approx((1000, 1000))
    dst2 = target_grid(grid, 3857, resolution=(500, 2000))
    assert dst2.res == pytest.approx((500, 2000))
    with pytest.raises(SatviewError, match="positive"):
        target_grid(grid, 3857, resolution=-5)


def test_target_grid_of_a_rotated_grid_matches_its_footprint() -> None:
    rot = Affine.translation(500000, 4000000) * Affine.rotation(20) * Affine.scale(30, -30)
    grid = GeoGrid(CRS.from_epsg(32611), rot, 400, 300)
    dst = target_grid(grid, 4326)
    corners = [rot @ (c, r) for c, r in ((0, 0), (400, 0), (0, 300), (400, 300))]
    xs, ys = warp_transform(grid.crs, dst.crs, [c[0] for c in corners], [c[1] for c in corners])
    w, s, e, n = dst.bounds
    tol = max(dst.res) * 1.01
    assert all(w - tol <= x <= e + tol for x in xs) and all(s - tol <= y <= n + tol for y in ys)
    # tight: every side is touched by a corner
    assert min(xs) == pytest.approx(w, abs=tol) and max(ys) == pytest.approx(n, abs=tol)


def test_target_grid_bad_crs() -> None:
    grid = GeoGrid(CRS.from_epsg(32611), Affine(30, 0, 0, 0, -30, 0), 10, 10)
    with pytest.raises(CRSError):
        target_grid(grid, "EPSG:not-a-code")


def test_target_grid_without_crs() -> None:
    with pytest.raises(SatviewError, match="no CRS"):
        target_grid(GeoGrid(None, Affine.identity(), 10, 10), 4326)


# -- in-memory warps ----------------------------------------------------------------------------------


def test_reproject_array_matches_gdal_warped_vrt(rgb_path: Path) -> None:
    with rasterio.open(rgb_path) as src:
        data = src.read()
        grid = GeoGrid(src.crs, src.transform, src.width, src.height)
        dst = target_grid(grid, 4326)
        with WarpedVRT(src, crs=dst.crs, transform=dst.transform, width=dst.width, height=dst.height,
                       resampling=Resampling.nearest) as vrt:
            expected = vrt.read()
    got = reproject_array(data, grid, dst, "nearest", src_nodata=0, dst_nodata=0)
    assert got.shape == (3, dst.height, dst.width) and got.dtype == np.uint8
    assert np.mean(got == expected) > 0.999
    two_d = reproject_array(data[0], grid, dst, "nearest", 0, 0)
    assert two_d.shape == (dst.height, dst.width)
    np.testing.assert_array_equal(two_d, got[0])


def test_reproject_array_float_nan_is_nodata() -> None:
    grid = GeoGrid(CRS.from_epsg(32611), Affine(30, 0, 500000, 0, -30, 4000000), 64, 64)
    data = np.full((64, 64), 0.5, dtype=np.float32)
    data[:, :32] = np.nan
    dst = target_grid(grid, 4326)
    out = reproject_array(data, grid, dst, "bilinear")
    assert out.dtype == np.float32
    finite = out[np.isfinite(out)]
    assert finite.size > 0 and np.allclose(finite, 0.5)  # NaN never smeared into values
    assert np.isnan(out).any()


# -- scenes to GeoTIFF -------------------------------------------------------------------------------------


def test_reproject_geotiff_streams_from_the_source(rgb_path: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "utm_to_wgs84.tif"
    calls: list[float] = []
    with open_scene(rgb_path) as scene:
        def no_read(*a: object, **k: object) -> None:
            raise AssertionError("reproject_scene must warp from the source file, not scene.read")

        monkeypatch.setattr(scene, "read", no_read)
        result = reproject_scene(scene, out, "EPSG:4326", progress=lambda f, m: calls.append(f))
    assert isinstance(result, ReprojectResult)
    assert result.path == out and result.count == 3 and result.bands == ("band_1", "band_2", "band_3")
    assert calls == sorted(calls) and calls[-1] == 1.0
    assert _only(tmp_path) == {out.name}
    with rasterio.open(rgb_path) as src, rasterio.open(out) as ds:
        assert ds.crs == CRS.from_epsg(4326) and ds.dtypes == ("uint8",) * 3
        assert ds.nodata == 0
        assert ds.transform.almost_equals(result.transform)
        assert (ds.width, ds.height) == (result.width, result.height)
        assert ds.profile["tiled"] and ds.compression.name.lower() == "deflate"
        assert ds.descriptions == ("band_1", "band_2", "band_3")
        got = ds.read()
        with WarpedVRT(src, crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height,
                       resampling=Resampling.nearest) as vrt:
            expected = vrt.read()
    assert np.mean(got == expected) > 0.999


def test_reproject_result_placed_like_the_source(rgb_path: Path, tmp_path: Path) -> None:
    """A source pixel centre lands on the output pixel holding the same value (nearest)."""
    out = tmp_path / "r.tif"
    with open_scene(rgb_path) as scene:
        reproject_scene(scene, out, 3857)
    with rasterio.open(rgb_path) as src, rasterio.open(out) as ds:
        a = src.read(1)
        b = ds.read(1)
        hits = 0
        for r, c in ((300, 400), (200, 250), (500, 600), (359, 395)):
            x, y = src.transform @ (c + 0.5, r + 0.5)
            (x2,), (y2,) = warp_transform(src.crs, ds.crs, [x], [y])
            rr, cc = ds.index(x2, y2)
            hits += int(abs(int(b[rr, cc]) - int(a[r, c])) <= 10)
        assert hits >= 3  # nearest may pick a neighbour on a seam


def test_categorical_bands_always_nearest(demo_tar: Path, tmp_path: Path) -> None:
    bil = tmp_path / "bilinear.tif"
    near = tmp_path / "nearest.tif"
    with open_scene(demo_tar) as scene:
        assert scene.band("QA_PIXEL").categorical and not scene.band("SR_B4").categorical
        reproject_scene(scene, bil, 4326, bands=["SR_B4", "QA_PIXEL"], resampling="bilinear")
        reproject_scene(scene, near, 4326, bands=["SR_B4", "QA_PIXEL"], resampling="nearest")
        qa_values = set(np.unique(scene.read("QA_PIXEL", dn=True)).tolist())
    with rasterio.open(bil) as a, rasterio.open(near) as b:
        assert a.tags()["SATVIEW_RESAMPLING"] == "bilinear"
        np.testing.assert_array_equal(a.read(2), b.read(2))  # QA: nearest despite "bilinear"
        assert set(np.unique(a.read(2)).tolist()) - {a.nodata} <= qa_values
        assert not np.array_equal(a.read(1), b.read(1))  # SR: really bilinear


def test_calibration_nodata_and_tags_are_kept(demo_tar: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo_3857.tif"
    with open_scene(demo_tar) as scene:
        result = reproject_scene(scene, out, 3857, bands=["SR_B4", "ST_B10", "QA_PIXEL"],
                                 resolution=60)
        product = scene.info.landsat.product_id if scene.info.landsat else None
    with rasterio.open(out) as ds:
        assert ds.res == pytest.approx((60, 60))
        assert ds.descriptions == ("SR_B4", "ST_B10", "QA_PIXEL")
        assert ds.scales == pytest.approx((2.75e-05, 0.00341802, 1.0))
        assert ds.offsets == pytest.approx((-0.2, 149.0, 0.0))
        assert ds.units[1] == "K"
        # SR/ST fill 0 but QA_PIXEL has no nodata: the file uses uint16's maximum
        assert ds.nodata == 65535 and ds.dtypes[0] == "uint16"
        sr = ds.read(1)
        assert (sr == 65535).any() and not (sr == 0).any()  # SR fill rewritten to the file nodata
        assert ds.tags(1)["SOURCE_NODATA"] == "0.0"
        assert ds.tags(3)["CATEGORICAL"] == "YES"
        if product:
            assert ds.tags()["LANDSAT_PRODUCT_ID"] == product
    assert result.bands == ("SR_B4", "ST_B10", "QA_PIXEL")


def test_output_nodata_rules() -> None:
    u16 = np.dtype("uint16")
    assert output_nodata([BandInfo("a", nodata=0), BandInfo("b", nodata=0)], u16) == 0
    assert output_nodata([BandInfo("a", nodata=0), BandInfo("b")], u16) == 65535
    assert output_nodata([BandInfo("a", nodata=-1)], u16) == 65535  # not representable
    assert output_nodata([BandInfo("a", dtype="int16")], np.dtype("int16")) == -32768
    assert math.isnan(output_nodata([BandInfo("a", dtype="float32")], np.dtype("float32")))


def test_fallback_reads_through_the_scene(rgb_path: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Bands whose source GDAL cannot open directly are read through the scene; same result."""
    import satview.core.reproject as rp

    direct = tmp_path / "direct.tif"
    fallback = tmp_path / "fallback.tif"
    with open_scene(rgb_path) as scene:
        reproject_scene(scene, direct, 4326, bands=["band_2"], resampling="cubic")
        monkeypatch.setattr(rp, "_open_source", lambda band, grid: None)
        original_read = scene.read
        calls: list[object] = []

        def spy(*a: object, **k: object) -> np.ndarray:
            calls.append(a)
            return original_read(*a, **k)

        monkeypatch.setattr(scene, "read", spy)
        reproject_scene(scene, fallback, 4326, bands=["band_2"], resampling="cubic")
    assert calls
    with rasterio.open(direct) as a, rasterio.open(fallback) as b:
        np.testing.assert_array_equal(a.read(), b.read())


def test_bad_crs_leaves_nothing(rgb_path: Path, tmp_path: Path) -> None:
    with open_scene(rgb_path) as scene, pytest.raises(CRSError):
        reproject_scene(scene, tmp_path / "x.tif", "EPSG:999999")
    assert _only(tmp_path) == set()


def test_bad_resampling_and_band(rgb_path: Path, tmp_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        with pytest.raises(SatviewError, match="resampling"):
            reproject_scene(scene, tmp_path / "x.tif", 4326, resampling="fancy")
        with pytest.raises(KeyError):
            reproject_scene(scene, tmp_path / "x.tif", 4326, bands=["nope"])
        with pytest.raises(SatviewError, match="twice"):
            reproject_scene(scene, tmp_path / "x.tif", 4326, bands=["band_1", "band_1"])
    assert _only(tmp_path) == set()


def test_cancel_between_bands_leaves_nothing(rgb_path: Path, tmp_path: Path) -> None:
    seen: list[str] = []

    def progress(_f: float, msg: str) -> None:
        seen.append(msg)

    with open_scene(rgb_path) as scene, pytest.raises(CancelledError):
        reproject_scene(scene, tmp_path / "x.tif", 4326, progress=progress,
                        should_cancel=lambda: len(seen) >= 2)
    assert len(seen) == 2
    assert _only(tmp_path) == set()


def test_missing_output_folder(rgb_path: Path, tmp_path: Path) -> None:
    with open_scene(rgb_path) as scene, pytest.raises(ExportError, match="does not exist"):
        reproject_scene(scene, tmp_path / "missing" / "x.tif", 4326)


def test_existing_output_is_replaced_atomically(rgb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.tif"
    out.write_bytes(b"old")
    with open_scene(rgb_path) as scene:
        reproject_scene(scene, out, 4326, bands=["band_1"])
    with rasterio.open(out) as ds:
        assert ds.count == 1
    assert _only(tmp_path) == {"x.tif"}
    assert not any(n.startswith(".") for n in os.listdir(tmp_path))


# -- swaths (2-D lon/lat geolocation) ---------------------------------------------------------------


def test_swath_nearest_matches_spherical_nearest() -> None:
    """Each output pixel takes the swath cell nearest on the sphere (not half a cell off), and pixels
    beyond the swath's edge stay empty."""
    from satview.core.geo import transformer
    from satview.core.readers.hdf5 import SwathGeolocation
    from satview.core.reproject import swath_nearest_index, swath_target_grid

    rr, cc = np.mgrid[0:40, 0:30]
    lon = -150.0 + cc * 0.08 - rr * 0.02  # a sheared, rotated swath over Alaska
    lat = 60.0 + rr * 0.05 + cc * 0.01
    grid = swath_target_grid(lon, lat, "EPSG:3338")
    x, y = transformer("EPSG:4326", "EPSG:3338").transform(lon, lat)
    mean_spacing = np.mean(np.hypot(np.diff(x, axis=1), np.diff(y, axis=1)).ravel().tolist()
                           + np.hypot(np.diff(x, axis=0), np.diff(y, axis=0)).ravel().tolist())
    assert grid.crs.to_epsg() == 3338 and grid.res[0] == pytest.approx(mean_spacing)
    index = swath_nearest_index(lon, lat, grid)
    sw = SwathGeolocation(lon, lat)
    to_ll = transformer(grid.crs, "EPSG:4326")
    agree = filled = 0
    for r in range(0, grid.height, 2):
        for c in range(0, grid.width, 2):
            x, y = grid.transform * (c + 0.5, r + 0.5)
            cell = sw.cell(*to_ll.transform(x, y))
            if index[r, c] < 0:
                continue
            filled += 1
            assert cell != (-1, -1)  # never beyond the swath
            agree += np.ravel_multi_index(cell, lon.shape) == index[r, c]
    assert filled > 100 and agree >= 0.98 * filled


def test_reproject_swath_scene_writes_input_values(real_data: Path, tmp_path: Path) -> None:
    """A swath scene (no CRS, geolocation arrays) reprojects: only input values, default pixel size."""
    path = real_data / "hdf5-netcdf/testpyM15.h5"
    with open_scene(path) as scene:
        assert scene.info.grid.crs is None
        dn = scene.read(None, dn=True)
        result = reproject_scene(scene, tmp_path / "s.tif", 3338, resampling="bilinear")
    with rasterio.open(result.path) as ds:
        data = ds.read(1)
        assert ds.tags()["SATVIEW_RESAMPLING"] == "nearest"
    got = data[np.isfinite(data)]
    assert got.size > 50 and set(np.unique(got).tolist()) <= set(np.unique(dn).tolist())
    with open_scene(path) as scene, pytest.raises(SatviewError, match="resolution must be positive"):
        reproject_scene(scene, tmp_path / "t.tif", 3338, resolution=-1)
