"""Cyclic garbage collection in the GUI process happens only in the GUI thread.

The GUI process runs Python threads (the worker layer's client threads).
Python's cyclic collector runs in whichever thread happens to allocate, and when it frees a Qt
object there, PySide's destructor needs the GIL while holding Qt's internal locks: with the GUI
thread holding the GIL and waiting on one of those locks, the process deadlocks (seen in the test
suite: ``~QObject`` waiting for the GIL in a pool-start thread while the GUI thread waited on Qt's
connection mutex in ``setHtml``). pyqtgraph's ``GarbageCollector`` (a well-known fix for exactly
this) switches automatic collection off and collects on a timer in the GUI thread instead.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

#: Seconds between the GUI thread's checks (it collects a generation only past its threshold).
INTERVAL = 0.5

_collector: GarbageCollector | None = None


def collect_in_gui_thread() -> None:
    """Switch to GUI-thread collection for this process (once; call from the GUI thread)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=INTERVAL)


def active() -> bool:
    """Whether the GUI thread does the collecting (automatic collection is then off)."""
    return _collector is not None
