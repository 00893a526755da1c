"""The resume manifest: a small JSON file in the output folder saying which scene was done with which options.

An entry is keyed by the command and the scene's resolved path and stores a hash of the scene's
identity (resolved path, size, modification time; for a folder, its members' total size and latest
time) and of the options that shape the output, plus the outputs and facts. A scene is done when
the stored key equals the current one and every recorded output still exists.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from satview.core.atomic import atomic_path

MANIFEST_NAME = "satview-batch.json"
_VERSION = 1


def input_identity(path: str) -> dict[str, Any]:
    """(resolved path, size, mtime) of a file; for a folder, its files' total size and latest mtime."""
    p = Path(path).resolve()
    st = p.stat()
    if p.is_dir():
        size, mtime = 0, st.st_mtime_ns
        for child in p.iterdir():
            try:
                cst = child.stat()
            except OSError:
                continue
            size += cst.st_size
            mtime = max(mtime, cst.st_mtime_ns)
        return {"path": str(p), "size": size, "mtime_ns": mtime}
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def task_key(path: str, command: str, options: dict[str, Any]) -> str:
    """The resume key of one scene: a hash of its identity, the command and the output-shaping options."""
    doc = {"v": _VERSION, "command": command, "input": input_identity(path), "options": options}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class Manifest:
    """The manifest of one output folder (load, look up, record, save atomically)."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
                if doc.get("version") == _VERSION and isinstance(doc.get("entries"), dict):
                    self.entries = doc["entries"]
            except (OSError, ValueError):
                self.entries = {}  # a damaged manifest only costs a redo

    @staticmethod
    def _id(command: str, path: str) -> str:
        return f"{command}:{path}"

    def done(self, command: str, path: str, key: str) -> dict[str, Any] | None:
        """The stored entry when ``path`` was done with ``key`` and its outputs all exist, else None."""
        entry = self.entries.get(self._id(command, path))
        if not entry or entry.get("key") != key:
            return None
        if not all((self.out_dir / o).exists() for o in entry.get("outputs", [])):
            return None
        return entry

    def record(self, command: str, path: str, key: str, entry: dict[str, Any]) -> None:
        """Remember that ``path`` was done with ``key`` (``entry`` holds status, outputs, facts, name)."""
        self.entries[self._id(command, path)] = {"key": key, **entry}

    def forget(self, command: str, path: str) -> None:
        """Drop a scene (it failed: it must be tried again next time)."""
        self.entries.pop(self._id(command, path), None)

    def save(self) -> None:
        """Write the manifest atomically."""
        doc = {"version": _VERSION, "entries": self.entries}
        with atomic_path(self.path) as tmp:
            # no indent: json's C encoder (an indented dump runs in Python, 3x slower; saved every 2 s)
            tmp.write_text(json.dumps(doc, sort_keys=True, default=str), encoding="utf-8")
