"""Stacks in the app: find the dates among the opened paths (core ``find_stacks`` in the "files"
worker), show them on the Timeline dock and step the session through them with prefetch.

Stepping keeps the display and the view (``Session.step``); the neighbouring dates of the one on
screen are then opened and drawn in the display worker ahead of time (``Session.prefetch``), so
the next step finds its picture ready.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from satview.core import requests
from satview.core.types import SceneInfo
from satview.errors import SatviewError
from satview.qt.panels.timeline import TimelinePanel
from satview.qt.session import Session
from satview.qt.workers import Background

if TYPE_CHECKING:
    from satview.core.stack.model import Stack, StackDiscovery

#: Dates on each side of the current one opened ahead of time.
PREFETCH_RADIUS = 1


class StackBrowser(QObject):
    """The stack of one main window. ``sig_stack_changed(object)``: a Stack, or None when the open
    scene belongs to none; ``sig_date_changed(int)``: the date on screen (index into the stack)."""

    sig_stack_changed = Signal(object)
    sig_date_changed = Signal(int)

    def __init__(self, background: Background, session: Session, panel: TimelinePanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background, self.session, self.panel = background, session, panel
        self.stack: Stack | None = None
        self._prefetched_for: str | None = None  # the date whose neighbours were prefetched
        panel.sig_step_requested.connect(self.step_to)
        session.sig_scene_opened.connect(self._scene_opened)
        session.sig_rendered.connect(self._rendered)

    @property
    def current(self) -> int:
        """Index of the date on screen (-1 without a stack)."""
        return self.panel.current

    def open_paths(self, paths: list[str]) -> None:
        """Open ``paths`` (files and folders): several dates of one place become the timeline and the
        first date opens; anything else opens as a single scene."""
        paths = [os.path.abspath(os.path.expanduser(p)) for p in paths]

        def done(found: StackDiscovery) -> None:
            best = found.stacks[0] if found.stacks else None
            if best is not None and len(best.scenes) > 1:
                self._set_stack(best)
                self.session.open(best.scenes[0].path)
            elif len(paths) == 1:  # one scene (a file or an unpacked scene folder) as before
                self.session.open(paths[0])
            elif best is not None:
                self.session.open(best.scenes[0].path)
            else:
                reasons = "; ".join(f"{os.path.basename(p)}: {r}" for p, r in found.ignored[:3])
                self.background.fail(SatviewError(f"no scene found among the paths ({reasons})"),
                                     "Cannot open", paths[0])

        self.background.run("files", requests.find_stacks, paths, done=done, title="Cannot list the dates",
                            path=paths[0], busy="Looking for dates…")

    def _set_stack(self, stack: Stack | None) -> None:
        self.stack = stack
        self.panel.set_stack(stack)
        self.sig_stack_changed.emit(stack)

    def step_to(self, index: int) -> None:
        """Show date ``index`` of the stack with the current display and view."""
        if self.stack is None or not 0 <= index < len(self.stack.scenes):
            return
        path = self.stack.scenes[index].path
        self.panel.mark(index)
        self.session.step(path, fixed_levels=self.panel.fix_levels.isChecked())
        self.sig_date_changed.emit(index)

    def step_by(self, delta: int) -> None:
        """Previous (-1) or next (+1) date."""
        self.panel.step_by(delta)

    def _index_of(self, path: str | None) -> int:
        if self.stack is None or path is None:
            return -1
        for i, h in enumerate(self.stack.scenes):
            if h.path == path:
                return i
        return -1

    def _scene_opened(self, _info: SceneInfo) -> None:
        i = self._index_of(self.session.path)
        if i < 0:
            self._set_stack(None)
        elif i != self.panel.current:
            self.panel.mark(i)
            self.sig_date_changed.emit(i)

    def _rendered(self, result: object) -> None:
        """The coarse picture of a date is on screen: prefetch its neighbours (once per date)."""
        if self.stack is None or not getattr(result, "coarse", False):
            return
        if self._index_of(self.session.path) != self.panel.current:
            return
        if self._prefetched_for == self.session.path:
            return
        self._prefetched_for = self.session.path
        paths = [h.path for h in self.panel.neighbours(PREFETCH_RADIUS)]
        self.session.prefetch(paths, fixed_levels=self.panel.fix_levels.isChecked())
