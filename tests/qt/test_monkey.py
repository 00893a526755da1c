"""A 300-action seeded GUI monkey run on the real main window (bench/monkey.py, issue 15 item 2)."""

from __future__ import annotations

import pytest
from bench_runner import run_bench


@pytest.fixture(scope="module")
def monkey_run(tmp_path_factory, real_data):
    """Summary of 300 seeded actions (real samples + 30 hostile cases), the GUI in its own process."""
    return run_bench("monkey.py", ["--actions", "300", "--seed", "3", "--hostile", "30", "--patience", "0.2"],
                     tmp_path_factory.mktemp("monkey"))


def test_every_action_ran_without_a_crash(monkey_run):
    """All 300 actions ran and the GUI process never died."""
    assert monkey_run["gui_crashes"] == 0, monkey_run["crashes"]
    assert monkey_run["actions_run"] == 300


def test_no_uncaught_exception_and_no_qt_critical(monkey_run):
    """Nothing reached sys.excepthook / threading.excepthook, and Qt logged nothing critical."""
    assert monkey_run["uncaught_exceptions"] == 0, monkey_run["exceptions"]
    assert monkey_run["qt_criticals"] == 0, monkey_run["qt_warnings"]


def test_no_stall_of_the_gui_thread(monkey_run):
    """No event-loop stall over 250 ms in which the GUI thread itself was busy over 250 ms."""
    assert monkey_run["stalls_with_gui_cpu_over_250ms"] == 0, monkey_run["stalls"]


def test_every_error_names_a_file_or_an_action(monkey_run):
    """Every error shown to the user names the file concerned or the action that failed."""
    assert monkey_run["errors_naming_neither_file_nor_action"] == []
