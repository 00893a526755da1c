"""The Timeline, Series and Compare docks appear with a stack and go with it.

A single scene has no dates to step, plot or compare, so those docks would only take a third of
the window; they are hidden until a stack opens, shown when one does (each time another stack
opens), and hidden again when the scene on screen belongs to no stack. In between the user may
close or reopen them from the View menu (their toggle actions), and that choice is left alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

from satview.qt.stacks import StackBrowser

#: Share of the window's width for the first dock (the Timeline) beside the second (Series/Compare),
#: and of its height for the docks, the first time they appear.
FIRST_WIDTH, HEIGHT = 0.4, 0.32


class TimeDocks(QObject):
    """Shows ``docks`` of ``window`` while ``stacks`` has a stack (of tabbed ones, the first listed
    in front); the first time, the first two side by side get a useful size."""

    def __init__(self, docks: list[QDockWidget], stacks: StackBrowser, window: QMainWindow) -> None:
        super().__init__(window)
        self.main, self.docks = window, docks
        self._stack: Any = None
        self._sized = False
        for dock in docks:
            dock.hide()
        stacks.sig_stack_changed.connect(self._stack_changed)

    def _stack_changed(self, stack: Any) -> None:
        if stack is self._stack:
            return
        self._stack = stack
        for dock in self.docks:
            dock.setVisible(stack is not None)
        if stack is not None:
            for dock in reversed(self.docks):  # tabbed docks: the earliest of a tab group ends in front
                dock.raise_()
            if not self._sized:
                self._sized = True
                QTimer.singleShot(0, self._size)  # once the shown docks are laid out

    def _size(self) -> None:
        w, h = self.main.width(), self.main.height()
        self.main.resizeDocks(self.docks[:2], [int(w * FIRST_WIDTH), int(w * (1 - FIRST_WIDTH))],
                              Qt.Orientation.Horizontal)
        self.main.resizeDocks(self.docks[:1], [int(h * HEIGHT)], Qt.Orientation.Vertical)
