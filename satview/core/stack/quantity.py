"""The value compared through time: a spectral index or one band, with the pixels that may not count.

Series and change both ask "what is NDVI (or band NIR) here, and where is it trustworthy?". A
:class:`Quantity` names the scene bands it needs *by meaning* (common names such as "NIR", so TM
band 4 and OLI band 5 are the same input) and :func:`unusable` decodes the scene's QA band into the
pixels to leave out: fill, cloud, dilated cloud, cirrus, cloud shadow and, except for the snow
index, snow/ice (a snowy pixel says nothing about vegetation or burn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from satview.core import qa as qa_decoder
from satview.core.composite import band_for
from satview.core.indices import compute_index, get_index, index_bands
from satview.core.render import default_qa_band
from satview.core.types import BandInfo, SceneInfo
from satview.errors import SatviewError

#: QA flags that make a pixel unusable, one-bit names first; confidences where a layout has no bit.
_ALWAYS = ("fill", "cloud", "dilated_cloud", "cirrus", "cloud_shadow")
_CONFIDENCE = {"cloud": "cloud_confidence>=high", "cloud_shadow": "cloud_shadow_confidence>=medium",
               "cirrus": "cirrus_confidence>=high", "snow": "snow_ice_confidence>=medium"}
#: Indices for which snow is the signal, not an obstruction.
_SNOW_SIGNAL = frozenset({"ndsi"})


@dataclass(frozen=True)
class Quantity:
    """An index (``kind == "index"``, ``name`` its key) or a band (``name`` a band or common name)."""

    kind: str  # "index" or "band"
    name: str

    @property
    def label(self) -> str:
        return self.name.upper() if self.kind == "index" else self.name

    @property
    def masks_snow(self) -> bool:
        return not (self.kind == "index" and self.name.lower() in _SNOW_SIGNAL)

    def inputs(self, info: SceneInfo) -> dict[str, str]:
        """Meaning (common name, or the band's own name) -> band name of this scene."""
        if self.kind == "index":
            get_index(self.name)
            return index_bands(info, self.name)
        found = band_for(info, self.name)
        if found is not None:
            return {self.name: found}
        return {self.name: info.band(self.name).name}

    def compute(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The value from physical arrays keyed like :meth:`inputs` (float32, NaN where undefined)."""
        if self.kind == "index":
            return compute_index(self.name, arrays)
        return np.asarray(arrays[self.name], dtype=np.float32)


def parse_quantity(index: str | None, band: str | None) -> Quantity:
    """The quantity of ``--index NAME`` or ``--band NAME`` (exactly one must be given)."""
    if bool(index) == bool(band):
        raise SatviewError("give exactly one of --index NAME or --band NAME")
    if index:
        get_index(index)  # an unknown index is a usage error naming the known ones
        return Quantity("index", index.strip().lower())
    assert band is not None
    return Quantity("band", band.strip())


def qa_band(info: SceneInfo) -> BandInfo | None:
    """The scene's pixel-QA band (QA_PIXEL, BQA, pixel_qa), or None."""
    name = default_qa_band(info)
    if name is None:
        return None
    band = info.band(name)
    return band if band.qa and not band.qa.startswith(("c2_qa_radsat", "c2_sr_qa_aerosol")) else None


def unusable(key: str, qa: np.ndarray, masks_snow: bool) -> tuple[np.ndarray, np.ndarray]:
    """(fill, obstructed) boolean masks of QA values ``qa`` decoded with layout ``key``.

    ``fill`` marks pixels outside the image; ``obstructed`` cloud, dilated cloud, cirrus, cloud
    shadow and (when ``masks_snow``) snow/ice, each by its bit, or by its confidence field at
    medium/high where the layout has no bit (Collection 1 BQA).
    """
    names = set(qa_decoder.flag_names(key))
    fill = qa_decoder.mask(key, qa, "fill") if "fill" in names else np.zeros(qa.shape, dtype=bool)
    obstructed = np.zeros(qa.shape, dtype=bool)
    wanted = [*_ALWAYS[1:], *(("snow",) if masks_snow else ())]
    for flag in wanted:
        if flag in names:
            obstructed |= qa_decoder.mask(key, qa, flag)
        elif flag in _CONFIDENCE and _CONFIDENCE[flag] in names:
            obstructed |= qa_decoder.mask(key, qa, _CONFIDENCE[flag])
    return fill, obstructed & ~fill
