"""Quick-look PNGs: decimated reads only, stretch/colour maps/indices, transparency, georeferencing."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

import satview.core.quicklook as ql
from satview.core import open_scene
from satview.core.colormap import apply_colormap, colormap
from satview.core.quicklook import (
    QuicklookResult,
    quicklook_array,
    quicklook_shape,
    world_file_text,
    write_quicklook,
)
from satview.core.stretch import Levels, Stretch, apply_levels
from satview.core.types import GeoGrid
from satview.errors import BandNotFoundError, ExportError, SatviewError

PAM = {"GDAL_PAM_ENABLED": "YES", "GDAL_DISABLE_READDIR_ON_OPEN": "FALSE"}  # as QGIS reads it


@pytest.fixture
def rgb_path(real_data: Path) -> Path:
    return real_data / "geotiff" / "RGB.byte.tif"


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(240, 320))


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _read_png(path: Path) -> tuple[np.ndarray, object, Affine]:
    with rasterio.Env(**PAM), rasterio.open(path) as ds:
        return ds.read(), ds.crs, ds.transform


def _spy_reads(scene, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    original = scene.read

    def spy(bands=None, window=None, out_shape=None, **kwargs):
        calls.append({"bands": bands, "window": window, "out_shape": out_shape})
        return original(bands, window, out_shape, **kwargs)

    monkeypatch.setattr(scene, "read", spy)
    return calls


# -- shape and reading ----------------------------------------------------------------------------------


def test_shape_long_side_is_size() -> None:
    g = GeoGrid(None, Affine.identity(), 7791, 7921)
    assert quicklook_shape(g, 1024) == (1024, round(7791 * 1024 / 7921))
    wide = GeoGrid(None, Affine.identity(), 3000, 1000)
    assert quicklook_shape(wide, 600) == (200, 600)
    assert quicklook_shape(wide, 5000) == (1000, 3000)  # never bigger than the grid
    thin = GeoGrid(None, Affine.identity(), 10000, 3)
    assert quicklook_shape(thin, 100) == (1, 100)
    with pytest.raises(SatviewError):
        quicklook_shape(wide, 0)


def test_reads_only_a_decimated_overview(rgb_path: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with open_scene(rgb_path) as scene:
        calls = _spy_reads(scene, monkeypatch)
        result = write_quicklook(scene, tmp_path / "q.png", size=200)
    assert (result.width, result.height) == (200, 182)  # 791 x 718 grid, long side 200
    assert calls, "the quick-look must read through scene.read"
    for call in calls:
        assert call["window"] is None
        assert tuple(call["out_shape"]) == (182, 200)


def test_size_respected_and_capped(rgb_path: Path, tmp_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        small = write_quicklook(scene, tmp_path / "small.png", size=64)
        big = write_quicklook(scene, tmp_path / "big.png", size=4096)
    assert max(small.width, small.height) == 64
    assert (big.width, big.height) == (791, 718)
    data, _, _ = _read_png(tmp_path / "small.png")
    assert data.shape == (4, small.height, small.width)


# -- georeferencing -----------------------------------------------------------------------------


def test_png_is_georeferenced_exactly(rgb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.png"
    with open_scene(rgb_path) as scene:
        result = write_quicklook(scene, out, size=300)
        grid = scene.info.grid
    assert isinstance(result, QuicklookResult)
    assert result.world_file == tmp_path / "q.pgw" and result.aux_xml == tmp_path / "q.png.aux.xml"
    assert _names(tmp_path) == {"q.png", "q.pgw", "q.png.aux.xml"}  # no temporary files left
    assert "<SRS" in result.aux_xml.read_text()

    _, crs, transform = _read_png(out)
    assert crs == grid.crs
    expected = grid.transform * Affine.scale(grid.width / result.width, grid.height / result.height)
    for got, want in zip(transform, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9)
    assert result.transform == expected

    # PNG pixel (row, col) is the scene location (row * H / h, col * W / w)
    sy, sx = grid.height / result.height, grid.width / result.width
    for r, c in ((0, 0), (10, 20), (result.height - 1, result.width - 1), (123, 45)):
        png_xy = transform @ (c + 0.5, r + 0.5)
        scene_xy = grid.transform @ ((c + 0.5) * sx, (r + 0.5) * sy)
        assert png_xy == pytest.approx(scene_xy, rel=1e-9)

    # the world file gives the centre of the upper-left pixel
    a, d, b, e, c0, f0 = (float(v) for v in result.world_file.read_text().split())
    assert (a, b, d, e) == pytest.approx((expected.a, expected.b, expected.d, expected.e))
    assert (c0, f0) == pytest.approx(expected @ (0.5, 0.5))


def test_world_file_text_convention() -> None:
    t = Affine(30, 0, 1000, 0, -30, 5000)
    assert world_file_text(t).split() == ["30", "0", "0", "-30", "1015", "4985"]


def test_png_without_pam_still_has_the_world_file(rgb_path: Path, tmp_path: Path) -> None:
    """satview itself runs with PAM off: GDAL then places the PNG by its world file."""
    out = tmp_path / "q.png"
    with open_scene(rgb_path) as scene:
        result = write_quicklook(scene, out, size=100)
    with rasterio.Env(GDAL_PAM_ENABLED="NO", GDAL_DISABLE_READDIR_ON_OPEN="FALSE"), rasterio.open(out) as ds:
        assert ds.transform.almost_equals(result.transform)


# -- pixels ---------------------------------------------------------------------------------------------


def test_nodata_is_transparent(rgb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.png"
    with open_scene(rgb_path) as scene:
        result = write_quicklook(scene, out, size=250)
    data, _, _ = _read_png(out)
    with rasterio.open(rgb_path) as src:
        raw = src.read(out_shape=(3, result.height, result.width))
        nodata = src.nodata
    assert nodata == 0
    valid = (raw != nodata).all(axis=0)
    alpha = data[3]
    assert set(np.unique(alpha).tolist()) == {0, 255}
    np.testing.assert_array_equal(alpha == 255, valid)
    assert alpha[0, 0] == 0  # the corner of RGB.byte.tif is fill
    assert (data[:3, ~valid] == 0).all()


def test_rgb_from_bands_and_levels_reused(rgb_path: Path, tmp_path: Path) -> None:
    levels = Levels((0.0, 0.0, 0.0), (255.0, 255.0, 255.0), 1.0, "fixed")
    with open_scene(rgb_path) as scene:
        result = write_quicklook(scene, tmp_path / "q.png", bands=["band_3", "band_2", "band_1"],
                                 size=120, levels=levels)
        raw = scene.read(["band_3", "band_2", "band_1"], out_shape=(result.height, result.width),
                         dn=True)
    assert result.levels is levels and result.bands == ("band_3", "band_2", "band_1")
    data, _, _ = _read_png(tmp_path / "q.png")
    valid = data[3] == 255
    np.testing.assert_array_equal(data[:3][:, valid], raw[:, valid])  # 0..255 identity stretch


def test_single_band_with_colormap(rgb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.png"
    with open_scene(rgb_path) as scene:
        result = write_quicklook(scene, out, band="band_2", cmap="viridis", size=150,
                                 stretch=Stretch.parse("minmax"))
        values = scene.read("band_2", out_shape=(result.height, result.width))
    assert result.bands == ("band_2",)
    data, _, _ = _read_png(out)
    valid = data[3] == 255
    np.testing.assert_array_equal(valid, np.isfinite(values[0]))
    idx = apply_levels(values, result.levels)[0]
    expected = apply_colormap(idx, "viridis")
    np.testing.assert_array_equal(data[:3][:, valid], expected[:, valid])
    lut = {tuple(c) for c in colormap("viridis").tolist()}
    assert {tuple(p) for p in data[:3][:, valid].T.tolist()} <= lut


def test_single_band_defaults_to_gray(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        rgba, levels, _ = quicklook_array(scene, band="band_1", size=80)
    valid = rgba[3] == 255
    assert (rgba[0][valid] == rgba[1][valid]).all() and (rgba[1][valid] == rgba[2][valid]).all()
    assert len(levels.lo) == 1


def test_dn_quicklook_masks_nodata(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        rgba, levels, transform = quicklook_array(scene, size=100, dn=True)
        rgba_phys, _, _ = quicklook_array(scene, size=100)
    np.testing.assert_array_equal(rgba[3], rgba_phys[3])
    assert len(levels.lo) == 3 and transform.a > 0


def test_index_quicklook(demo_tar: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satview.core.indices import INDICES, compute_index

    out = tmp_path / "ndvi.png"
    with open_scene(demo_tar) as scene:
        calls = _spy_reads(scene, monkeypatch)
        result = write_quicklook(scene, out, index="ndvi", size=100)
        shape = (result.height, result.width)
        nir, red = scene.read(["SR_B5", "SR_B4"], out_shape=shape)
    assert max(shape) == 100
    assert all(tuple(c["out_shape"]) == shape for c in calls)
    assert set(result.bands) == {"SR_B5", "SR_B4"}
    assert result.levels.lo == (-1.0,) and result.levels.hi == (1.0,)
    ndvi = compute_index("ndvi", {"NIR": nir, "Red": red})
    data, crs, _ = _read_png(out)
    valid = np.isfinite(ndvi)
    assert (~valid).any() and valid.any()  # the demo scene has fill around its footprint
    np.testing.assert_array_equal(data[3] == 255, valid)
    expected = apply_colormap(apply_levels(ndvi, result.levels)[0], INDICES["ndvi"].default_cmap)
    np.testing.assert_array_equal(data[:3][:, valid], expected[:, valid])
    assert crs == result.crs


def test_index_with_stretch_and_cmap(demo_tar: Path) -> None:
    with open_scene(demo_tar) as scene:
        rgba, levels, _ = quicklook_array(scene, index="ndwi", cmap="gray", size=64,
                                          stretch=Stretch(mode="minmax"))
    assert levels.lo[0] > -1.0 or levels.hi[0] < 1.0
    valid = rgba[3] == 255
    assert (rgba[0][valid] == rgba[2][valid]).all()


def test_preset_and_default_on_landsat(demo_tar: Path) -> None:
    with open_scene(demo_tar) as scene:
        rgba, _, _ = quicklook_array(scene, preset="color-infrared", size=64)
        assert rgba.shape[0] == 4 and max(rgba.shape[1:]) == 64
        default, _, _ = quicklook_array(scene, size=64)
        natural, _, _ = quicklook_array(scene, preset="natural", size=64)
        np.testing.assert_array_equal(default, natural)  # natural colour is the default
        with pytest.raises(SatviewError, match="unknown composite"):
            quicklook_array(scene, preset="no-such")
        with pytest.raises(BandNotFoundError):
            quicklook_array(scene, band="B99")


def test_index_needs_its_bands(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene, pytest.raises(BandNotFoundError, match="NDVI"):
        quicklook_array(scene, index="ndvi")


def test_conflicting_options(rgb_path: Path) -> None:
    with open_scene(rgb_path) as scene:
        with pytest.raises(SatviewError, match="choose one"):
            quicklook_array(scene, band="band_1", preset="natural")
        with pytest.raises(SatviewError, match="colour map"):
            quicklook_array(scene, cmap="viridis")
        with pytest.raises(SatviewError, match="unknown colour map"):
            quicklook_array(scene, band="band_1", cmap="nope")
        with pytest.raises(SatviewError, match="three"):
            quicklook_array(scene, bands=["band_1", "band_2"])
        with pytest.raises(SatviewError, match="levels"):
            quicklook_array(scene, levels=Levels((0.0, 0.0), (1.0, 1.0)))


# -- files ----------------------------------------------------------------------------------------------


def test_missing_folder_is_export_error(rgb_path: Path, tmp_path: Path) -> None:
    with open_scene(rgb_path) as scene, pytest.raises(ExportError, match="does not exist"):
        write_quicklook(scene, tmp_path / "nope" / "q.png")


def test_failure_leaves_no_files(rgb_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails (the disk is full) is an ExportError naming the output, and no file is left."""
    def broken(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ql, "_write_png", broken)
    with open_scene(rgb_path) as scene, pytest.raises(ExportError, match="No space left"):
        write_quicklook(scene, tmp_path / "q.png", size=50)
    assert _names(tmp_path) == set()


def test_overwrite_replaces_all_three(rgb_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.png"
    with open_scene(rgb_path) as scene:
        write_quicklook(scene, out, size=50)
        second = write_quicklook(scene, out, size=80)
    assert _names(tmp_path) == {"q.png", "q.pgw", "q.png.aux.xml"}
    data, _, transform = _read_png(out)
    assert max(data.shape[1:]) == 80 and transform.almost_equals(second.transform)


def test_scene_without_crs(tmp_path: Path) -> None:
    src = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(src, "w", driver="GTiff", width=40, height=30, count=1, dtype="uint8") as ds:
            ds.write(np.arange(1200, dtype=np.uint8).reshape(1, 30, 40))
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        with open_scene(src) as scene:
            result = write_quicklook(scene, out_dir / "q.png", size=20)
    assert result.crs is None and result.aux_xml is None
    assert result.legend == out_dir / "q.legend.png"  # one band: colour bar legend
    assert _names(out_dir) == {"q.png", "q.pgw", "q.legend.png"}


# -- PNG encoding and side-cars -------------------------------------------------------------------------


@pytest.mark.parametrize("piece_bytes", [1 << 20, 1000, 1])
@pytest.mark.parametrize("mode", ["RGBA", "RGB"])
def test_encode_png_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_bytes: int,
                               mode: str) -> None:
    """The PNG encoder (Up filter, deflate pieces joined into one zlib stream) decodes to its input,
    for one piece, several, and one row per piece; RGB and RGBA; band-first and interleaved-view
    inputs alike."""
    from PIL import Image

    from satview.core import png

    monkeypatch.setattr(png, "_PNG_PIECE_BYTES", piece_bytes)
    rng = np.random.default_rng(7)
    interleaved = rng.integers(0, 256, size=(37, 53, len(mode)), dtype=np.uint8)
    interleaved[5:9] = 0  # flat rows: the Up filter's zeros
    for image in (np.moveaxis(interleaved, -1, 0), np.ascontiguousarray(np.moveaxis(interleaved, -1, 0))):
        path = tmp_path / "t.png"
        path.write_bytes(png.encode_png(image))
        with Image.open(path) as im:
            assert im.mode == mode and im.size == (53, 37)
            np.testing.assert_array_equal(np.asarray(im), interleaved)
    with pytest.raises(ValueError):
        png.encode_png(np.zeros((2, 4, 4), dtype=np.uint8))


def test_png_and_pam_sidecar_read_back_in_gdal(tmp_path: Path) -> None:
    """GDAL reads our PNG and .aux.xml as written: 4 bands with alpha, the CRS and the transform
    (projected and geographic CRS)."""
    from rasterio.crs import CRS

    rgba = np.zeros((4, 6, 8), dtype=np.uint8)
    rgba[:, 2:4, 3:6] = 200
    for crs, transform in ((CRS.from_epsg(32611), Affine(30.0, 0, 500000.0, 0, -30.0, 4000000.0)),
                           (CRS.from_epsg(4326), Affine(0.25, 0, -120.0, 0, -0.25, 45.0))):
        out = tmp_path / f"q{crs.to_epsg()}.png"
        result = ql.save_quicklook(rgba, out, crs, transform, ("a", "b", "c"), Levels((0.0,), (1.0,)))
        assert result.aux_xml is not None and "<SRS>" in result.aux_xml.read_text()
        data, got_crs, got_transform = _read_png(out)
        np.testing.assert_array_equal(data, rgba)
        assert got_crs == crs and got_transform.almost_equals(transform)
        with rasterio.Env(**PAM), rasterio.open(out) as ds:
            assert ds.colorinterp[3].name == "alpha"


def test_failed_flush_of_one_file_keeps_the_old_quicklook(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The PNG, world file and side-car are fsynced concurrently; one failing flush is an
    ExportError and leaves the previous three files untouched, with no temporaries."""
    import errno
    import threading

    from rasterio.crs import CRS

    import satview.core.atomic as atomic

    rgba = np.full((4, 5, 6), 255, dtype=np.uint8)
    out = tmp_path / "q.png"
    args = (out, CRS.from_epsg(32611), Affine(30.0, 0, 0.0, 0, -30.0, 0.0), ("a",), Levels((0.0,), (1.0,)))
    ql.save_quicklook(rgba, *args)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    lock, calls = threading.Lock(), []

    def flaky(fd: int) -> None:
        with lock:
            calls.append(fd)
            if len(calls) == 2:
                raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomic.os, "fsync", flaky)
    with pytest.raises(ExportError, match="flush"):
        ql.save_quicklook(np.zeros_like(rgba), *args)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
