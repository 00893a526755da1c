"""Publish a generated demo folder whole: build it privately next to its final place, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from satview.core.atomic import temp_prefix
from satview.errors import ExportError


@contextlib.contextmanager
def building(final: Path, what: str) -> Iterator[Path]:
    """Yield an empty private folder beside ``final``; when the block succeeds it replaces ``final``.

    So a demo stack or season is there complete or not at all (an interrupted run leaves only a
    temporary folder, which :func:`satview.core.atomic.cleanup_stale` recognises). ``what`` names
    the output in error messages.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=temp_prefix("build"), dir=final.parent))
    except OSError as exc:
        raise ExportError(f"cannot write the {what}: {exc.strerror or exc}", final.parent) from exc
    try:
        yield build
        build.chmod(0o755)  # mkdtemp made it private
        if final.exists():
            shutil.rmtree(final)
        os.replace(build, final)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def write_truth(folder: Path, truth: dict[str, Any]) -> None:
    """``folder/truth.json``: what was planted, for tests and for users checking the tools."""
    (folder / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
