"""Fast hostile-input subset (issue 6): no crash, hang, stall, uncategorised error or touched input."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
from hostile.corpus import Case, Seeds, deterministic_cases, random_mutations
from hostile.runner import CLI_COMMANDS, STALL_LIMIT_MS, Attempt, RunResult, run_cases, summary

#: Seeded random mutations added to the deterministic corpus (GUI path).
N_MUTATIONS = 60
#: Cases run through every CLI command (the rest of the hand-made ones run ``info`` only).
FULL_CLI_KINDS = ("seed", "huge", "fifo", "name", "nesting", "folder", "empty")
#: Truncations, flips and zeroed headers run through ``info`` on the CLI: every n-th one.
CLI_MUTATION_STRIDE = 6

_CORPUS: tuple[Path, Seeds, list[Case]] | None = None


def _corpus() -> tuple[Path, Seeds, list[Case]]:
    """Seeds and cases, built once per session in a temporary folder (the ids parametrize the tests)."""
    global _CORPUS
    if _CORPUS is None:
        root = Path(tempfile.mkdtemp(prefix="satview-hostile-"))
        atexit.register(shutil.rmtree, root, True)
        seeds = Seeds(root, real=False)
        cases = deterministic_cases(seeds) + list(random_mutations(seeds, N_MUTATIONS, seed=6))
        _CORPUS = (root, seeds, cases)
    return _CORPUS


def _gui_cases() -> list[Case]:
    return _corpus()[2]


def _cli_plan() -> list[tuple[Case, tuple[str, ...]]]:
    plan: list[tuple[Case, tuple[str, ...]]] = []
    stride = 0
    for c in _corpus()[2]:
        if c.kind in FULL_CLI_KINDS:
            plan.append((c, CLI_COMMANDS))
        elif c.kind in ("archive", "fake-ext"):
            plan.append((c, ("info",)))
        elif c.kind in ("truncate", "flip", "zero-header", "mutation"):
            stride += 1
            if stride % CLI_MUTATION_STRIDE == 0:
                plan.append((c, ("info", "pixel")))
    return plan


_RUN: RunResult | None = None


@pytest.fixture(scope="module")
def hostile_run() -> RunResult:
    """Every selected case, once per test process (pytest may set a module fixture up again when it
    interleaves other modules' tests): GUI lane plus CLI commands two at a time."""
    global _RUN
    if _RUN is not None:
        return _RUN
    root, seeds, _ = _corpus()
    result = run_cases(
        _gui_cases(),
        _cli_plan(),
        root / "run",
        jobs=2,
        cli_timeout=60.0,
        deadline_scale=0.5,
        probe=seeds.probe,
    )
    print("hostile fast subset:", summary(result))
    _RUN = result
    return result


def _by(result: RunResult, route_prefix: str, case_id: str) -> list[Attempt]:
    return [a for a in result.attempts if a.case == case_id and a.route.startswith(route_prefix)]


def _explain(attempts: list[Attempt]) -> str:
    return "\n".join(
        f"{a.route}: {a.outcome} [{a.category}] {a.problems()} expected {a.expect}: {a.message}"
        for a in attempts
        if not a.ok or not a.expect_met
    )


@pytest.mark.parametrize("case_id", [c.id for c in _gui_cases()])
def test_gui_open(hostile_run: RunResult, case_id: str) -> None:
    """The GUI opens the case or reports a categorised error naming the file, in time, without a stall."""
    got = _by(hostile_run, "gui", case_id)
    assert got, "the case did not run"
    assert all(a.ok and a.expect_met for a in got), _explain(got)


@pytest.mark.parametrize("case_id", [c.id for c, _ in _cli_plan()])
def test_cli_commands(hostile_run: RunResult, case_id: str) -> None:
    """``info``/``pixel``/``quicklook``/``clip`` exit 0, or 1 with a message naming the file."""
    got = _by(hostile_run, "cli:", case_id)
    assert got, "the case did not run"
    assert all(a.ok and a.expect_met for a in got), _explain(got)


def test_targets(hostile_run: RunResult) -> None:
    """The issue's targets over the whole subset."""
    s = summary(hostile_run)
    assert s["gui_process_deaths"] == 0
    assert s["stalls_over_limit"] == 0, f"max stall {s['max_stall_ms']} ms > {STALL_LIMIT_MS}"
    assert s["input_folders_changed"] == 0
    assert s["escaped_files"] == []
    assert s["partial_outputs"] == 0
    assert s["ended_in_time_with_result_or_named_error_pct"] == 100.0, s
