"""Benchmark plumbing: run commands in fresh processes (A B A B ...), collect wall time and peak RSS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def cpu_and_memory() -> tuple[str, float]:
    """The CPU model and the total RAM in GiB, from /proc ("unknown CPU" / NaN where unreadable)."""
    cpu, mem = "unknown CPU", float("nan")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 / 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    return cpu, mem


@dataclass
class Sample:
    """One run: wall seconds, peak RSS in MB (of the process, or of its process tree when measured
    with ``tree_rss``), what it printed as JSON (if any), and the CPU seconds (user + system) of the
    process tree (wait4's figure, or with ``tree_rss`` the larger of it and the tree sampling's)."""

    seconds: float
    rss_mb: float
    result: dict = field(default_factory=dict)
    cpu_s: float = float("nan")


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

    def median_cpu(self) -> float:
        """Median CPU seconds per run (user + system, the whole process tree)."""
        return statistics.median(s.cpu_s for s in self.samples) if self.samples else float("nan")

    def peak_rss(self) -> float:
        return max((s.rss_mb for s in self.samples), default=float("nan"))


#: How often the process tree is looked at for ``tree_rss`` (seconds). VmHWM is a high-water mark,
#: so any look between a process's peak and its exit sees the peak; one look costs ~2 ms of CPU.
TREE_POLL_S = 0.05


def _parents() -> dict[int, int]:
    """Parent pid of every process, from /proc/PID/stat (Linux has no children list without
    CONFIG_PROC_CHILDREN, so the tree is rebuilt from the parent ids)."""
    out: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # gone meanwhile
            continue
        # the command name may hold spaces and parentheses: the fields after the last ")" are state, ppid
        out[int(entry.name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    return out


_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def _cpu_s(pid: int) -> float | None:
    """The process's own CPU seconds so far (utime + stime of /proc/PID/stat), or None once gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()  # fields from the state (field 3) on
    return (int(fields[11]) + int(fields[12])) * _TICK_S


def _hwm_kb(pid: int) -> int | None:
    """The process's own peak resident set (VmHWM) in kB, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class TreePeak:
    """Peak RSS of a process and all its descendants (a GUI and its reader processes).

    Why not wait4/getrusage: their ``ru_maxrss`` for a child (and ``RUSAGE_CHILDREN``) is the
    *largest* peak among the process and its waited-for descendants, not their sum, so a GUI whose
    decoding runs in a reader process would look as small as its biggest process. Instead /proc is
    sampled every :data:`TREE_POLL_S` while the command runs; the last peak (VmHWM) seen of every
    process of the tree is kept and the sum is reported. That is an upper bound of the tree's
    simultaneous peak (the processes may peak at different moments): the safe side for a
    "peak RSS <= N MB" target. A process living shorter than the interval may be missed, so the
    caller keeps wait4's figure as a lower bound.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks_kb: dict[int, int] = {}
        self.cpu: dict[int, float] = {}  # last CPU seconds seen of every process of the tree
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-tree-rss", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        """Look once at every process of the tree and raise its kept peak."""
        parents = _parents()
        tree, todo = set(), [self.root]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo.extend(c for c, p in parents.items() if p == pid and c not in tree)
        for pid in tree:
            kb = _hwm_kb(pid)
            if kb is not None:
                self.peaks_kb[pid] = max(kb, self.peaks_kb.get(pid, 0))
            cpu = _cpu_s(pid)
            if cpu is not None:
                self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))

    def _loop(self) -> None:
        """Sample until stopped (a daemon thread of the harness)."""
        while not self._stop.wait(TREE_POLL_S):
            self._sample()

    def stop(self) -> float:
        """Stop sampling; the summed peaks in MB."""
        self._stop.set()
        self._thread.join()
        return sum(self.peaks_kb.values()) / 1024.0

    def cpu_s(self) -> float:
        """CPU seconds of the tree's processes as last seen (a lower bound: the last interval of
        each process and processes shorter than one interval are missed)."""
        return sum(self.cpu.values())


def run_once(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, tree_rss: bool = False
) -> Sample:
    """Run ``cmd`` in a fresh process; wall time, peak RSS and a JSON last line. The peak RSS is the
    process's own (wait4), or with ``tree_rss`` that of the process and its descendants
    (:class:`TreePeak`; never below the wait4 figure)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, cwd=cwd
    )
    tree = TreePeak(proc.pid) if tree_rss else None
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    # read pipes before wait4 so a chatty child never blocks on a full pipe
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    out_chunks.append(out)
    err_chunks.append(err)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    rss_mb = usage.ru_maxrss / 1024.0
    # wait4 counts the process and the descendants it reaped; workers of a fork server that is
    # killed rather than reaped are only seen by the tree sampling
    cpu_s = usage.ru_utime + usage.ru_stime
    if tree is not None:
        rss_mb = max(rss_mb, tree.stop())
        cpu_s = max(cpu_s, tree.cpu_s())
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
    return Sample(seconds, rss_mb, result, cpu_s)


def alternate(
    cmds: dict[str, list[str]],
    reps: int,
    env: dict[str, str] | None = None,
    warmup: int = 1,
    tree_rss: bool = False,
) -> dict[str, Series]:
    """Run each command ``reps`` times, interleaved (A B A B ...), after ``warmup`` unrecorded rounds;
    ``tree_rss``: peak RSS of each command's whole process tree (see :class:`TreePeak`)."""
    series = {label: Series(label) for label in cmds}
    for i in range(warmup + reps):
        for label, cmd in cmds.items():
            sample = run_once(cmd, env, tree_rss=tree_rss)
            if i >= warmup:
                series[label].samples.append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return series


def py(script: str, *args: str) -> list[str]:
    """A command running one of the bench scripts with the current interpreter."""
    return [sys.executable, str(Path(__file__).with_name("scripts") / script), *args]


@dataclass
class Row:
    """One line of the results table."""

    case: str
    satview: str
    reference: str
    ratio: str
    target: str
    met: bool | None
    rss: str = ""


def fmt_s(series: Series, key: str | None = None) -> str:
    lo, hi = series.spread(key)
    return f"{series.median(key):.3f} s ({lo:.3f}-{hi:.3f})"


def quicklook_levels(tar: Path) -> list[tuple[float, float]]:
    """The per-band levels (DN) of ``satview quicklook --dn`` of a scene: the peers scale with them."""
    code = (
        "import json,sys;from satview.core import open_scene;"
        "from satview.core.quicklook import quicklook_array;"
        "s=open_scene(sys.argv[1]);_,lv,_=quicklook_array(s,size=1024,dn=True);"
        "print(json.dumps(list(zip(lv.lo,lv.hi))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tar)], capture_output=True, text=True, check=True)
    return [tuple(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def table(rows: list[Row]) -> str:
    lines = [
        "| case | satview (median, min-max) | floor / peer | ratio | target | met | peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        met = "yes" if r.met else ("no" if r.met is not None else "-")
        lines.append(f"| {r.case} | {r.satview} | {r.reference} | {r.ratio} | {r.target} | {met} | {r.rss} |")
    return "\n".join(lines)
