"""Every input the fuzzer found (``tests/fuzz/regressions/TARGET/``) stays inside its parser's contract."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from fuzz.targets import TARGETS

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
CASES = sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file())


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_found_input_raises_only_the_contract(case: Path) -> None:
    """A once-crashing input now either parses or raises one of the target's allowed errors
    (a SatviewError naming the file); any other exception fails the test with its traceback."""
    target = TARGETS[case.parent.name]
    with contextlib.suppress(target.allowed):
        target.run(case.read_bytes())
