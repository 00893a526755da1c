"""Regression tests for what the GUI monkey (bench/monkey.py) found."""

from __future__ import annotations

import threading

import pyproj.database
from PySide6.QtTest import QTest

from satview.qt.panels import projection


def test_first_crs_search_reads_the_proj_database_off_the_gui_thread(qtbot, monkeypatch):
    """The first PROJ-database search (about 0.3 s of CPU) runs in a thread, not the GUI thread,
    and its results still show up in the list."""
    monkeypatch.setattr(projection, "_CATALOGUE", None)
    real_query = pyproj.database.query_crs_info
    threads: list[threading.Thread] = []

    def query(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_query(*args, **kwargs)

    monkeypatch.setattr(pyproj.database, "query_crs_info", query)
    chooser = projection.CrsChooser()
    qtbot.addWidget(chooser)
    chooser.set_text("")
    QTest.keyClicks(chooser.filter, "polar stereo")
    qtbot.waitUntil(lambda: chooser.results.count() > 0, timeout=30_000)
    assert threads and threading.main_thread() not in threads
    assert chooser.status.text() == ""
