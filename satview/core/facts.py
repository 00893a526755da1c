"""Scene facts for the file browser: what a Landsat file is (sensor, date, path/row, level, cloud cover).

The app's Files panel shows these next to the file names. The name gives most of them; the cloud
cover needs the MTL, read from a plain tar's header block or an MTL file. That is reading the
user's bytes, so it runs in a worker process (the GUI process parses no user data) and a file
that cannot be read comes back as a fact with its error instead of failing the whole folder.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from satview.core.archive import list_tar, read_member
from satview.core.landsat import parse_product_id
from satview.core.landsat.metadata import landsat_info
from satview.core.mtl import find_mtl_name, parse_mtl
from satview.errors import SatviewError


@dataclass(frozen=True)
class SceneFacts:
    """What the file browser shows about one file; ``error`` when its metadata could not be read
    (a ``SatviewError`` naming the file, with its category). Picklable: it crosses the process boundary."""

    path: str
    sensor: str = ""
    acquired: dt.date | None = None
    path_row: tuple[int, int] | None = None
    level: str = ""
    cloud_cover: float | None = None
    error: SatviewError | None = None

    @property
    def is_scene(self) -> bool:
        """True when the name is a Landsat product or scene id."""
        return self.acquired is not None

    def summary(self) -> str:
        """One line: "OLI/TIRS · 2022-02-09 · 112/081 · L1TP T1 · cloud 12 %" ("" for other files)."""
        if not self.is_scene:
            return ""
        parts = [self.sensor, self.acquired.isoformat() if self.acquired else ""]
        if self.path_row is not None:
            parts.append(f"{self.path_row[0]:03d}/{self.path_row[1]:03d}")
        if self.level:
            parts.append(self.level)
        if self.cloud_cover is not None:
            parts.append(f"cloud {self.cloud_cover:.0f} %")
        elif self.error:
            parts.append("metadata unreadable")
        return " · ".join(p for p in parts if p)


def facts_from_name(path: str | os.PathLike[str]) -> SceneFacts:
    """The facts a Landsat file name carries (no file access; no cloud cover)."""
    spath = os.fspath(path)
    pid = parse_product_id(os.path.basename(spath.rstrip("/")))
    if pid is None:
        return SceneFacts(spath)
    level = " ".join(p for p in (pid.level, pid.tier) if p)
    return SceneFacts(spath, pid.sensor.replace("_", "/"), pid.acquired, (pid.wrs_path, pid.wrs_row), level)


def has_cheap_metadata(path: str | os.PathLike[str]) -> bool:
    """True for files whose MTL can be read without unpacking: a plain ``.tar`` or an MTL file."""
    low = os.fspath(path).lower()
    return low.endswith(".tar") or "_mtl." in os.path.basename(low)


def _cloud_cover(path: str) -> float | None:
    if path.lower().endswith(".tar"):
        members = list_tar(path)
        name = find_mtl_name([m.name for m in members])
        if name is None:
            return None
        member = next(m for m in members if m.name == name)
        mtl = parse_mtl(read_member(path, member), name=member.basename)
    else:
        mtl = parse_mtl(Path(path))
    return landsat_info(mtl).cloud_cover


def scene_facts(paths: list[str]) -> list[SceneFacts]:
    """Facts of each of ``paths`` (same order): from the name, plus the cloud cover where the MTL is
    cheap to read. A file whose metadata is damaged gets its ``error``; satview's own bugs raise."""
    out = []
    for path in paths:
        facts = facts_from_name(path)
        if facts.is_scene and has_cheap_metadata(path):
            try:
                facts = replace(facts, cloud_cover=_cloud_cover(path))
            except SatviewError as exc:
                facts = replace(facts, error=exc)
        out.append(facts)
    return out
