"""Tests for the Landsat metadata layer: ids, scene facts, band names/lists and calibration."""

from __future__ import annotations

import datetime as dt
import math
import tarfile
from pathlib import Path

import numpy as np
import pytest

from satview.core.landsat import (
    band_files,
    band_name_from_filename,
    describe_band,
    earth_sun_distance,
    landsat_info,
    parse_product_id,
)
from satview.core.mtl import find_mtl_name, parse_mtl
from satview.core.mtl_model import MTL

D = dt.date

# ------------------------------------------------------------------------------------------
# product ids


def test_parse_c2_product_id() -> None:
    p = parse_product_id("LC08_L2SP_140041_20130503_20190828_02_T1")
    assert p is not None
    assert (p.sensor_letter, p.spacecraft, p.sensor, p.level) == ("C", "LANDSAT_8", "OLI_TIRS", "L2SP")
    assert (p.wrs_path, p.wrs_row, p.collection, p.tier) == (140, 41, 2, "T1")
    assert (p.acquired, p.processed) == (D(2013, 5, 3), D(2019, 8, 28))


def test_parse_c1_product_id_in_file_name() -> None:
    p = parse_product_id("some/dir/LT05_L1GS_092091_19910506_20170126_01_T2_B4.TIF")
    assert p is not None
    assert p.product_id == "LT05_L1GS_092091_19910506_20170126_01_T2"
    assert (p.spacecraft, p.sensor, p.level, p.collection, p.tier) == ("LANDSAT_5", "TM", "L1GS", 1, "T2")
    assert p.acquired == D(1991, 5, 6)


@pytest.mark.parametrize(
    ("text", "spacecraft", "sensor", "path", "row", "acquired"),
    [
        ("LC80290302015343LGN00", "LANDSAT_8", "OLI_TIRS", 29, 30, D(2015, 12, 9)),
        ("LT52240631988227CUB02_B1.TIF", "LANDSAT_5", "TM", 224, 63, D(1988, 8, 14)),
        ("LM30520251978217PAC03", "LANDSAT_3", "MSS", 52, 25, D(1978, 8, 5)),
        ("tiny_LC80460282016177LGN00_B2.TIF", "LANDSAT_8", "OLI_TIRS", 46, 28, D(2016, 6, 25)),
        ("LE70690142004201EDC01", "LANDSAT_7", "ETM", 69, 14, D(2004, 7, 19)),
    ],
)
def test_parse_scene_id(text: str, spacecraft: str, sensor: str, path: int, row: int, acquired: D) -> None:
    p = parse_product_id(text)
    assert p is not None
    assert (p.spacecraft, p.sensor, p.wrs_path, p.wrs_row, p.acquired) == (
        spacecraft,
        sensor,
        path,
        row,
        acquired,
    )
    assert (p.collection, p.level, p.tier, p.processed) == (0, None, None, None)


@pytest.mark.parametrize(
    "text", ["", "hello", "LC08_L1TP_140041_20131399_20190828_02_T1", "LC80290302015999LGN00", None]
)
def test_parse_product_id_rejects(text: str | None) -> None:
    assert parse_product_id(text) is None


def test_tirs_only_letter() -> None:
    p = parse_product_id("LT08_L1GT_029030_20151209_20160131_01_RT")
    assert p is not None and p.sensor == "TIRS" and p.tier == "RT"


# ------------------------------------------------------------------------------------------
# scene facts for every real MTL (values read off the files by eye)

M, S, T = "landsat-mtl/", "landsat-scenes/", "tar:"
#: Two lines per real file: its key (landsat-mtl/, landsat-scenes/ or tar: + a tarball name), then
#: product_id, spacecraft, sensor, collection, level, WRS path, row, acquisition date.
_EXPECTED_TABLE = """
landsat-mtl/LC08_L1TP_193024_20180824_20200831_02_T1_MTL.txt
    LC08_L1TP_193024_20180824_20200831_02_T1  LANDSAT_8  OLI_TIRS  2  L1TP     193  24  2018-08-24
landsat-mtl/LC08_L1TP_195025_20130707_20170503_01_T1_MTL.txt
    LC08_L1TP_195025_20130707_20170503_01_T1  LANDSAT_8  OLI_TIRS  1  L1TP     195  25  2013-07-07
landsat-mtl/LC80100202015018LGN00_MTL.json
    LC80100202015018LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      10   20  2015-01-18
landsat-mtl/LC80100202015018LGN00_MTL.txt
    LC80100202015018LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      10   20  2015-01-18
landsat-mtl/LC80430302016140LGN00_MTL.json
    LC80430302016140LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      43   30  2016-05-19
landsat-mtl/LC80980762015235LGN00.xml
    LC80980762015235LGN00                     LANDSAT_8  OLI_TIRS  0  unknown  98   76  2015-08-23
landsat-mtl/LC81060712016134LGN00_MTL.json
    LC81060712016134LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      106  71  2016-05-13
landsat-mtl/LC81060712016134LGN00_MTL.txt
    LC81060712016134LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      106  71  2016-05-13
landsat-mtl/LC82290902015304LGN00_MTL.json
    LC82290902015304LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      229  90  2015-10-31
landsat-mtl/LE07_L1TP_160031_20110416_20161210_01_T1.xml
    LE07_L1TP_160031_20110416_20161210_01_T1  LANDSAT_7  ETM       1  L1TP     160  31  2011-04-16
landsat-mtl/LE07_L1TP_160031_20110416_20161210_01_T1_MTL.TXT
    LE07_L1TP_160031_20110416_20161210_01_T1  LANDSAT_7  ETM       1  L1TP     160  31  2011-04-16
landsat-mtl/LM50490251987214PAC00_MTL.txt
    LM50490251987214PAC00                     LANDSAT_5  MSS       0  L1T      49   25  1987-08-02
landsat-mtl/LT05_L1TP_047027_20101006_20160512_01_T1_MTL.txt
    LT05_L1TP_047027_20101006_20160512_01_T1  LANDSAT_5  TM        1  L1TP     47   27  2010-10-06
landsat-mtl/mss_MTL.txt
    LM30520251978217PAC03                     LANDSAT_3  MSS       0  L1T      52   25  1978-08-05
landsat-mtl/mtltest_v2_LC08_L1TP_188018_20200927_20201005_02_T1_MTL.txt
    LC08_L1TP_188018_20200927_20201005_02_T1  LANDSAT_8  OLI_TIRS  2  L1TP     188  18  2020-09-27
landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2/LC08_L1GT_089074_20220506_20220512_02_T2_MTL.txt
    LC08_L1GT_089074_20220506_20220512_02_T2  LANDSAT_8  OLI_TIRS  2  L1GT     89   74  2022-05-06
landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2/LC08_L1GT_089074_20220506_20220512_02_T2_MTL.json
    LC08_L1GT_089074_20220506_20220512_02_T2  LANDSAT_8  OLI_TIRS  2  L1GT     89   74  2022-05-06
landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2/LC08_L1GT_089074_20220506_20220512_02_T2_MTL.xml
    LC08_L1GT_089074_20220506_20220512_02_T2  LANDSAT_8  OLI_TIRS  2  L1GT     89   74  2022-05-06
landsat-scenes/LC08_L1TP_090084_20160121_20170405_01_T1/LC08_L1TP_090084_20160121_20170405_01_T1_MTL.txt
    LC08_L1TP_090084_20160121_20170405_01_T1  LANDSAT_8  OLI_TIRS  1  L1TP     90   84  2016-01-21
landsat-scenes/LC08_L1TP_090084_20160121_20200907_02_T1/LC08_L1TP_090084_20160121_20200907_02_T1_MTL.txt
    LC08_L1TP_090084_20160121_20200907_02_T1  LANDSAT_8  OLI_TIRS  2  L1TP     90   84  2016-01-21
landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.txt
    LC08_L2SP_098084_20210503_20210508_02_T1  LANDSAT_8  OLI_TIRS  2  L2SP     98   84  2021-05-03
landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.xml
    LC08_L2SP_098084_20210503_20210508_02_T1  LANDSAT_8  OLI_TIRS  2  L2SP     98   84  2021-05-03
landsat-scenes/LC80460282016177LGN00/LC80460282016177LGN00_MTL.json
    LC80460282016177LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      46   28  2016-06-25
landsat-scenes/LC81390452014295LGN00/LC81390452014295LGN00_MTL.json
    LC81390452014295LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      139  45  2014-10-22
landsat-scenes/LC8_test/LC8_test_MTL.txt
    LC80690152013153LGN00                     LANDSAT_8  OLI_TIRS  0  L1T      69   15  2013-06-02
landsat-scenes/LE07_L1TP_107068_20220310_20220405_02_T1/LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt
    LE07_L1TP_107068_20220310_20220405_02_T1  LANDSAT_7  ETM       2  L1TP     107  68  2022-03-10
landsat-scenes/LE07_L1TP_107068_20220310_20220405_02_T1/LE07_L1TP_107068_20220310_20220405_02_T1_MTL.json
    LE07_L1TP_107068_20220310_20220405_02_T1  LANDSAT_7  ETM       2  L1TP     107  68  2022-03-10
landsat-scenes/LE07_L1TP_107068_20220310_20220405_02_T1/LE07_L1TP_107068_20220310_20220405_02_T1_MTL.xml
    LE07_L1TP_107068_20220310_20220405_02_T1  LANDSAT_7  ETM       2  L1TP     107  68  2022-03-10
landsat-scenes/LE07_L2SP_090084_20210331_20210426_02_T1/LE07_L2SP_090084_20210331_20210426_02_T1_MTL.txt
    LE07_L2SP_090084_20210331_20210426_02_T1  LANDSAT_7  ETM       2  L2SP     90   84  2021-03-31
landsat-scenes/LE07_L2SP_090084_20210331_20210426_02_T1/LE07_L2SP_090084_20210331_20210426_02_T1_MTL.xml
    LE07_L2SP_090084_20210331_20210426_02_T1  LANDSAT_7  ETM       2  L2SP     90   84  2021-03-31
landsat-scenes/LT05_L1GS_092091_19910506_20170126_01_T2/LT05_L1GS_092091_19910506_20170126_01_T2_MTL.txt
    LT05_L1GS_092091_19910506_20170126_01_T2  LANDSAT_5  TM        1  L1GS     92   91  1991-05-06
landsat-scenes/LT52240631988227CUB02/LT52240631988227CUB02_MTL.txt
    LT52240631988227CUB02                     LANDSAT_5  TM        0  L1T      224  63  1988-08-14
tar:LC08_L1TP_090084_20160121_20170405_01_T1.tar.gz
    LC08_L1TP_090084_20160121_20170405_01_T1  LANDSAT_8  OLI_TIRS  1  L1TP     90   84  2016-01-21
tar:LC08_L1TP_091075_20161213_20170316_01_T2.tar.gz
    LC08_L1TP_091075_20161213_20170316_01_T2  LANDSAT_8  OLI_TIRS  1  L1TP     91   75  2016-12-13
tar:LC09_L1TP_112081_20220209_20220209_02_T1.tar
    LC09_L1TP_112081_20220209_20220209_02_T1  LANDSAT_9  OLI_TIRS  2  L1TP     112  81  2022-02-09
tar:LE07_L1GT_091080_20080114_20161231_01_T2.tar.gz
    LE07_L1GT_091080_20080114_20161231_01_T2  LANDSAT_7  ETM       1  L1GT     91   80  2008-01-14
tar:LE07_L1GT_104078_20131209_20161119_01_T2.tar.gz
    LE07_L1GT_104078_20131209_20161119_01_T2  LANDSAT_7  ETM       1  L1GT     104  78  2013-12-09
tar:LE07_L1TP_104078_20130429_20161124_01_T1.tar
    LE07_L1TP_104078_20130429_20161124_01_T1  LANDSAT_7  ETM       1  L1TP     104  78  2013-04-29
tar:LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz
    LT05_L1GS_092091_19910506_20170126_01_T2  LANDSAT_5  TM        1  L1GS     92   91  1991-05-06
"""


def _expected_facts(line: str) -> tuple[str, str, str, int, str, int, int, D]:
    pid, spacecraft, sensor, coll, level, path, row, acquired = line.split()
    return pid, spacecraft, sensor, int(coll), level, int(path), int(row), D.fromisoformat(acquired)


_LINES = _EXPECTED_TABLE.strip().splitlines()
EXPECTED = {key: _expected_facts(facts) for key, facts in zip(_LINES[::2], _LINES[1::2], strict=True)}


def _load(real_data: Path, key: str) -> MTL:
    if key.startswith(T):
        with tarfile.open(real_data / "landsat-tarballs" / key[len(T) :], mode="r:*") as tar:
            name = find_mtl_name(tar.getnames())
            assert name is not None
            member = tar.extractfile(name)
            assert member is not None
            return parse_mtl(member.read(), name=name)
    return parse_mtl(real_data / key)


def test_every_real_mtl_is_covered(real_data: Path) -> None:
    found = {f"{M}{p.name}" for p in (real_data / "landsat-mtl").iterdir()}
    found |= {
        f"{S}{p.parent.name}/{p.name}"
        for p in (real_data / "landsat-scenes").glob("*/*")
        if "_MTL" in p.name.upper()
    }
    found |= {f"{T}{p.name}" for p in (real_data / "landsat-tarballs").iterdir()}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_landsat_info_real(real_data: Path, key: str) -> None:
    mtl = _load(real_data, key)
    info = landsat_info(mtl)
    product_id, spacecraft, sensor, collection, level, path, row, acquired = EXPECTED[key]
    assert info.product_id == product_id
    assert info.spacecraft == spacecraft
    assert info.sensor == sensor
    assert info.collection == collection
    assert info.level == level
    assert (info.wrs_path, info.wrs_row) == (path, row)
    assert info.acquired == acquired
    assert info.sun_elevation is not None and 0 < info.sun_elevation < 90
    assert info.sun_azimuth is not None and 0 <= info.sun_azimuth <= 360
    assert info.earth_sun_distance is not None and 0.98 < info.earth_sun_distance < 1.02
    assert info.utm_zone is not None and 1 <= info.utm_zone <= 60
    if collection > 0:
        assert info.tier in ("T1", "T2", "RT")
        assert info.processed is not None and info.processed >= acquired
    else:
        assert info.tier is None
    if not key.endswith(".xml") or "LANDSAT_METADATA_FILE" in mtl.root:
        assert info.cloud_cover is not None and 0 <= info.cloud_cover <= 100
    files = band_files(mtl)
    if mtl.format != "espa":
        assert files, "an MTL lists its band files"
        assert all(band_name_from_filename(f) == n for n, f in files.items())


def test_landsat_info_details(real_data: Path) -> None:
    info = landsat_info(
        _load(
            real_data,
            S + "LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.txt",
        )
    )
    assert info.scene_id == "LC80980842021123LGN00"
    assert info.tier == "T1"
    assert info.processed == D(2021, 5, 8)
    assert info.cloud_cover == pytest.approx(72.57)
    assert info.cloud_cover_land == pytest.approx(72.81)
    assert info.sun_elevation == pytest.approx(31.26373068)
    assert info.sun_azimuth == pytest.approx(36.55514901)
    assert info.earth_sun_distance == pytest.approx(1.0080288)
    assert info.utm_zone == 53
    assert info.scene_center_time == "00:39:15.7182959Z"


def test_earth_sun_distance_computed_when_missing(real_data: Path) -> None:
    info = landsat_info(_load(real_data, S + "LT52240631988227CUB02/LT52240631988227CUB02_MTL.txt"))
    # 14 August (DOY 227): the Earth is about 1.0128 AU from the Sun (published tables: 1.01286)
    assert info.earth_sun_distance == pytest.approx(1.0128, abs=3e-4)
    assert info.scene_id == "LT52240631988227CUB02"
    assert info.processed == D(2014, 4, 19)
    # near perihelion / aphelion
    assert earth_sun_distance(D(2021, 1, 4)) == pytest.approx(0.9833, abs=3e-4)
    assert earth_sun_distance(D(2021, 7, 4)) == pytest.approx(1.0167, abs=3e-4)


# ------------------------------------------------------------------------------------------
# band names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LC08_L1TP_193024_20180824_20200831_02_T1_B4.TIF", "B4"),
        ("lc08_l1tp_193024_20180824_20200831_02_t1_b4.tif", "B4"),
        ("folder/sub/LC08_L1TP_193024_20180824_20200831_02_T1_B10.TIF", "B10"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_SR_B4.TIF", "SR_B4"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_ST_B10.TIF", "ST_B10"),
        ("LE07_L2SP_090084_20210331_20210426_02_T1_ST_B6.TIF", "ST_B6"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_ST_QA.TIF", "ST_QA"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_ST_TRAD.TIF", "ST_TRAD"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_ST_ATRAN.TIF", "ST_ATRAN"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_ST_CDIST.TIF", "ST_CDIST"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_QA_PIXEL.TIF", "QA_PIXEL"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_QA_RADSAT.TIF", "QA_RADSAT"),
        ("LC08_L2SP_098084_20210503_20210508_02_T1_SR_QA_AEROSOL.TIF", "SR_QA_AEROSOL"),
        ("LE07_L2SP_090084_20210331_20210426_02_T1_SR_CLOUD_QA.TIF", "SR_CLOUD_QA"),
        ("LE07_L2SP_090084_20210331_20210426_02_T1_SR_ATMOS_OPACITY.TIF", "SR_ATMOS_OPACITY"),
        ("LT05_L1GS_092091_19910506_20170126_01_T2_BQA.TIF", "BQA"),
        ("LE07_L1TP_107068_20220310_20220405_02_T1_B6_VCID_1.TIF", "B6_VCID_1"),
        ("LE07_L1TP_107068_20220310_20220405_02_T1_B6_VCID_2.TIF", "B6_VCID_2"),
        ("LC08_L1GT_089074_20220506_20220512_02_T2_SAA.TIF", "SAA"),
        ("LC08_L1GT_089074_20220506_20220512_02_T2_SZA.TIF", "SZA"),
        ("LC08_L1GT_089074_20220506_20220512_02_T2_VAA.TIF", "VAA"),
        ("LC08_L1GT_089074_20220506_20220512_02_T2_VZA.TIF", "VZA"),
        ("LC08_X_VAA_B04.TIF", "VAA_B04"),
        ("LT52240631988227CUB02_B1.TIF", "B1"),
        ("tiny_LC80460282016177LGN00_B2.TIF", "B2"),
        ("LC8_test_B1_clip.TIF", "B1"),
        ("LC8_test_B10_clip.TIF", "B10"),
        ("L71069014_01420040719_B61.TIF", "B6_VCID_1"),
        ("L5045029_02920060830_B30.TIF", "B3"),
        ("gap_mask/LE07_L1GT_091080_20080114_20161231_01_T2_GM_B1.TIF", None),
        ("LE07_L1TP_107068_20220310_20220405_02_T1_GM_B6_VCID_1.TIF", None),
        ("LC08_L1TP_193024_20180824_20200831_02_T1_MTL.txt", None),
        ("LC08_L1TP_193024_20180824_20200831_02_T1_ANG.txt", None),
        ("LC08_L1TP_091075_20161213_20170316_01_T2.tif", None),
        ("LC08_L1TP_091075_20161213_20170316_01_T2_QB.tif", None),
        ("LC08_L1TP_091075_20161213_20170316_01_T2_TIR.tif", None),
        ("LC08_L1TP_091075_20161213_20170316_01_T2.tif.msk", None),
        ("LC08_L1TP_091075_20161213_20170316_01_T2_B4.jpeg", None),
        ("README.GTF", None),
        ("._LC08_L1TP_193024_20180824_20200831_02_T1_B4.TIF", None),
        ("", None),
    ],
)
def test_band_name_from_filename(name: str, expected: str | None) -> None:
    assert band_name_from_filename(name) == expected


def test_band_files_order_and_l2_product_contents(real_data: Path) -> None:
    l2 = band_files(
        _load(
            real_data,
            S + "LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.txt",
        )
    )
    assert list(l2)[:9] == [
        "SR_B1",
        "SR_B2",
        "SR_B3",
        "SR_B4",
        "SR_B5",
        "SR_B6",
        "SR_B7",
        "ST_B10",
        "QA_PIXEL",
    ]
    assert "B4" not in l2  # the Level-1 files of LEVEL1_PROCESSING_RECORD are not in the product
    assert l2["SR_QA_AEROSOL"].endswith("_SR_QA_AEROSOL.TIF")
    assert set(list(l2)[-8:]) == {
        "ST_TRAD",
        "ST_URAD",
        "ST_DRAD",
        "ST_ATRAN",
        "ST_EMIS",
        "ST_EMSD",
        "ST_CDIST",
        "ST_QA",
    }
    l1 = band_files(
        _load(
            real_data,
            S + "LE07_L1TP_107068_20220310_20220405_02_T1/LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt",
        )
    )
    assert list(l1) == [
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "B7",
        "B8",
        "B6_VCID_1",
        "B6_VCID_2",
        "QA_PIXEL",
        "QA_RADSAT",
        "SAA",
        "SZA",
        "VAA",
        "VZA",
    ]
    c1 = band_files(_load(real_data, M + "LT05_L1TP_047027_20101006_20160512_01_T1_MTL.txt"))
    assert list(c1) == ["B1", "B2", "B3", "B4", "B5", "B7", "B6", "BQA"]
    mss = band_files(_load(real_data, M + "mss_MTL.txt"))
    assert list(mss) == ["B4", "B5", "B6", "B7"]
    oli = band_files(_load(real_data, T + "LC09_L1TP_112081_20220209_20220209_02_T1.tar"))
    assert list(oli) == [
        "B1",
        "B2",
        "B3",
        "B4",
        "B5",
        "B6",
        "B7",
        "B9",
        "B8",
        "B10",
        "B11",
        "QA_PIXEL",
        "QA_RADSAT",
        "SAA",
        "SZA",
        "VAA",
        "VZA",
    ]


def test_band_files_agree_with_tarball_members(real_data: Path) -> None:
    for tarball in sorted((real_data / "landsat-tarballs").iterdir()):
        with tarfile.open(tarball, mode="r:*") as tar:
            names = tar.getnames()
        from_members = {n for n in (band_name_from_filename(x) for x in names) if n}
        from_mtl = set(band_files(_load(real_data, T + tarball.name)))
        assert from_members == from_mtl, tarball.name


# ------------------------------------------------------------------------------------------
# calibration, checked against values read by eye from the MTL files


def _sin(deg: float) -> float:
    return math.sin(math.radians(deg))


def test_c2_l1_reflectance_and_brightness_temperature(real_data: Path) -> None:
    mtl = _load(real_data, M + "LC08_L1TP_193024_20180824_20200831_02_T1_MTL.txt")
    info = landsat_info(mtl)
    b4 = describe_band(info, mtl, "B4")
    # REFLECTANCE_MULT_BAND_4 = 2.0000E-05, REFLECTANCE_ADD_BAND_4 = -0.100000, SUN_ELEVATION = 47.03107233
    expected = (2.0e-5 * 10000 - 0.1) / _sin(47.03107233)
    assert b4.calibration.kind == "linear"
    assert b4.calibration.quantity == "TOA reflectance"
    assert b4.calibration.unit == ""
    assert b4.calibration.scale == pytest.approx(2.0e-5 / _sin(47.03107233), rel=1e-12)
    assert b4.calibration.offset == pytest.approx(-0.1 / _sin(47.03107233), rel=1e-12)
    assert b4.calibration.apply_scalar(10000) == pytest.approx(expected, rel=1e-5)
    assert (b4.common_name, b4.wavelength, b4.resolution, b4.role) == ("Red", (0.64, 0.67), 30, "reflective")
    assert b4.nodata == 0 and not b4.categorical and b4.qa is None
    assert b4.description == "Red (0.64-0.67 µm), TOA reflectance"
    assert b4.dtype == "uint16"
    # RADIANCE_MULT_BAND_10 = 3.3420E-04, RADIANCE_ADD_BAND_10 = 0.10000, K1 774.8853, K2 1321.0789
    b10 = describe_band(info, mtl, "B10")
    radiance = 3.342e-4 * 30000 + 0.1
    bt = 1321.0789 / math.log(774.8853 / radiance + 1)
    assert b10.calibration.kind == "brightness_temperature"
    assert b10.calibration.unit == "K"
    assert (b10.calibration.k1, b10.calibration.k2) == (774.8853, 1321.0789)
    assert b10.calibration.apply_scalar(30000) == pytest.approx(bt, rel=1e-5)
    assert 250 < bt < 320
    assert (b10.common_name, b10.role, b10.resolution) == ("TIR 1", "thermal", 100)
    pan = describe_band(info, mtl, "B8")
    assert (pan.role, pan.resolution, pan.common_name) == ("pan", 15, "Pan")
    assert pan.calibration.quantity == "TOA reflectance"
    assert describe_band(info, mtl, "B9").common_name == "Cirrus"
    assert describe_band(info, mtl, "b4") == b4


def test_c2_l2_surface_reflectance_and_temperature(real_data: Path) -> None:
    mtl = _load(
        real_data,
        S + "LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.txt",
    )
    info = landsat_info(mtl)
    sr = describe_band(info, mtl, "SR_B4")
    assert (sr.calibration.kind, sr.calibration.scale, sr.calibration.offset) == ("linear", 2.75e-05, -0.2)
    assert sr.calibration.quantity == "surface reflectance" and sr.calibration.unit == ""
    # USGS worked example: DN 18639 -> 18639 * 2.75e-5 - 0.2 = 0.3125725
    assert sr.calibration.apply_scalar(18639) == pytest.approx(0.3125725, rel=1e-5)
    assert sr.nodata == 0 and sr.role == "reflective" and sr.common_name == "Red"
    assert sr.description == "Red (0.64-0.67 µm), surface reflectance"
    st = describe_band(info, mtl, "ST_B10")
    assert (st.calibration.scale, st.calibration.offset, st.calibration.unit) == (0.00341802, 149.0, "K")
    # USGS worked example: DN 44947 -> 44947 * 0.00341802 + 149 = 302.6297 K ("302.6 K")
    assert st.calibration.apply_scalar(44947) == pytest.approx(44947 * 0.00341802 + 149.0, rel=1e-6)
    assert st.calibration.apply_scalar(44947) == pytest.approx(302.6297, abs=1e-3)
    assert st.role == "thermal" and st.nodata == 0
    # group awareness: the same file's Level-1 REFLECTANCE_MULT_BAND_4 (2.0E-05) is for B4 only
    b4 = describe_band(info, mtl, "B4")
    assert b4.calibration.scale == pytest.approx(2.0e-5 / _sin(31.26373068), rel=1e-12)
    assert b4.calibration.offset == pytest.approx(-0.1 / _sin(31.26373068), rel=1e-12)
    b10 = describe_band(info, mtl, "B10")
    assert b10.calibration.kind == "brightness_temperature" and b10.calibration.k1 == 774.8853


def test_l2_helper_layers_and_qa(real_data: Path) -> None:
    mtl = _load(
        real_data,
        S + "LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL.txt",
    )
    info = landsat_info(mtl)
    st_qa = describe_band(info, mtl, "ST_QA")
    assert (st_qa.role, st_qa.categorical, st_qa.calibration.scale, st_qa.calibration.unit) == (
        "auxiliary",
        False,
        0.01,
        "K",
    )
    assert st_qa.nodata == -9999 and st_qa.dtype == "int16"
    for name, scale in [
        ("ST_ATRAN", 1e-4),
        ("ST_EMIS", 1e-4),
        ("ST_EMSD", 1e-4),
        ("ST_CDIST", 0.01),
        ("ST_DRAD", 1e-3),
        ("ST_URAD", 1e-3),
        ("ST_TRAD", 1e-3),
    ]:
        d = describe_band(info, mtl, name)
        assert (d.role, d.calibration.kind, d.calibration.scale) == ("auxiliary", "linear", scale), name
    assert describe_band(info, mtl, "ST_CDIST").calibration.unit == "km"
    qa = describe_band(info, mtl, "QA_PIXEL")
    assert (qa.role, qa.categorical, qa.qa, qa.nodata, qa.calibration.kind) == (
        "qa",
        True,
        "c2_qa_pixel",
        None,
        "none",
    )
    radsat = describe_band(info, mtl, "QA_RADSAT")
    assert (radsat.categorical, radsat.qa) == (True, "c2_qa_radsat")
    aerosol = describe_band(info, mtl, "SR_QA_AEROSOL")
    assert (aerosol.role, aerosol.categorical, aerosol.qa, aerosol.dtype) == (
        "qa",
        True,
        "c2_sr_qa_aerosol",
        "uint8",
    )
    unknown = describe_band(info, mtl, "SOMETHING")
    assert (unknown.role, unknown.calibration.kind, unknown.categorical) == ("auxiliary", "none", False)


def test_etm_c2_thermal_angles_and_radsat(real_data: Path) -> None:
    mtl = _load(
        real_data,
        S + "LE07_L1TP_107068_20220310_20220405_02_T1/LE07_L1TP_107068_20220310_20220405_02_T1_MTL.txt",
    )
    info = landsat_info(mtl)
    b6 = describe_band(info, mtl, "B6_VCID_1")
    # RADIANCE_MULT_BAND_6_VCID_1 = 6.7087E-02, ADD = -0.06709, K1 666.09, K2 1282.71
    assert (b6.calibration.scale, b6.calibration.offset) == (6.7087e-02, -0.06709)
    assert (b6.calibration.k1, b6.calibration.k2) == (666.09, 1282.71)
    radiance = 6.7087e-02 * 150 - 0.06709
    assert b6.calibration.apply_scalar(150) == pytest.approx(
        1282.71 / math.log(666.09 / radiance + 1), rel=1e-5
    )
    assert (b6.common_name, b6.resolution, b6.role) == ("TIR", 60, "thermal")
    assert "low gain" in b6.description
    b3 = describe_band(info, mtl, "B3")
    # REFLECTANCE_MULT_BAND_3 = 1.2628E-03, ADD = -0.011419, SUN_ELEVATION = 39.03303120
    assert b3.calibration.apply_scalar(100) == pytest.approx(
        (1.2628e-3 * 100 - 0.011419) / _sin(39.0330312), rel=1e-5
    )
    assert b3.dtype == "uint8"
    pan = describe_band(info, mtl, "B8")
    assert (pan.common_name, pan.wavelength, pan.resolution) == ("Pan", (0.52, 0.90), 15)
    sza = describe_band(info, mtl, "SZA")
    assert (sza.role, sza.calibration.scale, sza.calibration.unit, sza.dtype) == (
        "angle",
        0.01,
        "deg",
        "int16",
    )
    assert sza.calibration.apply_scalar(4500) == pytest.approx(45.0)
    assert describe_band(info, mtl, "QA_RADSAT").qa == "c2_qa_radsat_tm_etm"


def test_c1_bqa_and_tm_thermal(real_data: Path) -> None:
    mtl = _load(real_data, M + "LT05_L1TP_047027_20101006_20160512_01_T1_MTL.txt")
    info = landsat_info(mtl)
    bqa = describe_band(info, mtl, "BQA")
    assert (bqa.categorical, bqa.qa, bqa.role) == (True, "c1_bqa_tm_etm", "qa")
    b6 = describe_band(info, mtl, "B6")
    assert (b6.calibration.k1, b6.calibration.k2) == (607.76, 1260.56)
    assert b6.resolution == 120
    oli = _load(
        real_data,
        S + "LC08_L1TP_090084_20160121_20170405_01_T1/LC08_L1TP_090084_20160121_20170405_01_T1_MTL.txt",
    )
    assert describe_band(landsat_info(oli), oli, "BQA").qa == "c1_bqa"


def test_pre_collection_tm_reflectance_via_esun(real_data: Path) -> None:
    mtl = _load(real_data, S + "LT52240631988227CUB02/LT52240631988227CUB02_MTL.txt")
    info = landsat_info(mtl)
    b3 = describe_band(info, mtl, "B3")
    # RADIANCE_MULT_BAND_3 = 1.044, RADIANCE_ADD_BAND_3 = -2.21398, SUN_ELEVATION = 49.75588889,
    # ESUN(L5 TM B3) = 1536 (Chander et al. 2009), d from DOY 227 (no EARTH_SUN_DISTANCE in the file)
    d = 1 - 0.01672 * math.cos(math.radians(0.9856 * (227 - 4)))
    radiance = 1.044 * 100 - 2.21398
    expected = math.pi * radiance * d * d / (1536 * _sin(49.75588889))
    assert b3.calibration.kind == "linear" and b3.calibration.quantity == "TOA reflectance"
    assert b3.calibration.apply_scalar(100) == pytest.approx(expected, rel=1e-5)
    assert 0.1 < expected < 0.4
    assert b3.notes  # says that ESUN was used
    # no K1/K2 in this MTL: published L5 TM constants
    b6 = describe_band(info, mtl, "B6")
    assert (b6.calibration.kind, b6.calibration.k1, b6.calibration.k2) == (
        "brightness_temperature",
        607.76,
        1260.56,
    )
    radiance6 = 0.055 * 130 + 1.18243
    assert b6.calibration.apply_scalar(130) == pytest.approx(
        1260.56 / math.log(607.76 / radiance6 + 1), rel=1e-5
    )


def test_mss_bands(real_data: Path) -> None:
    l3 = _load(real_data, M + "mss_MTL.txt")
    info3 = landsat_info(l3)
    b5 = describe_band(info3, l3, "B5")
    assert (b5.common_name, b5.wavelength, b5.resolution) == ("Red", (0.6, 0.7), 60)
    # REFLECTANCE_MULT_BAND_5 = 1.2934E-03, ADD = 0.004406, SUN_ELEVATION = 50.13406900
    assert b5.calibration.apply_scalar(100) == pytest.approx(
        (1.2934e-3 * 100 + 0.004406) / _sin(50.134069), rel=1e-5
    )
    assert describe_band(info3, l3, "B7").common_name == "NIR 2"
    l5 = _load(real_data, M + "LM50490251987214PAC00_MTL.txt")
    info5 = landsat_info(l5)
    b2 = describe_band(info5, l5, "B2")
    assert b2.common_name == "Red"
    # no reflectance coefficients: RADIANCE_MULT_BAND_2 = 0.633, ADD = 2.06654, ESUN(L5 MSS B2) = 1570
    d = 1 - 0.01672 * math.cos(math.radians(0.9856 * (214 - 4)))
    expected = math.pi * (0.633 * 80 + 2.06654) * d * d / (1570 * _sin(50.9907483))
    assert b2.calibration.apply_scalar(80) == pytest.approx(expected, rel=1e-5)


def test_zero_thermal_gain_falls_back(real_data: Path) -> None:
    mtl = _load(real_data, M + "LC80100202015018LGN00_MTL.json")
    info = landsat_info(mtl)
    b10 = describe_band(info, mtl, "B10")  # RADIANCE_MULT_BAND_10 is 0.0 in this file
    assert b10.calibration.kind == "brightness_temperature"
    assert b10.calibration.scale == pytest.approx(3.342e-4)
    assert b10.notes
    value = b10.calibration.apply(np.array([25000], dtype=np.uint16))[0]
    assert 250 < value < 320


def test_c2_l2_etm_surface_temperature(real_data: Path) -> None:
    mtl = _load(
        real_data,
        S + "LE07_L2SP_090084_20210331_20210426_02_T1/LE07_L2SP_090084_20210331_20210426_02_T1_MTL.txt",
    )
    info = landsat_info(mtl)
    st = describe_band(info, mtl, "ST_B6")
    assert (st.calibration.scale, st.calibration.offset, st.calibration.unit) == (0.00341802, 149.0, "K")
    cloud = describe_band(info, mtl, "SR_CLOUD_QA")
    assert (cloud.categorical, cloud.qa, cloud.dtype) == (True, "c2_sr_cloud_qa", "uint8")
    opacity = describe_band(info, mtl, "SR_ATMOS_OPACITY")
    assert (opacity.role, opacity.calibration.scale, opacity.categorical) == ("auxiliary", 0.001, False)
