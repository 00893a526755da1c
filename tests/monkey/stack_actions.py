"""The monkey's actions on stacks of dates (timeline, series, compare; see ``user_actions.py``): open a
folder or several files of one place, step dates with the keys or the date list, plot a pixel or an
AOI through time, switch compare modes and classes, export the change."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

#: The keys that step dates (timeline.PREVIOUS_KEYS / NEXT_KEYS).
STEP_KEYS = (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


class StackActions:
    """Mixed into ``Monkey``: needs its ``win``, ``rng``, ``paths`` ("stacks": folders of dates),
    ``rec``, ``key``, ``click``, ``pick_combo`` and ``_maybe_wait_open``."""

    win: Any
    rng: Any
    paths: dict[str, list[str]]
    rec: Any

    def stack_actions(self) -> list[tuple[str, float, Any]]:
        """(name, weight, action) of the stack actions."""
        return [("open_stack", 1, self.open_stack), ("open_dates", 1, self.open_dates),
                ("step_date", 4, self.step_date), ("pick_date", 1, self.pick_date),
                ("series", 1, self.series), ("compare", 2, self.compare), ("change", 1, self.export_change)]

    def open_stack(self) -> None:
        """A folder of dates dropped on the window (it opens as a stack)."""
        from PySide6.QtCore import QMimeData, QPointF, QUrl
        from PySide6.QtGui import QDropEvent
        from PySide6.QtWidgets import QApplication

        if not self.paths.get("stacks"):
            return
        self.rec.detail = self.rng.choice(self.paths["stacks"])
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(self.rec.detail)])
        QApplication.sendEvent(self.win, QDropEvent(QPointF(60, 60), Qt.DropAction.CopyAction, mime,
                                                    Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
        self._maybe_wait_open()  # type: ignore[attr-defined]

    def open_dates(self) -> None:
        """File > Open dates... (the patched dialog answers with a few files, some of other places)."""
        self.win.actions_["open_files"].trigger()
        self._maybe_wait_open()  # type: ignore[attr-defined]

    def step_date(self) -> None:
        self.key(self.win.canvas.glw, self.rng.choice(STEP_KEYS))  # type: ignore[attr-defined]

    def pick_date(self) -> None:
        dates = self.win.timeline.dates
        if dates.count():
            item = dates.item(self.rng.randrange(dates.count()))
            dates.setCurrentItem(item)
            dates.itemClicked.emit(item)

    def series(self) -> None:
        panel = self.win.time_series.panel
        choice = self.rng.random()
        if choice < 0.4:
            self.win.actions_["plot_point"].trigger()
        else:
            self.click(panel.aoi_button if choice < 0.7 else panel.point_button)  # type: ignore[attr-defined]

    def compare(self) -> None:
        panel = self.win.compare.panel
        choice = self.rng.random()
        if choice < 0.5:
            self.click(self.rng.choice(panel.buttons.buttons()))  # type: ignore[attr-defined]
        elif choice < 0.8:
            self.pick_combo(panel.other)  # type: ignore[attr-defined]
        else:
            self.pick_combo(panel.classes)  # type: ignore[attr-defined]

    def export_change(self) -> None:
        self.win.actions_["change"].trigger()
