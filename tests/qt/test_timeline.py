"""Timeline dock: a folder of dates opens as a stack; stepping keeps display, view and (on request) levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from satview.core import requests
from satview.core.demo.stack import make_demo_stack

SEPTEMBER = Path(__file__).resolve().parents[2] / "../shared/data/real/nsidc/september-1979-2023"


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory):
    """Six dates of the demo area (small scenes), one place."""
    return make_demo_stack(tmp_path_factory.mktemp("stack"), 6, size=160) / "scenes"


def open_stack(qtbot, win, folder, timeout=60_000):
    """Open ``folder`` in ``win`` and wait for the first date's picture."""
    with qtbot.waitSignal(win.session.sig_rendered, timeout=timeout):
        win.open_path(str(folder))
    qtbot.waitUntil(lambda: win.timeline.stack is not None, timeout=timeout)


def step_and_wait(qtbot, win, key, timeout=60_000):
    """Press ``key`` on the canvas and wait for the new date's coarse picture."""
    with qtbot.waitSignal(win.session.sig_rendered, timeout=timeout,
                          check_params_cb=lambda r: r.coarse) as blk:
        qtbot.keyClick(win.canvas, key)
    return blk.args[0]


def test_folder_of_dates_fills_the_timeline_oldest_first(qtbot, win, demo_stack):
    """Opening a folder of six dates lists them sorted with the first date on screen and marked."""
    open_stack(qtbot, win, demo_stack)
    tl = win.timeline
    assert tl.dates.count() == 6
    dates = [h.date for h in tl.stack.scenes]
    assert dates == sorted(dates)
    assert tl.current == 0 and tl.dates.currentRow() == 0
    assert win.session.path == tl.stack.scenes[0].path
    assert "% cloud" in tl.dates.item(0).text()
    assert f"showing <b>{dates[0].isoformat()}</b> (1 of 6)" in tl.title.text()


def test_keys_step_dates_and_keep_display_and_view(qtbot, win, demo_stack):
    """] and PageDown step forward, [ back; the composite and the zoomed view stay."""
    open_stack(qtbot, win, demo_stack)
    spec = win.session.display
    win.canvas.zoom(2.0)
    qtbot.wait(50)
    view = win.canvas.vb.viewRange()
    step_and_wait(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.timeline.current == 1
    assert win.session.path == win.timeline.stack.scenes[1].path
    step_and_wait(qtbot, win, Qt.Key.Key_PageDown)
    assert win.timeline.current == 2
    assert win.session.display == spec
    (x0, x1), (y0, y1) = win.canvas.vb.viewRange()  # the window's height may differ by a status line
    assert np.allclose([x0, x1, (y0 + y1) / 2], [view[0][0], view[0][1], (view[1][0] + view[1][1]) / 2])
    step_and_wait(qtbot, win, Qt.Key.Key_BracketLeft)
    assert win.timeline.current == 1


def test_fixed_levels_stay_across_dates(qtbot, win, demo_stack):
    """With "fix levels" on, the next date is drawn with the same levels; off, it gets its own."""
    open_stack(qtbot, win, demo_stack)
    win.timeline.fix_levels.setChecked(True)
    before = win.session.render_levels
    step_and_wait(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.session.render_levels == before
    win.timeline.fix_levels.setChecked(False)
    step_and_wait(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.session.render_levels != before


def test_bands_histogram_follows_the_date(qtbot, win, demo_stack):
    """Each step sends the new date's histogram to the Bands panel."""
    open_stack(qtbot, win, demo_stack)
    with qtbot.waitSignal(win.session.sig_histogram, timeout=60_000) as blk:
        win.timeline.step_by(3)
    assert blk.args[0] is not None and win.timeline.current == 3


def test_readout_follows_the_date(qtbot, win, demo_stack):
    """The pixel readout is read again at the same cell from the new date after a step."""
    open_stack(qtbot, win, demo_stack)
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000) as first:
        win.session.request_pixel(30, 40)
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000) as again:
        win.timeline.step_by(3)
    a, b = first.args[0], again.args[0]
    assert (b.row, b.col) == (a.row, a.col) == (30, 40)
    assert win.session.path == win.timeline.stack.scenes[3].path


def test_clicking_a_date_in_the_list_steps_there(qtbot, win, demo_stack):
    """Activating the fifth date in the list shows it."""
    open_stack(qtbot, win, demo_stack)
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.timeline.dates.itemClicked.emit(win.timeline.dates.item(4))
    assert win.session.path == win.timeline.stack.scenes[4].path


def test_neighbours_are_prefetched_after_a_step(qtbot, win, demo_stack):
    """Once a date is on screen, both neighbours are requested from the display worker as prefetches."""
    open_stack(qtbot, win, demo_stack)
    asked = []
    real_run = win.background.run

    def spy(channel, fn, *args, **kw):
        if fn is requests.step and args[-1] is False:
            asked.append((channel, args[0]))
        return real_run(channel, fn, *args, **kw)

    win.background.run = spy
    step_and_wait(qtbot, win, Qt.Key.Key_BracketRight)
    scenes = win.timeline.stack.scenes
    qtbot.waitUntil(lambda: len(asked) >= 2, timeout=10_000)
    assert set(asked) == {("display", scenes[0].path), ("display", scenes[2].path)}


def test_single_scene_closes_the_timeline(qtbot, win, demo_stack, tmp_path):
    """Opening one scene that is not a date of the stack empties the timeline."""
    open_stack(qtbot, win, demo_stack)
    neighbour = demo_stack.parent / "neighbour"
    scene = next(p for p in neighbour.iterdir())
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.open_path(str(scene))
    assert win.timeline.stack is None and win.timeline.dates.count() == 0


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_september_sea_ice_series_steps_by_year(qtbot, win):
    """The 42 real September NSIDC files form one stack; ] shows the next year's file."""
    open_stack(qtbot, win, SEPTEMBER.resolve())
    tl = win.timeline
    assert tl.dates.count() >= 40
    years = [h.date.year for h in tl.stack.scenes]
    assert years == sorted(years) and years[0] == 1979
    step_and_wait(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.session.path == tl.stack.scenes[1].path
    assert win.session.display.seaice
