"""The parsed Landsat metadata model (:class:`MTL`) and the helpers every metadata format shares.

Kept apart from the parsers (:mod:`satview.core.mtl`, :mod:`satview.core.mtl_json`,
:mod:`satview.core.mtl_xml`) so each format module builds the same model without importing the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MTL", "has_mtl_keys", "split_root"]


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


def split_root(top: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A single top-level group is the root; anything else keeps an unnamed root."""
    groups = [k for k, v in top.items() if isinstance(v, dict)]
    if len(top) == 1 and len(groups) == 1:
        return groups[0], top[groups[0]]
    for name in ("LANDSAT_METADATA_FILE", "L1_METADATA_FILE"):
        if name in groups and len(groups) == 1:
            return name, top[name]
    return "", top


_MTL_KEY_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def has_mtl_keys(tree: dict[str, Any], depth: int = 0) -> bool:
    """True when the tree holds MTL-style keys (UPPER_CASE_WITH_UNDERSCORES)."""
    for k, v in tree.items():
        if _MTL_KEY_RE.fullmatch(k):
            return True
        if isinstance(v, dict) and depth < 4 and has_mtl_keys(v, depth + 1):
            return True
    return False
