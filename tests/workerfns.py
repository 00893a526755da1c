"""Functions tests send to worker processes: crash, hang, allocate, wait with progress, fail with a bug.

They live in test code (a module on the tests' ``sys.path``, which workers are given) so that no
production module ships them.
"""

from __future__ import annotations

import os
import time

from satview.errors import CancelledError
from satview.workers.declare import request
from satview.workers.task import report_progress, should_cancel


def pid() -> int:
    """The worker's process id."""
    return os.getpid()


def crash(path: str) -> None:
    """Kill the worker process abruptly, like a crashing C reader."""
    os._exit(1)


def abort(path: str) -> None:
    """Abort the worker (SIGABRT), like a double free in a C library."""
    os.abort()


def hang(path: str, seconds: float = 3600.0) -> None:
    """Block without checking for cancellation, like a C reader in an endless loop."""
    time.sleep(seconds)


def allocate(path: str, nbytes: int) -> int:
    """Allocate and touch ``nbytes``; returns the worker's pid."""
    import numpy as np

    a = np.ones(int(nbytes), dtype=np.uint8)
    return int(a[-1]) and os.getpid()


def wait(seconds: float, step: float = 0.02) -> int:
    """Report progress for up to ``seconds`` unless cancelled (raises CancelledError then)."""
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        if should_cancel():
            raise CancelledError("the test task was cancelled")
        report_progress((time.monotonic() - start) / seconds, f"step {n}")
        n += 1
        time.sleep(step)
    return n


def count_until_stopped(seconds: float, step: float = 0.02) -> int:
    """Count steps (reporting progress) until asked to stop or ``seconds`` pass; returns the count,
    like a batch that returns what it finished."""
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds and not should_cancel():
        report_progress((time.monotonic() - start) / seconds, f"step {n}")
        n += 1
        time.sleep(step)
    return n


def type_error(path: str) -> None:
    """A bug: a plain TypeError."""
    raise TypeError('can only concatenate str (not "bytes") to str')


class Unpicklable(Exception):
    """An exception that cannot be rebuilt from its pickle (a required argument is lost)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} {b}")


def unpicklable_error(path: str) -> None:
    """A bug whose exception does not survive pickling."""
    raise Unpicklable("broken", "thing")


@request(3600, doing="reprojecting the view", lane="background", latest_only=True)
def hung_view(path: str) -> None:
    """A view reprojection that never finishes (and never checks for cancel)."""
    time.sleep(3600)


@request(3600, doing="clipping it", lane="export")
def hung_export(path: str) -> None:
    """An export that never finishes."""
    time.sleep(3600)


@request(3600, doing="opening it", latest_only=True)
def stale_open(path: str) -> None:
    """An interactive request stuck in a C call (no cancel checks): a newer one must replace it."""
    time.sleep(3600)


@request(3600, doing="exporting it", lane="export")
def wait_export(seconds: float) -> int:
    """``wait`` as an export (on the export lane)."""
    return wait(seconds)


def gone(pid: int, wait_s: float = 30.0) -> bool:
    """True once process ``pid`` no longer exists (or is a zombie nobody waits for), within ``wait_s``."""
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False
