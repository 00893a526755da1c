"""Parse Landsat metadata files (MTL .txt/ODL, .json, .xml, ESPA .xml) into one nested-group model.

The format is detected from the content, not the file name, because archives rename and re-case
files. Parsing is tolerant: damaged or truncated files give what could be read plus ``warnings``;
only input with no recognisable metadata at all raises :class:`satview.errors.MetadataError`.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

from satview.core.guard import open_regular
from satview.core.mtl_json import parse_json
from satview.core.mtl_model import MTL, has_mtl_keys, split_root
from satview.core.mtl_xml import parse_xml
from satview.core.odl import parse_odl_tree
from satview.errors import MetadataError, SatviewError, TooLargeError

__all__ = ["MAX_MTL_BYTES", "find_mtl_name", "parse_mtl"]

_MAX_WARNINGS = 20
#: Metadata files larger than this are refused (real MTLs are 5-70 KiB).
MAX_MTL_BYTES = 8 << 20


# --------------------------------------------------------------------------------------------
# entry point


def parse_mtl(source: str | bytes | os.PathLike[str], name: str | None = None) -> MTL:
    """Parse MTL metadata from a path (str/Path) or from bytes/str content.

    A ``str`` is taken as a path when it is one line naming an existing file, else as content.
    ``name`` is used in messages (defaults to the path). Raises ``MetadataError`` only when nothing
    recognisable is found (or the path cannot be read).
    """
    text, label = _load(source, name)
    stripped = text.lstrip()
    try:
        if stripped.startswith("{") or stripped.startswith("["):
            mtl = parse_json(stripped, label)
        elif stripped.startswith("<"):
            mtl = parse_xml(stripped, label)
        else:
            mtl = _parse_odl(text, label)
    except MetadataError:
        raise
    except (ValueError, RecursionError, ET.ParseError) as exc:  # bad numbers/text, absurd nesting depth
        raise MetadataError(f"cannot read the metadata: {exc}", label) from exc
    if not mtl.groups:
        raise MetadataError(
            "not Landsat metadata: no GROUP/KEY = VALUE lines, MTL JSON or MTL XML found", label
        )
    if len(mtl.warnings) > _MAX_WARNINGS:
        extra = len(mtl.warnings) - _MAX_WARNINGS
        mtl.warnings = [*mtl.warnings[:_MAX_WARNINGS], f"... and {extra} more problems"]
    return mtl


def _load(source: str | bytes | os.PathLike[str], name: str | None) -> tuple[str, str | None]:
    data: bytes | str
    label = name
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(os.fspath(source))
        label = name or str(path)
        try:
            with open_regular(path) as fh:
                data = fh.read(MAX_MTL_BYTES + 1)
        except SatviewError as exc:
            raise MetadataError(f"cannot read the metadata file: {exc.message}", label,
                                category=exc.category) from exc
        except OSError as exc:
            raise MetadataError(f"cannot read the metadata file: {exc.strerror or exc}", label) from exc
    else:
        data = str(source)
    if len(data) > MAX_MTL_BYTES:
        raise TooLargeError(f"the metadata is over {MAX_MTL_BYTES >> 20} MiB, far too large to be Landsat "
                            "metadata", label)
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    text = text.lstrip("\ufeff").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if "<!ENTITY" in text or "<!entity" in text:  # MTL XML never declares entities (billion laughs)
        raise MetadataError("the XML metadata declares entities, which satview does not expand", label)
    return text, label


def _looks_like_path(text: str) -> bool:
    """A one-line str that names a file (existing, or without any metadata syntax)."""
    if "\n" in text or len(text) > 4096 or not text.strip():
        return False
    try:
        if os.path.isfile(text):
            return True
    except (OSError, ValueError):
        return False
    return not any(ch in text for ch in "={}<>")


# --------------------------------------------------------------------------------------------
# ODL (MTL.txt); JSON and XML live in mtl_json / mtl_xml


def _parse_odl(text: str, label: str | None) -> MTL:
    tree = parse_odl_tree(text)
    top, warnings = tree.top, tree.warnings
    if not any(isinstance(v, dict) for v in top.values()) and (tree.items == 0 or not has_mtl_keys(top)):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="odl")
    if tree.open_groups:
        warnings.append(f"file ends inside group(s) {', '.join(tree.open_groups)}: it may be truncated")
    if not tree.saw_end:
        warnings.append("no END line: the file may be truncated")
    root, groups = split_root(top)
    return MTL(root=root, groups=groups, warnings=warnings, source=label, format="odl")


# --------------------------------------------------------------------------------------------
# picking the MTL among archive members / folder files

_ESPA_NAME_RE = re.compile(
    r"^(L[COTEM]\d{2}_[A-Z0-9]{4}_\d{6}_\d{8}_\d{8}_\d{2}_[A-Z0-9]{2}|L[COTEM]\d{14}[A-Z]{3}\d{2})\.XML$"
)


def find_mtl_name(names: list[str]) -> str | None:
    """Pick the MTL among file/member names: ``*_MTL.txt``, then ``.json``, then ``.xml``.

    Case-insensitive, folders allowed; macOS ``._`` shadow files are ignored. An ESPA
    ``<product id>.xml`` is chosen only when there is no MTL at all. Ties go to the shallowest path,
    then to the first in the list.
    """
    best: tuple[int, int, int] | None = None
    chosen: str | None = None
    for index, name in enumerate(names):
        if not isinstance(name, str):
            continue
        base = PurePosixPath(name.replace("\\", "/")).name
        if not base or base.startswith("._"):
            continue
        upper = base.upper()
        if upper.endswith("MTL.TXT"):
            rank = 0
        elif upper.endswith("MTL.JSON"):
            rank = 1
        elif upper.endswith("MTL.XML"):
            rank = 2
        elif _ESPA_NAME_RE.match(upper):
            rank = 3
        else:
            continue
        key = (rank, name.replace("\\", "/").strip("/").count("/"), index)
        if best is None or key < best:
            best, chosen = key, name
    return chosen
