"""Named RGB composite presets, resolved to a scene's bands by common name (TM, ETM+, OLI, MSS, and
MODIS land bands 1-7, see :mod:`satview.core.modis`)."""

from __future__ import annotations

from dataclasses import dataclass

from satview.core.types import BandInfo, SceneInfo
from satview.errors import BandNotFoundError, SatviewError


@dataclass(frozen=True)
class Preset:
    """An RGB band combination named by the bands' common names (R, G, B)."""

    key: str
    title: str
    common_names: tuple[str, str, str]
    description: str = ""


def _p(key: str, title: str, rgb: tuple[str, str, str], description: str) -> tuple[str, Preset]:
    return key, Preset(key, title, rgb, description)


#: Band combinations from USGS/Esri (landsat-facts.md 3.2); TM/ETM+, OLI, MODIS numbers in the descriptions.
PRESETS: dict[str, Preset] = dict(
    [
        _p(
            "natural",
            "Natural colour",
            ("Red", "Green", "Blue"),
            "True colour. TM/ETM+ 3-2-1, OLI 4-3-2, MODIS 1-4-3.",
        ),
        _p(
            "color-infrared",
            "Colour infrared (vegetation)",
            ("NIR", "Red", "Green"),
            "Vegetation bright red. TM/ETM+ 4-3-2, OLI 5-4-3, MODIS 2-1-4.",
        ),
        _p(
            "false-color-urban",
            "False colour (urban)",
            ("SWIR 2", "SWIR 1", "Red"),
            "Built-up areas and bare soil stand out. TM/ETM+ 7-5-3, OLI 7-6-4, MODIS 7-6-1.",
        ),
        _p(
            "natural-with-atmospheric-removal",
            "Natural with atmospheric removal",
            ("SWIR 2", "NIR", "Green"),
            "Natural-looking, sees through haze. TM/ETM+ 7-4-2, OLI 7-5-3, MODIS 7-2-4.",
        ),
        _p(
            "swir",
            "Shortwave infrared",
            ("SWIR 2", "NIR", "Red"),
            "Moisture, burn scars and geology. TM/ETM+ 7-4-3, OLI 7-5-4, MODIS 7-2-1.",
        ),
        _p(
            "vegetation-analysis",
            "Vegetation analysis",
            ("SWIR 1", "NIR", "Red"),
            "Vegetation vigour and land-water boundaries. TM/ETM+ 5-4-3, OLI 6-5-4, MODIS 6-2-1.",
        ),
        _p(
            "agriculture",
            "Agriculture",
            ("SWIR 1", "NIR", "Blue"),
            "Crops bright green. TM/ETM+ 5-4-1, OLI 6-5-2, MODIS 6-2-3.",
        ),
        _p(
            "atmospheric-penetration",
            "Atmospheric penetration",
            ("SWIR 2", "SWIR 1", "NIR"),
            "Least affected by haze and smoke. TM/ETM+ 7-5-4, OLI 7-6-5, MODIS 7-6-2.",
        ),
        _p(
            "healthy-vegetation",
            "Healthy vegetation",
            ("NIR", "SWIR 1", "Blue"),
            "Healthy vegetation bright. TM/ETM+ 4-5-1, OLI 5-6-2, MODIS 2-6-3.",
        ),
        _p(
            "land-water",
            "Land/water",
            ("NIR", "SWIR 1", "Red"),
            "Sharp land-water boundaries. TM/ETM+ 4-5-3, OLI 5-6-4, MODIS 2-6-1.",
        ),
    ]
)

#: Other spellings users type, mapped to preset keys (after normalisation: lower case, "-" separators).
ALIASES: dict[str, str] = {
    "true-color": "natural",
    "truecolor": "natural",
    "true-colour": "natural",
    "truecolour": "natural",
    "natural-color": "natural",
    "natural-colour": "natural",
    "naturalcolor": "natural",
    "rgb": "natural",
    "cir": "color-infrared",
    "colour-infrared": "color-infrared",
    "false-color": "color-infrared",
    "false-colour": "color-infrared",
    "infrared": "color-infrared",
    "urban": "false-color-urban",
    "false-colour-urban": "false-color-urban",
    "atmospheric-removal": "natural-with-atmospheric-removal",
    "shortwave-infrared": "swir",
    "vegetation": "vegetation-analysis",
    "atmosphere": "atmospheric-penetration",
    "healthy": "healthy-vegetation",
    "land-water-boundary": "land-water",
    "landwater": "land-water",
}

# Bands that can stand in for a common name a sensor lacks: MSS has "NIR 1" (0.7-0.8 µm) and
# "NIR 2" (0.8-1.1 µm); the conventional MSS false colour uses NIR 2.
_FALLBACKS: dict[str, tuple[str, ...]] = {"nir": ("nir 2", "nir 1")}


def _norm(key: str) -> str:
    return "-".join(key.strip().lower().replace("_", " ").replace("/", " ").split())


def get_preset(key: str) -> Preset:
    """The preset called ``key`` (case-insensitive; spaces/underscores as '-'; aliases allowed)."""
    k = _norm(key)
    k = ALIASES.get(k, k)
    if k not in PRESETS:
        raise SatviewError(f"unknown composite {key!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[k]


def _candidates(info: SceneInfo, common_name: str) -> list[BandInfo]:
    want = common_name.strip().lower()
    for role in ("reflective", "data"):  # generic rasters may carry common names too
        for name in (want, *_FALLBACKS.get(want, ())):
            found = [
                b for b in info.bands if b.role == role and b.common_name and b.common_name.lower() == name
            ]
            if found:
                return found
    return []


def band_for(info: SceneInfo, common_name: str) -> str | None:
    """Name of the band with ``common_name`` (role "reflective"; Level-2 ``SR_*`` preferred), or None.

    Panchromatic, thermal and QA bands are never picked.
    """
    found = _candidates(info, common_name)
    if not found:
        return None
    sr = [b for b in found if b.name.upper().startswith("SR_")]
    return (sr or found)[0].name


def missing_bands_message(info: SceneInfo, what: str, missing: list[str]) -> str:
    """'<what> needs X, Y, which this scene lacks (it has ...)' for BandNotFoundError messages."""
    have = sorted({b.common_name for b in info.bands if b.common_name and b.role in ("reflective", "data")})
    have_text = ", ".join(have) if have else "no bands with spectral names"
    return f"{what} needs {', '.join(missing)}, which this scene lacks (it has {have_text})"


def resolve_preset(info: SceneInfo, key: str) -> tuple[str, str, str]:
    """The scene's (R, G, B) band names for preset ``key``; BandNotFoundError lists what is missing."""
    preset = get_preset(key)
    names = [band_for(info, cn) for cn in preset.common_names]
    missing = [cn for cn, n in zip(preset.common_names, names, strict=True) if n is None]
    if missing:
        raise BandNotFoundError(missing_bands_message(info, f"composite {preset.key!r}", missing), info.path)
    r, g, b = (n for n in names if n is not None)
    return r, g, b


def available_presets(info: SceneInfo) -> list[Preset]:
    """The presets whose three bands all exist in the scene, in ``PRESETS`` order."""
    return [p for p in PRESETS.values() if all(band_for(info, cn) for cn in p.common_names)]


def dataset_bands(info: SceneInfo) -> list[BandInfo]:
    """The bands of the dataset a multi-dataset scene (HDF) was opened on, else every band: what is
    shown first and exported when no bands are named (the grid's other datasets are bands too, for
    composites and indices, but a clip or reprojection of MOD09GA stays its one chosen dataset)."""
    own = [b for b in info.bands if b.source == info.dataset] if info.datasets else []
    return own or list(info.bands)


def default_bands(info: SceneInfo) -> tuple[str, ...]:
    """Bands to show first: natural colour, else colour infrared (MSS), else the first three
    reflective/data bands, else one band (single-band rasters). Returns 1 or 3 names.

    A scene of a multi-dataset file (HDF, netCDF) opens on the dataset that was chosen: its first
    band, or its first three when it has several (composites of a grid's datasets are asked for).
    """
    pool = dataset_bands(info)
    if not info.datasets:
        for key in ("natural", "color-infrared"):
            names = [band_for(info, cn) for cn in PRESETS[key].common_names]
            if all(names):
                return tuple(n for n in names if n is not None)
    for role in ("reflective", "data"):
        bands = [b.name for b in pool if b.role == role]
        if len(bands) >= 3:
            return tuple(bands[:3])
    for role in ("reflective", "data"):
        bands = [b.name for b in pool if b.role == role]
        if bands:
            return (bands[0],)
    if not pool:
        raise BandNotFoundError("the scene has no bands to show", info.path)
    return (pool[0].name,)
