"""Legend images (colour bar, swatches) and the quick-look legend file written beside the PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

import satview.core.legend as legend_mod
from satview.core import open_scene
from satview.core.colormap import colormap
from satview.core.legend import colorbar_legend, format_value, swatch_legend, write_legend_png
from satview.core.quicklook import legend_path, quicklook_array, quicklook_legend, write_quicklook
from satview.core.seaice import flag_color, legend_entries
from satview.errors import ExportError, SatviewError


def _ink(img: np.ndarray) -> int:
    """Number of dark (text) pixels."""
    return int((img[..., :3].max(axis=-1) < 80).sum())


def test_colorbar_has_the_ramp_and_labels() -> None:
    img = colorbar_legend("viridis", 0.5, 300.0, unit="K", title="LST")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 4
    assert (img[..., 3] == 255).all()  # opaque
    lut = colormap("viridis")
    found = {tuple(int(v) for v in lut[i]) for i in (0, 128, 255)}
    pixels = {tuple(int(v) for v in px[:3]) for px in img.reshape(-1, 4)}
    assert found <= pixels  # the colour map's ends and middle are on the bar
    assert _ink(img) > 50  # title and labels were drawn
    assert _ink(colorbar_legend("viridis", 0.5, 300.0)) < _ink(img)  # no title: less text


def test_unknown_cmap_fails() -> None:
    with pytest.raises(SatviewError):
        colorbar_legend("nope", 0, 1)


def test_swatches_one_row_per_entry() -> None:
    entries = [("land", (156, 132, 104)), ("missing", (214, 40, 160)), ("coast", (92, 72, 52))]
    img = swatch_legend(entries, title="flags")
    more = swatch_legend([*entries, ("lakes", (46, 160, 150))], title="flags")
    assert more.shape[0] > img.shape[0]
    pixels = {tuple(int(v) for v in px[:3]) for px in img.reshape(-1, 4)}
    assert {c for _, c in entries} <= pixels
    assert swatch_legend([], title="t").shape[0] > 0


def test_format_value() -> None:
    assert format_value(0) == "0"
    assert format_value(0.12345) == "0.1235"
    assert format_value(273.15) == "273.1"
    assert format_value(12345.6) == "12346"
    assert "e" in format_value(1e-7)


def test_write_legend_png_round_trip(tmp_path: Path) -> None:
    img = swatch_legend([("a", (1, 2, 3))])
    out = tmp_path / "l.png"
    write_legend_png(img, out)
    with Image.open(out) as im:
        assert im.mode == "RGBA" and np.array_equal(np.asarray(im), img)
    with pytest.raises(ValueError):
        write_legend_png(img[..., :3], out)
    with pytest.raises(ExportError):
        write_legend_png(img, tmp_path / "missing" / "l.png")


def test_legend_path() -> None:
    assert legend_path("out/q.png") == Path("out/q.legend.png")
    assert legend_path("q") == Path("q.legend.png")


# -- quick-looks ------------------------------------------------------------------------------------


@pytest.fixture
def nsidc_bin(real_data: Path) -> Path:
    return real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin"


def test_seaice_quicklook_paints_flags(nsidc_bin: Path) -> None:
    """The sea-ice rendering: flags in their legend colours, 0-100 % levels."""
    with open_scene(nsidc_bin) as scene:
        rgba, levels, _ = quicklook_array(scene, size=1024)
        raw = scene.read_dn("concentration")[0]
    assert (levels.lo, levels.hi) == ((0.0,), (100.0,))
    land = raw == 254
    assert land.any()
    assert np.all(np.array(flag_color("land")) == rgba[:3][:, land].T)
    assert (rgba[3][land] == 255).all()
    with open_scene(nsidc_bin) as scene:  # a colour map asked for: an ordinary stretched band
        plain, plain_levels, _ = quicklook_array(scene, cmap="viridis", size=1024)
    assert plain_levels.hi != (100.0,) or not np.array_equal(plain, rgba)
    assert (plain[3][land] == 0).all()  # flags are not values: transparent


def test_seaice_legend_lists_flags(nsidc_bin: Path, tmp_path: Path) -> None:
    out = tmp_path / "ice.png"
    with open_scene(nsidc_bin) as scene:
        result = write_quicklook(scene, out)
        band = scene.info.bands[0]
        expected = swatch_legend(legend_entries(band), title=band.name)
    assert result.legend == tmp_path / "ice.legend.png"
    with Image.open(result.legend) as im:
        assert np.array_equal(np.asarray(im), expected)
    assert {p.name for p in tmp_path.iterdir()} == {"ice.png", "ice.pgw", "ice.png.aux.xml", "ice.legend.png"}


def test_band_legend_is_a_colorbar_of_the_levels(real_data: Path) -> None:
    path = real_data / "hdf4" / "MOD09A1.A2017193.h18v04.006.2017202035302.hdf"
    with open_scene(path) as scene:
        _, levels, _ = quicklook_array(scene, cmap="magma", size=64)
        img = quicklook_legend(scene, levels, cmap="magma")
        b = scene.info.bands[0]
    assert img is not None
    want = colorbar_legend("magma", levels.lo[0], levels.hi[0], unit=b.unit, title=b.name)
    assert np.array_equal(img, want)


def test_rgb_has_no_legend_and_removes_a_stale_one(real_data: Path, tmp_path: Path) -> None:
    rgb = real_data / "geotiff" / "RGB.byte.tif"
    out = tmp_path / "q.png"
    with open_scene(rgb) as scene:
        first = write_quicklook(scene, out, band="1", size=64)
        assert first.legend is not None and first.legend.is_file()
        second = write_quicklook(scene, out, size=64)
    assert second.legend is None and not legend_path(out).exists()
    with open_scene(rgb) as scene:
        no_legend = write_quicklook(scene, out, band="1", size=64, legend=False)
    assert no_legend.legend is None and not legend_path(out).exists()


def test_legend_failure_leaves_nothing(nsidc_bin: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The legend is written with the other files, atomically: a failure leaves no file at all."""

    def broken(*_a: object, **_k: object) -> None:
        raise ExportError("no room for the legend")

    monkeypatch.setattr(legend_mod, "write_legend_png", broken)
    with open_scene(nsidc_bin) as scene, pytest.raises(ExportError, match="no room"):
        write_quicklook(scene, tmp_path / "q.png")
    assert list(tmp_path.iterdir()) == []


def test_quicklook_png_is_the_scene_not_the_legend(nsidc_bin: Path, tmp_path: Path) -> None:
    """The georeferenced PNG has exactly the grid's shape: the legend is not drawn into it."""
    out = tmp_path / "q.png"
    with open_scene(nsidc_bin) as scene:
        write_quicklook(scene, out)
        grid = scene.info.grid
    with rasterio.open(out) as ds:
        assert (ds.height, ds.width) == grid.shape
