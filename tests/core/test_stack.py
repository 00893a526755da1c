"""Stacks, series and two-date change on the demo stack / season (known truth) and on real samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from satview.core.aoi import load_aoi
from satview.core.demo.season import make_seaice_season
from satview.core.demo.stack import make_demo_stack
from satview.core.stack.change import write_change
from satview.core.stack.classes import parse_classes
from satview.core.stack.discover import find_stacks, single_stack
from satview.core.stack.quantity import Quantity
from satview.core.stack.seaice_series import seaice_series
from satview.core.stack.series import value_series
from satview.errors import SatviewError

NBR = Quantity("index", "nbr")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A 6-date demo stack and its truth."""
    folder = make_demo_stack(tmp_path_factory.mktemp("stack"), 6)
    return folder, json.loads((folder / "truth.json").read_text())


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Ten days of demo sea ice, binary and netCDF alternating, and its truth."""
    folder = make_seaice_season(tmp_path_factory.mktemp("season"), 10, fmt="mixed")
    return folder, json.loads((folder / "truth.json").read_text())


def _scene(demo: tuple[Path, dict[str, Any]], i: int) -> str:
    folder, truth = demo
    return str(folder / truth["scenes"][i]["path"])


def test_demo_stack_is_one_stack_sorted_by_date(demo: tuple[Path, dict[str, Any]]) -> None:
    """The demo scenes form one stack in date order; the neighbour path is another; truth.json is ignored."""
    folder, truth = demo
    found = find_stacks([folder])
    main = [s for s in found.stacks if len(s.scenes) == 6]
    assert len(main) == 1 and main[0].crs == "EPSG:32611" and main[0].kind == "landsat"
    assert [s.date.isoformat() for s in main[0].scenes] == truth["dates"]
    assert [s.product_id for s in main[0].scenes] == [s["product_id"] for s in truth["scenes"]]
    assert len(found.stacks) == 2
    assert [Path(p).name for p, _ in found.ignored] == ["truth.json"]


def test_real_landsat_090084_duplicates_reported(real_data: Path) -> None:
    """The C1 and C2 copies of the 2016-01-21 scene are one date: the C2 one is kept, the others reported."""
    paths = sorted((real_data / "landsat-scenes").glob("*090084*")) + sorted(
        (real_data / "landsat-tarballs").glob("*090084*"))
    found = find_stacks(paths)
    assert len(found.stacks) == 1
    stack = found.stacks[0]
    assert [s.date.isoformat() for s in stack.scenes] == ["2016-01-21", "2021-03-31"]
    assert stack.scenes[0].product_id == "LC08_L1TP_090084_20160121_20200907_02_T1"
    assert stack.crs == "EPSG:32655"
    dups = [p for p, reason in found.ignored if reason.startswith("duplicate of")]
    assert len(dups) == 2


def test_real_nsidc_formats_mix_in_one_stack(real_data: Path) -> None:
    """The September CDR netCDF files and the NSIDC-0051 binary form one Arctic daily stack (EPSG:3411)."""
    found = find_stacks([real_data / "nsidc"])
    assert len(found.stacks) == 1
    stack = found.stacks[0]
    assert stack.kind == "nsidc-seaice" and stack.crs == "EPSG:3411"
    dates = [s.date for s in stack.scenes]
    assert dates == sorted(dates) and len(dates) == 43
    assert any(s.path.endswith(".bin") for s in stack.scenes)
    reasons = dict(found.ignored)
    assert any("psn25lats" in p for p in reasons)


def test_seaice_series_matches_truth_across_formats(season: tuple[Path, dict[str, Any]]) -> None:
    """Extent and area of each demo day (binary and netCDF alternating) equal the planted truth."""
    folder, truth = season
    stack = single_stack([folder], "nsidc-seaice")
    rows = seaice_series(stack.scenes)
    assert [r["date"] for r in rows] == [d["date"] for d in truth["days"]]
    for row, day in zip(rows, truth["days"], strict=True):
        assert row["extent_km2"] == pytest.approx(day["extent_km2"], rel=1e-9)
        assert row["area_km2"] == pytest.approx(day["area_km2"], rel=1e-6)


def test_real_september_extent_declines(real_data: Path) -> None:
    """The 1 September extent of 2020 is at least 2 million km2 below 1979's (the real decline)."""
    stack = single_stack([real_data / "nsidc" / "september-1979-2023"])
    rows = {r["date"]: r for r in seaice_series(stack.scenes)}
    assert len(rows) == 42
    assert rows["1979-09-01"]["extent_km2"] - rows["2020-09-01"]["extent_km2"] > 2.0e6
    assert 6.5e6 < rows["1979-09-01"]["extent_km2"] < 8.5e6


def test_fast_seaice_read_agrees_with_the_reader(real_data: Path) -> None:
    """The header-only netCDF path gives the same extent and area as opening the scene with the reader."""
    from satview.core.readers import open_scene
    from satview.core.seaice import scene_extent_and_area

    path = real_data / "nsidc" / "september-1979-2023" / "seaice_conc_daily_nh_20200901_f17_v04r00.nc"
    row = seaice_series(single_stack([path]).scenes)[0]
    with open_scene(path) as scene:
        ref = scene_extent_and_area(scene)
    assert row["extent_km2"] == pytest.approx(ref["extent_km2"], rel=1e-6)
    assert row["area_km2"] == pytest.approx(ref["area_km2"], rel=1e-5)


def test_value_series_clear_fraction_is_exact(demo: tuple[Path, dict[str, Any]]) -> None:
    """Date 1's clear fraction leaves out exactly its cloud, shadow and snow pixels; summer is all clear."""
    folder, truth = demo
    stack = single_stack([folder / "scenes"])
    rows = value_series(stack.scenes, Quantity("index", "ndvi"))
    n = truth["pixels"]
    s1 = truth["scenes"][1]
    blocked = s1["cloud_pixels"] + s1["shadow_pixels"] + truth["mountain_pixels"]
    assert rows[1]["pixels"] == n - blocked
    assert rows[1]["clear_fraction"] == pytest.approx((n - blocked) / n)
    assert rows[5]["clear_fraction"] == 1.0 and rows[5]["pixels"] == n
    assert 0.6 < rows[5]["median"] < 0.8


def test_dnbr_finds_the_burn_scar_area(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """dNBR "high severity" between the pre- and post-fire dates is exactly the planted scar."""
    truth = demo[1]
    burn = truth["burn"]
    out = tmp_path / "dnbr.tif"
    result = write_change(_scene(demo, burn["before_index"]), _scene(demo, burn["after_index"]), NBR, out,
                          scheme=parse_classes("dnbr", "nbr"))
    assert result.classes["high severity"] == pytest.approx(burn["km2"], abs=truth["pixel_km2"] / 2)
    assert result.pixels_masked == truth["mountain_pixels"]  # snow on the BEFORE date
    assert result.pixels_compared == truth["pixels"] - truth["mountain_pixels"]
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        assert ds.tags()["SATVIEW_CHANGE"] == "AFTER minus BEFORE"
        assert "BEFORE - AFTER" in ds.tags()["CLASS_CONVENTION"]
        r0, r1, c0, c1 = burn["box"]
        scar = ds.read(1)[r0:r1, c0:c1]
    assert np.all(scar < -0.66)  # AFTER - BEFORE is the negative of dNBR


def test_change_across_utm_zones(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """A post-fire scene in UTM zone 12 goes onto the zone 11 BEFORE grid; the scar area holds to its rim."""
    folder, truth = demo
    burn = truth["burn"]
    r0, r1, c0, c1 = burn["box"]
    rim = (r1 - r0 + c1 - c0) * truth["pixel_km2"]  # half the perimeter, in km2
    after = str(folder / truth["neighbour"]["path"])
    res = write_change(_scene(demo, burn["before_index"]), after, NBR, tmp_path / "a.tif",
                       scheme=parse_classes("dnbr", "nbr"))
    assert res.grid.crs.to_epsg() == 32611 and (res.grid.width, res.grid.height) == (240, 240)
    assert res.classes["high severity"] == pytest.approx(burn["km2"], abs=rim)
    res2 = write_change(_scene(demo, burn["before_index"]), after, NBR, tmp_path / "b.tif", grid="after",
                        scheme=parse_classes("dnbr", "nbr"))
    assert res2.grid.crs.to_epsg() == 32612
    assert res2.classes["high severity"] == pytest.approx(burn["km2"], abs=rim)


def test_change_masks_clouds_of_either_date(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Cloud and shadow of the BEFORE date and snow of both dates are masked; nothing else is."""
    truth = demo[1]
    s1 = truth["scenes"][1]
    res = write_change(_scene(demo, 1), _scene(demo, 2), Quantity("index", "ndvi"), tmp_path / "c.tif")
    assert res.pixels_masked == s1["cloud_pixels"] + s1["shadow_pixels"] + truth["mountain_pixels"]


def test_change_inside_an_aoi(demo: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """With an AOI covering exactly the scar, only its pixels are compared and all are high severity."""
    truth = demo[1]
    burn = truth["burn"]
    a, _, x0, _, e, y0 = truth["transform"]
    r0, r1, c0, c1 = burn["box"]
    left, right, top, bottom = x0 + c0 * a, x0 + c1 * a, y0 + r0 * e, y0 + r1 * e
    ring = f"{left} {bottom}, {right} {bottom}, {right} {top}, {left} {top}, {left} {bottom}"
    aoi = load_aoi(f"POLYGON(({ring}))", crs=truth["crs"])
    res = write_change(_scene(demo, burn["before_index"]), _scene(demo, burn["after_index"]), NBR,
                       tmp_path / "aoi.tif", aoi=aoi, scheme=parse_classes("dnbr", "nbr"))
    assert res.pixels_compared == burn["pixels"] and res.pixels_masked == 0
    assert res.classes["high severity"] == pytest.approx(burn["km2"])


def test_seaice_change_keeps_flags(season: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Sea-ice change is in percentage points, and land / coast / pole hole cells keep their flag values."""
    folder, truth = season
    days = truth["days"]
    out = tmp_path / "ice.tif"
    res = write_change(str(folder / days[0]["file"]), str(folder / days[-1]["file"]), None, out,
                       scheme=parse_classes("threshold:-10,10", "sea ice"))
    with rasterio.open(out) as ds:
        data = ds.read(1)
    values = set(np.unique(data[data > 200]).tolist())
    assert values == {251.0, 253.0, 254.0}
    water = data[np.isfinite(data) & (data <= 100)]
    assert water.min() >= -100 and water.max() <= 100
    assert res.classes["increase"] > 0  # January: the ice edge moves south


def test_dnbr_needs_nbr() -> None:
    """--classes dnbr with another index is refused with a message naming NBR."""
    with pytest.raises(SatviewError, match="nbr"):
        parse_classes("dnbr", "NDVI")


def test_point_series_follows_the_burn(demo: tuple[Path, dict[str, Any]]) -> None:
    """At a point inside the scar, NBR is forest-like (~0.59) before the fire and burnt (~-0.35) after."""
    from pyproj import Transformer

    folder, truth = demo
    a, _, x0, _, e, y0 = truth["transform"]
    r0, r1, c0, c1 = truth["burn"]["box"]
    x, y = x0 + (c0 + c1) / 2 * a, y0 + (r0 + r1) / 2 * e
    lon, lat = Transformer.from_crs(truth["crs"], 4326, always_xy=True).transform(x, y)
    rows = value_series(single_stack([folder / "scenes"]).scenes, NBR, lonlat=(lon, lat))
    k = truth["burn"]["after_index"]
    assert all(r["pixels"] == 1 for r in rows)
    assert rows[k - 1]["mean"] == pytest.approx(0.59, abs=0.05)
    assert rows[k]["mean"] == pytest.approx(-0.35, abs=0.05)


def test_geotiffs_of_one_grid_stack_by_tag_date(tmp_path: Path) -> None:
    """GeoTIFFs on one grid form a stack dated by TIFFTAG_DATETIME; one on another grid is its own stack."""
    from affine import Affine

    def tif(name: str, when: str, x0: float) -> Path:
        path = tmp_path / name
        with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                           crs="EPSG:32633", transform=Affine(30, 0, x0, 0, -30, 5_000_000)) as ds:
            ds.write(np.ones((1, 8, 8), np.uint8))
            ds.update_tags(TIFFTAG_DATETIME=when)
        return path

    tif("b.tif", "2020:07:01 10:00:00", 500_000)
    tif("a.tif", "2019:07:01 10:00:00", 500_000)
    tif("c.tif", "2021:07:01 10:00:00", 600_000)
    found = find_stacks([tmp_path])
    sizes = sorted(len(s.scenes) for s in found.stacks)
    assert sizes == [1, 2]
    big = next(s for s in found.stacks if len(s.scenes) == 2)
    assert [s.date.isoformat() for s in big.scenes] == ["2019-07-01", "2020-07-01"]
    assert big.kind == "raster" and big.crs == "EPSG:32633"


def test_real_modis_tiles_dated_from_hdfeos(real_data: Path) -> None:
    """MODIS tiles are placed by product and h/v and dated from their HDF-EOS metadata / name."""
    found = find_stacks([real_data / "hdf4"])
    labels = {s.label: s.scenes[0].date.isoformat() for s in found.stacks}
    assert labels == {"MODIS 09GA tile h14v17": "2008-10-22", "MODIS 09A1 tile h18v04": "2017-07-12"}


def test_point_off_a_scene_gives_an_empty_date(demo: tuple[Path, dict[str, Any]]) -> None:
    """A point no scene covers gives rows with no values and 0 pixels, not an error for the whole series."""
    folder, _ = demo
    rows = value_series(single_stack([folder / "scenes"]).scenes[:2], NBR, lonlat=(-100.0, 40.0))
    assert [(r["pixels"], r["mean"], r["clear_fraction"]) for r in rows] == [(0, None, None)] * 2


def test_seaice_series_inside_an_aoi(season: tuple[Path, dict[str, Any]]) -> None:
    """Inside a 2000 km square around the pole (all ice in January) the extent is the square's
    unflagged cell area, summed independently from the grid's true cell areas."""
    from satview.core.demo.season import _static
    from satview.core.polar_grids import cell_areas_km2, cell_centers_lonlat, nsidc_grid

    folder, _ = season
    grid = nsidc_grid("nsidc-north-25km")
    aoi = load_aoi("POLYGON((-1e6 -1e6, 1e6 -1e6, 1e6 1e6, -1e6 1e6, -1e6 -1e6))", crs="EPSG:3411")
    rows = seaice_series(single_stack([folder]).scenes[:1], aoi=aoi)
    t = grid.transform
    c, r = np.meshgrid(np.arange(grid.width), np.arange(grid.height))
    x, y = t.c + (c + 0.5) * t.a, t.f + (r + 0.5) * t.e
    lon, lat = cell_centers_lonlat(grid)
    inside = (np.abs(x) < 1e6) & (np.abs(y) < 1e6) & (_static(lat, lon) == 0)
    expected = float(cell_areas_km2(grid)[inside].sum())
    assert rows[0]["extent_km2"] == pytest.approx(expected, rel=1e-9)
    assert rows[0]["area_km2"] == pytest.approx(expected, rel=1e-6)  # 100 % everywhere inside


def test_animation_frames_show_the_aoi_with_the_date(demo: tuple[Path, dict[str, Any]]) -> None:
    """With an AOI the frames cover its extent at full resolution (sides made even for video), and
    each frame carries its date in white on black at the top left."""
    from satview.core.stack.animate import frames
    from satview.core.stack.model import FrameSpec

    folder, truth = demo
    a, _, x0, _, e, y0 = truth["transform"]
    r0, r1, c0, c1 = truth["burn"]["box"]
    left, right, top, bottom = x0 + c0 * a, x0 + c1 * a, y0 + r0 * e, y0 + r1 * e
    ring = f"{left} {bottom}, {right} {bottom}, {right} {top}, {left} {top}, {left} {bottom}"
    aoi = load_aoi(f"POLYGON(({ring}))", crs=truth["crs"])
    scenes = single_stack([folder / "scenes"]).scenes[:2]
    out = list(frames(scenes, FrameSpec(index="nbr"), aoi=aoi))
    rows, cols = r1 - r0, c1 - c0
    assert [f.shape for f in out] == [(rows + rows % 2, cols + cols % 2, 3)] * 2
    corner = out[0][2:14, 2:60]
    assert corner.max() == 255 and corner.min() == 0  # the label: white text on its black box


@pytest.mark.parametrize("crs", ["EPSG:32612", "EPSG:4326"])
def test_change_on_another_crs(demo: tuple[Path, dict[str, Any]], tmp_path: Path, crs: str) -> None:
    """--dst-crs puts both dates on a grid in that CRS (UTM or lon/lat); the scar area holds to its rim."""
    truth = demo[1]
    burn = truth["burn"]
    r0, r1, c0, c1 = burn["box"]
    rim = (r1 - r0 + c1 - c0) * truth["pixel_km2"]
    res = write_change(_scene(demo, burn["before_index"]), _scene(demo, burn["after_index"]), NBR,
                       tmp_path / "d.tif", dst_crs=crs, scheme=parse_classes("dnbr", "nbr"))
    with rasterio.open(tmp_path / "d.tif") as ds:
        assert ds.crs.to_string() == crs
    assert res.classes["high severity"] == pytest.approx(burn["km2"], abs=rim)
