"""Run a batch job end to end: discover, skip what is done, pool the stretch, run the tasks, write summaries.

:func:`run_batch` is what the CLI and a GUI worker call; it never raises for a bad scene (each
comes back as a failed record) and reports progress as ``progress(done, total, record)``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from satview.core.batch.discover import SceneEntry, discover
from satview.core.batch.executors import BatchExecutor, make_executor
from satview.core.batch.manifest import Manifest, task_key
from satview.core.batch.options import ClipOptions, QuicklookOptions, levels_key
from satview.core.batch.sheet import SheetItem, write_all
from satview.core.batch.stats import StatsResult, pooled_levels
from satview.core.batch.tasks import (
    CANCELLED,
    FAILED,
    OK,
    SKIPPED,
    THUMBS_DIR,
    TaskResult,
    clip_task,
    quicklook_task,
    stats_task,
)
from satview.core.stretch import Levels
from satview.errors import ExportError, SatviewError

Progress = Callable[[int, int, "TaskResult | None"], None]
DONE_BEFORE = "done earlier with the same input and options"
_SAVE_EVERY = 2.0  # seconds between manifest saves while running


@dataclass
class BatchJob:
    """A batch: ``command`` ("quicklook" or "clip") over ``inputs`` (files, folders, globs) into ``out_dir``.

    ``stretch_from`` "all" pools one stretch over every scene (quick-looks only); ``workers`` and
    ``scheduler`` choose the executor when none is passed to :func:`run_batch`; ``force`` redoes
    scenes the manifest says are done; ``summaries`` writes index.html, contact_sheet.png and
    footprints.geojson.
    """

    command: Literal["quicklook", "clip"]
    inputs: list[str]
    out_dir: str
    quicklook: QuicklookOptions = field(default_factory=QuicklookOptions)
    clip: ClipOptions | None = None
    dataset: str | None = None
    stretch_from: Literal["scene", "all"] = "scene"
    workers: int | None = None
    scheduler: str | None = None
    force: bool = False
    summaries: bool = True


@dataclass
class BatchReport:
    """What a batch did: one record per scene (sorted by path), ignored files, summary files, timing."""

    records: list[TaskResult]
    ignored: list[tuple[str, str]] = field(default_factory=list)
    summaries: list[Path] = field(default_factory=list)
    levels: dict[tuple[str, ...], Levels] = field(default_factory=dict)
    cancelled: bool = False
    seconds: float = 0.0
    executor: str = ""
    #: scenes worked on now (not skipped) and the seconds from the first one's start to the last one's end
    tasks_run: int = 0
    task_span: float = 0.0

    @property
    def throughput(self) -> float:
        """Scenes per second while the workers ran (0 when none ran): the batch time without the
        workers' start-up, the pooled stretch and the summaries."""
        return self.tasks_run / self.task_span if self.task_span > 0 else 0.0

    def by_status(self, status: str) -> list[TaskResult]:
        return [r for r in self.records if r.status == status]

    def summary(self) -> str:
        """One line: counts per status, the batch time, where it ran and the throughput, e.g.
        "24 done, 0 skipped, 1 failed in 2.1 s (local process pool, 2 worker(s)); 13.7 scenes/s while
        the workers ran"."""
        n = {s: len(self.by_status(s)) for s in (OK, SKIPPED, FAILED, CANCELLED)}
        line = (f"{n[OK]} done, {n[SKIPPED]} skipped, {n[FAILED]} failed"
                + (f", {n[CANCELLED]} cancelled" if n[CANCELLED] else "")
                + f" in {self.seconds:.2f} s ({self.executor})")
        if self.throughput:
            line += f"; {self.throughput:.1f} scenes/s while the workers ran"
        return line

    @property
    def exit_code(self) -> int:
        """0 when every scene succeeded or was skipped, 1 when any failed (or the batch was cancelled)."""
        return 1 if self.cancelled or any(r.status in (FAILED, CANCELLED) for r in self.records) else 0


def _options_key(job: BatchJob, levels: Levels | None) -> dict[str, Any]:
    if job.command == "clip":
        assert job.clip is not None
        return {"clip": job.clip.key(), "dataset": job.dataset}
    return {"quicklook": job.quicklook.key(), "levels": levels_key(levels), "dataset": job.dataset}


def _wants_pooling(job: BatchJob) -> bool:
    if job.command != "quicklook" or job.stretch_from != "all":
        return False
    st = job.quicklook.parsed_stretch()
    if st is not None and st.mode == "none":
        return False  # the natural range is the same for every scene already
    return not (job.quicklook.index and st is None)  # indices draw a fixed value range by default


class _Run:
    """The state of one :func:`run_batch` call."""

    def __init__(self, job: BatchJob, out: Path, executor: BatchExecutor | None, progress: Progress | None,
                 should_cancel: Callable[[], bool] | None) -> None:
        self.job = job
        self.out = out
        self.progress = progress or (lambda _d, _t, _r: None)
        self.should_cancel = should_cancel or (lambda: False)
        self.executor = executor or make_executor(job.workers, job.scheduler)
        self.stack = contextlib.ExitStack()
        self.started = False
        self.done = 0
        self.total = 0
        self.cancelled = False

    def ex(self) -> BatchExecutor:
        """The executor, started on first use (nothing starts when every scene is already done)."""
        if not self.started:
            self.stack.enter_context(self.executor)
            self.started = True
        return self.executor

    def tick(self, record: TaskResult | None) -> None:
        self.done += 1
        self.progress(self.done, self.total, record)

    def pool_stats(self, scenes: list[SceneEntry]) -> tuple[dict[str, Levels], dict[tuple[str, ...], Levels],
                                                            dict[str, str]]:
        """Pooled levels per scene path (grouped by drawn bands), the groups, and errors per path."""
        jobs = [(s.path, s.reader, self.job.quicklook, self.job.dataset) for s in scenes]
        results: list[StatsResult] = []
        errors: dict[str, str] = {}
        for i, res in self.ex().run(stats_task, jobs, self.should_cancel):
            if isinstance(res, BaseException):
                errors[scenes[i].path] = f"the worker failed: {res}"
            elif res.error is not None:
                errors[res.path] = res.error
            else:
                results.append(res)
            self.tick(None)
        if self.should_cancel():
            self.cancelled = True
        groups: dict[tuple[str, ...], list[StatsResult]] = {}
        for r in sorted(results, key=lambda r: r.path):  # a fixed order: the same sums on any executor
            groups.setdefault(tuple(r.bands), []).append(r)
        stretch = self.job.quicklook.parsed_stretch()
        group_levels = {k: pooled_levels(v, stretch) for k, v in groups.items()}
        per_path = {r.path: group_levels[tuple(r.bands)] for r in results}
        return per_path, group_levels, errors


def run_batch(job: BatchJob, executor: BatchExecutor | None = None, progress: Progress | None = None,
              should_cancel: Callable[[], bool] | None = None) -> BatchReport:
    """Run ``job``; see :class:`BatchJob`. ``progress(done, total, record)`` follows every finished step
    (``record`` is None for a pooled-stretch measurement); ``should_cancel()`` stops the batch early
    (unfinished scenes come back as ``cancelled``). ``executor`` defaults to the job's choice.
    """
    if job.command not in ("quicklook", "clip"):
        raise SatviewError(f"unknown batch command {job.command!r}")
    if job.command == "clip" and job.clip is None:
        raise SatviewError("a batch clip needs an AOI")
    t0 = time.perf_counter()
    out = Path(job.out_dir).absolute()  # workers forked from a long-lived fork server may have another cwd
    try:
        out.mkdir(parents=True, exist_ok=True)
        if job.command == "quicklook":
            (out / THUMBS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the output folder: {exc.strerror or exc}", out) from exc
    run = _Run(job, out, executor, progress, should_cancel)
    run.executor.prepare()  # workers load in the background during discovery
    found = discover(job.inputs, exclude=[out])
    records: dict[str, TaskResult] = {p: TaskResult(p, "", FAILED, error=why) for p, why in found.missing}
    scenes = found.scenes
    pooled = _wants_pooling(job) and bool(scenes)
    run.total = len(scenes) * (2 if pooled else 1)
    manifest = Manifest(out)
    report = BatchReport([], found.ignored, executor=_describe(run.executor))
    with run.stack, _saving(manifest):
        levels_of: dict[str, Levels] = {}
        if pooled:
            levels_of, report.levels, errors = run.pool_stats(scenes)
            for s in scenes:
                if s.path in errors:
                    records[s.path] = TaskResult(s.path, s.name, FAILED, error=errors[s.path])
        todo: list[tuple[SceneEntry, str]] = []
        for s in scenes:
            if s.path in records:
                continue
            if run.cancelled:
                records[s.path] = TaskResult(s.path, s.name, CANCELLED, error="the batch was cancelled")
                continue
            key = task_key(s.path, job.command, _options_key(job, levels_of.get(s.path)))
            entry = None if job.force else manifest.done(job.command, s.path, key)
            if entry is not None:
                rec = TaskResult(s.path, entry.get("name", s.name), SKIPPED, list(entry.get("outputs", [])),
                                 dict(entry.get("facts", {})), entry.get("reason") or DONE_BEFORE)
                records[s.path] = rec
                run.tick(rec)
            else:
                todo.append((s, key))
        if todo and not run.cancelled:
            _run_tasks(run, todo, levels_of, manifest, records)
        for s, _ in todo:
            if s.path not in records:
                records[s.path] = TaskResult(s.path, s.name, CANCELLED, error="the batch was cancelled")
                run.cancelled = True
    report.records = [records[p] for p in sorted(records)]
    ran = [records[s.path] for s, _ in todo if records[s.path].started > 0]
    if ran:
        report.tasks_run = len(ran)
        report.task_span = max(r.started + r.seconds for r in ran) - min(r.started for r in ran)
    report.cancelled = run.cancelled
    if job.summaries and not run.cancelled:
        report.summaries = write_all(_sheet_items(report.records), out, f"satview batch {job.command}")
    report.seconds = time.perf_counter() - t0
    return report


@contextlib.contextmanager
def _saving(manifest: Manifest) -> Any:
    """Save the manifest however the block ends (an interrupted batch keeps what it finished)."""
    try:
        yield manifest
    finally:
        manifest.save()


def _describe(ex: BatchExecutor) -> str:
    kinds = {"local": "local process pool", "dask": "Dask distributed", "serial": "in process"}
    kind = kinds.get(ex.name, ex.name)
    return f"{kind}, {ex.workers} worker(s)" if ex.name != "serial" else kind


def _run_tasks(run: _Run, todo: list[tuple[SceneEntry, str]], levels_of: dict[str, Levels],
               manifest: Manifest, records: dict[str, TaskResult]) -> None:
    job = run.job
    out_dir = str(run.out)
    if job.command == "clip":
        fn: Callable[..., TaskResult] = clip_task
        jobs = [(s.path, s.reader, out_dir, s.name, job.clip, job.dataset) for s, _ in todo]
    else:
        fn = quicklook_task
        jobs = [(s.path, s.reader, out_dir, s.name, job.quicklook, levels_of.get(s.path), job.dataset)
                for s, _ in todo]
    last_save = time.monotonic()
    for i, res in run.ex().run(fn, jobs, run.should_cancel):
        s, key = todo[i]
        rec = res if isinstance(res, TaskResult) else TaskResult(s.path, s.name, FAILED,
                                                                  error=f"the worker failed: {res}")
        records[s.path] = rec
        if rec.status in (OK, SKIPPED):
            manifest.record(job.command, s.path, key, {"name": rec.name, "status": rec.status,
                                                       "outputs": rec.outputs, "facts": rec.facts,
                                                       "reason": rec.error})
        else:
            manifest.forget(job.command, s.path)
        run.tick(rec)
        if time.monotonic() - last_save > _SAVE_EVERY:
            manifest.save()
            last_save = time.monotonic()
    if run.should_cancel():
        run.cancelled = True


def _sheet_items(records: list[TaskResult]) -> list[SheetItem]:
    """The scenes with an output (done now or earlier) for the summaries."""
    items = []
    for r in records:
        if r.status not in (OK, SKIPPED) or not r.outputs:
            continue
        thumb = next((o for o in r.outputs if o.startswith(f"{THUMBS_DIR}/")), None)
        items.append(SheetItem(r.name, r.path, r.outputs[0], thumb, r.facts))
    return items
