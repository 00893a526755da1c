"""The table of readers: which content kinds each takes, an optional probe, its opener, its priority.

Kept apart from :mod:`satview.core.readers` (which loads the built-in readers on first use and opens
files) so that reader modules can register themselves without importing the package that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from satview.core.sniff import Sniffed

if TYPE_CHECKING:
    from satview.core.readers.base import Scene

Opener = Callable[..., "Scene"]
Probe = Callable[[Sniffed], bool]


@dataclass(frozen=True)
class ReaderEntry:
    """A registered reader: which content kinds it takes, an optional probe, and its opener."""

    name: str
    kinds: frozenset[str]
    opener: Opener
    probe: Probe | None = None
    priority: int = 0


_REGISTRY: list[ReaderEntry] = []


def register(name: str, kinds: set[str] | frozenset[str], probe: Probe | None = None,
             priority: int = 0) -> Callable[[Opener], Opener]:
    """Decorator: register ``opener(path, sniffed, **options) -> Scene`` for ``kinds``."""

    def deco(opener: Opener) -> Opener:
        _REGISTRY.append(ReaderEntry(name, frozenset(kinds), opener, probe, priority))
        _REGISTRY.sort(key=lambda e: -e.priority)
        return opener

    return deco


def entries() -> list[ReaderEntry]:
    """The readers registered so far, highest priority first."""
    return list(_REGISTRY)
