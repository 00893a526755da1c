"""MODIS (and VIIRS) product facts the readers need: which product a file is, how its datasets'
``add_offset`` is applied, and which MODIS land bands the datasets hold (for composites and indices).

Offset convention per product family (MODIS land user guides, checked against the products'
attributes):

- HDF4 rule ``value = scale_factor * (DN - add_offset)``: the default of HDF-EOS files. MODIS land
  products other than LST&E (MOD09 surface reflectance, MOD13 vegetation indices, MOD10 snow,
  MCD43 BRDF/albedo, MOD15 LAI/FPAR, MOD17 GPP, MOD16 ET, MCD12, MOD44) store ``add_offset = 0``,
  so only the scale matters; the atmosphere products (MOD04-MOD08, MOD35) store non-zero offsets
  meant this way (MOD06 brightness temperature: 0.01 * (DN + 15000)).
- Added offset ``value = scale_factor * DN + add_offset``: the land surface temperature and
  emissivity families (MOD11/MYD11, MOD21/MYD21, VIIRS VNP21/VJ121): view angles are
  ``DN - 65`` degrees (scale 1, offset -65), emissivity ``0.002 * DN + 0.49``, LST ``0.02 * DN``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Product families (short-name prefixes) whose ``add_offset`` is added after scaling.
ADDED_OFFSET_FAMILIES = ("MOD11", "MYD11", "MOD21", "MYD21", "MCD11", "VNP21", "VJ121", "VJ221")
#: Dataset names typical of the LST&E products, for files without a readable short name.
_LST_DATASET = re.compile(r"^(LST_(Day|Night)|Emis_\d+|(Day|Night)_view_(angl|time)|Clear_(day|night)_cov)",
                          re.IGNORECASE)
_SHORT_NAME = re.compile(r'OBJECT\s*=\s*SHORTNAME.*?VALUE\s*=\s*"?([A-Za-z0-9_]+)', re.IGNORECASE | re.DOTALL)
_FILE_SHORT_NAME = re.compile(r"^((?:MOD|MYD|MCD|VNP|VJ1|VJ2)[0-9A-Z_]+?)\.A\d{7}\.", re.IGNORECASE)
#: Metadata attributes that carry the ECS inventory (``SHORTNAME``), in the order they are tried.
_CORE_METADATA = ("CoreMetadata", "OldCoreMetadata", "ArchiveMetadata", "OldArchiveMetadata")

#: MODIS land bands 1-7: (common name, wavelength range in micrometres).
LAND_BANDS: dict[int, tuple[str | None, tuple[float, float]]] = {
    1: ("Red", (0.620, 0.670)),
    2: ("NIR", (0.841, 0.876)),
    3: ("Blue", (0.459, 0.479)),
    4: ("Green", (0.545, 0.565)),
    5: (None, (1.230, 1.250)),  # 1.24 µm has no Landsat counterpart
    6: ("SWIR 1", (1.628, 1.652)),
    7: ("SWIR 2", (2.105, 2.155)),
}
#: Dataset names that hold one MODIS land band: ``sur_refl_b01``, ``sur_refl_b04_1`` (MOD09),
#: ``Nadir_Reflectance_Band3`` (MCD43A4); group 1 is the band number.
_BAND_DATASET = re.compile(r"^(?:sur_refl_b0?([1-7])(?:_\d+)?|Nadir_Reflectance_Band([1-7]))$", re.IGNORECASE)
#: MOD13 vegetation-index products name their reflectance datasets by colour.
_VI_DATASET = {"red reflectance": 1, "nir reflectance": 2, "blue reflectance": 3, "mir reflectance": 7}


def short_name(global_attrs: dict[str, Any], path: str) -> str | None:
    """The product's short name (``MOD09GA``): from the ECS core metadata, else the file name."""
    for prefix in _CORE_METADATA:
        text = "".join(str(v) for k, v in sorted(global_attrs.items())
                       if k == prefix or k.startswith(prefix + "."))
        m = _SHORT_NAME.search(text)
        if m:
            return m.group(1).upper()
    m = _FILE_SHORT_NAME.match(Path(path).name)
    return m.group(1).upper() if m else None


def adds_offset(product: str | None, dataset_names: Iterable[str]) -> bool:
    """True when ``add_offset`` is added after scaling (LST&E families), False for the HDF4 rule."""
    if product:
        return product.upper().startswith(ADDED_OFFSET_FAMILIES)
    return any(_LST_DATASET.match(n) for n in dataset_names)


def land_band(product: str | None, dataset: str, long_name: str = "") -> int | None:
    """The MODIS land band (1-7) a dataset of a MODIS land product holds, or None.

    Only MODIS products (short name ``MOD``/``MYD``/``MCD``, or MOD09-style dataset names in a file
    without a short name) are considered, so other files' datasets never get MODIS band names.
    """
    m = _BAND_DATASET.match(dataset)
    modis = product.upper().startswith(("MOD", "MYD", "MCD")) if product else bool(m)
    if not modis:
        return None
    if m:
        return int(m.group(1) or m.group(2))
    key = re.sub(r"^\d+\s*(m|km)\s+\d+\s*days?\s+", "", (long_name or dataset).replace("_", " ").lower())
    return _VI_DATASET.get(key.strip())
