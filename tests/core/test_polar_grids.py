"""NSIDC polar stereographic grids: presets, matching, lon/lat <-> cell vs NSIDC's lat/lon grids, areas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from satview.core.polar_grids import (
    NSIDC_GRIDS,
    cell_areas_km2,
    cell_centers_lonlat,
    cell_polygon_area_km2,
    geog2stereo,
    grid_for_cell_count,
    grid_for_shape,
    match_nsidc_grid,
    nsidc_grid,
    nsidc_grid_of,
    stereo2geog,
)
from satview.core.types import GeoGrid
from satview.errors import SatviewError

NORTH = nsidc_grid("nsidc-north-25km")
SOUTH = nsidc_grid("nsidc-south-25km")

# attributes as they appear in the G02202 v4 daily files (global + "projection" variable)
G02202_ATTRS = {
    "geospatial_lat_min": np.array([31.35]),
    "geospatial_lat_max": np.array([90.0]),
    "grid_mapping_name": b"polar_stereographic",
    "latitude_of_projection_origin": np.array([90.0]),
    "straight_vertical_longitude_from_pole": np.array([135.0]),  # wrong in the files, must not matter
    "semimajor_radius": np.array([6378273.0]),
    "srid": b"urn:ogc:def:crs:EPSG::3411",
    "GeoTransform": b"-3850000.0 25000.0 0 5850000.0 0 -25000.0",
    "filename": "seaice_conc_daily_nh_20230901_f17_v04r00.nc",
}


def _truth(real_data: Path) -> tuple[np.ndarray, np.ndarray]:
    d = real_data / "nsidc"
    lat = np.fromfile(d / "psn25lats_v3.dat", dtype="<i4").reshape(448, 304) * 1e-5
    lon = np.fromfile(d / "psn25lons_v3.dat", dtype="<i4").reshape(448, 304) * 1e-5
    return lon, lat


def _lon_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 180.0) % 360.0 - 180.0)


# --- presets ------------------------------------------------------------------------------------------

def test_presets_25km() -> None:
    assert NORTH.crs == CRS.from_epsg(3411) and NORTH.hemisphere == "north"
    assert NORTH.transform == Affine(25000, 0, -3850000, 0, -25000, 5850000)
    assert (NORTH.width, NORTH.height, NORTH.cell_size) == (304, 448, 25000.0)
    assert SOUTH.crs == CRS.from_epsg(3412) and SOUTH.hemisphere == "south"
    assert SOUTH.transform == Affine(25000, 0, -3950000, 0, -25000, 4350000)
    assert (SOUTH.width, SOUTH.height) == (316, 332)
    assert NORTH.bounds == (-3850000, -5350000, 3750000, 5850000)


def test_all_resolutions_share_edges() -> None:
    names = {g.name for g in NSIDC_GRIDS}
    assert {"nsidc-north-12.5km", "nsidc-south-12.5km", "nsidc-north-25km-wgs84"} <= names
    for g in NSIDC_GRIDS:
        assert g.bounds == (NORTH if g.hemisphere == "north" else SOUTH).bounds
        assert g.crs.to_epsg() in ((3413, 3976) if g.wgs84 else (3411, 3412))
    assert (nsidc_grid("nsidc-north-12.5km").width, nsidc_grid("nsidc-north-12.5km").height) == (608, 896)
    assert (nsidc_grid("nsidc-south-12.5km").width, nsidc_grid("nsidc-south-12.5km").height) == (632, 664)
    shapes = [(g.height, g.width) for g in NSIDC_GRIDS if not g.wgs84]
    assert len(set(shapes)) == len(shapes)  # the shape alone identifies a grid


def test_grid_for_shape_and_cell_count() -> None:
    assert grid_for_shape(448, 304) is NORTH
    assert grid_for_shape(332, 316) is SOUTH
    assert grid_for_shape(448, 304, wgs84=True).crs == CRS.from_epsg(3413)
    assert grid_for_shape(332, 316, wgs84=True).crs == CRS.from_epsg(3976)
    assert grid_for_shape(896, 608).name == "nsidc-north-12.5km"
    assert grid_for_shape(304, 448) is None  # transposed
    assert grid_for_shape(100, 100) is None
    assert grid_for_cell_count(304 * 448) is NORTH
    assert grid_for_cell_count(304 * 448 + 1) is None
    with pytest.raises(SatviewError, match="no NSIDC grid"):
        nsidc_grid("nsidc-east-25km")


# --- match_nsidc_grid ---------------------------------------------------------------------------------

def test_match_g02202_attrs() -> None:
    g = match_nsidc_grid((1, 448, 304), None, G02202_ATTRS)
    assert g is NORTH


def test_match_datum_rules() -> None:
    assert match_nsidc_grid((448, 304), None, {}) is NORTH  # default: Hughes
    assert match_nsidc_grid((448, 304), "north", {"srid": "urn:ogc:def:crs:EPSG::3413"}).crs.to_epsg() == 3413
    assert match_nsidc_grid((448, 304), None, {"semi_major_axis": 6378137.0}).crs.to_epsg() == 3413
    assert match_nsidc_grid((448, 304), None, {"semi_major_axis": 6378273.0}) is NORTH
    wkt = {"crs_wkt": 'PROJCS["x",AUTHORITY["EPSG","3976"]]'}
    assert match_nsidc_grid((332, 316), None, wkt).crs.to_epsg() == 3976
    hughes = {"spatial_ref": 'SPHEROID["Hughes 1980",6378273,298.27]'}
    assert match_nsidc_grid((332, 316), "sh", hughes) is SOUTH
    # an explicit EPSG code beats an ellipsoid parameter
    assert match_nsidc_grid((448, 304), None, {"srid": "EPSG:3411", "semi_major_axis": 6378137.0}) is NORTH


def test_match_hemisphere_hints() -> None:
    assert match_nsidc_grid((332, 316), None, {"latitude_of_projection_origin": -90.0}) is SOUTH
    assert match_nsidc_grid((332, 316), None, {"filename": "seaice_conc_daily_sh_2023.nc"}) is SOUTH
    assert match_nsidc_grid((448, 304), None, {"filename": "nt_20171002_f17_v1.1_n.bin"}) is NORTH
    # hints that contradict the shape: no preset
    assert match_nsidc_grid((448, 304), "south", {}) is None
    assert match_nsidc_grid((448, 304), None, {"latitude_of_projection_origin": -90.0}) is None
    assert match_nsidc_grid((448, 304), None, {"geospatial_lat_max": -40.0}) is None
    assert match_nsidc_grid((448, 304), None, {"filename": "seaice_conc_daily_sh_x.nc"}) is None
    assert match_nsidc_grid((448, 304), None, {"srid": "urn:ogc:def:crs:EPSG::3412"}) is None
    # not an NSIDC shape
    assert match_nsidc_grid((720, 1440), "north", {}) is None
    assert match_nsidc_grid((448,), None, {}) is None


def test_nsidc_grid_of_scene_grids() -> None:
    assert nsidc_grid_of(NORTH.geogrid()) is NORTH
    wgs = GeoGrid(CRS.from_epsg(3413), NORTH.transform, 304, 448)
    assert nsidc_grid_of(wgs).name == "nsidc-north-25km-wgs84"
    proj = CRS.from_proj4("+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +x_0=0 +y_0=0 +a=6378273 "
                          "+rf=298.279411123061 +units=m +no_defs")
    assert nsidc_grid_of(GeoGrid(proj, NORTH.transform, 304, 448)) is NORTH
    shifted = GeoGrid(CRS.from_epsg(3413), Affine(25000, 0, -3837500, 0, -25000, 5837500), 304, 448)
    assert nsidc_grid_of(shifted) is None  # GDAL's half-cell-off NSIDCbin grid
    wrong_lon0 = CRS.from_proj4("+proj=stere +lat_0=90 +lat_ts=70 +lon_0=135 +datum=WGS84 +units=m")
    assert nsidc_grid_of(GeoGrid(wrong_lon0, NORTH.transform, 304, 448)) is None


# --- lon/lat against NSIDC's ground truth ------------------------------------------------------------

def test_cell_centres_match_nsidc_latlon_grids(real_data: Path) -> None:
    """Every cell centre of the north 25 km grid agrees with psn25lats/lons_v3.dat to < 0.001 deg."""
    lon_true, lat_true = _truth(real_data)
    lon, lat = cell_centers_lonlat(NORTH)
    assert lon.shape == lat.shape == (448, 304)
    dlat = float(np.abs(lat - lat_true).max())
    dlon = float(_lon_diff(lon, lon_true).max())
    assert dlat < 1e-3 and dlon < 1e-3, (dlat, dlon)
    assert dlat < 1e-5 and dlon < 1e-5  # in fact exact to the 1e-5 deg rounding of the files


def test_wgs84_datum_is_measurably_different(real_data: Path) -> None:
    """The datum matters at this accuracy: the WGS 84 grid misses the Hughes ground truth by ~0.001 deg."""
    _, lat_true = _truth(real_data)
    _, lat = cell_centers_lonlat(grid_for_shape(448, 304, wgs84=True))
    assert float(np.abs(lat - lat_true).max()) > 5e-4


def test_geog2stereo_finds_every_ground_truth_cell(real_data: Path) -> None:
    lon_true, lat_true = _truth(real_data)
    rows, cols = geog2stereo(lon_true, lat_true, NORTH)
    r, c = np.mgrid[0:448, 0:304]
    assert np.array_equal(rows, r) and np.array_equal(cols, c)


def test_geog2stereo_scalar_round_trip() -> None:
    points = ((NORTH, -150.0, 75.0), (NORTH, 20.0, 85.0), (SOUTH, -60.0, -65.0), (SOUTH, 170.0, -75.0))
    for grid, lon, lat in points:
        row, col = geog2stereo(lon, lat, grid)
        assert isinstance(row, int) and isinstance(col, int)
        clon, clat = stereo2geog(row, col, grid)
        assert isinstance(clon, float)
        assert geog2stereo(clon, clat, grid) == (row, col)
        assert abs(clat - lat) < 0.25  # the centre lies within half a 25 km cell


def test_known_cells() -> None:
    # the pole is the corner shared by rows 233/234 and cols 153/154
    _, lat = stereo2geog(233, 153, NORTH)
    assert lat > 89.8
    # x = rho sin(lon + 45), y = -rho cos(lon + 45): lon -90 is left of and below the pole
    assert geog2stereo(-90.0, 89.95, NORTH) == (234, 153)
    assert geog2stereo(0.0, 89.95, NORTH) == (234, 154)
    assert geog2stereo(90.0, 89.95, NORTH) == (233, 154)
    assert geog2stereo(180.0, 89.95, NORTH) == (233, 153)
    x_lon, _ = stereo2geog(234, 154, NORTH)  # centre on the diagonal x = -y: lon 0
    assert abs(x_lon) < 1e-9


def test_geog2stereo_outside_grid() -> None:
    with pytest.raises(SatviewError, match="outside the nsidc-north-25km grid"):
        geog2stereo(0.0, -70.0, NORTH)
    with pytest.raises(SatviewError, match="outside"):
        geog2stereo(100.0, 5.0, NORTH)
    with pytest.raises(SatviewError, match=r"lon 100\.000000, lat 5\.000000"):
        geog2stereo(np.array([0.0, 100.0]), np.array([80.0, 5.0]), NORTH)
    rows, cols = geog2stereo(np.array([0.0, 100.0]), np.array([80.0, 5.0]), NORTH, check=False)
    assert 0 <= rows[0] < 448 and not (0 <= rows[1] < 448 and 0 <= cols[1] < 304)


# --- cell areas --------------------------------------------------------------------------------------

@pytest.mark.parametrize("grid", [NORTH, SOUTH, nsidc_grid("nsidc-north-25km-wgs84")], ids=lambda g: g.name)
def test_cell_areas_match_geodesic_polygons(grid: object) -> None:
    areas = cell_areas_km2(grid)
    assert areas.shape == (grid.height, grid.width)
    assert np.isfinite(areas).all()
    ph, pw = grid.height // 2, grid.width // 2
    cells = ((0, 0), (grid.height - 1, grid.width - 1), (ph, pw), (ph - 1, pw - 1), (40, 250), (300, 20))
    for row, col in cells:
        geodesic = cell_polygon_area_km2(grid, row, col)
        assert abs(areas[row, col] / geodesic - 1.0) < 1e-3, (row, col, areas[row, col], geodesic)


def test_cell_areas_range() -> None:
    areas = cell_areas_km2(NORTH)
    # k = (1 + sin 90) / (1 + sin 70) ... at the pole the cell is ~6 % larger than 625 km^2
    assert 660 < areas.max() < 670
    assert 370 < areas.min() < 400  # grid corners near 31 deg N
    half = cell_areas_km2(nsidc_grid("nsidc-north-12.5km"))
    assert abs(half.sum() / areas.sum() - 1.0) < 1e-4  # same edges, same total


def test_cell_areas_need_a_projected_grid() -> None:
    geo = GeoGrid(CRS.from_epsg(4326), Affine(1, 0, -180, 0, -1, 90), 360, 180)
    with pytest.raises(SatviewError, match="projected"):
        cell_areas_km2(geo)
    with pytest.raises(SatviewError, match="no CRS"):
        cell_areas_km2(GeoGrid(None, Affine.identity(), 2, 2))
