"""The value through time that the app's Series dock plots: one call, positional arguments, so the
app's worker runs it as it is (no keyword plumbing across the process boundary)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from satview.core.aoi import AOI
from satview.core.stack.headers import SceneHeader
from satview.core.stack.quantity import Quantity
from satview.core.stack.seaice_series import seaice_series
from satview.core.stack.series import value_series


def series_through_time(scenes: Sequence[SceneHeader], quantity: Quantity | None, aoi: AOI | None,
                        lonlat: tuple[float, float] | None) -> list[dict[str, Any]]:
    """Rows of :func:`~satview.core.stack.series.value_series` for ``quantity`` over ``aoi`` or at
    ``lonlat``; ``quantity`` None: sea-ice extent and area
    (:func:`~satview.core.stack.seaice_series.seaice_series`, hemisphere-wide or inside ``aoi``)."""
    if quantity is None:
        return seaice_series(scenes, aoi=aoi)
    return value_series(scenes, quantity, aoi=aoi, lonlat=lonlat)
