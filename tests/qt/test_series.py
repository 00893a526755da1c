"""Series dock: the value through time of the stack for an AOI or a point; clicking a date steps there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from satview.core.demo.season import make_seaice_season
from satview.core.demo.stack import make_demo_stack
from tests.qt.test_timeline import SEPTEMBER, open_stack


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_demo_stack(tmp_path_factory.mktemp("stack"), 5, size=160)


def wait_rows(qtbot, win, trigger, timeout=120_000):
    """Run ``trigger`` and wait until the Series dock has plotted rows."""
    win.time_series.panel.rows = []
    trigger()
    qtbot.waitUntil(lambda: bool(win.time_series.panel.rows), timeout=timeout)
    return win.time_series.panel.rows


def test_point_series_has_one_row_per_date(qtbot, win, demo):
    """The last read pixel plotted through time: one row per date, dates in order, values in 0..1."""
    open_stack(qtbot, win, demo / "scenes")
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000):
        win.session.request_pixel(80, 80)
    rows = wait_rows(qtbot, win, win.actions_["plot_point"].trigger)
    dates = [h.date.isoformat() for h in win.timeline.stack.scenes]
    assert [r["date"] for r in rows] == dates
    values = [r["mean"] for r in rows if r["mean"] is not None]
    assert values and all(0 <= v <= 1.2 for v in values)
    assert win.time_series.panel.marker.isVisible()


def test_clicking_a_plotted_date_steps_there(qtbot, win, demo):
    """A click on the third point of the curve shows the third date."""
    open_stack(qtbot, win, demo / "scenes")
    with qtbot.waitSignal(win.session.sig_pixel, timeout=60_000):
        win.session.request_pixel(40, 40)
    wait_rows(qtbot, win, win.time_series.plot_point)
    with qtbot.waitSignal(win.session.sig_rendered, timeout=60_000):
        win.time_series.panel.sig_date_clicked.emit(2)
    assert win.timeline.current == 2
    assert win.session.path == win.timeline.stack.scenes[2].path


def test_aoi_needed_for_a_land_series(qtbot, win, demo):
    """Without an AOI, "Selected AOI" on a land stack reports what to do and plots nothing."""
    open_stack(qtbot, win, demo / "scenes")
    with qtbot.waitSignal(win.background.sig_failed, timeout=10_000) as blk:
        win.time_series.panel.aoi_button.click()
    assert "AOI" in blk.args[0].status_text and win.time_series.panel.rows == []


def test_seaice_season_plots_extent_and_area_against_truth(qtbot, win, tmp_path):
    """A generated sea-ice season: the hemisphere extent per day matches the planted truth."""
    folder = make_seaice_season(tmp_path, 4)
    truth = json.loads((folder / "truth.json").read_text())
    open_stack(qtbot, win, folder)
    rows = wait_rows(qtbot, win, win.time_series.panel.aoi_button.click)
    assert len(rows) == 4 and {"extent_km2", "area_km2"} <= set(rows[0])
    assert [r["date"] for r in rows] == [d["date"] for d in truth["days"]]
    assert np.allclose([r["extent_km2"] for r in rows], [d["extent_km2"] for d in truth["days"]], rtol=1e-3)
    assert np.allclose([r["area_km2"] for r in rows], [d["area_km2"] for d in truth["days"]], rtol=1e-3)


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_september_extent_declines_over_the_record(qtbot, win):
    """The real September files: the plotted Arctic extent of the 2010s is below that of the 1980s."""
    open_stack(qtbot, win, Path(SEPTEMBER).resolve())
    rows = wait_rows(qtbot, win, win.time_series.panel.aoi_button.click)
    early = np.mean([r["extent_km2"] for r in rows if r["date"] < "1990"])
    late = np.mean([r["extent_km2"] for r in rows if "2010" <= r["date"] < "2020"])
    assert 5e6 < early < 9e6 and late < early - 1e6
