"""Sea-ice change classes on real NSIDC files: only cells that are ocean concentration in both dates
are classed, their areas add up to that ocean's true area, and the CLI and the app report the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from pyproj import CRS, Transformer

from satview.core.requests import change_layer

SEPTEMBER = "nsidc/september-1979-2023"
FILES = ("seaice_conc_daily_nh_19790901_n07_v04r00.nc", "seaice_conc_daily_nh_20230901_f17_v04r00.nc")
CLASSES = "threshold:-15,15"


def _raw(path: Path) -> np.ndarray:
    """The stored concentration bytes (0-100 ocean, 251-255 flags), read with h5py alone."""
    with h5py.File(path) as f:
        return np.asarray(f["cdr_seaice_conc"][0])


def _geodesic_areas_km2(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """True area of NSIDC 25 km north cells (row, col) from their four corners on the ellipsoid."""
    crs = CRS.from_epsg(3411)
    to_ll = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    geod = crs.get_geod()  # the grid's own ellipsoid (Hughes 1980)
    x0, y0, step = -3850000.0, 5850000.0, 25000.0
    dx, dy = np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1])
    xs = x0 + (cols[:, None] + dx) * step
    ys = y0 - (rows[:, None] + dy) * step
    lon, lat = to_ll.transform(xs, ys)
    areas = [abs(geod.polygon_area_perimeter(lo, la)[0]) for lo, la in zip(lon, lat, strict=True)]
    return np.array(areas) / 1e6


@pytest.fixture(scope="module")
def pair(real_data: Path) -> tuple[Path, Path]:
    """1 September 1979 and 2023, Arctic (real G02202 files)."""
    folder = real_data / SEPTEMBER
    if not folder.is_dir():
        pytest.skip("the real September sea-ice series is not present")
    return folder / FILES[0], folder / FILES[1]


@pytest.fixture(scope="module")
def cli_summary(pair: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`satview change 1979 2023 --classes threshold:-15,15 --json`."""
    out = tmp_path_factory.mktemp("change") / "change.tif"
    r = subprocess.run([sys.executable, "-m", "satview", "change", str(pair[0]), str(pair[1]), "-o", str(out),
                        "--classes", CLASSES, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_classes_add_up_to_the_ocean_valid_in_both_dates(pair: tuple[Path, Path], cli_summary: dict) -> None:
    """The class areas sum to the true area of the cells holding a concentration in both files."""
    before, after = _raw(pair[0]), _raw(pair[1])
    ocean = (before <= 100) & (after <= 100)
    rows, cols = np.nonzero(ocean)
    ocean_km2 = float(_geodesic_areas_km2(rows, cols).sum())
    assert cli_summary["pixels_compared"] == int(ocean.sum())
    assert cli_summary["pixels_masked"] == int((~ocean).sum())
    assert sum(cli_summary["area_km2"].values()) == pytest.approx(ocean_km2, rel=1e-4)


def test_flag_cells_are_in_no_class(pair: tuple[Path, Path], cli_summary: dict) -> None:
    """Land, coast and lake cells carry no area: "no change" is the ocean whose concentration moved
    less than 15 points, not the grid; the change classes are plausible for the Arctic."""
    before, after = _raw(pair[0]), _raw(pair[1])
    ocean = (before <= 100) & (after <= 100)
    diff = after.astype(int) - before.astype(int)
    rows, cols = np.nonzero(ocean & (np.abs(diff) <= 15))
    still_km2 = float(_geodesic_areas_km2(rows, cols).sum())
    areas = cli_summary["area_km2"]
    assert areas["no change"] == pytest.approx(still_km2, rel=1e-4)
    assert 1e6 < areas["decrease"] < 15e6 and areas["increase"] < areas["decrease"]


def test_the_app_reports_what_the_cli_reports(pair: tuple[Path, Path], cli_summary: dict) -> None:
    """The Compare dock's difference layer (core ``change_layer``) has the CLI's counts and class areas."""
    from rasterio import Affine

    screen = Affine(25000.0, 0.0, -3850000.0, 0.0, -25000.0, 5850000.0)
    layer = change_layer(str(pair[0]), str(pair[1]), None, CLASSES, "before", screen)
    assert layer.result.pixels_compared == cli_summary["pixels_compared"]
    assert layer.result.pixels_masked == cli_summary["pixels_masked"]
    assert layer.result.classes == pytest.approx(cli_summary["area_km2"], rel=1e-9)
