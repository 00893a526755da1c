"""The one route of errors to the user: a status-bar message plus a details dialog on demand.

A problem with the user's file or arguments (a ``SatviewError``) is shown in its own words with its
category; anything else is a bug in satview, shown as "Internal error: <Type>: <text> (please
report; details in LOG)" with its traceback logged (:meth:`satview.qt.errors.ErrorReport.from_exception`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QPushButton, QStatusBar, QWidget

from satview.qt.errors import ErrorReport

log = logging.getLogger(__name__)


def make_report(title: str, message: str, details: str = "", path: str | None = None) -> ErrorReport:
    """An ``ErrorReport`` built from its parts."""
    return ErrorReport(title=title, message=message, details=details, path=path)


def report_from_exception(exc: BaseException, tb: TracebackType | None = None) -> ErrorReport:
    """An error report for an exception: satview's own errors read plainly, others as unexpected."""
    if tb is not None and exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    return ErrorReport.from_exception(exc)


class ErrorReporter(QObject):
    """Shows every error the same way: status-bar text and a "Details..." button, never a modal popup.

    ``report(error_report)`` is the entry point (Session.sig_failed connects here); the
    exception hooks installed by ``install_hooks`` route to it too, from any thread.
    """

    sig_reported = Signal(object)  # the ErrorReport, after it was shown
    _sig_from_thread = Signal(object)

    def __init__(self, status_bar: QStatusBar | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status_bar = status_bar
        self.last: Any = None
        self.history: list[Any] = []
        self.details_button = QPushButton("Details...")
        self.details_button.setObjectName("errorDetailsButton")
        self.details_button.setFlat(True)
        self.details_button.setVisible(False)
        self.details_button.clicked.connect(self.show_details)
        self._dialog: QWidget | None = None
        self._old_hooks: tuple[Any, Any] | None = None
        self._sig_from_thread.connect(self.report, Qt.ConnectionType.QueuedConnection)
        if status_bar is not None:
            status_bar.addPermanentWidget(self.details_button)

    @Slot(object)
    def report(self, report: Any) -> None:
        """Show ``report`` (an ErrorReport or an exception) in the status bar; keep it for Details."""
        if isinstance(report, BaseException):
            report = report_from_exception(report)
        self.last = report
        self.history = [*self.history[-49:], report]
        text = getattr(report, "status_text", None) or (
            f"{report.title}: {report.message}" if report.title else report.message)  # with the category
        log.warning("%s", text)
        if self.status_bar is not None:
            self.status_bar.showMessage(text.replace("\n", " "))
            self.details_button.setVisible(not getattr(report, "cancelled", False))
        self.sig_reported.emit(report)

    def clear(self) -> None:
        """Hide the Details button (after the user acted on the error)."""
        self.details_button.setVisible(False)

    @Slot()
    def show_details(self) -> None:
        """Open the (non-modal) details dialog for the latest error."""
        if self.last is None:
            return
        from satview.qt.dialogs.error import ErrorDialog

        parent = self.status_bar.window() if self.status_bar is not None else None
        dlg = ErrorDialog(self.last, parent)
        self._dialog = dlg
        dlg.show()

    # ------------------------------------------------------------------ hooks
    def _handle(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            return
        if os.environ.get("SATVIEW_RAISE"):
            sys.__excepthook__(exc_type, exc, tb)
        try:
            self._sig_from_thread.emit(report_from_exception(exc, tb))
        except RuntimeError:  # the reporter is gone (shutdown): print instead
            traceback.print_exception(exc_type, exc, tb)

    def install_hooks(self) -> None:
        """Route uncaught exceptions (GUI thread and any other thread) here; the app never ends on one."""
        self._old_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._handle

        def _thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                self._handle(args.exc_type, args.exc_value, args.exc_traceback)

        threading.excepthook = _thread_hook

    def uninstall_hooks(self) -> None:
        """Put back the hooks that were there before ``install_hooks``."""
        if self._old_hooks is not None:
            sys.excepthook, threading.excepthook = self._old_hooks
            self._old_hooks = None
