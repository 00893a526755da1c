"""The public Python API (satview.open / Scene / clip / reproject / quicklook) on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window
from shapely.geometry import box, mapping

import satview
from satview.cli import main as cli_main
from satview.core import open_scene
from satview.core.types import SceneInfo
from satview.errors import BandNotFoundError, SatviewError

L2_FOLDER = "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1"
L1_TAR = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
MODIS = "hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf"
SEAICE = "nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc"


def _xarray() -> None:
    pytest.importorskip("xarray", reason="xarray is an optional extra: pip install 'satview[xarray]'")
    pytest.importorskip("rioxarray", reason="rioxarray checks the CRS/transform: pip install rioxarray")


@pytest.mark.parametrize("physical", [True, False])
def test_read_equals_core_read(real_data: Path, physical: bool) -> None:
    """Scene.read gives exactly the core's read (physical=True is the core's dn=False), for a window
    and a decimated out_shape, with bands given as a list or a comma string."""
    path = real_data / L2_FOLDER
    win = Window(5, 7, 40, 30)
    with satview.open(path) as scene, open_scene(path) as core:
        got = scene.read(["SR_B4", "SR_B5"], window=win, out_shape=(15, 20), physical=physical)
        want = core.read(["SR_B4", "SR_B5"], window=win, out_shape=(15, 20), dn=not physical)
        assert got.dtype == want.dtype and got.shape == (2, 15, 20)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(scene.read("SR_B4,SR_B5", physical=physical),
                                      core.read(["SR_B4", "SR_B5"], dn=not physical))


def test_tar_facts_and_context_manager(real_data: Path) -> None:
    """A Landsat .tar opens with its SceneInfo, bands with common names and wavelengths; leaving the
    with-block closes the scene, and reading it then raises a SatviewError naming the file."""
    with satview.open(real_data / L1_TAR) as scene:
        assert isinstance(scene.info, SceneInfo) and scene.info.landsat is not None
        red = next(b for b in scene.bands if b.name == "B4")
        assert red.common_name == "Red" and red.wavelength == pytest.approx((0.64, 0.67), abs=0.01)
        assert scene.band_names[:3] == ["B1", "B2", "B3"] and scene.shape == (60, 60)
        assert scene.crs.to_epsg() == 32650
    assert scene.closed
    with pytest.raises(SatviewError, match="closed") as exc:
        scene.read("B4")
    assert exc.value.path == str(real_data / L1_TAR)


def test_to_xarray_coords_follow_the_transform(real_data: Path) -> None:
    """to_xarray: dims (band, y, x); band coordinate with names, common names, wavelengths and units;
    x/y are the pixel centres of the (windowed, decimated) read; rioxarray reads the same CRS and
    transform from the spatial_ref coordinate."""
    _xarray()
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    win = Window(10, 20, 40, 30)
    with satview.open(real_data / L2_FOLDER) as scene:
        da = scene.to_xarray(["SR_B4", "SR_B5", "ST_B10"], window=win, out_shape=(15, 20))
        data = scene.read(["SR_B4", "SR_B5", "ST_B10"], window=win, out_shape=(15, 20))
        t = scene.transform
    assert da.dims == ("band", "y", "x") and da.shape == (3, 15, 20)
    np.testing.assert_array_equal(da.values, data)
    assert list(da.band.values) == ["SR_B4", "SR_B5", "ST_B10"]
    assert list(da.common_name.values) == ["Red", "NIR", "TIR 1"]
    assert da.wavelength.values[0] == pytest.approx((0.64 + 0.67) / 2, abs=0.01)
    assert list(da.units.values)[2] == "K"
    # the read covers 40 x 30 source pixels with 20 x 15: each output pixel is 2 x 2 source pixels
    want = t * rasterio.Affine.translation(10, 20) * rasterio.Affine.scale(2, 2)
    np.testing.assert_allclose(da.x.values, [want.c + (j + 0.5) * want.a for j in range(20)])
    np.testing.assert_allclose(da.y.values, [want.f + (i + 0.5) * want.e for i in range(15)])
    assert da.rio.crs.to_epsg() == 32653
    assert da.rio.transform().almost_equals(want)
    assert da.rio.transform(recalc=True).almost_equals(want)


def test_to_xarray_modis_sinusoidal_dn(real_data: Path) -> None:
    """A MODIS HDF4 dataset (sinusoidal, no EPSG code) keeps its CRS through rioxarray; physical=False
    gives the raw DN with the band's fill value as _FillValue."""
    _xarray()
    import rioxarray  # noqa: F401

    with satview.open(real_data / MODIS) as scene:
        da = scene.to_xarray(physical=False)
        crs, transform = scene.crs, scene.transform
    assert da.dtype == np.int16 and da.attrs["_FillValue"] == -28672
    assert da.rio.crs.to_wkt() == crs.to_wkt() and "Sinusoidal" in da.rio.crs.to_wkt()
    assert da.rio.transform().almost_equals(transform)
    assert da.attrs["dataset"] == "sur_refl_b01"


def test_to_xarray_seaice_physical_nan_at_flags(real_data: Path) -> None:
    """NSIDC sea ice: concentration in % with NaN at the flag values (land, pole hole), EPSG:3411."""
    _xarray()
    import rioxarray  # noqa: F401

    with satview.open(real_data / SEAICE) as scene:
        da = scene.to_xarray()
        dn = scene.read(physical=False)[0]
    assert da.rio.crs.to_epsg() == 3411 and list(da.units.values) == ["%"]
    flagged = dn > 100
    assert flagged.any() and np.isnan(da.values[0][flagged]).all()
    assert np.nanmax(da.values) <= 100


def test_clip_api_equals_cli(real_data: Path, tmp_path: Path) -> None:
    """satview.clip (AOI as a shapely geometry, scene as a path) writes the same pixels, grid and
    CRS as `satview clip` with the same AOI as a GeoJSON file."""
    path = real_data / L2_FOLDER
    with satview.open(path) as scene:
        left, bottom, right, top = scene.bounds
    from satview.core.aoi import AOI

    local = box(left + 0.3 * (right - left), bottom + 0.2 * (top - bottom),
                left + 0.6 * (right - left), bottom + 0.7 * (top - bottom))
    lonlat = AOI(local, scene.crs).lonlat()
    aoi_file = tmp_path / "aoi.geojson"
    aoi_file.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(lonlat)}))
    api_out, cli_out = tmp_path / "api.tif", tmp_path / "cli.tif"
    result = satview.clip(path, lonlat, api_out, bands=["SR_B4", "QA_PIXEL"])
    argv = ["clip", str(path), "--aoi", str(aoi_file), "-o", str(cli_out), "--bands", "SR_B4,QA_PIXEL"]
    assert cli_main(argv) == 0
    assert result.count == 2 and result.pixels_inside > 0
    with rasterio.open(api_out) as a, rasterio.open(cli_out) as c:
        np.testing.assert_array_equal(a.read(), c.read())
        assert (a.transform, a.crs, a.dtypes, a.nodata) == (c.transform, c.crs, c.dtypes, c.nodata)


@pytest.mark.filterwarnings("ignore", category=NotGeoreferencedWarning)  # a PNG's CRS is in its side-cars
def test_reproject_and_quicklook_api_equal_cli(real_data: Path, tmp_path: Path) -> None:
    """satview.reproject and satview.quicklook (given an opened Scene, which they leave open) write
    the same pixels as the CLI commands."""
    path = real_data / L1_TAR
    with satview.open(path) as scene:
        satview.reproject(scene, "EPSG:4326", tmp_path / "api.tif", bands="B4,QA_PIXEL",
                          resampling="bilinear")
        satview.quicklook(scene, tmp_path / "api.png", bands=["B5", "B4", "B3"], size=48, stretch="1,99")
        assert not scene.closed
    assert cli_main(["reproject", str(path), "--dst-crs", "EPSG:4326", "-o", str(tmp_path / "cli.tif"),
                     "--bands", "B4,QA_PIXEL", "--resampling", "bilinear"]) == 0
    assert cli_main(["quicklook", str(path), "-o", str(tmp_path / "cli.png"), "--bands", "B5,B4,B3",
                     "--size", "48", "--stretch", "1,99"]) == 0
    with rasterio.open(tmp_path / "api.tif") as a, rasterio.open(tmp_path / "cli.tif") as c:
        np.testing.assert_array_equal(a.read(), c.read())
        assert a.transform == c.transform and a.crs == c.crs
    with rasterio.open(tmp_path / "api.png") as a, rasterio.open(tmp_path / "cli.png") as c:
        np.testing.assert_array_equal(a.read(), c.read())
    assert (tmp_path / "api.pgw").read_text() == (tmp_path / "cli.pgw").read_text()


def test_errors_are_satview_errors_naming_the_file(real_data: Path, tmp_path: Path) -> None:
    """Bad files, bands and options raise SatviewError subclasses; file problems name the file."""
    text = tmp_path / "notes.txt"
    text.write_text("not a scene\n")
    with pytest.raises(SatviewError) as exc:
        satview.open(text)
    assert exc.value.path == str(text) and exc.value.category == "not a supported file"
    with satview.open(real_data / L2_FOLDER) as scene:
        with pytest.raises(BandNotFoundError, match="no band 'SR_B99'"):
            scene.read("SR_B99")
        with pytest.raises(SatviewError, match="three band names"):
            satview.quicklook(scene, tmp_path / "q.png", bands="SR_B4,SR_B3")
        with pytest.raises(SatviewError, match="between 16 and 32768"):
            satview.quicklook(scene, tmp_path / "q.png", size=8)
        with pytest.raises(SatviewError, match="applies to a path"):
            satview.reproject(scene, "EPSG:4326", tmp_path / "r.tif", dataset="sst")
    assert not (tmp_path / "q.png").exists() and not (tmp_path / "r.tif").exists()


def test_import_satview_loads_no_readers() -> None:
    """`import satview` (and so the CLI's start) loads neither the API nor rasterio; satview.open does."""
    code = ("import sys, satview; before = {'satview.api', 'rasterio'} & set(sys.modules); "
            "satview.open; print(sorted(before), 'satview.api' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[]", "True"]
