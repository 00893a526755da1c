"""NSIDC-0051 flat binary sea-ice grids: exact georeferencing, percent values, named flags, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from satview.cli import main
from satview.core import open_scene
from satview.core.pixel import locate, query_pixel
from satview.core.polar_grids import geog2stereo, nsidc_grid, stereo2geog
from satview.core.readers import identify
from satview.core.readers.nsidc_binary import open_nsidc_binary
from satview.core.readers.nsidc_header import NSIDC_BINARY_FLAGS, parse_header
from satview.errors import SatviewError, UnsupportedFormatError

NAME = "nt_20171002_f17_v1.1_n.bin"


@pytest.fixture
def binfile(real_data: Path) -> Path:
    return real_data / "nsidc" / NAME


def _raw(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype=np.uint8, offset=300).reshape(448, 304)


def test_opens_on_the_exact_nsidc_grid(binfile: Path) -> None:
    assert identify(binfile) == "nsidc-binary"
    with open_scene(binfile) as s:
        assert s.info.format == "nsidc-binary"
        assert s.crs == CRS.from_epsg(3411)
        assert s.transform == Affine(25000, 0, -3850000, 0, -25000, 5850000)
        assert (s.width, s.height) == (304, 448)
        assert s.info.grid.res == (25000.0, 25000.0)
        assert s.info.warnings == ()
        assert s.info.footprint.bounds[3] == 90.0  # the polar cap, pole included
        band = s.band("concentration")
        assert band.unit == "%" and band.calibration.quantity == "sea-ice concentration"
        assert band.calibration.scale == pytest.approx(0.4)
        assert band.flags == NSIDC_BINARY_FLAGS


def test_header_metadata(binfile: Path) -> None:
    with open_scene(binfile) as s:
        md = s.info.metadata
    assert md["hemisphere"] == "north"
    assert md["date"] == "2017-10-02"
    assert md["sensor"] == "SSMIS" and md["platform"] == "DMSP F17"
    assert md["algorithm"] == "NASA Team" and md["product"] == "NSIDC-0051"
    assert md["grid"] == "nsidc-north-25km"
    h = md["header"]
    assert (h["columns"], h["rows"], h["scaling_factor"], h["missing_value"]) == (304, 448, 250, 255)
    assert h["year"] == 2017 and h["julian_day"] == 275
    assert "ARCTIC" in h["title"] and h["file_name"] == "nt_20171002_f17_v01_n"
    json.dumps(md)  # JSON-ready


def test_values_are_percent_of_a_direct_read(binfile: Path) -> None:
    raw = _raw(binfile)
    with open_scene(binfile) as s:
        dn = s.read(dn=True)[0]
        pct = s.read()[0]
        win = s.read(window=Window(100, 200, 50, 40))[0]
        small = s.read(out_shape=(112, 76), dn=True)[0]
    assert np.array_equal(dn, raw)
    conc = raw <= 250
    assert np.allclose(pct[conc], raw[conc] / 250.0 * 100.0, atol=1e-4)
    assert np.isnan(pct[~conc]).all()  # flags are never concentrations
    assert np.nanmin(pct) >= 0.0 and np.nanmax(pct) <= 100.0 + 1e-4
    assert np.array_equal(np.isnan(win), raw[200:240, 100:150] > 250)
    assert np.array_equal(small, raw[::4, ::4])  # decimated by strided reads


def test_memmap_is_read_only_and_closed(binfile: Path) -> None:
    before = binfile.stat().st_mtime_ns
    s = open_nsidc_binary(binfile)
    s.read()
    s.close()
    s.close()
    with pytest.raises(SatviewError, match="closed"):
        s.read()
    assert binfile.stat().st_mtime_ns == before


def test_flag_cell_in_pixel_report(binfile: Path) -> None:
    with open_scene(binfile) as s:
        row, col = locate(s, lonlat=(0.0, 90.0))  # the pole: pole hole
        rep = query_pixel(s, row, col)
        assert (rep.bands[0].dn, rep.bands[0].flag, rep.bands[0].value) == (251, "pole_hole", None)
        row, col = locate(s, lonlat=(-42.0, 75.0))  # Greenland ice sheet: land
        rep = query_pixel(s, row, col)
        assert (rep.bands[0].flag, rep.bands[0].value) == ("land", None)


def test_cli_pixel_json_flag_and_ice(binfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = _raw(binfile)
    assert main(["pixel", str(binfile), "--lonlat", "0", "90", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bands"][0]["flag"] == "pole_hole" and rep["bands"][0]["value"] is None
    # a cell of pack ice north of Siberia
    lon, lat = 140.0, 85.0
    row, col = geog2stereo(lon, lat, nsidc_grid("nsidc-north-25km"))
    assert raw[row, col] <= 250
    assert main(["pixel", str(binfile), "--lonlat", str(lon), str(lat), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert (rep["row"], rep["col"]) == (row, col)
    b = rep["bands"][0]
    assert b["flag"] is None and b["unit"] == "%"
    assert b["value"] == pytest.approx(raw[row, col] * 0.4, abs=1e-4)
    clon, clat = stereo2geog(row, col, nsidc_grid("nsidc-north-25km"))
    assert rep["lon"] == pytest.approx(clon, abs=1e-9) and rep["lat"] == pytest.approx(clat, abs=1e-9)


def test_lonlat_rowcol_round_trip(binfile: Path) -> None:
    grid = nsidc_grid("nsidc-north-25km")
    with open_scene(binfile) as s:
        for lon, lat in ((-150.0, 72.5), (30.0, 80.0), (140.0, 85.0), (-60.0, 60.0)):
            row, col = locate(s, lonlat=(lon, lat))
            assert (row, col) == geog2stereo(lon, lat, grid)
            clon, clat = s.lonlat_of_cell(row, col)
            assert (clon, clat) == pytest.approx(stereo2geog(row, col, grid), abs=1e-9)
            assert locate(s, lonlat=(clon, clat)) == (row, col)


def test_point_outside_the_grid(binfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_scene(binfile) as s, pytest.raises(SatviewError, match="outside the scene grid"):
        locate(s, lonlat=(10.0, 20.0))
    assert main(["pixel", str(binfile), "--lonlat", "0", "-75", "--json"]) == 1
    err = capsys.readouterr().err
    assert NAME in err and "outside" in err


def test_header_parser_tolerates_garbage() -> None:
    assert parse_header(b"\xff" * 300) == {}
    assert parse_header(b"  304\x00" + b"x" * 294)["missing_value"] == 304


def _copy(src: Path, dst: Path, header: bytes | None = None, size: int | None = None) -> Path:
    data = src.read_bytes()
    if header is not None:
        data = header.ljust(300, b"\x00")[:300] + data[300:]
    if size is not None:
        data = data[:size] if size <= len(data) else data + b"\x00" * (size - len(data))
    dst.write_bytes(data)
    return dst


def test_garbage_header_opens_with_a_warning(binfile: Path, tmp_path: Path) -> None:
    bad = _copy(binfile, tmp_path / "mystery.dat", header=bytes(range(200, 256)) * 6)
    with open_scene(bad) as s:
        assert s.info.format == "nsidc-binary"
        assert s.transform == Affine(25000, 0, -3850000, 0, -25000, 5850000)
        assert any("header" in w and "file size" in w for w in s.info.warnings)
        assert np.array_equal(s.read(dn=True)[0], _raw(binfile))


def test_header_disagreeing_with_size_warns(binfile: Path, tmp_path: Path) -> None:
    head = binfile.read_bytes()[:300].replace(b"ARCTIC    ", b"ANTARCTIC ", 1).replace(b"  448", b"  332", 1)
    odd = _copy(binfile, tmp_path / "odd_s.bin", header=head)
    with open_scene(odd) as s:
        text = " ".join(s.info.warnings)
        assert "332" in text and "southern" in text
        assert s.crs == CRS.from_epsg(3411)  # the file size wins


def test_truncated_file_is_not_matched(binfile: Path, tmp_path: Path) -> None:
    cut = _copy(binfile, tmp_path / "cut_n.bin", size=300 + 304 * 447)
    assert identify(cut) is None
    with pytest.raises(SatviewError) as err:
        open_scene(cut)
    assert "cut_n.bin" in str(err.value)


def test_direct_open_of_non_nsidc_content_names_the_file(tmp_path: Path) -> None:
    other = tmp_path / "other.bin"
    other.write_bytes(b"\x00" * 5000)
    with pytest.raises(UnsupportedFormatError) as err:
        open_nsidc_binary(other)
    assert "other.bin" in str(err.value) and "NSIDC" in str(err.value)
    with pytest.raises(SatviewError, match=r"missing\.bin"):
        open_nsidc_binary(tmp_path / "missing.bin")


def test_synthetic_south_grid(tmp_path: Path) -> None:
    """No real southern file exists here: a synthetic 316 x 332 file lands on EPSG:3412."""
    head = b"00255\x00  316\x00  332\x00".ljust(300, b"\x00")
    cells = (np.arange(316 * 332) % 256).astype(np.uint8)
    path = tmp_path / "nt_20220409_f18_nrt_s.bin"
    path.write_bytes(head + cells.tobytes())
    with open_scene(path) as s:
        assert s.crs == CRS.from_epsg(3412)
        assert s.transform == Affine(25000, 0, -3950000, 0, -25000, 4350000)
        assert s.info.metadata["hemisphere"] == "south" and s.info.metadata["product"] == "NSIDC-0081"
        assert s.info.metadata["date"] == "2022-04-09" and s.info.metadata["platform"] == "DMSP F18"
        assert np.array_equal(s.read(dn=True)[0].ravel(), cells)
