"""AOIs drawn across the blank part of a reprojected view keep their part on the Earth (issue 13, item 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from rasterio.features import rasterize
from shapely.geometry import Polygon

from satview.core import open_scene
from satview.core.aoi import AOI, ensure_overlap, from_pixel_polygon
from satview.core.earth import earth_mask, earth_part
from satview.core.mapview import WarpedView
from satview.errors import AOIError

SEAICE = "nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc"


@pytest.fixture(scope="module")
def albers_view(real_data: Path):
    """The real sea-ice scene's info and its view reprojected to Alaska Albers (EPSG:3338)."""
    with open_scene(real_data / SEAICE) as scene:
        info = scene.info
    return info, WarpedView.fit(info.grid, "EPSG:3338", (900, 700)).grid


def _wedge_col(view) -> float:
    """The view column of the blank wedge behind the cut meridian (x = 0, north of the pole)."""
    col, _ = ~view.transform * (0, 8_000_000)
    return col


def _view_pixels(aoi: AOI, view) -> np.ndarray:
    """The view pixels (rows, cols) an AOI covers once projected back into the view."""
    geom = aoi.to_crs(view.crs).geometry
    inv = ~view.transform
    pix = shapely.affinity.affine_transform(geom, [inv.a, inv.b, inv.d, inv.e, inv.c, inv.f])
    return rasterize([pix], out_shape=(view.height, view.width)).astype(bool)


@pytest.mark.parametrize("rows", [(20, 80), (60, 150)], ids=["across the wedge", "across the apex disc"])
def test_polygon_drawn_across_no_earth_keeps_its_earth_part(albers_view, rows) -> None:
    """A polygon drawn over the blank wedge (or the disc around the cone's apex) of the sea-ice view
    becomes an AOI in the scene's CRS covering exactly the drawn pixels that have Earth (within the
    1-2 pixels the cut keeps inside the edge), none of the blank ones, and it overlaps the scene."""
    info, view = albers_view
    c = _wedge_col(view)
    r0, r1 = rows
    drawn = [(c - 80, r0), (c + 80, r0), (c + 80, r1), (c - 80, r1)]
    aoi = from_pixel_polygon(drawn, view).to_crs(info.grid.crs)
    assert aoi.crs == info.grid.crs and aoi.is_valid
    earth = earth_mask(view)
    want = rasterize([Polygon(drawn)], out_shape=earth.shape).astype(bool) & earth
    got = _view_pixels(aoi, view)
    assert want.sum() > 2000 and not (got & ~want).any()
    assert (want & ~got).sum() < 0.03 * want.sum()
    assert ensure_overlap(aoi, info).is_valid


def test_polygon_inside_the_blank_wedge_is_refused_as_no_earth(albers_view) -> None:
    """A polygon wholly in the blank wedge names no place: the error says it lies where the view has
    no Earth (not that it cannot be transformed)."""
    info, view = albers_view
    c = _wedge_col(view)
    inside = from_pixel_polygon([(c - 10, 3), (c + 10, 3), (c + 10, 25), (c - 10, 25)], view)
    with pytest.raises(AOIError, match="with no Earth"):
        inside.to_crs(info.grid.crs)


def test_polygon_on_the_earth_is_unchanged(albers_view) -> None:
    """A polygon with every vertex on the Earth is given back as it is (no cut, no copy)."""
    _, view = albers_view
    aoi = from_pixel_polygon([(50, 300), (150, 300), (150, 350), (50, 350)], view)
    geom = shapely.segmentize(aoi.geometry, 1e4)
    assert earth_part(geom, view.crs) is geom


def test_arctic_far_from_alaska_is_within_reach_of_alaska_albers(albers_view) -> None:
    """A polygon drawn at the top of the Albers view (Europe beyond the pole, far outside EPSG:3338's
    area of use) is a place on the Earth and is accepted."""
    info, view = albers_view
    aoi = from_pixel_polygon([(20, 20), (120, 20), (120, 90), (20, 90)], view)
    assert aoi.bounds[3] > 8_000_000
    assert ensure_overlap(aoi.to_crs(info.grid.crs), info).is_valid
