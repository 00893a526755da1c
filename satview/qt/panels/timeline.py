"""The Timeline dock: the dates of the open stack with their cloud cover, the current one marked,
a slider and previous/next buttons, and the "fix levels across the stack" switch.

It only shows a :class:`satview.core.stack.discover.Stack` (found by the core in a worker) and asks
for a date with ``sig_step_requested(index)``; the main window steps the session there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from satview.core.stack.model import SceneHeader, Stack

#: The keys that step through the dates (also written in the README's shortcut line).
PREVIOUS_KEYS = ("[", "PgUp")
NEXT_KEYS = ("]", "PgDown")


def date_text(h: SceneHeader) -> str:
    """One line of the date list: date, cloud cover when known, product id or file name."""
    cloud = f"  {h.cloud_cover:4.0f} % cloud" if h.cloud_cover is not None else ""
    name = h.product_id or h.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{h.date.isoformat()}{cloud}   {name}"


class TimelinePanel(QWidget):
    """The dates of one stack; ``current`` is the date on screen."""

    sig_step_requested = Signal(int)  # the user picked a date (index into ``stack.scenes``)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack: Stack | None = None
        self.current = -1
        self._summary = ""
        self.title = QLabel("Open a folder or several files of one place to step through its dates")
        self.title.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setTracking(False)  # one step when the handle is released, not one per position
        self.slider.setPageStep(1)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.prev_button.setToolTip(f"Previous date ({' or '.join(PREVIOUS_KEYS)})")
        self.next_button.setToolTip(f"Next date ({' or '.join(NEXT_KEYS)})")
        self.fix_levels = QCheckBox("Fix levels across the stack")
        self.fix_levels.setToolTip("Keep the current display levels for every date, so frames compare")
        self.dates = QListWidget()
        self.dates.setAlternatingRowColors(True)
        row = QHBoxLayout()
        row.addWidget(self.prev_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.next_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.fix_levels)
        lay.addWidget(self.dates, 1)
        self.slider.valueChanged.connect(self._picked)
        self.dates.itemActivated.connect(lambda item: self._picked(self.dates.row(item)))
        self.dates.itemClicked.connect(lambda item: self._picked(self.dates.row(item)))
        self.prev_button.clicked.connect(lambda: self.step_by(-1))
        self.next_button.clicked.connect(lambda: self.step_by(1))

    def set_stack(self, stack: Stack | None, current: int = 0) -> None:
        """Show ``stack`` (None: no stack open) with date ``current`` marked."""
        self.stack = stack
        self.dates.clear()
        n = len(stack.scenes) if stack is not None else 0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.current = -1
        if stack is None:
            self.title.setText("Open a folder or several files of one place to step through its dates")
            return
        first, last = stack.scenes[0].date, stack.scenes[-1].date
        self._summary = f"{stack.label}: {n} dates, {first.isoformat()} to {last.isoformat()}"
        for h in stack.scenes:
            item = QListWidgetItem(date_text(h))
            item.setToolTip(h.path)
            self.dates.addItem(item)
        self.mark(current)

    def mark(self, index: int) -> None:
        """Mark date ``index`` as the one on screen (bold, selected, slider there)."""
        if self.stack is None or not 0 <= index < len(self.stack.scenes):
            return
        for i in range(self.dates.count()):
            font = QFont(self.dates.font())
            font.setBold(i == index)
            self.dates.item(i).setFont(font)
        self.current = index
        shown, n = self.stack.scenes[index].date.isoformat(), len(self.stack.scenes)
        self.title.setText(f"{self._summary}; showing <b>{shown}</b> ({index + 1} of {n})")
        self.dates.setCurrentRow(index)
        self.dates.scrollToItem(self.dates.item(index))
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.stack.scenes) - 1)

    def step_by(self, delta: int) -> None:
        """Ask for the date ``delta`` places from the current one (clamped to the stack)."""
        if self.stack is None:
            return
        self._picked(max(0, min(len(self.stack.scenes) - 1, self.current + delta)))

    def neighbours(self, radius: int = 1) -> list[SceneHeader]:
        """The dates next to the current one (nearest first), to prefetch."""
        if self.stack is None:
            return []
        out = []
        for d in range(1, radius + 1):
            for i in (self.current + d, self.current - d):
                if 0 <= i < len(self.stack.scenes):
                    out.append(self.stack.scenes[i])
        return out

    def _picked(self, index: int) -> None:
        if self.stack is not None and 0 <= index < len(self.stack.scenes) and index != self.current:
            self.sig_step_requested.emit(index)
