"""Spectral indices: hand-computed values, NaN at fill and zero denominators, band lookup per sensor."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from affine import Affine

from satview.core.indices import INDICES, compute_index, get_index, index_bands
from satview.core.types import BandInfo, GeoGrid, SceneInfo
from satview.errors import BandNotFoundError, SatviewError


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def scene(*bands: tuple[str, str]) -> SceneInfo:
    infos = tuple(BandInfo(name=n, common_name=cn, role="reflective") for n, cn in bands)
    return SceneInfo("/x/scene", "landsat", GeoGrid(None, Affine.identity(), 1, 1), infos)


OLI = scene(("B2", "Blue"), ("B3", "Green"), ("B4", "Red"), ("B5", "NIR"), ("B6", "SWIR 1"), ("B7", "SWIR 2"))
TM = scene(("B1", "Blue"), ("B2", "Green"), ("B3", "Red"), ("B4", "NIR"), ("B5", "SWIR 1"), ("B7", "SWIR 2"))


def test_ndvi_hand_values() -> None:
    """NDVI = (NIR - Red) / (NIR + Red): 0.5/0.1 -> 0.6667, 0.2/0.2 -> 0, 0.1/0.3 -> -0.5."""
    out = compute_index("ndvi", {"NIR": f32(0.5, 0.2, 0.1), "Red": f32(0.1, 0.2, 0.3)})
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.4 / 0.6, 0.0, -0.5], rtol=1e-6)


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        ("ndwi", "Green", "NIR"),
        ("ndsi", "Green", "SWIR 1"),
        ("nbr", "NIR", "SWIR 2"),
        ("ndmi", "NIR", "SWIR 1"),
    ],
)
def test_normalized_differences_use_the_documented_bands(key: str, a: str, b: str) -> None:
    """Each normalized difference is (a - b) / (a + b) with the bands of landsat-facts.md 3.2."""
    assert get_index(key).common_names == (a, b)
    out = compute_index(key, {a: f32(0.3), b: f32(0.1)})
    assert out[0] == pytest.approx(0.5)


def test_evi_hand_value() -> None:
    """EVI = 2.5 (NIR - Red) / (NIR + 6 Red - 7.5 Blue + 1): NIR .5, Red .1, Blue .05 -> 1/1.725."""
    out = compute_index("EVI", {"NIR": f32(0.5), "Red": f32(0.1), "Blue": f32(0.05)})
    assert out[0] == pytest.approx(2.5 * 0.4 / (0.5 + 0.6 - 0.375 + 1), rel=1e-6)


def test_nan_and_zero_denominator_give_nan_silently() -> None:
    """NaN in any input or a zero denominator gives NaN, with no RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compute_index("ndvi", {"nir": f32(np.nan, 0.0, 0.2, 0.3), "red": f32(0.1, 0.0, np.nan, -0.3)})
        evi = compute_index("evi", {"NIR": f32(0.0, 0.1), "Red": f32(0.0, 0.0), "Blue": f32(1 / 7.5, np.nan)})
    assert np.isnan(out).tolist() == [True, True, True, True]
    assert np.isnan(evi).all()


def test_index_bands_per_sensor() -> None:
    """index_bands maps common names to the sensor's band names (OLI 5,4 vs TM 4,3 for NDVI)."""
    assert index_bands(OLI, "ndvi") == {"NIR": "B5", "Red": "B4"}
    assert index_bands(TM, "ndvi") == {"NIR": "B4", "Red": "B3"}
    assert index_bands(TM, "nbr") == {"NIR": "B4", "SWIR 2": "B7"}


def test_missing_bands_and_unknown_index() -> None:
    """A scene without SWIR cannot make NBR (the error names it); an unknown index lists the known ones."""
    mss = scene(("B4", "Green"), ("B5", "Red"), ("B6", "NIR"))
    with pytest.raises(BandNotFoundError, match="SWIR 2"):
        index_bands(mss, "nbr")
    with pytest.raises(SatviewError, match="ndvi"):
        get_index("xyz")
    with pytest.raises(BandNotFoundError, match="Red"):
        compute_index("ndvi", {"NIR": f32(1)})


def test_index_definitions_are_complete() -> None:
    """Every index has a title, formula, default colour map that exists, and a value range."""
    from satview.core.colormap import COLORMAPS

    assert set(INDICES) == {"ndvi", "ndwi", "ndsi", "nbr", "ndmi", "evi"}
    for key, d in INDICES.items():
        assert d.key == key and d.title and d.formula
        assert d.default_cmap in COLORMAPS
        assert d.value_range[0] < d.value_range[1]
