"""The window's areas of interest: drawn, imported or edited AOIs kept as core ``AOI`` values.

AOIs outlive the scene they were drawn on: when another scene opens they are kept and each is
marked by whether it overlaps that scene (the AOI panel greys out those that do not). Reading an
AOI file is reading the user's bytes, so it runs in a worker ("files" channel of
:class:`satview.qt.workers.Background`) and comes back as picklable values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from satview.core.types import GeoGrid, SceneInfo
from satview.errors import AOIError, ExportError
from satview.qt.session import Session, guard
from satview.qt.workers import Background

#: Most vertices an AOI outline is drawn with: each vertex of the selected AOI becomes a handle of its
#: editor (about 0.5 ms of GUI thread each to build). A reprojected AOI has its edges densified, so even
#: a 5-vertex box arrives with thousands of vertices.
MAX_DRAWN_VERTICES = 64

#: AOIs without a mark on the open scene that are marked in the GUI thread (a few ms each); more go
#: to a worker.
INLINE_MARKS = 4

if TYPE_CHECKING:  # satview.core.aoi loads shapely and pyproj: imported when AOIs are first used
    from satview.core.aoi import AOI
    from satview.core.aoi_marks import AoiMark


def drawable_ring(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``ring`` (grid pixels) with at most :data:`MAX_DRAWN_VERTICES` vertices, simplified (Douglas-Peucker,
    tolerance from a quarter pixel up) so the outline keeps its shape; editing a simplified outline keeps
    the simplified one."""
    if len(ring) <= MAX_DRAWN_VERTICES:
        return ring
    from shapely.geometry import Polygon

    poly, tol = Polygon(ring), 0.25
    for _ in range(80):  # the tolerance doubles; a ring with non-finite or absurd points may never shrink
        simple = poly.simplify(tol)
        if simple.is_empty or simple.geom_type != "Polygon":
            break
        pts = [(float(x), float(y)) for x, y in list(simple.exterior.coords)[:-1]]
        if len(pts) <= MAX_DRAWN_VERTICES:
            return pts
        tol *= 2
    step = -(-len(ring) // MAX_DRAWN_VERTICES)
    return ring[::step]


def _vertex_count(aoi: AOI) -> int:
    """Vertices of the outer ring(s) of ``aoi`` (closing vertices not counted), as the AOI list shows."""
    geom = aoi.geometry
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return sum(len(p.exterior.coords) - 1 for p in parts if p.geom_type == "Polygon")


@dataclass(frozen=True)
class AOISummary:
    """An AOI as the AOI panel lists it; ``bounds`` are in the AOI's CRS (the scene's for drawn ones).
    ``overlaps``: whether it overlaps the open scene (None when no scene is open)."""

    id: int
    name: str
    n_vertices: int
    area_km2: float
    bounds: tuple[float, float, float, float]
    overlaps: bool | None = None


class AoiStore(QObject):
    """AOIs by id, in the order they were added. ``sig_aois_changed(list[AOISummary])`` after every
    change and when another scene opens (overlap marks). ``aois`` is the latest list."""

    sig_aois_changed = Signal(list)

    def __init__(self, background: Background, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = background
        self.session = session
        self.aois: list[AOISummary] = []
        self._store: dict[int, AOI] = {}
        self._nverts: dict[int, int] = {}
        self._marks: dict[int, tuple[AOI, SceneInfo, AoiMark]] = {}  # id(AOI) -> (AOI, scene, its mark)
        self._rings: dict[int, tuple[AOI, SceneInfo, GeoGrid | None, list[tuple[float, float]]]] = {}
        self._marking: tuple[SceneInfo, frozenset[int]] | None = None  # asked of a worker, not answered
        self._emitting = False
        self._next = 1
        session.sig_scene_opened.connect(self._scene_opened)

    @property
    def scene_path(self) -> str | None:
        """The open scene's file (named in errors)."""
        return self.session.path

    def _scene_opened(self, _info: SceneInfo) -> None:
        if self._store:
            self._emit()

    # ---------------------------------------------------------------------------- summaries
    def _mark(self, aoi: AOI) -> AoiMark | None:
        """Where ``aoi`` lies on the open scene, None while it is being worked out (or no scene)."""
        known = self._marks.get(id(aoi))
        if known is not None and known[0] is aoi and known[1] is self.session.info:
            return known[2]
        return None

    def _mark_all(self) -> None:
        """Mark the AOIs not yet marked on the open scene: a few (one just drawn or edited) at once,
        more (a new scene, an imported file) in a worker; their outlines appear when it answers."""
        from satview.core.aoi_marks import mark_aoi, mark_aois

        info = self.session.info
        if info is None:
            return
        todo = {id(a): a for a in self._store.values() if self._mark(a) is None}
        if len(todo) <= INLINE_MARKS:
            for key, aoi in todo.items():
                self._marks[key] = (aoi, info, mark_aoi(aoi, info))
            return
        if self._marking == (info, frozenset(todo)):
            return  # asked already
        self._marking = (info, frozenset(todo))

        def done(marks: dict[int, AoiMark]) -> None:
            for key, mark in marks.items():
                self._marks[key] = (todo[key], info, mark)
            if info is self.session.info and not self._emitting:
                self._emit()

        self.background.run("files", mark_aois, todo, info, done=done, title="Cannot place the AOIs",
                            path=info.path, finished=lambda: setattr(self, "_marking", None))

    def _emit(self) -> None:
        live = {id(a) for a in self._store.values()}
        self._marks = {k: v for k, v in self._marks.items() if k in live}
        self._rings = {k: v for k, v in self._rings.items() if k in self._store}
        self._emitting = True
        try:
            self._mark_all()
        finally:
            self._emitting = False
        out = []
        for aid, aoi in self._store.items():
            try:
                area = aoi.area_km2()
            except AOIError:  # outside what lon/lat can express: no area to show
                area = float("nan")
            mark = self._mark(aoi)
            out.append(AOISummary(aid, aoi.name or f"AOI {aid}", self._nverts.get(aid, 0), area, aoi.bounds,
                                  None if mark is None else mark.overlaps))
        self.aois = out
        self.sig_aois_changed.emit(list(out))

    def _put(self, aoi: AOI, n_vertices: int, aoi_id: int | None = None) -> int:
        aid = self._next if aoi_id is None else aoi_id
        if aoi_id is None:
            self._next += 1
        self._store[aid] = aoi if aoi.name else replace(aoi, name=f"AOI {aid}")
        self._nverts[aid] = n_vertices
        return aid

    def aoi(self, aoi_id: int) -> AOI:
        """The AOI called ``aoi_id`` (an ``AOIError`` when there is none)."""
        try:
            return self._store[aoi_id]
        except KeyError:
            raise AOIError(f"there is no AOI number {aoi_id}") from None

    def last_id(self) -> int:
        """The id of the newest AOI (an ``AOIError`` when there is none)."""
        if not self._store:
            raise AOIError("draw or import an AOI first")
        return list(self._store)[-1]

    # ---------------------------------------------------------------------------- editing
    def _from_pixels(self, vertices: list[tuple[float, float]], grid: GeoGrid | None = None) -> AOI:
        """An AOI in the scene's CRS from (col, row) vertices in pixels of ``grid`` (default: the scene's;
        a reprojected view's grid for polygons drawn there: their edges follow the view's straight lines)."""
        from satview.core.aoi import from_pixel_polygon

        _, info = self.session.require_scene()
        aoi = from_pixel_polygon(list(vertices), grid or info.grid)
        if grid is None or info.grid.crs is None:
            return aoi
        aoi = aoi.to_crs(info.grid.crs)
        return replace(aoi, geometry=aoi.geometry.simplify(0.25 * min(info.grid.res)))

    def add_aoi(self, vertices: list[tuple[float, float]], grid: GeoGrid | None = None) -> int:
        """Add an AOI drawn as (col, row) vertices in pixels of ``grid`` (default: the scene grid);
        returns its id (-1 on failure)."""
        try:
            aid = self._put(self._from_pixels(vertices, grid), len(vertices))
        except Exception as exc:  # reported to the user, never lost
            self.background.fail(exc, "Cannot add the AOI", self.scene_path)
            return -1
        self._emit()
        return aid

    @guard("Cannot change the AOI")
    def update_aoi(self, aoi_id: int, vertices: list[tuple[float, float]],
                   grid: GeoGrid | None = None) -> None:
        """Replace the vertices of AOI ``aoi_id`` ((col, row) pixels of ``grid``, default the scene grid)."""
        old = self.aoi(aoi_id)
        self._put(replace(self._from_pixels(vertices, grid), name=old.name), len(vertices), aoi_id)
        self._emit()

    @guard("Cannot remove the AOI")
    def remove_aoi(self, aoi_id: int) -> None:
        """Forget AOI ``aoi_id`` (unknown ids are ignored)."""
        if self._store.pop(aoi_id, None) is not None:
            self._nverts.pop(aoi_id, None)
            self._emit()

    @guard("Cannot import AOIs")
    def import_aois(self, path: str) -> None:
        """Add the polygons of a vector file (one AOI per feature; GeoJSON, WKT, shapefile,
        GeoPackage, ...), read by ``core.aoi.read_aoi_file`` in a worker process."""
        from satview.core.aoi import read_aoi_file

        def done(found: list[AOI]) -> None:
            for aoi in found:
                self._put(aoi, _vertex_count(aoi))
            self._emit()

        self.background.run("files", read_aoi_file, str(path), done=done, title="Cannot import AOIs",
                            path=str(path))

    @guard("Cannot export AOIs")
    def export_aois(self, path: str) -> None:
        """Write every AOI to a GeoJSON FeatureCollection (lon/lat), one feature per AOI."""
        from satview.core.atomic import atomic_path

        if not self._store:
            raise AOIError("there are no AOIs to export")
        features = []
        for aid, aoi in self._store.items():
            for f in aoi.to_geojson()["features"]:
                f["properties"] = {"name": aoi.name or f"AOI {aid}", "id": aid}
                features.append(f)
        out = Path(path)
        try:
            with atomic_path(out) as tmp:  # temp name + fsync + rename, like every export
                tmp.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1),
                               encoding="utf-8")
        except ExportError:
            raise
        except OSError as exc:
            raise ExportError(f"cannot write the AOI file ({exc.strerror or exc})", out) from exc

    def aoi_vertices_pixels(self, aoi_id: int, grid: GeoGrid | None = None) -> list[tuple[float, float]]:
        """The AOI's outer ring as (col, row) pixels of ``grid`` (default: the open scene's grid; a
        reprojected view's grid to draw it there), largest part, for drawing; [] when it does not
        overlap the scene or is still being placed on it."""
        info = self.session.info
        if info is None:  # nothing to draw on (AOIs imported before any scene)
            return []
        try:
            aoi = self.aoi(aoi_id)
            mark = self._mark(aoi)  # None until the worker has placed it (then drawn)
            if mark is None or not mark.overlaps or mark.drawn is None:
                return []
            known = self._rings.get(aoi_id)  # every AOI change redraws all: reproject each only once
            if known is not None and known[0] is aoi and known[1] is info and known[2] is grid:
                return known[3]
            ring = self._ring(aoi_id, mark, info, grid or info.grid)
            self._rings[aoi_id] = (aoi, info, grid, ring)
            return ring
        except Exception as exc:  # reported to the user, never lost
            self.background.fail(exc, "Cannot draw the AOI", self.scene_path)
            return []

    def _ring(self, aoi_id: int, mark: AoiMark, info: SceneInfo, grid: GeoGrid) -> list[tuple[float, float]]:
        """The outline of a placed AOI in pixels of ``grid``."""
        assert grid.crs is not None and info.grid.crs is not None and mark.drawn is not None  # placed
        from satview.core.aoi import AOI

        on_scene = AOI(mark.drawn, info.grid.crs)
        moved = on_scene.to_crs(grid.crs)
        geom = moved.geometry
        if geom.geom_type != "Polygon":
            geom = max(geom.geoms, key=lambda g: g.area)
        inv = ~grid.transform
        xy = np.asarray(geom.exterior.coords, dtype=float)[:-1, :2]
        cols = inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c
        rows = inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f
        pixels = list(zip(cols.tolist(), rows.tolist(), strict=True))
        if len(pixels) > max(3, self._nverts.get(aoi_id, 0)):  # densified on the way: the corners
            from shapely.geometry import Polygon

            simple = Polygon(pixels).simplify(0.25)
            if simple.geom_type == "Polygon" and not simple.is_empty:
                pixels = [(float(c), float(r)) for c, r in list(simple.exterior.coords)[:-1]]
        return drawable_ring(pixels)
