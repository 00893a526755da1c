"""Parse Landsat MTL ``.json`` files into the :class:`~satview.core.mtl_model.MTL` model.

Tolerant like the other formats: a truncated document is cut at its last complete member and read,
with a warning, because damaged downloads are common and partial metadata is still useful.
"""

from __future__ import annotations

import json
from typing import Any

from satview.core.mtl_model import MTL, has_mtl_keys, split_root
from satview.core.odl import convert_value

__all__ = ["parse_json"]


def parse_json(text: str, label: str | None) -> MTL:
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
    if not has_mtl_keys(converted):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="json")
    root, groups = split_root(converted)
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
