"""AOI loading (GeoJSON, WKT, shapefile, GeoPackage, canvas polygons), repair, reprojection, area,
overlap."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from affine import Affine
from rasterio.crs import CRS
from shapely.geometry import MultiPolygon, Polygon, box, shape

from satview.core import open_scene
from satview.core.aoi import AOI, ensure_overlap, from_pixel_polygon, load_aoi, read_aoi_file
from satview.core.types import GeoGrid
from satview.errors import AOIError, SatviewError


def _fc(*geoms: dict, crs: dict | None = None) -> dict:
    doc: dict = {"type": "FeatureCollection",
                 "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]}
    if crs is not None:
        doc["crs"] = crs
    return doc


def _square(x0: float, y0: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size],
                                                [x0, y0 + size], [x0, y0]]]}


def test_geojson_feature_collection_union(tmp_path: Path) -> None:
    """A FeatureCollection of several polygons loads as their union, in lon/lat, named after the file."""
    p = tmp_path / "fields.geojson"
    p.write_text(json.dumps(_fc(_square(10, 10, 1), _square(10.5, 10, 1), _square(20, 20, 1))))
    aoi = load_aoi(p)
    assert aoi.crs == CRS.from_epsg(4326)
    assert aoi.name == "fields"
    assert isinstance(aoi.geometry, MultiPolygon)
    assert aoi.geometry.area == pytest.approx(1.5 + 1.0)
    assert aoi.bounds == (10.0, 10.0, 21.0, 21.0)
    assert aoi.is_valid


def test_real_geojson_file(real_data: Path) -> None:
    """The sample vector/area.geojson loads as one lon/lat polygon with its own bounds."""
    aoi = load_aoi(real_data / "vector" / "area.geojson")
    assert aoi.crs.to_epsg() == 4326
    x0, y0, x1, y1 = aoi.bounds
    assert (round(x0, 3), round(y0, 3), round(x1, 3), round(y1, 3)) == (-70.758, 43.274, -58.674, 49.874)


def test_bare_geometry_and_feature(tmp_path: Path) -> None:
    """A bare GeoJSON geometry and a single Feature are accepted too (also inline as a string)."""
    g = _square(1, 2, 3)
    assert load_aoi(json.dumps(g)).bounds == (1.0, 2.0, 4.0, 5.0)
    p = tmp_path / "one.json"
    p.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": g}))
    assert load_aoi(p).geometry.equals(shape(g))


def test_legacy_crs_member_is_honoured(tmp_path: Path) -> None:
    """A pre-RFC 7946 'crs' member (urn:ogc:def:crs:EPSG::32618) sets the AOI's CRS."""
    doc = _fc(_square(200000, 2700000, 10000),
              crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32618"}})
    p = tmp_path / "utm.geojson"
    p.write_text(json.dumps(doc))
    aoi = load_aoi(p)
    assert aoi.crs.to_epsg() == 32618
    assert aoi.bounds == (200000.0, 2700000.0, 210000.0, 2710000.0)


def test_crs84_legacy_member_is_lonlat() -> None:
    """The legacy OGC CRS84 name means lon/lat (EPSG:4326)."""
    doc = _fc(_square(1, 1, 1), crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}})
    assert load_aoi(json.dumps(doc)).crs.to_epsg() == 4326


def test_crs_argument_overrides(tmp_path: Path) -> None:
    """An explicit crs wins over what the file says (and over the lon/lat default)."""
    doc = _fc(_square(200000, 2700000, 10000),
              crs={"type": "name", "properties": {"name": "EPSG:32618"}})
    assert load_aoi(json.dumps(doc), crs="EPSG:32617").crs.to_epsg() == 32617
    assert load_aoi("POLYGON((0 0, 10 0, 10 10, 0 0))", crs=3857).crs.to_epsg() == 3857


def test_wkt_string_file_and_ewkt(tmp_path: Path) -> None:
    """Inline WKT, a .wkt file and EWKT (SRID=...;) all load; plain WKT is lon/lat."""
    wkt = "POLYGON ((-78 24.5, -77.5 24.5, -77.5 25, -78 25, -78 24.5))"
    a = load_aoi(wkt)
    assert a.crs.to_epsg() == 4326 and a.bounds == (-78.0, 24.5, -77.5, 25.0)
    p = tmp_path / "aoi.wkt"
    p.write_text(wkt + "\n")
    b = load_aoi(p)
    assert b.geometry.equals(a.geometry) and b.name == "aoi"
    bare = tmp_path / "field"  # no suffix: recognised by its content, not sent to OGR
    bare.write_text(wkt)
    assert load_aoi(bare).geometry.equals(a.geometry)
    c = load_aoi("SRID=32618;POLYGON((200000 2700000, 210000 2700000, 210000 2710000, 200000 2700000))")
    assert c.crs.to_epsg() == 32618


def test_bowtie_is_repaired_with_warning() -> None:
    """A self-intersecting (bow-tie) polygon is repaired by make_valid into two triangles, with a warning."""
    bowtie = "POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))"
    assert not Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]).is_valid
    with pytest.warns(UserWarning, match="repaired"):
        aoi = load_aoi(bowtie)
    assert aoi.is_valid
    assert aoi.geometry.area == pytest.approx(2.0)  # two triangles of area 1


@pytest.mark.parametrize(
    "text",
    [
        "POINT (1 2)",
        "LINESTRING (0 0, 1 1)",
        json.dumps({"type": "Point", "coordinates": [1, 2]}),
        json.dumps(_fc({"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]})),
    ],
)
def test_points_and_lines_are_rejected(text: str) -> None:
    """Points and lines are not areas: AOIError saying the AOI must be a polygon."""
    with pytest.raises(AOIError, match="must be a polygon"):
        load_aoi(text)


def test_empty_and_broken_inputs_raise_aoierror(tmp_path: Path) -> None:
    """Empty collections, bad JSON, garbage text and missing files raise AOIError naming the file."""
    p = tmp_path / "empty.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(AOIError, match="no geometry") as exc:
        load_aoi(p)
    assert exc.value.path == str(p)
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(AOIError, match="not valid JSON"):
        load_aoi(bad)
    junk = tmp_path / "junk.wkt"
    junk.write_text("hello world")
    with pytest.raises(AOIError, match="neither GeoJSON nor WKT"):
        load_aoi(junk)
    with pytest.raises(AOIError, match="does not exist"):
        load_aoi(tmp_path / "missing.geojson")
    with pytest.raises(AOIError, match="no area"):
        load_aoi("POLYGON ((0 0, 1 1, 2 2, 0 0))")


def test_area_of_one_degree_box_at_equator() -> None:
    """A 1°x1° box at the equator has a geodesic area of about 12308 km² (±0.5 %)."""
    aoi = load_aoi("POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))")
    assert aoi.area_km2() == pytest.approx(12308, rel=0.005)
    cw = load_aoi("POLYGON ((0 0, 0 1, 1 1, 1 0, 0 0))")  # orientation does not change the sign
    assert cw.area_km2() == pytest.approx(aoi.area_km2(), rel=1e-9)


def test_to_crs_densifies_long_edges() -> None:
    """Reprojection densifies edges: a 1° box in UTM keeps its geodesic area to 0.05 %."""
    aoi = load_aoi("POLYGON ((3 0, 4 0, 4 1, 3 1, 3 0))")
    utm = aoi.to_crs("EPSG:32631")
    assert utm.crs.to_epsg() == 32631
    assert len(utm.geometry.exterior.coords) > 100
    assert utm.area_km2() == pytest.approx(aoi.area_km2(), rel=5e-4)
    assert aoi.to_crs(aoi.crs) is aoi


def test_to_geojson_rfc7946_roundtrip() -> None:
    """to_geojson gives a lon/lat FeatureCollection with a counter-clockwise shell that loads back."""
    aoi = load_aoi("SRID=32618;POLYGON((200000 2700000, 200000 2710000, 210000 2710000, 210000 2700000, "
                   "200000 2700000))")
    doc = aoi.to_geojson()
    assert doc["type"] == "FeatureCollection"
    geom = shape(doc["features"][0]["geometry"])
    assert geom.exterior.is_ccw
    x0, y0, x1, y1 = geom.bounds
    assert -80 < x0 < x1 < -76 and 24 < y0 < y1 < 26
    back = load_aoi(json.dumps(doc))
    assert back.area_km2() == pytest.approx(aoi.area_km2(), rel=1e-6)


def test_real_shapefile(real_data: Path) -> None:
    """vector/box.shp loads with the UTM 18N CRS from its .prj and its exact corners."""
    aoi = load_aoi(real_data / "vector" / "box.shp")
    assert aoi.crs.to_epsg() == 32618
    assert aoi.bounds == (175000.0, 2700000.0, 250000.0, 2750000.0)
    assert aoi.geometry.area == pytest.approx(75000 * 50000)


def _write_vector(path: Path, geoms: list, crs: str | None, names: list[str] | None = None,
                  layer: str | None = None, geometry_type: str = "Polygon") -> None:
    """A vector file written by pyogrio (driver from the suffix), one feature per geometry."""
    wkb = np.array([shapely.to_wkb(g) for g in geoms], dtype=object)
    fields = [np.array(names, dtype=object)] if names is not None else []
    pyogrio.raw.write(path, wkb, fields, ["name"] if names is not None else [], layer=layer, crs=crs,
                      geometry_type=geometry_type, append=path.exists() and layer is not None)


def test_shapefile_with_hole_and_missing_prj(tmp_path: Path) -> None:
    """A shapefile polygon with a hole keeps the hole; without a .prj a CRS must be given."""
    holed = Polygon([(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)], [[(4, 4), (6, 4), (6, 6), (4, 6), (4, 4)]])
    shp = tmp_path / "holed.shp"
    _write_vector(shp, [holed], "EPSG:32633")
    aoi = load_aoi(shp)
    assert aoi.crs.to_epsg() == 32633
    assert aoi.geometry.area == pytest.approx(100 - 4)
    shp2 = tmp_path / "noprj.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _write_vector(shp2, [holed], None)
    assert not shp2.with_suffix(".prj").exists()
    with pytest.raises(AOIError, match=r"no \.prj"):
        load_aoi(shp2)
    assert load_aoi(shp2, crs=32633).geometry.area == pytest.approx(96)


def test_geopackage_layers_any_crs(tmp_path: Path) -> None:
    """A GeoPackage with two polygon layers in different CRSs loads as their union in the first
    layer's CRS; read_aoi_file gives one AOI per feature, named by the 'name' field."""
    gpkg = tmp_path / "fields.gpkg"
    _write_vector(gpkg, [box(500000, 0, 510000, 10000)], "EPSG:32631", ["north field"], layer="utm")
    _write_vector(gpkg, [box(3.5, 0.5, 3.6, 0.6), box(3.7, 0.5, 3.8, 0.6)], "EPSG:4326", ["a", "b"],
                  layer="lonlat")
    aoi = load_aoi(gpkg)
    assert aoi.crs.to_epsg() == 32631 and aoi.name == "fields"
    assert isinstance(aoi.geometry, MultiPolygon) and len(aoi.geometry.geoms) == 3
    parts = read_aoi_file(gpkg)
    assert [a.name for a in parts] == ["north field", "a", "b"]
    assert [a.crs.to_epsg() for a in parts] == [32631, 4326, 4326]
    assert parts[0].area_km2() == pytest.approx(100, rel=2e-3)
    assert sum(a.area_km2() for a in parts) == pytest.approx(aoi.area_km2(), rel=1e-3)


def test_multipolygon_feature_and_point_layer(tmp_path: Path) -> None:
    """A multi-polygon feature stays one AOI; a layer of points is skipped, and a file of points only
    is refused as 'must be a polygon'."""
    gpkg = tmp_path / "mixed.gpkg"
    multi = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    _write_vector(gpkg, [multi], "EPSG:4326", layer="areas", geometry_type="MultiPolygon")
    _write_vector(gpkg, [shapely.Point(5, 5)], "EPSG:4326", layer="wells", geometry_type="Point")
    (one,) = read_aoi_file(gpkg)
    assert one.name == "mixed" and one.geometry.area == pytest.approx(2.0)
    points = tmp_path / "wells.gpkg"
    _write_vector(points, [shapely.Point(5, 5)], "EPSG:4326", geometry_type="Point")
    with pytest.raises(AOIError, match="must be a polygon") as exc:
        load_aoi(points)
    assert exc.value.path == str(points)


def test_polygon_z_is_read_as_2d(tmp_path: Path) -> None:
    """A shapefile of 3-D polygons (PolygonZ) gives a 2-D AOI with the same outline."""
    shp = tmp_path / "z.shp"
    _write_vector(shp, [Polygon([(0, 0, 5), (2, 0, 5), (2, 1, 7), (0, 0, 5)])], "EPSG:4326",
                  geometry_type="Polygon Z")
    aoi = load_aoi(shp)
    assert not aoi.geometry.has_z and aoi.geometry.area == pytest.approx(1.0)


def test_read_aoi_file_geojson_features_are_named_and_pickle(tmp_path: Path) -> None:
    """read_aoi_file splits a GeoJSON into one AOI per feature (name property, else 'stem n'), and
    the AOIs survive pickling (geometry, CRS and name), as they must to leave a worker process."""
    doc = _fc(_square(10, 10, 1), _square(20, 20, 1))
    doc["features"][0]["properties"] = {"name": "lake"}
    p = tmp_path / "two.geojson"
    p.write_text(json.dumps(doc))
    aois = read_aoi_file(p)
    assert [a.name for a in aois] == ["lake", "two 2"]
    back = pickle.loads(pickle.dumps(aois))
    assert [(a.name, a.crs, a.geometry.wkb) for a in back] == [(a.name, a.crs, a.geometry.wkb) for a in aois]
    assert {a.crs.to_epsg() for a in read_aoi_file(p, crs=3857)} == {3857}


def test_inline_dict_geometry_and_aoi_sources() -> None:
    """load_aoi takes a GeoJSON dict, a shapely geometry (lon/lat unless crs=) and an AOI as they are."""
    g = _square(1, 2, 3)
    assert load_aoi(g).bounds == (1.0, 2.0, 4.0, 5.0)
    utm = load_aoi(box(200000, 2700000, 210000, 2710000), crs=32618)
    assert utm.crs.to_epsg() == 32618 and utm.geometry.area == pytest.approx(1e8)
    assert load_aoi(utm) is utm


def _truncated_shapefile(tmp_path: Path, real_data: Path) -> Path:
    for f in (real_data / "vector").glob("box.*"):
        shutil.copy(f, tmp_path / f.name)
    shp = tmp_path / "box.shp"
    shp.write_bytes(shp.read_bytes()[:150])
    return shp


@pytest.mark.parametrize(
    ("case", "category", "match"),
    [
        ("truncated.shp", "truncated or corrupt", "truncated"),
        ("garbage.shp", "not a supported file", "not an ESRI shapefile"),
        ("noshx.shp", "truncated or corrupt", r"\.shx"),
        ("garbage.gpkg", "truncated or corrupt", "damaged"),
        ("text.fgb", "not a supported file", "not a vector file"),
        ("binary.geojson", "not a supported file", "not text"),
        ("deep.geojson", "truncated or corrupt", "nested too deeply|not valid JSON"),
        ("badcoords.geojson", "truncated or corrupt", "geometry cannot be read"),
    ],
)
def test_hostile_vector_files_are_categorised(tmp_path: Path, real_data: Path, case: str, category: str,
                                             match: str) -> None:
    """Damaged or disguised AOI files raise an AOIError naming the file, with its category."""
    if case == "truncated.shp":
        path = _truncated_shapefile(tmp_path, real_data)
    else:
        path = tmp_path / case
        content = {
            "garbage.shp": b"hello" * 40,
            "noshx.shp": (real_data / "vector" / "box.shp").read_bytes(),
            "garbage.gpkg": b"SQLite format 3\x00" + b"\x00" * 200,
            "text.fgb": b"just some words\n",
            "binary.geojson": b"\xff\xfe\x00{" * 10,
            "deep.geojson": b"{\"a\":" * 100000 + b"1" + b"}" * 100000,
            "badcoords.geojson": json.dumps({"type": "Polygon", "coordinates": [[[1, "x"]]]}).encode(),
        }[case]
        path.write_bytes(content)
    with pytest.raises(AOIError, match=match) as exc:
        load_aoi(path)
    assert exc.value.path == str(path)
    assert exc.value.category == category


def test_fifo_aoi_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO given as an AOI file is refused before anything opens it (no hang)."""
    fifo = tmp_path / "aoi.geojson"
    os.mkfifo(fifo)
    with pytest.raises(SatviewError, match="not a regular file"):
        load_aoi(fifo)


def test_vector_files_read_in_a_worker_process(real_data: Path) -> None:
    """pyogrio (its own GDAL) and rasterio's GDAL work side by side in a spawned worker: the worker
    opens a raster, then reads the shapefile AOI, and the AOIs come back pickled."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        (aoi,) = pool.apply(_open_raster_then_read_aois, (str(real_data / "geotiff" / "RGB.byte.tif"),
                                                            str(real_data / "vector" / "box.shp")))
    assert aoi.crs.to_epsg() == 32618 and aoi.bounds == (175000.0, 2700000.0, 250000.0, 2750000.0)


def _open_raster_then_read_aois(raster: str, vector: str) -> list[AOI]:
    with open_scene(raster) as scene:
        scene.read(out_shape=(8, 8))
    return read_aoi_file(vector)


def test_from_pixel_polygon_maps_through_grid() -> None:
    """Canvas (col, row) vertices become map coordinates through the grid transform, in its CRS."""
    grid = GeoGrid(CRS.from_epsg(32618), Affine(30, 0, 100000, 0, -30, 2800000), 100, 100)
    aoi = from_pixel_polygon([(0, 0), (10, 0), (10, 20), (0, 20)], grid)
    assert aoi.crs.to_epsg() == 32618
    assert aoi.bounds == (100000.0, 2800000.0 - 600, 100300.0, 2800000.0)
    with pytest.raises(AOIError, match="three"):
        from_pixel_polygon([(0, 0), (1, 1)], grid)


def test_ensure_overlap(real_data: Path) -> None:
    """ensure_overlap reprojects to the scene CRS, and names the scene file when the AOI misses it."""
    with open_scene(real_data / "geotiff" / "RGB.byte.tif") as scene:
        box_aoi = load_aoi(real_data / "vector" / "box.shp")
        ll = box_aoi.to_crs(4326)
        local = ensure_overlap(ll, scene.info)
        assert local.crs == scene.info.grid.crs
        assert local.geometry.symmetric_difference(box_aoi.geometry).area < 1.0  # m²
        far = load_aoi(real_data / "vector" / "area.geojson")
        with pytest.raises(AOIError, match="does not overlap the scene") as exc:
            ensure_overlap(far, scene.info)
        assert "RGB.byte.tif" in str(exc.value)
        assert "lon/lat" in str(exc.value)
        antipode = AOI(box(100, -30, 101, -29), CRS.from_epsg(4326))  # outside UTM 18N's domain
        with pytest.raises(AOIError, match="does not overlap"):
            ensure_overlap(antipode, scene.info)


def test_projected_aoi_far_beyond_its_crs_is_refused(tmp_path: Path) -> None:
    """A UTM polygon reaching 4,000,000 km north is an AOIError naming the file (its reprojection
    used to keep GEOS busy for minutes); one spilling into the next zone is still accepted."""
    far = tmp_path / "far.wkt"
    far.write_text("SRID=32618;POLYGON((500000 4000000,600000 4000000,600000 4000000000,500000 4000000))")
    with pytest.raises(AOIError, match="far outside the area where EPSG:32618 is used") as err:
        load_aoi(far)
    assert "far.wkt" in str(err.value)
    near = load_aoi("SRID=32618;POLYGON((800000 4000000,1200000 4000000,1200000 4100000,800000 4100000,"
                    "800000 4000000))")
    assert near.area_km2() == pytest.approx(400 * 100, rel=0.01)


def test_aoi_reaching_the_far_pole_is_cut_to_its_part_near_a_polar_grid(tmp_path: Path) -> None:
    """A lon/lat AOI touching latitude -90 has no image in a north polar stereographic grid (it used to
    come out finite at ~1e23 m and reach the canvas as garbage): to_crs refuses it, and the overlap
    with an Arctic sea-ice scene is its northern part, within the grid's own extent."""
    from satview.core.demo.season import make_seaice_season

    tall = AOI(box(-60, -90, 60, 85), CRS.from_epsg(4326), "pole to pole")
    with pytest.raises(AOIError, match="outside the area where that projection is defined"):
        tall.to_crs(CRS.from_epsg(3411))
    day = sorted(make_seaice_season(tmp_path, 1).glob("*.bin"))[0]
    with open_scene(day) as scene:
        local = ensure_overlap(tall, scene.info)
        grid = scene.info.grid
    x0, y1 = grid.transform * (0, 0)
    x1, y0 = grid.transform * (grid.width, grid.height)
    gx, gy = (x1 - x0), (y1 - y0)
    bx0, by0, bx1, by1 = local.bounds
    assert x0 - gx <= bx0 < bx1 <= x1 + gx and y0 - gy <= by0 < by1 <= y1 + gy
