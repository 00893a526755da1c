"""The reprojected view and north: pictures agree with rasterio's warp of the same grid, no Earth is empty."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Proj
from rasterio.crs import CRS
from rasterio.warp import Resampling, reproject

from satview.core import open_scene
from satview.core.mapview import WarpedView, earth_mask, north_angle, render_reprojected
from satview.core.render import compute_display_levels, default_display, render_array

ALBERS_PROJ = "+proj=aea +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154 +x_0=0 +y_0=0 +datum=NAD83 +units=m"


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(300, 320))


@pytest.fixture
def seaice(real_data: Path):
    with open_scene(real_data / "nsidc" / "seaice_conc_daily_nh_20230901_f17_v04r00.nc") as s:
        yield s


def _reference(scene, result) -> tuple[np.ndarray, np.ndarray]:
    """rasterio's nearest warp of the native full-resolution picture onto the result's grid: (rgba, valid)."""
    spec = default_display(scene.info)
    levels, _ = compute_display_levels(scene, spec)
    g = scene.info.grid
    native = render_array(scene, spec, levels, g.shape)
    rows, cols = result.rgba.shape[:2]
    out = np.zeros((4, rows, cols), np.uint8)
    reproject(np.moveaxis(native, -1, 0).copy(), out, src_transform=g.transform, src_crs=g.crs,
              dst_transform=result.transform, dst_crs=CRS.from_wkt(result.crs_wkt),
              resampling=Resampling.nearest, src_nodata=None, dst_nodata=0)
    return np.moveaxis(out, 0, -1), out[3] > 0


def _exact_earth(grid) -> np.ndarray:
    """Every pixel centre projected to lon/lat (WGS 84) and back: True where it returns to itself."""
    from pyproj import Transformer

    cols, rows = np.meshgrid(np.arange(grid.width) + 0.5, np.arange(grid.height) + 0.5)
    x, y = grid.transform * (cols, rows)
    inv = Transformer.from_crs(grid.crs.to_wkt(), "EPSG:4326", always_xy=True)
    fwd = Transformer.from_crs("EPSG:4326", grid.crs.to_wkt(), always_xy=True)
    lon, lat = inv.transform(x, y, errcheck=False)
    x2, y2 = fwd.transform(lon, lat, errcheck=False)
    with np.errstate(invalid="ignore"):
        return np.hypot(x2 - x, y2 - y) <= 0.01 * min(grid.res)


@pytest.mark.parametrize("dst", ["EPSG:3338", ALBERS_PROJ])
def test_seaice_albers_matches_rasterio_except_where_there_is_no_earth(seaice, dst: str) -> None:
    """Sea ice warped to Albers: every pixel GDAL fills on the Earth is the same colour, and the wedge
    behind the cut meridian and the disc around the cone's apex (no Earth there) are transparent."""
    spec = default_display(seaice.info)
    levels, _ = compute_display_levels(seaice, spec)
    res = render_reprojected(seaice, spec, levels, dst, (900, 700))
    ref, ref_valid = _reference(seaice, res)
    grid = WarpedView.from_result(seaice.info.grid, res).grid
    earth = _exact_earth(grid)
    ours = res.rgba[..., 3] > 0
    assert (ref_valid & ~earth).sum() > 1000  # GDAL alone paints where there is no Earth
    assert np.array_equal(ours, ref_valid & earth)
    assert np.array_equal(res.rgba[ours], ref[ours])


def test_earth_mask_of_albers_is_the_wedge_and_the_apex_disc() -> None:
    """Pixels with no Earth are those whose lon/lat does not project back: a point beyond the pole
    on the cut meridian's side has none, a point over Alaska has Earth."""
    from affine import Affine

    from satview.core.types import GeoGrid

    crs = CRS.from_epsg(3338)
    grid = GeoGrid(crs, Affine(50_000, 0, -5_000_000, 0, -50_000, 9_000_000), 200, 200)
    mask = earth_mask(grid)
    col, row = ~grid.transform * (0, 8_000_000)  # north of the pole's arc, on the central meridian's line
    assert not mask[int(row), int(col)]
    col, row = ~grid.transform * (0, 1_500_000)  # central Alaska
    assert mask[int(row), int(col)]


def test_zoomed_view_is_sharper_and_lands_on_the_coarse_picture(demo_tar: Path) -> None:
    """Zooming into a reprojected view re-reads that part at screen resolution; it shows the same place
    as the coarse picture (same colours where the coarse pixel and the fine pixels agree)."""
    with open_scene(demo_tar) as scene:
        spec = default_display(scene.info)
        levels, _ = compute_display_levels(scene, spec)
        coarse = render_reprojected(scene, spec, levels, "EPSG:3338", (150, 150))
        wv = WarpedView.from_result(scene.info.grid, coarse)
        gw, gh = wv.grid.width, wv.grid.height
        view = (gw * 0.4, gh * 0.4, gw * 0.6, gh * 0.6)
        fine = render_reprojected(scene, spec, levels, "EPSG:3338", (300, 300), view=view, grid=wv.grid)
    x, y, w, h = fine.pixel_rect
    assert not fine.coarse and x <= view[0] and y <= view[1] and x + w >= view[2] and y + h >= view[3]
    rows, cols = fine.rgba.shape[:2]
    assert cols / w > 5  # much finer than one view pixel per image pixel
    assert (fine.rgba[..., 3] == 255).mean() > 0.9
    # the fine picture's centre pixel and the coarse pixel under it agree within the rendering's blur
    cc, cr = x + w / 2, y + h / 2
    coarse_px = coarse.rgba[int(cr), int(cc)].astype(int)
    centre = fine.rgba[rows // 2 - 10: rows // 2 + 10, cols // 2 - 10: cols // 2 + 10]
    fine_px = centre.reshape(-1, 4).astype(int)
    assert np.abs(fine_px - coarse_px).max(axis=1).min() < 40


def test_to_source_finds_the_scene_pixel_under_the_cursor(demo_tar: Path) -> None:
    """A view pixel maps back to the scene pixel whose centre warps onto it; off the Earth there is none."""
    with open_scene(demo_tar) as scene:
        src = scene.info.grid
    wv = WarpedView.fit(src, "EPSG:3338", (400, 400))
    from satview.core.geo import transformer

    x, y = src.transform * (123.5, 77.5)
    tx, ty = transformer(src.crs, wv.grid.crs).transform(x, y)
    vc, vr = ~wv.grid.transform * (tx, ty)
    c, r = wv.to_source(vc, vr)
    assert abs(c - 123.5) < 1e-6 and abs(r - 77.5) < 1e-6
    wedge_col, wedge_row = ~wv.grid.transform * (0, 8_000_000)  # beyond the pole: no Earth in Alaska Albers
    assert wv.to_source(wedge_col, wedge_row) is None


@pytest.mark.parametrize("crs", ["EPSG:3411", "EPSG:3338", ALBERS_PROJ])
def test_north_angle_is_the_grid_convergence(crs: str) -> None:
    """On polar stereographic and conic grids north turns by pyproj's meridian convergence."""
    from affine import Affine

    from satview.core.geo import transformer
    from satview.core.types import GeoGrid

    grid = GeoGrid(CRS.from_user_input(crs), Affine(1000, 0, 0, 0, -1000, 0), 10, 10)
    for lon, lat in ((-100.0, 60.0), (30.0, 70.0), (-154.0, 62.0)):
        x, y = transformer("EPSG:4326", grid.crs).transform(lon, lat)
        col, row = ~grid.transform * (x, y)
        expected = -Proj(grid.crs.to_wkt()).get_factors(lon, lat).meridian_convergence
        got = north_angle(grid, col, row)
        assert got is not None
        assert math.isclose(got, expected, abs_tol=0.05), (lon, lat, got, expected)


def test_north_angle_is_zero_on_lonlat_grids() -> None:
    """Geographic grids are north-up everywhere."""
    from affine import Affine

    from satview.core.types import GeoGrid

    grid = GeoGrid(CRS.from_epsg(4326), Affine(0.1, 0, -10, 0, -0.1, 60), 100, 100)
    assert abs(north_angle(grid, 50, 50)) < 1e-6
