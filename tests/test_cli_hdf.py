"""The CLI on every real HDF4, HDF5/netCDF and NSIDC sea-ice file: info, pixel, quicklook, clip, reproject."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.crs import CRS

from satview.cli import main

#: Every scene file: (folder/name, a non-default dataset or None for single-dataset files).
SCENES: list[tuple[str, str | None]] = [
    ("hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf", "sur_refl_state_500m"),
    ("hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf", "state_1km_1"),
    ("hdf5-netcdf/3B42_Daily.19991231.7.test.nc", None),
    ("hdf5-netcdf/MODIS_ARRAY.nc", None),
    ("hdf5-netcdf/reduced.nc", "anom"),
    ("hdf5-netcdf/testpyM15.h5", None),
    ("nsidc/G02202-cdr-ancillary-nh.nc", "landmask"),
    ("nsidc/nt_20171002_f17_v1.1_n.bin", None),
    ("nsidc/seaice_conc_daily_nh_19790901_n07_v04r00.nc", "qa_of_cdr_seaice_conc"),
    ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", "stdev_of_cdr_seaice_conc"),
]
IDS = [Path(p).name for p, _ in SCENES]
#: A cell on the Earth for files whose centre cell is not (the polar MODIS tile h14v17 is mostly
#: beyond the sinusoidal's edge: only its top-right corner is on the globe).
CELL = {"MOD09GA.A2008296.h14v17.006.2015181011753.hdf": (10, 2390)}
#: Sea-ice grids (file, dataset): reprojected to Alaska Albers, where categories must survive.
SEAICE = [("nsidc/nt_20171002_f17_v1.1_n.bin", None),
          ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", None),
          ("nsidc/G02202-cdr-ancillary-nh.nc", "landmask")]
ALBERS = "+proj=aea +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154 +x_0=0 +y_0=0 +datum=NAD83 +units=m"


def sv(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run ``satview`` in-process; returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def info_json(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict:
    code, out, err = sv(capsys, "info", path, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def pixel_json(capsys: pytest.CaptureFixture[str], path: Path, *where: str) -> dict:
    code, out, err = sv(capsys, "pixel", path, *where, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(params=SCENES, ids=IDS)
def scene_file(request: pytest.FixtureRequest, real_data: Path) -> tuple[Path, str | None]:
    rel, other = request.param
    return real_data / rel, other


# -- info -----------------------------------------------------------------------------------------


def test_info_json(scene_file: tuple[Path, str | None], capsys: pytest.CaptureFixture[str]) -> None:
    """`info --json` describes the grid and bands; multi-dataset files list their datasets."""
    path, _other = scene_file
    d = info_json(capsys, path)
    for key in ("path", "format", "width", "height", "crs", "transform", "bounds", "bands"):
        assert key in d
    assert d["width"] > 0 and d["height"] > 0 and d["bands"]
    if d["format"] != "nsidc-binary":
        assert d["dataset"] and d["datasets"]
        names = [ds["name"] for ds in d["datasets"]]
        assert any(n.lstrip("/") == d["dataset"].lstrip("/") for n in names)
        for ds in d["datasets"]:
            assert {"name", "shape", "dtype"} <= set(ds)
            assert isinstance(ds["shape"], list) and isinstance(ds["dtype"], str)
    code, out, _ = sv(capsys, "info", path)  # the human summary works too
    assert code == 0 and path.name in out


def test_info_text_sizes_and_extents_for_people(scene_file: tuple[Path, str | None],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`info` writes the grid and the shown dataset as width x height alike, and extents and pixel
    sizes with thousands separators and their unit (m, degrees), never 3.96328e+06 or "(map units)"."""
    path, _ = scene_file
    d = info_json(capsys, path)
    code, out, _ = sv(capsys, "info", path)
    assert code == 0 and "e+0" not in out and "(map units)" not in out
    unit = "pixels" if d["crs"] is None else ("degrees" if CRS.from_wkt(d["crs"]).is_geographic else "m")
    grid = re.search(r"grid\s+(\d+) x (\d+) cells of ([\d,.]+) x ([\d,.]+) (\S+)", out)
    assert grid and (int(grid[1]), int(grid[2])) == (d["width"], d["height"]) and grid[5] == unit
    assert float(grid[3].replace(",", "")) == pytest.approx(d["resolution"][0], rel=1e-3)
    bounds = re.search(r"bounds\s+left (\S+) (\S+), bottom (\S+) \S+, right (\S+) \S+, top (\S+)", out)
    assert bounds and bounds[2] == unit
    assert float(bounds[1].replace(",", "")) == pytest.approx(d["bounds"][0], abs=1e-3)
    if abs(d["bounds"][0]) >= 1000:
        assert "," in bounds[1]
    if "dataset" in d:
        shown = re.search(r"\* \S+\s+(\d+) x (\d+)", out)
        assert shown and (int(shown[1]), int(shown[2])) == (d["width"], d["height"])


def test_info_other_dataset(scene_file: tuple[Path, str | None], capsys: pytest.CaptureFixture[str]) -> None:
    """`info --dataset NAME` opens a dataset other than the default one."""
    path, other = scene_file
    if other is None:
        pytest.skip("single-dataset file")
    default = info_json(capsys, path)["dataset"]
    d = info_json(capsys, path, "--dataset", other)
    assert d["dataset"].rstrip("/").rsplit("/", 1)[-1] == other
    assert d["dataset"] != default
    assert d["bands"]


def test_lat_lon_helper_grids_are_not_scenes(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The NSIDC lat/lon grids are not scenes: exit 1 with a one-line error naming the file."""
    for name in ("psn25lats_v3.dat", "psn25lons_v3.dat"):
        path = real_data / "nsidc" / name
        code, out, err = sv(capsys, "info", path, "--json")
        assert code == 1 and out == ""
        assert err.startswith(f"satview: error: {path}: ") and "Traceback" not in err


# -- pixel ----------------------------------------------------------------------------------------


def _cell(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, int]:
    """A cell on the globe: the grid's centre, or the one in ``CELL``."""
    if path.name in CELL:
        return CELL[path.name]
    d = info_json(capsys, path)
    return d["height"] // 2, d["width"] // 2


def _centre(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[dict, int, int]:
    """The pixel report of the cell from :func:`_cell`."""
    row, col = _cell(capsys, path)
    return pixel_json(capsys, path, "--rowcol", str(row), str(col)), row, col


def test_pixel_off_the_globe(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The centre of MODIS tile h14v17 lies beyond the sinusoidal's edge: no lon/lat, not a wrapped one."""
    rep = pixel_json(capsys, real_data / "hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf",
                     "--rowcol", "1200", "1200")
    assert rep["lon"] is None and rep["lat"] is None


def test_pixel_rowcol_and_lonlat(scene_file: tuple[Path, str | None],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`--rowcol` gives the cell centre's lon/lat; `--lonlat` at that point finds the same cell."""
    path, _ = scene_file
    rep, row, col = _centre(capsys, path)
    assert (rep["row"], rep["col"]) == (row, col)
    assert rep["lon"] is not None and rep["lat"] is not None
    assert -180 <= rep["lon"] <= 360 and -90 <= rep["lat"] <= 90
    back = pixel_json(capsys, path, "--lonlat", repr(rep["lon"]), repr(rep["lat"]))
    assert (back["row"], back["col"]) == (row, col)
    assert back["lon"] == pytest.approx(rep["lon"], abs=1e-6)
    assert back["lat"] == pytest.approx(rep["lat"], abs=1e-6)
    for b in back["bands"]:
        assert {"name", "dn", "value", "unit", "flag"} <= set(b)
        if b["flag"] is not None:
            assert b["value"] is None


def test_pixel_outside_is_clear_error(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A point south of the northern sea-ice grid: exit 1 with a message, no traceback."""
    path = real_data / "nsidc/nt_20171002_f17_v1.1_n.bin"
    code, _, err = sv(capsys, "pixel", path, "--lonlat", "0", "-60")
    assert code == 1 and err.startswith("satview: error: ") and "Traceback" not in err


@pytest.mark.parametrize(("rel", "flag"), [
    ("nsidc/nt_20171002_f17_v1.1_n.bin", "land"),
    ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", "land_mask"),
])
def test_pixel_flag_cell(real_data: Path, capsys: pytest.CaptureFixture[str], rel: str, flag: str) -> None:
    """A land cell (Hudson Bay's west shore, 99.8 W 60 N) is a named flag with value null."""
    rep = pixel_json(capsys, real_data / rel, "--lonlat", "-99.8", "60.04")
    band = rep["bands"][0]
    assert band["flag"] == flag and band["value"] is None and band["dn"] == 254


def test_pixel_ice_cell(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cell in the central Arctic pack is a concentration in percent, no flag."""
    rep = pixel_json(capsys, real_data / "nsidc/nt_20171002_f17_v1.1_n.bin", "--rowcol", "200", "150")
    band = rep["bands"][0]
    assert band["flag"] is None and band["unit"] == "%"
    assert band["value"] == pytest.approx(band["dn"] / 2.5, abs=1e-3) and 15 <= band["value"] <= 100


# -- quicklook --------------------------------------------------------------------------------------


def test_quicklook_with_legend(scene_file: tuple[Path, str | None], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """`quicklook` writes the PNG, its world file and a legend PNG, and names the legend."""
    path, _ = scene_file
    out = tmp_path / "q.png"
    code, stdout, err = sv(capsys, "quicklook", path, "-o", out, "--size", "256")
    assert code == 0, err
    legend = tmp_path / "q.legend.png"
    assert out.is_file() and (tmp_path / "q.pgw").is_file() and legend.is_file()
    assert str(legend) in stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files
    with Image.open(legend) as im:
        assert im.size[0] > 50 and im.size[1] > 20
    with rasterio.open(out) as ds:
        assert ds.count == 4 and max(ds.width, ds.height) <= 256


MODIS_RGB = [("hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf", ""),
             ("hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf", "_1")]


@pytest.mark.parametrize(("rel", "suffix"), MODIS_RGB, ids=[Path(p).name for p, _ in MODIS_RGB])
def test_quicklook_modis_composites_by_preset_dataset_names_and_index(
        real_data: Path, rel: str, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--preset`, `--bands` (dataset names) and `--index` make MODIS true colour, false colour and
    NDVI/NDSI quick-looks from the datasets of one grid."""
    b = {n: f"sur_refl_b0{n}{suffix}" for n in range(1, 8)}
    runs = {"natural": ["--preset", "natural-color"], "false": ["--preset", "swir"],
            "bands": ["--bands", f"{b[1]},{b[4]},{b[3]}"], "ndvi": ["--index", "ndvi"],
            "ndsi": ["--index", "ndsi"]}
    expected = {"natural": (b[1], b[4], b[3]), "false": (b[7], b[2], b[1]), "bands": (b[1], b[4], b[3]),
                "ndvi": (b[2], b[1]), "ndsi": (b[4], b[6])}
    for key, options in runs.items():
        out = tmp_path / f"{key}.png"
        code, stdout, err = sv(capsys, "quicklook", real_data / rel, "-o", out, "--size", "128", *options)
        assert code == 0, err
        assert f"bands {', '.join(expected[key])}" in stdout
        with rasterio.open(out) as ds:
            assert ds.count == 4 and ds.read(4).any()  # RGBA with some valid pixels


def test_quicklook_bands_are_netcdf_variables_of_one_grid(real_data: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`--bands` takes the variables of a netCDF file's grid as the three bands of an RGB quick-look."""
    names = "cdr_seaice_conc,nsidc_bt_seaice_conc,nsidc_nt_seaice_conc"
    out = tmp_path / "rgb.png"
    path = real_data / "nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc"
    code, stdout, err = sv(capsys, "quicklook", path, "-o", out, "--size", "128", "--bands", names)
    assert code == 0, err
    assert f"bands {names.replace(',', ', ')}" in stdout
    with rasterio.open(out) as ds:
        assert ds.count == 4 and ds.read(4).any()


def test_quicklook_seaice_colours(real_data: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Sea-ice quick-looks paint flags in their legend colours, not as concentrations."""
    from satview.core.seaice import flag_color

    out = tmp_path / "ice.png"
    path = real_data / "nsidc/nt_20171002_f17_v1.1_n.bin"
    assert sv(capsys, "quicklook", path, "-o", out)[0] == 0
    with rasterio.open(out) as ds:
        rgba = ds.read()
    rep = pixel_json(capsys, path, "--lonlat", "-99.8", "60.04")  # land
    assert tuple(int(v) for v in rgba[:3, rep["row"], rep["col"]]) == flag_color("land")
    assert rgba[3, rep["row"], rep["col"]] == 255
    # an explicit colour map gives a colour-bar legend instead
    code, _, err = sv(capsys, "quicklook", path, "-o", tmp_path / "v.png", "--cmap", "viridis")
    assert code == 0, err
    assert (tmp_path / "v.legend.png").is_file()


# -- clip -------------------------------------------------------------------------------------------


def test_clip_lonlat_polygon(scene_file: tuple[Path, str | None], tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """`clip` with a small lon/lat quadrilateral around the grid's centre (cells +-2 around it)."""
    path, _ = scene_file
    d = info_json(capsys, path)
    if d["crs"] is None:
        pytest.skip("a swath has no map grid to clip on (reproject it first)")
    h, w = d["height"], d["width"]
    r, c = _cell(capsys, path)
    k = max(1, min(2, h // 3, w // 3))
    corners = []
    for rr, cc in ((r - k, c - k), (r - k, c + k), (r + k, c + k), (r + k, c - k)):
        rep = pixel_json(capsys, path, "--rowcol", str(rr), str(cc))
        corners.append((rep["lon"], rep["lat"]))
    wkt = "POLYGON((" + ", ".join(f"{lo!r} {la!r}" for lo, la in [*corners, corners[0]]) + "))"
    out = tmp_path / "clip.tif"
    code, stdout, err = sv(capsys, "clip", path, "--aoi", wkt, "-o", out)
    assert code == 0, err
    with rasterio.open(out) as ds:
        assert ds.crs is not None and 1 <= ds.width <= 2 * k + 3 and 1 <= ds.height <= 2 * k + 3
    assert str(out) in stdout


# -- reproject ----------------------------------------------------------------------------------------


def _values(path: Path, dataset: str | None = None) -> set[float]:
    from satview.core import open_scene

    with open_scene(path, dataset=dataset) if dataset else open_scene(path) as scene:
        data = scene.read(None, dn=True)
    return set(np.unique(data[np.isfinite(data)] if data.dtype.kind == "f" else data).tolist())


@pytest.mark.parametrize(("rel", "dataset"), SEAICE, ids=[Path(p).name for p, _ in SEAICE])
@pytest.mark.parametrize("crs", ["EPSG:3338", ALBERS], ids=["epsg3338", "albers-proj"])
def test_reproject_keeps_categories(real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    rel: str, dataset: str | None, crs: str) -> None:
    """Polar stereographic -> Alaska Albers: every output value (besides nodata) was in the input, even
    with bilinear asked for (flags and concentrations with flag codes are always nearest)."""
    path = real_data / rel
    out = tmp_path / "albers.tif"
    extra = ["--dataset", dataset] if dataset else []
    code, _, err = sv(capsys, "reproject", path, "--dst-crs", crs, "-o", out, "--resampling", "bilinear",
                      *extra)
    assert code == 0, err
    with rasterio.open(out) as ds:
        assert ds.crs is not None
        if crs == "EPSG:3338":
            assert ds.crs.to_epsg() == 3338
        else:
            assert "Albers" in ds.crs.to_wkt() or "aea" in (ds.crs.to_proj4() or "")
        data = ds.read()
        nodata = ds.nodata
    got = data[data != nodata] if nodata is not None and not np.isnan(nodata) else data[np.isfinite(data)]
    assert got.size > 0
    assert set(np.unique(got).tolist()) <= _values(path, dataset)


@pytest.mark.parametrize("rel", ["hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf",
                                 "hdf5-netcdf/reduced.nc", "hdf5-netcdf/MODIS_ARRAY.nc",
                                 "hdf5-netcdf/3B42_Daily.19991231.7.test.nc"])
def test_reproject_grids(real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         rel: str) -> None:
    """Other grids reproject into lon/lat and into an Albers given as PROJ string."""
    for crs in ("EPSG:4326", ALBERS):
        out = tmp_path / "r.tif"
        code, _, err = sv(capsys, "reproject", real_data / rel, "--dst-crs", crs, "-o", out)
        assert code == 0, err
        with rasterio.open(out) as ds:
            assert ds.crs is not None and ds.width > 0 and ds.height > 0


def test_reproject_swath(real_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A swath (2-D lat/lon arrays) reprojects through its geolocation, nearest: input values only."""
    path = real_data / "hdf5-netcdf/testpyM15.h5"
    out = tmp_path / "swath.tif"
    code, _, err = sv(capsys, "reproject", path, "--dst-crs", "EPSG:3338", "-o", out)
    assert code == 0, err
    with rasterio.open(out) as ds:
        data = ds.read(1)
        res = ds.res
        assert ds.crs.to_epsg() == 3338
    assert 500 < res[0] < 5000  # the mean cell spacing of the swath (VIIRS M band: ~750 m-1.6 km)
    got = data[np.isfinite(data)]
    assert got.size > 50 and set(np.unique(got).tolist()) <= _values(path)
    out2 = tmp_path / "swath500.tif"
    assert sv(capsys, "reproject", path, "--dst-crs", ALBERS, "-o", out2, "--resolution", "500")[0] == 0
    with rasterio.open(out2) as ds:
        assert ds.res == pytest.approx((500.0, 500.0))


# -- bad files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rel", "keep"), [
    ("hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf", 4000),
    ("hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf", 200_000),
    ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", 3000),
    ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", 60_000),
    ("hdf5-netcdf/reduced.nc", 2000),
    ("hdf5-netcdf/reduced.nc", 50_000),
], ids=["hdf4-head", "hdf4-half", "hdf5-head", "hdf5-half", "netcdf3-head", "netcdf3-half"])
def test_truncated_files(real_data: Path, tmp_path: Path, rel: str, keep: int) -> None:
    """Truncated HDF4, HDF5 and netCDF-3 files: exit 1, `satview: error: <file>: ...`, no traceback."""
    src = real_data / rel
    bad = tmp_path / src.name
    bad.write_bytes(src.read_bytes()[:keep])
    for args in (["info", "--json"], ["quicklook", "-o", str(tmp_path / "q.png")]):
        proc = subprocess.run([sys.executable, "-m", "satview", args[0], str(bad), *args[1:]],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(f"satview: error: {bad}: "), proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("suffix", [".hdf", ".h5", ".nc"])
def test_garbage_with_hdf_magic(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A file starting with an HDF4/HDF5/netCDF-3 signature and garbage after it: a clear error."""
    magic = {".hdf": b"\x0e\x03\x13\x01", ".h5": b"\x89HDF\r\n\x1a\n", ".nc": b"CDF\x01"}[suffix]
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(magic + bytes(range(256)) * 8)
    code, out, err = sv(capsys, "info", bad)
    assert code == 1 and out == ""
    assert err.startswith(f"satview: error: {bad}: ") and "Traceback" not in err

