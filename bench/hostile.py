"""Hostile-input campaign (issue 6): seeded mutations and SIGKILLed exports -> docs/RELIABILITY.md."""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# this script's own folder must not shadow the ``hostile`` test package of the same name
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import contextlib  # noqa: E402

from hostile.corpus import REAL_DATA, Seeds, deterministic_cases, random_mutations  # noqa: E402
from hostile.runner import (  # noqa: E402
    CLI_COMMANDS,
    STALL_LIMIT_MS,
    Attempt,
    RunResult,
    base_env,
    run_cases,
    summary,
)

from bench.harness import cpu_and_memory  # noqa: E402
from satview.core.atomic import TMP_TAG  # noqa: E402

#: Hand-made kinds run through all four CLI commands (the others through ``info``), as in the fast subset.
FULL_CLI_KINDS = ("seed", "huge", "fifo", "name", "nesting", "folder", "empty")

# ------------------------------------------------------------------------------------ SIGKILL test


def _export_argv(kind: str, scene: Path, out: Path, aoi: str) -> list[str]:
    if kind == "clip":
        return ["clip", str(scene), "--aoi", aoi, "-o", str(out)]
    return ["quicklook", str(scene), "-o", str(out), "--size", "2048"]


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "satview", *argv], env=env, cwd=cwd, capture_output=True, timeout=600
    )
    if p.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {p.stderr.decode(errors='replace')[-500:]}")
    return p.returncode, time.perf_counter() - t0


def _complete(kind: str, final: Path, ref: Path) -> bool:
    """True when ``final`` holds the same picture as the reference export (and its side files exist)."""
    import warnings

    import numpy as np
    import rasterio

    warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)
    try:
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(final) as a, rasterio.open(ref) as b:
            if a.shape != b.shape or a.count != b.count or not np.array_equal(a.read(), b.read()):
                return False
    except Exception:
        return False
    if kind == "quicklook":
        for side in (".pgw", ".png.aux.xml"):
            name = final.name[: -len(".png")] + side
            if (ref.parent / (ref.name[: -len(".png")] + side)).exists() and not (
                final.parent / name
            ).exists():
                return False
    return True


def sigkill_test(root: Path, n: int = 20, seed: int = 20) -> dict[str, Any]:
    """``n`` CLI exports (clip and quick-look, alternating) killed with SIGKILL at random moments.

    Counts files at the final path that are not a complete export, then runs one more export
    into the same folder (the "next start") and counts temporary files left anywhere in it.
    """
    from satview.core.demo import make_demo_scene

    root.mkdir(parents=True, exist_ok=True)
    env = base_env(root, 1.0)
    env["SATVIEW_CACHE_DIR"] = str(root / "cache")
    scene = make_demo_scene(root / "scene", size=(2400, 2400), fmt="tar")
    info = subprocess.run(
        [sys.executable, "-m", "satview", "info", "--json", str(scene)],
        env=env,
        capture_output=True,
        check=True,
    )
    from shapely import affinity
    from shapely.geometry import shape

    aoi = affinity.scale(shape(json.loads(info.stdout)["footprint"]), 0.8, 0.8, origin="centroid").wkt
    out = root / "exports"
    refs = root / "refs"
    out.mkdir()
    refs.mkdir()
    times = {}
    for kind, name in (("clip", "ref.tif"), ("quicklook", "ref.png")):
        _, times[kind] = _run(_export_argv(kind, scene, refs / name, aoi), env, refs)
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = "clip" if i % 2 == 0 else "quicklook"
        final = out / (f"clip_{i:02d}.tif" if kind == "clip" else f"ql_{i:02d}.png")
        delay = rng.uniform(0.05, times[kind] * 1.05)
        proc = subprocess.Popen(
            [sys.executable, "-m", "satview", *_export_argv(kind, scene, final, aoi)],
            env=env,
            cwd=out,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        finished_before = proc.poll() is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        temps = [p.name for p in out.iterdir() if TMP_TAG in p.name]
        state = (
            "absent"
            if not final.exists()
            else (
                "complete"
                if _complete(kind, final, refs / ("ref.tif" if kind == "clip" else "ref.png"))
                else "INCOMPLETE"
            )
        )
        rows.append(
            {
                "i": i,
                "kind": kind,
                "kill_after_s": round(delay, 3),
                "finished_before_kill": finished_before,
                "final": state,
                "temps_after_kill": len(temps),
            }
        )
    incomplete = sum(1 for r in rows if r["final"] == "INCOMPLETE")
    left_after_kills = sorted(p.name for p in out.iterdir() if TMP_TAG in p.name)
    # the next start / export in the same folder: one quick-look and one clip
    _run(_export_argv("quicklook", scene, out / "next.png", aoi), env, out)
    _run(_export_argv("clip", scene, out / "next.tif", aoi), env, out)
    stray = sorted(p.name for p in out.iterdir() if TMP_TAG in p.name or p.name.startswith("."))
    return {
        "kills": n,
        "export_seconds": {k: round(v, 2) for k, v in times.items()},
        "killed_mid_write": sum(1 for r in rows if not r["finished_before_kill"]),
        "incomplete_at_final_path": incomplete,
        "temps_left_after_kills": len(left_after_kills),
        "stray_temps_after_next_export": stray,
        "rows": rows,
    }


# ---------------------------------------------------------------------------------------- report


def _machine() -> str:
    cpu, mem = cpu_and_memory()
    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def _table(rows: list[list[Any]], head: list[str]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _by_seed(attempts: list[Attempt]) -> str:
    groups: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for a in attempts:
        route = "gui" if a.route == "gui" else "cli"
        groups[(a.seed or a.kind, route)][a.outcome] += 1
        groups[(a.seed or a.kind, route)]["n"] += 1
        if not a.ok:
            groups[(a.seed or a.kind, route)]["failed"] += 1
    rows = [
        [seed, route, c["n"], c["opens"], c["error"], c["crash"], c["hang"], c["bad-error"], c["failed"]]
        for (seed, route), c in sorted(groups.items())
    ]
    return _table(
        rows, ["seed", "route", "attempts", "opens", "error", "crash", "hang", "bad error", "failed"]
    )


def write_report(
    path: Path,
    s_mut: dict,
    s_det: dict,
    kills: dict | None,
    failures: list[Attempt],
    meta: dict,
    attempts: list[Attempt],
) -> None:
    """Write docs/RELIABILITY.md from the figures."""

    def yes(ok: bool) -> str:
        return "met" if ok else "**NOT met**"

    allsum = meta["all"]
    rows = [
        [
            "crashes or exits of the GUI process",
            "0",
            allsum["gui_process_deaths"],
            yes(allsum["gui_process_deaths"] == 0),
        ],
        [
            "event-loop stalls over 250 ms",
            "0",
            f"{allsum['stalls_over_limit']} (max {allsum['max_stall_ms']} ms)",
            yes(allsum["stalls_over_limit"] == 0),
        ],
        [
            "attempts ending in time with a result or a categorised error naming the file",
            "100 %",
            f"{allsum['ended_in_time_with_result_or_named_error_pct']} %",
            yes(allsum["ended_in_time_with_result_or_named_error_pct"] == 100.0),
        ],
        [
            "failed CLI commands printing more than the error line on stderr (warnings, library noise)",
            "0",
            allsum.get("cli_errors_with_noise", 0),
            yes(not allsum.get("cli_errors_with_noise", 0)),
        ],
        [
            "changes in input folders",
            "0",
            allsum["input_folders_changed"],
            yes(allsum["input_folders_changed"] == 0),
        ],
        [
            "archive members written outside the cache",
            "0",
            len(allsum["escaped_files"]),
            yes(not allsum["escaped_files"]),
        ],
    ]
    if kills is not None:
        rows += [
            [
                "incomplete files at the final path after 20 SIGKILLs",
                "0",
                kills["incomplete_at_final_path"],
                yes(kills["incomplete_at_final_path"] == 0),
            ],
            [
                "stray temporary files after the next export",
                "0",
                len(kills["stray_temps_after_next_export"]),
                yes(not kills["stray_temps_after_next_export"]),
            ],
        ]
    lines = [
        "# Reliability: hostile-input campaign",
        "",
        "Generated by `bench/hostile.py` (issue 6, item 5); do not edit by hand. The corpus is "
        "`tests/hostile/corpus.py` (nothing is committed: every input is generated into a temporary folder "
        "from "
        "seeds), the runner `tests/hostile/runner.py`; the fast subset runs in the test suite "
        "(`tests/hostile/test_hostile_fast.py`).",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- command: `{meta['command']}`",
        f"- wall time: {meta['wall_s']:.0f} s; mutations generated: {meta['mutations']}, "
        "run on the GUI path: "
        f"{meta['gui_mutations_run']}, on the CLI: {meta['cli_mutation_cases_run']} cases "
        f"({meta['cli_mutation_attempts']} command runs)"
        f"{'; stopped early by the time budget' if meta['stopped_early'] else ''}",
        f"- hand-made cases: {meta['det_cases']}, run on the GUI path: {meta['det_gui_run']}, on the CLI: "
        f"{meta['det_cli_run']}",
        f"- real samples used as extra seeds: {meta['real_seeds'] or 'none (folder absent)'}",
        f"- deadlines: `SATVIEW_DEADLINE_SCALE={meta['deadline_scale']}` (open deadline "
        f"{30 * meta['deadline_scale']:.0f} s + per GB); "
        f"CLI commands killed after {meta['cli_timeout']:.0f} s",
        "",
        "## Targets",
        "",
        _table(rows, ["target (issue 6)", "wanted", "measured", ""]),
        "",
        "How each route runs: **gui** = one long-lived offscreen `QApplication` opening every input through "
        "`Session.open` and waiting for `sig_rendered` / `sig_failed`, with a 5 ms heartbeat timer measuring "
        "the "
        "longest event-loop stall; **cli** = `satview info --json`, `pixel --rowcol 0 0 --json`, "
        "`quicklook --size 64` and `clip` (small AOI around the footprint centre, output in a separate "
        "folder) "
        'as subprocesses, two at a time, at `nice` 10 (so the harness\'s own CLI lane does not starve the '
        'GUI process being measured). A "result" is `sig_rendered` / exit 0; an error counts when '
        "it names "
        "the file and (GUI, `info`, `pixel`) carries one of the seven categories. Every case lives in its "
        "own "
        "folder, snapshotted (names, sizes, mtimes) before and after.",
        "",
        "## Seeded random mutations",
        "",
        "```json",
        json.dumps({k: v for k, v in s_mut.items()}, indent=1),
        "```",
        "",
        _by_seed([a for a in attempts if a.kind == "mutation"]),
        "",
        "## Deterministic corpus (truncations, flips, zeroed headers, huge sizes, hostile archives, ...)",
        "",
        "```json",
        json.dumps(s_det, indent=1),
        "```",
        "",
        _by_seed([a for a in attempts if a.kind != "mutation"]),
        "",
    ]
    if kills is not None:
        lines += [
            "## SIGKILL during exports",
            "",
            f"{kills['kills']} CLI exports (clip and quick-look of a 2400 x 2400 demo scene, alternating; "
            "full "
            f"runs take {kills['export_seconds']}) killed with SIGKILL (the whole process group) after a "
            "random "
            f"delay; {kills['killed_mid_write']} were still running when killed. Then one quick-look and one "
            "clip into the same folder.",
            "",
            f"- incomplete files at the final path: {kills['incomplete_at_final_path']}",
            f"- temporary files left right after the kills: {kills['temps_left_after_kills']}",
            f"- stray temporary files after the next export: {len(kills['stray_temps_after_next_export'])} "
            f"{kills['stray_temps_after_next_export'] or ''}",
            "",
            _table(
                [
                    [
                        r["i"],
                        r["kind"],
                        r["kill_after_s"],
                        r["finished_before_kill"],
                        r["final"],
                        r["temps_after_kill"],
                    ]
                    for r in kills["rows"]
                ],
                ["#", "export", "killed after (s)", "already finished", "final path", "temps after kill"],
            ),
            "",
        ]
    lines += ["## Failing cases", ""]
    if not failures:
        lines.append("None.")
    else:
        reasons = collections.Counter("; ".join(a.problems()) for a in failures)
        lines.append(_table([[n, r] for r, n in reasons.most_common()], ["attempts", "reason"]))
        lines += ["", "First failures (case, route, outcome, category, message):", ""]
        for a in failures[:60]:
            msg = a.message.replace("|", "\\|").replace("\n", " ")[:220]
            lines.append(
                f"- `{a.case}` {a.route}: {a.outcome} [{a.category}] {'; '.join(a.problems())} — {msg}"
            )
    mism = [a for a in attempts if not a.expect_met]
    lines += [
        "",
        "## Expectation mismatches (hand-made cases whose outcome class differs from the expected one)",
        "",
    ]
    lines += [
        f"- `{a.case}` {a.route}: expected {a.expect}, got {a.outcome} [{a.category}] "
        + a.message.replace("\n", " ").replace("|", "\\|")[:160]
        for a in mism[:40]
    ] or ["None."]
    lines.append("")
    # messages may hold undecodable file-name bytes (surrogates): keep them visible as \x.. escapes
    path.write_text("\n".join(lines), encoding="utf-8", errors="backslashreplace")


# ------------------------------------------------------------------------------------------ main


def _load_attempts(path: Path) -> list[Attempt]:
    """Attempts written by ``--json`` (one JSON object a line)."""
    names = set(Attempt.__dataclass_fields__)
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Attempt(**{k: v for k, v in d.items() if k in names}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mutations", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--budget-min", type=float, default=18.0, help="stop starting cases after this many minutes"
    )
    ap.add_argument("--jobs", type=int, default=2, help="CLI cases at a time")
    ap.add_argument(
        "--cli-stride", type=int, default=4, help="every n-th mutation also runs info+pixel on the CLI"
    )
    ap.add_argument(
        "--full-cli-stride", type=int, default=40, help="every n-th mutation runs all four CLI commands"
    )
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--deadline-scale", type=float, default=0.5)
    ap.add_argument("--cli-timeout", type=float, default=60.0)
    ap.add_argument("--no-real", action="store_true", help="do not use the real samples as seeds")
    ap.add_argument("--no-deterministic", action="store_true")
    ap.add_argument("--root", type=Path, default=None, help="work folder (default: a new temporary one)")
    ap.add_argument("--report", type=Path, default=REPO / "docs" / "RELIABILITY.md")
    ap.add_argument("--json", type=Path, default=None, help="also write every attempt as JSON lines here")
    ap.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="do not run the cases again: rebuild the report from the attempts a run wrote with --json "
        "(the SIGKILL test still runs)",
    )
    ap.add_argument("--run-seconds", type=float, default=None, help="with --from-json: the run's wall time")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    stop_at = t0 + args.budget_min * 60
    root = args.root or Path(tempfile.mkdtemp(prefix="satview-campaign-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        seeds = Seeds(root, real=not args.no_real)
        muts = list(random_mutations(seeds, args.mutations, seed=args.seed))
        det = [] if args.no_deterministic else deterministic_cases(seeds)
        # hand-made cases first (all four commands for the kinds the fast subset runs fully), then mutations
        cli_plan: list[Any] = [(c, CLI_COMMANDS if c.kind in FULL_CLI_KINDS else ("info",)) for c in det]
        for i, c in enumerate(muts):
            if i % args.full_cli_stride == 0:
                cli_plan.append((c, CLI_COMMANDS))
            elif i % args.cli_stride == 0:
                cli_plan.append((c, ("info", "pixel")))
        print(
            f"seeds: {sorted(seeds.items)}; {len(muts)} mutations, {len(det)} deterministic cases; "
            f"CLI plan {len(cli_plan)} cases",
            flush=True,
        )
        done = collections.Counter()
        last = [time.monotonic()]

        def progress(a: Attempt) -> None:
            done[a.route == "gui"] += 1
            if not a.ok:
                print(
                    f"FAIL {a.route} {a.case}: {a.outcome} [{a.category}] {a.problems()} {a.message[:150]!r}",
                    flush=True,
                )
            if time.monotonic() - last[0] > 30:
                last[0] = time.monotonic()
                print(
                    f"  ... {time.monotonic() - t0:.0f} s: gui {done[True]}, cli {done[False]} attempts",
                    flush=True,
                )

        if args.from_json is not None:
            result = RunResult(_load_attempts(args.from_json), args.run_seconds or float("nan"), 1, 0, [])
        else:
            result = run_cases(
                muts + det,
                cli_plan,
                root / "run",
                jobs=args.jobs,
                cli_timeout=args.cli_timeout,
                deadline_scale=args.deadline_scale,
                probe=seeds.probe,
                on_attempt=progress,
                stop_at=stop_at,
            )
        run_seconds = result.seconds
        t_kill = time.monotonic()
        kills = sigkill_test(root / "kill", args.kills) if args.kills else None
        kill_seconds = time.monotonic() - t_kill
        att = result.attempts
        mut_att = [a for a in att if a.kind == "mutation"]
        det_att = [a for a in att if a.kind != "mutation"]
        s_all = summary(result)
        s_mut = summary(
            RunResult(mut_att, result.seconds, result.gui_starts, result.gui_deaths, result.escaped)
        )
        s_det = summary(
            RunResult(det_att, result.seconds, result.gui_starts, result.gui_deaths, result.escaped)
        )
        gui_mut = {a.case for a in mut_att if a.route == "gui"}
        cli_mut = {a.case for a in mut_att if a.route != "gui"}
        meta = {
            "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "machine": _machine(),
            "command": (
                "cases from earlier run(s) with --json; report and SIGKILL test from: "
                if args.from_json is not None
                else ""
            )
            + "python bench/hostile.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "wall_s": run_seconds + kill_seconds,
            "mutations": len(muts),
            "gui_mutations_run": len(gui_mut),
            "cli_mutation_cases_run": len(cli_mut),
            "cli_mutation_attempts": sum(1 for a in mut_att if a.route != "gui"),
            "stopped_early": len(gui_mut) < len(muts)
            or len(cli_mut) < sum(1 for c in cli_plan if c[0].kind == "mutation"),
            "det_cases": len(det),
            "det_gui_run": len({a.case for a in det_att if a.route == "gui"}),
            "det_cli_run": len({a.case for a in det_att if a.route != "gui"}),
            "real_seeds": ", ".join(sorted(s.name for s in seeds.items.values() if s.real))
            if REAL_DATA.is_dir()
            else "",
            "deadline_scale": args.deadline_scale,
            "cli_timeout": args.cli_timeout,
            "all": s_all,
        }
        failures = result.failures()
        print(
            json.dumps(
                {"all": s_all, "sigkill": {k: v for k, v in (kills or {}).items() if k != "rows"}}, indent=1
            )
        )
        print(f"stall limit {STALL_LIMIT_MS} ms; failures: {len(failures)}")
        if args.json and args.from_json is None:
            with args.json.open("w") as fh:
                for a in att:
                    fh.write(json.dumps(a.to_dict()) + "\n")
        write_report(args.report, s_mut, s_det, kills, failures, meta, att)
        print(f"wrote {args.report}")
        return (
            0
            if not failures
            and (
                kills is None
                or (kills["incomplete_at_final_path"] == 0 and not kills["stray_temps_after_next_export"])
            )
            else 1
        )
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
