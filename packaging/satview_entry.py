"""Entry script of the frozen bundle: the ``satview`` console script itself (:func:`satview.cli.main`).

``satview.cli.main`` already sends a command to the CLI and anything else to the window, so the
bundle keeps no copy of that dispatch (a copy once left out ``batch``).
"""

from __future__ import annotations

import multiprocessing
import sys

from satview.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the reader worker processes are spawned from this executable
    raise SystemExit(main(sys.argv[1:]))
