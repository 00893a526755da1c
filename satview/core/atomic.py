"""Atomic output files: write to a temporary name in the destination folder, then rename.

A crash, a full disk or a cancelled export leaves either the old file or the new one, never a
half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from satview.errors import ExportError


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; on success it is renamed to ``dest``.

    On an exception the temporary file is removed and the exception propagates. The temporary
    name keeps ``dest``'s suffix so that GDAL drivers picked by extension work.
    """
    with atomic_paths(dest) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(*dests: str | os.PathLike[str]) -> Iterator[list[Path]]:
    """Like :func:`atomic_path` for several files that belong together (e.g. PNG + world file).

    All temporary files are renamed only after the block succeeded; the main file (the first)
    is renamed last so that its presence means the side files are there too.
    """
    with contextlib.ExitStack() as stack:
        tmps = [stack.enter_context(_deferred(d)) for d in dests]
        yield [t.tmp for t in tmps]
        for t in reversed(tmps):
            t.commit()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Pending:
    def __init__(self, dest: Path, tmp: Path) -> None:
        self.dest, self.tmp, self.done = dest, tmp, False

    def commit(self) -> None:
        os.replace(self.tmp, self.dest)
        self.done = True


@contextlib.contextmanager
def _deferred(dest: str | os.PathLike[str]) -> Iterator[_Pending]:
    dest = Path(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"the output folder {folder} does not exist", dest)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=dest.suffix, dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write in {folder}: {exc.strerror or exc}", dest) from exc
    os.close(fd)
    os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs follow the umask
    pending = _Pending(dest, Path(tmp_name))
    try:
        yield pending
    finally:
        if not pending.done:
            with contextlib.suppress(OSError):
                pending.tmp.unlink()
