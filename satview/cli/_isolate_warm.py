"""Imported by the CLI's fork server only: register GDAL's drivers once, before children are forked."""

from __future__ import annotations

import contextlib

import rasterio

import satview.core.env  # noqa: F401  (satview's GDAL options)

with contextlib.suppress(Exception), rasterio.Env():
    pass  # entering an environment registers every GDAL driver (about 0.2 s), inherited by each child
