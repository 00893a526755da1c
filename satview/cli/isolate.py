"""Run a CLI command on a risky file (HDF4, HDF5/netCDF) in a worker process of the one worker layer.

pyhdf, h5py and GDAL's HDF/netCDF drivers can segfault, abort or loop forever on damaged files.
For those formats the whole command (``satview.cli.run_command``, errors and exit codes included)
runs in a :class:`~satview.workers.pool.WorkerPool` worker; what it prints is forwarded line by line
as events, so the command looks the same. When the worker dies, ``satview`` still exits 1 with
``satview: error: FILE: the reader crashed ...``; past the command's deadline (:data:`COMMANDS`,
scaled by the file's size and ``SATVIEW_DEADLINE_SCALE``, for the whole command: opening and the
work) the worker is killed and the error says "timed out". The worker's address space is capped
like every worker's. Landsat and GeoTIFF stay in-process.

This module does not import ``satview.cli``: the caller passes its command runner.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable
from typing import Any

from satview.errors import SatviewError
from satview.workers.declare import Request

Runner = Callable[[argparse.Namespace], int]

#: Sniffed kinds whose readers run in a worker process.
RISKY_KINDS = frozenset({"hdf4", "hdf5", "netcdf3"})
#: The reading commands (they read the scene at ``args.path``): deadline of the whole command and what
#: it does to the file, for the "timed out" and "crashed" messages.
COMMANDS: dict[str, Request] = {
    "info": Request(30, per_gb=10, doing="describing it"),
    "pixel": Request(60, per_gb=20, doing="reading a pixel"),
    "quicklook": Request(150, per_gb=40, doing="writing a quick-look"),
    "clip": Request(630, per_gb=130, doing="clipping it"),
    "reproject": Request(630, per_gb=130, doing="reprojecting it"),
}
READING_COMMANDS = frozenset(COMMANDS)


def needs_isolation(args: argparse.Namespace) -> bool:
    """True when ``args`` is a reading command on a file of a risky kind."""
    path = getattr(args, "path", None)
    if not path or getattr(args, "command", None) not in READING_COMMANDS:
        return False
    if os.environ.get("SATVIEW_CLI_INPROCESS", "") not in ("", "0"):
        return False
    from satview.core.sniff import sniff

    try:
        return sniff(path).kind in RISKY_KINDS
    except SatviewError:  # the in-process run reports it (nothing was opened)
        return False


def run_isolated(args: argparse.Namespace, runner: Runner) -> int:
    """``runner(args)`` in a worker process; its exit code.

    Raises ``ReaderCrashedError`` when the worker died and ``ReaderTimeoutError`` when the command
    ran past its deadline. ``runner`` must be importable by the worker (a module-level function).
    """
    from satview.workers.pool import WorkerPool

    path = os.fspath(args.path)
    tty = (_isatty(sys.stdout), _isatty(sys.stderr))
    pool = WorkerPool("reader")
    stopped = False
    try:
        future = pool.submit(run_in_worker, runner, args, tty, path=path, request=COMMANDS[args.command],
                             on_event=_forward)
        return int(future.result())
    except KeyboardInterrupt:
        pool.shutdown(timeout=0)
        stopped = True
        raise
    finally:
        if not stopped:
            pool.shutdown()


def _forward(event: Any) -> None:
    """Client side: write what the worker printed (``("out" | "err", text)``)."""
    stream = sys.stdout if event[0] == "out" else sys.stderr
    stream.write(event[1])
    stream.flush()


class _Forward(io.TextIOBase):
    """Worker side: a text stream whose writes travel to the client as ``(stream, text)`` events."""

    def __init__(self, stream: str, tty: bool) -> None:
        self._stream, self._tty = stream, tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        from satview.workers.task import emit

        if text:
            emit((self._stream, str(text)))
        return len(text)

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def run_in_worker(runner: Runner, args: argparse.Namespace, tty: tuple[bool, bool]) -> int:
    """Worker side: run the command with its output forwarded; its exit code."""
    _silence_native_stderr()
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Forward("out", tty[0]), _Forward("err", tty[1])
    try:
        return int(runner(args))
    finally:
        sys.stdout, sys.stderr = out, err


def _silence_native_stderr() -> None:
    """Point the worker's file descriptor 2 at the null device.

    Python's ``sys.stderr`` already goes to the client; what still writes to descriptor 2 are the C
    libraries (glibc's "free(): double free detected", HDF5 diagnostics) dying or complaining about
    a damaged file. The client reports that in one categorised line, so their noise must not
    precede it: a failed command's stderr is the ``satview: error:`` line only.
    """
    os.environ["LIBC_FATAL_STDERR_"] = "1"  # glibc's fatal messages: descriptor 2, not the terminal
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
