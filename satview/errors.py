"""The one exception tree of satview; every leaf also inherits a builtin, as in rasterio.

Messages name the file and say in plain words what is wrong, because the CLI prints them as
``satview: error: <file>: <message>`` and the GUI shows them as they are.

Every error about a file also has a ``category``, one of a small fixed set (:data:`CATEGORIES`):
"not a supported file", "truncated or corrupt", "too large", "unsafe archive", "not a regular
file", "reader crashed", "timed out". JSON consumers and the GUI status line show it.
"""

from __future__ import annotations

import os
from typing import Any

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


class ReaderCrashedError(SatviewError, RuntimeError):
    """The process reading the file died (a crash or abort in a C library)."""

    default_category = CRASHED


class ReaderTimeoutError(SatviewError, TimeoutError):
    """Reading the file took longer than its deadline; the reader process was stopped."""

    default_category = TIMED_OUT


def input_error(exc: BaseException, path: str | os.PathLike[str] | None,
                doing: str = "reading it") -> SatviewError:
    """``exc``, raised while satview worked on the input ``path``, as a categorised ``SatviewError``.

    Readers turn the failures they expect into ``SatviewError``s themselves; this is the net behind
    them, at the boundaries where user data is parsed (opening, reading, the CLI's commands), so a
    hostile file never ends as a traceback or an uncategorised error. A ``SatviewError`` passes
    through unchanged; ``MemoryError`` is "too large"; anything else (a library tripping over
    bytes it did not expect: ``UnicodeDecodeError`` on a text field, ``TypeError`` from a C
    binding, ``struct.error``, ...) is "truncated or corrupt", with the original type and text in
    the message so a real bug stays recognisable.
    """
    if isinstance(exc, SatviewError):
        return exc
    if isinstance(exc, MemoryError):
        err: SatviewError = TooLargeError(f"not enough memory while {doing}", path)
    else:
        text = " ".join(display_text(str(exc)).split())
        text = text if len(text) <= 200 else text[:197] + "..."
        what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        err = SceneReadError(f"the file is damaged or not what it claims to be: {doing} failed ({what})",
                             path)
    err.__cause__ = exc
    return err


def category_of(exc: BaseException) -> str | None:
    """The category of any exception: a SatviewError's own, "too large" for MemoryError, else None."""
    if isinstance(exc, SatviewError):
        return exc.category
    if isinstance(exc, MemoryError):
        return TOO_LARGE
    return None
