"""A 60 s coverage-guided smoke fuzz per target (atheris); runs only with ``SATVIEW_FUZZ=1``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz.targets import TARGETS

pytestmark = pytest.mark.skipif(os.environ.get("SATVIEW_FUZZ") != "1",
                                reason="smoke fuzzing runs only with SATVIEW_FUZZ=1 (60 s per parser)")

HARNESS = Path(__file__).resolve().parent / "harness.py"
ROOT = HARNESS.parents[2]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_smoke_fuzz_finds_nothing(name: str, tmp_path: Path) -> None:
    """60 s of fuzzing from the seeds: libFuzzer ends normally (no memory over 500 MB, no hang) and
    no input raised outside the contract or took over 1 s (the harness saves those as findings)."""
    findings, scratch = tmp_path / "findings", tmp_path / "scratch"
    scratch.mkdir()
    run = subprocess.run(
        [sys.executable, str(HARNESS), name, str(tmp_path / "corpus"), f"--findings={findings}",
         "-max_total_time=60", "-rss_limit_mb=500", "-timeout=10", f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SATVIEW_FUZZ_SCRATCH": str(scratch)},
    )
    found = sorted(p.name for p in findings.glob("*/*") if p.suffix == ".txt")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert found == [], [(findings / name / f).read_text()[:500] for f in found]
