"""Imported by the batch workers' fork server only: load the task modules once, before workers fork."""

from __future__ import annotations

import contextlib

from satview.core.batch.worker import warm

with contextlib.suppress(Exception):  # a failed warm-up only makes the first task slower
    warm()
