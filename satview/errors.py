"""The one exception tree of satview; every leaf also inherits a builtin, as in rasterio.

Messages name the file and say in plain words what is wrong, because the CLI prints them as
``satview: error: <file>: <message>`` and the GUI shows them as they are.
"""

from __future__ import annotations

import os


class SatviewError(Exception):
    """Root of all errors satview raises on purpose.

    ``path`` is the file the problem is about (or None); ``message`` says what is wrong.
    ``str(err)`` is ``"<path>: <message>"`` when a path is known.
    """

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class UnsupportedFormatError(SatviewError, ValueError):
    """The file's content is not a format satview reads."""


class SceneReadError(SatviewError, OSError):
    """The file is of a known format but is damaged, truncated or incomplete."""


class MetadataError(SatviewError, ValueError):
    """Scene metadata (MTL, HDF attributes) is missing or cannot be parsed."""


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
