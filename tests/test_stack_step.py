"""core.stack.step: a date drawn with the previous date's display, cached for prefetch."""

from __future__ import annotations

import pytest

from satview.core.demo.stack import make_demo_stack
from satview.core.readers import open_scene
from satview.core.render import default_display
from satview.core.stack.discover import single_stack
from satview.core.stack.step import step_overview


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    folder = make_demo_stack(tmp_path_factory.mktemp("stack"), 3, size=128) / "scenes"
    return [h.path for h in single_stack([folder]).scenes]


def test_prefetched_picture_is_returned_again_without_recomputing(scenes):
    """The second request of one date and display is the very result of the first (the cache)."""
    with open_scene(scenes[1]) as scene:
        spec = default_display(scene.info)
        first = step_overview(scene, spec, None, 256)
        assert step_overview(scene, spec, None, 256) is first


def test_fixed_levels_are_used_for_the_next_date(scenes):
    """Levels given (fixed across the stack) come back as the date's levels; the spec is kept."""
    with open_scene(scenes[0]) as a, open_scene(scenes[2]) as b:
        spec = default_display(a.info)
        _, levels, _, _ = step_overview(a, spec, None, 256)
        spec_b, levels_b, hist_b, picture = step_overview(b, spec, levels, 256)
    assert spec_b == spec and levels_b == levels
    assert picture.coarse and picture.rgba.shape[2] == 4 and hist_b is not None


def test_spec_with_bands_the_scene_lacks_falls_back_to_its_default(scenes):
    """A composite of bands another sensor has (TM names) shows the scene's default display."""
    from dataclasses import replace

    with open_scene(scenes[0]) as scene:
        spec = replace(default_display(scene.info), bands=("B7_TM", "B4_TM", "B3_TM"))
        used, _, _, _ = step_overview(scene, spec, None, 256)
        assert used == default_display(scene.info)


def test_fixed_levels_picture_comes_from_one_read(scenes):
    """With fixed levels each band is read once, and the picture is what those levels paint."""
    import numpy as np

    from satview.core.render import render_view
    from satview.core.viewport import overview_plan

    with open_scene(scenes[0]) as a, open_scene(scenes[1]) as b:
        spec = default_display(a.info)
        _, levels, _, _ = step_overview(a, spec, None, 200)
        reads: list[str] = []
        read_band = b._read_band

        def counted(band, *args, **kwargs):
            reads.append(band.name)
            return read_band(band, *args, **kwargs)

        b._read_band = counted
        _, _, _, picture = step_overview(b, spec, levels, 200)
        assert sorted(reads) == sorted(set(reads))
        b._read_band = read_band
        plan = overview_plan(b.info.grid.width, b.info.grid.height, 200)
        np.testing.assert_array_equal(picture.rgba, render_view(b, spec, levels, plan, coarse=True).rgba)
