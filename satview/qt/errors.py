"""The one value errors travel in to the user: ``ErrorReport`` (title, message, details, path)."""

from __future__ import annotations

import traceback
from concurrent.futures import CancelledError as FutureCancelled
from dataclasses import dataclass

from satview.errors import (
    CancelledError,
    SatviewError,
    category_of,
    internal_error_summary,
    log_internal_error,
)


@dataclass(frozen=True)
class ErrorReport:
    """What went wrong, ready to show: a short ``title``, a one-line ``message`` (for a
    ``SatviewError`` its ``str()``, which names the file), ``details`` (traceback text, shown on
    demand) and the file concerned (``path``, or None). ``cancelled`` is True when the user
    cancelled the work (a status-bar note, not an error dialog). ``category`` is the failure
    category of a problem with an input file ("truncated or corrupt", "timed out", ... see
    :data:`satview.errors.CATEGORIES`), or None. ``internal`` marks a bug in satview (never shown
    as a problem with the file); ``log_path`` is the log file holding its traceback."""

    title: str
    message: str
    details: str = ""
    path: str | None = None
    cancelled: bool = False
    category: str | None = None
    internal: bool = False
    log_path: str | None = None

    @property
    def status_text(self) -> str:
        """One line for the status bar: ``title (category): message``."""
        title = f"{self.title} ({self.category})" if self.title and self.category else self.title
        return f"{title}: {self.message}" if title else self.message

    def __str__(self) -> str:
        return self.status_text

    @classmethod
    def from_exception(cls, exc: BaseException, title: str = "Error", path: str | None = None) -> ErrorReport:
        """A report of ``exc``; ``path`` is used when the exception does not name a file itself."""
        details = format_details(exc)
        if isinstance(exc, (CancelledError, FutureCancelled)):
            msg = str(exc) or "the work was cancelled"
            return cls("Cancelled", msg, details, getattr(exc, "path", None) or path, cancelled=True)
        if isinstance(exc, SatviewError):
            return cls(title, str(exc), details, exc.path or path, category=exc.category)
        if isinstance(exc, MemoryError):
            msg = f"{path}: not enough memory" if path else "not enough memory"
            return cls(title, msg, details, path, category=category_of(exc))
        log = log_internal_error(exc, f"{title} ({path})" if path else title)
        return cls("Internal error", internal_error_summary(exc, log), details, path, internal=True,
                   log_path=str(log) if log is not None else None)


def format_details(exc: BaseException) -> str:
    """The full traceback text of ``exc`` (with the worker process's traceback as its cause)."""
    try:
        return "".join(traceback.format_exception(exc))
    except Exception:  # a broken exception object must not break error reporting
        return repr(exc)
