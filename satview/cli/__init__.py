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
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from satview import __version__
from satview.errors import SatviewError

_COMMANDS = ("info", "pixel", "quicklook", "clip", "reproject", "demo", "batch")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (one sub-parser per command)."""
    from satview.cli import batch, demo, export, info, pixel

    parser = argparse.ArgumentParser(
        prog="satview",
        description="Look at and cut up downloaded satellite scenes (Landsat tarballs, GeoTIFF, HDF). "
        "Without a command, 'satview [PATH] [--dataset NAME] [--screenshot OUT.png]' opens the "
        "desktop app (on the built-in demo scene when no PATH is given).",
    )
    parser.add_argument("--version", action="version", version=f"satview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info.add_parser(sub)
    pixel.add_parser(sub)
    export.add_quicklook_parser(sub)
    export.add_clip_parser(sub)
    export.add_reproject_parser(sub)
    demo.add_parser(sub)
    batch.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if is_gui_invocation(args_list):
        from satview.qt.app import main as gui_main

        return gui_main(args_list)
    parser = build_parser()
    args = parser.parse_args(args_list)
    from satview.cli import isolate

    if isolate.needs_isolation(args):  # HDF / netCDF: a crash in a C library must not kill us
        return run_command(args, isolate.run_isolated)
    return run_command(args)


def run_command(args: argparse.Namespace, runner: Callable[[argparse.Namespace], Any] | None = None) -> int:
    """Run a parsed command (``args.func(args)``, or ``runner(args)``) and turn errors into exit codes.

    A ``SatviewError`` prints ``satview: error: <file>: <message>`` on stderr and gives 1; with
    ``--json`` a second stderr line holds ``{"error": {"error", "category", "path", "message"}}``
    (stdout stays empty, so a failed command never looks like a result).
    """
    try:
        return int((runner or args.func)(args) or 0)
    except SatviewError as exc:
        print(f"satview: error: {exc}", file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("satview: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def is_gui_invocation(args: Sequence[str]) -> bool:
    """True when the arguments name no command: ``satview``, ``satview PATH``, ``satview --screenshot``."""
    if not args:
        return True
    first = args[0]
    return first not in _COMMANDS and first not in ("-h", "--help", "--version")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
