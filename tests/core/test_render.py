"""Display rendering: levels once per composite, RGBA layout, transparency, QA overlays, orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

import satview.core.qa_render as qa_render
from satview.core import open_scene
from satview.core.qa import mask
from satview.core.qa_render import QA_COLORS, qa_color
from satview.core.render import (
    DisplaySpec,
    compute_display_levels,
    default_display,
    display_overview,
    levels_from_physical,
    levels_to_physical,
    render_array,
    render_scene,
    render_view,
    renders_dn,
)
from satview.core.seaice import flag_color
from satview.core.stretch import Levels, Stretch, apply_levels
from satview.core.viewport import overview_plan, plan_read


@pytest.fixture(scope="module")
def demo_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from satview.core.demo import make_demo_scene

    return make_demo_scene(tmp_path_factory.mktemp("demo"), size=(300, 320))


@pytest.fixture
def scene(demo_tar: Path):
    with open_scene(demo_tar) as s:
        yield s


def _count_reads(scene, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    original = scene.read

    def spy(bands=None, window=None, out_shape=None, **kwargs):
        calls.append({"bands": bands, "window": window, "out_shape": out_shape})
        return original(bands, window, out_shape, **kwargs)

    monkeypatch.setattr(scene, "read", spy)
    return calls


def test_default_display_is_natural_colour_with_qa_band(scene) -> None:
    """A Landsat scene opens in natural colour; the QA_PIXEL band is the overlay source."""
    spec = default_display(scene.info)
    assert spec.mode == "rgb" and spec.bands == ("SR_B4", "SR_B3", "SR_B2")
    assert spec.preset == "natural" and spec.qa_band == "QA_PIXEL" and not spec.seaice


def test_levels_come_from_one_decimated_read(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels cost one whole-scene read at overview size (plus the QA band at the same size, to
    leave clouds out); rendering never recomputes them."""
    spec = default_display(scene.info)
    calls = _count_reads(scene, monkeypatch)
    levels, _ = compute_display_levels(scene, spec, max_size=128)
    display = [c for c in calls if c["bands"] != ["QA_PIXEL"]]
    assert len(display) == 1 and len(calls) <= 2
    assert all(max(c["out_shape"]) == 128 for c in calls)
    assert len(levels.lo) == 3 and all(lo < hi for lo, hi in zip(levels.lo, levels.hi, strict=True))

    def boom(*a, **k):
        raise AssertionError("levels recomputed during a render")

    monkeypatch.setattr(qa_render, "compute_levels", boom)  # where every stretch is computed
    plan = plan_read(scene.width, scene.height, (10, 10, 110, 90), (100, 80))
    assert plan is not None
    render_view(scene, spec, levels, plan)


def test_clouds_do_not_set_the_limits(scene) -> None:
    """With a QA band, cloud and snow pixels are left out of the percentiles (land sets them)."""
    from rasterio.windows import Window

    from satview.core.qa_render import clear_sky

    spec = default_display(scene.info)
    levels, _ = compute_display_levels(scene, spec, max_size=256)
    shape = (scene.height, scene.width)
    clear = clear_sky(scene, Window(0, 0, scene.width, scene.height), shape)
    assert clear is not None and 0.05 < clear.mean() < 1.0
    red = scene.read("SR_B4", dn=True)[0]
    land = red[clear & (red > 0)]
    assert levels.hi[0] <= np.percentile(land, 99.5)
    assert "clouds and snow left out" in levels.source


def test_index_stretch_leaves_clouds_out(scene) -> None:
    """An NDVI percentile stretch is computed over clear-sky pixels only, like a composite's."""
    from rasterio.windows import Window

    from satview.core.indices import compute_index, index_bands
    from satview.core.qa_render import clear_sky
    from satview.core.stretch import compute_levels

    spec = DisplaySpec(mode="index", index="ndvi", cmap="ndvi", stretch=Stretch(mode="percentile"))
    levels, _ = compute_display_levels(scene, spec, max_size=4096)
    assert "clouds and snow left out" in levels.source
    shape = (scene.height, scene.width)
    clear = clear_sky(scene, Window(0, 0, scene.width, scene.height), shape)
    common = index_bands(scene.info, "ndvi")
    names = list(dict.fromkeys(common.values()))
    data = scene.read(names)
    ndvi = compute_index("ndvi", {cn: data[names.index(bn)] for cn, bn in common.items()})
    want = compute_levels(ndvi, Stretch(mode="percentile"), clear)
    assert levels.lo == pytest.approx(want.lo) and levels.hi == pytest.approx(want.hi)
    assert levels.lo != pytest.approx(compute_levels(ndvi, Stretch(mode="percentile")).lo)


def test_levels_are_dn_internally_and_physical_for_the_ui(scene) -> None:
    """Render levels are DN of the linear SR bands; the histogram reports reflectance."""
    spec = default_display(scene.info)
    levels, hist = compute_display_levels(scene, spec)
    assert hist.dn and hist.render_levels == levels
    b = scene.info.band("SR_B4")
    assert hist.levels.lo[0] == pytest.approx(levels.lo[0] * b.scale + b.offset, rel=1e-5)
    assert -0.3 < hist.levels.lo[0] < hist.levels.hi[0] < 1.7
    back = levels_from_physical(scene.info, spec, hist.levels)
    assert back.lo == pytest.approx(levels.lo) and back.hi == pytest.approx(levels.hi)
    assert levels_to_physical(scene.info, spec, levels).hi == pytest.approx(hist.levels.hi)
    h = hist.bands[0]
    assert h.name == "SR_B4" and len(h.edges) == len(h.counts) + 1 and h.counts.sum() > 0
    assert np.all(np.diff(h.edges) > 0) and h.edges[0] < 0.5


def test_rgba_layout_and_transparent_fill(scene) -> None:
    """(rows, cols, 4) uint8 C-contiguous; alpha 0 and black where the bands hold fill (DN 0)."""
    spec = default_display(scene.info)
    levels, _ = compute_display_levels(scene, spec)
    w, h = scene.width, scene.height
    plan = plan_read(w, h, (0, 0, w, h), (w, h))
    assert plan is not None and plan.is_full_resolution
    res = render_view(scene, spec, levels, plan)
    rgba = res.rgba
    assert rgba.shape == (scene.height, scene.width, 4) and rgba.dtype == np.uint8
    assert rgba.flags.c_contiguous and not res.coarse
    assert res.pixel_rect == (0.0, 0.0, float(scene.width), float(scene.height))
    dn = scene.read(list(spec.bands), dn=True)
    fill = np.any(dn == 0, axis=0)
    assert fill.any() and (~fill).any()
    assert np.all(rgba[fill, 3] == 0) and np.all(rgba[fill, :3] == 0)
    assert np.all(rgba[~fill, 3] == 255)


def test_render_matches_the_stretched_read_row_for_row(scene) -> None:
    """North up: row 0 of the image is row 0 of the window (no flips), and values follow the levels."""
    spec = DisplaySpec(mode="band", bands=("SR_B5",), cmap="gray")
    levels, _ = compute_display_levels(scene, spec)
    win = Window(40, 30, 120, 90)
    plan = plan_read(scene.width, scene.height, (40, 30, 160, 120), (120, 90))
    assert plan is not None and plan.window == win
    got = render_view(scene, spec, levels, plan).rgba
    dn = scene.read(["SR_B5"], window=win, dn=True)
    want = apply_levels(dn, levels, dn != 0)[0]
    valid = dn[0] != 0
    assert np.array_equal(got[..., 0][valid], want[valid])


def test_north_pixel_renders_at_the_top(tmp_path: Path) -> None:
    """A bright band along the north edge of a north-up GeoTIFF is drawn in the top rows."""
    path = tmp_path / "north.tif"
    data = np.full((64, 48), 10, dtype=np.uint16)
    data[:4] = 1000
    transform = Affine(30, 0, 500000, 0, -30, 4000000)
    with rasterio.open(path, "w", driver="GTiff", width=48, height=64, count=1, dtype="uint16",
                       crs=CRS.from_epsg(32611), transform=transform) as ds:
        ds.write(data, 1)
    with open_scene(path) as s:
        spec = default_display(s.info)
        assert spec.mode == "band"
        levels = Levels((10.0,), (1000.0,))
        res = render_view(s, spec, levels, overview_plan(s.width, s.height, 64))
    assert res.rgba[:4, :, 0].min() == 255 and res.rgba[4:, :, 0].max() == 0


def test_qa_overlay_changes_only_flagged_pixels(scene) -> None:
    """Switching on the water overlay alters exactly the QA water pixels, towards blue."""
    spec = default_display(scene.info)
    levels, _ = compute_display_levels(scene, spec)
    plan = overview_plan(scene.width, scene.height, 1024)
    plain = render_view(scene, spec, levels, plan).rgba
    over = render_view(scene, DisplaySpec(**{**spec.__dict__, "qa_flags": ("water",)}), levels, plan).rgba
    qa = scene.read(["QA_PIXEL"], dn=True)[0]
    water = mask("c2_qa_pixel", qa, "water")
    assert water.any()
    changed = np.any(plain != over, axis=-1)
    assert not changed[~water].any()
    assert changed[water].mean() > 0.9
    assert np.all(over[water][:, 2].astype(int) >= plain[water][:, 2].astype(int))
    assert qa_color("cloud") == QA_COLORS["cloud"] == (255, 255, 255)
    assert qa_color("cloud_confidence>=high") == QA_COLORS["cloud"]
    assert qa_color("snow_ice_confidence>=medium") == QA_COLORS["snow"]
    assert qa_color("band_4_saturated") == QA_COLORS["saturated"]


def test_display_overview_equals_levels_plus_render(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first picture and its levels come from one read and match the separate calls."""
    spec = default_display(scene.info)
    calls = _count_reads(scene, monkeypatch)
    levels, _, res = display_overview(scene, spec, 200)
    assert [c["bands"] for c in calls] == [["SR_B4", "SR_B3", "SR_B2"], ["QA_PIXEL"]] and res.coarse
    levels2, _ = compute_display_levels(scene, spec, 200)
    assert levels == levels2
    again = render_view(scene, spec, levels, overview_plan(scene.width, scene.height, 200), coarse=True)
    assert np.array_equal(again.rgba, res.rgba)


def test_index_mode_uses_fixed_range_without_stretch(scene) -> None:
    """NDVI with stretch "none" uses -1..1; with a percentile stretch it uses the data's limits."""
    spec = DisplaySpec(mode="index", index="ndvi", cmap="rdylgn", stretch=Stretch(mode="none"))
    levels, hist = compute_display_levels(scene, spec)
    assert (levels.lo, levels.hi) == ((-1.0,), (1.0,)) and not hist.dn
    stretched, _ = compute_display_levels(scene, DisplaySpec(mode="index", index="ndvi"))
    assert -1 <= stretched.lo[0] < stretched.hi[0] <= 1
    res = render_view(scene, spec, levels, overview_plan(scene.width, scene.height, 100))
    assert res.rgba.shape[-1] == 4 and (res.rgba[..., 3] == 0).any()


def test_seaice_scene_uses_the_ice_colours(real_data: Path) -> None:
    """An NSIDC binary opens in the sea-ice display; land cells get the land flag colour."""
    path = real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin"
    with open_scene(path) as s:
        spec = default_display(s.info)
        assert spec.seaice and spec.mode == "band" and spec.bands == ("concentration",)
        levels, hist = compute_display_levels(s, spec)
        assert (hist.levels.lo, hist.levels.hi) == ((0.0,), (100.0,))
        res = render_view(s, spec, levels, overview_plan(s.width, s.height, 1024))
        dn = s.read(["concentration"], dn=True)[0]
    assert res.rgba.shape == (*dn.shape, 4)
    land = dn == 254
    assert land.any()
    assert np.all(res.rgba[land][:, :3] == np.asarray(flag_color("land"), dtype=np.uint8))


def test_display_overview_reads_the_qa_band_once(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear-sky statistics and the QA overlay of one overview share a single QA read."""
    spec = DisplaySpec(**{**default_display(scene.info).__dict__, "qa_flags": ("water", "cloud")})
    calls = _count_reads(scene, monkeypatch)
    display_overview(scene, spec)
    qa_reads = [c for c in calls if list(c["bands"]) == [spec.qa_band]]
    assert len(qa_reads) == 1 and len(calls) == 2


def test_render_scene_levels_equal_the_display_levels(scene) -> None:
    """Without levels, render_scene derives them as the app does; with them, it draws like render_array."""
    spec = default_display(scene.info)
    shape = overview_plan(scene.width, scene.height, 80).out_shape
    rgba, levels = render_scene(scene, spec, shape)
    assert levels == compute_display_levels(scene, spec, max_size=80)[0]
    np.testing.assert_array_equal(rgba, render_array(scene, spec, levels, shape))
    physical = DisplaySpec(**{**spec.__dict__, "dn": False})
    assert not renders_dn(scene.info, physical) and renders_dn(scene.info, spec)
    _, phys_levels = render_scene(scene, physical, shape)
    assert phys_levels.hi[0] < 2.0  # reflectance, not DN
