"""Compare mode: swipe and flicker show a second date over the first; the difference layer and the
change export come from the core's write_change (planted burn scar of the demo stack)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PySide6.QtCore import QTimer

from satview.core.demo.stack import make_demo_stack
from satview.qt.panels.compare import MODES
from tests.qt.test_timeline import SEPTEMBER, open_stack


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_demo_stack(tmp_path_factory.mktemp("stack"), 4, size=160)


def choose(qtbot, win, mode, other=None, classes=None, timeout=120_000):
    """Set the Compare dock and wait until the layer is drawn."""
    p = win.compare.panel
    if other is not None:
        p.other.setCurrentIndex(other)
    if classes is not None:
        p.classes.setCurrentText(classes)
    win.compare.picture = None
    win.compare.change = None
    p.set_mode(mode)
    if mode == "difference":
        qtbot.waitUntil(lambda: win.compare.change is not None, timeout=timeout)
    else:
        qtbot.waitUntil(lambda: win.compare.picture is not None, timeout=timeout)


def test_swipe_shows_the_other_date_left_of_the_divider(qtbot, win, demo):
    """Swipe: the layer covers the scene from its left edge to the divider, and follows the divider."""
    open_stack(qtbot, win, demo / "scenes")
    choose(qtbot, win, "swipe", other=3)
    c = win.compare
    assert c.divider.isVisible() and c.layer.isVisible()
    x, _, w, _ = c.rect
    c.divider.setValue(x + w / 4)
    rect = c.layer.mapRectToParent(c.layer.boundingRect())
    assert rect.left() == pytest.approx(x, abs=1) and rect.right() == pytest.approx(x + w / 4, abs=w / 100)
    other = np.asarray(c.picture)
    assert not np.array_equal(other, np.asarray(win.canvas.coarse.image))  # another date


def test_flicker_toggles_the_other_date(qtbot, win, demo):
    """Flicker: the second date's layer is shown and hidden in turn."""
    open_stack(qtbot, win, demo / "scenes")
    choose(qtbot, win, "flicker", other=2)
    seen = set()
    timer = QTimer()
    timer.timeout.connect(lambda: seen.add(win.compare.layer.isVisible()))
    timer.start(50)
    qtbot.waitUntil(lambda: seen == {True, False}, timeout=10_000)
    timer.stop()
    choose_off = win.compare.panel
    choose_off.set_mode("off")
    assert not win.compare.layer.isVisible() and not win.compare.timer.isActive()


def test_difference_layer_with_dnbr_classes_finds_the_planted_scar(qtbot, win, demo):
    """NBR difference across the planted burn (dates 3 and 4) with dNBR classes: the high-severity
    area is the planted scar's, the layer is drawn and the legend lists the classes."""
    from dataclasses import replace

    truth = json.loads((demo / "truth.json").read_text())["burn"]
    open_stack(qtbot, win, demo / "scenes")
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.timeline.step_by(truth["before_index"])
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.session.set_display(replace(win.session.display, mode="index", index="nbr", bands=()))
    choose(qtbot, win, "difference", other=truth["after_index"], classes="dnbr")
    result = win.compare.change
    assert result.classes["high severity"] == pytest.approx(truth["km2"], rel=0.05)
    assert win.compare.layer.isVisible()
    assert "high severity" in win.compare.panel.legend.text()


def test_export_change_writes_after_minus_before(qtbot, win, demo, tmp_path, monkeypatch):
    """File > Export change GeoTIFF writes a float32 AFTER - BEFORE raster where the user says."""
    from PySide6.QtWidgets import QFileDialog

    open_stack(qtbot, win, demo / "scenes")
    win.compare.panel.other.setCurrentIndex(2)
    out = tmp_path / "out" / "change.tif"
    out.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    win.actions_["change"].trigger()
    qtbot.waitUntil(out.exists, timeout=120_000)
    with rasterio.open(out) as src:
        assert src.dtypes[0] == "float32"
        assert src.tags().get("SATVIEW_CHANGE") == "AFTER minus BEFORE"


def test_modes_are_all_offered(win):
    """The dock offers off, swipe, flicker and difference."""
    names = [win.compare.panel.buttons.button(i).text().lower() for i in range(len(MODES))]
    assert names == list(MODES)


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_september_difference_keeps_flags(qtbot, win):
    """1979 against 2023 (real files): the concentration difference is drawn; land/coast flags stay grey."""
    open_stack(qtbot, win, Path(SEPTEMBER).resolve())
    n = win.timeline.dates.count()
    choose(qtbot, win, "difference", other=n - 1)
    rgba = np.asarray(win.compare.layer.image)
    grey = np.all(rgba[..., :3] == 160, axis=-1)
    assert grey.any() and (rgba[..., 3] == 255).mean() > 0.5
    assert "sea-ice" in win.compare.change.quantity


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_september_legend_counts_only_ocean_cells(qtbot, win):
    """The legend of 2023 minus 1979 with threshold classes shows the whole class rule, calls the flag
    cells not compared, and its class areas add up to the compared ocean (not the grid)."""
    open_stack(qtbot, win, Path(SEPTEMBER).resolve())
    win.stacks.step_to(win.timeline.dates.count() - 1)
    choose(qtbot, win, "difference", other=0, classes="threshold:-15,15")
    text = win.compare.panel.legend.text()
    assert "decrease &lt; -15 &lt;= no change &lt;= 15 &lt; increase" in text
    assert "flagged (land, coast, lakes, pole hole, missing) not compared" in text
    result = win.compare.change
    assert result.before_date == "1979-09-01" and result.after_date == "2023-09-01"
    assert f"compared in all: {sum(result.classes.values()):,.2f} km²" in text
    assert sum(result.classes.values()) < 0.6 * 75.66e6  # the grid's whole area is 75.66 M km²


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_difference_follows_a_reprojected_view(qtbot, win):
    """With the view reprojected to Alaska Albers the difference layer is warped onto the view's grid:
    it covers that grid, and a flag cell (grey) of the scene lands where the view shows that cell."""
    from tests.qt.test_reprojected_view import _reproject

    open_stack(qtbot, win, Path(SEPTEMBER).resolve())
    choose(qtbot, win, "difference", other=1)
    _reproject(qtbot, win)
    warp = win.compare.canvas.warp
    qtbot.waitUntil(lambda: win.compare._placed_on == warp, timeout=10_000)
    rgba = np.asarray(win.compare.layer.image)
    assert rgba.shape[:2] == (warp.grid.height, warp.grid.width)
    assert win.compare.rect == (0.0, 0.0, float(warp.grid.width), float(warp.grid.height))
    grey = np.argwhere(np.all(rgba[..., :3] == 160, axis=-1) & (rgba[..., 3] == 255))
    row, col = grey[len(grey) // 2]
    src = warp.to_source(col + 0.5, row + 0.5)
    assert src is not None
    scene_rows, scene_cols = np.asarray(win.compare._source[0]).shape[:2]
    x, y, w, h = win.compare._source[1]
    r = int((src[1] - y) / h * scene_rows)
    c = int((src[0] - x) / w * scene_cols)
    assert tuple(np.asarray(win.compare._source[0])[r, c, :3]) == (160, 160, 160)
    from satview.core.mapview import earth_mask

    assert not rgba[..., 3][~earth_mask(warp.grid)].any()  # off the Earth stays clear, as in the view


def test_compared_date_keeps_its_distance_and_is_never_the_date_on_screen(qtbot, win, demo):
    """Stepping moves the compared date along (the date before stays the date before; clamped at the
    ends) and never lands on the date on screen, so swipe keeps drawing a second date."""
    open_stack(qtbot, win, demo / "scenes")
    p, seen = win.compare.panel, []
    for i in range(4):
        win.stacks.step_to(i)
        seen.append(p.other.currentIndex())
    assert seen == [1, 0, 1, 2]
    p.other.setCurrentIndex(3)  # the user picks the date on screen itself
    assert win.timeline.current == 3 and p.other.currentIndex() == 3
    win.stacks.step_to(0)  # offset 0 is meaningless: the neighbour is compared
    assert p.other.currentIndex() == 1
    p.other.setCurrentIndex(3)  # three dates after the one on screen
    win.stacks.step_to(1)
    assert p.other.currentIndex() == 3
    choose(qtbot, win, "swipe")
    win.compare.picture = None
    win.stacks.step_to(3)
    assert p.other.currentIndex() == 2
    qtbot.waitUntil(lambda: win.compare.picture is not None, timeout=120_000)
