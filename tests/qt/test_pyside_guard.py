"""Guard against the PySide6 6.12.0 / Python 3.11 bug that drops a reference to True per emit."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    sig = Signal(object)


def test_emit_does_not_leak_true(qapp) -> None:
    """1000 emits leave sys.getrefcount(True) unchanged (6.12.0 would abort after ~570)."""
    e = _Emitter()
    e.sig.connect(lambda v: None)
    before = sys.getrefcount(True)
    for _ in range(1000):
        e.sig.emit(True)
    assert abs(sys.getrefcount(True) - before) < 10
