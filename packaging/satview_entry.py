"""Entry script of the frozen bundle: CLI commands go to satview.cli, everything else opens the window."""

from __future__ import annotations

import multiprocessing
import sys

CLI_COMMANDS = {"info", "pixel", "quicklook", "clip", "reproject", "demo", "-h", "--help", "--version"}


def run(argv: list[str]) -> int:
    """Dispatch like the ``satview`` console script."""
    if argv and argv[0] in CLI_COMMANDS:
        from satview.cli import main as cli_main

        return cli_main(argv)
    from satview.qt.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the reader worker process is spawned from this executable
    raise SystemExit(run(sys.argv[1:]))
