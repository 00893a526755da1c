"""Landsat metadata layer (pure Python): product ids, scene facts, band names and calibration.

Nothing here reads pixels or imports GDAL/Qt; the scene reader combines these with raster I/O.
"""

from __future__ import annotations

from satview.core.landsat.bands import band_files, band_name_from_filename, band_role
from satview.core.landsat.describe import BandDescription, describe_band
from satview.core.landsat.metadata import landsat_info
from satview.core.landsat.product_id import ProductId, parse_product_id
from satview.core.landsat.radiometry import earth_sun_distance

__all__ = [
    "BandDescription",
    "ProductId",
    "band_files",
    "band_name_from_filename",
    "band_role",
    "describe_band",
    "earth_sun_distance",
    "landsat_info",
    "parse_product_id",
]
