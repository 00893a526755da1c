"""Benchmark plumbing: run commands in fresh processes (A B A B ...), collect wall time and peak RSS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sample:
    """One run: wall seconds, peak RSS of the process in MB, and what it printed as JSON (if any)."""

    seconds: float
    rss_mb: float
    result: dict = field(default_factory=dict)


@dataclass
class Series:
    """All runs of one command."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    def values(self, key: str | None = None) -> list[float]:
        if key is None:
            return [s.seconds for s in self.samples]
        return [float(s.result[key]) for s in self.samples if key in s.result]

    def median(self, key: str | None = None) -> float:
        v = self.values(key)
        return statistics.median(v) if v else float("nan")

    def spread(self, key: str | None = None) -> tuple[float, float]:
        v = self.values(key)
        return (min(v), max(v)) if v else (float("nan"), float("nan"))

    def peak_rss(self) -> float:
        return max((s.rss_mb for s in self.samples), default=float("nan"))


def run_once(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Sample:
    """Run ``cmd`` in a fresh process; wall time, its own peak RSS (wait4), and a JSON last line."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, cwd=cwd
    )
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    # read pipes before wait4 so a chatty child never blocks on a full pipe
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    out_chunks.append(out)
    err_chunks.append(err)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        msg = b"".join(err_chunks).decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{msg}")
    result: dict = {}
    text = b"".join(out_chunks).decode(errors="replace").strip().splitlines()
    if text and text[-1].startswith("{"):
        try:
            result = json.loads(text[-1])
        except json.JSONDecodeError:
            result = {}
    return Sample(seconds, usage.ru_maxrss / 1024.0, result)


def alternate(
    cmds: dict[str, list[str]], reps: int, env: dict[str, str] | None = None, warmup: int = 1
) -> dict[str, Series]:
    """Run each command ``reps`` times, interleaved (A B A B ...), after ``warmup`` unrecorded rounds."""
    series = {label: Series(label) for label in cmds}
    for i in range(warmup + reps):
        for label, cmd in cmds.items():
            sample = run_once(cmd, env)
            if i >= warmup:
                series[label].samples.append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return series


def py(script: str, *args: str) -> list[str]:
    """A command running one of the bench scripts with the current interpreter."""
    return [sys.executable, str(Path(__file__).with_name("scripts") / script), *args]
