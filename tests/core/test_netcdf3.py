"""Classic netCDF-3 scenes on the real files (OISST reduced.nc, TRMM 3B42): grids, values, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from satview.core import open_scene
from satview.core.geo import epsg_of
from satview.core.pixel import locate, query_pixel
from satview.core.readers.netcdf3 import parse_header
from satview.errors import BandNotFoundError, SceneReadError

TRMM = "3B42_Daily.19991231.7.test.nc"


def _gdal_default(path: Path, var: str) -> tuple[np.ndarray, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(f'netcdf:"{path}":{var}') as ds:
            return ds.read(1), ds.transform


def test_reduced_lists_variables_and_defaults_to_sst(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "reduced.nc") as s:
        assert s.info.format == "netcdf3"
        names = [d.name for d in s.info.datasets]
        assert names == ["lon", "lat", "zlev", "time", "sst", "anom", "err", "ice"]
        by = {d.name: d for d in s.info.datasets}
        assert by["sst"].dims == ("time", "zlev", "lat", "lon") and by["sst"].shape == (1, 1, 90, 180)
        assert not by["lon"].displayable
        assert s.info.dataset == "sst" and s.band_names == ["sst"]
        assert s.info.metadata["global_attributes"]["Conventions"] == "CF-1.0"


def test_reduced_grid_is_lonlat_minus180_to_180(real_data: Path) -> None:
    path = real_data / "hdf5-netcdf" / "reduced.nc"
    with open_scene(path) as s:
        assert epsg_of(s.crs) == 4326
        assert s.transform.to_gdal() == (-181.0, 2.0, 0.0, 90.0, 0.0, -2.0)
        assert s.lonlat_of_cell(0, 0) == pytest.approx((-180.0, 89.0))
        assert s.lonlat_of_cell(89, 179) == pytest.approx((178.0, -89.0))
        # GDAL's own (north-up, 0..360) read, with the columns rolled by 180 degrees
        ref, tf = _gdal_default(path, "sst")
        assert tf.c == -1.0 and tf.f == 90.0
        dn = s.read(dn=True)[0]
        assert np.array_equal(dn, np.roll(ref, -90, axis=1))
        assert s.cell_of_lonlat(-150.0, 10.0) == s.cell_of_lonlat(210.0, 10.0) == (40, 15)


def test_reduced_cf_scaling(real_data: Path) -> None:
    with open_scene(real_data / "hdf5-netcdf" / "reduced.nc") as s:
        b = s.band("sst")
        assert (b.calibration.kind, b.unit, b.nodata) == ("linear", "degree_C", -999.0)
        assert b.scale == pytest.approx(0.01)
        dn, phys = s.read(dn=True)[0], s.read()[0]
        assert np.all(np.isnan(phys[dn == -999]))
        np.testing.assert_allclose(phys[dn != -999], dn[dn != -999] * np.float32(0.01), rtol=1e-6)
        row, col = locate(s, lonlat=(-150.0, 0.5))  # central Pacific: warm water
        bv = query_pixel(s, row, col).bands[0]
        assert 20.0 < bv.value < 32.0 and bv.unit == "degree_C"


def test_trmm_tiny_grid_is_transposed_and_flipped(real_data: Path) -> None:
    path = real_data / "hdf5-netcdf" / TRMM
    h = parse_header(str(path))
    assert h.variables["precipitation"].dims == ("lon", "lat")  # stored [lon][lat]
    with open_scene(path) as s:
        assert (s.width, s.height) == (4, 5)
        assert epsg_of(s.crs) == 4326
        assert s.transform.to_gdal() == (-84.75, 0.25, 0.0, -48.75, 0.0, -0.25)
        assert s.lonlat_of_cell(0, 0) == (-84.625, -48.875)
        assert s.lonlat_of_cell(4, 3) == (-83.875, -49.875)
        dn = s.read(dn=True)[0]
        # file order precipitation[lon][lat]: [0][0] = 0.15, [0][2] = 0.06, [1][0] = 0.06
        assert dn[4, 0] == pytest.approx(0.15) and dn[2, 0] == pytest.approx(0.06)
        assert dn[4, 1] == pytest.approx(0.06) and float(dn.sum()) == pytest.approx(0.27)
        assert s.band("precipitation").unit == "mm"
        assert s.band("precipitation").nodata == pytest.approx(-9999.9004)


def test_dataset_option_and_unknown_name(real_data: Path) -> None:
    path = real_data / "hdf5-netcdf" / "reduced.nc"
    with open_scene(path, dataset="ICE") as s:
        assert s.info.dataset == "ice"
    with pytest.raises(BandNotFoundError) as err:
        open_scene(path, dataset="chlorophyll")
    assert "reduced.nc" in str(err.value) and "sst" in str(err.value)


def test_nothing_written_next_to_input(real_data: Path, tmp_path: Path) -> None:
    src = real_data / "hdf5-netcdf" / "reduced.nc"
    copy = tmp_path / "reduced.nc"
    copy.write_bytes(src.read_bytes())
    with open_scene(copy) as s:
        s.read()
        query_pixel(s, 10, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reduced.nc"]


def test_truncated_netcdf3_is_a_clear_error(real_data: Path, tmp_path: Path) -> None:
    src = (real_data / "hdf5-netcdf" / "reduced.nc").read_bytes()
    for size in (200, 2000):
        bad = tmp_path / f"cut_{size}.nc"
        bad.write_bytes(src[:size])
        with pytest.raises(SceneReadError) as err:
            open_scene(bad)
        assert str(bad) in str(err.value)


def test_truncated_data_section_is_detected(real_data: Path, tmp_path: Path) -> None:
    """GDAL reads a netCDF-3 file cut inside its data as zeros; the header's sizes catch it."""
    src = (real_data / "hdf5-netcdf" / "reduced.nc").read_bytes()
    assert parse_header(str(real_data / "hdf5-netcdf" / "reduced.nc")).required_size == len(src)
    bad = tmp_path / "cut_data.nc"
    bad.write_bytes(src[:100_000])
    with pytest.raises(SceneReadError, match="truncated") as err:
        open_scene(bad)
    assert str(bad) in str(err.value)
