"""Run a CLI command on a risky file (HDF4, HDF5/netCDF) in a short-lived child process.

pyhdf, h5py and GDAL's HDF/netCDF drivers can segfault, abort or loop forever on damaged files.
For those formats the whole command body runs in a child process (forkserver on Linux, else
spawn; never a plain fork); its output is forwarded line by line, so the command looks the same.
When the child dies, ``satview`` still exits 1 with ``satview: error: FILE: the reader crashed
...``. A Python exception in the child is not a crash: the child's ``run_command`` reports it like
an in-process run (a ``SatviewError`` with its category; anything else as a categorised error
naming the file, no traceback). Deadlines are the GUI's (:func:`satview.core.service.deadline_for`,
scaled by the file's size and ``SATVIEW_DEADLINE_SCALE``): opening must end within the open
deadline, and the rest of the command (reading, exporting) within the deadline of the matching
service request (:data:`COMMAND_REQUESTS`); past either the child is killed and the error says
"timed out". The child's address space is capped like the GUI's reader processes. Landsat and
GeoTIFF stay in-process.

Tests may replace :data:`CHILD_MAIN` by a function of the same signature importable in the child.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
import time
from typing import Any

from satview.errors import ReaderCrashedError, ReaderTimeoutError, SatviewError

#: Sniffed kinds whose readers run in a child process.
RISKY_KINDS = frozenset({"hdf4", "hdf5", "netcdf3"})
#: Commands that read a scene from ``args.path``.
#: Seconds the child may take to start (imports) before its open deadline starts.
START_LIMIT_S = 120.0
#: The reader-service request each command matches (its deadline applies once the scene is open),
#: and what the command is doing then, for the "timed out" message.
COMMAND_REQUESTS: dict[str, tuple[str, str]] = {
    "info": ("svc_open", "describing it"),
    "pixel": ("svc_pixel", "reading a pixel"),
    "quicklook": ("svc_quicklook", "writing a quick-look"),
    "clip": ("svc_clip", "clipping it"),
    "reproject": ("svc_reproject", "reprojecting it"),
}
#: Commands that read the scene at ``args.path``.
READING_COMMANDS = frozenset(COMMAND_REQUESTS)

#: Modules the fork server imports once, so each child starts with them loaded.
PRELOAD = ["numpy", "rasterio", "pyproj", "shapely", "h5py", "pyhdf.SD", "satview.cli", "satview.cli.export",
           "satview.core.readers.builtin", "satview.core.readers.hdf4", "satview.core.readers.hdf5",
           "satview.core.readers.netcdf3", "satview.core.describe", "satview.core.pixel",
           "satview.core.render", "satview.core.quicklook", "satview.core.clip", "satview.core.reproject",
           "satview.cli._isolate_warm"]

_CONN: Any = None  # child side: the pipe to the parent


def in_child() -> bool:
    """True inside the isolated child process."""
    return _CONN is not None


def needs_isolation(args: argparse.Namespace) -> bool:
    """True when ``args`` is a reading command on a file of a risky kind (and not in the child)."""
    path = getattr(args, "path", None)
    if in_child() or not path or getattr(args, "command", None) not in READING_COMMANDS:
        return False
    if os.environ.get("SATVIEW_CLI_INPROCESS", "") not in ("", "0"):
        return False
    from satview.core.sniff import sniff

    try:
        return sniff(path).kind in RISKY_KINDS
    except SatviewError:  # the in-process run reports it (nothing was opened)
        return False


def notify_opened() -> None:
    """Child side: the scene is open, so the open deadline no longer applies."""
    if _CONN is not None:
        with contextlib.suppress(Exception):
            _CONN.send(("opened",))


class _Forward(io.TextIOBase):
    """A text stream that sends what is written to the parent (``"out"`` or ``"err"``)."""

    def __init__(self, conn: Any, stream: str, tty: bool) -> None:
        self._conn, self._stream, self._tty = conn, stream, tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self._conn.send((self._stream, str(text)))
        return len(text)

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def child_main(args: argparse.Namespace, conn: Any, environ: dict[str, str], cwd: str,
               tty: tuple[bool, bool], cap: int | None) -> None:
    """Child side: take the parent's environment and folder, cap memory, run the command."""
    global _CONN
    os.environ.clear()
    os.environ.update(environ)
    with contextlib.suppress(OSError):
        os.chdir(cwd)
    from satview.core.service import apply_memory_cap

    apply_memory_cap(cap)
    _CONN = conn
    sys.stdout = _Forward(conn, "out", tty[0])
    sys.stderr = _Forward(conn, "err", tty[1])
    _silence_native_stderr()
    conn.send(("ready",))
    from satview.cli import run_command

    code = run_command(args)
    conn.send(("done", int(code)))
    conn.close()


def _silence_native_stderr() -> None:
    """Point the child's file descriptor 2 at the null device.

    Python's ``sys.stderr`` already goes to the parent; what still writes to descriptor 2 are the C
    libraries (glibc's "free(): double free detected", HDF5 diagnostics) dying or complaining about
    a damaged file. The parent reports that in one categorised line, so their noise must not
    precede it: a failed command's stderr is the ``satview: error:`` line only.
    """
    os.environ["LIBC_FATAL_STDERR_"] = "1"  # glibc's fatal messages: descriptor 2, not the terminal
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)


#: The function the child runs (a test hook: replace it with one importable in the child).
CHILD_MAIN = child_main


def _context() -> Any:
    from satview import forkserver

    return forkserver.start(PRELOAD)


def _signal_name(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"exit status {code}"


def open_deadline(path: str) -> float | None:
    """Seconds an open of ``path`` may take (the GUI's open deadline), or None."""
    from satview.core.service import deadline_for, svc_open

    return deadline_for(svc_open, path)


def command_deadline(command: str, path: str) -> float | None:
    """Seconds ``command`` may work on ``path`` once it is open (its service request's deadline), or None."""
    from satview.core import service

    name = COMMAND_REQUESTS.get(command, ("svc_open", ""))[0]
    return service.deadline_for(getattr(service, name), path)


def run_isolated(args: argparse.Namespace) -> int:
    """Run ``args.func(args)`` in a child process; return its exit code.

    Raises ``ReaderCrashedError`` when the child died without finishing and
    ``ReaderTimeoutError`` when it did not open the file, or finish the command once the file was
    open, within the deadline (:func:`open_deadline`, :func:`command_deadline`).
    """
    from satview.core.service import memory_cap

    path = os.fspath(args.path)
    name = os.path.basename(path) or path
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    tty = (_isatty(sys.stdout), _isatty(sys.stderr))
    proc = ctx.Process(target=CHILD_MAIN, args=(args, send, dict(os.environ), os.getcwd(), tty, memory_cap()),
                       name="satview-reader", daemon=True)
    proc.start()
    send.close()
    limit = open_deadline(path)
    work_limit = command_deadline(args.command, path)
    started = time.monotonic()
    ready: float | None = None
    opened: float | None = None  # when the child said the scene is open
    done: int | None = None
    try:
        while True:
            if recv.poll(0.05):
                try:
                    msg = recv.recv()
                except (EOFError, OSError):
                    break
                kind = msg[0]
                if kind == "out":
                    sys.stdout.write(msg[1])
                    sys.stdout.flush()
                elif kind == "err":
                    sys.stderr.write(msg[1])
                    sys.stderr.flush()
                elif kind == "ready":
                    ready = time.monotonic()
                elif kind == "opened":
                    opened = time.monotonic()
                elif kind == "done":
                    done = int(msg[1])
                continue
            if not proc.is_alive() and not recv.poll(0):
                break
            late = _overdue(time.monotonic(), started, ready, opened, limit, work_limit,
                            COMMAND_REQUESTS.get(args.command, ("", "reading it"))[1])
            if late is not None:
                _stop(proc)
                doing, waited = late
                raise ReaderTimeoutError(
                    f"the reader timed out on {name} while {doing} (no result after {waited:.0f} s); "
                    "it was stopped", path)
    except KeyboardInterrupt:
        proc.join(2.0)
        if proc.is_alive():
            _stop(proc)
            raise
        return 130 if done is None else done
    finally:
        recv.close()
    proc.join(5.0)
    if done is not None:
        return done
    if proc.is_alive():
        _stop(proc)
    raise ReaderCrashedError(
        f"the reader crashed on {name} while {'reading' if opened is not None else 'opening'} it (the reader "
        f"process died: {_signal_name(proc.exitcode)}); the file is probably damaged", path)


def _overdue(now: float, started: float, ready: float | None, opened: float | None, open_limit: float | None,
             work_limit: float | None, doing: str) -> tuple[str, float] | None:
    """(what the child was doing, its limit in s) when the child ran past a deadline, else None.

    Three phases, each with its own clock: starting (imports, :data:`START_LIMIT_S`), opening the
    file (``open_limit`` from "ready"), and the rest of the command (``work_limit`` from "opened").
    """
    if ready is None:
        return ("starting", START_LIMIT_S) if now - started > START_LIMIT_S else None
    if opened is None:
        return ("opening it", open_limit) if open_limit is not None and now - ready > open_limit else None
    return (doing, work_limit) if work_limit is not None and now - opened > work_limit else None


def _stop(proc: Any) -> None:
    with contextlib.suppress(Exception):
        proc.kill()
    proc.join(5.0)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False
