"""Tests for QA bit decoding; expected values are built from the USGS bit tables, not the code."""

from __future__ import annotations

import numpy as np
import pytest

from satview.core.qa import QA_KEYS, decode, flag_names, mask

LOW, MED, HIGH = 1, 2, 3


def c2(
    *,
    fill: int = 0,
    dilated: int = 0,
    cirrus: int = 0,
    cloud: int = 0,
    shadow: int = 0,
    snow: int = 0,
    clear: int = 0,
    water: int = 0,
    cloud_conf: int = 0,
    shadow_conf: int = 0,
    snow_conf: int = 0,
    cirrus_conf: int = 0,
) -> int:
    """A C2 QA_PIXEL value from the bit table (bits 0-7 flags, 8-15 four 2-bit confidences)."""
    return (
        fill
        | dilated << 1
        | cirrus << 2
        | cloud << 3
        | shadow << 4
        | snow << 5
        | clear << 6
        | water << 7
        | cloud_conf << 8
        | shadow_conf << 10
        | snow_conf << 12
        | cirrus_conf << 14
    )


CLEAR = c2(clear=1, cloud_conf=LOW, shadow_conf=LOW, snow_conf=LOW, cirrus_conf=LOW)
CLOUD = c2(cloud=1, cloud_conf=HIGH, shadow_conf=LOW, snow_conf=LOW, cirrus_conf=LOW)
SHADOW = c2(shadow=1, clear=1, cloud_conf=LOW, shadow_conf=HIGH, snow_conf=LOW, cirrus_conf=LOW)


def test_known_c2_values() -> None:
    assert CLEAR == 21824 == 0b0101010101000000
    assert CLOUD == 22280
    assert SHADOW == 23888


def test_decode_c2_clear() -> None:
    assert decode("c2_qa_pixel", 21824) == {
        "fill": False,
        "dilated_cloud": False,
        "cirrus": False,
        "cloud": False,
        "cloud_shadow": False,
        "snow": False,
        "clear": True,
        "water": False,
        "cloud_confidence": "low",
        "cloud_shadow_confidence": "low",
        "snow_ice_confidence": "low",
        "cirrus_confidence": "low",
    }


def test_decode_c2_cloud_shadow_fill_water() -> None:
    cloud = decode("c2_qa_pixel", 22280)
    assert cloud["cloud"] is True and cloud["clear"] is False and cloud["cloud_confidence"] == "high"
    shadow = decode("c2_qa_pixel", 23888)
    assert shadow["cloud_shadow"] is True and shadow["cloud_shadow_confidence"] == "high"
    assert shadow["cloud"] is False
    fill = decode("c2_qa_pixel", 1)
    assert fill["fill"] is True and fill["cloud_confidence"] == "none"
    assert sum(v is True for v in fill.values()) == 1
    water = decode("c2_qa_pixel", c2(clear=1, water=1, cloud_conf=LOW))
    assert water["water"] is True and water["clear"] is True
    cirrus = decode("c2_qa_pixel", c2(cirrus=1, dilated=1, cirrus_conf=HIGH, snow_conf=MED))
    assert (
        cirrus["cirrus"],
        cirrus["dilated_cloud"],
        cirrus["cirrus_confidence"],
        cirrus["snow_ice_confidence"],
    ) == (True, True, "high", "medium")


def test_mask_c2() -> None:
    data = np.array([[CLEAR, CLOUD], [SHADOW, 1]], dtype=np.uint16)
    assert mask("c2_qa_pixel", data, "cloud").tolist() == [[False, True], [False, False]]
    assert mask("c2_qa_pixel", data, "clear").tolist() == [[True, False], [True, False]]
    assert mask("c2_qa_pixel", data, "fill").tolist() == [[False, False], [False, True]]
    assert mask("c2_qa_pixel", data, "cloud_confidence>=medium").tolist() == [[False, True], [False, False]]
    assert mask("c2_qa_pixel", data, "cloud_confidence >= low").tolist() == [[True, True], [True, False]]
    assert mask("c2_qa_pixel", data, "cloud_shadow_confidence==high").tolist() == [
        [False, False],
        [True, False],
    ]
    assert mask("c2_qa_pixel", data, "cloud_confidence<low").tolist() == [[False, False], [False, True]]
    assert mask("c2_qa_pixel", data, "cloud_confidence", min_confidence="low").tolist() == [
        [True, True],
        [True, False],
    ]
    assert mask("c2_qa_pixel", data, "cloud_confidence").tolist() == [
        [False, True],
        [False, False],
    ]  # default high
    out = mask("c2_qa_pixel", data, "cloud")
    assert out.dtype == bool and out.shape == data.shape


def test_mask_float_input_with_nan() -> None:
    data = np.array([CLOUD, np.nan, CLEAR], dtype=np.float32)
    assert mask("c2_qa_pixel", data, "cloud").tolist() == [True, False, False]
    assert mask("c2_qa_pixel", data, "cloud_confidence>=none").tolist() == [True, False, True]


def test_unknown_names_raise() -> None:
    with pytest.raises(KeyError):
        decode("nope", 1)
    with pytest.raises(KeyError):
        mask("c2_qa_pixel", np.zeros(2, np.uint16), "clouds")
    with pytest.raises(KeyError):
        mask("c2_qa_pixel", np.zeros(2, np.uint16), "cloud_confidence>=very")


def test_radsat_oli() -> None:
    value = 1 << 0 | 1 << 3 | 1 << 11  # band 1 and band 4 saturated, terrain occlusion
    assert decode("c2_qa_radsat", value) == {"saturated_bands": [1, 4], "terrain_occlusion": True}
    assert decode("c2_qa_radsat", 0) == {"saturated_bands": [], "terrain_occlusion": False}
    data = np.array([0, value, 1 << 8, 1 << 11], dtype=np.uint16)
    assert mask("c2_qa_radsat", data, "saturated").tolist() == [False, True, True, False]
    assert mask("c2_qa_radsat", data, "band_4_saturated").tolist() == [False, True, False, False]
    assert mask("c2_qa_radsat", data, "terrain_occlusion").tolist() == [False, True, False, True]


def test_radsat_tm_etm() -> None:
    value = 1 << 5 | 1 << 8 | 1 << 9  # band 6 (low gain) saturated, band 6H saturated, dropped pixel
    assert decode("c2_qa_radsat_tm_etm", value) == {
        "saturated_bands": [6],
        "band_6h_saturated": True,
        "dropped_pixel": True,
    }
    assert mask("c2_qa_radsat_tm_etm", np.array([1 << 8, 1 << 9]), "saturated").tolist() == [True, False]


def test_c1_bqa() -> None:
    # USGS C1 Landsat 8 BQA: 2720 = clear (all confidences low), 2800 = cloud, high confidence
    clear = 1 << 5 | 1 << 7 | 1 << 9 | 1 << 11
    cloud = 1 << 4 | 3 << 5 | 1 << 7 | 1 << 9 | 1 << 11
    assert (clear, cloud) == (2720, 2800)
    assert decode("c1_bqa", 2720) == {
        "fill": False,
        "terrain_occlusion": False,
        "radiometric_saturation": "none",
        "cloud": False,
        "cloud_confidence": "low",
        "cloud_shadow_confidence": "low",
        "snow_ice_confidence": "low",
        "cirrus_confidence": "low",
    }
    d = decode("c1_bqa", 2800)
    assert d["cloud"] is True and d["cloud_confidence"] == "high"
    assert decode("c1_bqa", 1)["fill"] is True
    assert decode("c1_bqa", 2 << 2)["radiometric_saturation"] == "3-4 bands"
    assert decode("c1_bqa_tm_etm", 2)["dropped_pixel"] is True
    assert "cirrus_confidence" not in decode("c1_bqa_tm_etm", 0)
    data = np.array([2720, 2800, 1], dtype=np.uint16)
    assert mask("c1_bqa", data, "cloud_confidence>=high").tolist() == [False, True, False]


def test_c1_pixel_qa() -> None:
    clear = 1 << 1 | 1 << 6 | 1 << 8  # clear, cloud confidence low, cirrus confidence low
    cloud = 1 << 5 | 3 << 6 | 1 << 8
    assert (clear, cloud) == (322, 480)
    d = decode("c1_pixel_qa", 322)
    assert d["clear"] is True and d["cloud"] is False and d["cloud_confidence"] == "low"
    d = decode("c1_pixel_qa", 480)
    assert d["cloud"] is True and d["cloud_confidence"] == "high" and d["clear"] is False
    assert decode("c1_pixel_qa", 1 << 2)["water"] is True
    assert decode("c1_pixel_qa", 1 << 3)["cloud_shadow"] is True
    assert decode("c1_pixel_qa", 1 << 4)["snow"] is True


def test_sr_aerosol_and_cloud_qa() -> None:
    d = decode("c2_sr_qa_aerosol", 1 << 1 | 3 << 6)
    assert d["valid_aerosol_retrieval"] is True and d["aerosol_level"] == "high" and d["fill"] is False
    assert decode("c2_sr_qa_aerosol", 1 << 5)["interpolated_aerosol"] is True
    c = decode("c2_sr_cloud_qa", 1 << 1 | 1 << 5)
    assert c["cloud"] is True and c["water"] is True and c["snow"] is False


def test_flag_names_all_usable() -> None:
    names = flag_names("c2_qa_pixel")
    assert names[:8] == ["fill", "dilated_cloud", "cirrus", "cloud", "cloud_shadow", "snow", "clear", "water"]
    assert "cloud_confidence>=medium" in names and "cirrus_confidence>=high" in names
    assert flag_names("c2_qa_radsat")[0] == "saturated"
    data = np.arange(0, 65536, 97, dtype=np.uint16)
    for key in QA_KEYS:
        for name in flag_names(key):
            out = mask(key, data, name)
            assert out.shape == data.shape and out.dtype == bool
        # mask and decode agree on every one-bit flag
        for value in (0, 1, 21824, 22280, 23888, 2800, 65535):
            decoded = decode(key, value)
            for name, flag in decoded.items():
                if isinstance(flag, bool):
                    assert bool(mask(key, np.array([value]), name)[0]) == flag, (key, name, value)
