"""Viewport read plans: clipped integer windows, output never larger than the screen or the window."""

from __future__ import annotations

import math

import numpy as np
import pytest

from satview.core.viewport import overview_plan, plan_read

W, H = 7791, 7921  # a Landsat scene grid


def test_zoomed_out_scene_reads_screen_size() -> None:
    """The whole scene on a 1000x800 widget (aspect locked) reads at most ~800x800 pixels."""
    sy = H / 800
    cx = W / 2
    view = (cx - 500 * sy, 0.0, cx + 500 * sy, float(H))
    plan = plan_read(W, H, view, (1000, 800))
    assert plan is not None
    assert (plan.window.col_off, plan.window.row_off, plan.window.width, plan.window.height) == (0, 0, W, H)
    assert plan.out_shape[0] <= 800 and plan.out_shape[1] <= 800
    assert plan.out_shape[0] >= 790
    assert plan.pixel_rect == (0.0, 0.0, float(W), float(H))
    rows, cols = plan.out_shape
    assert plan.decimation == pytest.approx(max(H / rows, W / cols))
    assert W / cols == pytest.approx(H / rows, rel=0.01)  # square output pixels


def test_zoomed_in_reads_full_resolution_window() -> None:
    """Zoomed in past 1:1, the window is the view snapped outwards and read at full resolution."""
    plan = plan_read(W, H, (100.5, 200.25, 300.5, 350.75), (800, 600))
    assert plan is not None
    w = plan.window
    assert (w.col_off, w.row_off, w.width, w.height) == (100, 200, 201, 151)
    assert plan.out_shape == (151, 201)
    assert plan.decimation == 1.0 and plan.is_full_resolution


def test_view_past_the_edge_is_clipped() -> None:
    """A view hanging over the grid's corner reads only the part inside the grid."""
    plan = plan_read(W, H, (-500.0, -500.0, 500.0, 500.0), (500, 500))
    assert plan is not None
    w = plan.window
    assert (w.col_off, w.row_off, w.width, w.height) == (0, 0, 500, 500)
    assert plan.out_shape == (250, 250)  # 2 grid pixels per screen pixel
    assert plan.pixel_rect == (0.0, 0.0, 500.0, 500.0)


def test_view_outside_grid_or_empty_gives_none() -> None:
    """No overlap, a zero-size view or a zero-size screen gives None."""
    assert plan_read(W, H, (W + 10.0, 0.0, W + 100.0, 100.0), (100, 100)) is None
    assert plan_read(W, H, (-100.0, -100.0, -1.0, -1.0), (100, 100)) is None
    assert plan_read(W, H, (10.0, 10.0, 10.0, 50.0), (100, 100)) is None
    assert plan_read(W, H, (0.0, 0.0, 100.0, 100.0), (0, 100)) is None


def test_margin_prereads_beyond_the_view() -> None:
    """A 10 % margin widens the window by 10 % of the view on each side at the same decimation."""
    plan = plan_read(W, H, (1000.0, 1000.0, 2000.0, 2000.0), (500, 500), margin=0.1)
    assert plan is not None
    assert (plan.window.col_off, plan.window.width) == (900, 1200)
    assert plan.out_shape == (600, 600)
    assert plan.decimation == pytest.approx(2.0)


def test_out_shape_never_exceeds_screen_or_window_randomised() -> None:
    """For random views and screens: out_shape ≤ window, ≤ screen area the window covers, ≥ 1."""
    rng = np.random.default_rng(3)
    for _ in range(2000):
        c0, r0 = rng.uniform(-3000, W + 100), rng.uniform(-3000, H + 100)
        size = 10 ** rng.uniform(-0.5, 4.3)
        aspect = rng.uniform(0.3, 3)
        view = (c0, r0, c0 + size * aspect, r0 + size)
        screen = (int(rng.integers(1, 2500)), int(rng.integers(1, 1600)))
        plan = plan_read(W, H, view, screen)
        if plan is None:
            continue
        win = plan.window
        rows, cols = plan.out_shape
        assert 1 <= rows <= win.height and 1 <= cols <= win.width
        sx, sy = (view[2] - view[0]) / screen[0], (view[3] - view[1]) / screen[1]
        assert cols <= max(1, math.floor(win.width / sx + 1e-6)) if sx > 1 else cols <= win.width
        assert rows <= max(1, math.floor(win.height / sy + 1e-6)) if sy > 1 else rows <= win.height
        assert win.col_off >= 0 and win.col_off + win.width <= W
        assert win.row_off >= 0 and win.row_off + win.height <= H
        assert plan.pixel_rect == (win.col_off, win.row_off, win.width, win.height)


def test_overview_plan_long_side_and_aspect() -> None:
    """overview_plan reads the whole grid with the long side = max_size and the aspect preserved."""
    plan = overview_plan(W, H, 1024)
    rows, cols = plan.out_shape
    assert rows == 1024 and cols <= 1024
    assert cols == pytest.approx(1024 * W / H, abs=1)
    assert (plan.window.width, plan.window.height) == (W, H)
    small = overview_plan(300, 200, 1024)
    assert small.out_shape == (200, 300) and small.decimation == 1.0
    with pytest.raises(ValueError):
        overview_plan(0, 10, 100)
