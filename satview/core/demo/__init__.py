"""satview's own synthetic Landsat 8 Collection 2 Level-2 scene, for ``satview demo``, benchmarks and tests.

``make_demo_scene()`` writes ``LC08_L2SP_042034_20210612_20210622_02_T1`` (WRS-2 path 42 row 34,
12 June 2021, UTM zone 11N / EPSG:32611) as a USGS-like bundle: ``_SR_B1`` .. ``_SR_B7``
(uint16, reflectance = DN * 2.75e-05 - 0.2, fill 0), ``_ST_B10`` (kelvin = DN * 0.00341802 + 149,
fill 0), ``_QA_PIXEL`` (Collection 2 bits, fill = 1), ``_QA_RADSAT`` and ``_MTL.txt/.xml/.json``
with the real Level-2 group layout (Level-1 groups reuse key names with Level-1 values). Every
band is a Cloud-Optimized GeoTIFF (512 px tiles, DEFLATE, overviews). The content is invented but
plausible: a tilted footprint with fill around it, an irrigated valley with field parcels, towns,
a river and lakes, grassland and bare soil rising to forested, snow-capped mountains, cumulus
clouds with their shadows, a thin cirrus patch. It depends only on the seed and the size.
"""

from __future__ import annotations

from satview.core.demo.grid import DEFAULT_SIZE, DEMO_PRODUCT_ID, FULL_SIZE
from satview.core.demo.package import make_demo_scene, output_path

__all__ = ["DEFAULT_SIZE", "DEMO_PRODUCT_ID", "FULL_SIZE", "describe", "make_demo_scene", "output_path"]


def describe() -> str:
    """A few lines saying what the demo scene is, for ``satview demo --help`` and the GUI."""
    (frows, fcols), (drows, dcols) = FULL_SIZE, DEFAULT_SIZE
    return (
        f"{DEMO_PRODUCT_ID}: a synthetic Landsat 8 OLI/TIRS Collection 2 Level-2 scene "
        "(WRS-2 042/034, 2021-06-12, UTM 11N, 30 m).\n"
        f"Default {dcols} x {drows} pixels; full size {fcols} x {frows} (the benchmark scene).\n"
        "SR bands 1-7, ST band 10, QA_PIXEL, QA_RADSAT and MTL .txt/.xml/.json as Cloud-Optimized "
        "GeoTIFFs in a .tar like a USGS download.\n"
        "Invented landscape: valley fields, towns, river and lakes, forested snowy mountains, "
        "clouds with shadows, cirrus."
    )
