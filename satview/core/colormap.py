"""256-entry uint8 RGB colour maps built from a few control points, and applying them to uint8 images."""

from __future__ import annotations

import functools

import numpy as np

from satview.errors import SatviewError

# Each map: evenly spaced hex colours, or (position, hex) pairs for uneven spacing.
# viridis/magma/inferno/plasma/cividis sampled from matplotlib's maps at 0, 0.1, ..., 1; turbo from
# Google's Turbo; rdylgn/rdbu/blues are the ColorBrewer schemes; terrain follows matplotlib's segments.
_CONTROL: dict[str, list[str] | list[tuple[float, str]]] = {
    "gray": ["#000000", "#ffffff"],
    "viridis": [
        "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
        "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
    ],
    "magma": [
        "#000004", "#140e36", "#3b0f70", "#641a80", "#8c2981", "#b73779",
        "#de4968", "#f7705c", "#fe9f6d", "#fecf92", "#fcfdbf",
    ],
    "inferno": [
        "#000004", "#160b39", "#420a68", "#6a176e", "#932667", "#bc3754",
        "#dd513a", "#f37819", "#fca50a", "#f6d746", "#fcffa4",
    ],
    "plasma": [
        "#0d0887", "#41049d", "#6a00a8", "#8f0da4", "#b12a90", "#cc4778",
        "#e16462", "#f2844b", "#fca636", "#fcce25", "#f0f921",
    ],
    "cividis": [
        "#00224e", "#083370", "#35456c", "#4f576c", "#666970", "#7d7c78",
        "#948f78", "#aea371", "#c8b866", "#e5cf52", "#fee838",
    ],
    "turbo": [
        "#30123b", "#4454c4", "#4490fe", "#1fc8de", "#29efa2", "#7dff56",
        "#c1f334", "#f1ca3a", "#fe922a", "#ea4f0d", "#be2102", "#7a0403",
    ],
    "rdylgn": [
        "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf",
        "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
    ],
    "rdbu": [
        "#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7",
        "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061",
    ],
    "blues": [
        "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b",
    ],
    # Sea-ice concentration: open ocean dark blue, through steel blue, to white pack ice.
    "ice": ["#03142e", "#0b2f5e", "#1f5a8f", "#4f8bbd", "#98bfdf", "#d7e8f4", "#ffffff"],
    "terrain": [
        (0.0, "#333399"), (0.15, "#0099ff"), (0.25, "#00cc66"),
        (0.5, "#ffff99"), (0.75, "#805c54"), (1.0, "#ffffff"),
    ],
}  # fmt: skip

#: Valid colour map names (each also works with a ``_r`` suffix for the reversed map).
COLORMAPS: list[str] = list(_CONTROL)


def _hex(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _build(points: list[str] | list[tuple[float, str]]) -> np.ndarray:
    n = len(points)
    pairs = [p if isinstance(p, tuple) else (i / (n - 1), p) for i, p in enumerate(points)]
    pos = np.array([p[0] for p in pairs], dtype=np.float64)
    cols = np.array([_hex(p[1]) for p in pairs], dtype=np.float64)
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, pos, cols[:, i]) for i in range(3)], axis=1)
    return np.clip(np.rint(lut), 0, 255).astype(np.uint8)


@functools.cache
def _cached(name: str) -> np.ndarray:
    base, reverse = (name[:-2], True) if name.endswith("_r") else (name, False)
    lut = _build(_CONTROL[base])
    lut = lut[::-1].copy() if reverse else lut
    lut.flags.writeable = False
    return lut


def colormap(name: str) -> np.ndarray:
    """The (256, 3) uint8 RGB table of colour map ``name`` (case-insensitive; ``_r`` reverses it)."""
    key = name.strip().lower().replace("grey", "gray")
    base = key[:-2] if key.endswith("_r") else key
    if base not in _CONTROL:
        raise SatviewError(f"unknown colour map {name!r}; choose one of {', '.join(COLORMAPS)}")
    return _cached(key)


def apply_colormap(index: np.ndarray, name: str) -> np.ndarray:
    """Colour a (row, col) uint8 image: returns (3, row, col) uint8, band-first like rasterio."""
    idx = np.asarray(index)
    if idx.dtype != np.uint8:
        raise ValueError(f"apply_colormap needs uint8 indices, got {idx.dtype}")
    lut = colormap(name)
    return np.stack([lut[:, i][idx] for i in range(3)])
