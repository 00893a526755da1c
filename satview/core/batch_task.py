"""A whole batch as one request of a worker process (the app's Batch dialog sends it).

Discovery sniffs every file under the input folders, so it must not run in the GUI process; the
batch's own task processes start from here. Progress and cancel come from the worker layer
(``satview.workers.task.report_progress`` / ``should_cancel``).
"""

from __future__ import annotations

from dataclasses import replace

from satview.core.batch import BatchJob, BatchReport, TaskResult, run_batch
from satview.workers.task import report_progress, should_cancel


def _step(done: int, total: int, record: TaskResult | None) -> None:
    what = "measuring the pooled stretch" if record is None else f"{record.status}: {record.name}"
    report_progress(done / max(1, total), f"{done} / {total} — {what}")


def run_batch_job(job: BatchJob, aoi_file: str | None = None) -> BatchReport:
    """Run ``job`` (see :func:`satview.core.batch.run_batch`), reporting each finished step as progress
    ("3 / 10 — ok: LC09_...") and stopping when the request is cancelled. ``aoi_file``: the clip's
    AOI is read from this file (GeoJSON, WKT, Shapefile) here and replaces ``job.clip``'s."""
    if aoi_file is not None and job.clip is not None:
        from satview.core.aoi import load_aoi  # lazy: only with an AOI file: +~70 ms

        aoi = load_aoi(aoi_file)
        job = replace(job, clip=replace(job.clip, aoi_wkt=aoi.geometry.wkt, aoi_crs=aoi.crs.to_wkt(),
                                        aoi_name=aoi.name))
    return run_batch(job, progress=_step, should_cancel=should_cancel)
