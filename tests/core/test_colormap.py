"""Colour maps: 256x3 uint8 tables with the right end colours, case-insensitive names, band-first output."""

from __future__ import annotations

import numpy as np
import pytest

from satview.core.colormap import COLORMAPS, apply_colormap, colormap
from satview.errors import SatviewError


def test_all_maps_are_256_rgb_uint8() -> None:
    """Every named map is a read-only (256, 3) uint8 table."""
    for name in ("gray", "viridis", "magma", "inferno", "plasma", "cividis", "turbo", "rdylgn", "rdbu"):
        assert name in COLORMAPS
    assert {"blues", "ice"} <= set(COLORMAPS)
    for name in COLORMAPS:
        lut = colormap(name)
        assert lut.shape == (256, 3) and lut.dtype == np.uint8
        assert not lut.flags.writeable


def test_known_end_colours() -> None:
    """Ends match the reference maps: viridis #440154 -> #fde725, gray 0 -> 255, RdYlGn red -> green."""
    assert colormap("viridis")[0].tolist() == [0x44, 0x01, 0x54]
    assert colormap("viridis")[255].tolist() == [0xFD, 0xE7, 0x25]
    gray = colormap("gray")
    assert np.array_equal(gray[:, 0], np.arange(256)) and np.array_equal(gray[:, 0], gray[:, 2])
    rdylgn = colormap("rdylgn")
    assert rdylgn[0, 0] > rdylgn[0, 1] and rdylgn[255, 1] > rdylgn[255, 0]


def test_ice_goes_from_dark_blue_to_white() -> None:
    """'ice' starts dark and blue (open ocean) and ends white (full concentration), getting brighter."""
    ice = colormap("ice").astype(int)
    assert ice[0].sum() < 100 and ice[0, 2] > ice[0, 0]
    assert ice[255].tolist() == [255, 255, 255]
    assert (np.diff(ice.sum(axis=1)) >= 0).all()


def test_names_are_case_insensitive_and_reversible() -> None:
    """'Viridis' equals 'viridis'; 'viridis_r' is its reverse; 'grey' is 'gray'."""
    assert np.array_equal(colormap("Viridis"), colormap("viridis"))
    assert np.array_equal(colormap("viridis_r"), colormap("viridis")[::-1])
    assert np.array_equal(colormap("GREY"), colormap("gray"))


def test_unknown_name_lists_valid_ones() -> None:
    """An unknown map raises SatviewError naming the valid maps."""
    with pytest.raises(SatviewError, match="viridis"):
        colormap("jet")


def test_apply_colormap_band_first() -> None:
    """apply_colormap turns (row, col) uint8 into (3, row, col) uint8 via the table."""
    idx = np.array([[0, 128], [255, 7]], dtype=np.uint8)
    out = apply_colormap(idx, "magma")
    lut = colormap("magma")
    assert out.shape == (3, 2, 2) and out.dtype == np.uint8
    for band in range(3):
        assert np.array_equal(out[band], lut[idx, band])
    with pytest.raises(ValueError):
        apply_colormap(idx.astype(np.float32), "gray")
