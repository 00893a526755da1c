"""The one exception tree of satview; every leaf also inherits a builtin, as in rasterio.

Messages name the file and say in plain words what is wrong, because the CLI prints them as
``satview: error: <file>: <message>`` and the GUI shows them as they are.

Every error about a file also has a ``category``, one of a small fixed set (:data:`CATEGORIES`):
"not a supported file", "truncated or corrupt", "too large", "unsafe archive", "not a regular
file", "reader crashed", "timed out". JSON consumers and the GUI status line show it.

Anything that is not a ``SatviewError`` is a bug in satview, never "a damaged file": the CLI and the
app record it with :func:`log_internal_error` (the traceback goes to a log file under the user's
state folder) and show :func:`internal_error_summary`; the CLI exits with :data:`EXIT_INTERNAL`.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

#: Exit codes of the ``satview`` command: success, a bad input (file or argument), a usage error
#: (argparse), an internal error (a bug; see :func:`log_internal_error`).
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: The content is not a format satview reads (or not one of the kind asked for).
NOT_SUPPORTED = "not a supported file"
#: A known format, but damaged, truncated, empty or inconsistent.
CORRUPT = "truncated or corrupt"
#: Declared or requested sizes exceed satview's budgets (or memory ran out).
TOO_LARGE = "too large"
#: An archive whose members would escape the cache, link elsewhere or are special files.
UNSAFE_ARCHIVE = "unsafe archive"
#: A FIFO, device, socket, missing path, or a folder where a file is expected.
NOT_REGULAR = "not a regular file"
#: The reader process died (a crash in a C library) while working on the file.
CRASHED = "reader crashed"
#: The reader did not finish within its deadline and was stopped.
TIMED_OUT = "timed out"

#: Categories of failures caused by an input file, in the order the design lists them.
CATEGORIES: tuple[str, ...] = (NOT_SUPPORTED, CORRUPT, TOO_LARGE, UNSAFE_ARCHIVE, NOT_REGULAR, CRASHED,
                               TIMED_OUT)


class SatviewError(Exception):
    """Root of all errors satview raises on purpose.

    ``path`` is the file the problem is about (or None); ``message`` says what is wrong.
    ``str(err)`` is ``"<path>: <message>"`` when a path is known. ``category`` is one of
    :data:`CATEGORIES` for problems with an input file (the class default unless given), else None.
    """

    default_category: str | None = None

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None, *,
                 category: str | None = None) -> None:
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self._category = category
        shown = display_path(self.path) if self.path else None
        super().__init__(f"{shown}: {message}" if shown else message)

    @property
    def category(self) -> str | None:
        """The failure category (see :data:`CATEGORIES`), or None for errors not about an input."""
        return self._category or self.default_category

    def to_dict(self) -> dict[str, Any]:
        """``{"error": type name, "category", "path", "message"}`` for JSON output."""
        return {"error": type(self).__name__, "category": self.category, "path": self.path,
                "message": self.message}

    def __reduce__(self) -> tuple[Any, ...]:  # keep path and category across processes
        return (_rebuild, (type(self), self.message, self.path, self._category))


def display_path(path: str) -> str:
    """``path`` safe to print or show: bytes that are not UTF-8 appear as ``\\xNN`` escapes."""
    return display_text(path)


def display_text(text: str | bytes) -> str:
    """A name from a file (dataset, member, attribute) as printable text: UTF-8 as it is, other bytes
    (raw, or smuggled in as surrogates by ``surrogateescape``) as ``\\xNN`` escapes.

    Names read from hostile files may be any bytes; printing or showing them must never raise.
    """
    if isinstance(text, bytes):
        raw = text
    else:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # surrogates surrogateescape did not make (\ud800 ...)
            raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def _rebuild(cls: type[SatviewError], message: str, path: str | None, category: str | None) -> SatviewError:
    return cls(message, path, category=category)


class UnsupportedFormatError(SatviewError, ValueError):
    """The file's content is not a format satview reads."""

    default_category = NOT_SUPPORTED


class SceneReadError(SatviewError, OSError):
    """The file is of a known format but is damaged, truncated or incomplete."""

    default_category = CORRUPT


class MetadataError(SatviewError, ValueError):
    """Scene metadata (MTL, HDF attributes) is missing or cannot be parsed."""

    default_category = CORRUPT


class BandNotFoundError(SatviewError, KeyError):
    """A band or dataset name asked for does not exist in the scene."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return Exception.__str__(self)


class AOIError(SatviewError, ValueError):
    """An area of interest is invalid, empty or does not overlap the scene."""


class CRSError(SatviewError, ValueError):
    """A coordinate reference system given by the user cannot be understood."""


class ExportError(SatviewError, OSError):
    """An output file could not be written."""


class CancelledError(SatviewError):
    """The user cancelled a long operation."""


class TooLargeError(SceneReadError):
    """Declared sizes (bands, pixels, members, dataset shapes) or a read exceed satview's budgets."""

    default_category = TOO_LARGE


class UnsafeArchiveError(SceneReadError):
    """An archive holds absolute or ``..`` names, links, devices, duplicates or too many members."""

    default_category = UNSAFE_ARCHIVE


class NotRegularFileError(SceneReadError):
    """The path is missing, a FIFO, a device, a socket, or a folder where a file is expected."""

    default_category = NOT_REGULAR


class ArgumentError(SatviewError, ValueError):
    """A value the user gave (an option, a coordinate) does not fit the scene or the command."""


class OutsideProjectionError(ArgumentError):
    """A lon/lat point lies outside what the scene's projection covers (e.g. off a geostationary disk)."""


class ReaderCrashedError(SatviewError, RuntimeError):
    """The process reading the file died (a crash or abort in a C library)."""

    default_category = CRASHED


class ReaderTimeoutError(SatviewError, TimeoutError):
    """Reading the file took longer than its deadline; the reader process was stopped."""

    default_category = TIMED_OUT


def category_of(exc: BaseException) -> str | None:
    """The category of any exception: a SatviewError's own, "too large" for MemoryError, else None."""
    if isinstance(exc, SatviewError):
        return exc.category
    if isinstance(exc, MemoryError):
        return TOO_LARGE
    return None


def is_input_error(exc: BaseException) -> bool:
    """True when ``exc`` is about the user's input (a file's bytes, an argument, memory the input
    needs), so it is shown as it is; False for anything else, which is an internal error."""
    return isinstance(exc, (SatviewError, MemoryError))


#: Name of the internal-error log inside :func:`log_dir`; it is cut back to its newest half past
#: :data:`LOG_LIMIT` bytes so it never grows without bound.
LOG_NAME = "internal-errors.log"
LOG_LIMIT = 1 << 20


def log_dir() -> Path:
    """The folder of satview's log: ``$SATVIEW_LOG_DIR``, else ``$SATVIEW_CACHE_DIR/logs`` (tests set
    it), else the platform's per-user log folder (``~/.local/state/satview/log`` on Linux)."""
    if os.environ.get("SATVIEW_LOG_DIR"):
        return Path(os.environ["SATVIEW_LOG_DIR"])
    if os.environ.get("SATVIEW_CACHE_DIR"):
        return Path(os.environ["SATVIEW_CACHE_DIR"]) / "logs"
    import platformdirs  # only when a bug is being recorded: keeps it off every command's start-up

    return Path(platformdirs.user_log_dir("satview", appauthor=False))


def log_internal_error(exc: BaseException, context: str = "") -> Path | None:
    """Append ``exc``'s full traceback (with its causes, e.g. a worker's) to the log; its path.

    ``context`` says what satview was doing (the command line, the request). Returns None when no
    log could be written (a read-only home): reporting a bug must never raise a second error.
    """
    # the package is loaded whenever this module is; read, not imported, so errors imports nothing of satview
    version = getattr(sys.modules.get("satview"), "__version__", "?")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
    text = "".join(traceback.format_exception(exc))
    entry = f"=== {stamp} satview {version} pid {os.getpid()}\n{display_text(context)}\n{text}\n"
    path = log_dir() / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            kept = path.read_bytes()[-LOG_LIMIT // 2:]
            path.write_bytes(kept)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(entry)
    except OSError:
        return None
    return path


def internal_error_summary(exc: BaseException, log: Path | None) -> str:
    """``<ExcType>: <short text> (please report; details in LOG)``, one line: what follows
    "internal error:" in the CLI's message and the app's status bar."""
    text = " ".join(display_text(str(exc)).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    where = f"details in {log}" if log is not None else "no log could be written"
    return f"{what} (please report; {where})"
