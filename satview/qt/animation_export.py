"""File > Export animation...: the open stack's dates as a GIF or MP4, as ``satview animate`` writes it.

The frames show what the window shows: the composite (or band, or index) and colour map on screen,
with the levels on screen used for every date, so brightness changes between frames are real; a
sea-ice stack is drawn in the sea-ice colours. With an AOI selected the frames can cover its extent
only. The core's ``write_animation`` runs through ``requests.animate`` on the export lane, with
progress and Cancel in the status bar and failures on the one error route; the file appears only
complete (atomic), and an "Open animation" button in the status bar shows it afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QPushButton, QStatusBar

from satview.core import requests
from satview.core.render import DisplaySpec
from satview.errors import SatviewError
from satview.qt.aoi_store import AoiStore
from satview.qt.output_dirs import default_output_dir, remember_output_dir
from satview.qt.session import Session, guard
from satview.qt.stacks import StackBrowser


def frame_spec(spec: DisplaySpec | None, levels: Any) -> Any:
    """The core ``FrameSpec`` of the display on screen with its (physical) ``levels`` fixed for every
    frame; a sea-ice display keeps the sea-ice colours (no levels)."""
    from satview.core.stack.model import FrameSpec

    if spec is None:
        raise SatviewError("no scene is open; open a stack first")
    if spec.seaice:
        return FrameSpec()
    if spec.mode == "index":
        return FrameSpec(index=spec.index, fixed_levels=levels, cmap=spec.cmap)
    if spec.mode == "rgb" and spec.preset:  # a preset names the bands of each sensor of a mixed stack
        return FrameSpec(preset=spec.preset, fixed_levels=levels)
    if spec.mode == "rgb":
        return FrameSpec(bands=tuple(spec.bands), fixed_levels=levels)
    return FrameSpec(band=spec.bands[0], fixed_levels=levels, cmap=spec.cmap)


class AnimationExport(QObject):
    """Writes the stack of ``stacks`` as an animation; ``sig_written(path)`` when one is complete."""

    sig_written = Signal(str)

    def __init__(self, session: Session, stacks: StackBrowser, aois: AoiStore,
                 selected_aoi: Callable[[], int | None], status_bar: QStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = session.background
        self.session, self.stacks, self.aois, self.selected_aoi = session, stacks, aois, selected_aoi
        self.status_bar = status_bar
        self.last_written: str | None = None
        self.open_button = QPushButton("Open animation")
        self.open_button.setToolTip("Show the animation just written")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.open_result)
        status_bar.addPermanentWidget(self.open_button)

    @property
    def scene_path(self) -> str | None:
        """The file on screen (errors name it)."""
        return self.session.path

    def _scenes(self) -> list[Any]:
        stack = self.stacks.stack
        if stack is None:
            raise SatviewError("open a folder or several files of one place (a stack) to animate its dates")
        return list(stack.scenes)

    @guard("Cannot export the animation")
    def ask(self, settings: QSettings | None = None) -> None:
        """Ask for the file, format, frame rate, size and extent, then write the animation."""
        from satview.qt.dialogs.animation import AnimationDialog

        scenes = self._scenes()
        frame_spec(self.session.display, self.session.levels)  # nothing to animate: said before the dialog
        aoi_id = self.selected_aoi()
        aoi_name = self.aois.aoi(aoi_id).name if aoi_id is not None else None
        start = default_output_dir(settings, [h.path for h in scenes])
        dlg = AnimationDialog(scenes, start, aoi_name, self.session.display, self.parent())
        self.dialog = dlg
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        c = dlg.choice()
        remember_output_dir(settings, os.path.dirname(c.out_path))
        self.export(c.out_path, fps=c.fps, size=c.size, aoi_id=aoi_id if c.aoi_only else None)

    @guard("Cannot export the animation")
    def export(self, out_path: str, *, fps: float = 2.0, size: int = 1024, aoi_id: int | None = None) -> None:
        """Write every date of the stack to ``out_path`` (.gif or .mp4) with the display on screen;
        ``aoi_id``: frames cover that AOI's extent. Then ``sig_written(out_path)``."""
        scenes = self._scenes()
        what = frame_spec(self.session.display, self.session.levels)
        aoi = self.aois.aoi(aoi_id) if aoi_id is not None else None
        out = os.path.abspath(os.fspath(out_path))
        self.open_button.setVisible(False)

        def done(path: str) -> None:
            self.last_written = path
            self.open_button.setVisible(True)
            self.status_bar.showMessage(f"Animation written: {path} ({len(scenes)} frames)")
            self.sig_written.emit(path)

        self.background.run("export", requests.animate, scenes, out, what, aoi, float(fps), int(size),
                            done=done, title="Cannot export the animation", path=scenes[0].path,
                            busy=f"Writing {os.path.basename(out)}…", progress=True)

    def open_result(self) -> None:
        """Show the last animation written with the desktop's program for it."""
        path = self.last_written
        if path and not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.status_bar.showMessage(f"No program here opens it; the animation is {path}")
