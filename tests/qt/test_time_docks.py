"""The time docks appear with a stack; the title, the Files panel, the readout's series marker and the
Bands histogram follow the date on screen."""

from __future__ import annotations

import os

import numpy as np
import pytest

from satview.core.demo.stack import make_demo_stack
from satview.qt.panels.series import _stamp
from tests.qt.test_timeline import SEPTEMBER, open_stack

TIME_DOCKS = ("timeline", "series", "compare")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Five dates of the demo area (small scenes) and a neighbouring single scene."""
    return make_demo_stack(tmp_path_factory.mktemp("stack"), 5, size=160)


def test_time_docks_hidden_without_a_stack(win):
    """A fresh window shows no Timeline, Series or Compare dock, but the View menu can open them."""
    assert all(win.docks[k].isHidden() for k in TIME_DOCKS)
    win.docks["series"].toggleViewAction().trigger()
    assert not win.docks["series"].isHidden()


def test_time_docks_come_with_a_stack_and_go_with_it(qtbot, win, demo):
    """Opening a folder of dates shows the three docks; opening one unrelated scene hides them."""
    open_stack(qtbot, win, demo / "scenes")
    qtbot.waitUntil(lambda: not any(win.docks[k].isHidden() for k in TIME_DOCKS), timeout=10_000)
    scene = next((demo / "neighbour").iterdir())
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.open_path(str(scene))
    qtbot.waitUntil(lambda: all(win.docks[k].isHidden() for k in TIME_DOCKS), timeout=10_000)


def test_empty_series_plot_is_hidden_behind_a_hint(win):
    """Before any series the dock shows the hint, not empty axes."""
    panel = win.time_series.panel
    assert panel.plot.isHidden() and "stack" in panel.title.text()


def _step(qtbot, win, index):
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000, check_params_cb=lambda r: r.coarse):
        win.stacks.step_to(index)


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_title_and_files_panel_follow_the_date(qtbot, make_win):
    """After stepping to the third September the title, the datasets list and the highlighted file
    all name the third file, not the first."""
    folder = SEPTEMBER.resolve()
    win = make_win(root=folder)
    open_stack(qtbot, win, folder)
    _step(qtbot, win, 2)
    path = win.timeline.stack.scenes[2].path
    name = os.path.basename(path)
    assert name in win.windowTitle()
    assert win.files.datasets_label.text() == f"Datasets of {name}"
    qtbot.waitUntil(lambda: win.files.tree.currentIndex().isValid(), timeout=10_000)
    current = win.files.model.filePath(win.files.proxy.mapToSource(win.files.tree.currentIndex()))
    assert os.path.abspath(current) == path


def test_point_series_marker_follows_the_date(qtbot, win, demo):
    """The readout pixel plotted through time marks the date on screen, before and after a step."""
    open_stack(qtbot, win, demo / "scenes")
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000):
        win.session.request_pixel(80, 80)
    panel = win.time_series.panel
    win.actions_["plot_point"].trigger()
    qtbot.waitUntil(lambda: bool(panel.rows), timeout=120_000)
    assert panel.marker.value() == _stamp(panel.rows[0]["date"])
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000) as again:
        _step(qtbot, win, 3)
    assert panel.marker.value() == _stamp(panel.rows[3]["date"])
    assert (again.args[0].row, again.args[0].col) == (80, 80)
    assert win.time_series.last_pixel is again.args[0]


def test_bands_histogram_shows_the_new_dates_counts(qtbot, win, demo):
    """The Bands panel's histogram is the stepped-to date's (its counts differ from the first date's)."""
    open_stack(qtbot, win, demo / "scenes")
    first = [np.asarray(b.counts).copy() for b in win.bands.hist.bands]
    _step(qtbot, win, 4)
    later = [np.asarray(b.counts) for b in win.bands.hist.bands]
    assert win.bands.hist is not None and len(later) == len(first)
    assert any(not np.array_equal(a, b) for a, b in zip(first, later, strict=True))


def _dates_in_own_folders(demo, tmp_path):
    """The demo dates, each scene folder in a folder of its own (``dates/0``, ``dates/1``, ...)."""
    import shutil

    dates = tmp_path / "dates"
    for i, scene in enumerate(sorted((demo / "scenes").iterdir())):
        shutil.copytree(scene, dates / str(i) / scene.name)
    return dates


def _highlighted(win):
    index = win.files.tree.currentIndex()
    return os.path.abspath(win.files.model.filePath(win.files.proxy.mapToSource(index)))


def test_files_panel_follows_a_step_into_the_next_dates_folder(qtbot, make_win, demo, tmp_path):
    """When the Files panel shows the folder of the date on screen, a step to a date kept in another
    folder shows that folder with the new date highlighted."""
    dates = _dates_in_own_folders(demo, tmp_path)
    win = make_win(root=dates / "0")
    open_stack(qtbot, win, dates)
    _step(qtbot, win, 2)
    path = win.timeline.stack.scenes[2].path
    assert win.files.root == os.path.dirname(path)
    qtbot.waitUntil(lambda: _highlighted(win) == path, timeout=10_000)


def test_files_panel_stays_in_a_folder_the_user_went_to(qtbot, make_win, demo, tmp_path):
    """A folder the user went to (not the date's) stays shown while stepping."""
    dates = _dates_in_own_folders(demo, tmp_path)
    win = make_win(root=dates / "0")
    open_stack(qtbot, win, dates)
    win.files.set_root(str(tmp_path))
    _step(qtbot, win, 2)
    assert win.files.root == str(tmp_path)
