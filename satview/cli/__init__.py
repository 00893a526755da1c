"""The ``satview`` command line: scene facts, pixel values, quick-looks, clips, reprojection, demo.

``satview [PATH] [--dataset NAME] [--screenshot OUT.png]`` (no command) starts the desktop app;
it is imported only then, so the commands never load Qt.
Exit codes: 0 success; 1 a bad input (``satview: error: <file>: <message>`` on stderr, no
traceback); 2 a usage error (argparse). Imports stay light so ``satview info`` starts fast.
Commands on HDF4 / HDF5 / netCDF files run in a child process (:mod:`satview.cli.isolate`), so a
crash in those C libraries gives exit 1 and "the reader crashed" instead of killing satview.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from satview import __version__
from satview.errors import SatviewError

_COMMANDS = ("info", "pixel", "quicklook", "clip", "reproject", "demo", "batch")


#: Where each command's sub-parser is made: (module in satview.cli, its add_* function).
_SUBPARSERS = {
    "info": ("info", "add_parser"),
    "pixel": ("pixel", "add_parser"),
    "quicklook": ("export", "add_quicklook_parser"),
    "clip": ("export", "add_clip_parser"),
    "reproject": ("export", "add_reproject_parser"),
    "demo": ("demo", "add_parser"),
    "batch": ("batch", "add_parser"),
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
    (stdout stays empty, so a failed command never looks like a result). Any other exception of a
    command reading ``args.path`` is the input tripping up a library: it is reported the same way,
    as a categorised error naming the file (:func:`satview.errors.input_error`), never as a
    traceback. Warnings go through :func:`_replay_warnings`.
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
        except Exception as exc:
            from satview.cli.isolate import READING_COMMANDS
            from satview.errors import input_error

            path = getattr(args, "path", None)
            if not path or getattr(args, "command", None) not in READING_COMMANDS:
                raise  # not about an input file: a bug, shown with its traceback

            return report_error(args, input_error(exc, path))
    _replay_warnings(caught)
    return code


def report_error(args: argparse.Namespace, exc: SatviewError) -> int:
    """Print ``satview: error: <file>: <message>`` (and with ``--json`` the error as JSON) on stderr; 1."""
    print(f"satview: error: {exc}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
    return 1


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
