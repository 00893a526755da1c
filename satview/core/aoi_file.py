"""AOIs read from a file for the app's AOI list: one AOI per GeoJSON feature, named after the feature.

``load_aoi`` merges a file's polygons into one AOI (what ``satview clip --aoi`` wants); the app lists
each feature of a GeoJSON on its own instead. This reads the user's file, so the app runs it in a
worker process and gets back plain picklable values.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from satview.core.aoi import AOI, load_aoi


@dataclass(frozen=True)
class ImportedAOI:
    """One AOI of a file and the number of vertices of its outer ring(s) (the AOI list shows it)."""

    aoi: AOI
    n_vertices: int


def vertex_count(aoi: AOI) -> int:
    """Vertices of the outer ring(s) of ``aoi`` (closing vertices not counted)."""
    geom = aoi.geometry
    parts = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    return sum(len(p.exterior.coords) - 1 for p in parts)


def _features(path: Path) -> tuple[dict[str, Any] | None, list[Any]]:
    """The GeoJSON document and its features ([] when it is not a FeatureCollection)."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return None, []
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None, []  # load_aoi reports what is wrong with the file
    feats = doc.get("features") if isinstance(doc, dict) else None
    return doc, feats if isinstance(feats, list) else []


def _feature_name(feature: Any) -> str | None:
    props = feature.get("properties") if isinstance(feature, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    return str(name) if name else None


def read_aois(path: str | os.PathLike[str]) -> list[ImportedAOI]:
    """The AOIs of a GeoJSON (one per feature, named by its ``name`` property or "<stem> <n>"), WKT
    or Shapefile (one AOI). Raises ``AOIError`` naming the file when it holds no usable polygon."""
    p = Path(path)
    doc, feats = _features(p)
    aois: list[AOI] = []
    if doc is not None and len(feats) > 1:
        for i, feature in enumerate(feats, start=1):
            sub: dict[str, Any] = {"type": "FeatureCollection", "features": [feature]}
            if "crs" in doc:
                sub["crs"] = doc["crs"]
            aoi = load_aoi(json.dumps(sub))
            aois.append(replace(aoi, name=_feature_name(feature) or f"{p.stem} {i}"))
    else:
        aoi = load_aoi(p)
        name = _feature_name(feats[0]) if feats else None
        aois.append(replace(aoi, name=name) if name else aoi)
    return [ImportedAOI(a, vertex_count(a)) for a in aois]
