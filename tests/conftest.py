"""Shared pytest fixtures: where the real sample files are, and a guard that inputs stay untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("SATVIEW_REAL_DATA", REPO.parent / "shared" / "data" / "real"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets a fresh per-user cache folder, so tests never share unpacked scenes."""
    monkeypatch.setenv("SATVIEW_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real sample files (``../shared/data/real``); skips when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real sample data not found at {REAL_DATA}")
    return REAL_DATA
