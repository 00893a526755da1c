"""The frozen bundle's entry script runs the same dispatch as the ``satview`` console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from satview.cli import _COMMANDS

ENTRY = Path(__file__).resolve().parents[1] / "packaging" / "satview_entry.py"


@pytest.mark.parametrize("command", _COMMANDS)
def test_bundle_entry_runs_every_command(command: str) -> None:
    """``satview_entry.py COMMAND --help`` reaches that command's parser (exit 0), for every command."""
    r = subprocess.run([sys.executable, str(ENTRY), command, "--help"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: satview {command}")
