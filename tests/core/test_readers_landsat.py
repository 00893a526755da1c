"""Every real Landsat tarball and scene folder opens as one scene with the right facts and bands."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import numpy as np
import pytest

from satview.core import open_scene
from satview.core.archive import unpacked_dir

OLI = [f"B{i}" for i in range(1, 12)]
ANGLES = ["SAA", "SZA", "VAA", "VZA"]
ETM = ["B1", "B2", "B3", "B4", "B5", "B6_VCID_1", "B6_VCID_2", "B7", "B8"]
TM = ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]
ST_AUX = ["ST_ATRAN", "ST_CDIST", "ST_DRAD", "ST_EMIS", "ST_EMSD", "ST_QA", "ST_TRAD", "ST_URAD"]

# path: spacecraft, sensor, collection, level, wrs path, wrs row, acquired, bands
CASES = {
    "landsat-tarballs/LC08_L1TP_090084_20160121_20170405_01_T1.tar.gz":
        ("LANDSAT_8", "OLI_TIRS", 1, "L1TP", 90, 84, "2016-01-21", [*OLI, "BQA"]),
    "landsat-tarballs/LC08_L1TP_091075_20161213_20170316_01_T2.tar.gz":
        ("LANDSAT_8", "OLI_TIRS", 1, "L1TP", 91, 75, "2016-12-13", [*OLI, "BQA"]),
    "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar":
        ("LANDSAT_9", "OLI_TIRS", 2, "L1TP", 112, 81, "2022-02-09", [*OLI, "QA_PIXEL", "QA_RADSAT", *ANGLES]),
    "landsat-tarballs/LE07_L1GT_091080_20080114_20161231_01_T2.tar.gz":
        ("LANDSAT_7", "ETM", 1, "L1GT", 91, 80, "2008-01-14", [*ETM, "BQA"]),
    "landsat-tarballs/LE07_L1GT_104078_20131209_20161119_01_T2.tar.gz":
        ("LANDSAT_7", "ETM", 1, "L1GT", 104, 78, "2013-12-09", [*ETM, "BQA"]),
    "landsat-tarballs/LE07_L1TP_104078_20130429_20161124_01_T1.tar":
        ("LANDSAT_7", "ETM", 1, "L1TP", 104, 78, "2013-04-29", [*ETM, "BQA"]),
    "landsat-tarballs/LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz":
        ("LANDSAT_5", "TM", 1, "L1GS", 92, 91, "1991-05-06", [*TM, "BQA"]),
    "landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2":
        ("LANDSAT_8", "OLI_TIRS", 2, "L1GT", 89, 74, "2022-05-06", [*OLI, "QA_PIXEL", "QA_RADSAT", *ANGLES]),
    "landsat-scenes/LC08_L1TP_090084_20160121_20170405_01_T1":
        ("LANDSAT_8", "OLI_TIRS", 1, "L1TP", 90, 84, "2016-01-21", [*OLI, "BQA"]),
    "landsat-scenes/LC08_L1TP_090084_20160121_20200907_02_T1":
        ("LANDSAT_8", "OLI_TIRS", 2, "L1TP", 90, 84, "2016-01-21", [*OLI, "QA_PIXEL"]),
    "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1":
        ("LANDSAT_8", "OLI_TIRS", 2, "L2SP", 98, 84, "2021-05-03",
         [*(f"SR_B{i}" for i in range(1, 8)), "ST_B10", *ST_AUX, "QA_PIXEL", "QA_RADSAT", "SR_QA_AEROSOL"]),
    "landsat-scenes/LE07_L1TP_107068_20220310_20220405_02_T1":
        ("LANDSAT_7", "ETM", 2, "L1TP", 107, 68, "2022-03-10", [*ETM, "QA_PIXEL", "QA_RADSAT", *ANGLES]),
    "landsat-scenes/LE07_L2SP_090084_20210331_20210426_02_T1":
        ("LANDSAT_7", "ETM", 2, "L2SP", 90, 84, "2021-03-31",
         [*(f"SR_B{i}" for i in (1, 2, 3, 4, 5, 7)), "ST_B6", *ST_AUX, "QA_PIXEL", "QA_RADSAT",
          "SR_ATMOS_OPACITY", "SR_CLOUD_QA"]),
    "landsat-scenes/LT05_L1GS_092091_19910506_20170126_01_T2":
        ("LANDSAT_5", "TM", 1, "L1GS", 92, 91, "1991-05-06", [*TM, "BQA"]),
    "landsat-scenes/LT52240631988227CUB02":
        ("LANDSAT_5", "TM", 0, None, 224, 63, "1988-08-14", TM),
    "landsat-scenes/LC80460282016177LGN00":
        ("LANDSAT_8", "OLI_TIRS", 0, None, 46, 28, "2016-06-25", ["B2", "B3", "B4"]),
    "landsat-scenes/LC81390452014295LGN00":
        ("LANDSAT_8", "OLI_TIRS", 0, None, 139, 45, "2014-10-22", ["B5"]),
    "landsat-scenes/LC8_test":
        ("LANDSAT_8", "OLI_TIRS", 0, None, 69, 15, "2013-06-02", ["B1", "B2", "B3", "B4", "B5", "B7", "B10"]),
}


@pytest.mark.parametrize("rel", sorted(CASES))
def test_real_scene_facts_and_bands(real_data: Path, rel: str) -> None:
    """Spacecraft, sensor, collection, level, path/row, date and the band set match the product."""
    craft, sensor, coll, level, path, row, date, bands = CASES[rel]
    with open_scene(real_data / rel) as scene:
        li = scene.info.landsat
        assert li is not None
        assert (li.spacecraft, li.sensor, li.collection) == (craft, sensor, coll)
        if level is not None:
            assert li.level == level
        assert (li.wrs_path, li.wrs_row) == (path, row)
        assert li.acquired == dt.date.fromisoformat(date)
        assert set(bands) <= set(scene.band_names), set(bands) - set(scene.band_names)
        assert not [n for n in scene.band_names if n.startswith("GM_")], "gap masks are not bands"
        assert scene.crs is not None and scene.width > 0 and scene.height > 0
        first = scene.read(bands[0], out_shape=(8, 8))
        assert first.shape == (1, 8, 8) and first.dtype == np.float32


def test_mtl_paths_open_the_scene(real_data: Path) -> None:
    """A path to the MTL (.txt, .json or .xml) opens the same scene as its folder."""
    folder = real_data / "landsat-scenes/LE07_L1TP_107068_20220310_20220405_02_T1"
    names = []
    for suffix in ("txt", "json", "xml"):
        with open_scene(folder / f"LE07_L1TP_107068_20220310_20220405_02_T1_MTL.{suffix}") as s:
            assert s.info.landsat.product_id == "LE07_L1TP_107068_20220310_20220405_02_T1"
            names.append(s.band_names)
    assert names[0] == names[1] == names[2]


def test_level2_physical_units(real_data: Path) -> None:
    """SR bands come out as surface reflectance, ST_B10 in kelvin, from the Level-2 groups."""
    with open_scene(real_data / "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1") as s:
        sr = s.band("SR_B4")
        assert sr.scale == pytest.approx(2.75e-05) and sr.offset == pytest.approx(-0.2)
        st = s.band("ST_B10")
        assert st.scale == pytest.approx(0.00341802) and st.offset == pytest.approx(149.0)
        assert st.unit == "K"
        dn = s.read("SR_B4", dn=True)[0]
        phys = s.read("SR_B4")[0]
        valid = dn != 0
        assert np.allclose(phys[valid], dn[valid] * 2.75e-05 - 0.2, atol=1e-6)
        assert np.isnan(phys[~valid]).all()


def test_level1_toa_reflectance_by_hand(real_data: Path) -> None:
    """Level-1 OLI B4 is TOA reflectance: (MULT * DN + ADD) / sin(sun elevation), from the MTL."""
    folder = real_data / "landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2"
    text = (folder / "LC08_L1GT_089074_20220506_20220512_02_T2_MTL.txt").read_text()
    values = dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition("=") for line in text.splitlines()) if _
    )
    mult = float(values["REFLECTANCE_MULT_BAND_4"])
    add = float(values["REFLECTANCE_ADD_BAND_4"])
    elev = float(values["SUN_ELEVATION"])
    with open_scene(folder) as s:
        dn = s.read("B4", dn=True)[0].astype(np.float64)
        phys = s.read("B4")[0]
    valid = dn > 0
    expect = (mult * dn[valid] + add) / math.sin(math.radians(elev))
    assert np.allclose(phys[valid], expect, rtol=1e-5)


def test_tar_gz_unpacked_once_outside_input(real_data: Path, tmp_path: Path) -> None:
    """A compressed tarball is unpacked into the cache once; nothing appears next to it."""
    src = real_data / "landsat-tarballs/LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz"
    before = sorted(os.listdir(src.parent))
    with open_scene(src) as s:
        a = s.read("B3", dn=True)
    cache = unpacked_dir(src)
    assert cache.is_dir()
    stamp = cache.stat().st_mtime_ns
    with open_scene(src) as s:
        b = s.read("B3", dn=True)
    assert cache.stat().st_mtime_ns == stamp
    assert np.array_equal(a, b)
    assert sorted(os.listdir(src.parent)) == before


def test_plain_tar_is_read_in_place(real_data: Path) -> None:
    """A Collection 2 .tar is read through /vsitar/ without unpacking anything."""
    src = real_data / "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
    with open_scene(src) as s:
        assert s.band("B4").source.startswith("/vsitar/")
        s.read(["B4", "B3", "B2"], out_shape=(20, 20))
    assert not unpacked_dir(src).exists()


def test_misnamed_plain_tar_opens(real_data: Path) -> None:
    """The '.tar.gz' that is really a plain tar opens in place (GDAL /vsitar/ alone fails on it)."""
    src = real_data / "landsat-tarballs/LE07_L1GT_091080_20080114_20161231_01_T2.tar.gz"
    with open_scene(src) as s:
        assert s.band("B1").source.startswith("/vsisubfile/")
        assert s.read("B1", dn=True).max() > 0
    assert not unpacked_dir(src).exists()


def test_thermal_is_brightness_temperature(real_data: Path) -> None:
    """Level-1 thermal bands are brightness temperatures in a plausible range of kelvin."""
    with open_scene(real_data / "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar") as s:
        b10 = s.band("B10")
        assert b10.calibration.kind == "brightness_temperature" and b10.unit == "K"
        t = s.read("B10")[0]
        t = t[np.isfinite(t)]
        assert t.size and 200 < float(np.median(t)) < 340


def _demo_tar_gz_with(tmp_path: Path, suffix: str, change) -> Path:
    """The small demo scene as a .tar.gz, its member ending in ``suffix`` replaced by ``change(bytes)``."""
    import gzip
    import io
    import tarfile

    from satview.core.demo import make_demo_scene

    tar = make_demo_scene(tmp_path / "demo", size=(64, 72), fmt="tar")
    out = io.BytesIO()
    with tarfile.open(tar) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name.endswith(suffix):
                data = change(data)
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    dest = tmp_path / "in" / (tar.name[: -len(".tar")] + ".tar.gz")
    dest.parent.mkdir()
    dest.write_bytes(gzip.compress(out.getvalue()))
    return dest


@pytest.mark.parametrize(("suffix", "change", "words"), [
    ("_MTL.txt", lambda b: b"\x00" * len(b), "not Landsat metadata"),
    ("_SR_B4.TIF", lambda b: b[:600], "cannot"),
])
def test_errors_in_an_unpacked_tar_gz_name_the_archive_and_member(tmp_path: Path, suffix: str, change,
                                                                 words: str) -> None:
    """A broken member of a .tar.gz is reported as ``<archive>: member <name>: ...``, never by the
    path of its unpacked copy in the cache (issue 6)."""
    from satview.errors import CORRUPT, SatviewError

    src = _demo_tar_gz_with(tmp_path, suffix, change)
    with pytest.raises(SatviewError) as err, open_scene(src) as s:
        s.read("SR_B4", dn=True)
    member = next(n for n in _member_names(src) if n.endswith(suffix))
    assert err.value.path == str(src)
    assert err.value.message.startswith(f"member {member}: ")
    assert words in err.value.message
    assert err.value.category == CORRUPT
    assert str(unpacked_dir(src).parent) not in str(err.value)


def _member_names(path: Path) -> list[str]:
    import tarfile

    with tarfile.open(path) as tf:
        return tf.getnames()


def test_footprint_is_computed_on_first_use_and_survives_pickling(real_data: Path) -> None:
    """Opening a scene in a fresh interpreter loads no shapely; the footprint appears when asked for,
    equal before and after pickling (the GUI gets SceneInfo from its reader process)."""
    import pickle
    import subprocess
    import sys

    path = real_data / "landsat-tarballs" / "LC09_L1TP_112081_20220209_20220209_02_T1.tar"
    code = ("import sys; from satview.core import open_scene; s = open_scene(sys.argv[1]); "
            "print('shapely' in sys.modules); fp = s.info.footprint; "
            "print('shapely' in sys.modules, fp.is_valid)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]
    with open_scene(path) as scene:
        copy = pickle.loads(pickle.dumps(scene.info))
        lon0, lat0, lon1, lat1 = scene.info.footprint.bounds
        assert copy.footprint.equals(scene.info.footprint) and copy == scene.info
    assert 110 < lon0 < lon1 < 120 and -40 < lat0 < lat1 < -25  # path 112 row 81: Western Australia


def test_product_id_dates() -> None:
    from satview.core.landsat.product_id import parse_product_id

    pid = parse_product_id("LC09_L1TP_112081_20220209_20220209_02_T1")
    assert pid is not None and pid.acquired == dt.date(2022, 2, 9)
    bad = parse_product_id("LC09_L1TP_112081_20220231_20220209_02_T1")  # 31 February
    assert bad is None or bad.acquired is None
