"""QA on pictures: overlay colours and blending, and the clear-sky mask of contrast statistics.

The overlay blends switched-on QA flags over a picture in ``QA_COLORS`` at ``QA_ALPHA``; clear-sky
statistics leave cloud and snow pixels out of stretch limits (composites, single bands, indices),
so a partly cloudy scene is stretched for its land and water.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from rasterio.windows import Window

from satview.core import qa as qa_decoder
from satview.core.readers.base import Scene
from satview.core.stretch import Levels, Stretch, compute_levels
from satview.core.types import SceneInfo
from satview.errors import SatviewError

#: Overlay colour of each QA flag family (flag names from ``qa.flag_names``; confidence fields
#: such as ``cloud_confidence>=medium`` take the colour of their family).
QA_COLORS: dict[str, tuple[int, int, int]] = {
    "cloud": (255, 255, 255),  # white
    "dilated_cloud": (200, 200, 200),  # light grey
    "cirrus": (0, 255, 255),  # cyan
    "cloud_shadow": (70, 0, 110),  # dark purple
    "snow": (255, 0, 255),  # magenta
    "water": (0, 90, 255),  # blue
    "fill": (0, 0, 0),  # black
    "saturated": (255, 0, 0),  # red
}
#: Colour of QA flags outside the families above (terrain occlusion, aerosol, ...).
QA_OTHER_COLOR: tuple[int, int, int] = (255, 160, 0)
#: Opacity of the QA overlay (0..1).
QA_ALPHA = 0.6

_QA_SYNONYMS = {
    "snow_ice": "snow",
    "adjacent_cloud": "dilated_cloud",
    "radiometric_saturation": "saturated",
    "band_6h_saturated": "saturated",
}
_PRIMARY_QA = ("c2_qa_pixel", "c1_bqa", "c1_bqa_tm_etm", "c1_pixel_qa")


def default_qa_band(info: SceneInfo) -> str | None:
    """The QA band overlays use by default: QA_PIXEL / BQA / pixel_qa, else any QA band, else None."""
    for key in _PRIMARY_QA:
        for b in info.bands:
            if b.qa == key:
                return b.name
    for b in info.bands:
        if b.qa:
            return b.name
    return None


#: QA flags whose pixels are left out of the stretch statistics: clouds and snow would set the
#: upper limits and leave the land dark; they saturate to white instead, as they look.
CLOUD_FLAGS = ("cloud", "dilated_cloud", "snow")
#: Below this share of clear pixels the whole valid area is used after all (an overcast scene).
MIN_CLEAR_FRACTION = 0.05


def read_qa(scene: Scene, name: str, window: Window | None, shape: tuple[int, int],
            cache: dict[str, np.ndarray] | None) -> np.ndarray:
    """DN of QA band ``name`` over ``window`` at ``shape``; read once per ``cache`` (one picture)."""
    if cache is not None and name in cache:
        return cache[name]
    qa = scene.read([name], window=window, out_shape=shape, dn=True)[0]
    if cache is not None:
        cache[name] = qa
    return qa


def clear_sky(scene: Scene, window: Window | None, shape: tuple[int, int],
              qa_cache: dict[str, np.ndarray] | None = None) -> np.ndarray | None:
    """(row, col) True where the scene's QA band says no cloud or snow, at ``shape``; None without QA.

    Used only for statistics: contrast limits of a partly cloudy scene then follow the land and
    water, not the clouds, as an analyst would set them by hand. An overcast or snow-covered
    scene (under ``MIN_CLEAR_FRACTION`` clear) keeps its full statistics. ``qa_cache`` shares the
    QA read with the overlay of the same picture.
    """
    name = default_qa_band(scene.info)
    if name is None:
        return None
    band = scene.info.band(name)
    if band.qa is None or not all(f in qa_decoder.flag_names(band.qa) for f in CLOUD_FLAGS):
        return None
    qa = read_qa(scene, name, window, shape, qa_cache)
    cloudy = np.zeros(shape, dtype=bool)
    for flag in CLOUD_FLAGS:
        cloudy |= qa_decoder.mask(band.qa, qa, flag)
    clear = ~cloudy
    return clear if clear.mean() >= MIN_CLEAR_FRACTION else None


def stats_mask(valid: np.ndarray | None, clear: np.ndarray | None) -> np.ndarray | None:
    """Validity for statistics: the pixel mask (band, row, col) restricted to clear-sky pixels."""
    if clear is None:
        return valid
    if valid is None:
        return clear
    return valid & clear[np.newaxis]


def clear_sky_levels(data: np.ndarray, stretch: Stretch, valid: np.ndarray | None,
                     clear: np.ndarray | None) -> Levels:
    """Stretch levels of ``data`` over its valid pixels, restricted to ``clear`` sky when given."""
    levels = compute_levels(data, stretch, stats_mask(valid, clear))
    if clear is not None:
        levels = replace(levels, source=f"{levels.source}; clouds and snow left out")
    return levels


def _qa_family(flag: str) -> str:
    base = re.split(r"[<>=!]", flag, maxsplit=1)[0].strip()
    base = base.removesuffix("_confidence")
    base = _QA_SYNONYMS.get(base, base)
    if re.fullmatch(r"band_\w+_saturated", base):
        return "saturated"
    return base


def qa_color(flag: str) -> tuple[int, int, int]:
    """Overlay colour of a QA flag name (``"cloud"``, ``"cloud_confidence>=high"``, ``"saturated"``...)."""
    return QA_COLORS.get(_qa_family(flag), QA_OTHER_COLOR)


def overlay_qa(scene: Scene, flags: tuple[str, ...], qa_band: str | None, rgba: np.ndarray,
               window: Window | None, shape: tuple[int, int],
               qa_cache: dict[str, np.ndarray] | None = None) -> None:
    """Blend QA ``flags`` of ``qa_band`` (default: :func:`default_qa_band`) over ``rgba`` in place
    (``qa_cache``: see :func:`clear_sky`)."""
    if not flags:
        return
    info = scene.info
    name = qa_band or default_qa_band(info)
    if name is None:
        raise SatviewError("the scene has no QA band for the overlay", info.path)
    band = info.band(name)
    if not band.qa:
        raise SatviewError(f"band {band.name} is not a QA band", info.path)
    qa = read_qa(scene, band.name, window, shape, qa_cache)
    a = np.float32(QA_ALPHA)
    for flag in flags:
        hit = qa_decoder.mask(band.qa, qa, flag)
        if not hit.any():
            continue
        color = np.asarray(qa_color(flag), dtype=np.float32)
        px = rgba[hit]
        blended = px[:, :3].astype(np.float32) * (1 - a) + color * a
        px[:, :3] = np.rint(blended).astype(np.uint8)
        px[:, 3] = np.maximum(px[:, 3], np.uint8(round(255 * QA_ALPHA)))
        rgba[hit] = px
