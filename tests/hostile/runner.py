"""Run hostile cases through satview's real code paths (CLI subprocesses and a long-lived offscreen GUI)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from satview.errors import CATEGORIES

try:
    from .corpus import ERROR, OPENS, Case, materialize, remove_tree, snapshot
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from hostile.corpus import ERROR, OPENS, Case, materialize, remove_tree, snapshot

REPO = Path(__file__).resolve().parents[2]
GUI_DRIVER = Path(__file__).resolve().with_name("gui_driver.py")
#: Stall limit of the GUI event loop (ms), from issue 6.
STALL_LIMIT_MS = 250.0
#: CLI commands run on every CLI case, in this order.
CLI_COMMANDS = ("info", "pixel", "quicklook", "clip")
#: A lon/lat AOI used when ``info`` gave no footprint.
FALLBACK_AOI = "POLYGON((0 0,1 0,1 1,0 1,0 0))"
#: Scheduling niceness of the CLI commands: the harness runs them beside the GUI lane only to use the
#: machine's spare time; at normal priority their start-ups (numpy, rasterio, GDAL, h5py imports, a
#: fork server each) starve the GUI process whose event-loop stalls are being measured.
CLI_NICENESS = 10


@dataclass
class Attempt:
    """One run of one case through one route ("gui" or "cli:<command>")."""

    case: str
    kind: str
    expect: str
    route: str
    outcome: str  # opens | error | crash | hang | bad-error
    category: str | None = None
    names_file: bool = False
    seconds: float = 0.0
    stall_ms: float | None = None
    input_changed: bool = False
    gui_alive: bool | None = None
    escaped: bool = False
    partial_output: bool = False
    message: str = ""
    noise: bool = False
    changes: list[str] = field(default_factory=list)
    seed: str = ""

    @property
    def category_ok(self) -> bool:
        """An error carries one of the issue's categories (None: the command cannot say, e.g. clip)."""
        if self.outcome != "error":
            return True
        if self.route in ("gui", "cli:info", "cli:pixel"):
            return self.category in CATEGORIES
        return self.category is None or self.category in CATEGORIES

    @property
    def ok(self) -> bool:
        """Meets the targets: a result or a categorised error naming the file, in time, nothing touched."""
        result = self.outcome == "opens" or (self.outcome == "error" and self.names_file and self.category_ok)
        stall = self.stall_ms is None or self.stall_ms <= STALL_LIMIT_MS
        return (
            result
            and stall
            and not self.input_changed
            and self.gui_alive is not False
            and not self.escaped
            and not self.partial_output
        )

    @property
    def expect_met(self) -> bool:
        """The outcome class is the expected one (always True for "any"; checked on the GUI and on
        ``info`` only, since pixel, quick-look and clip may fail on a scene that opens)."""
        if self.expect not in (OPENS, ERROR) or self.route not in ("gui", "cli:info"):
            return True
        return self.outcome == self.expect

    def problems(self) -> list[str]:
        """Plain words for everything wrong with this attempt."""
        out = []
        if self.outcome not in ("opens", "error"):
            out.append(self.outcome)
        elif self.outcome == "error" and not self.names_file:
            out.append("message does not name the file")
        elif not self.category_ok:
            out.append(f"uncategorised error ({self.category})")
        if self.stall_ms is not None and self.stall_ms > STALL_LIMIT_MS:
            out.append(f"stall {self.stall_ms:.0f} ms")
        if self.input_changed:
            out.append("input folder changed: " + ", ".join(self.changes[:3]))
        if self.gui_alive is False:
            out.append("GUI process died")
        if self.escaped:
            out.append("archive member escaped")
        if self.partial_output:
            out.append("output left behind by a failed export")
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(ok=self.ok, expect_met=self.expect_met)
        return d


def _names_file(text: str, folder: Path, path: Path | str) -> bool:
    """True when ``text`` names the case's file (or a file inside the case folder)."""
    for cand in (os.fspath(folder), os.path.basename(os.fspath(path))):
        if cand and (
            cand in text or cand.encode("utf-8", "backslashreplace").decode("ascii", "replace") in text
        ):
            return True
    return False


def _diff(before: dict, after: dict) -> list[str]:
    changed = sorted(set(before) ^ set(after)) + sorted(
        k for k in before.keys() & after.keys() if before[k] != after[k]
    )
    return [os.fsencode(c).decode("utf-8", "backslashreplace") for c in changed]


def base_env(root: Path, deadline_scale: float) -> dict[str, str]:
    """The environment of every satview process the runner starts."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        SATVIEW_DEADLINE_SCALE=str(deadline_scale),
        PYTHONFAULTHANDLER="0",
        TMPDIR=str(root / "tmp"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    return env


# ------------------------------------------------------------------------------------------ CLI


def _aoi_from_info(stdout: bytes) -> str:
    """A small lon/lat AOI around the centre of the scene's footprint (from ``info --json``)."""
    try:
        from shapely import affinity
        from shapely.geometry import shape

        doc = json.loads(stdout)
        geom = shape(doc["footprint"])
        if geom.is_empty or not geom.is_valid:
            return FALLBACK_AOI
        return affinity.scale(geom, 0.3, 0.3, origin="centroid").wkt
    except Exception:
        return FALLBACK_AOI


def run_cli_command(
    argv: list[str | bytes], env: dict[str, str], cwd: Path, timeout: float
) -> tuple[int | None, bytes, bytes, float]:
    """Run ``python -m satview ARGV`` in its own session; (returncode or None on timeout, out, err, s)."""
    t0 = time.perf_counter()
    nice = ["nice", "-n", str(CLI_NICENESS)] if CLI_NICENESS and shutil.which("nice") else []
    proc = subprocess.Popen(
        [*nice, sys.executable, "-m", "satview", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _killpg(proc.pid)
        out, err = proc.communicate()
        code = None
    _killpg(proc.pid)  # children (isolated readers, fork server) never outlive the command
    return code, out, err, time.perf_counter() - t0


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_cli_case(
    case: Case, commands: Iterable[str], root: Path, env: dict[str, str], timeout: float
) -> list[Attempt]:
    """Build ``case`` under ``root/cli``, run the CLI commands on it, check the folder, clean up."""
    folder = root / "cli" / case.id
    out_dir = root / "cli-out" / case.id
    cache = root / "cli-cache" / case.id
    attempts: list[Attempt] = []
    path = materialize(case, root / "cli")
    out_dir.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    env = {**env, "SATVIEW_CACHE_DIR": str(cache)}
    before = snapshot(folder)
    aoi = FALLBACK_AOI
    bpath = os.fsencode(path)
    try:
        for cmd in commands:
            outputs: list[Path] = []
            if cmd == "info":
                argv: list[str | bytes] = ["info", "--json", bpath]
            elif cmd == "pixel":
                argv = ["pixel", "--json", "--rowcol", "0", "0", bpath]
            elif cmd == "quicklook":
                outputs = [out_dir / "ql.png"]
                argv = ["quicklook", "--size", "64", bpath, "-o", str(outputs[0])]
            elif cmd == "clip":
                outputs = [out_dir / "clip.tif"]
                argv = ["clip", bpath, "--aoi", aoi, "-o", str(outputs[0])]
            else:
                raise ValueError(cmd)
            code, out, err, secs = run_cli_command(argv, env, out_dir, timeout)
            attempts.append(_cli_attempt(case, cmd, code, out, err, secs, folder, path, outputs))
            if cmd == "info" and code == 0:
                aoi = _aoi_from_info(out)
    finally:
        after = snapshot(folder)
        changes = _diff(before, after)
        for a in attempts:
            a.input_changed, a.changes = bool(changes), changes
        for p in (folder, out_dir, cache):
            remove_tree(p)
    return attempts


def _cli_attempt(
    case: Case,
    cmd: str,
    code: int | None,
    out: bytes,
    err: bytes,
    secs: float,
    folder: Path,
    path: Path | str,
    outputs: list[Path],
) -> Attempt:
    text = err.decode("utf-8", "backslashreplace")
    a = Attempt(case.id, case.kind, case.expect, f"cli:{cmd}", "opens", seconds=secs, seed=case.seed)
    if code is None:
        a.outcome, a.message = "hang", f"no exit within {secs:.0f} s"
    elif code == 0:
        a.outcome = "opens"
    elif code == 1 and "Traceback" not in text and "satview: error:" in text:
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("satview: error:"))
        a.outcome = "error"
        a.message = lines[first][len("satview: error: ") :][:300]
        a.names_file = _names_file(lines[first], folder, path)
        a.noise = first > 0  # warnings printed before the error line
        for line in lines[first + 1 :]:
            if line.startswith('{"error"'):
                with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                    a.category = json.loads(line)["error"].get("category")
        a.partial_output = any(p.exists() for p in outputs)
    elif code == 1:
        a.outcome, a.message = "bad-error", text[-300:]
    else:
        a.outcome, a.message = "crash", f"exit {code}: {text[-300:]}"
    return a


# ------------------------------------------------------------------------------------------ GUI


class GuiDriver:
    """The long-lived offscreen GUI process (``gui_driver.py``); restarted after it dies or hangs."""

    def __init__(self, env: dict[str, str], start_timeout: float = 120.0) -> None:
        self.env = env
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.deaths = 0
        self._lines: list[str] = []
        self._cv = threading.Condition()

    def start(self) -> None:
        """Start the process and wait for its "ready" line."""
        self.stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(GUI_DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.env,
            text=True,
            start_new_session=True,
        )
        self.starts += 1
        self._lines = []
        threading.Thread(target=self._reader, args=(self.proc,), daemon=True).start()
        if self._next_line(self.start_timeout) is None:
            raise RuntimeError("the GUI driver did not start")

    def _reader(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._cv:
                if proc is self.proc:
                    self._lines.append(line)
                    self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def _next_line(self, timeout: float) -> str | None:
        end = time.monotonic() + timeout
        with self._cv:
            while not self._lines:
                left = end - time.monotonic()
                if left <= 0 or (self.proc is not None and self.proc.poll() is not None and not self._lines):
                    return None
                self._cv.wait(min(left, 0.2))
            return self._lines.pop(0)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def open(self, case_id: str, path: Path | str, wait: float) -> dict[str, Any]:
        """Open ``path`` in the GUI; the driver's answer, or {"outcome": "crash"/"hang"} when it died or
        gave no answer within ``wait`` + 30 s (then it is restarted)."""
        if not self.alive():
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"id": case_id, "path": os.fspath(path), "wait": wait}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        t0 = time.perf_counter()
        line = self._next_line(wait + 30.0)
        if line is None:
            died = not self.alive()
            code = self.proc.poll()
            self.deaths += died
            self.stop()
            return {
                "outcome": "crash" if died else "hang",
                "seconds": time.perf_counter() - t0,
                "message": f"GUI process {'died (exit ' + str(code) + ')' if died else 'gave no answer'}",
                "alive": False,
            }
        answer = json.loads(line)
        answer["alive"] = True
        if answer.get("outcome") == "hang":
            self.stop()  # do not let a stuck request delay the next case
        return answer

    def stop(self) -> None:
        """End the process (its own id and process group only)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(5.0)
        except (subprocess.TimeoutExpired, OSError):
            pass
        _killpg(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5.0)


def gui_wait(path: Path | str, scale: float) -> float:
    """Seconds the GUI may take to answer: the app's own open deadline plus time to restart a worker."""
    from satview.core import requests
    from satview.workers.declare import declared

    spec = declared(requests.open_view)
    assert spec is not None
    deadline = spec.deadline(os.fspath(path), scale) or 30.0
    return deadline + 20.0


def run_gui_case(case: Case, root: Path, driver: GuiDriver, scale: float) -> Attempt:
    """Build ``case`` under ``root/gui``, open it in the GUI process, check the folder, clean up."""
    folder = root / "gui" / case.id
    path = materialize(case, root / "gui")
    before = snapshot(folder)
    try:
        ans = driver.open(case.id, path, gui_wait(path, scale))
    finally:
        after = snapshot(folder)
    a = Attempt(
        case.id,
        case.kind,
        case.expect,
        "gui",
        ans.get("outcome", "hang"),
        ans.get("category"),
        seconds=float(ans.get("seconds", 0.0)),
        stall_ms=ans.get("stall_ms"),
        gui_alive=bool(ans.get("alive")) and driver.alive(),
        message=str(ans.get("message", ""))[:300],
        seed=case.seed,
    )
    if a.outcome == "error":
        a.names_file = _names_file(a.message, folder, path)
        if ans.get("cancelled"):
            a.outcome = "bad-error"
    a.changes = _diff(before, after)
    a.input_changed = bool(a.changes)
    remove_tree(folder)
    return a


# ------------------------------------------------------------------------------------ campaign


@dataclass
class RunResult:
    """All attempts of a run and how long it took."""

    attempts: list[Attempt]
    seconds: float
    gui_starts: int = 0
    gui_deaths: int = 0
    escaped: list[str] = field(default_factory=list)

    def failures(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]


def run_cases(
    gui_cases: Iterable[Case],
    cli_cases: Iterable[Case | tuple[Case, tuple[str, ...]]],
    root: Path,
    *,
    jobs: int = 2,
    cli_timeout: float = 60.0,
    deadline_scale: float = 0.5,
    probe: Path | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
    stop_at: float | None = None,
) -> RunResult:
    """Run ``gui_cases`` in one GUI process (a lane of its own) while ``cli_cases`` run ``jobs`` at a time
    (each a case, or (case, commands) to run only some of :data:`CLI_COMMANDS`).

    ``probe`` is the folder hostile archives aim at; anything appearing in it marks the run's
    archive attempts as escaped. ``stop_at`` (``time.monotonic()``) stops starting new cases after it.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    env = base_env(root, deadline_scale)
    env["SATVIEW_CACHE_DIR"] = str(root / "gui-cache")
    attempts: list[Attempt] = []
    lock = threading.Lock()
    t0 = time.perf_counter()

    def record(items: list[Attempt]) -> None:
        with lock:
            attempts.extend(items)
        if on_attempt is not None:
            for a in items:
                on_attempt(a)

    driver = GuiDriver(env)
    gui_list = list(gui_cases)

    def gui_lane() -> None:
        try:
            for case in gui_list:
                if stop_at is not None and time.monotonic() > stop_at:
                    break
                record([run_gui_case(case, root, driver, deadline_scale)])
        finally:
            driver.stop()

    gui_thread = threading.Thread(target=gui_lane, name="hostile-gui", daemon=True)
    if gui_list:
        gui_thread.start()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:

        def cli_job(item: Case | tuple[Case, tuple[str, ...]]) -> list[Attempt]:
            if stop_at is not None and time.monotonic() > stop_at:
                return []
            case, commands = item if isinstance(item, tuple) else (item, CLI_COMMANDS)
            return run_cli_case(case, commands, root, env, cli_timeout)

        futures = [pool.submit(cli_job, c) for c in cli_cases]
        for f in futures:
            record(f.result())
    if gui_list:
        gui_thread.join()
    escaped = sorted(os.listdir(probe)) if probe is not None and probe.is_dir() else []
    if escaped:
        for a in attempts:
            if a.kind == "archive":
                a.escaped = True
    return RunResult(attempts, time.perf_counter() - t0, driver.starts, driver.deaths, escaped)


def summary(result: RunResult) -> dict[str, Any]:
    """Figures against the issue's targets."""
    att = result.attempts
    gui = [a for a in att if a.route == "gui"]
    stalls = [a.stall_ms for a in gui if a.stall_ms is not None]
    by_outcome: dict[str, int] = {}
    for a in att:
        by_outcome[a.outcome] = by_outcome.get(a.outcome, 0) + 1
    cats: dict[str, int] = {}
    for a in att:
        if a.outcome == "error":
            cats[str(a.category)] = cats.get(str(a.category), 0) + 1
    in_time = [
        a for a in att if a.outcome == "opens" or (a.outcome == "error" and a.names_file and a.category_ok)
    ]
    return {
        "attempts": len(att),
        "cases": len({a.case for a in att}),
        "gui_attempts": len(gui),
        "cli_attempts": len(att) - len(gui),
        "seconds": round(result.seconds, 1),
        "outcomes": by_outcome,
        "categories": cats,
        "gui_process_deaths": sum(1 for a in gui if a.gui_alive is False),
        "gui_starts": result.gui_starts,
        "max_stall_ms": round(max(stalls), 1) if stalls else None,
        "stalls_over_limit": sum(1 for s in stalls if s > STALL_LIMIT_MS),
        "ended_in_time_with_result_or_named_error_pct": round(100.0 * len(in_time) / len(att), 3)
        if att
        else None,
        "input_folders_changed": sum(1 for a in att if a.input_changed),
        "escaped_files": result.escaped,
        "partial_outputs": sum(1 for a in att if a.partial_output),
        "cli_errors_with_noise": sum(1 for a in att if a.noise),
        "failures": len(result.failures()),
        "expectation_mismatches": sum(1 for a in att if not a.expect_met),
    }
