"""GUI test set-up: offscreen Qt, and no thread, worker process or top-level widget outlives a test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _no_leftover_threads(qapp):
    """Every QThreadPool is drained at the end of each test."""
    yield
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(20_000), "a worker thread outlived its test"


@pytest.fixture(autouse=True)
def _documents(tmp_path_factory, monkeypatch):
    """The user's documents folder (default output location) is a temporary one."""
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path_factory.mktemp("Documents")))


@pytest.fixture
def make_win(qtbot, tmp_path):
    """Factory of shown, active main windows with their own settings file; all shut down afterwards."""
    from PySide6.QtCore import QSettings

    from satview.qt.main_window import MainWindow

    made = []

    def _make(root=None):
        settings = QSettings(str(tmp_path / "satview-settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(root_dir=str(root or tmp_path), settings=settings)
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitActive(w)
        made.append(w)
        return w

    yield _make
    for w in made:
        w.shutdown()


@pytest.fixture
def win(make_win):
    """One shown, active main window (shut down after the test)."""
    return make_win()
