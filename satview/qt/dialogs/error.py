"""The error details dialog: the message, expandable details (traceback) and a copy button.

An internal error (a bug in satview, ``report.internal``) says so, asks for a report and names the
log file holding its traceback; it is never presented as a problem with the user's file.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ErrorDialog(QDialog):
    """Non-modal dialog showing one ErrorReport (title, message, file, details)."""

    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(report.title or "Error")
        self.setModal(False)
        self.resize(640, 200)
        layout = QVBoxLayout(self)
        msg = QLabel(report.message)
        msg.setWordWrap(True)
        msg.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(msg)
        if getattr(report, "path", None):
            layout.addWidget(QLabel(f"File: {report.path}"))
        if getattr(report, "internal", False):
            note = QLabel(self._internal_note())
            note.setWordWrap(True)
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(note)
        self.details = QPlainTextEdit(report.details or "(no details)")
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.toggle = QPushButton("Show details")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggle)
        copy = QPushButton("Copy")
        copy.clicked.connect(self.copy)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def _internal_note(self) -> str:
        """What an internal error means for the user, and where its traceback was logged."""
        log = getattr(self.report, "log_path", None)
        where = f"The details below are also in {log}." if log else "No log file could be written."
        return f"This is a bug in satview, not a problem with your file; please report it. {where}"

    def _toggle(self, on: bool) -> None:
        self.details.setVisible(on)
        self.toggle.setText("Hide details" if on else "Show details")
        if on:
            self.resize(max(self.width(), 760), max(self.height(), 480))

    def text(self) -> str:
        """Everything the dialog shows, as plain text (what Copy puts on the clipboard)."""
        parts = [f"{self.report.title}: {self.report.message}"]
        if getattr(self.report, "path", None):
            parts.append(f"File: {self.report.path}")
        if getattr(self.report, "internal", False):
            parts.append(self._internal_note())
        if self.report.details:
            parts.append(self.report.details)
        return "\n\n".join(parts)

    def copy(self) -> None:
        """Copy the report to the clipboard."""
        QGuiApplication.clipboard().setText(self.text())
