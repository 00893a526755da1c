"""HDF5 / netCDF-4 scenes on the real files: datasets, defaults, CF values, grids, swaths, errors."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np
import pytest
import rasterio

from satview.core import open_scene
from satview.core.geo import epsg_of, transformer
from satview.core.pixel import locate, query_pixel
from satview.errors import BandNotFoundError, SceneReadError, UnsupportedFormatError

DAILY = ("seaice_conc_daily_nh_19790901_n07_v04r00.nc", "seaice_conc_daily_nh_20230901_f17_v04r00.nc")
VIIRS_BT = "/All_Data/VIIRS-M13-SDR_All/BrightnessTemperature"


def _truth(real: Path) -> tuple[np.ndarray, np.ndarray]:
    lat = np.fromfile(real / "nsidc" / "psn25lats_v3.dat", "<i4").reshape(448, 304) / 1e5
    lon = np.fromfile(real / "nsidc" / "psn25lons_v3.dat", "<i4").reshape(448, 304) / 1e5
    return lon, lat


def _max_lonlat_error(scene, lon_t: np.ndarray, lat_t: np.ndarray) -> float:
    r, c = np.mgrid[0 : scene.height, 0 : scene.width]
    x, y = scene.transform * (c + 0.5, r + 0.5)
    lon, lat = transformer(scene.crs, "EPSG:4326").transform(x, y)
    dlon = np.abs((np.asarray(lon) - lon_t + 180.0) % 360.0 - 180.0)
    dlon[np.abs(lat_t) > 89.99] = 0.0
    return float(max(np.max(np.abs(np.asarray(lat) - lat_t)), np.max(dlon)))


# --- listing and default choice ---------------------------------------------------------------------

def test_viirs_datasets_and_default(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "testpyM15.h5") as s:
        assert s.info.format == "hdf5"
        names = [d.name for d in s.info.datasets]
        assert names == [VIIRS_BT, "/All_Data/VIIRS-MOD-GEO_All/Latitude",
                         "/All_Data/VIIRS-MOD-GEO_All/Longitude"]
        assert s.info.dataset == VIIRS_BT
        assert s.info.datasets[0].shape == (10, 10) and s.info.datasets[0].dtype == "float32"
        assert s.info.metadata["global_attributes"]["Platform_Short_Name"] == "NPP"
        assert any(g["group"] == "/All_Data/VIIRS-MOD-GEO_All" for g in s.info.metadata["tree"])
        json.dumps([asdict(d) for d in s.info.datasets])  # attrs are JSON-able


def test_nsidc_daily_default_is_cdr_concentration(real_data: Path) -> None:
    for name in DAILY:
        with open_scene(real_data / "nsidc" / name) as s:
            assert s.info.format == "netcdf4"
            assert s.info.dataset == "/cdr_seaice_conc"
            assert s.band_names[0] == "cdr_seaice_conc"  # 1-long time axis -> one band (then its grid's)
            assert "cdr_seaice_conc[0]" not in s.band_names
            by = {d.name: d for d in s.info.datasets}
            assert by["/cdr_seaice_conc"].dims == ("tdim", "y", "x")
            assert not by["/xgrid"].displayable and not by["/projection"].displayable
            assert by["/qa_of_cdr_seaice_conc"].displayable


def test_other_defaults(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "MODIS_ARRAY.nc") as s:
        assert s.info.dataset == "/__xarray_dataarray_variable__" and s.info.format == "netcdf4"
    with open_scene(real_data / "nsidc" / "G02202-cdr-ancillary-nh.nc") as s:
        # lat/lon arrays and flag/mask variables are skipped: the first other 2-D science dataset
        assert s.info.dataset == "/min_concentration"


def test_dataset_selection(real_data: Path) -> None:
    path = real_data / "nsidc" / DAILY[1]
    for query in ("/nsidc_nt_seaice_conc", "nsidc_nt_seaice_conc", "NSIDC_NT_SEAICE_CONC", "nt_seaice"):
        with open_scene(path, dataset=query) as s:
            assert s.info.dataset == "/nsidc_nt_seaice_conc"
    with pytest.raises(BandNotFoundError, match="ambiguous"):
        open_scene(path, dataset="seaice_conc")
    with pytest.raises(BandNotFoundError) as err:
        open_scene(path, dataset="no_such_thing")
    assert DAILY[1] in str(err.value) and "/cdr_seaice_conc" in str(err.value)
    with pytest.raises(UnsupportedFormatError, match="at least 2 dimensions"):
        open_scene(path, dataset="/xgrid")


def test_leading_axis_gives_one_band_per_index(real_data: Path) -> None:
    with open_scene(real_data / "nsidc" / "G02202-cdr-ancillary-nh.nc", dataset="valid_ice_mask") as s:
        assert s.band_names == [f"valid_ice_mask[{i}]" for i in range(12)]
        got = s.read(["valid_ice_mask[7]"], dn=True)[0]
        with h5py.File(s.path) as f:
            assert np.array_equal(got, f["valid_ice_mask"][7])
        assert s.band("valid_ice_mask[7]").categorical
        assert dict(s.band("valid_ice_mask[0]").flags) == {0: "Not_valid_seaice_location",
                                                           1: "Valid_seaice_location"}


# --- CF values ------------------------------------------------------------------------------------

def test_concentration_values_in_percent(real_data: Path) -> None:
    for name in DAILY:
        with open_scene(real_data / "nsidc" / name) as s, h5py.File(s.path) as f:
            raw = f["cdr_seaice_conc"][0]
            b = s.band("cdr_seaice_conc")
            assert (b.calibration.kind, b.scale, b.unit) == ("linear", 1.0, "%")
            assert b.valid_range == (0.0, 100.0) and b.nodata == 255
            assert dict(b.flags) == {251: "pole_hole", 252: "lakes", 253: "coastal", 254: "land_mask",
                                     255: "missing_data"}
            assert np.array_equal(s.read(dn=True)[0], raw)
            phys = s.read()[0]
            ok = raw <= 100
            np.testing.assert_allclose(phys[ok], raw[ok] * 0.01 * 100, rtol=1e-6)
            assert np.all(np.isnan(phys[~ok]))
            assert np.nanmin(phys) >= 0.0 and np.nanmax(phys) == 100.0


def test_flags_named_in_pixel_report(real_data: Path) -> None:
    with open_scene(real_data / "nsidc" / DAILY[1]) as s:
        raw = s.read(dn=True)[0]
        for value, name in ((254, "land_mask"), (253, "coastal"), (252, "lakes")):
            r, c = (int(i) for i in np.argwhere(raw == value)[0])
            bv = query_pixel(s, r, c).bands[0]
            assert (bv.dn, bv.flag, bv.value) == (value, name, None)
            out = json.loads(json.dumps(asdict(query_pixel(s, r, c))))
            assert out["bands"][0]["flag"] == name and out["bands"][0]["value"] is None
        r, c = (int(i) for i in np.argwhere(raw == 80)[0])
        bv = query_pixel(s, r, c).bands[0]
        assert (bv.value, bv.unit, bv.flag) == (80.0, "%", None)


def test_pole_hole_in_the_1979_file_was_interpolated(real_data: Path) -> None:
    """No cell of the sample files holds 251 (pole_hole): the CDR fills the hole by interpolation."""
    path = real_data / "nsidc" / DAILY[0]
    with open_scene(path) as s:
        row, col = locate(s, lonlat=(0.0, 90.0))
        assert (row, col) == (234, 154)
    with open_scene(path, dataset="spatial_interpolation_flag") as s:
        b = s.band("spatial_interpolation_flag")
        assert b.categorical and "32=pole_hole_value_interpolated" in b.description
        assert int(s.read(dn=True)[0, row, col]) & 32


def test_qa_bit_flags_and_fill(real_data: Path) -> None:
    with open_scene(real_data / "nsidc" / DAILY[1], dataset="qa_of_cdr_seaice_conc") as s:
        b = s.band("qa_of_cdr_seaice_conc")
        assert b.categorical and b.nodata == 0 and "1=BT_weather_filter_applied" in b.description


def test_modis_values_and_fill_against_h5py(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "MODIS_ARRAY.nc") as s, h5py.File(s.path) as f:
        raw = f["__xarray_dataarray_variable__"][()]
        assert np.array_equal(s.read(dn=True)[0], raw)
        phys = s.read()[0]
        assert np.all(np.isnan(phys[raw == -28672]))
        np.testing.assert_array_equal(phys[raw != -28672], raw[raw != -28672].astype(np.float32))
        # decimated read = strided samples of the full array
        small = s.read(dn=True, out_shape=(50, 50))[0]
        assert np.array_equal(small, raw[::4, ::4][:50, :50])


# --- georeferencing ---------------------------------------------------------------------------------

def test_modis_sinusoidal_matches_rasterio(real_data: Path) -> None:
    path = real_data / "hdf5-netcdf" / "MODIS_ARRAY.nc"
    with rasterio.open(f'netcdf:"{path}":__xarray_dataarray_variable__') as ds, open_scene(path) as s:
        assert s.transform.almost_equals(ds.transform, precision=1e-3)
        assert "+proj=sinu" in s.crs.to_proj4() and "6371007.181" in s.crs.to_proj4()
        for r, c in ((0, 0), (199, 199), (57, 123)):
            x, y = ds.xy(r, c)
            lon, lat = transformer(ds.crs, "EPSG:4326").transform(x, y)
            assert s.lonlat_of_cell(r, c) == pytest.approx((lon, lat), abs=1e-9)
        assert not s.info.warnings


@pytest.mark.parametrize("name", DAILY)
def test_nsidc_daily_grid_against_ground_truth(real_data: Path, name: str) -> None:
    with open_scene(real_data / "nsidc" / name) as s:
        assert epsg_of(s.crs) == 3411
        assert (s.transform.c, s.transform.f, s.transform.a, s.transform.e) == (
            -3850000.0, 5850000.0, 25000.0, -25000.0)
        assert (s.width, s.height) == (304, 448)
        # the CF parameters hold straight_vertical_longitude_from_pole = 135: overridden, with a warning
        assert any("straight_vertical_longitude_from_pole" in w for w in s.info.warnings)
        lon_t, lat_t = _truth(real_data)
        assert _max_lonlat_error(s, lon_t, lat_t) < 1e-3
        for r, c in ((0, 0), (447, 303), (234, 154), (100, 250)):
            lon, lat = s.lonlat_of_cell(r, c)
            assert abs(lat - lat_t[r, c]) < 1e-3
            if lat_t[r, c] < 89.9:
                assert abs((lon - lon_t[r, c] + 180) % 360 - 180) < 1e-3
            assert s.cell_of_lonlat(lon_t[r, c], lat_t[r, c]) == (r, c)


def test_ancillary_wrong_crs_is_corrected(real_data: Path) -> None:
    with open_scene(real_data / "nsidc" / "G02202-cdr-ancillary-nh.nc") as s:
        assert epsg_of(s.crs) == 3411
        assert "+lon_0=-45" in s.crs.to_proj4()
        assert any("straight_vertical_longitude_from_pole = 135" in w for w in s.info.warnings)
        lon_t, lat_t = _truth(real_data)
        assert _max_lonlat_error(s, lon_t, lat_t) < 1e-3
        with h5py.File(s.path) as f:  # the file's own lat/lon arrays agree too
            r, c = 300, 100
            assert s.lonlat_of_cell(r, c) == pytest.approx(
                (float(f["longitude"][r, c]), float(f["latitude"][r, c])), abs=1e-3)


# --- swaths -----------------------------------------------------------------------------------------

def test_viirs_swath_geolocation(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "testpyM15.h5") as s, h5py.File(s.path) as f:
        lat = f["All_Data/VIIRS-MOD-GEO_All/Latitude"][()].astype(np.float64)
        lon = f["All_Data/VIIRS-MOD-GEO_All/Longitude"][()].astype(np.float64)
        raw = f["All_Data/VIIRS-M13-SDR_All/BrightnessTemperature"][()]
        assert s.crs is None and s.info.metadata["georeference"] == "geolocation"
        for r, c in ((0, 0), (9, 9), (4, 7)):
            assert s.lonlat_of_cell(r, c) == (lon[r, c], lat[r, c])
            assert s.cell_of_lonlat(lon[r, c], lat[r, c]) == (r, c)
        assert locate(s, lonlat=(lon[3, 5] + 0.001, lat[3, 5] + 0.0005)) == (3, 5)
        with pytest.raises(Exception, match="outside"):
            locate(s, lonlat=(10.0, 45.0))
        glon, glat = s.geolocation()
        assert np.array_equal(glon, lon) and np.array_equal(glat, lat)
        # big-endian floats come back native; IDPS fills (-999.x) are NaN
        dn = s.read(dn=True)[0]
        assert dn.dtype == np.float32 and dn.dtype.byteorder in ("=", "<")
        assert np.array_equal(dn, raw.astype(np.float32))
        phys = s.read()[0]
        assert np.all(np.isnan(phys[:2])) and np.allclose(phys[2:], raw[2:])
        rep = query_pixel(s, 0, 0)
        assert rep.bands[0].value is None and rep.lon == pytest.approx(lon[0, 0])


# --- errors and synthetic CF cases ------------------------------------------------------------------

def test_truncated_hdf5_is_a_clear_error(real_data: Path, tmp_path: Path) -> None:
    src = (real_data / "nsidc" / DAILY[1]).read_bytes()
    for size in (len(src) // 2, 4096, 600):
        bad = tmp_path / f"cut_{size}.nc"
        bad.write_bytes(src[:size])
        with pytest.raises(SceneReadError) as err, open_scene(bad) as s:
            s.read()
        assert str(bad) in str(err.value) and "truncated or damaged" in str(err.value)


def _write_cf(path: Path, *, south_up: bool, lon360: bool) -> np.ndarray:
    """A small CF netCDF-4-like file: (time=3, lat=4, lon=6) concentration with flags."""
    data = np.arange(3 * 4 * 6, dtype=np.uint8).reshape(3, 4, 6)
    data[1, 0, 0] = 251
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = "CF-1.8"
        lat = np.array([-15.0, -5.0, 5.0, 15.0]) if south_up else np.array([15.0, 5.0, -5.0, -15.0])
        lon = np.arange(6) * 60.0 + 30.0 if lon360 else np.arange(6) * 60.0 - 150.0
        f["lat"] = lat
        f["lat"].attrs["units"] = "degrees_north"
        f["lon"] = lon
        f["lon"].attrs["units"] = "degrees_east"
        f["time"] = np.arange(3.0)
        v = f.create_dataset("ice_conc", data=data)
        v.attrs.update({"scale_factor": np.float32(0.01), "units": "1", "valid_range": [0, 100],
                        "flag_values": np.array([251, 254], np.uint8), "flag_meanings": "pole_hole land",
                        "standard_name": "sea_ice_area_fraction", "_FillValue": np.uint8(255)})
        for name, axis in (("time", 0), ("lat", 1), ("lon", 2)):
            f[name].make_scale(name)
            v.dims[axis].attach_scale(f[name])
    return data


def test_south_up_and_0_360_grid(tmp_path: Path) -> None:
    path = tmp_path / "cf.nc"
    data = _write_cf(path, south_up=True, lon360=True)
    with open_scene(path) as s:
        assert s.info.format == "netcdf4" and s.info.dataset == "/ice_conc"
        assert s.band_names == ["ice_conc[0]", "ice_conc[1]", "ice_conc[2]"]
        assert epsg_of(s.crs) == 4326
        assert s.transform.to_gdal() == (-180.0, 60.0, 0.0, 20.0, 0.0, -10.0)
        got = s.read(["ice_conc[1]"], dn=True)[0]
        expect = np.roll(data[1][::-1], -3, axis=1)  # north-up, columns from -180
        assert np.array_equal(got, expect)
        assert s.lonlat_of_cell(0, 0) == pytest.approx((-150.0, 15.0))
        assert s.cell_of_lonlat(30.0, -15.0) == (3, 3)
        # decimated and windowed reads stay consistent with the full read
        from rasterio.windows import Window

        assert np.array_equal(s.read(["ice_conc[1]"], window=Window(2, 1, 3, 2), dn=True)[0],
                              expect[1:3, 2:5])
        assert np.array_equal(s.read(["ice_conc[1]"], out_shape=(2, 3), dn=True)[0], expect[::2, ::2])
        r, c = (int(i) for i in np.argwhere(got == 251)[0])
        bv = query_pixel(s, r, c).bands[1]
        assert (bv.flag, bv.value, bv.unit) == ("pole_hole", None, "%")
        assert query_pixel(s, 0, 1).bands[0].value == pytest.approx(float(expect_0 := data[0][::-1][0, 4]))
        assert expect_0 == np.roll(data[0][::-1], -3, axis=1)[0, 1]


def test_constant_coordinates_are_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "zeros.nc"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros(5)
        f["x"].attrs["standard_name"] = "projection_x_coordinate"
        f["y"] = np.zeros(4)
        f["y"].attrs["standard_name"] = "projection_y_coordinate"
        gm = f.create_dataset("crs", data=0)
        gm.attrs.update({"grid_mapping_name": "transverse_mercator", "longitude_of_central_meridian": 9.0,
                         "scale_factor_at_central_meridian": 0.9996, "latitude_of_projection_origin": 0.0,
                         "false_easting": 500000.0, "false_northing": 0.0,
                         "GeoTransform": "400000 1000 0 5000000 0 -1000"})
        v = f.create_dataset("data", data=np.ones((4, 5), np.int16))
        v.attrs["grid_mapping"] = "crs"
        for name, axis in (("y", 0), ("x", 1)):
            f[name].make_scale(name)
            v.dims[axis].attach_scale(f[name])
    with open_scene(path) as s:
        assert s.transform.to_gdal() == (400000.0, 1000.0, 0.0, 5000000.0, 0.0, -1000.0)
        assert "+proj=utm +zone=32" in s.crs.to_proj4()  # transverse mercator at 9 E = UTM 32
        assert any("'x' is constant" in w for w in s.info.warnings)


def test_names_that_are_not_utf8_are_shown_escaped_and_still_read(tmp_path: Path) -> None:
    """h5py hands out non-UTF-8 object names as bytes: they are shown with \\xNN escapes, and the
    dataset opens, reads and can be chosen by that shown name (issue 6)."""
    path = tmp_path / "odd.h5"
    data = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    with h5py.File(path, "w") as f:
        d = f.create_group(b"gr\xe8p").create_dataset(b"d\xffta", data=data)
        d.attrs[b"un\xffits"] = b"m"
        f.create_group("plain").create_dataset("other", data=data[:10, :10])
    with open_scene(path) as scene:
        assert scene.info.dataset == "/gr\\xe8p/d\\xffta"
        assert [d.name for d in scene.info.datasets] == ["/gr\\xe8p/d\\xffta", "/plain/other"]
        assert scene.band_names == ["d\\xffta"]
        assert np.array_equal(scene.read(dn=True)[0], data)
        json.dumps(asdict(scene.info.datasets[0]))  # printable, JSON-able
    with open_scene(path, dataset="/gr\\xe8p/d\\xffta") as scene:
        assert scene.read(dn=True)[0, 19, 29] == data[19, 29]


CDR = "nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc"


def test_datasets_of_one_grid_are_bands_of_the_scene(real_data: Path) -> None:
    """The variables on the chosen one's (y, x) grid are bands after it (no lat/lon arrays), and
    reading one by name gives that variable; the display stays on the chosen dataset."""
    from satview.core.composite import default_bands
    from satview.core.render import seaice_band

    with open_scene(real_data / CDR) as scene:
        names = scene.band_names
        assert names[0] == "cdr_seaice_conc"
        assert {"stdev_of_cdr_seaice_conc", "nsidc_bt_seaice_conc"} <= set(names)
        assert not {"latitude", "longitude", "xgrid", "ygrid"} & set(names)
        got = scene.read("qa_of_cdr_seaice_conc", dn=True)[0]
        shown = seaice_band(scene.info)
        assert shown is not None and shown.name == "cdr_seaice_conc"
    with h5py.File(real_data / CDR) as f:
        np.testing.assert_array_equal(got, f["qa_of_cdr_seaice_conc"][0])
    melt = "melt_onset_day_cdr_seaice_conc"  # no sea-ice flags: shown as itself, not as concentration
    with open_scene(real_data / CDR, dataset=melt) as scene:
        assert scene.band_names[0] == melt and "cdr_seaice_conc" in scene.band_names
        assert seaice_band(scene.info) is None and default_bands(scene.info) == (melt,)
