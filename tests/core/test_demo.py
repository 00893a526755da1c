"""Tests of the synthetic Landsat 8 C2 L2SP demo scene generator (small sizes only)."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

import satview.core.env  # noqa: F401  (GDAL options before rasterio)
from satview.core.demo import DEMO_PRODUCT_ID, describe, make_demo_scene

rasterio = pytest.importorskip("rasterio")

SIZE = (128, 160)  # rows, cols
PID = DEMO_PRODUCT_ID
TIF_SUFFIXES = [f"SR_B{b}" for b in range(1, 8)] + ["ST_B10", "QA_PIXEL", "QA_RADSAT"]
EXPECTED_MEMBERS = sorted(
    [f"{PID}_{s}.TIF" for s in TIF_SUFFIXES] + [f"{PID}_MTL.{e}" for e in ("txt", "xml", "json")]
)


@pytest.fixture(scope="module")
def scene_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small demo tarball shared by the read-only tests of this module."""
    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=SIZE)


def _vsitar(tar: Path, suffix: str) -> str:
    return f"/vsitar/{tar}/{PID}_{suffix}.TIF"


def _read(tar: Path, suffix: str) -> np.ndarray:
    with rasterio.open(_vsitar(tar, suffix)) as ds:
        return ds.read(1)


def _mtl_text(tar: Path, ext: str = "txt") -> str:
    with tarfile.open(tar) as tf:
        member = tf.extractfile(f"{PID}_MTL.{ext}")
        assert member is not None
        return member.read().decode("utf-8")


def _group(odl: str, name: str) -> dict[str, str]:
    """Key/value lines of one ODL group, quotes removed (enough of a parser for these tests)."""
    m = re.search(rf"^  GROUP = {name}\n(.*?)^  END_GROUP = {name}\n", odl, re.S | re.M)
    assert m, f"group {name} missing"
    return {k: v.strip('"') for k, v in re.findall(r"^    (\w+) = (.*)$", m.group(1), re.M)}


def test_tar_members_and_names(scene_tar: Path) -> None:
    """The tar sits in a size sub-folder, is named after a valid C2 L2SP product id and holds exactly
    the 10 bands and 3 MTLs, alphabetically, without folders."""
    assert scene_tar.name == f"{PID}.tar"
    assert scene_tar.parent.name == f"{SIZE[1]}x{SIZE[0]}"
    assert re.fullmatch(r"LC08_L2SP_\d{6}_\d{8}_\d{8}_02_T1", PID)
    with tarfile.open(scene_tar, mode="r:") as tf:  # plain, uncompressed tar
        names = tf.getnames()
        assert all(m.isfile() for m in tf.getmembers())
    assert names == EXPECTED_MEMBERS
    assert scene_tar.stat().st_mode & 0o777 == 0o644


def test_every_band_is_a_cog(scene_tar: Path) -> None:
    """Each TIF is uint16, tiled 512, DEFLATE, in EPSG:32611, 30 m; SR/ST have nodata 0, QA none."""
    for suffix in TIF_SUFFIXES:
        with rasterio.open(_vsitar(scene_tar, suffix)) as ds:
            assert ds.dtypes == ("uint16",)
            assert (ds.height, ds.width) == SIZE
            assert ds.block_shapes == [(512, 512)]
            assert ds.compression.name.upper() == "DEFLATE"
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert ds.crs.to_epsg() == 32611
            assert (ds.transform.a, ds.transform.e) == (30.0, -30.0)
            assert ds.transform.c % 15 == 0 and ds.transform.f % 15 == 0
            assert ds.nodata == (None if suffix.startswith("QA_") else 0)


def test_larger_scene_has_overviews(tmp_path: Path) -> None:
    """A scene bigger than one tile gets COG overviews (factor 2 first) in every band."""
    tar = make_demo_scene(tmp_path, size=(1100, 1200))
    for suffix in ("SR_B4", "ST_B10", "QA_PIXEL"):
        with rasterio.open(_vsitar(tar, suffix)) as ds:
            assert ds.overviews(1)[:1] == [2]


def test_transform_matches_mtl_corners(scene_tar: Path) -> None:
    """MTL corners are pixel centres of the corner pixels (USGS PixelIsPoint): the GeoTIFF's outer
    edge is half a pixel outside them; lat/lon corners agree with a pyproj transform."""
    from pyproj import Transformer

    odl = _mtl_text(scene_tar)
    proj = _group(odl, "PROJECTION_ATTRIBUTES")
    assert proj["UTM_ZONE"] == "11" and proj["GRID_CELL_SIZE_REFLECTIVE"] == "30.00"
    assert (int(proj["REFLECTIVE_LINES"]), int(proj["REFLECTIVE_SAMPLES"])) == SIZE
    with rasterio.open(_vsitar(scene_tar, "SR_B1")) as ds:
        t, w, h = ds.transform, ds.width, ds.height
    assert float(proj["CORNER_UL_PROJECTION_X_PRODUCT"]) == t.c + 15
    assert float(proj["CORNER_UL_PROJECTION_Y_PRODUCT"]) == t.f - 15
    assert float(proj["CORNER_LR_PROJECTION_X_PRODUCT"]) == t.c + 30 * w - 15
    assert float(proj["CORNER_LR_PROJECTION_Y_PRODUCT"]) == t.f - 30 * h + 15
    to_geo = Transformer.from_crs(32611, 4326, always_xy=True)
    for corner in ("UL", "UR", "LL", "LR"):
        lon, lat = to_geo.transform(
            float(proj[f"CORNER_{corner}_PROJECTION_X_PRODUCT"]),
            float(proj[f"CORNER_{corner}_PROJECTION_Y_PRODUCT"]),
        )
        assert abs(lat - float(proj[f"CORNER_{corner}_LAT_PRODUCT"])) < 1e-5
        assert abs(lon - float(proj[f"CORNER_{corner}_LON_PRODUCT"])) < 1e-5


def test_mtl_layout_and_group_aware_keys(scene_tar: Path) -> None:
    """The ODL has the C2 L2 group order, 2-space indentation, END; REFLECTANCE_MULT_BAND_4 is 2.75e-05
    in the Level-2 group but 2.0000E-05 in LEVEL1_RADIOMETRIC_RESCALING; XML and JSON say the same."""
    odl = _mtl_text(scene_tar)
    assert odl.startswith("GROUP = LANDSAT_METADATA_FILE\n  GROUP = PRODUCT_CONTENTS\n")
    assert odl.endswith("END_GROUP = LANDSAT_METADATA_FILE\nEND\n")
    order = re.findall(r"^  GROUP = (\w+)$", odl, re.M)
    assert order == [
        "PRODUCT_CONTENTS", "IMAGE_ATTRIBUTES", "PROJECTION_ATTRIBUTES", "LEVEL2_PROCESSING_RECORD",
        "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS",
        "LEVEL1_PROCESSING_RECORD", "LEVEL1_MIN_MAX_RADIANCE", "LEVEL1_MIN_MAX_REFLECTANCE",
        "LEVEL1_MIN_MAX_PIXEL_VALUE", "LEVEL1_RADIOMETRIC_RESCALING", "LEVEL1_THERMAL_CONSTANTS",
        "LEVEL1_PROJECTION_PARAMETERS",
    ]  # fmt: skip
    assert f'    LANDSAT_PRODUCT_ID = "{PID}"\n' in odl
    assert "    COLLECTION_NUMBER = 02\n" in odl
    contents = _group(odl, "PRODUCT_CONTENTS")
    assert contents["FILE_NAME_BAND_4"] == f"{PID}_SR_B4.TIF"
    assert contents["FILE_NAME_BAND_ST_B10"] == f"{PID}_ST_B10.TIF"
    assert contents["FILE_NAME_QUALITY_L1_PIXEL"] == f"{PID}_QA_PIXEL.TIF"
    assert contents["FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION"] == f"{PID}_QA_RADSAT.TIF"
    assert contents["FILE_NAME_METADATA_ODL"] == f"{PID}_MTL.txt"
    assert _group(odl, "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS")["REFLECTANCE_MULT_BAND_4"] == "2.75e-05"
    assert _group(odl, "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS")["REFLECTANCE_ADD_BAND_4"] == "-0.2"
    st = _group(odl, "LEVEL2_SURFACE_TEMPERATURE_PARAMETERS")
    assert (
        float(st["TEMPERATURE_MULT_BAND_ST_B10"]) == 0.00341802
        and float(st["TEMPERATURE_ADD_BAND_ST_B10"]) == 149
    )
    l1 = _group(odl, "LEVEL1_RADIOMETRIC_RESCALING")
    assert l1["REFLECTANCE_MULT_BAND_4"] == "2.0000E-05" and l1["REFLECTANCE_ADD_BAND_4"] == "-0.100000"
    assert float(l1["RADIANCE_MULT_BAND_10"]) == pytest.approx(3.342e-4)
    assert _group(odl, "LEVEL1_THERMAL_CONSTANTS")["K1_CONSTANT_BAND_10"] == "774.8853"

    tree = json.loads(_mtl_text(scene_tar, "json"))["LANDSAT_METADATA_FILE"]
    assert list(tree) == order
    assert tree["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]["REFLECTANCE_MULT_BAND_4"] == "2.75e-05"
    assert tree["LEVEL1_RADIOMETRIC_RESCALING"]["REFLECTANCE_MULT_BAND_4"] == "2.0000E-05"
    xml = _mtl_text(scene_tar, "xml")
    assert xml.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<LANDSAT_METADATA_FILE>\n  <PRODUCT_CONTENTS>\n'
    )
    assert f"    <LANDSAT_PRODUCT_ID>{PID}</LANDSAT_PRODUCT_ID>\n" in xml


def test_sr_and_st_values_are_plausible(scene_tar: Path) -> None:
    """Valid SR DNs convert to reflectance in [0, 1.3] with a land-like median, and NIR is
    brighter than red on average (vegetation); ST converts to 230-330 K."""
    bands = {b: _read(scene_tar, f"SR_B{b}") for b in (4, 5)}
    for dn in bands.values():
        refl = dn[dn > 0] * 2.75e-05 - 0.2
        assert refl.size > 0.5 * dn.size
        assert refl.min() >= 0.0 and refl.max() <= 1.3
        assert 0.01 < np.median(refl) < 0.6
    red, nir = (bands[b][bands[4] > 0] * 2.75e-05 - 0.2 for b in (4, 5))
    assert nir.mean() > red.mean()
    st = _read(scene_tar, "ST_B10")
    kelvin = st[st > 0] * 0.00341802 + 149.0
    assert kelvin.min() > 230 and kelvin.max() < 330


def test_fill_matches_qa_fill_bit(scene_tar: Path) -> None:
    """QA_PIXEL is exactly 1 (fill) where SR is 0 and the fill bit is clear everywhere else; the
    tilted footprint leaves fill in all four grid corners; ST and QA_RADSAT share the fill."""
    qa = _read(scene_tar, "QA_PIXEL")
    fill = _read(scene_tar, "SR_B1") == 0
    assert fill.any() and not fill.all()
    assert np.array_equal(fill, (qa & 1) == 1)
    assert np.all(qa[fill] == 1)
    assert fill[0, 0] and fill[0, -1] and fill[-1, 0] and fill[-1, -1]
    for b in range(2, 8):
        assert np.array_equal(_read(scene_tar, f"SR_B{b}") == 0, fill)
    assert np.array_equal(_read(scene_tar, "ST_B10") == 0, fill)
    assert not _read(scene_tar, "QA_RADSAT")[fill].any()


def test_qa_bits_are_consistent(scene_tar: Path) -> None:
    """Clear (bit 6) is set exactly on valid pixels without cloud (3) or dilated cloud (1); cloud
    pixels have high cloud confidence; clear land is 21824 and clear water 21952 like real scenes."""
    qa = _read(scene_tar, "QA_PIXEL").astype(np.int64)
    valid = (qa & 1) == 0
    cloud, dilated, clear = (qa >> 3) & 1, (qa >> 1) & 1, (qa >> 6) & 1
    assert np.array_equal(clear[valid] == 1, (cloud[valid] == 0) & (dilated[valid] == 0))
    assert np.all(((qa[valid & (cloud == 1)] >> 8) & 3) == 3)
    assert not np.any(cloud[valid] & dilated[valid])
    assert np.all(((qa[valid] >> 14) & 3) >= 1)  # cirrus confidence at least low
    values = set(np.unique(qa[valid]).tolist())
    assert {21824, 21952} <= values
    assert cloud[valid].any() and ((qa[valid] >> 4) & 1).any()  # some clouds and shadows


def test_cloud_cover_matches_qa(scene_tar: Path) -> None:
    """CLOUD_COVER in the MTL is the percentage of valid QA pixels with the cloud bit (±0.01 %)."""
    qa = _read(scene_tar, "QA_PIXEL")
    valid = (qa & 1) == 0
    measured = 100.0 * np.count_nonzero(valid & ((qa & 8) != 0)) / np.count_nonzero(valid)
    attrs = _group(_mtl_text(scene_tar), "IMAGE_ATTRIBUTES")
    assert abs(float(attrs["CLOUD_COVER"]) - measured) <= 0.01
    assert 0.0 <= float(attrs["CLOUD_COVER_LAND"]) <= 100.0
    assert attrs["SPACECRAFT_ID"] == "LANDSAT_8" and attrs["SENSOR_ID"] == "OLI_TIRS"
    assert 0 < float(attrs["SUN_ELEVATION"]) < 90 and 0 <= float(attrs["SUN_AZIMUTH"]) < 360


def test_reuse_returns_same_path_without_rewriting(tmp_path: Path) -> None:
    """A second call finds the existing tar and returns it untouched; force=True rebuilds it."""
    first = make_demo_scene(tmp_path, size=(64, 72))
    stamp = first.stat().st_mtime_ns
    calls: list[float] = []
    again = make_demo_scene(tmp_path, size=(64, 72), progress=lambda f, _m: calls.append(f))
    assert again == first and first.stat().st_mtime_ns == stamp
    assert calls == [1.0]
    forced = make_demo_scene(tmp_path, size=(64, 72), force=True)
    assert forced == first and first.stat().st_mtime_ns != stamp
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temp files left behind


def test_progress_is_reported_in_order(tmp_path: Path) -> None:
    """progress(fraction, message) goes from 0 to 1 without going backwards."""
    seen: list[tuple[float, str]] = []
    make_demo_scene(tmp_path, size=(64, 72), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(m, str) and m for _, m in seen)


def test_tar_gz_and_dir_hold_the_same_files(tmp_path: Path, scene_tar: Path) -> None:
    """fmt="tar.gz" is a gzip of the same members; fmt="dir" is a folder of the same files."""
    gz = make_demo_scene(tmp_path, size=SIZE, fmt="tar.gz")
    assert gz.name == f"{PID}.tar.gz" and gz.read_bytes()[:2] == b"\x1f\x8b"
    with tarfile.open(gz, mode="r:gz") as tf:
        assert tf.getnames() == EXPECTED_MEMBERS
    folder = make_demo_scene(tmp_path, size=SIZE, fmt="dir")
    assert folder.is_dir() and folder.name == PID
    assert sorted(p.name for p in folder.iterdir()) == EXPECTED_MEMBERS
    with rasterio.open(folder / f"{PID}_SR_B4.TIF") as ds:
        assert np.array_equal(ds.read(1), _read(scene_tar, "SR_B4"))


def test_same_seed_same_data_other_seed_differs(tmp_path: Path, scene_tar: Path) -> None:
    """Generation is deterministic: the same seed gives the same SR_B4 pixels, another seed other ones."""
    again = make_demo_scene(tmp_path / "a", size=SIZE)
    assert np.array_equal(_read(again, "SR_B4"), _read(scene_tar, "SR_B4"))
    other = make_demo_scene(tmp_path / "b", size=SIZE, seed=7)
    assert other.parent.name == f"{SIZE[1]}x{SIZE[0]}-seed7"
    assert not np.array_equal(_read(other, "SR_B4"), _read(scene_tar, "SR_B4"))


def test_default_destination_is_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dest_dir the scene goes to <cache>/demo/<cols>x<rows>/."""
    monkeypatch.setenv("SATVIEW_CACHE_DIR", str(tmp_path / "cache"))
    path = make_demo_scene(size=(32, 40))
    assert path == tmp_path / "cache" / "demo" / "40x32" / f"{PID}.tar"


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    """Unknown formats and tiny sizes raise ValueError before anything is written."""
    with pytest.raises(ValueError):
        make_demo_scene(tmp_path, size=(64, 64), fmt="zip")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_demo_scene(tmp_path, size=(2, 64))
    assert list(tmp_path.iterdir()) == []


def test_describe_names_the_product() -> None:
    """describe() is a short text naming the product id."""
    text = describe()
    assert PID in text and len(text.splitlines()) <= 6
