"""Clipping a scene to an AOI: source-grid alignment, pixel rules, nodata, metadata, COG, atomic writes."""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.features import geometry_mask
from rasterio.windows import Window
from shapely.geometry import Polygon, box

import satview.core.clip as clip_mod
from satview.core import open_scene
from satview.core.aoi import AOI, load_aoi
from satview.core.clip import clip_scene
from satview.core.readers.base import Scene
from satview.core.types import BandInfo, Calibration, GeoGrid, LandsatInfo, SceneInfo
from satview.errors import AOIError, CancelledError

UTM18 = CRS.from_epsg(32618)
# a pentagon well inside RGB.byte.tif (EPSG:32618, bounds 101985..339315 x 2611485..2826915)
PENTAGON = Polygon([(150123.4, 2650321.7), (260987.1, 2640111.9), (300456.2, 2720654.3),
                    (220333.3, 2800777.7), (140222.2, 2760444.4)])


@pytest.fixture()
def rgb(real_data: Path) -> Path:
    return real_data / "geotiff" / "RGB.byte.tif"


def _expected_mask(geom, transform: Affine, shape: tuple[int, int], all_touched: bool = False) -> np.ndarray:
    return geometry_mask([geom], out_shape=shape, transform=transform, all_touched=all_touched, invert=True)


def _source_window(src_transform: Affine, out_transform: Affine, w: int, h: int) -> Window:
    col, row = ~src_transform @ (out_transform.c, out_transform.f)
    return Window(round(col), round(row), w, h)


def test_aoi_overlaps_the_sample(rgb: Path) -> None:
    """The test polygon and vector/box.shp lie inside RGB.byte.tif (checked, not assumed)."""
    with rasterio.open(rgb) as ds:
        scene_box = box(*ds.bounds)
        assert ds.crs == UTM18
    assert scene_box.contains(PENTAGON)
    assert scene_box.intersects(load_aoi(rgb.parent.parent / "vector" / "box.shp").geometry)


def test_clip_keeps_exactly_pixels_with_centre_inside(rgb: Path, tmp_path: Path) -> None:
    """Pixels whose centre is inside the AOI keep their source DN; all others are nodata.

    The kept set equals rasterio's geometry_mask of the AOI on the *whole* source grid.
    """
    out = tmp_path / "clip.tif"
    with open_scene(rgb) as scene:
        res = clip_scene(scene, AOI(PENTAGON, UTM18), out)
    with rasterio.open(rgb) as src, rasterio.open(out) as dst:
        full_mask = _expected_mask(PENTAGON, src.transform, (src.height, src.width))
        win = _source_window(src.transform, dst.transform, dst.width, dst.height)
        sub_mask = full_mask[win.row_off:win.row_off + win.height, win.col_off:win.col_off + win.width]
        assert sub_mask.sum() == full_mask.sum() == res.pixels_inside > 1000
        source = src.read(window=win)
        data = dst.read()
        assert dst.nodata == 0
        assert dst.dtypes == src.dtypes
        assert np.array_equal(data[:, sub_mask], source[:, sub_mask])
        assert (data[:, ~sub_mask] == 0).all()
        assert np.array_equal(dst.read_masks(1) > 0, sub_mask & (source[0] != 0))
    assert (res.width, res.height, res.count) == (dst.width, dst.height, 3)
    assert res.bands == ("band_1", "band_2", "band_3")


def test_transform_is_grid_aligned_and_window_snapped_outward(rgb: Path, tmp_path: Path) -> None:
    """The output origin is a whole number of source pixels from the source origin, the pixel size
    is unchanged, and the extent is the AOI bounds snapped outward (less than one pixel larger per side)."""
    with open_scene(rgb) as scene:
        res = clip_scene(scene, AOI(PENTAGON, UTM18), tmp_path / "a.tif")
        t, st = res.transform, scene.transform
    assert (t.a, t.b, t.d, t.e) == (st.a, st.b, st.d, st.e)
    cols = (t.c - st.c) / st.a
    rows = (t.f - st.f) / st.e
    assert abs(cols - round(cols)) < 1e-9 and abs(rows - round(rows)) < 1e-9
    assert t == st @ Affine.translation(round(cols), round(rows))
    left, bottom, right, top = res.bounds
    ax0, ay0, ax1, ay1 = PENTAGON.bounds
    assert left <= ax0 < left + st.a and right - st.a < ax1 <= right
    assert top >= ay1 > top + st.e and bottom + abs(st.e) > ay0 >= bottom


def test_all_touched_keeps_more_including_edge_touched_pixel(rgb: Path, tmp_path: Path) -> None:
    """all_touched keeps a superset of the centre-rule pixels, including a pixel the AOI only
    grazes along its edge (10 % of its width, centre outside), and matches geometry_mask(all_touched)
    on the whole grid (nothing lost at the window edge)."""
    with rasterio.open(rgb) as src:
        st = src.transform
        full_c = _expected_mask(PENTAGON, st, (src.height, src.width))
        full_t = _expected_mask(PENTAGON, st, (src.height, src.width), all_touched=True)
        # a rectangle whose right edge enters column 300 by 0.1 pixel
        x0, y0 = st @ (250, 300)
        x1, y1 = st @ (300.1, 340)
        graze = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    with open_scene(rgb) as scene:
        centre = clip_scene(scene, AOI(PENTAGON, UTM18), tmp_path / "c.tif")
        touched = clip_scene(scene, AOI(PENTAGON, UTM18), tmp_path / "t.tif", all_touched=True)
        g_c = clip_scene(scene, AOI(graze, UTM18), tmp_path / "gc.tif")
        g_t = clip_scene(scene, AOI(graze, UTM18), tmp_path / "gt.tif", all_touched=True)
    assert touched.pixels_inside == int(full_t.sum()) > centre.pixels_inside == int(full_c.sum())
    with rasterio.open(tmp_path / "c.tif") as c, rasterio.open(tmp_path / "t.tif") as t:
        wc = _source_window(st, c.transform, c.width, c.height)
        wt = _source_window(st, t.transform, t.width, t.height)
        assert wt.col_off <= wc.col_off and wt.row_off <= wc.row_off
        assert wt.col_off + wt.width >= wc.col_off + wc.width
        kept_t = np.zeros(full_t.shape, bool)
        kept_t[wt.row_off:wt.row_off + wt.height, wt.col_off:wt.col_off + wt.width] = t.read_masks(1) > 0
        kept_c = np.zeros(full_c.shape, bool)
        kept_c[wc.row_off:wc.row_off + wc.height, wc.col_off:wc.col_off + wc.width] = c.read_masks(1) > 0
        assert not (kept_c & ~kept_t).any()
    assert g_c.width == 51 and g_t.width == 51  # columns 250..300
    with rasterio.open(tmp_path / "gc.tif") as a, rasterio.open(tmp_path / "gt.tif") as b:
        edge_c = a.read(1)[:, -1]
        edge_t = b.read(1)[:, -1]
    assert (edge_c == 0).all()
    with rasterio.open(rgb) as src:
        expected = src.read(1, window=Window(300, 300, 1, 40))[:, 0]
    assert np.array_equal(edge_t, expected) and expected.any()


def test_aoi_in_lonlat_gives_same_clip(rgb: Path, tmp_path: Path) -> None:
    """The same AOI given in EPSG:4326 gives the same grid, pixels and values as in the scene CRS."""
    utm_aoi = AOI(PENTAGON, UTM18)
    ll_aoi = utm_aoi.to_crs("EPSG:4326")
    assert ll_aoi.crs.to_epsg() == 4326
    with open_scene(rgb) as scene:
        a = clip_scene(scene, utm_aoi, tmp_path / "utm.tif")
        b = clip_scene(scene, ll_aoi, tmp_path / "ll.tif")
    assert a.transform == b.transform and (a.width, a.height) == (b.width, b.height)
    assert a.pixels_inside == b.pixels_inside
    with rasterio.open(tmp_path / "utm.tif") as x, rasterio.open(tmp_path / "ll.tif") as y:
        assert np.array_equal(x.read(), y.read())


def test_real_shapefile_clip(rgb: Path, tmp_path: Path) -> None:
    """Clipping with vector/box.shp (UTM 18N) keeps the centre-inside pixels of the box."""
    aoi = load_aoi(rgb.parent.parent / "vector" / "box.shp")
    with open_scene(rgb) as scene:
        res = clip_scene(scene, aoi, tmp_path / "box.tif")
    with rasterio.open(tmp_path / "box.tif") as dst:
        mask = _expected_mask(aoi.geometry, dst.transform, (dst.height, dst.width))
        assert res.pixels_inside == int(mask.sum())
        assert (dst.read()[:, ~mask] == 0).all()


def test_disjoint_aoi_names_the_scene(rgb: Path, tmp_path: Path) -> None:
    """An AOI that misses the scene raises AOIError naming the scene file, and writes nothing."""
    far = load_aoi(rgb.parent.parent / "vector" / "area.geojson")
    out = tmp_path / "never.tif"
    with open_scene(rgb) as scene, pytest.raises(AOIError, match="does not overlap") as exc:
        clip_scene(scene, far, out)
    assert "RGB.byte.tif" in str(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_sliver_suggests_all_touched(rgb: Path, tmp_path: Path) -> None:
    """An AOI covering no pixel centre raises AOIError suggesting --all-touched; all_touched then works."""
    with rasterio.open(rgb) as src:
        st = src.transform
    x0, y0 = st @ (100.1, 100.1)
    x1, y1 = st @ (100.4, 110.4)
    sliver = AOI(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), UTM18)
    with open_scene(rgb) as scene:
        with pytest.raises(AOIError, match="all-touched") as exc:
            clip_scene(scene, sliver, tmp_path / "s.tif")
        assert "RGB.byte.tif" in str(exc.value)
        res = clip_scene(scene, sliver, tmp_path / "s.tif", all_touched=True)
    assert (res.width, res.height) == (1, 11) and res.pixels_inside == 11


# -- synthetic scenes ----------------------------------------------------------------------------------


def _make_tif(path: Path, data: np.ndarray, *, nodata=None, scales=None, offsets=None, units=None,
              descriptions=None, transform=None, crs=UTM18) -> Path:
    count, h, w = data.shape
    transform = transform or Affine(30, 0, 300000, 0, -30, 4000000)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=count, dtype=data.dtype.name,
                       crs=crs, transform=transform, nodata=nodata) as ds:
        ds.write(data)
        if scales:
            ds.scales = scales
            ds.offsets = offsets
        if units:
            ds.units = units
        for i, d in enumerate(descriptions or [], start=1):
            ds.set_band_description(i, d)
    return path


def _ramp(count: int, h: int, w: int, dtype: str = "uint16") -> np.ndarray:
    base = np.arange(h * w, dtype=np.int64).reshape(h, w) % 50000 + 1
    return np.stack([(base + 7 * i) for i in range(count)]).astype(dtype)


def test_band_descriptions_scale_offset_and_raw_dn(tmp_path: Path) -> None:
    """The output stores raw DN (source dtype), band names as descriptions, and linear
    calibrations as GDAL scale/offset/unit; a subset of bands is written in the asked order."""
    data = _ramp(3, 120, 100)
    src = _make_tif(tmp_path / "sr.tif", data, nodata=0, scales=(2.75e-05, 2.75e-05, 1.0),
                    offsets=(-0.2, -0.2, 0.0), units=("", "", "K"), descriptions=["SR_B4", "SR_B5", "QA"])
    aoi = AOI(box(300000 + 30 * 10, 4000000 - 30 * 90, 300000 + 30 * 70, 4000000 - 30 * 20), UTM18)
    with open_scene(src) as scene:
        res = clip_scene(scene, aoi, tmp_path / "out.tif", bands=["SR_B5", "SR_B4"])
    assert res.bands == ("SR_B5", "SR_B4") and res.count == 2
    with rasterio.open(tmp_path / "out.tif") as ds:
        assert ds.descriptions == ("SR_B5", "SR_B4")
        assert ds.scales == pytest.approx((2.75e-05, 2.75e-05))
        assert ds.offsets == pytest.approx((-0.2, -0.2))
        assert ds.dtypes == ("uint16", "uint16")
        assert ds.profile["blockxsize"] in (256, 512) and ds.profile["compress"] == "deflate"
        assert ds.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "2"
        assert ds.tags()["SATVIEW_SOURCE"] == "sr.tif"
        assert np.array_equal(ds.read(1), data[1, 20:90, 10:70])
        assert np.array_equal(ds.read(2), data[0, 20:90, 10:70])
    assert res.pixels_inside == 70 * 60


def test_nodata_rule_without_source_nodata(tmp_path: Path) -> None:
    """Bands without nodata get the dtype's maximum (unsigned) as the file's nodata outside the AOI."""
    data = _ramp(2, 50, 50)
    src = _make_tif(tmp_path / "nn.tif", data)
    tri = AOI(Polygon([(300000, 4000000), (301500, 4000000), (300000, 3998500)]), UTM18)
    with open_scene(src) as scene:
        clip_scene(scene, tri, tmp_path / "out.tif")
    with rasterio.open(tmp_path / "out.tif") as ds:
        mask = _expected_mask(tri.geometry, ds.transform, ds.shape)
        assert ds.nodata == 65535
        assert (ds.read()[:, ~mask] == 65535).all()
        assert np.array_equal(ds.read()[:, mask], data[:, : ds.height, : ds.width][:, mask])


class FakeLandsat(Scene):
    """An in-memory scene with mixed dtypes, Landsat facts and a thermal band (no file reader needed)."""

    def __init__(self, path: str, arrays: dict[str, np.ndarray], bands: tuple[BandInfo, ...],
                 grid: GeoGrid, landsat: LandsatInfo | None) -> None:
        super().__init__()
        self.arrays = arrays
        self.info = SceneInfo(path=path, format="test", grid=grid, bands=bands, landsat=landsat)

    def _read_band(self, band, window, out_shape, resampling):
        r, c = int(window.row_off), int(window.col_off)
        return self.arrays[band.name][r:r + int(window.height), c:c + int(window.width)].copy()


def _fake_landsat(tmp_path: Path) -> FakeLandsat:
    h, w = 60, 80
    grid = GeoGrid(UTM18, Affine(30, 0, 500000, 0, -30, 3000000), w, h)
    rng = np.random.default_rng(0)
    arrays = {
        "B4": rng.integers(1, 60000, (h, w)).astype("uint16"),
        "B10": rng.integers(1, 60000, (h, w)).astype("uint16"),
        "QA": rng.integers(-100, 100, (h, w)).astype("int16"),
    }
    bands = (
        BandInfo("B4", dtype="uint16", nodata=0, role="reflective", common_name="Red",
                 calibration=Calibration("linear", 2e-5, -0.1, "", quantity="TOA reflectance")),
        BandInfo("B10", dtype="uint16", nodata=0, role="thermal",
                 calibration=Calibration("brightness_temperature", 3.342e-4, 0.1, "K", k1=774.8853,
                                         k2=1321.0789, quantity="brightness temperature")),
        BandInfo("QA", dtype="int16", nodata=None, role="qa", categorical=True),
    )
    ls = LandsatInfo(product_id="LC08_L1TP_015041_20200101_20200113_01_T1", scene_id=None,
                     spacecraft="LANDSAT_8", sensor="OLI_TIRS", collection=1, level="L1TP", tier="T1",
                     wrs_path=15, wrs_row=41, acquired=dt.date(2020, 1, 1), scene_center_time="15:50:00Z",
                     processed=None, cloud_cover=12.5, cloud_cover_land=10.0, sun_elevation=40.1,
                     sun_azimuth=150.2, earth_sun_distance=0.98)
    return FakeLandsat(str(tmp_path / "LC08_fake_MTL.txt"), arrays, bands, grid, ls)


def test_mixed_dtypes_landsat_tags_and_thermal_constants(tmp_path: Path) -> None:
    """Mixed uint16/int16 bands are promoted (np.result_type -> int32) with the signed minimum as
    nodata; each band's own nodata becomes the file nodata; Landsat facts become dataset tags and
    the thermal band carries K1/K2 and its radiance rescaling as band tags."""
    scene = _fake_landsat(tmp_path)
    scene.arrays["B4"][10, 10] = 0  # a source nodata pixel inside the AOI
    aoi = AOI(box(500000 + 30 * 5, 3000000 - 30 * 50, 500000 + 30 * 70, 3000000 - 30 * 5), UTM18)
    res = clip_scene(scene, aoi, tmp_path / "mixed.tif")
    with rasterio.open(res.path) as ds:
        assert ds.dtypes == ("int32",) * 3
        assert ds.nodata == np.iinfo(np.int32).min
        b4 = ds.read(1)
        assert b4[10 - 5, 10 - 5] == np.iinfo(np.int32).min
        assert np.array_equal(ds.read(3), scene.arrays["QA"][5:50, 5:70].astype("int32"))
        tags = ds.tags()
        assert tags["LANDSAT_PRODUCT_ID"] == "LC08_L1TP_015041_20200101_20200113_01_T1"
        assert tags["SPACECRAFT_ID"] == "LANDSAT_8" and tags["SENSOR_ID"] == "OLI_TIRS"
        assert tags["DATE_ACQUIRED"] == "2020-01-01"
        assert (tags["WRS_PATH"], tags["WRS_ROW"]) == ("15", "41")
        assert float(tags["CLOUD_COVER"]) == 12.5
        assert float(tags["SUN_ELEVATION"]) == pytest.approx(40.1)
        assert float(tags["SUN_AZIMUTH"]) == pytest.approx(150.2)
        t10 = ds.tags(2)
        assert float(t10["K1_CONSTANT"]) == pytest.approx(774.8853)
        assert float(t10["K2_CONSTANT"]) == pytest.approx(1321.0789)
        assert float(t10["RADIANCE_MULT"]) == pytest.approx(3.342e-4)
        assert ds.scales[0] == pytest.approx(2e-5) and ds.offsets[0] == pytest.approx(-0.1)
        assert ds.scales[1] == 1.0  # BT is not linear: no GDAL scale, constants in tags instead
        assert ds.tags(3)["CATEGORICAL"] == "YES"


def test_block_reading_gives_same_result_and_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading in row blocks (forced to 7 rows) gives the same file content as one block, and
    progress rises monotonically to 1.0."""
    scene = _fake_landsat(tmp_path)
    aoi = AOI(Polygon([(500100, 2999900), (502300, 2999000), (501000, 2998300)]), UTM18)
    one = clip_scene(scene, aoi, tmp_path / "one.tif")
    monkeypatch.setattr(clip_mod, "BLOCK_ROWS", 7)
    seen: list[float] = []
    many = clip_scene(scene, aoi, tmp_path / "many.tif", progress=lambda f, m: seen.append(f))
    assert one.transform == many.transform
    with rasterio.open(one.path) as a, rasterio.open(many.path) as b:
        assert np.array_equal(a.read(), b.read())
    assert len(seen) > 3 * math.ceil(many.height / 7) - 1
    assert seen == sorted(seen) and seen[-1] == 1.0


@pytest.mark.parametrize("options", [{}, {"cog": True}, {"dst_crs": "EPSG:4326"}])
def test_cancel_leaves_nothing_behind(rgb: Path, tmp_path: Path, options: dict) -> None:
    """Cancelling after the first block raises CancelledError and leaves no output and no temp file."""
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    out = tmp_path / "c.tif"
    with open_scene(rgb) as scene, pytest.raises(CancelledError):
        clip_scene(scene, AOI(PENTAGON, UTM18), out, should_cancel=cancel, **options)
    assert calls["n"] == 2
    assert list(tmp_path.iterdir()) == []


def test_failed_clip_keeps_existing_output(rgb: Path, tmp_path: Path) -> None:
    """A cancelled clip over an existing file leaves the old file untouched (atomic replace)."""
    out = tmp_path / "keep.tif"
    out.write_bytes(b"old")
    with open_scene(rgb) as scene, pytest.raises(CancelledError):
        clip_scene(scene, AOI(PENTAGON, UTM18), out, should_cancel=lambda: True)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tif"]


def test_dst_crs_writes_target_crs_and_masks_there(rgb: Path, tmp_path: Path) -> None:
    """dst_crs gives a file in that CRS, with nodata outside the AOI reprojected to it."""
    aoi = AOI(PENTAGON, UTM18)
    with open_scene(rgb) as scene:
        res = clip_scene(scene, aoi, tmp_path / "ll.tif", dst_crs="EPSG:4326")
    ll = aoi.to_crs(4326)
    with rasterio.open(res.path) as ds:
        assert ds.crs.to_epsg() == 4326 and res.crs.to_epsg() == 4326
        mask = _expected_mask(ll.geometry, ds.transform, ds.shape)
        data = ds.read()
        valid = int((data != 0).any(axis=0).sum())  # the count is of output pixels holding data
        assert res.pixels_inside == valid > 1000 and valid <= int(mask.sum())
        assert (data[:, ~mask] == 0).all()
        assert (data[:, mask] != 0).mean() > 0.5
        x0, y0, x1, y1 = ll.bounds
        left, bottom, right, top = ds.bounds
        assert left <= x0 + ds.res[0] and right >= x1 - ds.res[0]
        assert bottom <= y0 + ds.res[1] and top >= y1 - ds.res[1]
        assert ds.descriptions == ("band_1", "band_2", "band_3")


def test_cog_output_has_overviews(rgb: Path, tmp_path: Path) -> None:
    """cog=True writes a COG (GTiff driver, LAYOUT=COG) with internal overviews and the band names."""
    with rasterio.open(rgb) as src:
        st = src.transform
    x0, y0 = st @ (50, 50)
    x1, y1 = st @ (750, 690)
    big = AOI(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), UTM18)
    with open_scene(rgb) as scene:
        res = clip_scene(scene, big, tmp_path / "cog.tif", cog=True)
    with rasterio.open(res.path) as ds:
        assert ds.driver == "GTiff"
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.overviews(1)
        assert ds.descriptions == ("band_1", "band_2", "band_3")
        assert ds.nodata == 0
        with rasterio.open(rgb) as src:
            assert np.array_equal(ds.read(), src.read(window=Window(50, 50, 700, 640)))
    assert [p.name for p in tmp_path.iterdir()] == ["cog.tif"]


_MEMORY_SCRIPT = """
import sys
from shapely.geometry import box
from satview.core import open_scene
from satview.core.aoi import AOI
from satview.core.clip import clip_scene
src, out = sys.argv[1], sys.argv[2]
with open_scene(src) as scene:
    t = scene.transform
    x0, y0 = t @ (0, 0)
    x1, y1 = t @ (scene.width, scene.height // 2)
    clip_scene(scene, AOI(box(x0, y1, x1, y0), scene.crs), out)
# VmHWM belongs to this process image (ru_maxrss would include the parent's peak inherited at fork)
print([ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.skipif(not os.environ.get("SATVIEW_SLOW_TESTS"),
                    reason="slow (~10 s, ~500 MB of temp files): set SATVIEW_SLOW_TESTS=1")
def test_half_scene_clip_memory(tmp_path: Path) -> None:
    """A half-scene 7-band clip of a 7791 x 7921 uint16 scene peaks well below 1.2 GB RSS."""
    h, w = 7921, 7791
    src = tmp_path / "big.tif"
    with rasterio.open(src, "w", driver="GTiff", width=w, height=h, count=7, dtype="uint16", crs=UTM18,
                       transform=Affine(30, 0, 300000, 0, -30, 4000000), tiled=True, compress="deflate",
                       nodata=0) as ds:
        rng = np.random.default_rng(1)
        for r in range(0, h, 512):
            n = min(512, h - r)
            block = rng.integers(1, 4000, (n, w)).astype(np.uint16)
            for b in range(1, 8):
                ds.write(block, b, window=Window(0, r, w, n))
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(src), str(tmp_path / "half.tif")],
                         capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.strip().splitlines()[-1]) / 1024  # VmHWM is in KiB
    assert peak_mb < 800, f"peak RSS {peak_mb:.0f} MB"
    with rasterio.open(tmp_path / "half.tif") as ds:
        assert (ds.count, ds.width, ds.height) == (7, w, h // 2)


def test_aoi_larger_than_scene_gives_whole_grid(rgb: Path, tmp_path: Path) -> None:
    """An AOI that contains the whole scene gives the scene's own grid (window clipped to the grid)
    and the scene's pixels unchanged; result bounds match the file."""
    with rasterio.open(rgb) as src:
        west, south, east, north = src.bounds
        src_data, src_transform, src_shape = src.read(), src.transform, src.shape
    huge = AOI(box(west - 5000, south - 5000, east + 5000, north + 5000), UTM18)
    with open_scene(rgb) as scene:
        res = clip_scene(scene, huge, tmp_path / "all.tif")
    assert res.transform == src_transform and (res.height, res.width) == src_shape
    assert res.pixels_inside == src_shape[0] * src_shape[1]
    with rasterio.open(res.path) as ds:
        assert np.array_equal(ds.read(), src_data)
        assert res.bounds == pytest.approx(tuple(ds.bounds))


def test_unknown_resampling_and_band_are_rejected(rgb: Path, tmp_path: Path) -> None:
    """A misspelt resampling name or band name fails before anything is written."""
    from satview.errors import BandNotFoundError, SatviewError

    with open_scene(rgb) as scene:
        with pytest.raises(SatviewError, match="unknown resampling"):
            clip_scene(scene, AOI(PENTAGON, UTM18), tmp_path / "x.tif", dst_crs=4326, resampling="fancy")
        with pytest.raises(BandNotFoundError):
            clip_scene(scene, AOI(PENTAGON, UTM18), tmp_path / "x.tif", bands=["B99"])
    assert list(tmp_path.iterdir()) == []


def test_clip_to_a_crs_that_cannot_hold_the_scene_is_a_satview_error(real_data: Path, tmp_path: Path) -> None:
    """An Arctic sea-ice clip asked in the south polar CRS (GDAL: "Computed dimensions are too big")
    is a SatviewError naming the file, not an internal error (the GUI monkey showed it as one), and
    leaves no file."""
    from satview.errors import SatviewError

    arctic = AOI(box(-180, 60, 180, 89), CRS.from_epsg(4326))
    with open_scene(real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin") as scene, \
            pytest.raises(SatviewError, match="cannot transform the clip's extent to EPSG:3976") as err:
        clip_scene(scene, arctic, tmp_path / "south.tif", dst_crs="EPSG:3976")
    assert err.value.path is not None and err.value.path.endswith("nt_20171002_f17_v1.1_n.bin")
    assert list(tmp_path.iterdir()) == []
