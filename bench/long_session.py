"""Long sessions (issue 15, item 3): ``python bench/long_session.py --scenes 500 --exports 200 --api 1000``.

GUI: one app session (``tests/monkey/long_gui.py`` in a child process) opens ``--scenes`` scenes (real
samples of every format plus hostile corpus cases; each open closes the previous scene), then makes
``--exports`` exports (quick-looks and clips, alternating). After every step this script reads /proc:
the resident memory of the GUI process plus its worker processes (VmRSS), their number, the GUI's threads
(/proc/PID/task) and open file descriptors (/proc/PID/fd), and the entries in the session's private
temporary folder (``TMPDIR``). API: ``--api`` times ``with satview.open(path) as s: s.read(...)`` in a
child process measuring itself the same way.

Leak verdicts compare the 50th (10th for short runs) scene with the last, and the state after the window
closed with the state before it opened.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

LANDSAT_TAR = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc/*/stat parent ids)."""
    parents: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", encoding="utf-8", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def count(path: str) -> int:
    """Entries of a /proc folder (tasks, fds), or of a folder tree (temporary files)."""
    try:
        if path.startswith("/proc"):
            return len(os.listdir(path))
        # multiprocessing's own folder (pymp-*: the fork server's socket) lives as long as the
        # process, like the fork server itself, and is removed when the interpreter ends
        return sum(len([d for d in dirs if not (top == path and d.startswith("pymp-"))]) + len(files)
                   for top, dirs, files in os.walk(path) if "/pymp-" not in top[len(path):])
    except OSError:
        return -1


def command(pid: int) -> str:
    """The command line of ``pid`` (shortened)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")[:160]
    except OSError:
        return ""


def sample(pid: int, tmp: str) -> dict[str, Any]:
    """RSS of ``pid`` and its descendants, their number, ``pid``'s threads and fds, temp entries."""
    kids = descendants(pid)
    own = rss_mb(pid)
    return {"rss_mb": round(own + sum(rss_mb(k) for k in kids), 1), "gui_rss_mb": round(own, 1),
            "children": len(kids), "threads": count(f"/proc/{pid}/task"), "fds": count(f"/proc/{pid}/fd"),
            "temp_entries": count(tmp), "child_commands": [command(k) for k in kids],
            "thread_names": thread_names(pid)}


def thread_names(pid: int) -> list[str]:
    """The names of ``pid``'s threads (/proc/PID/task/*/comm)."""
    names = []
    for t in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{t}/comm", encoding="utf-8") as f:
                names.append(f.read().strip())
        except OSError:
            continue
    return sorted(names)


def inputs(root: Path, hostile: int) -> list[str]:
    """Real samples of every format interleaved with quick hostile cases (no FIFOs, no huge inputs)."""
    import monkey
    from hostile.corpus import Seeds, deterministic_cases, materialize

    real = monkey.real_inputs()["scenes"]
    cases = [c for c in deterministic_cases(Seeds(root / "seeds"))
             if c.kind in ("truncate", "flip", "zero-header", "fake-ext", "empty", "seed")]
    cases = random.Random(0).sample(cases, min(hostile, len(cases)))
    bad = [str(materialize(c, root / "cases")) for c in cases]
    out = []
    for i in range(max(len(real), len(bad))):
        out += [real[i % len(real)]] + ([bad[i]] if i < len(bad) else [])
    return out


def run_gui(root: Path, scenes: int, exports: int, hostile: int) -> dict[str, Any]:
    """The GUI session; returns the samples and the verdicts."""
    paths = root / "paths.json"
    paths.write_text(json.dumps(inputs(root / "hostile", hostile)), encoding="utf-8")
    tmp = root / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "XDG_DOCUMENTS_DIR": str(root / "Documents"), "SATVIEW_CACHE_DIR": str(root / "cache")}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "monkey" / "long_gui.py"), "--paths", str(paths), "--scenes",
         str(scenes), "--exports", str(exports), "--export-scene", str(monkey_real() / LANDSAT_TAR),
         "--out", str(root / "out")], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for line in proc.stdout:
        msg = json.loads(line)
        rows.append({**msg, **sample(proc.pid, str(tmp))})
        proc.stdin.write("\n")
        proc.stdin.flush()
    proc.wait(timeout=120)
    (root / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    seconds = time.perf_counter() - t0
    scene_rows = [r for r in rows if r["kind"] == "scene"]
    # after warm-up: worker pools start on first use (the files pool with the first folder opened)
    ref = scene_rows[min(49, len(scene_rows) // 2)]
    last_scene = scene_rows[-1]
    base, closed = rows[0], rows[-1]
    partial = [p.name for p in (root / "out").iterdir() if ".tmp" in p.name or p.name.startswith(".")]
    return {
        "seconds": round(seconds, 1),
        "series": [{k: r.get(k) for k in ("kind", "i", "rss_mb", "gui_rss_mb", "children", "threads", "fds")}
                   for r in rows if r.get("i", 0) % 50 == 0 or r["kind"] in ("baseline", "closed")],
        "scenes": len(scene_rows), "scene_errors": sum(r["error"] for r in scene_rows),
        "exports": sum(r["kind"] == "export" for r in rows),
        "export_errors": sum(r["error"] for r in rows if r["kind"] == "export"),
        "reference_scene": ref["i"], "at_reference": ref, "at_last_scene": last_scene,
        "after_exports": [r for r in rows if r["kind"] == "export"][-1] if exports else None,
        "baseline": base, "after_close": closed,
        "rss_growth_mb": round(last_scene["rss_mb"] - ref["rss_mb"], 1),
        "max_rss_mb": max(r["rss_mb"] for r in rows),
        "fd_growth": last_scene["fds"] - ref["fds"], "thread_growth": last_scene["threads"] - ref["threads"],
        # multiprocessing's resource tracker and satview's fork server (the workers fork from it) live
        # until the interpreter ends, by design
        "children_after_close": sum("resource_tracker" not in c and "forkserver import main" not in c
                                    for c in closed["child_commands"]),
        "threads_after_close_vs_baseline": closed["threads"] - base["threads"],
        "fds_after_close_vs_baseline": closed["fds"] - base["fds"],
        "temp_entries_after_close": closed["temp_entries"], "partial_outputs": partial,
        "exit_code": proc.returncode, "errors_sample": closed.get("errors", [])[:5],
    }


def monkey_real() -> Path:
    """The real sample folder (shared with bench/monkey.py)."""
    import monkey

    return monkey.REAL


def run_api(root: Path, n: int) -> dict[str, Any]:
    """``n`` ``satview.open`` + ``read`` calls in a child process that samples itself."""
    tmp = root / "api-tmp"
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO),
           "SATVIEW_CACHE_DIR": str(root / "api-cache")}
    out = subprocess.run([sys.executable, str(REPO / "tests" / "monkey" / "long_api.py"), "--n", str(n),
                          "--tmp", str(tmp)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenes", type=int, default=500)
    ap.add_argument("--exports", type=int, default=200)
    ap.add_argument("--hostile", type=int, default=60, help="hostile cases among the scenes")
    ap.add_argument("--api", type=int, default=1000)
    ap.add_argument("--root", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    root = a.root or Path(tempfile.mkdtemp(prefix="satview-long-"))
    root.mkdir(parents=True, exist_ok=True)
    summary = {"gui": run_gui(root, a.scenes, a.exports, a.hostile) if a.scenes else None,
               "api": run_api(root, a.api) if a.api else None}
    text = json.dumps(summary, indent=1)
    print(text)
    if a.json:
        a.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
