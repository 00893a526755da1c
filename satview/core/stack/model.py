"""The values a stack is made of: a scene's :class:`SceneHeader` (where and when), a :class:`Stack`
(the scenes of one place by date) and a :class:`StackDiscovery` (the stacks found, the inputs left out).

Plain frozen values with no reader behind them: the app's GUI process receives them from its
workers and keeps them on the timeline without loading the readers that made them
(:mod:`satview.core.stack.headers`, :mod:`satview.core.stack.discover`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from satview.core.stretch import Levels
from satview.core.types import GeoGrid


@dataclass(frozen=True)
class SceneHeader:
    """One scene's place, date and identity, as the stack builder needs them.

    ``kind`` says which family the scene belongs to ("landsat", "nsidc-seaice", "modis",
    "raster"); ``place`` groups scenes of one place within the kind; ``row`` is the WRS-2 row of a
    Landsat scene (neighbouring rows of one path share a stack); ``rank`` orders duplicates of one
    date (the highest is kept: newer collection, higher level, later processing).
    """

    path: str
    kind: str
    place: tuple[Any, ...]
    label: str
    crs: str | None
    date: dt.date
    product_id: str | None = None
    cloud_cover: float | None = None
    row: int | None = None
    rank: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Stack:
    """Scenes of one place, sorted by date: ``kind`` and ``label`` say what place, ``crs`` its usual CRS."""

    kind: str
    label: str
    crs: str | None
    scenes: tuple[SceneHeader, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"kind", "label", "crs", "scenes": [{"path", "date", "product_id",
        "cloud_cover"}]}``."""
        return {
            "kind": self.kind,
            "label": self.label,
            "crs": self.crs,
            "scenes": [
                {"path": s.path, "date": s.date.isoformat(), "product_id": s.product_id,
                 "cloud_cover": s.cloud_cover}
                for s in self.scenes
            ],
        }


@dataclass
class StackDiscovery:
    """The stacks found, and every input that is in none of them with the reason."""

    stacks: list[Stack] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"stacks": [s.to_dict() for s in self.stacks],
                "ignored": [{"path": p, "reason": r} for p, r in self.ignored]}


@dataclass
class ChangeResult:
    """What :func:`write_change` did: the grid, pixel counts and the area per class (km²)."""

    path: str
    grid: GeoGrid
    quantity: str
    before_date: str | None
    after_date: str | None
    pixels_compared: int = 0
    pixels_masked: int = 0
    classes: dict[str, float] = field(default_factory=dict)
    convention: str = "AFTER - BEFORE"

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.path,
            "quantity": self.quantity,
            "before": self.before_date,
            "after": self.after_date,
            "convention": self.convention,
            "grid": {"crs": crs_label(self.grid.crs), "transform": list(self.grid.transform)[:6],
                     "width": self.grid.width, "height": self.grid.height},
            "pixels_compared": self.pixels_compared,
            "pixels_masked": self.pixels_masked,
            "area_km2": self.classes,
        }


@dataclass(frozen=True)
class FrameSpec:
    """What each frame shows: a composite preset, three bands, one band or an index (at most one);
    the app also passes what is on its screen: ``fixed_levels`` (physical values, used for every
    frame instead of levels computed from the dates) and the colour map ``cmap``."""

    preset: str | None = None
    bands: tuple[str, ...] | None = None
    band: str | None = None
    index: str | None = None
    fixed_levels: Levels | None = None
    cmap: str | None = None


def crs_label(crs: Any) -> str | None:
    """``EPSG:n`` when the CRS has an EPSG code, else its WKT; None without a CRS."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()
