"""The ``satview`` command line: scene facts, pixel values, quick-looks, clips, reprojection, demo.

``satview [PATH] [--dataset NAME] [--screenshot OUT.png]`` (no command) starts the desktop app;
it is imported only then, so the commands never load Qt.
Exit codes: 0 success; 1 a bad input, a file or an argument (``satview: error: <file>: <message>``
on stderr, no traceback); 2 a usage error (argparse); 3 an internal error, i.e. a bug in satview
(``satview: internal error: ... (please report; details in LOG)``, the traceback in the log file of
:func:`satview.errors.log_internal_error`). Imports stay light so ``satview info`` starts fast.
Commands on HDF4 / HDF5 / netCDF files run in a child process (:mod:`satview.cli.isolate`), so a
crash in those C libraries gives exit 1 and "the reader crashed" instead of killing satview.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from satview import __version__
from satview.errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    SatviewError,
    TooLargeError,
    internal_error_summary,
    log_internal_error,
)

_COMMANDS = ("info", "pixel", "quicklook", "clip", "reproject", "demo", "batch", "stack", "series", "change",
             "animate")


#: Where each command's sub-parser is made: (module in satview.cli, its add_* function).
_SUBPARSERS = {
    "info": ("info", "add_parser"),
    "pixel": ("pixel", "add_parser"),
    "quicklook": ("export", "add_quicklook_parser"),
    "clip": ("export", "add_clip_parser"),
    "reproject": ("export", "add_reproject_parser"),
    "demo": ("demo", "add_parser"),
    "batch": ("batch", "add_parser"),
    "stack": ("stack", "add_parser"),
    "series": ("series", "add_parser"),
    "change": ("change", "add_parser"),
    "animate": ("animate", "add_parser"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: one sub-parser per command, or only ``command``'s when it is given
    (a command then imports only its own module: ``satview quicklook`` never loads the batch code)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="satview",
        description="Look at and cut up downloaded satellite scenes (Landsat tarballs, GeoTIFF, HDF). "
        "Without a command, 'satview [PATH] [--dataset NAME] [--screenshot OUT.png]' opens the "
        "desktop app (on the built-in demo scene when no PATH is given).",
    )
    parser.add_argument("--version", action="version", version=f"satview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMANDS if command is None else (command,):
        module, add = _SUBPARSERS[name]
        getattr(importlib.import_module(f"satview.cli.{module}"), add)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if is_gui_invocation(args_list):
        from satview.qt.app import main as gui_main

        return gui_main(args_list)
    parser = build_parser(args_list[0] if args_list[0] in _COMMANDS else None)
    args = parser.parse_args(args_list)
    from satview.cli import isolate

    if isolate.needs_isolation(args):  # HDF / netCDF: a crash in a C library must not kill us
        return run_command(args, functools.partial(isolate.run_isolated, runner=run_command))
    return run_command(args)


def run_command(args: argparse.Namespace, runner: Callable[[argparse.Namespace], Any] | None = None) -> int:
    """Run a parsed command (``args.func(args)``, or ``runner(args)``) and turn errors into exit codes.

    A ``SatviewError`` prints ``satview: error: <file>: <message>`` on stderr and gives 1; with
    ``--json`` a second stderr line holds ``{"error": {"error", "category", "path", "message"}}``
    (stdout stays empty, so a failed command never looks like a result). Any other exception is a
    bug: :func:`report_internal_error` logs its traceback and gives 3. Warnings go through
    :func:`_replay_warnings`.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:  # library warnings: see _replay_warnings
        try:
            code = int((runner or args.func)(args) or 0)
        except SatviewError as exc:
            return report_error(args, exc)
        except KeyboardInterrupt:
            print("satview: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            return 0
        except MemoryError as exc:  # the input needs more memory than there is: "too large"
            err = TooLargeError("not enough memory for this command", getattr(args, "path", None))
            err.__cause__ = exc
            return report_error(args, err)
        except Exception as exc:  # anything else is a bug in satview: logged, exit 3, never "damaged file"
            return report_internal_error(args, exc)
    _replay_warnings(caught)
    return code


def report_error(args: argparse.Namespace, exc: SatviewError) -> int:
    """Print ``satview: error: <file>: <message>`` (and with ``--json`` the error as JSON) on stderr; 1."""
    print(f"satview: error: {exc}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
    return EXIT_INPUT


def report_internal_error(args: argparse.Namespace, exc: BaseException) -> int:
    """Log ``exc``'s traceback (:func:`satview.errors.log_internal_error`) and print
    ``satview: internal error: <ExcType>: <text> (please report; details in LOG)`` on stderr; 3.

    With ``--json`` a second stderr line holds ``{"error": {..., "internal": true, "log": LOG}}``."""
    log = log_internal_error(exc, "satview " + " ".join(map(repr, sys.argv[1:])))
    print(f"satview: internal error: {internal_error_summary(exc, log)}", file=sys.stderr)
    if getattr(args, "json", False):
        path = getattr(args, "path", None)
        print(json.dumps({"error": {"error": type(exc).__name__, "category": None,
                                    "path": os.fspath(path) if path is not None else None,
                                    "message": str(exc), "internal": True,
                                    "log": str(log) if log else None}}, default=repr), file=sys.stderr)
    return EXIT_INTERNAL


def _replay_warnings(caught: list[Any]) -> None:
    """Show the warnings a successful command raised, once each, except rasterio's.

    rasterio's warnings (``NotGeoreferencedWarning`` and the like) describe GDAL datasets that satview
    reports in its own words (``info`` lists the scene's warnings); on the command line they were
    noise before the result or, worse, before the ``satview: error:`` line. Warnings of a failed
    command are dropped: its stderr is the error line only.
    """
    import warnings

    seen: set[tuple[type, str]] = set()
    for w in caught:
        key = (w.category, str(w.message))
        if key in seen or getattr(w.category, "__module__", "").split(".")[0] == "rasterio":
            continue
        seen.add(key)
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


def is_gui_invocation(args: Sequence[str]) -> bool:
    """True when the arguments name no command: ``satview``, ``satview PATH``, ``satview --screenshot``."""
    if not args:
        return True
    first = args[0]
    return first not in _COMMANDS and first not in ("-h", "--help", "--version")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
