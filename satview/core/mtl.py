"""Parse Landsat metadata files (MTL .txt/ODL, .json, .xml, ESPA .xml) into one nested-group model.

The format is detected from the content, not the file name, because archives rename and re-case
files. Parsing is tolerant: damaged or truncated files give what could be read plus ``warnings``;
only input with no recognisable metadata at all raises :class:`satview.errors.MetadataError`.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from satview.core.guard import open_regular
from satview.errors import MetadataError, SatviewError, TooLargeError

__all__ = ["MTL", "OdlTree", "find_mtl_name", "parse_mtl", "parse_odl_tree"]

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_:.]*")
_MAX_WARNINGS = 20
#: Metadata files larger than this are refused (real MTLs are 5-70 KiB).
MAX_MTL_BYTES = 8 << 20
_MAX_DEPTH = 32  # real MTLs nest 2-3 levels; deeper content is dropped (and recursion stays bounded)


@dataclass
class MTL:
    """Parsed Landsat metadata as nested groups.

    ``root`` is the top group name ("LANDSAT_METADATA_FILE", "L1_METADATA_FILE", "espa_metadata");
    ``groups`` holds what is inside it: group name -> dict of key -> value or sub-group dict, in
    document order. ``format`` is "odl", "json", "xml" or "espa".
    """

    root: str
    groups: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    source: str | None = None
    format: str = "odl"

    def group(self, name: str) -> dict[str, Any] | None:
        """The first group called ``name`` at any depth (document order), or None."""
        if name == self.root and self.root:
            return self.groups
        return _find_group(self.groups, name)

    def items_in(self, group: str) -> dict[str, Any]:
        """A copy of the key/values of ``group`` (empty when the group is absent)."""
        found = self.group(group)
        return dict(found) if found is not None else {}

    def get(self, key: str, group: str | None = None, default: Any = None) -> Any:
        """Value of ``key``; only inside ``group`` (found at any depth) when given.

        Without ``group`` the whole tree is searched and the first match in document order wins.
        Beware: Level-1 and Level-2 groups of a C2 Level-2 MTL reuse key names, so pass ``group``
        for calibration values.
        """
        if group is not None:
            scope = self.group(group)
            if scope is None:
                return default
            found = _find_key(scope, key)
        else:
            found = _find_key(self.groups, key)
        return default if found is _MISSING else found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _find_key(self.groups, key) is not _MISSING


_MISSING = object()


def _find_group(tree: dict[str, Any], name: str) -> dict[str, Any] | None:
    for k, v in tree.items():
        if isinstance(v, dict):
            if k == name:
                return v
            inner = _find_group(v, name)
            if inner is not None:
                return inner
    return None


def _find_key(tree: dict[str, Any], key: str) -> Any:
    for k, v in tree.items():
        if isinstance(v, dict):
            inner = _find_key(v, key)
            if inner is not _MISSING:
                return inner
        elif k == key:
            return v
    return _MISSING


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
            mtl = _parse_json(stripped, label)
        elif stripped.startswith("<"):
            mtl = _parse_xml(stripped, label)
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
# values


def convert_value(raw: str) -> Any:
    """An unquoted ODL (or JSON/XML text) value: int, float, or the string as is."""
    s = raw.strip()
    if _INT_RE.fullmatch(s):
        return int(s)
    if _FLOAT_RE.fullmatch(s):
        return float(s)
    return s


def _odl_value(raw: str) -> Any:
    s = raw.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    if s.startswith('"'):  # unclosed quote (truncated)
        return s[1:]
    if s.startswith("(") or s.startswith("{"):
        inner = s[1:-1] if s[-1:] in ")}" else s[1:]
        return [_odl_value(p) for p in split_odl_list(inner) if p.strip()]
    return convert_value(s)


def split_odl_list(text: str) -> list[str]:
    """Split an ODL list body at commas outside quotes (also used for HDF-EOS StructMetadata)."""
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


# --------------------------------------------------------------------------------------------
# ODL (MTL.txt, HDF-EOS StructMetadata)


@dataclass
class OdlTree:
    """ODL text as nested dicts: ``top`` holds the top-level groups and keys (``GROUP``/``OBJECT``
    blocks become dicts under their name, ``KEY = VALUE`` lines Python values: str, int, float or
    lists of them), plus what the reader noticed on the way."""

    top: dict[str, Any]
    warnings: list[str]
    saw_end: bool
    items: int  # KEY = VALUE lines read
    open_groups: list[str]  # groups the text ends inside (truncated?)


def parse_odl_tree(text: str) -> OdlTree:
    """The one ODL tokeniser of satview, for MTL text and HDF-EOS ``StructMetadata`` alike.

    Tolerant: ``/* comments */``, lines that are not ``KEY = VALUE`` and unmatched ``END_GROUP``s
    are skipped with a warning; values spanning lines (open quotes or parentheses) are joined;
    a repeated group continues the first one; nesting deeper than ``_MAX_DEPTH`` is dropped, so
    hostile text cannot exhaust memory or recursion.
    """
    warnings: list[str] = []
    top: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", top)]
    junk: list[tuple[int, str]] = []
    saw_end = False
    lines = text.split("\n")
    i = 0
    n_items = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        s = _strip_comment(line).strip()
        if not s:
            continue
        if s == "END" or s.upper() == "END":
            saw_end = True
            rest = [x.strip() for x in lines[i:] if x.strip()]
            if rest:
                warnings.append(f"ignored {len(rest)} line(s) of text after END (first: {rest[0][:40]!r})")
            break
        if "=" not in s:
            upper = s.upper()
            if upper in ("END_GROUP", "END_OBJECT") and len(stack) > 1:
                stack.pop()
                continue
            junk.append((i, s))
            continue
        key, _, value = s.partition("=")
        key = key.strip()
        value = value.strip()
        if not _KEY_RE.fullmatch(key):
            junk.append((i, s))
            continue
        ukey = key.upper()
        if ukey in ("GROUP", "OBJECT", "BEGIN_GROUP", "BEGIN_OBJECT"):
            name = value.strip('"').strip()
            if not name:
                junk.append((i, s))
                continue
            new: dict[str, Any] = {}
            parent = stack[-1][1]
            if len(stack) > _MAX_DEPTH:
                if len(stack) == _MAX_DEPTH + 1:
                    warnings.append(f"line {i}: groups nested too deeply; their content is ignored")
            elif name in parent and isinstance(parent[name], dict):
                new = parent[name]  # a repeated group continues the first one
            else:
                parent[name] = new
            stack.append((name, new))
            continue
        if ukey in ("END_GROUP", "END_OBJECT"):
            name = value.strip('"').strip()
            names = [g for g, _ in stack[1:]]
            if name in names:
                while stack[-1][0] != name:
                    warnings.append(f"group {stack[-1][0]} is not closed before END_GROUP = {name}")
                    stack.pop()
                stack.pop()
            else:
                warnings.append(f"line {i}: END_GROUP = {name} has no matching GROUP; ignored")
            continue
        # multi-line values: unclosed quotes or parentheses continue on the next lines
        while i < len(lines) and _unfinished(value):
            value += " " + lines[i].strip()
            i += 1
        if _unfinished(value):
            warnings.append(f"line {i}: value of {key} is cut off")
        stack[-1][1][key] = _odl_value(value)
        n_items += 1
    if junk:
        first_line, first_text = junk[0]
        warnings.append(
            f"ignored {len(junk)} line(s) that are not KEY = VALUE (first: line {first_line}: "
            f"{first_text[:40]!r})"
        )
    return OdlTree(top, warnings, saw_end, n_items, [g for g, _ in stack[1:]])


def _parse_odl(text: str, label: str | None) -> MTL:
    tree = parse_odl_tree(text)
    top, warnings = tree.top, tree.warnings
    if not any(isinstance(v, dict) for v in top.values()) and (tree.items == 0 or not _has_mtl_keys(top)):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="odl")
    if tree.open_groups:
        warnings.append(f"file ends inside group(s) {', '.join(tree.open_groups)}: it may be truncated")
    if not tree.saw_end:
        warnings.append("no END line: the file may be truncated")
    root, groups = _split_root(top)
    return MTL(root=root, groups=groups, warnings=warnings, source=label, format="odl")


def _strip_comment(line: str) -> str:
    if "/*" in line:
        start = line.find("/*")
        end = line.find("*/", start + 2)
        return line[:start] + (line[end + 2 :] if end >= 0 else "")
    return line


def _unfinished(value: str) -> bool:
    if value.count('"') % 2 == 1:
        return True
    if value.startswith("(") and value.count("(") > value.count(")"):
        return True
    return value.startswith("{") and value.count("{") > value.count("}")


def _split_root(top: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A single top-level group is the root; anything else keeps an unnamed root."""
    groups = [k for k, v in top.items() if isinstance(v, dict)]
    if len(top) == 1 and len(groups) == 1:
        return groups[0], top[groups[0]]
    for name in ("LANDSAT_METADATA_FILE", "L1_METADATA_FILE"):
        if name in groups and len(groups) == 1:
            return name, top[name]
    return "", top


# --------------------------------------------------------------------------------------------
# JSON (MTL.json)


def _parse_json(text: str, label: str | None) -> MTL:
    warnings: list[str] = []
    decoder = json.JSONDecoder()
    try:
        obj, end = decoder.raw_decode(text)
        if text[end:].strip():
            warnings.append("ignored text after the end of the JSON document")
    except (json.JSONDecodeError, RecursionError):
        obj = _repair_json(text)
        if obj is None:
            return MTL(root="", groups={}, warnings=warnings, source=label, format="json")
        warnings.append("the JSON document is cut off or damaged; read what could be read")
    if not isinstance(obj, dict):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="json")
    converted = _convert_tree(obj)
    if not _has_mtl_keys(converted):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="json")
    root, groups = _split_root(converted)
    return MTL(root=root, groups=groups, warnings=warnings, source=label, format="json")


def _convert_tree(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        out[str(k)] = _convert_json_value(v)
    return out


def _convert_json_value(v: Any) -> Any:
    if isinstance(v, dict):
        return _convert_tree(v)
    if isinstance(v, list):
        return [_convert_json_value(x) for x in v]
    if isinstance(v, str):
        return convert_value(v)
    return v


_MTL_KEY_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _has_mtl_keys(tree: dict[str, Any], depth: int = 0) -> bool:
    """True when the tree holds MTL-style keys (UPPER_CASE_WITH_UNDERSCORES)."""
    for k, v in tree.items():
        if _MTL_KEY_RE.fullmatch(k):
            return True
        if isinstance(v, dict) and depth < 4 and _has_mtl_keys(v, depth + 1):
            return True
    return False


def _repair_json(text: str) -> Any:
    """Best effort for a truncated JSON object: cut at the last complete member, close brackets."""
    cuts: list[tuple[int, str]] = []
    stack: list[str] = []
    in_str = esc = False
    for pos, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack:
                break
            stack.pop()
            if not stack:
                cuts.append((pos + 1, ""))
                break
        elif ch == "," and stack:
            cuts.append((pos, "".join(reversed(stack))))
    for pos, closing in reversed(cuts[-60:]):
        try:
            return json.loads(text[:pos] + closing)
        except (json.JSONDecodeError, RecursionError):
            continue
    return None


# --------------------------------------------------------------------------------------------
# XML (C2 MTL.xml and ESPA metadata)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _parse_xml(text: str, label: str | None) -> MTL:
    warnings: list[str] = []
    parser = ET.XMLPullParser(events=("start", "end"))
    stack: list[list[Any]] = []  # [tag, dict, element, has_children]
    top: dict[str, Any] = {}
    root_elem: ET.Element | None = None
    error: str | None = None
    try:
        parser.feed(text)
        parser.close()
    except ET.ParseError as exc:
        error = str(exc)
    try:
        for event, elem in parser.read_events():
            if event == "start":
                if root_elem is None:
                    root_elem = elem
                if stack:
                    stack[-1][3] = True
                if len(stack) == _MAX_DEPTH:
                    warnings.append("XML elements nested too deeply; their content is ignored")
                stack.append([_local(elem.tag), {}, elem, False])
            else:
                tag, node, el, has_children = stack.pop()
                if len(stack) < _MAX_DEPTH:
                    parent = stack[-1][1] if stack else top
                    _attach(parent, tag, node, el, has_children)
                if stack:  # free memory of finished leaves
                    el.clear()
    except ET.ParseError as exc:  # the parser queues its error after the events it could read
        error = error or str(exc)
    if error:
        if stack:
            warnings.append(f"the XML document is cut off or damaged ({error}); read what could be read")
        else:
            warnings.append(f"ignored damaged text after the XML document ({error})")
    while stack:  # attach the groups that were still open when the text ended
        tag, node, el, has_children = stack.pop()
        parent = stack[-1][1] if stack else top
        if len(stack) < _MAX_DEPTH and (node or el.attrib):
            _attach(parent, tag, node, el, True)
    if root_elem is None or not top:
        return MTL(root="", groups={}, warnings=warnings, source=label, format="xml")
    root_name = next(iter(top))
    content = top[root_name] if isinstance(top[root_name], dict) else {}
    if root_name == "espa_metadata":
        return _espa_to_mtl(content, warnings, label)
    if not _has_mtl_keys(content):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="xml")
    return MTL(root=root_name, groups=content, warnings=warnings, source=label, format="xml")


def _attach(
    parent: dict[str, Any], tag: str, node: dict[str, Any], el: ET.Element, has_children: bool
) -> None:
    if has_children or node:
        for k, v in el.attrib.items():
            node.setdefault(f"@{_local(k)}", convert_value(v))
        value: Any = node
    elif el.attrib and not (el.text or "").strip():
        value = {f"@{_local(k)}": convert_value(v) for k, v in el.attrib.items()}
    else:
        value = convert_value(el.text or "")
    if tag in parent:  # repeated elements (ESPA <band>, <corner>) become lists
        existing = parent[tag]
        if isinstance(existing, list) and getattr(existing, "_repeat", False):
            existing.append(value)
        else:
            lst = _RepeatList([existing, value])
            parent[tag] = lst
    else:
        parent[tag] = value


class _RepeatList(list):  # type: ignore[type-arg]
    """A list made from repeated XML elements (distinguishes them from list values)."""

    _repeat = True


def _espa_to_mtl(content: dict[str, Any], warnings: list[str], label: str | None) -> MTL:
    """Map ESPA global metadata onto MTL-style groups, so the Landsat code reads it unchanged."""
    g = content.get("global_metadata")
    g = g if isinstance(g, dict) else {}
    info: dict[str, Any] = {}
    product_id = g.get("product_id")
    if isinstance(product_id, str) and product_id:
        info["LANDSAT_PRODUCT_ID"] = product_id
    mtl_name = g.get("lpgs_metadata_file")
    if isinstance(mtl_name, str) and mtl_name:
        stem = re.sub(r"_MTL\.\w+$", "", mtl_name, flags=re.IGNORECASE)
        if re.fullmatch(r"L[COTEM]\d{14}[A-Z]{3}\d{2}", stem):
            info["LANDSAT_SCENE_ID"] = stem
    if "level1_production_date" in g:
        info["FILE_DATE"] = str(g["level1_production_date"])
    meta: dict[str, Any] = {}
    for src, dst in (("satellite", "SPACECRAFT_ID"), ("instrument", "SENSOR_ID")):
        if src in g:
            meta[dst] = g[src]
    wrs = g.get("wrs")
    if isinstance(wrs, dict):
        for src, dst in (("@path", "WRS_PATH"), ("@row", "WRS_ROW")):
            if src in wrs:
                meta[dst] = wrs[src]
    for src, dst in (("acquisition_date", "DATE_ACQUIRED"), ("scene_center_time", "SCENE_CENTER_TIME")):
        if src in g:
            meta[dst] = str(g[src])
    attrs: dict[str, Any] = {}
    sun = g.get("solar_angles")
    if isinstance(sun, dict):
        zen = sun.get("@zenith")
        if isinstance(zen, (int, float)):
            attrs["SUN_ELEVATION"] = 90.0 - float(zen)
        if isinstance(sun.get("@azimuth"), (int, float)):
            attrs["SUN_AZIMUTH"] = float(sun["@azimuth"])
    if isinstance(g.get("earth_sun_distance"), (int, float)):
        attrs["EARTH_SUN_DISTANCE"] = g["earth_sun_distance"]
    proj: dict[str, Any] = {}
    pinfo = g.get("projection_information")
    if isinstance(pinfo, dict):
        if "@projection" in pinfo:
            proj["MAP_PROJECTION"] = pinfo["@projection"]
        if "@datum" in pinfo:
            proj["DATUM"] = pinfo["@datum"]
        utm = pinfo.get("utm_proj_params")
        if isinstance(utm, dict) and "zone_code" in utm:
            proj["UTM_ZONE"] = utm["zone_code"]
    bands: dict[str, Any] = {}
    raw_bands = content.get("bands")
    band_list = raw_bands.get("band") if isinstance(raw_bands, dict) else None
    if isinstance(band_list, dict):
        band_list = [band_list]
    for b in band_list or []:
        if isinstance(b, dict) and isinstance(b.get("file_name"), str):
            bands[str(b.get("@name", b["file_name"]))] = b["file_name"]
    groups: dict[str, Any] = {
        "METADATA_FILE_INFO": info,
        "PRODUCT_METADATA": meta,
        "IMAGE_ATTRIBUTES": attrs,
        "PROJECTION_PARAMETERS": proj,
        "ESPA_BANDS": bands,
        "ESPA_METADATA": content,
    }
    if not (info or meta or attrs):
        warnings.append("ESPA metadata without global scene facts")
    return MTL(root="espa_metadata", groups=groups, warnings=warnings, source=label, format="espa")


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
