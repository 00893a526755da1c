"""Composite presets resolve by common name to the right band numbers on every Landsat sensor."""

from __future__ import annotations

import pytest
from affine import Affine

from satview.core.composite import (
    PRESETS,
    available_presets,
    band_for,
    default_bands,
    get_preset,
    resolve_preset,
)
from satview.core.types import BandInfo, GeoGrid, SceneInfo
from satview.errors import BandNotFoundError, SatviewError

GRID = GeoGrid(None, Affine.identity(), 10, 10)


def scene(*bands: tuple[str, str | None, str], path: str = "/data/scene.tar") -> SceneInfo:
    """A SceneInfo from (name, common_name, role) triples."""
    infos = tuple(BandInfo(name=n, common_name=cn, role=role) for n, cn, role in bands)
    return SceneInfo(path=path, format="landsat", grid=GRID, bands=infos)


TM = scene(
    ("B1", "Blue", "reflective"),
    ("B2", "Green", "reflective"),
    ("B3", "Red", "reflective"),
    ("B4", "NIR", "reflective"),
    ("B5", "SWIR 1", "reflective"),
    ("B6", "Thermal", "thermal"),
    ("B7", "SWIR 2", "reflective"),
    ("QA_PIXEL", None, "qa"),
)
ETM = scene(*[(b.name, b.common_name, b.role) for b in TM.bands], ("B8", "Green", "pan"))
OLI = scene(
    ("B1", "Coastal", "reflective"),
    ("B2", "Blue", "reflective"),
    ("B3", "Green", "reflective"),
    ("B4", "Red", "reflective"),
    ("B5", "NIR", "reflective"),
    ("B6", "SWIR 1", "reflective"),
    ("B7", "SWIR 2", "reflective"),
    ("B8", "Red", "pan"),
    ("B9", "Cirrus", "reflective"),
    ("B10", "Thermal 1", "thermal"),
    ("B11", "Thermal 2", "thermal"),
)
OLI_L1_AND_L2 = scene(
    *[(b.name, b.common_name, b.role) for b in OLI.bands],
    *[("SR_" + b.name, b.common_name, b.role) for b in OLI.bands if b.role == "reflective"],
)
MSS = scene(
    ("B4", "Green", "reflective"),
    ("B5", "Red", "reflective"),
    ("B6", "NIR 1", "reflective"),
    ("B7", "NIR 2", "reflective"),
)
GENERIC = scene(
    ("band_1", None, "data"), ("band_2", None, "data"), ("band_3", None, "data"), ("band_4", None, "data")
)
SINGLE = scene(("band_1", None, "data"))

# landsat-facts.md 3.2: (preset, TM/ETM+ numbers, OLI numbers)
TABLE = [
    ("natural", "3-2-1", "4-3-2"),
    ("color-infrared", "4-3-2", "5-4-3"),
    ("false-color-urban", "7-5-3", "7-6-4"),
    ("natural-with-atmospheric-removal", "7-4-2", "7-5-3"),
    ("swir", "7-4-3", "7-5-4"),
    ("vegetation-analysis", "5-4-3", "6-5-4"),
    ("agriculture", "5-4-1", "6-5-2"),
    ("atmospheric-penetration", "7-5-4", "7-6-5"),
    ("healthy-vegetation", "4-5-1", "5-6-2"),
    ("land-water", "4-5-3", "5-6-4"),
]


def _bands(numbers: str, prefix: str = "B") -> tuple[str, ...]:
    return tuple(prefix + n for n in numbers.split("-"))


@pytest.mark.parametrize(("key", "tm", "oli"), TABLE)
def test_presets_match_the_usgs_esri_table(key: str, tm: str, oli: str) -> None:
    """Every preset gives the documented band numbers on TM, ETM+ and OLI."""
    assert resolve_preset(TM, key) == _bands(tm)
    assert resolve_preset(ETM, key) == _bands(tm)
    assert resolve_preset(OLI, key) == _bands(oli)


def test_all_required_presets_exist() -> None:
    """The ten presets of the table are all defined, and nothing else is needed for TM/OLI."""
    assert {row[0] for row in TABLE} <= set(PRESETS)
    assert [p.key for p in available_presets(OLI)] == list(PRESETS)


def test_level2_sr_bands_preferred_over_level1() -> None:
    """When both B4 and SR_B4 exist, the Level-2 surface-reflectance band wins."""
    assert resolve_preset(OLI_L1_AND_L2, "natural") == ("SR_B4", "SR_B3", "SR_B2")
    assert band_for(OLI_L1_AND_L2, "nir") == "SR_B5"


def test_pan_and_thermal_never_chosen() -> None:
    """Pan bands (even with a matching common name) and thermal bands are not picked."""
    pan_only = scene(("B8", "Red", "pan"), ("B10", "Thermal", "thermal"))
    assert band_for(pan_only, "Red") is None
    assert band_for(pan_only, "Thermal") is None
    assert band_for(ETM, "Green") == "B2"


def test_aliases_and_spelling() -> None:
    """Aliases and case/space/underscore variants resolve to the same preset."""
    for text in ("cir", "CIR", "color infrared", "Color_Infrared"):
        assert get_preset(text).key == "color-infrared"
    for text in ("true-color", "truecolor", "natural-color", "Natural"):
        assert get_preset(text).key == "natural"
    assert get_preset("urban").key == "false-color-urban"
    with pytest.raises(SatviewError, match="natural"):
        get_preset("bogus")


def test_mss_has_only_color_infrared() -> None:
    """MSS (green, red, NIR 1, NIR 2) supports colour infrared with NIR 2, not natural colour."""
    assert [p.key for p in available_presets(MSS)] == ["color-infrared"]
    assert resolve_preset(MSS, "cir") == ("B7", "B5", "B4")
    assert default_bands(MSS) == ("B7", "B5", "B4")


def test_missing_bands_error_lists_them() -> None:
    """Resolving a preset the scene cannot make raises BandNotFoundError naming the missing bands and file."""
    with pytest.raises(BandNotFoundError) as err:
        resolve_preset(MSS, "agriculture")
    msg = str(err.value)
    assert "SWIR 1" in msg and "Blue" in msg and "/data/scene.tar" in msg
    assert isinstance(err.value, KeyError)


def test_generic_rasters() -> None:
    """Non-Landsat rasters have no presets; defaults are bands 1-3, or the one band there is."""
    assert available_presets(GENERIC) == []
    with pytest.raises(BandNotFoundError):
        resolve_preset(GENERIC, "natural")
    assert default_bands(GENERIC) == ("band_1", "band_2", "band_3")
    assert default_bands(SINGLE) == ("band_1",)
    assert default_bands(scene(("a", None, "data"), ("b", None, "data"))) == ("a",)


def test_default_bands_natural_colour() -> None:
    """Landsat scenes open in natural colour."""
    assert default_bands(TM) == ("B3", "B2", "B1")
    assert default_bands(OLI) == ("B4", "B3", "B2")
    assert default_bands(OLI_L1_AND_L2) == ("SR_B4", "SR_B3", "SR_B2")
