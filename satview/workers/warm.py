"""Imported by the workers' fork server only: runs :func:`satview.workers.preload.warm` once, so that
every worker forked from it starts with the stack loaded."""

from __future__ import annotations

from satview.workers.preload import warm

warm()
