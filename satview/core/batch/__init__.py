"""Batch quick-looks and clips over whole download folders, on a local process pool or a Dask cluster.

``run_batch(BatchJob(...))`` finds every scene under the inputs, skips those done before (a JSON
manifest in the output folder), optionally pools one stretch over all scenes, runs the picklable
task per scene on the chosen executor and writes index.html, contact_sheet.png and
footprints.geojson. Nothing here imports Qt or (until a Dask executor starts) Dask.
"""

from __future__ import annotations

from satview.core.batch.discover import Discovery, SceneEntry, discover
from satview.core.batch.executors import (
    BatchExecutor,
    DaskExecutor,
    LocalPoolExecutor,
    SerialExecutor,
    make_executor,
)
from satview.core.batch.options import ClipOptions, QuicklookOptions
from satview.core.batch.runner import BatchJob, BatchReport, run_batch
from satview.core.batch.tasks import CANCELLED, FAILED, OK, SKIPPED, TaskResult, clip_task, quicklook_task

__all__ = [
    "CANCELLED",
    "FAILED",
    "OK",
    "SKIPPED",
    "BatchExecutor",
    "BatchJob",
    "BatchReport",
    "ClipOptions",
    "DaskExecutor",
    "Discovery",
    "LocalPoolExecutor",
    "QuicklookOptions",
    "SceneEntry",
    "SerialExecutor",
    "TaskResult",
    "clip_task",
    "discover",
    "make_executor",
    "quicklook_task",
    "run_batch",
]
