"""Exports of the open scene: clipped GeoTIFFs, quick-look PNGs and the sea-ice extent.

They run in the "export" worker of :class:`satview.qt.workers.Background`, so a long export never
delays the picture or the cursor readout, with progress in the status bar and Cancel.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from satview.core import requests
from satview.qt.aoi_store import AoiStore
from satview.qt.session import Session, guard
from satview.qt.workers import Background


class Exports(QObject):
    """Writes what the window shows. ``sig_task_finished(kind, result)`` when an export is done:
    kind "clip" (the core's ``ClipResult``), "quicklook" (its ``QuicklookResult``) or "extent" (a
    dict of extent and area); errors go to the background's error route."""

    sig_task_finished = Signal(str, object)

    def __init__(self, background: Background, session: Session, aois: AoiStore,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = background
        self.session = session
        self.aois = aois

    @property
    def scene_path(self) -> str | None:
        """The open scene's file (named in errors)."""
        return self.session.path

    def _export(self, kind: str, fn: Callable[..., Any], *args: Any, busy: str, title: str) -> None:
        self.background.run("export", fn, *args, done=lambda r: self.sig_task_finished.emit(kind, r),
                            title=title, path=self.session.path, busy=busy, progress=True)

    @guard("Export failed")
    def export_clip(self, out_path: str, *, aoi_id: int | None = None, bands: list[str] | None = None,
                    all_touched: bool = False, dst_crs: str | None = None, cog: bool = False) -> None:
        """Clip the scene to an AOI (default: the last one) into a GeoTIFF -> ``sig_task_finished("clip")``.

        ``bands`` default all; ``dst_crs`` reprojects the clip; ``cog`` writes a Cloud-Optimized GeoTIFF."""
        path, _ = self.session.require_scene()
        aoi = self.aois.aoi(self.aois.last_id() if aoi_id is None else aoi_id)
        self._export("clip", requests.clip, path, self.session.dataset, aoi, os.fspath(out_path), bands,
                     all_touched, dst_crs, cog, busy=f"Clipping to {Path(out_path).name}…",
                     title="Clip export failed")

    @guard("Export failed")
    def export_quicklook(self, out_path: str, size: int = 2048) -> None:
        """Write the current composite, stretch and overlays as a georeferenced PNG (long side
        ``size``) -> ``sig_task_finished("quicklook")``."""
        path, _ = self.session.require_scene()
        self._export("quicklook", requests.quicklook, path, self.session.dataset, self.session.display,
                     self.session.render_levels, os.fspath(out_path), int(size),
                     busy=f"Writing {Path(out_path).name}…", title="Quick-look export failed")

    @guard("Cannot measure the sea ice")
    def compute_extent_area(self) -> None:
        """Sea-ice extent and area -> ``sig_task_finished("extent", dict)``."""
        path, _ = self.session.require_scene()
        self._export("extent", requests.extent_area, path, self.session.dataset,
                     busy="Measuring sea-ice extent…", title="Cannot measure the sea ice")

    def cancel(self) -> None:
        """Cancel the running (and queued) exports; they end with a cancelled ``ErrorReport``."""
        self.background.cancel("export")
