"""Tests for the MTL parser: formats, value types, group-aware lookups, damaged input, MTL picking."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from satview.core.mtl import find_mtl_name, parse_mtl
from satview.core.mtl_model import MTL
from satview.errors import MetadataError

L1GT = "landsat-scenes/LC08_L1GT_089074_20220506_20220512_02_T2/LC08_L1GT_089074_20220506_20220512_02_T2_MTL"
L2SP = "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1/LC08_L2SP_098084_20210503_20210508_02_T1_MTL"

SMALL_ODL = b"""GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    LANDSAT_PRODUCT_ID = "LC08_L1TP_193024_20180824_20200831_02_T1"
    COLLECTION_NUMBER = 02
    FILE_NAME_BAND_1 = "LC08_L1TP_193024_20180824_20200831_02_T1_B1.TIF"
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    WRS_ROW = 024
    DATE_ACQUIRED = 2018-08-24
    SCENE_CENTER_TIME = "09:54:33.1519640Z"
    CLOUD_COVER = 93.82
    REQUEST_ID = "0101404185054"
    SUN_ELEVATION = 4.7031E+01
  END_GROUP = IMAGE_ATTRIBUTES
  GROUP = LEVEL1_RADIOMETRIC_RESCALING
    REFLECTANCE_MULT_BAND_4 = 2.0000E-05
  END_GROUP = LEVEL1_RADIOMETRIC_RESCALING
  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
    REFLECTANCE_MULT_BAND_4 = 2.75e-05
  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS
END_GROUP = LANDSAT_METADATA_FILE
END
"""


def test_values_and_types() -> None:
    mtl = parse_mtl(SMALL_ODL, name="small_MTL.txt")
    assert mtl.root == "LANDSAT_METADATA_FILE"
    assert mtl.format == "odl"
    assert mtl.source == "small_MTL.txt"
    assert mtl.warnings == []
    assert mtl.get("COLLECTION_NUMBER") == 2 and isinstance(mtl.get("COLLECTION_NUMBER"), int)
    assert mtl.get("WRS_ROW") == 24
    assert mtl.get("DATE_ACQUIRED") == "2018-08-24"
    assert mtl.get("SCENE_CENTER_TIME") == "09:54:33.1519640Z"
    assert mtl.get("CLOUD_COVER") == pytest.approx(93.82)
    assert mtl.get("SUN_ELEVATION") == pytest.approx(47.031)
    # quoted numbers stay strings
    assert mtl.get("REQUEST_ID") == "0101404185054"
    assert mtl.get("LANDSAT_PRODUCT_ID") == "LC08_L1TP_193024_20180824_20200831_02_T1"
    assert mtl.get("NOPE", default="x") == "x"
    assert "CLOUD_COVER" in mtl


def test_group_aware_lookup() -> None:
    mtl = parse_mtl(SMALL_ODL)
    # without a group: first in document order (the Level-1 group comes first here)
    assert mtl.get("REFLECTANCE_MULT_BAND_4") == pytest.approx(2.0e-5)
    assert mtl.get("REFLECTANCE_MULT_BAND_4", group="LEVEL2_SURFACE_REFLECTANCE_PARAMETERS") == pytest.approx(
        2.75e-5
    )
    assert mtl.get("REFLECTANCE_MULT_BAND_4", group="LEVEL1_RADIOMETRIC_RESCALING") == pytest.approx(2.0e-5)
    assert mtl.get("REFLECTANCE_MULT_BAND_4", group="IMAGE_ATTRIBUTES") is None
    assert mtl.get("REFLECTANCE_MULT_BAND_4", group="NO_SUCH_GROUP", default=-1) == -1
    group = mtl.group("IMAGE_ATTRIBUTES")
    assert group is not None and group["WRS_ROW"] == 24
    assert mtl.group("NOPE") is None
    items = mtl.items_in("PRODUCT_CONTENTS")
    assert list(items) == ["LANDSAT_PRODUCT_ID", "COLLECTION_NUMBER", "FILE_NAME_BAND_1"]
    items["X"] = 1  # a copy
    assert "X" not in mtl.items_in("PRODUCT_CONTENTS")
    assert mtl.items_in("NOPE") == {}
    assert mtl.group("LANDSAT_METADATA_FILE") is mtl.groups


def test_nested_groups_found_at_any_depth() -> None:
    text = (
        "GROUP = A\n GROUP = B\n  GROUP = C\n   K = 1\n  END_GROUP = C\n END_GROUP = B\n"
        " L = 2\nEND_GROUP = A\nEND\n"
    )
    mtl = parse_mtl(text)
    assert mtl.root == "A"
    assert mtl.get("K", group="C") == 1
    assert mtl.get("K", group="B") == 1
    assert mtl.get("L") == 2
    assert mtl.groups == {"B": {"C": {"K": 1}}, "L": 2}


def test_nul_padding_crlf_bom() -> None:
    data = b"\xef\xbb\xbf" + SMALL_ODL.replace(b"\n", b"\r\n") + b"\x00" * 5000
    mtl = parse_mtl(data)
    assert mtl.warnings == []
    assert mtl.get("WRS_ROW") == 24
    assert mtl.get("SCENE_CENTER_TIME") == "09:54:33.1519640Z"


def test_str_content_and_path(tmp_path: Path) -> None:
    p = tmp_path / "x_MTL.txt"
    p.write_bytes(SMALL_ODL)
    assert parse_mtl(p).source == str(p)
    assert parse_mtl(str(p)).get("WRS_ROW") == 24
    assert parse_mtl(SMALL_ODL.decode()).get("WRS_ROW") == 24


def test_multiline_values() -> None:
    text = 'GROUP = G\n  LIST = (1, 2,\n    3)\n  TEXT = "two\n  lines"\n  K = 5\nEND_GROUP = G\nEND\n'
    mtl = parse_mtl(text)
    assert mtl.get("LIST") == [1, 2, 3]
    assert mtl.get("TEXT") == "two lines"
    assert mtl.get("K") == 5


def test_truncated_gives_partial_parse_with_warning() -> None:
    cut = SMALL_ODL[: SMALL_ODL.index(b"CLOUD_COVER")]
    mtl = parse_mtl(cut, name="cut_MTL.txt")
    assert mtl.get("WRS_ROW") == 24
    assert mtl.get("CLOUD_COVER") is None
    assert any("truncated" in w for w in mtl.warnings)


def test_mismatched_end_group_warns() -> None:
    text = "GROUP = A\n GROUP = B\n  K = 1\n END_GROUP = X\n END_GROUP = B\nEND_GROUP = A\nEND\n"
    mtl = parse_mtl(text)
    assert mtl.get("K", group="B") == 1
    assert any("END_GROUP = X" in w for w in mtl.warnings)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"hello world\nthis is not metadata\n",
        b"{}",
        b"[1, 2]",
        b"<",
        b"<html><body>nope</body></html>",
        b'{"a": {"b": 1}}',
        b"\x00\x00\x00",
    ],
)
def test_garbage_raises_metadata_error(data: bytes) -> None:
    with pytest.raises(MetadataError) as err:
        parse_mtl(data, name="junk_MTL.txt")
    assert err.value.path == "junk_MTL.txt"
    assert "junk_MTL.txt" in str(err.value)


def test_missing_file_raises_metadata_error(tmp_path: Path) -> None:
    with pytest.raises(MetadataError):
        parse_mtl(tmp_path / "missing_MTL.txt")
    with pytest.raises(MetadataError) as err:
        parse_mtl(str(tmp_path / "missing_MTL.txt"))
    assert "missing_MTL.txt" in str(err.value)


def test_non_mtl_key_value_text_is_rejected() -> None:
    with pytest.raises(MetadataError):
        parse_mtl("x = 1\ny = 2\n")
    with pytest.raises(MetadataError):
        parse_mtl(b"[" * 5000)


@pytest.mark.parametrize(
    "data",
    [
        b"GROUP = G\n WRS_ROW = 2\nEND_GROUP = G\n" + b"GROUP = A_B\n" * 3000 + b"WRS_PATH = 1\n",
        b"<LANDSAT_METADATA_FILE><G><WRS_ROW>2</WRS_ROW></G>" + b"<A_B>" * 3000 + b"<WRS_PATH>1",
    ],
)
def test_absurd_nesting_is_bounded(data: bytes) -> None:
    mtl = parse_mtl(data)
    assert mtl.warnings
    assert mtl.get("WRS_ROW") == 2
    assert mtl.get("WRS_PATH") is None  # too deep: dropped, but lookups do not blow the stack
    assert mtl.group("NOPE") is None


def test_json_and_xml_content() -> None:
    j = parse_mtl(b'{"LANDSAT_METADATA_FILE": {"PRODUCT_CONTENTS": {"COLLECTION_NUMBER": "02", "X": "a"}}}')
    assert j.format == "json" and j.root == "LANDSAT_METADATA_FILE"
    assert j.get("COLLECTION_NUMBER") == 2 and j.get("X") == "a"
    x = parse_mtl(
        b"<?xml version='1.0'?><LANDSAT_METADATA_FILE><G><WRS_ROW>068</WRS_ROW></G></LANDSAT_METADATA_FILE>"
    )
    assert x.format == "xml" and x.get("WRS_ROW", group="G") == 68


def test_truncated_json_and_xml_are_partial() -> None:
    j = parse_mtl(b'{"L1_METADATA_FILE": {"A": {"WRS_PATH": 1, "L": 2}, "B": {"WRS_ROW": 3, "N": ')
    assert j.get("WRS_PATH") == 1 and j.get("WRS_ROW") == 3
    assert j.warnings
    x = parse_mtl(b"<LANDSAT_METADATA_FILE><A><WRS_PATH>1</WRS_PATH></A><B><WRS_ROW>3</WRS_ROW><N>4")
    assert x.get("WRS_PATH") == 1 and x.get("WRS_ROW") == 3
    assert x.warnings


# ------------------------------------------------------------------------------------------
# real files


def test_real_formats_agree(real_data: Path) -> None:
    txt = parse_mtl(real_data / f"{L1GT}.txt")
    js = parse_mtl(real_data / f"{L1GT}.json")
    xml = parse_mtl(real_data / f"{L1GT}.xml")
    assert (txt.format, js.format, xml.format) == ("odl", "json", "xml")
    assert txt.root == js.root == xml.root == "LANDSAT_METADATA_FILE"
    assert txt.groups == js.groups == xml.groups
    assert txt.warnings == js.warnings == xml.warnings == []


def test_real_l2_txt_and_xml_agree(real_data: Path) -> None:
    txt = parse_mtl(real_data / f"{L2SP}.txt")
    xml = parse_mtl(real_data / f"{L2SP}.xml")
    assert txt.groups == xml.groups
    assert txt.get("REFLECTANCE_MULT_BAND_4", group="LEVEL2_SURFACE_REFLECTANCE_PARAMETERS") == 2.75e-05
    assert txt.get("REFLECTANCE_MULT_BAND_4", group="LEVEL1_RADIOMETRIC_RESCALING") == 2.0e-05
    assert txt.get("LANDSAT_PRODUCT_ID") == "LC08_L2SP_098084_20210503_20210508_02_T1"


def test_real_hand_edited_mtl(real_data: Path) -> None:
    mtl = parse_mtl(real_data / "landsat-scenes/LC8_test/LC8_test_MTL.txt")
    assert mtl.root == "L1_METADATA_FILE"
    assert mtl.get("LANDSAT_SCENE_ID") == "LC80690152013153LGN00"
    assert mtl.get("K1_CONSTANT_BAND_10", group="TIRS_THERMAL_CONSTANTS") == pytest.approx(774.89)
    assert any("xxx" in w for w in mtl.warnings)


def test_real_nul_padded_and_crlf(real_data: Path) -> None:
    padded = parse_mtl(real_data / "landsat-mtl/LM50490251987214PAC00_MTL.txt")
    assert padded.warnings == [] and padded.get("SENSOR_ID") == "MSS"
    crlf = parse_mtl(real_data / "landsat-mtl/LC08_L1TP_195025_20130707_20170503_01_T1_MTL.txt")
    assert (
        crlf.warnings == [] and crlf.get("LANDSAT_PRODUCT_ID") == "LC08_L1TP_195025_20130707_20170503_01_T1"
    )


def test_real_espa_xml(real_data: Path) -> None:
    mtl = parse_mtl(real_data / "landsat-mtl/LE07_L1TP_160031_20110416_20161210_01_T1.xml")
    assert mtl.format == "espa" and mtl.root == "espa_metadata"
    assert mtl.get("SPACECRAFT_ID") == "LANDSAT_7"
    assert mtl.get("LANDSAT_PRODUCT_ID") == "LE07_L1TP_160031_20110416_20161210_01_T1"
    assert mtl.get("SUN_ELEVATION") == pytest.approx(90 - 36.770893)
    assert mtl.get("UTM_ZONE") == 40


def _real_files(root: Path) -> list[Path]:
    files = sorted((root / "landsat-mtl").iterdir())
    files += sorted(p for p in (root / "landsat-scenes").glob("*/*") if "MTL" in p.name.upper())
    return files


def test_fuzz_truncations_never_crash(real_data: Path) -> None:
    rng = random.Random(1234)
    for path in _real_files(real_data):
        data = path.read_bytes().rstrip(b"\x00")
        for _ in range(12):
            cut = data[: rng.randrange(0, len(data) + 1)]
            if rng.random() < 0.3 and cut:
                pos = rng.randrange(len(cut))
                cut = cut[:pos] + bytes([rng.randrange(256)]) + cut[pos + 1 :]
            try:
                mtl = parse_mtl(cut, name=path.name)
            except MetadataError:
                continue
            assert isinstance(mtl, MTL)
            assert isinstance(mtl.groups, dict)


# ------------------------------------------------------------------------------------------
# picking the MTL


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["a_B1.TIF", "a_MTL.txt", "a_MTL.json", "a_MTL.xml"], "a_MTL.txt"),
        (["a_MTL.xml", "a_MTL.json"], "a_MTL.json"),
        (["a_B1.TIF", "a_MTL.xml"], "a_MTL.xml"),
        (["dir/LE07_X_MTL.TXT"], "dir/LE07_X_MTL.TXT"),
        (["LE07_L1TP_160031_20110416_20161210_01_T1.xml", "x_MTL.json"], "x_MTL.json"),
        (
            ["LE07_L1TP_160031_20110416_20161210_01_T1.xml", "b.TIF"],
            "LE07_L1TP_160031_20110416_20161210_01_T1.xml",
        ),
        (["._a_MTL.txt", "a_MTL.txt"], "a_MTL.txt"),
        (["deep/er/a_MTL.txt", "a_MTL.txt"], "a_MTL.txt"),
        (["a_ANG.txt", "README.GTF", "a_B1.TIF", "a.aux.xml"], None),
        ([], None),
    ],
)
def test_find_mtl_name(names: list[str], expected: str | None) -> None:
    assert find_mtl_name(names) == expected
