"""AOIs read from a file for the app's list: one per GeoJSON feature, named, with vertex counts."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from satview.core.aoi_file import read_aois
from satview.errors import AOIError


def _square(x: float, y: float) -> list[list[float]]:
    return [[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]


def test_each_feature_is_one_named_aoi(tmp_path: Path) -> None:
    """Two features: two AOIs, named by their "name" property or "<stem> <n>"; picklable values."""
    feats = [{"type": "Feature", "properties": {"name": "lake"},
              "geometry": {"type": "Polygon", "coordinates": [_square(10, 50)]}},
             {"type": "Feature", "properties": {},
              "geometry": {"type": "Polygon", "coordinates": [_square(11, 50)]}}]
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    got = pickle.loads(pickle.dumps(read_aois(path)))
    assert [g.aoi.name for g in got] == ["lake", "sites 2"]
    assert got[0].aoi.bounds == pytest.approx((10, 50, 10.1, 50.1))
    assert all(g.n_vertices >= 4 for g in got)


def test_a_file_without_polygons_is_an_aoi_error(tmp_path: Path) -> None:
    """A GeoJSON with only a point raises AOIError naming the file (the app shows it)."""
    path = tmp_path / "point.geojson"
    path.write_text(json.dumps({"type": "Point", "coordinates": [1, 2]}))
    with pytest.raises(AOIError) as info:
        read_aois(path)
    assert "point.geojson" in str(info.value)
