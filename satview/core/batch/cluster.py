"""Before a batch runs on Dask workers: can every worker see the inputs and write the output folder?

On a real cluster the workers are other machines; they find a scene by the path the client gave,
so the input and output folders must be on a file system every worker mounts at the same place.
When one does not, every task would fail on that worker, one "file not found" at a time (or, for
the output folder, write somewhere nobody looks). :func:`check_workers` asks each worker once,
through ``client.run``, before anything is submitted, and refuses with one message naming the
worker and the path.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterable
from typing import Any

from satview.errors import SatviewError

#: Input files probed per check (the first ones of the batch): enough to catch a folder that is not
#: shared, without one request per scene on a large batch.
MAX_PROBED_INPUTS = 16


def _readable(path: str) -> bool:
    """True when ``path`` opens for reading here (a file: one byte is read; a folder: it is listed)."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
            return True
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except OSError:
        return False


def _writable(folder: str) -> bool:
    """True when a file can be created (and is then removed) in ``folder`` here."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".satview-probe-"):
            return True
    except OSError:
        return False


def probe(inputs: list[str], output: str | None) -> dict[str, Any]:
    """What this process sees: host name, inputs it cannot read, and whether it can write ``output``.

    Runs on each worker (``client.run``); module level so Dask pickles it by name."""
    return {
        "host": socket.gethostname(),
        "unreadable": [p for p in inputs if not _readable(p)],
        "output_ok": output is None or _writable(output),
    }


def check_workers(client: Any, inputs: Iterable[str], output: str | None) -> None:
    """Raise ``SatviewError`` unless every worker of ``client`` reads ``inputs`` and writes ``output``.

    ``inputs`` are paths as the client sees them (only the first :data:`MAX_PROBED_INPUTS` are
    probed); ``output`` is the output folder (None when the tasks write nothing)."""
    paths = [os.path.abspath(p) for p in list(inputs)[:MAX_PROBED_INPUTS]]
    out = None if output is None else os.path.abspath(output)
    answers = client.run(probe, paths, out)
    for worker, seen in sorted(answers.items()):
        where = f"the Dask worker {worker} (host {seen['host']})"
        if seen["unreadable"]:
            raise SatviewError(
                f"{where} cannot read this input: the input folder must be on a file system every worker "
                "mounts at the same path", seen["unreadable"][0])
        if not seen["output_ok"]:
            raise SatviewError(
                f"{where} cannot write to the output folder: it must be on a file system every worker "
                "mounts at the same path, writable by the workers", out)


def check_jobs(client: Any, jobs: list[tuple[Any, ...]]) -> None:
    """:func:`check_workers` for batch jobs: a batch task's arguments are ``(path, reader, out_dir, ...)``
    (``out_dir`` absent, or not a ``str``, for tasks that write nothing, such as the stretch pass)."""
    if not jobs:
        return
    out = jobs[0][2] if len(jobs[0]) > 2 and isinstance(jobs[0][2], str) else None
    check_workers(client, [str(job[0]) for job in jobs], out)
