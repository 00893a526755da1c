"""HDF4 (pyhdf) scenes: datasets, default choice, HDF-EOS2 georeferencing, scaling, slab reads, errors."""

from __future__ import annotations

import json
import math
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from pyhdf.SD import SD, SDC
from pyproj import CRS as ProjCRS
from pyproj import Transformer
from rasterio.windows import Window

from satview.cli import main as cli_main
from satview.core import hdfeos, open_scene
from satview.core.pixel import query_pixel
from satview.core.readers import hdf4
from satview.core.readers.hdf4 import default_dataset, open_hdf4
from satview.core.readers.hdf4_calibration import calibration_from_attrs
from satview.core.types import DatasetInfo
from satview.errors import BandNotFoundError, SceneReadError

GA = "hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf"
A1 = "hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf"

# MODIS sinusoidal tile maths (sphere R = 6371007.181 m; 36 x 18 tiles)
HALF_X = 20015109.354  # pi * R
HALF_Y = 10007554.677  # pi * R / 2
TILE = 2 * HALF_X / 36  # 1111950.5197 m
SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
FILL = -28672


def tile_ul(h: int, v: int) -> tuple[float, float]:
    """Upper-left corner of MODIS tile (h, v)."""
    return (-HALF_X + h * TILE, HALF_Y - v * TILE)


def direct(path: Path, name: str) -> tuple[np.ndarray, dict]:
    """A whole SDS and its attributes read straight through pyhdf."""
    sd = SD(str(path), SDC.READ)
    try:
        sds = sd.select(name)
        data, attrs = sds.get(), sds.attributes()
        sds.endaccess()
    finally:
        sd.end()
    return data, attrs


# --- datasets ----------------------------------------------------------------------------------


def test_lists_every_sds_with_shape_dtype_and_attrs(real_data: Path) -> None:
    path = real_data / GA
    sd = SD(str(path), SDC.READ)
    expected = {name: tuple(v[1]) if isinstance(v[1], (list, tuple)) else (v[1],)
                for name, v in sd.datasets().items()}
    sd.end()
    with open_hdf4(path, None) as scene:
        info = scene.info
        assert info.format == "hdf4"
        got = {d.name: d for d in info.datasets}
        assert len(got) == 42
        assert {n: d.shape for n, d in got.items()} == expected
        assert got["sur_refl_b01_1"].dtype == "int16"
        assert got["state_1km_1"].dtype == "uint16"
        assert got["QC_500m_1"].dtype == "uint32"
        assert got["num_observations_1km"].dtype == "int8"
        assert got["SensorZenith_1"].shape == (1200, 1200)
        assert got["state_1km_c"].shape == (70309,) and not got["state_1km_c"].displayable
        assert got["sur_refl_b01_1"].displayable
        assert got["sur_refl_b01_1"].dims == ("YDim:MODIS_Grid_500m_2D", "XDim:MODIS_Grid_500m_2D")
        assert got["sur_refl_b01_1"].attrs["_FillValue"] == FILL
        json.dumps([d.attrs for d in info.datasets])  # JSON-able
        json.dumps(info.metadata)
        assert "CoreMetadata.0" in info.metadata["attributes"]


def test_default_dataset_is_first_2d_science_dataset(real_data: Path) -> None:
    with open_hdf4(real_data / GA, None) as scene:
        assert scene.info.dataset == "sur_refl_b01_1"
        assert scene.band_names[0] == "sur_refl_b01_1"
    with open_hdf4(real_data / A1, None) as scene:
        assert scene.info.dataset == "sur_refl_b01"
        assert len(scene.info.datasets) == 13


def test_default_dataset_rule_tiers() -> None:
    def ds(name: str, shape: tuple[int, ...] = (10, 10), units: str = "") -> DatasetInfo:
        return DatasetInfo(name, shape, "int16", {"units": units}, displayable=len(shape) >= 2)

    assert default_dataset([ds("QC_500m"), ds("SolarZenith"), ds("LST_Day_1km")]).name == "LST_Day_1km"
    assert default_dataset([ds("x", (5,)), ds("QC"), ds("SolarZenith")]).name == "SolarZenith"
    assert default_dataset([ds("band", units="bit field"), ds("gflags")]).name == "band"
    assert default_dataset([ds("sur_refl_day_of_year"), ds("sur_refl_b02")]).name == "sur_refl_b02"


def test_dataset_selection(real_data: Path) -> None:
    path = real_data / GA
    with open_scene(path, dataset="SensorZenith_1") as scene:
        assert scene.info.dataset == "SensorZenith_1" and scene.shape == (1200, 1200)
    with open_scene(path, dataset="qc_500M_1") as scene:  # case-insensitive
        assert scene.info.dataset == "QC_500m_1"
        assert scene.band("QC_500m_1").categorical
    with open_scene(path, dataset="b04_1") as scene:  # unique substring
        assert scene.info.dataset == "sur_refl_b04_1"


def test_unknown_ambiguous_and_1d_dataset_errors(real_data: Path) -> None:
    path = real_data / GA
    with pytest.raises(BandNotFoundError) as err:
        open_scene(path, dataset="LST_Day_1km")
    assert path.name in str(err.value) and "sur_refl_b01_1" in str(err.value)
    with pytest.raises(BandNotFoundError, match="several"):
        open_scene(path, dataset="state")
    with pytest.raises(BandNotFoundError, match="not a 2-D"):
        open_scene(path, dataset="nadd_obs_row_1km")


# --- georeferencing ----------------------------------------------------------------------------


@pytest.mark.parametrize(("dataset", "cells"), [("sur_refl_b01_1", 2400), ("SensorZenith_1", 1200)])
def test_mod09ga_tile_corners_match_tile_maths(real_data: Path, dataset: str, cells: int) -> None:
    ulx, uly = tile_ul(14, 17)
    with open_scene(real_data / GA, dataset=dataset) as scene:
        t = scene.transform
        assert scene.shape == (cells, cells)
        assert ProjCRS(scene.crs.to_wkt()) == ProjCRS(SINU)
        assert scene.info.warnings == ()
        assert t.c == pytest.approx(ulx, abs=0.01) and t.f == pytest.approx(uly, abs=0.01)
        assert t.a == pytest.approx(TILE / cells, abs=1e-6)
        assert t.e == pytest.approx(-TILE / cells, abs=1e-6)
        assert t.b == 0 and t.d == 0
        _, bottom, right, _ = scene.bounds
        assert right == pytest.approx(ulx + TILE, abs=0.01)
        assert bottom == pytest.approx(uly - TILE, abs=0.01)
        assert scene.band(dataset).resolution == pytest.approx(TILE / cells)


def test_mod09a1_subset_lies_on_the_500m_lattice_of_h18v04(real_data: Path) -> None:
    cell = TILE / 2400
    ulx, uly = tile_ul(18, 4)
    with open_scene(real_data / A1) as scene:
        t = scene.transform
        assert scene.shape == (73, 66)
        assert scene.info.metadata["hdfeos_grid"]["source"] == "StructMetadata"
        assert t.a == pytest.approx(cell, abs=1e-5) and t.e == pytest.approx(-cell, abs=1e-5)
        col, row = (t.c - ulx) / cell, (uly - t.f) / cell
        assert col == pytest.approx(round(col), abs=1e-4) and row == pytest.approx(round(row), abs=1e-4)
        assert (round(col), round(row)) == (1626, 923)
        assert col >= 0 and col + 66 <= 2400 and row >= 0 and row + 73 <= 2400
    # the OldStructMetadata describes the whole original tile
    sd = SD(str(real_data / A1), SDC.READ)
    old = sd.attributes()["OldStructMetadata.0"]
    sd.end()
    (grid,) = hdfeos.grids_from_metadata(old, "OldStructMetadata")
    assert (grid.xdim, grid.ydim) == (2400, 2400)
    t = hdfeos.grid_transform(grid)
    assert (t.c, t.f) == pytest.approx((ulx, uly), abs=0.01)


def test_pixel_lonlat_matches_pyproj_inverse(real_data: Path) -> None:
    inverse = Transformer.from_crs(SINU, "EPSG:4326", always_xy=True)
    worst, checked = 0.0, 0
    for rel, dataset, cells, (h, v) in ((GA, "sur_refl_b01_1", 2400, (14, 17)),
                                        (GA, "SensorZenith_1", 1200, (14, 17)),
                                        (A1, "sur_refl_b01", 2400, (18, 4))):
        ulx, uly = tile_ul(h, v)
        with open_scene(real_data / rel, dataset=dataset) as scene:
            t = scene.transform
            for row, col in ((0, 0), (5, scene.width - 1), (scene.height // 2, scene.width // 3)):
                # the cell centre from tile maths: UL of the scene on the tile lattice + (i + 0.5) cells
                c0 = round((t.c - ulx) / (TILE / cells))
                r0 = round((uly - t.f) / (TILE / cells))
                x = ulx + (c0 + col + 0.5) * TILE / cells
                y = uly - (r0 + row + 0.5) * TILE / cells
                lon, lat = inverse.transform(x, y)
                got = scene.lonlat_of_cell(row, col)
                worst = max(worst, abs(got[0] - lon), abs(got[1] - lat))
                # cells beyond the sinusoid's edge (high-latitude tiles) have no lon/lat of their own
                inside = abs(x) <= HALF_X * math.cos(math.radians(lat))
                if inside:
                    assert scene.cell_of_lonlat(lon, lat) == (row, col)
                checked += inside
    assert worst < 1e-9
    assert checked >= 5


def test_pixel_report_and_cli_pixel(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, _ = direct(real_data / A1, "sur_refl_b01")
    with open_scene(real_data / A1) as scene:
        rep = query_pixel(scene, 10, 20)
        assert rep.bands[0].dn == data[10, 20]
        assert rep.bands[0].value == pytest.approx(data[10, 20] * 1e-4, rel=1e-6)
        assert rep.lon is not None and 7 < rep.lon < 12 and 45 < rep.lat < 47
    assert cli_main(["pixel", str(real_data / A1), "--rowcol", "10", "20", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bands"][0]["dn"] == int(data[10, 20])
    assert out["lat"] == pytest.approx(rep.lat)


# --- values ------------------------------------------------------------------------------------


def test_values_match_direct_pyhdf_read_mod09ga(real_data: Path) -> None:
    path = real_data / GA
    data, attrs = direct(path, "sur_refl_b01_1")
    assert attrs["scale_factor"] == 10000.0  # MOD09GA stores the divisor
    win = Window(2000, 0, 400, 120)  # the corner of the tile that has valid data
    expected = data[0:120, 2000:2400]
    with open_scene(path) as scene:
        dn = scene.read("sur_refl_b01_1", window=win, dn=True)[0]
        np.testing.assert_array_equal(dn, expected)
        assert dn.dtype == np.int16
        phys = scene.read("sur_refl_b01_1", window=win)[0]
        band = scene.band("sur_refl_b01_1")
        assert band.nodata == FILL and band.valid_range == (-100, 16000) and band.unit == "reflectance"
    valid = (expected != FILL) & (expected >= -100) & (expected <= 16000)
    assert valid.sum() > 1000 and (~valid).sum() > 1000
    np.testing.assert_allclose(phys[valid], expected[valid] / 10000.0, rtol=1e-6)
    assert np.isnan(phys[~valid]).all()
    assert 0 < np.nanmax(phys) < 1.7


def test_values_match_direct_pyhdf_read_mod09a1_and_angles(real_data: Path) -> None:
    data, attrs = direct(real_data / A1, "sur_refl_b03")
    assert attrs["scale_factor"] == pytest.approx(0.0001)
    with open_scene(real_data / A1, dataset="sur_refl_b03") as scene:
        np.testing.assert_array_equal(scene.read_dn("sur_refl_b03")[0], data)
        phys = scene.read()[0]
    ok = data != FILL
    np.testing.assert_allclose(phys[ok], attrs["scale_factor"] * (data[ok] - attrs["add_offset"]), rtol=1e-6)
    zen, zattrs = direct(real_data / GA, "SensorZenith_1")
    with open_scene(real_data / GA, dataset="SensorZenith_1") as scene:
        z = scene.read(window=Window(1050, 0, 150, 40))[0]
        assert scene.band("SensorZenith_1").unit == "degree"
    raw = zen[0:40, 1050:1200]
    ok = raw != zattrs["_FillValue"]
    np.testing.assert_allclose(z[ok], raw[ok] * 0.01, rtol=1e-6)
    assert np.isnan(z[~ok]).all()


def test_decimated_read_equals_strided_direct_read(real_data: Path) -> None:
    data, _ = direct(real_data / GA, "sur_refl_b01_1")
    with open_scene(real_data / GA) as scene:
        np.testing.assert_array_equal(scene.read(out_shape=(600, 600), dn=True)[0], data[::4, ::4])
        win = Window(2000, 0, 400, 100)
        got = scene.read(window=win, out_shape=(50, 200), dn=True)[0]
        np.testing.assert_array_equal(got, data[0:100:2, 2000:2400:2])


def test_reads_are_split_into_row_slabs(real_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = []
    with open_scene(real_data / GA) as scene:
        original = scene._select

        class Spy:
            def __init__(self, sds: object) -> None:
                self.sds = sds

            def get(self, start, count, stride):  # type: ignore[no-untyped-def]
                calls.append((start, count, stride))
                return self.sds.get(start=start, count=count, stride=stride)

        monkeypatch.setattr(scene, "_select", lambda name: Spy(original(name)))
        full = scene.read("sur_refl_b01_1", dn=True)[0]
        assert len(calls) == 5 and max(c[1][0] for c in calls) <= hdf4.MAX_SLAB_ROWS
        calls.clear()
        scene.read("sur_refl_b01_1", out_shape=(300, 300), dn=True)
        assert calls[0][2] == (8, 8)
    np.testing.assert_array_equal(full, direct(real_data / GA, "sur_refl_b01_1")[0])


def test_concurrent_reads_from_threads(real_data: Path) -> None:
    data, _ = direct(real_data / GA, "sur_refl_b01_1")
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    with open_scene(real_data / GA) as scene:

        def work(i: int) -> None:
            try:
                results[i] = scene.read(window=Window(2000 + 10 * i, 0, 300, 90), dn=True)[0]
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert not errors
    for i, got in results.items():
        np.testing.assert_array_equal(got, data[0:90, 2000 + 10 * i:2300 + 10 * i])


def test_close_is_idempotent_and_blocks_reads(real_data: Path) -> None:
    scene = open_scene(real_data / A1)
    scene.close()
    scene.close()
    with pytest.raises(Exception, match="closed"):
        scene.read()


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [1000, 600_000, 2_000_000])
def test_truncated_file_gives_scene_read_error(real_data: Path, tmp_path: Path, keep: int) -> None:
    bad = tmp_path / "MOD09GA_truncated.hdf"
    bad.write_bytes((real_data / GA).read_bytes()[:keep])
    with pytest.raises(SceneReadError) as err:
        open_scene(bad)
    assert str(bad) in str(err.value) and "truncated or damaged" in str(err.value)


def test_damaged_compressed_block_gives_scene_read_error(real_data: Path, tmp_path: Path) -> None:
    """A file that opens but whose deflated pixel data is damaged fails on read, naming the file."""
    raw = bytearray((real_data / A1).read_bytes())
    want = direct(real_data / A1, "sur_refl_b01")[0].astype(">i2").tobytes()[:64]
    start = next(i for i in range(len(raw) - 2) if raw[i] == 0x78 and _inflates_to(raw, i, want))
    raw[start + 20:start + 400] = b"\xff" * 380
    bad = tmp_path / "MOD09A1_damaged.hdf"
    bad.write_bytes(bytes(raw))
    with open_scene(bad) as scene, pytest.raises(SceneReadError) as err:
        scene.read()
    assert str(bad) in str(err.value) and "sur_refl_b01" in str(err.value)


def _inflates_to(raw: bytearray, i: int, want: bytes) -> bool:
    try:
        return zlib.decompressobj().decompress(bytes(raw[i:i + 4096]))[:len(want)] == want
    except zlib.error:
        return False


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_info_json_lists_datasets(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["info", str(real_data / GA), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "hdf4" and out["dataset"] == "sur_refl_b01_1"
    names = {d["name"]: d for d in out["datasets"]}
    assert len(names) == 42
    assert names["QC_500m_1"]["shape"] == [2400, 2400] and names["QC_500m_1"]["dtype"] == "uint32"
    assert out["bands"][0]["scale"] == pytest.approx(1e-4) and out["bands"][0]["nodata"] == FILL
    assert out["transform"][2] == pytest.approx(tile_ul(14, 17)[0], abs=0.01)
    assert cli_main(["info", str(real_data / GA), "--dataset", "SolarZenith_1"]) == 0
    assert "SolarZenith_1" in capsys.readouterr().out
    assert cli_main(["info", str(real_data / GA), "--dataset", "nope"]) == 1
    assert "no dataset 'nope'" in capsys.readouterr().err


# --- synthetic files: no StructMetadata, 3-D datasets, other projections ------------------------


def _write(path: Path, datasets: dict[str, tuple[np.ndarray, int, dict]], struct: str | None = None,
           dims: dict[str, tuple[str, ...]] | None = None) -> None:
    sd = SD(str(path), SDC.WRITE | SDC.CREATE)
    if struct is not None:
        sd.attr("StructMetadata.0").set(SDC.CHAR8, struct)
    for name, (arr, typ, attrs) in datasets.items():
        sds = sd.create(name, typ, arr.shape)
        for i, dname in enumerate((dims or {}).get(name, ())):
            sds.dim(i).setname(dname)
        sds[:] = arr
        for key, (atyp, value) in attrs.items():
            sds.attr(key).set(atyp, value)
        sds.endaccess()
    sd.end()


def test_plain_hdf4_without_structmetadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.hdf"
    cube = np.arange(3 * 20 * 30, dtype=np.int16).reshape(3, 20, 30)
    _write(path, {
        "profile": (np.arange(5, dtype=np.float32), SDC.FLOAT32, {}),
        "cube": (cube, SDC.INT16, {"scale_factor": (SDC.FLOAT64, 0.5), "add_offset": (SDC.FLOAT64, 10.0),
                                   "units": (SDC.CHAR8, "K")}),
    })
    with open_scene(path) as scene:
        assert scene.info.dataset == "cube"
        assert scene.crs is None and scene.shape == (20, 30)
        assert any("no HDF-EOS StructMetadata" in w for w in scene.info.warnings)
        assert scene.band_names == ["cube[0]", "cube[1]", "cube[2]"]
        np.testing.assert_array_equal(scene.read_dn("cube[2]")[0], cube[2])
        # no calibrated_nt and no HDF-EOS: CF rule value = DN * scale + offset
        np.testing.assert_allclose(scene.read("cube[1]")[0], cube[1] * 0.5 + 10.0)
        np.testing.assert_array_equal(scene.read(window=Window(3, 4, 10, 8), out_shape=(4, 5), dn=True)[1],
                                      cube[1, 4:12:2, 3:13:2])
        lon, lat = scene.lonlat_of_cell(0, 0)
        assert math.isnan(lon) and math.isnan(lat)


_GRID = """GROUP=GridStructure
\tGROUP=GRID_1
\t\tGridName="{name}"
\t\tXDim={x}
\t\tYDim={y}
\t\tUpperLeftPointMtrs=({ulx},{uly})
\t\tLowerRightMtrs=({lrx},{lry})
\t\tProjection={proj}
\t\tProjParams=({params})
\t\tSphereCode={sphere}
\t\tGridOrigin=HDFE_GD_UL
\t\tGROUP=DataField
\t\t\tOBJECT=DataField_1
\t\t\t\tDataFieldName="{field}"
\t\t\t\tDataType=DFNT_UINT8
\t\t\t\tDimList=({dimlist})
\t\t\tEND_OBJECT=DataField_1
\t\tEND_GROUP=DataField
\tEND_GROUP=GRID_1
END_GROUP=GridStructure
END
"""


def test_geographic_grid_with_packed_dms_corners_and_band_axis(tmp_path: Path) -> None:
    path = tmp_path / "geo.hdf"
    struct = _GRID.format(name="CMG", x=72, y=36, ulx="-180000000.000000", uly="90000000.000000",
                          lrx="180000000.000000", lry="-90000000.000000", proj="GCTP_GEO",
                          params="0,0,0,0,0,0,0,0,0,0,0,0,0", sphere=12, field="Snow",
                          dimlist='"Band","YDim","XDim"')
    arr = np.arange(2 * 36 * 72, dtype=np.uint8).reshape(2, 36, 72)
    _write(path, {"Snow": (arr, SDC.UINT8, {})}, struct,
           dims={"Snow": ("Band:CMG", "YDim:CMG", "XDim:CMG")})
    with open_scene(path) as scene:
        assert scene.crs.to_epsg() == 4326
        assert tuple(scene.transform)[:6] == pytest.approx((5.0, 0, -180.0, 0, -5.0, 90.0))
        assert scene.band_names == ["Snow[0]", "Snow[1]"]
        assert scene.lonlat_of_cell(0, 0) == pytest.approx((-177.5, 87.5))
        np.testing.assert_array_equal(scene.read_dn("Snow[1]")[0], arr[1])


def test_polar_stereographic_and_lambert_azimuthal_grids(tmp_path: Path) -> None:
    # NSIDC north polar stereographic (Hughes 1980 ellipsoid, lat_ts 70 N, lon -45)
    ps = _GRID.format(name="NpPolarGrid", x=304, y=448, ulx="-3850000.0", uly="5850000.0",
                      lrx="3750000.0", lry="-5350000.0", proj="GCTP_PS",
                      params="6378273.0,6356889.449,0,0,-45000000.0,70000000.0,0,0,0,0,0,0,0",
                      sphere=-1, field="ice", dimlist='"YDim","XDim"')
    path = tmp_path / "ps.hdf"
    _write(path, {"ice": (np.zeros((448, 304), np.uint8), SDC.UINT8, {})}, ps)
    with open_scene(path) as scene:
        assert "+proj=stere" in scene.crs.to_proj4() and "+lat_ts=70" in scene.crs.to_proj4()
        assert scene.transform.a == pytest.approx(25000.0) and scene.transform.e == pytest.approx(-25000.0)
        lon, lat = scene.lonlat_of_cell(0, 0)
        lon3411, lat3411 = Transformer.from_crs("EPSG:3411", "EPSG:4326", always_xy=True).transform(
            -3850000 + 12500, 5850000 - 12500)
        assert (lon, lat) == pytest.approx((lon3411, lat3411), abs=1e-9)
    # EASE-Grid north (Lambert azimuthal on the 6371228 m sphere, EPSG:3408)
    laea = _GRID.format(name="Northern Hemisphere", x=721, y=721, ulx="-9036842.762500",
                        uly="9036842.762500", lrx="9036842.762500", lry="-9036842.762500",
                        proj="GCTP_LAMAZ", params="6371228.0,0,0,0,0,90000000.0,0,0,0,0,0,0,0",
                        sphere=-1, field="snow", dimlist='"YDim","XDim"')
    path = tmp_path / "laea.hdf"
    _write(path, {"snow": (np.zeros((721, 721), np.uint8), SDC.UINT8, {})}, laea)
    with open_scene(path) as scene:
        lon, lat = scene.lonlat_of_cell(360, 360)
        assert lat == pytest.approx(90.0, abs=1e-9)
        x, y = Transformer.from_crs("EPSG:4326", "EPSG:3408", always_xy=True).transform(-45.0, 60.0)
        mine = Transformer.from_crs("EPSG:4326", scene.crs.to_wkt(), always_xy=True).transform(-45.0, 60.0)
        assert mine == pytest.approx((x, y), abs=1e-6)


def test_dataset_outside_any_grid_is_in_pixels_with_a_warning(tmp_path: Path) -> None:
    struct = _GRID.format(name="G", x=10, y=10, ulx="0.0", uly="100.0", lrx="100.0", lry="0.0",
                          proj="GCTP_SNSOID", params="6371007.181,0,0,0,0,0,0,0,0,0,0,0,0", sphere=-1,
                          field="other", dimlist='"YDim","XDim"')
    path = tmp_path / "nogrid.hdf"
    _write(path, {"lonely": (np.ones((4, 6), np.uint8), SDC.UINT8, {})}, struct)
    with open_scene(path) as scene:
        assert scene.crs is None and any("no HDF-EOS grid" in w for w in scene.info.warnings)


# --- hdfeos and calibration units --------------------------------------------------------------


def test_dms_and_odl_parsing() -> None:
    assert hdfeos.dms_to_degrees(-180000000.0) == -180.0
    assert hdfeos.dms_to_degrees(45030030.0) == pytest.approx(45 + 30 / 60 + 30 / 3600)
    assert hdfeos.dms_to_degrees(-70000000.0) == -70.0
    text = 'GROUP=A\n\tK=(1.5,\n 2)\n\tS="x, y"\n\tOBJECT=B\n\t\tN=3\n\tEND_OBJECT=B\nEND_GROUP=A\nEND\n'
    tree = hdfeos.parse_odl(text)
    assert tree == {"A": {"K": (1.5, 2), "S": "x, y", "B": {"N": 3}}}


@pytest.mark.parametrize(
    ("name", "attrs", "rule", "dn", "value"),
    [
        ("LST_Day_1km", {"scale_factor": 0.02, "add_offset": 0.0, "units": "K", "calibrated_nt": 22},
         "added", 14500, 290.0),
        ("Day_view_angl", {"scale_factor": 1.0, "add_offset": -65.0, "units": "degree"}, "added", 30, -35.0),
        ("sur_refl_b01_1", {"scale_factor": 10000.0, "add_offset": 0.0, "units": "reflectance"},
         "hdf4", 2500, 0.25),
        ("sur_refl_b01", {"scale_factor": 0.0001, "add_offset": 0.0, "units": "reflectance"},
         "hdf4", 2500, 0.25),
        ("1 km 16 days NDVI", {"scale_factor": 10000.0, "units": "NDVI"}, "hdf4", 5000, 0.5),
        ("Retrieved_Temperature_Profile", {"scale_factor": 0.01, "add_offset": -15000.0, "units": "K",
                                           "calibrated_nt": 5}, "hdf4", 13000, 280.0),
        ("Emis_31", {"scale_factor": 0.002, "add_offset": 0.49, "units": "none"}, "added", 245, 0.98),
        ("Range_1", {"scale_factor": 25.0, "units": "meters"}, "hdf4", 30000, 750000.0),
        ("cf", {"scale_factor": 0.5, "add_offset": 10.0}, "cf", 4, 12.0),
    ],
)
def test_calibration_conventions(name: str, attrs: dict, rule: str, dn: int, value: float) -> None:
    """Each offset rule (HDF4, added for LST&E, CF, divisor) gives the documented value of a DN."""
    cal, _ = calibration_from_attrs(attrs, hdf4_convention=rule != "cf", offset_added=rule == "added")
    assert cal.kind == "linear"
    assert cal.apply_scalar(dn) == pytest.approx(value, rel=1e-6)
    assert cal.unit == ("" if attrs.get("units") in (None, "none") else attrs["units"])


def test_no_scale_attributes_means_no_calibration() -> None:
    cal, _ = calibration_from_attrs({"units": "bit field"})
    assert cal.kind == "none" and cal.unit == "bit field"


def test_sds_name_that_is_not_utf8_opens_by_index(tmp_path: Path) -> None:
    """pyhdf gives a non-UTF-8 SDS name back with surrogates and then cannot select it by that name
    (TypeError from SDnametoindex): the SDS is shown with \\xNN escapes and selected by index."""
    good = tmp_path / "good.hdf"
    sd = SD(str(good), SDC.WRITE | SDC.CREATE)
    sds = sd.create("dQQta", SDC.INT16, (20, 30))
    sds[:] = np.arange(600, dtype=np.int16).reshape(20, 30)
    sds.endaccess()
    sd.end()
    raw = good.read_bytes()
    assert raw.count(b"dQQta") == 1
    odd = tmp_path / "odd.hdf"
    odd.write_bytes(raw.replace(b"dQQta", b"d\xff\xfeta"))
    with open_scene(odd) as scene:
        assert scene.info.dataset == "d\\xff\\xfeta"
        assert scene.read(dn=True)[0, 19, 29] == 599
        json.dumps([d.name for d in scene.info.datasets])
    with open_scene(odd, dataset="d\\xff\\xfeta") as scene:
        assert scene.read(dn=True)[0, 1, 1] == 31
