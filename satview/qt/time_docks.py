"""The Timeline, Series and Compare docks appear with a stack and go with it.

A single scene has no dates to step, plot or compare, so those docks would only take a third of
the window; they are hidden until a stack opens, shown when one does (each time another stack
opens), and hidden again when the scene on screen belongs to no stack. In between the user may
close or reopen them from the View menu (their toggle actions), and that choice is left alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget

from satview.qt.stacks import StackBrowser


class TimeDocks(QObject):
    """Shows ``docks`` while ``stacks`` has a stack (of tabbed ones, the first listed in front)."""

    def __init__(self, docks: list[QDockWidget], stacks: StackBrowser, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.docks = docks
        self._stack: Any = None
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
