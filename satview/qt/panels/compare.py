"""The Compare dock: a second date of the stack to compare with the one on screen, the way to
compare (swipe, flicker, difference), the change classes and the difference layer's legend."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QWidget,
)

from satview.qt.panels.timeline import date_text

if TYPE_CHECKING:
    from satview.core.stack.model import ChangeResult, Stack

#: Compare modes, in button order.
MODES = ("off", "swipe", "flicker", "difference")
#: Class schemes offered (the core's ``--classes`` texts); editable.
CLASS_CHOICES = ("", "dnbr", "threshold:-0.1,0.1", "threshold:-15,15")


def _counts(result: ChangeResult) -> str:
    """Cells compared and left out; for sea ice the left-out cells are flags (no ocean concentration
    in one of the dates), which belong to no class."""
    if result.quantity.startswith("sea-ice"):
        return (f"{result.pixels_compared:,} ocean cells compared; {result.pixels_masked:,} flagged "
                "(land, coast, lakes, pole hole, missing) not compared")
    return f"{result.pixels_compared:,} pixels compared, {result.pixels_masked:,} masked"


class ComparePanel(QWidget):
    """Choices of Compare mode; ``sig_changed()`` whenever one changes."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.other = QComboBox()
        self.other.setToolTip("The date compared with the one on screen; stepping keeps its distance "
                              "(the date before stays the date before)")
        self._current = 0  # the date on screen
        self._offset = -1  # the compared date, counted from the date on screen
        self.buttons = QButtonGroup(self)
        row = QHBoxLayout()
        for i, mode in enumerate(MODES):
            b = QRadioButton(mode.capitalize())
            b.setObjectName(f"compare_{mode}")
            self.buttons.addButton(b, i)
            row.addWidget(b)
        self.buttons.button(0).setChecked(True)
        self.classes = QComboBox()
        self.classes.setEditable(True)
        self.classes.addItems(CLASS_CHOICES)
        self.classes.setToolTip("Change classes: dnbr (with the NBR index), or threshold:LOW,HIGH on "
                                "AFTER - BEFORE")
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        lay = QFormLayout(self)
        lay.addRow("Compare with", self.other)
        lay.addRow(row)
        lay.addRow("Classes", self.classes)
        lay.addRow(self.legend)
        self.other.currentIndexChanged.connect(self._other_chosen)
        self.buttons.idToggled.connect(lambda _i, on: on and self.sig_changed.emit())
        self.classes.activated.connect(lambda _i: self.sig_changed.emit())

    @property
    def mode(self) -> str:
        """The chosen mode (one of :data:`MODES`)."""
        return MODES[max(0, self.buttons.checkedId())]

    def set_mode(self, mode: str) -> None:
        """Choose ``mode`` (one of :data:`MODES`)."""
        self.buttons.button(MODES.index(mode)).setChecked(True)

    def set_stack(self, stack: Stack | None, current: int) -> None:
        """List the dates of ``stack``; the date before ``current`` (else the next) is chosen."""
        self.other.blockSignals(True)
        self.other.clear()
        for h in stack.scenes if stack is not None else ():
            self.other.addItem(date_text(h))
        self.other.blockSignals(False)
        self._offset = -1
        self.follow(current)
        if stack is None:
            self.set_mode("off")
        self.setEnabled(stack is not None and len(stack.scenes) > 1)

    def follow(self, current: int) -> None:
        """The date on screen is now ``current``: choose the date at the same distance from it as
        before (clamped to the stack), and never ``current`` itself."""
        self._current = current
        n = self.other.count()
        if n < 2:
            return
        want = min(max(current + self._offset, 0), n - 1)
        if want == current:
            want = current - 1 if current > 0 else current + 1
        self.other.blockSignals(True)
        self.other.setCurrentIndex(want)
        self.other.blockSignals(False)

    def _other_chosen(self, index: int) -> None:
        if index >= 0:
            self._offset = index - self._current
        self.sig_changed.emit()

    def show_legend(self, result: ChangeResult | None, limit: float = 0.0) -> None:
        """The difference layer's colours and, with classes, the area of each class."""
        if result is None:
            self.legend.setText("")
            return
        lines = [f"<b>{result.quantity}</b>, AFTER {result.after_date} minus BEFORE {result.before_date}:",
                 f"<span style='color:#b2182b'>■</span> −{limit:.3g} (decrease) … "
                 f"<span style='color:#2166ac'>■</span> +{limit:.3g} (increase); " + _counts(result)]
        if result.classes:
            # the scheme's rule ("decrease < -15 <= no change ..."), escaped: its "<" are not tags
            lines.append(f"<i>classes {html.escape(result.convention.removeprefix('AFTER - BEFORE; '))}</i>")
            lines += [f"{name}: {km2:,.2f} km²" for name, km2 in result.classes.items()]
            lines.append(f"compared in all: {sum(result.classes.values()):,.2f} km²")
        self.legend.setText("<br>".join(lines))
