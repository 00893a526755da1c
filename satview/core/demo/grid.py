"""The fixed facts of the demo scene: product id, dates, sun position and its 30 m UTM pixel grid."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from affine import Affine

#: Landsat 8 OLI/TIRS, Collection 2 Level-2 (SR + ST), WRS-2 path 42 row 34 (central California).
DEMO_PRODUCT_ID = "LC08_L2SP_042034_20210612_20210622_02_T1"
#: The Level-1 product the Level-2 product was made from (named in LEVEL1_PROCESSING_RECORD).
DEMO_L1_PRODUCT_ID = "LC08_L1TP_042034_20210612_20210622_02_T1"
DEMO_SCENE_ID = "LC80420342021163LGN00"
WRS_PATH, WRS_ROW = 42, 34
ACQUIRED = dt.datetime(2021, 6, 12, 18, 33, 12, 456789, tzinfo=dt.timezone.utc)
SCENE_CENTER_TIME = "18:33:12.4567890Z"
L1_GENERATED = dt.datetime(2021, 6, 22, 9, 41, 27, tzinfo=dt.timezone.utc)
L2_GENERATED = dt.datetime(2021, 6, 22, 9, 52, 3, tzinfo=dt.timezone.utc)

UTM_ZONE = 11
EPSG = 32600 + UTM_ZONE
PIXEL = 30.0
#: Scene centre (WGS84 lat, lon) the grids are centred on.
CENTER_LAT, CENTER_LON = 36.06, -119.33

#: (rows, cols) of the benchmark scene (``full=True``) and of the default ``satview demo`` scene.
FULL_SIZE = (7921, 7791)
DEFAULT_SIZE = (1981, 1948)


@dataclass(frozen=True)
class DemoGrid:
    """The pixel grid of one demo scene size.

    ``ul_x``/``ul_y`` are the *centre* of the upper-left pixel, as the MTL's
    CORNER_UL_PROJECTION_X/Y_PRODUCT (USGS files are PixelIsPoint); the GeoTIFF transform starts
    half a pixel further out, on a multiple of 15 m.
    """

    rows: int
    cols: int
    ul_x: float
    ul_y: float

    @property
    def transform(self) -> Affine:
        """Area-corner geotransform (what GDAL reports for the PixelIsPoint files)."""
        return Affine(PIXEL, 0.0, self.ul_x - PIXEL / 2, 0.0, -PIXEL, self.ul_y + PIXEL / 2)

    def corners_xy(self) -> dict[str, tuple[float, float]]:
        """Pixel-centre projection coordinates of the four corner pixels, keyed UL, UR, LL, LR."""
        right = self.ul_x + (self.cols - 1) * PIXEL
        bottom = self.ul_y - (self.rows - 1) * PIXEL
        return {
            "UL": (self.ul_x, self.ul_y),
            "UR": (right, self.ul_y),
            "LL": (self.ul_x, bottom),
            "LR": (right, bottom),
        }

    def corners_latlon(self) -> dict[str, tuple[float, float]]:
        """WGS84 (lat, lon) of the four corner pixel centres, keyed UL, UR, LL, LR."""
        from pyproj import Transformer  # lazy: only when generating: +~50 ms on a cached `satview demo`

        to_geo = Transformer.from_crs(EPSG, 4326, always_xy=True)
        out = {}
        for name, (x, y) in self.corners_xy().items():
            lon, lat = to_geo.transform(x, y)
            out[name] = (lat, lon)
        return out


def demo_grid(rows: int, cols: int) -> DemoGrid:
    """The grid of a ``rows`` x ``cols`` demo scene: centred in the full scene's 30 m grid.

    The full scene's upper-left pixel centre sits on a multiple of 300 m (like USGS grids); every
    smaller size is a centred window of that grid, so all sizes share pixel boundaries.
    """
    from pyproj import Transformer  # lazy: only when generating: +~50 ms on a cached `satview demo`

    cx, cy = Transformer.from_crs(4326, EPSG, always_xy=True).transform(CENTER_LON, CENTER_LAT)
    full_rows, full_cols = FULL_SIZE
    ul_x = round((cx - (full_cols - 1) / 2 * PIXEL) / 300.0) * 300.0
    ul_y = round((cy + (full_rows - 1) / 2 * PIXEL) / 300.0) * 300.0
    ul_x += ((full_cols - cols) // 2) * PIXEL
    ul_y -= ((full_rows - rows) // 2) * PIXEL
    return DemoGrid(rows, cols, ul_x, ul_y)


def earth_sun_distance(when: dt.datetime) -> float:
    """Earth-Sun distance in astronomical units (first-order orbit eccentricity formula)."""
    doy = when.timetuple().tm_yday
    return 1.0 - 0.01672 * math.cos(math.radians(0.9856 * (doy - 4)))


def sun_position(when: dt.datetime, lat: float, lon: float) -> tuple[float, float]:
    """Solar (azimuth, elevation) in degrees at ``when`` (UTC) and ``lat``/``lon`` (NOAA formulas).

    Azimuth is clockwise from north. Accurate to a few tenths of a degree, plenty for the MTL.
    """
    doy = when.timetuple().tm_yday
    hours = when.hour + when.minute / 60 + (when.second + when.microsecond * 1e-6) / 3600
    g = 2 * math.pi / 365 * (doy - 1 + (hours - 12) / 24)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )
    true_solar_minutes = hours * 60 + eqtime + 4 * lon
    ha = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zen = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    elevation = 90 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zen))))
    azimuth = (
        math.degrees(math.atan2(math.sin(ha), math.cos(ha) * math.sin(phi) - math.tan(decl) * math.cos(phi)))
        + 180
    )
    return azimuth % 360, elevation
