"""A real Dask cluster on loopback: ``dask scheduler`` and two ``dask worker`` processes, as on a cluster.

    python bench/cluster.py [--scenes 8] [--size 400] [--work /tmp/satview-cluster]
        [--report docs/RELIABILITY.md]

1. generates small synthetic Landsat scenes (:mod:`satview.core.demo`), each its own date;
2. starts the scheduler and two workers (no nanny: a killed worker stays dead) as separate processes
   listening on 127.0.0.1 only, with this checkout on their ``PYTHONPATH``;
3. runs ``satview batch quicklook`` and ``satview batch clip`` with ``--scheduler`` and with the local
   pool (``--workers 2``) and compares every output file byte for byte;
4. runs a quick-look batch again (``--force``) and SIGKILLs one worker once the first scene is done:
   the batch must finish with every scene done or reported, the manifest naming only outputs that
   exist, and a rerun finding every scene done before;
5. starts a worker that cannot see the inputs (``unshare --mount`` with an empty tmpfs over the
   scenes folder): the batch must refuse before submitting, naming that worker and the input;
6. stops what it started (bounded waits; SIGKILL as a last resort) and prints the figures as Markdown
   (``--report`` replaces the "Real Dask cluster" section of that file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from md_section import replace_section

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Real Dask cluster"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "warning"}
DASK = str(Path(sys.executable).with_name("dask"))
MANIFEST = "satview-batch.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The scheduler and two workers as child processes (each in its own process group)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, args: list[str], prefix: list[str] | None = None) -> None:
        log = (self.work / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen([*(prefix or []), DASK, *args], stdout=log,
                                            stderr=subprocess.STDOUT, env=ENV,
                                            cwd=self.work, start_new_session=True)

    def start(self) -> float:
        t0 = time.perf_counter()
        self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard"])
        for w in ("worker-a", "worker-b"):
            self.add_worker(w)
        self.wait_for(2)
        return time.perf_counter() - t0

    def add_worker(self, name: str, prefix: list[str] | None = None) -> None:
        self._spawn(name, ["worker", self.address, "--host", "127.0.0.1", "--name", name, "--nthreads", "1",
                           "--no-nanny", "--no-dashboard", "--death-timeout", "60"], prefix)

    def wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=120)

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def make_scenes(folder: Path, n: int, size: int) -> list[Path]:
    from satview.core.demo.package import make_demo_scene

    folder.mkdir(parents=True, exist_ok=True)
    return [make_demo_scene(folder / f"s{k}", size=(size, size), fmt="dir", seed=k,
                            acquired=dt.date(2021, 6, 1) + dt.timedelta(days=16 * k)) for k in range(n)]


def aoi_for(scene: Path, folder: Path) -> Path:
    """A lon/lat box around the middle of the scene (a quarter of its extent per side)."""
    from satview.core.readers import open_scene

    with open_scene(str(scene)) as s:
        lon0, lat0, lon1, lat1 = s.info.footprint.bounds
    cx, cy, dx, dy = (lon0 + lon1) / 2, (lat0 + lat1) / 2, (lon1 - lon0) / 8, (lat1 - lat0) / 8
    ring = [[cx - dx, cy - dy], [cx + dx, cy - dy], [cx + dx, cy + dy], [cx - dx, cy + dy]]
    ring.append(ring[0])
    path = folder / "aoi.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    return path


def batch(args: list[str], timeout: float = 900) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "satview", "batch", *args], capture_output=True, text=True,
                         env=ENV, timeout=timeout)
    return run.returncode, run.stdout + run.stderr, time.perf_counter() - t0


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` but the manifest (it holds the scenes' paths and keys)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def compare(command: str, extra: list[str], scenes_dir: Path, work: Path, address: str) -> dict:
    """One batch command on the cluster and on the local pool; are the outputs identical?"""
    out_d, out_l = work / f"{command}-dask", work / f"{command}-local"
    rc_d, log_d, t_d = batch([command, str(scenes_dir), "-o", str(out_d), "--scheduler", address, *extra])
    rc_l, log_l, t_l = batch([command, str(scenes_dir), "-o", str(out_l), "--workers", "2", *extra])
    a, b = digests(out_d), digests(out_l)
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return {"command": command, "exit_dask": rc_d, "exit_local": rc_l, "seconds_dask": round(t_d, 1),
            "seconds_local": round(t_l, 1), "files": len(a), "differing": differ,
            "log_dask_tail": log_d[-600:] if rc_d else "", "log_local_tail": log_l[-600:] if rc_l else ""}


def manifest_check(out: Path, scenes: list[Path], log: str) -> dict:
    """Scenes done (in the manifest, every output present), reported (named in the batch's output), lost."""
    entries = json.loads((out / MANIFEST).read_text())["entries"] if (out / MANIFEST).exists() else {}
    done = {e.split(":", 1)[1] for e in entries}
    missing_outputs = [o for e in entries.values() for o in e.get("outputs", []) if not (out / o).exists()]
    resolved = {str(s.resolve()): s for s in scenes}
    reported = [p for p in resolved if p not in done and resolved[p].name in log]
    lost = [p for p in resolved if p not in done and p not in reported]
    return {"done": len(done & resolved.keys()), "reported": len(reported), "lost": len(lost),
            "outputs_missing": len(missing_outputs)}


def kill_run(scenes_dir: Path, scenes: list[Path], work: Path, cluster: Cluster) -> dict:
    """A quick-look batch on the cluster; one worker is SIGKILLed once the first output exists."""
    out = work / "killed"
    cmd = [sys.executable, "-m", "satview", "batch", "quicklook", str(scenes_dir), "-o", str(out),
           "--scheduler", cluster.address, "--force"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    t0, killed_at, done_then = time.perf_counter(), None, 0
    try:
        deadline = time.monotonic() + 600
        while killed_at is None and proc.poll() is None and time.monotonic() < deadline:
            done_then = len(list(out.glob("*.png"))) if out.is_dir() else 0
            if done_then:
                cluster.kill("worker-b")
                killed_at = time.perf_counter() - t0
            time.sleep(0.05)
        log, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    result = {"exit": proc.returncode, "killed_at_s": None if killed_at is None else round(killed_at, 1),
              "done_at_kill": done_then, "seconds": round(time.perf_counter() - t0, 1),
              **manifest_check(out, scenes, log)}
    rc, relog, _ = batch(["quicklook", str(scenes_dir), "-o", str(out), "--scheduler", cluster.address])
    result["rerun_exit"] = rc
    result["rerun_all_done_before"] = rc == 0 and f"0 done, {len(scenes)} skipped" in relog
    result["log_tail"] = log[-800:]
    return result


def blind_worker_run(scenes_dir: Path, work: Path, cluster: Cluster) -> dict:
    """A worker that cannot see the inputs (its own mount namespace, an empty tmpfs over the scenes
    folder) joins; the batch must refuse before submitting, naming that worker and a scene."""
    blind = ["unshare", "--mount", "sh", "-c", f'mount -t tmpfs none "{scenes_dir}" && exec "$0" "$@"']
    cluster.add_worker("worker-blind", blind)
    try:
        cluster.wait_for(2)
    except TimeoutError:
        return {"ran": False, "why": (work / "worker-blind.log").read_text()[-300:]}
    from distributed import Client

    with Client(cluster.address, timeout=60) as client:
        workers = client.scheduler_info()["workers"]
        blind_addr = next(a for a, w in workers.items() if w["name"] == "worker-blind")
    rc, log, took = batch(["quicklook", str(scenes_dir), "-o", str(work / "blind"), "--scheduler",
                           cluster.address, "--force"])
    line = next((ln for ln in log.splitlines() if ln.startswith("satview: error")), log.strip()[-300:])
    return {"ran": True, "exit": rc, "seconds": round(took, 1), "message": line,
            "names_worker": blind_addr in line, "names_input": str(scenes_dir) in line,
            "outputs": len(list((work / "blind").glob("*.png")))}


def markdown(res: dict, cmd: str) -> str:
    lines = [HEADING, "",
             "Generated by `bench/cluster.py` (issue 15, item 4): `dask scheduler` and two `dask worker` "
             "processes (one thread each, no nanny) on 127.0.0.1, started as separate processes as on a "
             "cluster; the batch is the CLI (`python -m satview batch ... --scheduler "
             "tcp://127.0.0.1:PORT`). "
             "Input and output folders are on the one local file system the workers share.", "",
             f"- date: {res['date']}; machine: {platform.system()} {platform.release()}, "
             f"{os.cpu_count()} cores (shared with other jobs); command: `{cmd}`",
             f"- scenes: {res['scenes']} synthetic Landsat 8 L2 scenes of {res['size']} x {res['size']} "
             f"pixels (`satview.core.demo`); cluster up in {res['startup_s']:.1f} s", "",
             "| batch | exit (Dask / local) | seconds (Dask / local) | output files "
             "| identical to the local pool's |",
             "|---|---|---|---|---|"]
    for c in res["compare"]:
        same = "yes" if not c["differing"] else "no: " + ", ".join(c["differing"][:5])
        lines.append(f"| {c['command']} | {c['exit_dask']} / {c['exit_local']} | {c['seconds_dask']} / "
                     f"{c['seconds_local']} | {c['files']} | {same} |")
    k = res["kill"]
    lines += ["", "A worker killed in the middle of a quick-look batch (`--force`; SIGKILL of `worker-b` "
              "once the first PNG exists; Dask reschedules its tasks on the surviving worker):", "",
              "| killed after (scenes done then) | exit | seconds | scenes done | reported failed | lost "
              "| manifest outputs missing | rerun: every scene done before |",
              "|---|---|---|---|---|---|---|---|",
              f"| {k['killed_at_s']} s ({k['done_at_kill']}) | {k['exit']} | {k['seconds']} | "
              f"{k['done']} / {res['scenes']} | {k['reported']} | {k['lost']} | {k['outputs_missing']} | "
              f"{'yes' if k['rerun_all_done_before'] else 'no'} (exit {k['rerun_exit']}) |", ""]
    b = res["blind"]
    if b["ran"]:
        lines += ["A worker that cannot see the inputs (started in its own mount namespace with an empty "
                  "tmpfs over the scenes folder, as a host without the shared mount) joined the surviving "
                  "one: "
                  f"`batch quicklook` exit {b['exit']} after {b['seconds']} s, {b['outputs']} outputs "
                  "written, "
                  f"message names the worker: {'yes' if b['names_worker'] else 'no'}, names the input: "
                  f"{'yes' if b['names_input'] else 'no'}:", "", f"    {b['message']}", ""]
    else:
        lines += [f"The blind-worker check could not run here (unshare/mount refused): {b['why']}", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--scenes", type=int, default=8)
    ap.add_argument("--size", type=int, default=400, help="scene rows and columns")
    ap.add_argument("--work", type=Path, default=Path("/tmp/satview-cluster"))
    ap.add_argument("--report", type=Path, help="Markdown file whose cluster section is replaced")
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    res: dict = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "scenes": args.scenes, "size": args.size}
    scenes_dir = args.work / "scenes"
    scenes = make_scenes(scenes_dir, args.scenes, args.size)
    aoi = aoi_for(scenes[0], args.work)
    cluster = Cluster(args.work)
    try:
        res["startup_s"] = cluster.start()
        res["compare"] = [compare("quicklook", [], scenes_dir, args.work, cluster.address),
                          compare("clip", ["--aoi", str(aoi)], scenes_dir, args.work, cluster.address)]
        res["kill"] = kill_run(scenes_dir, scenes, args.work, cluster)
        res["blind"] = blind_worker_run(scenes_dir, args.work, cluster)
    finally:
        cluster.stop()
    res["left_running"] = [n for n, p in cluster.procs.items() if p.poll() is None]
    (args.work / "results.json").write_text(json.dumps(res, indent=1, default=str))
    print(json.dumps(res, indent=1, default=str))
    section = markdown(res, "python bench/cluster.py " + " ".join(sys.argv[1:]))
    print(section)
    if args.report:
        replace_section(args.report, section)


if __name__ == "__main__":
    main()
