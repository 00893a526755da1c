"""The "Export animation" dialog: output file, GIF or MP4, frames per second, frame size and whether
the frames cover only the selected AOI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

#: The dialog's least width in pixels (the output path stays readable).
MIN_WIDTH = 620
#: Formats offered: (label, file suffix).
FORMATS = (("GIF", ".gif"), ("MP4 (H.264)", ".mp4"))


@dataclass(frozen=True)
class AnimationChoice:
    """What the user chose: the output file, frames per second, long side in pixels, AOI only."""

    out_path: str
    fps: float
    size: int
    aoi_only: bool


def default_animation_name(scenes: list[Any]) -> str:
    """``animation_<first date>_<last date>.gif``."""
    return f"animation_{scenes[0].date.isoformat()}_{scenes[-1].date.isoformat()}.gif"


class AnimationDialog(QDialog):
    """Ask how to animate ``scenes`` (the stack's dates); ``aoi_name``: the selected AOI, if any."""

    def __init__(self, scenes: list[Any], start_dir: str, aoi_name: str | None, display: Any,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.setMinimumWidth(MIN_WIDTH)
        what = "sea-ice colours" if getattr(display, "seaice", False) else (
            "the composite, colours and levels on screen, the same levels for every date")
        about = QLabel(f"{len(scenes)} dates, {scenes[0].date.isoformat()} to {scenes[-1].date.isoformat()}, "
                       f"each frame with its date; {what}.")
        about.setWordWrap(True)
        self.path = QLineEdit(os.path.join(start_dir, default_animation_name(scenes)))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.format = QComboBox()
        for label, suffix in FORMATS:
            self.format.addItem(label, suffix)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(0.1, 60.0)
        self.fps.setDecimals(1)
        self.fps.setValue(2.0)
        self.fps.setSuffix(" frames/s")
        self.size = QSpinBox()
        self.size.setRange(16, 8192)
        self.size.setValue(1024)
        self.size.setSuffix(" px")
        self.size.setToolTip("The long side of each frame (never more than the data's own pixels)")
        self.aoi_only = QCheckBox(f"Only the extent of AOI {aoi_name!r}" if aoi_name else
                                  "Only an AOI's extent (select an AOI first)")
        self.aoi_only.setEnabled(aoi_name is not None)
        self.aoi_only.setChecked(aoi_name is not None)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(about)
        form.addRow("File", path_row)
        form.addRow("Format", self.format)
        form.addRow("Speed", self.fps)
        form.addRow("Size", self.size)
        form.addRow(self.aoi_only)
        form.addRow(buttons)

    def _format_changed(self, _i: int) -> None:
        """The file's suffix follows the format."""
        stem, _ = os.path.splitext(self.path.text())
        self.path.setText(stem + self.format.currentData())

    def _browse(self) -> None:
        label = self.format.currentText()
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", self.path.text(),
                                              f"{label} (*{self.format.currentData()})")
        if path:
            self.path.setText(path)
            self._sync_format()

    def _sync_format(self) -> None:
        """A typed .gif/.mp4 file name picks the format; another name gets the format's suffix."""
        suffix = os.path.splitext(self.path.text())[1].lower()
        for i, (_label, s) in enumerate(FORMATS):
            if s == suffix:
                self.format.blockSignals(True)
                self.format.setCurrentIndex(i)
                self.format.blockSignals(False)
                return
        self.path.setText(self.path.text() + self.format.currentData())

    def choice(self) -> AnimationChoice:
        """The choices (the file name ends in the format's suffix)."""
        self._sync_format()
        out = os.path.abspath(os.path.expanduser(self.path.text().strip()))
        return AnimationChoice(out, self.fps.value(), self.size.value(), self.aoi_only.isChecked())
