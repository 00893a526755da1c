"""Where AOIs lie on a scene: for each, whether it overlaps the scene and its outline in the scene's CRS.

The app marks every AOI against each scene it opens. With hundreds of AOIs (an imported file of field
boundaries) that is seconds of reprojection, so the app runs :func:`mark_aois` in a worker and gets
values back; the outline is the AOI in the scene's CRS, or its part over the scene when the whole
has no image there (a hemisphere-wide AOI on a UTM scene).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon

from satview.core.aoi import AOI, ensure_overlap
from satview.core.types import SceneInfo
from satview.errors import AOIError


@dataclass(frozen=True)
class AoiMark:
    """``overlaps``: the AOI overlaps the scene; ``drawn``: then its outline in the scene's CRS."""

    overlaps: bool
    drawn: Polygon | MultiPolygon | None = None


def mark_aoi(aoi: AOI, info: SceneInfo) -> AoiMark:
    """The mark of one AOI on the scene ``info`` (no overlap, or the outline to draw)."""
    try:
        local = ensure_overlap(aoi, info)
    except AOIError:
        return AoiMark(False)
    assert info.grid.crs is not None  # ensure_overlap refuses a scene without one
    try:
        return AoiMark(True, aoi.to_crs(info.grid.crs).geometry)
    except AOIError:  # it reaches where the scene's CRS has no place: its part over the scene
        return AoiMark(True, local.geometry)


def mark_aois(aois: dict[int, AOI], info: SceneInfo) -> dict[int, AoiMark]:
    """:func:`mark_aoi` of each AOI, by the caller's key."""
    return {key: mark_aoi(aoi, info) for key, aoi in aois.items()}
