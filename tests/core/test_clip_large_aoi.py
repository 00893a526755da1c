"""AOIs larger than the scene's projection can hold (the world, a hemisphere, across the antimeridian)
clip the part of the scene they cover, on a UTM Landsat scene and on the NSIDC polar stereographic grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.features import geometry_mask
from shapely.geometry import Polygon, box

from satview.core import open_scene
from satview.core.aoi import AOI, ensure_overlap
from satview.core.clip import clip_scene
from satview.errors import AOIError

LANDSAT = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"  # UTM 50S, lon ~117 E
POLAR = "nsidc/nt_20171002_f17_v1.1_n.bin"  # NSIDC north polar stereographic, 304 x 448
LONLAT = CRS.from_epsg(4326)

#: name -> (AOI in lon/lat, which pixel centres (lon, lat) it holds)
BOXES = {
    "world": (box(-180, -90, 180, 90), lambda lon, lat: np.ones(lon.shape, bool)),
    "east": (box(0, -90, 180, 90), lambda lon, lat: lon >= 0),
    "west": (box(-180, -90, 0, 90), lambda lon, lat: lon <= 0),
    "antimeridian": (Polygon([(100, -80), (260, -80), (260, 80), (100, 80)]),
                     lambda lon, lat: ((lon >= 100) | (lon <= -100)) & (np.abs(lat) <= 80)),
    "antimeridian-west": (Polygon([(-260, -80), (-100, -80), (-100, 80), (-260, 80)]),
                          lambda lon, lat: ((lon >= 100) | (lon <= -100)) & (np.abs(lat) <= 80)),
}


def _centres_lonlat(scene) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    grid = scene.info.grid
    cols, rows = np.meshgrid(np.arange(grid.width) + 0.5, np.arange(grid.height) + 0.5)
    xs, ys = grid.transform * (cols, rows)
    return Transformer.from_crs(grid.crs, LONLAT, always_xy=True).transform(xs, ys)


def _kept(scene, aoi: AOI) -> np.ndarray:  # type: ignore[no-untyped-def]
    grid = scene.info.grid
    local = ensure_overlap(aoi, scene.info)
    return geometry_mask([local.geometry], out_shape=grid.shape, transform=grid.transform, invert=True)


@pytest.mark.parametrize("rel", [LANDSAT, POLAR])
@pytest.mark.parametrize("name", list(BOXES))
def test_large_aoi_keeps_the_pixels_it_covers(real_data: Path, rel: str, name: str) -> None:
    """The pixels kept are those whose centre lies in the AOI (up to pixels on its edges)."""
    geom, holds = BOXES[name]
    with open_scene(real_data / rel) as scene:
        lon, lat = _centres_lonlat(scene)
        expected = holds(lon, lat)
        if not expected.any():
            with pytest.raises(AOIError, match="does not overlap"):
                _kept(scene, AOI(geom, LONLAT, name))
            return
        kept = _kept(scene, AOI(geom, LONLAT, name))
    edge = max(scene.info.grid.width, scene.info.grid.height)  # pixels lying on an AOI edge
    assert abs(int(kept.sum()) - int(expected.sum())) <= edge, (kept.sum(), expected.sum())
    assert int((kept & ~expected).sum()) <= edge and int((expected & ~kept).sum()) <= edge
    if name == "world":
        assert kept.all()


def test_world_box_clips_the_whole_landsat_scene(real_data: Path, tmp_path: Path) -> None:
    """`clip --aoi world.geojson` on a UTM scene writes the whole scene instead of 'does not overlap'."""
    out = tmp_path / "world.tif"
    with open_scene(real_data / LANDSAT) as scene:
        result = clip_scene(scene, AOI(box(-180, -90, 180, 90), LONLAT, "world"), out, bands=["B4"])
        grid = scene.info.grid
    assert (result.width, result.height) == (grid.width, grid.height)
    assert result.pixels_inside == grid.width * grid.height
    with rasterio.open(out) as ds:
        assert ds.transform == grid.transform



def test_reprojected_clip_counts_the_valid_output_pixels(real_data: Path, tmp_path: Path) -> None:
    """After a clip to another CRS the count is of output pixels that hold data, not of cells
    whose centre is inside the reprojected AOI (cells at its edge may get no source pixel)."""
    aoi = AOI(box(117.0, -30.5, 119.0, -29.0), LONLAT, "corner")  # overhangs the scene's east edge
    out = tmp_path / "corner.tif"
    with open_scene(real_data / LANDSAT) as scene:
        result = clip_scene(scene, aoi, out, bands=["B4"], dst_crs="EPSG:4326")
    with rasterio.open(out) as ds:
        data = ds.read(1)
        valid = int((data != ds.nodata).sum())
        inside = geometry_mask([aoi.geometry], out_shape=data.shape, transform=ds.transform, invert=True)
    assert result.pixels_inside == valid > 0
    assert valid < int(inside.sum())  # the AOI part off the scene holds no data
