"""The app's one error route shows a bug in satview as an internal error, never as a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest


def _bug() -> TypeError:
    """A TypeError with its traceback, as a bug in satview's own code would raise it."""
    try:
        _ = 1 + None  # type: ignore[operator]
    except TypeError as exc:
        return exc
    raise AssertionError("unreachable")


def test_a_bug_is_reported_as_an_internal_error_with_its_log(qtbot, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-satview exception reaches the status bar as "Internal error: TypeError: ... (please report;
    details in LOG)"; the log holds its traceback and the Details dialog names the log and asks for a
    report; no word of the file being damaged."""
    from PySide6.QtWidgets import QStatusBar

    from satview.qt.dialogs.error import ErrorDialog
    from satview.qt.notify import ErrorReporter

    monkeypatch.setenv("SATVIEW_LOG_DIR", str(tmp_path / "logs"))
    bar = QStatusBar()
    qtbot.addWidget(bar)
    reporter = ErrorReporter(bar)
    reporter.report(_bug())
    report = reporter.last
    log = tmp_path / "logs" / "internal-errors.log"
    assert report.internal and report.log_path == str(log) and report.category is None
    assert bar.currentMessage() == ("Internal error: TypeError: unsupported operand type(s) for +: 'int' and "
                                    f"'NoneType' (please report; details in {log})")
    assert "Traceback (most recent call last)" in log.read_text() and "_bug" in log.read_text()
    dlg = ErrorDialog(report)
    qtbot.addWidget(dlg)
    assert "bug in satview" in dlg.text() and str(log) in dlg.text() and "Traceback" in dlg.text()
    assert "damaged" not in dlg.text() and "corrupt" not in dlg.text()


def test_a_file_problem_is_not_an_internal_error(qtbot, tmp_path: Path) -> None:
    """A SatviewError is shown as it is (with its category), not logged as a bug."""
    from satview.errors import SceneReadError
    from satview.qt.errors import ErrorReport

    report = ErrorReport.from_exception(SceneReadError("the TIFF is truncated", tmp_path / "a.tif"),
                                        "Cannot open")
    assert not report.internal and report.log_path is None
    shown = tmp_path / "a.tif"
    assert report.status_text == f"Cannot open (truncated or corrupt): {shown}: the TIFF is truncated"
