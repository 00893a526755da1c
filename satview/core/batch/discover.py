"""Find the scenes of a batch: walk folders and globs, keep what the core recognises, one entry per scene."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from satview.core.readers import identify

#: Readers whose files are picked up when walking folders. Plain PNG/JPEG/JP2 images ("gdal") are
#: left out there (browse images, our own quick-looks) but are taken when named or matched by a pattern.
WALK_READERS = frozenset({"landsat", "geotiff", "hdf4", "hdf5", "netcdf3", "nsidc-binary"})
#: Readers that hold several datasets, to which ``--dataset`` applies.
MULTI_DATASET_READERS = frozenset({"hdf4", "hdf5", "netcdf3"})
_GLOB_CHARS = re.compile(r"[*?\[]")
#: File names of products a portal delivers (Landsat product and scene ids, MODIS/VIIRS granules, NSIDC
#: sea-ice files): such a file that no reader takes is a broken product (e.g. a failed download that
#: saved the portal's login page), reported as failed even when found by walking a folder.
_PRODUCT_NAME = re.compile(
    r"^(L[CEOTM]0\d_L\w{3}_\d{6}_\d{8}_\d{8}_\d{2}_(T1|T2|RT)"  # Landsat C1/C2 product id
    r"|L[CEOTM]\d{14}[A-Z]{3}\d{2}"  # pre-collection scene id
    r"|(MOD|MYD|MCD|VNP|VJ1)\w+\.A\d{7}\."  # MODIS / VIIRS granule
    r"|seaice_conc_|nt_\d{8}_)",  # NSIDC sea-ice concentration
    re.IGNORECASE)
_STRIP_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tif", ".tiff", ".hdf", ".h5",
                   ".he5", ".hdf5", ".nc", ".nc4", ".bin", ".json", ".xml", ".txt")


@dataclass(frozen=True)
class SceneEntry:
    """One scene of a batch: its path (resolved), the reader that takes it and a unique output stem."""

    path: str
    reader: str
    name: str


@dataclass
class Discovery:
    """What :func:`discover` found: the scenes, and the inputs that are not scenes with the reason."""

    scenes: list[SceneEntry] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    missing: list[tuple[str, str]] = field(default_factory=list)  # named inputs that are not scenes


def discover(inputs: list[str | os.PathLike[str]], exclude: list[str | os.PathLike[str]] = ()) -> Discovery:
    """Scenes under ``inputs`` (files, folders or glob patterns), sorted by path, without duplicates.

    Folders are walked recursively (hidden entries skipped); a folder holding a Landsat MTL is one
    scene and is not descended into, and a GeoTIFF inside such a folder stands for that folder.
    Files found by walking or by a pattern that no reader takes are listed in ``ignored``; files
    named literally that do not exist or are not scenes, files named like a product that are not
    one (a failed download), and patterns matching nothing, are listed in ``missing`` (the batch
    reports them as failed). Paths under
    ``exclude`` (e.g. the output folder) are never taken.
    """
    out = Discovery()
    excluded = [Path(e).resolve() for e in exclude]
    found: dict[str, str] = {}
    for item in inputs:
        text = os.fspath(item)
        literal = Path(text).exists() or not _GLOB_CHARS.search(text)
        paths = [Path(text)] if literal else [Path(p) for p in sorted(glob.glob(text, recursive=True))]
        if not paths:
            out.missing.append((text, "no file or folder matches this pattern"))
        for p in paths:
            if not p.exists():
                out.missing.append((text, "no such file or folder"))
            elif p.is_dir():
                _walk(p, found, out, excluded)
            else:  # a file named literally must be a scene; one matched by a pattern may be anything
                _take_file(p, found, out, excluded, "literal" if literal else "pattern")
    names = unique_names(sorted(found))
    out.scenes = [SceneEntry(p, found[p], names[p]) for p in sorted(found)]
    return out


def _is_excluded(p: Path, excluded: list[Path]) -> bool:
    return any(p == e or e in p.parents for e in excluded)


def _landsat_folder(p: Path) -> bool:
    return p.is_dir() and identify(p) == "landsat"


def _take_file(p: Path, found: dict[str, str], out: Discovery, excluded: list[Path], how: str) -> None:
    """Take one file found ``how`` ("literal", "pattern" or "walk"): see :func:`discover`."""
    rp = p.resolve()
    if _is_excluded(rp, excluded):
        return
    if _landsat_folder(rp.parent) and identify(rp) in ("geotiff", "landsat"):
        found[str(rp.parent)] = "landsat"  # a member of a scene folder stands for the folder
        return
    reader = identify(rp)
    if reader is not None and (how != "walk" or reader in WALK_READERS):
        found[str(rp)] = reader
    elif how == "literal" or (reader is None and _PRODUCT_NAME.match(p.name)):
        out.missing.append((str(p), _why_not(rp, reader)))
    else:
        out.ignored.append((str(rp), _why_not(rp, reader)))


def _walk(folder: Path, found: dict[str, str], out: Discovery, excluded: list[Path]) -> None:
    root = folder.resolve()
    if _is_excluded(root, excluded):
        return
    if _landsat_folder(root):
        found[str(root)] = "landsat"
        return
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        out.ignored.append((str(root), f"cannot list the folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _walk(entry, found, out, excluded)
        elif entry.is_file():
            _take_file(entry, found, out, excluded, "walk")


def _why_not(p: Path, reader: str | None) -> str:
    if reader is not None:
        return f"a plain {reader} image, taken only when named explicitly"
    if _is_html(p):
        return ("named like a product but it is a web page (HTML), often a portal's login page saved by a "
                "failed download; download it again")
    from satview.core.readers import _why_unsupported
    from satview.core.sniff import sniff
    from satview.errors import SatviewError

    try:
        return _why_unsupported(sniff(p))
    except SatviewError as exc:
        return exc.message


def _is_html(p: Path) -> bool:
    try:
        with p.open("rb") as f:
            head = f.read(512).lstrip().lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def scene_stem(path: str) -> str:
    """A file-name stem for a scene's outputs: its name without the usual data suffixes."""
    name = Path(path).name
    lower = name.lower()
    for suffix in _STRIP_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return safe or "scene"


def unique_names(paths: list[str]) -> dict[str, str]:
    """Output stems for ``paths``: the plain stem where it is unique, else stem + short hash of the path."""
    stems = {p: scene_stem(p) for p in paths}
    counts: dict[str, int] = {}
    for s in stems.values():
        counts[s.lower()] = counts.get(s.lower(), 0) + 1
    out = {}
    for p, s in stems.items():
        out[p] = s if counts[s.lower()] == 1 else f"{s}-{hashlib.sha1(p.encode()).hexdigest()[:8]}"
    return out
