"""How a request function declares what the worker layer needs to know about it.

Each function the app, the CLI or batch sends to a worker says itself how long it may take and
where it runs::

    @request(30, per_gb=10, doing="opening it", latest_only=True)
    def open_view(path, dataset=None, ...): ...

- the deadline: ``seconds`` plus ``per_gb`` for each GB of the file (the first argument), multiplied
  by ``SATVIEW_DEADLINE_SCALE`` (0 turns deadlines off); past it the worker is killed and replaced and
  the request fails with "timed out" naming the file;
- ``doing``: what the function is doing to the file, for the "crashed"/"timed out" messages;
- ``lane``: "interactive" (what the user waits for: never behind long work), "background" (view
  reprojection, long but still for the screen) or "export" (writing files);
- ``latest_only``: a new request of the function supersedes (cancels) older unfinished ones.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Lane = Literal["interactive", "background", "export"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Request:
    """The declaration attached to a request function as ``fn.request`` (see the module docstring)."""

    seconds: float
    per_gb: float = 0.0
    doing: str = "reading it"
    lane: Lane = "interactive"
    latest_only: bool = False

    def deadline(self, path: str | None, scale: float | None = None) -> float | None:
        """Seconds the request on ``path`` may run once a worker starts it, or None (no deadline)."""
        scale = deadline_scale() if scale is None else scale
        if scale <= 0 or self.seconds <= 0:
            return None
        size = 0
        if path:
            with contextlib.suppress(OSError, ValueError):
                size = os.stat(path).st_size
        return scale * (self.seconds + self.per_gb * size / 1e9)


def request(seconds: float, *, per_gb: float = 0.0, doing: str = "reading it", lane: Lane = "interactive",
            latest_only: bool = False) -> Callable[[F], F]:
    """Decorator: attach a :class:`Request` to a function (the function itself is unchanged)."""
    def attach(fn: F) -> F:
        fn.request = Request(seconds, per_gb, doing, lane, latest_only)  # type: ignore[attr-defined]
        return fn

    return attach


def declared(fn: Callable[..., Any]) -> Request | None:
    """The :class:`Request` of ``fn`` (of ``partial``'s function too), or None."""
    return getattr(fn, "request", None) or getattr(getattr(fn, "func", None), "request", None)


def deadline_scale() -> float:
    """``SATVIEW_DEADLINE_SCALE`` (default 1; 0 or less: no deadlines)."""
    try:
        return float(os.environ.get("SATVIEW_DEADLINE_SCALE", "1") or 1)
    except ValueError:
        return 1.0
