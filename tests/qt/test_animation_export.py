"""File > Export animation...: the stack's dates written by the core's animate request on the export
lane, with the display on screen, the AOI's extent on request, progress, cancel and an atomic file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QDialog

from satview.core.demo.stack import make_demo_stack
from satview.core.render import DisplaySpec
from satview.core.stretch import Levels
from satview.qt.animation_export import frame_spec
from satview.qt.dialogs.animation import AnimationDialog
from tests.qt.test_timeline import SEPTEMBER, open_stack


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Four dates of the demo area (small scenes)."""
    return make_demo_stack(tmp_path_factory.mktemp("stack"), 4, size=160)


def export_and_wait(qtbot, win, out, timeout=120_000, **kw):
    """Start the export and wait for ``sig_written``; returns the written path."""
    with qtbot.waitSignal(win.animation.sig_written, timeout=timeout) as blk:
        win.animation.export(str(out), **kw)
    return blk.args[0]


def test_frame_spec_is_the_display_on_screen():
    """Index and band displays keep their colour map and the levels on screen; sea ice its colours."""
    levels = Levels((-0.2,), (0.8,))
    idx = frame_spec(DisplaySpec(mode="index", index="ndvi", cmap="viridis"), levels)
    assert (idx.index, idx.cmap, idx.fixed_levels) == ("ndvi", "viridis", levels)
    band = frame_spec(DisplaySpec(mode="band", bands=("B5",), cmap="magma"), levels)
    assert (band.band, band.cmap) == ("B5", "magma")
    assert frame_spec(DisplaySpec(mode="band", bands=("conc",), seaice=True), levels).fixed_levels is None


@pytest.mark.skipif(not SEPTEMBER.is_dir(), reason="real September sea-ice series not present")
def test_september_gif_has_one_frame_per_year(qtbot, win, tmp_path):
    """The 42 real September files become a 42-frame GIF, written whole into the chosen folder."""
    open_stack(qtbot, win, SEPTEMBER.resolve())
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "sept.gif"
    written = export_and_wait(qtbot, win, out, fps=5, size=300)
    assert written == str(out)
    with Image.open(out) as gif:
        assert gif.n_frames == len(win.timeline.stack.scenes)
        assert max(gif.size) == 300
    assert os.listdir(tmp_path / "out") == ["sept.gif"]
    assert win.animation.open_button.isVisible()


def test_mp4_of_the_aoi_extent(qtbot, win, demo, tmp_path):
    """With an AOI the MP4's frames cover the AOI's extent (a 120 x 40 pixel box), one frame per date."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    open_stack(qtbot, win, demo / "scenes")
    aoi_id = win.aois.add_aoi([(10, 10), (130, 10), (130, 50), (10, 50)])
    out = tmp_path / "box.mp4"
    export_and_wait(qtbot, win, out, fps=2, size=240, aoi_id=aoi_id)
    reader = imageio_ffmpeg.read_frames(str(out))
    width, height = next(reader)["size"]
    frames = sum(1 for _ in reader)
    assert frames == len(win.timeline.stack.scenes)
    assert abs(width - 120) <= 2 and abs(height - 40) <= 2


def test_dialog_choice_drives_the_export(qtbot, win, demo, tmp_path, monkeypatch):
    """Accepting the dialog with MP4 chosen writes an .mp4 at the chosen speed and size."""
    pytest.importorskip("imageio_ffmpeg")
    open_stack(qtbot, win, demo / "scenes")

    def accept(dlg):
        dlg.path.setText(str(tmp_path / "demo"))
        dlg.format.setCurrentIndex(1)
        dlg.fps.setValue(4)
        dlg.size.setValue(128)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AnimationDialog, "exec", accept)
    with qtbot.waitSignal(win.animation.sig_written, timeout=120_000) as blk:
        win.actions_["animation"].trigger()
    assert blk.args[0] == str(tmp_path / "demo.mp4") and Path(blk.args[0]).stat().st_size > 0


def test_without_a_stack_the_error_route_says_so(qtbot, win):
    """Export animation with nothing open reports what to do and writes nothing."""
    with qtbot.waitSignal(win.background.sig_failed, timeout=10_000) as blk:
        win.actions_["animation"].trigger()
    assert "stack" in blk.args[0].status_text


def test_cancel_stops_between_frames_and_leaves_no_file(tmp_path, demo, monkeypatch):
    """The animate request honours Cancel at the next frame: a CancelledError, no output, no temporary."""
    from satview.core import requests
    from satview.core.stack.discover import find_stacks
    from satview.core.stack.model import FrameSpec
    from satview.errors import CancelledError

    scenes = find_stacks([str(demo / "scenes")]).stacks[0].scenes
    monkeypatch.setattr(requests, "should_cancel", lambda: True)
    out = tmp_path / "cancelled.gif"
    with pytest.raises(CancelledError):
        requests.animate(list(scenes), str(out), FrameSpec())
    assert list(tmp_path.iterdir()) == []


def test_escape_cancels_the_export_lane(qtbot, win, monkeypatch):
    """Esc (Cancel) while no polygon is drawn cancels the export channel the animation runs on."""
    asked = []
    monkeypatch.setattr(win.background, "cancel", asked.append)
    win.cancel()
    assert "export" in asked
