"""Runs a ``bench/`` script in a child process and returns the JSON summary it wrote (``--json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def run_bench(script: str, args: list[str], root: Path, timeout: float = 900) -> dict[str, Any]:
    """``python bench/<script> <args> --root <root>/work --json <root>/summary.json``, offscreen, output
    dropped; the summary whatever the exit code (the tests assert on its figures)."""
    out = root / "summary.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, str(REPO / "bench" / script), *args, "--root", str(root / "work"),
                    "--json", str(out)], env=env, check=False, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))
