"""satview's own GeoTIFFs (clip, reproject) reopen as what their source was: bands, physical values,
QA decoding, flags, presets, sea-ice colours and Landsat facts; and a GIS sees the same through
GDAL's standard carriers."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.features import geometry_mask
from rasterio.transform import from_origin
from rasterio.transform import rowcol as to_rowcol
from rasterio.windows import Window
from shapely.geometry import box

from satview.cli import main
from satview.core import open_scene
from satview.core.aoi import AOI
from satview.core.clip import clip_scene
from satview.core.composite import available_presets, dataset_bands
from satview.core.describe import band_dict, landsat_dict
from satview.core.env import GDAL_OPTIONS
from satview.core.pixel import query_pixel
from satview.core.quicklook import quicklook_array
from satview.core.render import default_display
from satview.core.reproject import reproject_scene
from satview.core.satview_domain import BAND_ITEM, DOMAIN, SCENE_ITEM, band_record, encode
from satview.core.seaice import flag_color, scene_extent_and_area
from satview.core.types import BandInfo, Calibration

#: case -> (sample path under the real-data folder, reprojection target CRS, reprojection resolution)
CASES: dict[str, tuple[str, str, float | None]] = {
    "landsat-c2-l1": ("landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar", "EPSG:4326", None),
    "landsat-c1-l1": ("landsat-scenes/LC08_L1TP_090084_20160121_20170405_01_T1", "EPSG:4326", None),
    "landsat-pre-collection": ("landsat-scenes/LC80460282016177LGN00", "EPSG:4326", None),
    "landsat-c2-l2": ("landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1", "EPSG:4326", None),
    "modis": ("hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf", "EPSG:3031", 20000.0),
    "nsidc-binary": ("nsidc/nt_20171002_f17_v1.1_n.bin", "EPSG:3413", None),
    "nsidc-cdr": ("nsidc/seaice_conc_daily_nh_20230901_f17_v04r00.nc", "EPSG:3413", None),
}
LANDSAT = ("landsat-c2-l1", "landsat-c1-l1", "landsat-pre-collection", "landsat-c2-l2")
SEAICE = ("nsidc-binary", "nsidc-cdr")
OPS = ("clip", "reproject")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Clip (middle half of the valid cells) and reprojection of every case, made once: case -> the source
    path, its open scene (opening the netCDF takes seconds) and the two outputs' paths."""
    from tests.conftest import REAL_DATA

    if not REAL_DATA.is_dir():
        pytest.skip(f"real sample data not found at {REAL_DATA}")
    out = tmp_path_factory.mktemp("outputs")
    made: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATVIEW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        for case, (rel, crs, res) in CASES.items():
            src = REAL_DATA / rel
            scene = open_scene(src)
            g = scene.info.grid
            left, bottom, right, top = _valid_bounds(scene)
            dx, dy = (right - left) / 4, (top - bottom) / 4
            aoi = AOI(box(left + dx, bottom + dy, right - dx, top - dy), g.crs, "middle")
            clip_scene(scene, aoi, out / f"{case}-clip.tif")
            reproject_scene(scene, out / f"{case}-reproject.tif", crs, resolution=res)
            made[case] = {"source": src, "scene": scene, "aoi": aoi, "clip": out / f"{case}-clip.tif",
                          "reproject": out / f"{case}-reproject.tif"}
        yield made
        for case in made.values():
            case["scene"].close()


def _valid_bounds(scene: Any) -> tuple[float, float, float, float]:
    """Map bounds of the cells of the first band holding a value (the MODIS polar tile is mostly fill)."""
    valid = np.isfinite(scene.read([scene.info.bands[0].name])[0])
    rows, cols = np.flatnonzero(valid.any(axis=1)), np.flatnonzero(valid.any(axis=0))
    x0, y0 = scene.transform * (int(cols[0]), int(rows[0]))
    x1, y1 = scene.transform * (int(cols[-1]) + 1, int(rows[-1]) + 1)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _same_but_storage(src: BandInfo, out: BandInfo) -> dict[str, Any]:
    """Facts of ``out`` that differ from ``src``, leaving out the file's dtype and nodata (a multi-band
    GeoTIFF has one of each: promoted dtype, common nodata)."""
    a, b = band_dict(src), band_dict(out)
    return {k: (a[k], b[k]) for k in a if k not in ("dtype", "nodata") and a[k] != b[k]}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", list(CASES))
def test_bands_and_scene_facts_reopen_as_on_the_source(outputs: dict[str, Any], case: str, op: str) -> None:
    """Every band of an output (the exported bands: an HDF file's opened dataset) has the source band's
    name, role, common name, wavelength, calibration, QA decoder and flags, and a Landsat output has
    the source's product facts."""
    src = outputs[case]["scene"]
    exported = dataset_bands(src.info)
    with open_scene(outputs[case][op]) as out:
        assert out.info.format == "geotiff" and not out.info.warnings
        assert out.info.band_names == [b.name for b in exported]
        for s, o in zip(exported, out.info.bands, strict=True):
            assert _same_but_storage(s, o) == {}, s.name
        if case in LANDSAT:
            assert out.info.landsat is not None and src.info.landsat is not None
            assert landsat_dict(out.info.landsat) == landsat_dict(src.info.landsat)
        else:
            assert out.info.landsat is None
        assert out.info.metadata["satview_output"]["source"] == Path(outputs[case]["source"]).name


@pytest.mark.parametrize("case", list(CASES))
def test_clip_gives_the_source_physical_values_and_qa(outputs: dict[str, Any], case: str) -> None:
    """Every kept cell of a clip reads as the same physical value (NaN at nodata and flags) as the
    source cell under it, and the pixel readout gives the same value, flag and QA decoding."""
    src = outputs[case]["scene"]
    with open_scene(outputs[case]["clip"]) as out:
        row0, col0 = to_rowcol(src.transform, *(out.transform * (0.5, 0.5)))
        window = Window(col0, row0, out.width, out.height)
        kept = geometry_mask([outputs[case]["aoi"].geometry], out_shape=out.shape, transform=out.transform,
                             invert=True)  # pixel centre inside the AOI
        assert kept.mean() > 0.8 and np.isfinite(out.read()).any()
        names = out.info.band_names
        np.testing.assert_array_equal(out.read()[:, kept], src.read(names, window=window)[:, kept])
        for row, col in ((out.height // 2, out.width // 2), (1, 1), (out.height - 2, out.width - 3)):
            a, b = query_pixel(src, row0 + row, col0 + col), query_pixel(out, row, col)
            for sv, ov in zip([v for v in a.bands if v.name in names], b.bands, strict=True):
                assert (ov.name, ov.value, ov.flag, ov.qa) == (sv.name, sv.value, sv.flag, sv.qa)


def _flag_points(scene: Any) -> dict[str, tuple[float, float]]:
    """lon/lat of one source cell of every flag value present: the one nearest the grid's centre, so
    that it lies inside the clips of the middle half."""
    band = scene.info.bands[0]
    dn = scene.read(dn=True)[0]
    points = {}
    for value, name in band.flags:
        rows, cols = np.nonzero(dn == value)
        if rows.size:
            k = int(np.argmin(np.hypot(rows - dn.shape[0] / 2, cols - dn.shape[1] / 2)))
            points[name] = scene.lonlat_of_cell(int(rows[k]), int(cols[k]))
    return points


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", SEAICE)
def test_seaice_flags_stay_flags(outputs: dict[str, Any], case: str, op: str) -> None:
    """At a source cell of each flag (land, coast, pole hole, lakes), the output's pixel readout names
    the same flag with no value; no cell of the output reads above 100 %."""
    src = outputs[case]["scene"]
    points = _flag_points(src)
    expected = {name: query_pixel(src, *src.cell_of_lonlat(*p)).bands[0] for name, p in points.items()}
    assert {"land", "land_mask"} & set(points) and {"coast", "coastal"} & set(points)
    with open_scene(outputs[case][op]) as out:
        checked = 0
        for name, (lon, lat) in points.items():
            row, col = out.cell_of_lonlat(lon, lat)
            if not (0 <= row < out.height and 0 <= col < out.width):
                continue  # outside the clip
            got = query_pixel(out, row, col).bands[0]
            assert (got.dn, got.value, got.flag) == (expected[name].dn, None, name)
            checked += 1
        assert checked >= 2
        assert np.nanmax(out.read()) <= 100.0


@pytest.mark.parametrize("case", SEAICE)
def test_reprojected_seaice_extent_matches_the_source(outputs: dict[str, Any], case: str) -> None:
    """Sea-ice extent and the land/coast cell counts of a nearest-neighbour reprojection onto a grid of
    the same cell size agree with the source within 0.1 %."""
    with open_scene(outputs[case]["reproject"]) as out:
        a, b = scene_extent_and_area(outputs[case]["scene"]), scene_extent_and_area(out)
    assert b["extent_km2"] == pytest.approx(a["extent_km2"], rel=1e-3)
    for name, count in a["flag_cells"].items():
        assert b["flag_cells"][name] == pytest.approx(count, rel=1e-3, abs=2)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", SEAICE)
def test_seaice_quicklook_draws_land_in_its_legend_colour(outputs: dict[str, Any], case: str,
                                                          op: str) -> None:
    """A quick-look of a sea-ice output draws land cells in the land flag's colour, never as ice."""
    with open_scene(outputs[case][op]) as out:
        band = out.info.bands[0]
        land = next(v for v, name in band.flags if name in ("land", "land_mask"))
        rgba, _, _ = quicklook_array(out, size=max(out.width, out.height))
        dn = out.read(dn=True)[0]
    assert rgba.shape[1:] == dn.shape
    hit = dn == land
    assert hit.sum() > 50
    color = flag_color(band.flag_name(land) or "")
    for i in range(3):
        assert np.all(rgba[i][hit] == color[i])


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("case", LANDSAT)
def test_landsat_outputs_offer_the_same_presets_and_display(outputs: dict[str, Any], case: str,
                                                            op: str) -> None:
    """A Landsat output offers the source's composite presets, opens in the same default display (with
    the same QA band for overlays) and renders the natural-colour preset."""
    src = outputs[case]["scene"]
    with open_scene(outputs[case][op]) as out:
        assert [p.key for p in available_presets(out.info)] == [p.key for p in available_presets(src.info)]
        a, b = default_display(src.info), default_display(out.info)
        assert (b.mode, b.bands, b.preset, b.qa_band) == (a.mode, a.bands, a.preset, a.qa_band)
        rgba, _, _ = quicklook_array(out, preset="natural-color", size=64)
    assert rgba[3].any()


def test_cli_on_a_landsat_clip(outputs: dict[str, Any], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """`satview info` on a Level-1 clip lists thermal bands as brightness temperature in K and QA bands
    as QA, and `quicklook --preset natural-color` works on it."""
    clip = outputs["landsat-c2-l1"]["clip"]
    assert main(["info", str(clip)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "thermal" in lines["B10"] and "brightness temperature [K]" in lines["B10"]
    assert " qa " in lines["QA_PIXEL"] and "LC09_L1TP_112081_20220209_20220209_02_T1" in lines["product"]
    assert main(["quicklook", str(clip), "--preset", "natural-color", "-o", str(tmp_path / "q.png")]) == 0
    assert (tmp_path / "q.png").is_file()


def test_cli_pixel_json_names_land_on_a_reprojected_seaice_grid(outputs: dict[str, Any],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`satview pixel --json` on a reprojected NSIDC-0051 grid gives flag "land" and no value at a land
    cell (not 254 x 0.4 = 101.6 %)."""
    lon, lat = _flag_points(outputs["nsidc-binary"]["scene"])["land"]
    reprojected = str(outputs["nsidc-binary"]["reproject"])
    assert main(["pixel", reprojected, "--lonlat", str(lon), str(lat), "--json"]) == 0
    band = json.loads(capsys.readouterr().out)["bands"][0]
    assert (band["dn"], band["value"], band["flag"], band["unit"]) == (254, None, "land", "%")


def test_cog_clip_keeps_the_meaning(outputs: dict[str, Any], tmp_path: Path) -> None:
    """A Cloud-Optimized GeoTIFF clip carries the same band facts and Landsat facts as a plain one."""
    src = outputs["landsat-c2-l2"]["scene"]
    g = src.info.grid
    left, bottom, right, top = g.bounds
    aoi = AOI(box(left, bottom, (left + right) / 2, (bottom + top) / 2), g.crs)
    clip_scene(src, aoi, tmp_path / "c.tif", cog=True, bands=["SR_B4", "ST_B10", "QA_PIXEL"])
    with open_scene(tmp_path / "c.tif") as out:
        assert out.info.landsat == src.info.landsat
        for o in out.info.bands:
            assert _same_but_storage(src.info.band(o.name), o) == {}


def test_outputs_are_written_atomically_beside_nothing_but_themselves(outputs: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    """A sea-ice reprojection writes exactly OUT.tif and its categories side-car, nothing next to the
    input; a later output of the same name without categories removes the stale side-car."""
    src = outputs["nsidc-binary"]["source"]
    before = sorted(p.name for p in src.parent.iterdir())
    out = tmp_path / "ice.tif"
    reproject_scene(outputs["nsidc-binary"]["scene"], out, "EPSG:3413")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ice.tif", "ice.tif.aux.xml"]
    assert sorted(p.name for p in src.parent.iterdir()) == before
    reproject_scene(outputs["landsat-c2-l2"]["scene"], out, "EPSG:4326", bands=["SR_B4"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ice.tif"]


def _write_tif(path: Path, scene_text: str, band_text: str) -> None:
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint16",
               "crs": "EPSG:32633", "transform": from_origin(500000, 4000000, 30, 30)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.arange(16, dtype=np.uint16).reshape(1, 4, 4))
        dst.update_tags(ns=DOMAIN, **{SCENE_ITEM: scene_text})
        dst.update_tags(1, ns=DOMAIN, **{BAND_ITEM: band_text})


_GOOD_BAND = band_record(BandInfo("SR_B4", role="reflective", common_name="Red", calibration=Calibration(
    "linear", 2.75e-05, -0.2, quantity="surface reflectance")))
_GOOD_SCENE = '{"version": 1, "source": "x", "format": "landsat"}'


def test_a_record_made_by_hand_is_read(tmp_path: Path) -> None:
    """The reader rebuilds a band from a SATVIEW record alone, whatever the file is called."""
    _write_tif(tmp_path / "anything.tif", _GOOD_SCENE, encode(_GOOD_BAND))
    with open_scene(tmp_path / "anything.tif") as scene:
        b = scene.info.bands[0]
        assert (b.name, b.role, b.common_name, b.calibration.quantity) == ("SR_B4", "reflective", "Red",
                                                                             "surface reflectance")
        assert scene.read()[0, 0, 1] == pytest.approx(1 * 2.75e-05 - 0.2)


@pytest.mark.parametrize("scene_text, band_text", [
    ("{not json", encode(_GOOD_BAND)),
    ('{"version": 2}', encode(_GOOD_BAND)),
    (_GOOD_SCENE, encode({**_GOOD_BAND, "qa": "no_such_decoder"})),
    (_GOOD_SCENE, encode({**_GOOD_BAND, "calibration": {"kind": "linear", "scale": True}})),
    (_GOOD_SCENE, encode({**_GOOD_BAND, "flags": [[251]]})),
    (_GOOD_SCENE, encode({**_GOOD_BAND, "role": "weapon"})),
    (_GOOD_SCENE, "[" * 5000 + "]" * 5000),
    ('{"version": 1, "landsat": {"product_id": "x"}}', encode(_GOOD_BAND)),
    (_GOOD_SCENE, encode({**_GOOD_BAND, "resolution": 10 ** 400})),
], ids=["not-json", "newer-version", "unknown-qa", "bool-scale", "bad-flags", "bad-role", "deep",
        "bad-landsat", "huge-number"])
def test_damaged_satview_metadata_reads_as_a_plain_geotiff(tmp_path: Path, scene_text: str,
                                                           band_text: str) -> None:
    """A malformed SATVIEW domain gives a warning and the plain GeoTIFF reading, never an error."""
    _write_tif(tmp_path / "bad.tif", scene_text, band_text)
    with open_scene(tmp_path / "bad.tif") as scene:
        assert any("satview metadata is damaged" in w for w in scene.info.warnings)
        assert scene.info.bands[0].name == "bad" and scene.info.landsat is None


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo (gdal-bin) is not installed")
def test_gdalinfo_sees_band_names_units_scaling_nodata_categories_colours(outputs: dict[str, Any]) -> None:
    """GDAL's own gdalinfo shows a sea-ice reprojection's band name, unit, scale, nodata, category
    names and colour table, and a Level-2 clip's reflectance scale/offset."""
    env = {k: v for k, v in os.environ.items() if k not in GDAL_OPTIONS}  # a GIS runs with GDAL's defaults
    ice = subprocess.run(["gdalinfo", str(outputs["nsidc-binary"]["reproject"])], capture_output=True,
                         text=True, check=True, env=env).stdout
    for text in ("Description = concentration", "Unit Type: %", "Scale:0.4", "NoData Value=255",
                 "254: land", "251: pole_hole", "Color Table", "ColorInterp=Palette", "FLAG_MEANINGS="):
        assert text in ice
    l2 = subprocess.run(["gdalinfo", str(outputs["landsat-c2-l2"]["clip"])], capture_output=True,
                        text=True, check=True, env=env).stdout
    assert "Description = SR_B4" in l2 and "Offset: -0.2,   Scale:2.75e-05" in l2
    assert "Description = ST_B10" in l2 and "Unit Type: K" in l2 and "SPACECRAFT_ID=LANDSAT_8" in l2
    assert "QA_DECODER=c2_qa_pixel" in l2


def test_brightness_temperature_is_not_a_gdal_scale(outputs: dict[str, Any]) -> None:
    """A Level-1 thermal band keeps GDAL scale 1 (it is not linear) and its K1/K2 as tags, and satview
    still reads it in kelvin."""
    with rasterio.open(outputs["landsat-c2-l1"]["clip"]) as ds:
        i = list(ds.descriptions).index("B10")
        assert (ds.scales[i], ds.offsets[i]) == (1.0, 0.0)
        assert "K1_CONSTANT" in ds.tags(i + 1)
    with open_scene(outputs["landsat-c2-l1"]["clip"]) as out:
        values = out.read(["B10"])
    assert 200 < np.nanmedian(values) < 350 and not math.isnan(float(np.nanmax(values)))
