"""GUI monkey campaign (issue 15, item 2): ``python bench/monkey.py --actions 10000 --seed 1``.

Builds the inputs (every real sample under ``shared/data/real`` plus the hostile corpus of
``tests/hostile/corpus.py``, generated into a temporary folder), then runs the engine
(``tests/monkey/engine.py``) as a child process that drives the real main window. A child that dies is
counted as a crash and restarted at the next action. Prints (and with ``--json`` writes) a summary:
actions run, crashes, uncaught exceptions, Qt warnings, stalls, and errors that name neither a file nor
an action.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

#: Real-sample folders whose entries are opened as scenes (scene folders count as one entry each).
REAL_DIRS = ("landsat-tarballs", "landsat-scenes", "landsat-mtl", "geotiff", "hdf4", "hdf5-netcdf", "nsidc")


def real_inputs(real: Path = REAL) -> dict[str, list[str]]:
    """Every real sample (file or scene folder), a few scene MTL files, and the vector files."""
    scenes: list[str] = []
    for d in REAL_DIRS:
        for p in sorted((real / d).iterdir()) if (real / d).is_dir() else []:
            if p.is_file() or d == "landsat-scenes":
                scenes.append(str(p))
    for mtl in sorted(real.glob("landsat-scenes/*/*_MTL.txt"))[:3]:
        scenes.append(str(mtl))
    scenes += [str(p) for p in sorted(real.glob("nsidc/september-1979-2023/*"))[:4]]
    vectors = [str(p) for p in sorted((real / "vector").glob("*"))
               if p.suffix in (".geojson", ".json", ".shp")]
    return {"scenes": scenes, "vectors": vectors}


def hostile_inputs(root: Path, n: int, seed: int) -> list[str]:
    """``n`` cases of the hostile corpus (seeded sample of the hand-made cases and random mutations)."""
    from hostile.corpus import Seeds, deterministic_cases, materialize, random_mutations

    seeds = Seeds(root / "seeds")
    cases = deterministic_cases(seeds)
    rng = random.Random(seed)
    chosen = rng.sample(cases, min(len(cases), n * 3 // 4))
    chosen += list(random_mutations(seeds, n - len(chosen), seed=seed))
    return [str(materialize(c, root / "cases")) for c in chosen]


def build_inputs(root: Path, hostile: int, seed: int) -> Path:
    """Write the engine's ``paths.json`` (real samples + ``hostile`` corpus cases; stacks: the real
    September sea-ice series and a small demo stack of Landsat-like dates) under ``root``."""
    from satview.core.demo.stack import make_demo_stack

    paths = real_inputs()
    paths["stacks"] = [str(REAL / "nsidc" / "september-1979-2023"),
                       str(make_demo_stack(root / "stack", 5, size=160) / "scenes")]
    paths["scenes"] += hostile_inputs(root / "hostile", hostile, seed)
    paths["vectors"] += [p for p in paths["scenes"] if p.endswith((".json", ".geojson", ".tif"))][:5]
    out = root / "paths.json"
    out.write_text(json.dumps(paths, indent=1), encoding="utf-8")
    return out


def read_log(log: Path) -> list[dict[str, Any]]:
    """The engine's JSON lines (a torn last line after a crash is skipped)."""
    rows = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def run(actions: int, seed: int, root: Path, hostile: int = 120, nice: int = 0,
        deadline_s: float | None = None, patience: float = 1.0) -> dict[str, Any]:
    """Run the campaign in ``root``; returns the summary (see the module docstring)."""
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = build_inputs(root, hostile, seed)
    log = root / "monkey.jsonl"
    log.unlink(missing_ok=True)
    faults = log.with_name(log.stem + "-faults.txt")  # tests/monkey/engine.py fault_log
    faults.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "XDG_DOCUMENTS_DIR": str(root / "Documents"), "HOME": str(root / "home")}
    (root / "home").mkdir(exist_ok=True)
    start, crashes, exits = 0, [], []
    while start < actions:
        argv = [sys.executable, str(REPO / "tests" / "monkey" / "engine.py"), "--seed", str(seed),
                "--actions", str(actions), "--start", str(start), "--paths", str(paths),
                "--out", str(root / "session"), "--log", str(log), "--patience", str(patience)]
        if deadline_s is not None:
            argv += ["--deadline", str(max(1.0, deadline_s - (time.perf_counter() - t0)))]
        proc = subprocess.run(argv, env=env, cwd=root, preexec_fn=(lambda: os.nice(nice)) if nice else None,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        rows = read_log(log)
        done = [r for r in rows if r["kind"] == "done"]
        steps = [r["i"] for r in rows if r["kind"] == "step"]
        last = max(steps, default=start - 1)
        if proc.returncode != 0 or len(done) <= len(exits):
            action = next((r["action"] for r in reversed(rows) if r["kind"] == "step"), None)
            fault = faults.read_text(encoding="utf-8", errors="replace")[-6000:] if faults.exists() else ""
            crash = {"returncode": proc.returncode, "at": last, "action": action,
                     "stderr": proc.stderr[-3000:], "fault": fault}
            crashes.append(crash)
            print(json.dumps({"crash": crash}), file=sys.stderr, flush=True)  # kept if the run is stopped
            faults.unlink(missing_ok=True)
            start = last + 1
        else:
            exits.append(done[-1])
            break
    return summarize(read_log(log), crashes, time.perf_counter() - t0, actions)


def summarize(rows: list[dict[str, Any]], crashes: list[dict[str, Any]], seconds: float,
              wanted: int) -> dict[str, Any]:
    """Counts against the targets, with the first few examples of everything that missed one."""
    by = collections.defaultdict(list)
    for r in rows:
        by[r["kind"]].append(r)
    stalls = by["stall"]
    reports = by["report"]
    done = by["done"]
    return {
        "actions_wanted": wanted,
        "actions_run": len(by["step"]),
        "seconds": round(seconds, 1),
        "actions_by_kind": dict(collections.Counter(r["action"] for r in by["step"]).most_common()),
        "gui_crashes": len(crashes),
        "crashes": crashes[:5],
        "uncaught_exceptions": len(by["exception"]),
        "exceptions": by["exception"][:5],
        "qt_warnings": dict(collections.Counter(f"{r['level']}: {r['message']}" for r in by["qt"])
                            .most_common(10)),
        "qt_criticals": sum(r["level"] != "warning" for r in by["qt"]),
        "stalls_over_250ms": len(stalls),
        "stalls_with_gui_cpu_over_250ms": sum(r["gui_cpu_ms"] > 250 for r in stalls),
        "stalls": sorted(stalls, key=lambda r: -r["ms"])[:8],
        "max_late_ms": max((d["max_late_ms"] for d in done), default=None),
        "errors_shown": len(reports),
        "errors_by_title": dict(collections.Counter(r["title"] for r in reports).most_common()),
        "errors_naming_neither_file_nor_action": [r for r in reports if not r["ok"]][:10],
        "uncategorised_errors": [r for r in reports if r["category"] is None and not r["cancelled"]][:10],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--actions", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hostile", type=int, default=300, help="hostile corpus cases among the inputs")
    ap.add_argument("--root", type=Path, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--nice", type=int, default=0)
    ap.add_argument("--deadline", type=float, help="stop starting actions after this many seconds")
    ap.add_argument("--patience", type=float, default=1.0, help="scales the waits for opens and exports")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    a = ap.parse_args(argv)
    root = a.root or Path(tempfile.mkdtemp(prefix="satview-monkey-"))
    try:
        summary = run(a.actions, a.seed, root, a.hostile, a.nice, a.deadline, a.patience)
    finally:
        if a.root is None:
            shutil.rmtree(root, ignore_errors=True)
    text = json.dumps(summary, indent=1, default=str)
    print(text)
    if a.json:
        a.json.write_text(text, encoding="utf-8")
    missed = ("gui_crashes", "uncaught_exceptions", "stalls_with_gui_cpu_over_250ms",
              "errors_naming_neither_file_nor_action")
    ok = not any(summary[k] for k in missed)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
