"""A short long session (bench/long_session.py, issue 15 item 3): 30 scenes and 10 exports in one app
session, 100 ``satview.open`` calls in one process; nothing is left behind."""

from __future__ import annotations

import pytest
from bench_runner import run_bench


@pytest.fixture(scope="module")
def session(tmp_path_factory, real_data):
    """Summary of the short run (the GUI and the API each in their own child process)."""
    args = ["--scenes", "30", "--exports", "10", "--hostile", "8", "--api", "100"]
    summary = run_bench("long_session.py", args, tmp_path_factory.mktemp("long"))
    assert summary["gui"]["exit_code"] == 0
    return summary


def test_app_session_ran_every_scene_and_export(session):
    """All 30 opens and 10 exports came back (a picture or an error), the exports without error."""
    gui = session["gui"]
    assert gui["scenes"] == 30 and gui["exports"] == 10
    assert gui["export_errors"] == 0, gui["errors_sample"]


def test_app_session_leaves_no_process_temp_file_or_partial_output(session):
    """After the window closed: no worker process (multiprocessing's resource tracker aside), nothing in
    the temporary folder, no partial export."""
    gui = session["gui"]
    assert gui["children_after_close"] == 0
    assert gui["temp_entries_after_close"] == 0
    assert gui["partial_outputs"] == []


def test_app_session_does_not_leak_descriptors_or_threads(session):
    """From the reference scene to the last, the GUI process gains no file descriptor and no thread."""
    gui = session["gui"]
    assert gui["fd_growth"] <= 0, (gui["at_reference"], gui["at_last_scene"])
    assert gui["thread_growth"] <= 0, (gui["at_reference"], gui["at_last_scene"])


def test_api_opens_leak_nothing(session):
    """100 ``with satview.open(...)`` reads: no descriptor, thread, process or temporary file is left."""
    api = session["api"]
    assert api["fd_growth"] <= 0 and api["thread_growth"] <= 0, (api["at_reference"], api["at_last"])
    assert api["children"] == 0 and api["temp_entries"] == 0
