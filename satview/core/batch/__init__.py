"""Batch quick-looks and clips over whole download folders, on a local process pool or a Dask cluster.

``run_batch(BatchJob(...))`` finds every scene under the inputs, skips those done before (a JSON
manifest in the output folder), optionally pools one stretch over all scenes, runs the picklable
task per scene on the chosen executor and writes index.html, contact_sheet.png and
footprints.geojson. Nothing here imports Qt or (until a Dask executor starts) Dask.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Eager: light (no pool), and the function ``discover`` must shadow its submodule of the same name.
from satview.core.batch.discover import Discovery, SceneEntry, discover

if TYPE_CHECKING:
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

#: Where each other public name lives. Loaded on first use, so the stack discovery (which uses
#: ``discover``) does not load the executors, the worker pool or pebble.
_HOMES = {
    **dict.fromkeys(("BatchExecutor", "DaskExecutor", "LocalPoolExecutor", "SerialExecutor", "make_executor"),
                    "executors"),
    **dict.fromkeys(("ClipOptions", "QuicklookOptions"), "options"),
    **dict.fromkeys(("BatchJob", "BatchReport", "run_batch"), "runner"),
    **dict.fromkeys(("CANCELLED", "FAILED", "OK", "SKIPPED", "TaskResult", "clip_task", "quicklook_task"),
                    "tasks"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


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
