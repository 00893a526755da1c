"""The ODL tokeniser of satview: ``GROUP``/``KEY = VALUE`` text as nested dicts of Python values.

ODL (Object Description Language) is the syntax of Landsat MTL ``.txt`` files and of HDF-EOS
``StructMetadata``; both readers share this one tolerant parser (:mod:`satview.core.mtl`,
:mod:`satview.core.hdfeos`), so it lives apart from either format's model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "OdlTree", "convert_value", "parse_odl_tree", "split_odl_list"]

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_:.]*")
#: Deepest nesting kept (real MTLs nest 2-3 levels); deeper content is dropped, so recursion stays bounded.
MAX_DEPTH = 32


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
    a repeated group continues the first one; nesting deeper than ``MAX_DEPTH`` is dropped, so
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
            if len(stack) > MAX_DEPTH:
                if len(stack) == MAX_DEPTH + 1:
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
