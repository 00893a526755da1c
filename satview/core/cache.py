"""Where satview keeps per-user cached files (unpacked .tar.gz scenes, the demo scene).

Never next to the user's input: ``$SATVIEW_CACHE_DIR``, else ``$XDG_CACHE_HOME/satview``,
else ``~/.cache/satview``.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(*parts: str) -> Path:
    """Return (and create) the satview cache folder, or a sub-folder of it."""
    root = os.environ.get("SATVIEW_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) / "satview" if xdg else Path.home() / ".cache" / "satview"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
