"""Where the app proposes to write: the last output folder the user chose, else a satview folder in
their documents. Never an input's folder (satview does not write next to inputs) nor its cache.

The export, quick-look and batch dialogs start from :func:`default_output_dir` and record the
folder the user finally wrote to with :func:`remember_output_dir` (QSettings key ``last_output_dir``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QSettings

from satview.core.cache import user_cache_dir

SETTINGS_KEY = "last_output_dir"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def documents_dir() -> Path:
    """``<user documents>/satview`` (``~/Documents/satview`` on most systems; not created here)."""
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "satview"


def is_allowed(folder: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()) -> bool:
    """False when ``folder`` is satview's cache, or one of ``inputs`` (files or folders) or their
    folders, or inside one of them."""
    path = Path(os.path.abspath(os.path.expanduser(os.fspath(folder))))
    cache = user_cache_dir().resolve()
    if _inside(path, cache) or _inside(path.resolve(), cache):
        return False
    return not any(_inside(path, _input_folder(os.fspath(item))) for item in inputs)


def _input_folder(item: str) -> Path:
    """The folder an input stands for: itself, a file's folder, or a glob pattern's fixed part."""
    parts = Path(os.path.abspath(os.path.expanduser(item))).parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
    p = Path(*parts[:fixed]) if fixed is not None else Path(*parts)
    return p.parent if p.is_file() else p


def default_output_dir(settings: QSettings | None = None, inputs: Iterable[str | os.PathLike[str]] = (),
                       subfolder: str = "") -> str:
    """The last output folder (when it still exists and is allowed for ``inputs``), else
    ``<documents>/satview[/subfolder]`` (created, so that an export can go there at once)."""
    inputs = list(inputs)
    last = settings.value(SETTINGS_KEY, "") if settings is not None else ""
    if isinstance(last, str) and last and os.path.isdir(last) and is_allowed(last, inputs):
        return last
    folder = documents_dir() / subfolder if subfolder else documents_dir()
    with contextlib.suppress(OSError):  # a read-only home: the user picks another folder
        folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def remember_output_dir(settings: QSettings | None, folder: str | os.PathLike[str]) -> None:
    """Record ``folder`` as the one the user last wrote outputs to."""
    if settings is not None:
        settings.setValue(SETTINGS_KEY, os.path.abspath(os.fspath(folder)))
