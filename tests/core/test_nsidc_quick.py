"""The readers' quick path for NSIDC sea-ice files: the values, flags and dates of a scene, both formats."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from satview.core import open_scene
from satview.core.readers.nsidc_quick import read_concentration, read_field, read_header, to_percent
from satview.errors import SatviewError, UnsupportedFormatError

BIN = "nt_20171002_f17_v1.1_n.bin"
NC = "seaice_conc_daily_nh_20230901_f17_v04r00.nc"


def _scene_percent(path: Path) -> np.ndarray:
    with open_scene(path) as s:
        return s.read([s.info.bands[0].name])[0]


@pytest.mark.parametrize("name", [BIN, NC])
def test_percent_equals_the_scenes(real_data: Path, name: str) -> None:
    """The quick read gives, cell for cell, the % (NaN at flags and fill) that open_scene gives."""
    path = real_data / "nsidc" / name
    _header, raw, band = read_concentration(path)
    np.testing.assert_array_equal(to_percent(raw, band), _scene_percent(path))


@pytest.mark.parametrize(("name", "date"), [(BIN, dt.date(2017, 10, 2)), (NC, dt.date(2023, 9, 1))])
def test_header_dates_and_grid(real_data: Path, name: str, date: dt.date) -> None:
    """Both formats are dated from their metadata and placed on the Hughes-datum north 25 km grid."""
    h = read_header(real_data / "nsidc" / name)
    assert h.date == date
    assert h.cadence == "daily"
    assert h.grid.name == "nsidc-north-25km"
    assert (h.variable is None) == name.endswith(".bin")


@pytest.mark.parametrize("name", [BIN, NC])
def test_flags_are_named_and_never_concentrations(real_data: Path, name: str) -> None:
    """Pole hole, coast, land and missing cells carry their flag and are NaN in %; no cell is both."""
    field = read_field(real_data / "nsidc" / name)
    names = set(field.flag_names)
    assert {"pole_hole", "land"} <= {n.replace("_mask", "") for n in names}
    flagged = field.flags > 0
    assert flagged.any()
    assert np.isnan(field.percent[flagged]).all()
    assert np.nanmax(field.percent) <= 100.0


def test_a_date_in_the_name_only_is_used(tmp_path: Path, real_data: Path) -> None:
    """A netCDF file without time_coverage_start is dated by its name."""
    path = tmp_path / "seaice_conc_daily_nh_20230902_f17_v04r00.nc"
    shutil.copy(real_data / "nsidc" / NC, path)
    with h5py.File(path, "r+") as f:
        del f.attrs["time_coverage_start"]
    assert read_header(path).date == dt.date(2023, 9, 2)


def test_foreign_hdf5_is_unsupported(tmp_path: Path) -> None:
    """An HDF5 file without a concentration variable is refused as unsupported, naming the file."""
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("temperature", data=np.zeros((448, 304), np.float32))
    with pytest.raises(UnsupportedFormatError) as err:
        read_concentration(path)
    assert err.value.path == str(path)


def test_truncated_netcdf_is_a_read_error(tmp_path: Path, real_data: Path) -> None:
    """A netCDF file cut short is a SatviewError naming it, never a bare h5py exception."""
    path = tmp_path / NC
    path.write_bytes((real_data / "nsidc" / NC).read_bytes()[:20000])
    with pytest.raises(SatviewError) as err:
        read_concentration(path)
    assert err.value.path == str(path)
