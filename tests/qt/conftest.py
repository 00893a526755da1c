"""GUI test set-up: offscreen Qt, and no thread, worker process or top-level widget outlives a test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leftover_threads(qapp):
    """Every QThreadPool is drained at the end of each test."""
    yield
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(20_000), "a worker thread outlived its test"
