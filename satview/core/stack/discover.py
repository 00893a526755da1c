"""Find the stacks among files and folders: the scenes of one place on different dates, sorted by date.

Folders are walked as the batch walks them (:func:`satview.core.batch.discover.discover`); each
scene's header (:mod:`satview.core.stack.headers`) gives its place and date. Scenes of one place
form a stack; Landsat scenes of one WRS-2 path join when their rows touch (row r and r + 1
overlap), whatever the sensor, level or collection. Two scenes of one place and date are
duplicates: the newer collection / higher level / later processing is kept, the other reported.
"""

from __future__ import annotations

import glob
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from satview.core.batch.discover import WALK_READERS
from satview.core.readers import identify, open_scene
from satview.core.stack.headers import HeaderFn, read_header
from satview.core.stack.model import SceneHeader, Stack, StackDiscovery
from satview.errors import SatviewError


def find_stacks(inputs: list[str | os.PathLike[str]], header: HeaderFn = read_header) -> StackDiscovery:
    """The stacks among ``inputs`` (files, folders walked recursively, glob patterns).

    Every input that is not a scene, cannot be read, has no date or duplicates another scene's
    place and date is in ``ignored`` with the reason. Stacks come largest first; a single scene of
    a place is still a stack (of one). ``header`` reads each scene's header (a caller may read more
    of each file in the same visit, as the sea-ice series does).
    """
    out = StackDiscovery()
    headers: list[SceneHeader] = []
    for path, reader in _scenes(inputs, out.ignored):
        try:
            headers.append(header(path, reader))
        except SatviewError as exc:
            out.ignored.append((path, exc.message))
    groups: dict[tuple[Any, ...], list[SceneHeader]] = defaultdict(list)
    for h in headers:
        groups[(h.kind, *h.place)].append(h)
    for members in groups.values():
        for part in _split_rows(members):
            out.stacks.append(_stack(part, out.ignored))
    out.stacks.sort(key=lambda s: (-len(s.scenes), s.kind, s.label))
    return out


def _scenes(inputs: list[str | os.PathLike[str]], ignored: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(path, reader) of every scene under ``inputs``, once each, in path order; the rest into ``ignored``.

    Like the batch's discovery (:mod:`satview.core.batch.discover`): folders are walked
    recursively, hidden entries skipped, a folder holding a Landsat MTL is one scene, a band file
    named inside such a folder stands for the folder. Each folder is listed once, so a folder of a
    year of daily files is walked in linear time.
    """
    found: dict[str, str] = {}

    def take(p: Path, walked: bool) -> None:
        reader = identify(p)
        if reader is not None and (not walked or reader in WALK_READERS):
            found[str(p)] = reader
        else:
            ignored.append((str(p), _why_not(p, reader)))

    def walk(folder: Path) -> None:
        if identify(folder) == "landsat":
            found[str(folder)] = "landsat"
            return
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            ignored.append((str(folder), f"cannot list the folder: {exc.strerror or exc}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                walk(entry)
            elif entry.is_file():
                take(entry, walked=True)

    for item in inputs:
        text = os.fspath(item)
        matches = [text] if Path(text).exists() else sorted(glob.glob(text, recursive=True))
        if not matches:
            ignored.append((text, "no such file or folder"))
        for m in matches:
            p = Path(m).resolve()
            if p.is_dir():
                walk(p)
            elif identify(p.parent) == "landsat" and identify(p) in ("geotiff", "landsat"):
                found[str(p.parent)] = "landsat"  # a band file of a scene folder: the scene
            else:
                take(p, walked=False)
    return sorted(found.items())


def _why_not(p: Path, reader: str | None) -> str:
    if reader is not None:
        return f"a plain {reader} image, taken only when named"

    try:
        with open_scene(p):
            pass
    except SatviewError as exc:
        return exc.message
    return "not a scene"


def _split_rows(members: list[SceneHeader]) -> list[list[SceneHeader]]:
    """Landsat scenes of one path split into runs of touching rows; other kinds stay one group."""
    if members[0].row is None:
        return [members]
    rows = sorted({m.row for m in members if m.row is not None})
    runs: list[set[int]] = []
    for r in rows:
        if runs and r - max(runs[-1]) <= 1:
            runs[-1].add(r)
        else:
            runs.append({r})
    return [[m for m in members if m.row in run] for run in runs]


def _stack(members: list[SceneHeader], ignored: list[tuple[str, str]]) -> Stack:
    by_date: dict[Any, list[SceneHeader]] = defaultdict(list)
    for m in members:
        by_date[(m.date, m.row)].append(m)
    kept: list[SceneHeader] = []
    for same in by_date.values():
        same.sort(key=lambda h: (h.rank, h.path), reverse=True)
        kept.append(same[0])
        for dup in same[1:]:
            ignored.append((dup.path, f"duplicate of {same[0].path} (same place and date "
                                      f"{dup.date.isoformat()})"))
    kept.sort(key=lambda h: (h.date, h.row or 0, h.path))
    first = kept[0]
    label = first.label
    rows = sorted({h.row for h in kept if h.row is not None})
    if rows:
        span = f" {rows[0]:03d}" if len(rows) == 1 else f"s {rows[0]:03d}-{rows[-1]:03d}"
        label += f", row{span}"
    crs = Counter(h.crs for h in kept).most_common(1)[0][0]
    return Stack(first.kind, label, crs, tuple(kept))


def single_stack(inputs: list[str | os.PathLike[str]], kind: str | None = None,
                 header: HeaderFn = read_header) -> Stack:
    """The one stack among ``inputs`` (of ``kind`` when given); a ``SatviewError`` when there is
    none or several (the message lists them, so the user can narrow the paths)."""
    found = find_stacks(inputs, header)
    stacks = [s for s in found.stacks if kind is None or s.kind == kind]
    where = ", ".join(str(p) for p in inputs[:3]) + (" ..." if len(inputs) > 3 else "")
    if not stacks:
        why = "; ".join(f"{p}: {r}" for p, r in found.ignored[:3])
        raise SatviewError(f"no dated {kind or 'scenes'} found" + (f" ({why})" if why else ""), where)
    if len(stacks) > 1:
        names = "; ".join(f"{s.label} ({len(s.scenes)} dates)" for s in stacks[:5])
        raise SatviewError(f"the paths hold {len(stacks)} places, give the scenes of one: {names}", where)
    return stacks[0]
