"""NSIDC polar stereographic grid presets: exact georeferencing, lon/lat <-> cell, and true cell areas.

The NSIDC sea-ice grids (NSIDC-0051, -0081, G02202/G10016 CDR, AMSR-E/AMSR2 products) are polar
stereographic grids with true scale at 70 deg N / 70 deg S and fixed outer edges:

==========  ================================  ===================================  ======================
hemisphere  x range (m)                       y range (m)                          25 km cols x rows
==========  ================================  ===================================  ======================
north       -3 850 000 ... 3 750 000          -5 350 000 ... 5 850 000             304 x 448
south       -3 950 000 ... 3 950 000          -3 950 000 ... 4 350 000             316 x 332
==========  ================================  ===================================  ======================

Every resolution (25, 12.5, 10, 6.25, 3.125 km) shares these edges. The CRS is EPSG:3411 / 3412
(Hughes 1980 ellipsoid) for the classic products and EPSG:3413 / 3976 (WGS 84) for the newer ones;
the two datums differ by about 0.001 deg at the same cell, so the datum matters for a < 0.001 deg
georeferencing. All transforms here force (x/east, y/north) and (lon, lat) order, because the EPSG
definitions of these CRSs declare unusual axis directions.

Polar stereographic is conformal, not equal-area: a 25 km x 25 km projected cell covers from about
0.61 (at the grid corners, near 31 deg N) to 1.06 (at the pole) times 625 km^2 on the ellipsoid.
:func:`cell_areas_km2` gives each cell's true area (nominal area / areal scale factor, PROJ's
``get_factors``), which is what sea-ice extent and area sums need.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
from affine import Affine

from satview.core.types import GeoGrid
from satview.errors import SatviewError

if TYPE_CHECKING:
    from rasterio.crs import CRS

#: Outer edges (left, top, right, bottom) in metres of the NSIDC grids, per hemisphere.
_EDGES: dict[str, tuple[float, float, float, float]] = {
    "north": (-3_850_000.0, 5_850_000.0, 3_750_000.0, -5_350_000.0),
    "south": (-3_950_000.0, 4_350_000.0, 3_950_000.0, -3_950_000.0),
}

#: EPSG code per (hemisphere, wgs84).
_EPSG: dict[tuple[str, bool], int] = {
    ("north", False): 3411,
    ("south", False): 3412,
    ("north", True): 3413,
    ("south", True): 3976,
}

#: Cell sizes (m) of the published NSIDC polar stereographic grids.
_CELL_SIZES: tuple[float, ...] = (25_000.0, 12_500.0, 10_000.0, 6_250.0, 3_125.0)

HUGHES_A = 6_378_273.0
HUGHES_B = 6_356_889.449
WGS84_A = 6_378_137.0


@dataclass(frozen=True)
class NsidcGrid:
    """One NSIDC polar stereographic grid: CRS (an EPSG code), affine transform (UL corner, north-up)
    and size. Plain data: the rasterio CRS is made on first use, so reading a year of sea-ice files
    for a series never loads rasterio."""

    name: str  # "nsidc-north-25km", "nsidc-south-12.5km-wgs84", ...
    hemisphere: str  # "north" or "south"
    epsg: int  # 3411, 3412 (Hughes 1980) or 3413, 3976 (WGS 84)
    transform: Affine
    width: int  # columns
    height: int  # rows
    cell_size: float  # metres

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return (self.height, self.width)

    @functools.cached_property
    def crs(self) -> CRS:
        """The grid's CRS as rasterio's ``CRS``."""
        from rasterio.crs import CRS

        return CRS.from_epsg(self.epsg)

    @property
    def wgs84(self) -> bool:
        """True for the WGS 84 variants (EPSG:3413 / 3976), False for Hughes 1980 (3411 / 3412)."""
        return self.epsg in (3413, 3976)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in metres."""
        left, top, right, bottom = _EDGES[self.hemisphere]
        return (left, bottom, right, top)

    def geogrid(self) -> GeoGrid:
        """This grid as a :class:`satview.core.types.GeoGrid`."""
        return GeoGrid(crs=self.crs, transform=self.transform, width=self.width, height=self.height)


def _km(cell: float) -> str:
    return f"{cell / 1000:g}km"


def _make_grids() -> tuple[NsidcGrid, ...]:
    grids: list[NsidcGrid] = []
    for wgs84 in (False, True):
        for hemisphere, (left, top, right, bottom) in _EDGES.items():
            epsg = _EPSG[(hemisphere, wgs84)]
            for cell in _CELL_SIZES:
                width = round((right - left) / cell)
                height = round((top - bottom) / cell)
                name = f"nsidc-{hemisphere}-{_km(cell)}" + ("-wgs84" if wgs84 else "")
                grids.append(
                    NsidcGrid(name, hemisphere, epsg, Affine(cell, 0.0, left, 0.0, -cell, top),
                              width, height, cell)
                )
    return tuple(grids)


#: Every NSIDC grid preset: Hughes 1980 (EPSG:3411/3412) first, then WGS 84 (EPSG:3413/3976).
NSIDC_GRIDS: tuple[NsidcGrid, ...] = _make_grids()


def nsidc_grid(name: str) -> NsidcGrid:
    """The preset called ``name`` (e.g. ``"nsidc-north-25km"``); raises ``SatviewError``."""
    for g in NSIDC_GRIDS:
        if g.name == name:
            return g
    raise SatviewError(f"no NSIDC grid called {name!r}; known: {', '.join(g.name for g in NSIDC_GRIDS)}")


def grid_for_shape(rows: int, cols: int, wgs84: bool = False) -> NsidcGrid | None:
    """The NSIDC grid with ``rows`` x ``cols`` cells (Hughes datum unless ``wgs84``), or None.

    The shape alone decides the hemisphere and the resolution: no two NSIDC grids share a shape.
    """
    for g in NSIDC_GRIDS:
        if g.height == rows and g.width == cols and g.wgs84 == wgs84:
            return g
    return None


def grid_for_cell_count(count: int, wgs84: bool = False) -> NsidcGrid | None:
    """The NSIDC grid with ``count`` cells in all (used to size a flat binary file), or None."""
    for g in NSIDC_GRIDS:
        if g.height * g.width == count and g.wgs84 == wgs84:
            return g
    return None


# --- matching a netCDF/HDF dataset to a preset ---------------------------------------------------

_EPSG_HEMI_DATUM: dict[int, tuple[str, bool]] = {v: k for k, v in _EPSG.items()}
_EPSG_RE = re.compile(r'EPSG(?:\s*:+\s*|"\s*,\s*"|\s+)(3411|3412|3413|3976)\b', re.IGNORECASE)
_SEMI_MAJOR_KEYS = ("semi_major_axis", "semimajor_axis", "semimajor_radius", "semi_major_radius")
_CRS_TEXT_KEYS = ("srid", "crs_wkt", "spatial_ref", "proj4text", "proj4", "proj4_string", "esri_pe_string",
                  "crs")


def _lower_keys(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in attrs.items()}


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("latin-1", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "SUO":
        return " ".join(_text(x) for x in v.ravel().tolist())
    return str(v)


def _number(v: Any) -> float | None:
    try:
        arr = np.asarray(v, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        try:
            return float(_text(v).strip())
        except ValueError:
            return None
    if arr.size == 0 or not math.isfinite(arr[0]):
        return None
    return float(arr[0])


def _hemisphere_hints(a: dict[str, Any]) -> list[str]:
    """Every hemisphere the attributes point to (may disagree; the caller decides)."""
    hints: list[str] = []
    lat0 = _number(a["latitude_of_projection_origin"]) if "latitude_of_projection_origin" in a else None
    if lat0 is not None and abs(abs(lat0) - 90.0) < 1e-6:
        hints.append("north" if lat0 > 0 else "south")
    lat_min = _number(a["geospatial_lat_min"]) if "geospatial_lat_min" in a else None
    lat_max = _number(a["geospatial_lat_max"]) if "geospatial_lat_max" in a else None
    if lat_min is not None and lat_min >= 0:
        hints.append("north")
    elif lat_max is not None and lat_max <= 0:
        hints.append("south")
    for key in ("hemisphere", "region"):
        if key in a:
            t = _text(a[key]).strip().lower()
            if t in ("n", "nh", "north", "northern", "arctic", "northern hemisphere"):
                hints.append("north")
            elif t in ("s", "sh", "south", "southern", "antarctic", "southern hemisphere"):
                hints.append("south")
    if "filename" in a:
        name = _text(a["filename"]).replace("\\", "/").rsplit("/", 1)[-1].lower()
        if re.search(r"(?:^|[_.-])nh(?:[_.-]|$)", name) or re.search(r"_n\.(?:bin|nc|h5|he5|hdf)$", name):
            hints.append("north")
        elif re.search(r"(?:^|[_.-])sh(?:[_.-]|$)", name) or re.search(r"_s\.(?:bin|nc|h5|he5|hdf)$", name):
            hints.append("south")
    for key in _CRS_TEXT_KEYS:
        if key in a:
            m = _EPSG_RE.search(_text(a[key]))
            if m:
                hints.append(_EPSG_HEMI_DATUM[int(m.group(1))][0])
    return hints


def _datum_hint(a: dict[str, Any]) -> bool | None:
    """True for WGS 84, False for Hughes 1980, None when the attributes do not say."""
    for key in _CRS_TEXT_KEYS:  # an explicit EPSG code wins
        if key in a:
            m = _EPSG_RE.search(_text(a[key]))
            if m:
                return _EPSG_HEMI_DATUM[int(m.group(1))][1]
    semi_major = next((_number(a[k]) for k in _SEMI_MAJOR_KEYS if k in a), None)
    if semi_major is not None:
        if abs(semi_major - HUGHES_A) < 0.5:
            return False
        if abs(semi_major - WGS84_A) < 0.5:
            return True
    for key in _CRS_TEXT_KEYS:
        if key in a:
            t = _text(a[key]).lower()
            if "hughes" in t or "6378273" in t:
                return False
            if "wgs 84" in t or "wgs84" in t or "6378137" in t or "datum=wgs84" in t:
                return True
    return None


def match_nsidc_grid(shape: tuple[int, ...], hemisphere: str | None,
                     attrs: Mapping[str, Any] | None) -> NsidcGrid | None:
    """The NSIDC grid a dataset of ``shape`` lies on, judged from its shape and attributes, or None.

    For readers of netCDF/HDF sea-ice files whose own georeferencing may be missing or wrong.
    ``shape`` is the array shape (the last two axes are rows, cols). ``hemisphere`` is the caller's
    own hint ("north"/"south", also "n"/"nh"/"s"/"sh") or None. ``attrs`` are the global attributes
    and/or the grid-mapping variable's attributes merged (keys compared case-insensitively), plus
    optionally ``attrs["filename"]`` = the file's name.

    Rules:

    1. The shape must be one of the NSIDC grids (304 x 448 north, 316 x 332 south at 25 km, and the
       finer grids sharing their edges); the shape alone fixes hemisphere and resolution.
    2. Hemisphere hints must not contradict the shape; otherwise the result is None (the metadata
       is inconsistent and no preset should be trusted blindly). Hints: the ``hemisphere`` argument,
       ``latitude_of_projection_origin`` +90/-90, ``geospatial_lat_min`` >= 0 (north) or
       ``geospatial_lat_max`` <= 0 (south), a ``hemisphere``/``region`` attribute, ``_nh_``/``_sh_``
       (or a ``_n.bin``/``_s.bin``-style suffix) in ``filename``, and an EPSG code in ``srid``,
       ``crs_wkt``, ``spatial_ref``, ``proj4text``.
    3. Datum: an EPSG code 3413/3976 (e.g. srid ``urn:ogc:def:crs:EPSG::3413``) or
       ``semi_major_axis`` (or ``semimajor_axis``/``semimajor_radius``) 6378137 or WGS 84 named
       in the CRS text selects the WGS 84 grid (EPSG:3413/3976); EPSG 3411/3412, a semi-major
       axis of 6378273 or a Hughes ellipsoid selects EPSG:3411/3412. An explicit EPSG code beats
       ellipsoid parameters. With no datum information the Hughes grid is returned, which is what
       NSIDC-0051/-0081 and the G02202 CDR use.

    Whether the file's own GeoTransform / coordinate variables agree with the preset is left to the
    caller; ``NsidcGrid.transform`` is the reference to compare them with.
    """
    if len(shape) < 2:
        return None
    rows, cols = int(shape[-2]), int(shape[-1])
    a = _lower_keys(attrs or {})
    wgs84 = _datum_hint(a)
    grid = grid_for_shape(rows, cols, wgs84=bool(wgs84))
    if grid is None:
        return None
    hints = _hemisphere_hints(a)
    if hemisphere:
        h = hemisphere.strip().lower()
        h = {"n": "north", "nh": "north", "arctic": "north", "s": "south", "sh": "south",
             "antarctic": "south"}.get(h, h)
        hints.append(h)
    if any(h != grid.hemisphere for h in hints):
        return None
    return grid


# --- lon/lat <-> cell --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _transformer(epsg_or_wkt: str, inverse: bool) -> pyproj.Transformer:
    crs = pyproj.CRS.from_user_input(epsg_or_wkt)
    if inverse:
        return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _out(value: np.ndarray, scalar: bool) -> Any:
    return value.item() if scalar else value


def geog2stereo(lon: Any, lat: Any, grid: NsidcGrid, *, check: bool = True) -> tuple[Any, Any]:
    """(row, col) of the cell of ``grid`` that contains the point (lon, lat) in degrees.

    Scalars give ints, arrays give int64 arrays. With ``check`` (default) a point outside the grid
    (or one that cannot be projected, such as the opposite pole) raises ``SatviewError``; with
    ``check=False`` the indices are returned as they are (may be negative or too large; -1 for
    points that cannot be projected).
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    x, y = _transformer(f"EPSG:{grid.epsg}", False).transform(lon_a, lat_a)
    col_f, row_f = ~grid.transform * (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    col_f = np.asarray(col_f, dtype=np.float64)
    row_f = np.asarray(row_f, dtype=np.float64)
    ok = np.isfinite(col_f) & np.isfinite(row_f) & (np.abs(lat_a) <= 90.0)
    row = np.where(ok, np.floor(np.where(ok, row_f, 0.0)), -1).astype(np.int64)
    col = np.where(ok, np.floor(np.where(ok, col_f, 0.0)), -1).astype(np.int64)
    if check:
        inside = ok & (row >= 0) & (row < grid.height) & (col >= 0) & (col < grid.width)
        if not np.all(inside):
            bad = int(np.flatnonzero(~np.broadcast_to(inside, row.shape).ravel())[0]) if row.ndim else 0
            blon = float(np.broadcast_to(lon_a, row.shape).ravel()[bad]) if row.ndim else float(lon_a)
            blat = float(np.broadcast_to(lat_a, row.shape).ravel()[bad]) if row.ndim else float(lat_a)
            raise SatviewError(
                f"the point lon {blon:.6f}, lat {blat:.6f} lies outside the {grid.name} grid "
                f"({grid.width} x {grid.height} cells, {grid.hemisphere}ern hemisphere)"
            )
    return _out(row, scalar), _out(col, scalar)


def stereo2geog(row: Any, col: Any, grid: NsidcGrid) -> tuple[Any, Any]:
    """(lon, lat) in degrees of the centre of cell (row, col) of ``grid`` (scalars or arrays)."""
    scalar = np.ndim(row) == 0 and np.ndim(col) == 0
    r = np.asarray(row, dtype=np.float64)
    c = np.asarray(col, dtype=np.float64)
    x, y = grid.transform * (c + 0.5, r + 0.5)
    lon, lat = _transformer(f"EPSG:{grid.epsg}", True).transform(np.asarray(x), np.asarray(y))
    return _out(np.asarray(lon, dtype=np.float64), scalar), _out(np.asarray(lat, dtype=np.float64), scalar)


def footprint_lonlat(grid: NsidcGrid, densify: int = 64) -> Any:
    """The grid's footprint in lon/lat as a shapely polygon: the polar cap it covers.

    The grid contains its pole, so its outline in lon/lat is not a simple ring; the footprint is
    the box from 180 W to 180 E and from the grid's lowest edge latitude to the pole.
    """
    from shapely.geometry import box  # shapely only for footprints: a series of sea-ice files never loads it

    t = np.linspace(0.0, 1.0, densify + 1)
    w, h = grid.width, grid.height
    cols = np.concatenate([t * w, np.full_like(t, w), t * w, np.zeros_like(t)])
    rows = np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), t * h])
    x, y = grid.transform * (cols, rows)
    _, lat = _transformer(f"EPSG:{grid.epsg}", True).transform(np.asarray(x), np.asarray(y))
    lat = np.asarray(lat)
    if grid.hemisphere == "north":
        return box(-180.0, float(np.nanmin(lat)), 180.0, 90.0)
    return box(-180.0, -90.0, 180.0, float(np.nanmax(lat)))


def cell_centers_lonlat(grid: NsidcGrid) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) arrays of shape (rows, cols) of every cell centre, like NSIDC's psn25lons/lats."""
    r, c = np.mgrid[0 : grid.height, 0 : grid.width]
    return stereo2geog(r, c, grid)


# --- true cell areas ----------------------------------------------------------------------------

def _grid_facts(grid: Any) -> tuple[pyproj.CRS, Affine, int, int]:
    """(PROJ CRS, transform, width, height) of an :class:`NsidcGrid` (from its EPSG code) or a grid
    with a rasterio ``crs``."""
    if isinstance(grid, NsidcGrid):
        return pyproj.CRS.from_epsg(grid.epsg), grid.transform, grid.width, grid.height
    crs = getattr(grid, "crs", None)
    if crs is None:
        raise SatviewError("the grid has no CRS, so its cell areas are unknown")
    return pyproj.CRS.from_user_input(crs.to_wkt()), grid.transform, int(grid.width), int(grid.height)


def cell_areas_km2(grid: Any) -> np.ndarray:
    """True ellipsoidal area (km^2) of every cell of a projected grid, as a (rows, cols) float64 array.

    ``grid`` is an :class:`NsidcGrid` or anything with ``crs``, ``transform``, ``width``, ``height``
    in a projected CRS with metre units (e.g. a ``GeoGrid``). The area is the nominal projected cell
    area divided by the areal scale factor (k^2 for a conformal projection) at the cell centre,
    from PROJ's ``get_factors``; for 25 km polar stereographic cells this agrees with the geodesic
    polygon area of the cell to about 1e-6.
    """
    if isinstance(grid, NsidcGrid):
        return _preset_areas(grid.name).copy()
    return _cell_areas(grid)


@functools.lru_cache(maxsize=8)
def _preset_areas(name: str) -> np.ndarray:
    areas = _cell_areas(nsidc_grid(name))
    areas.flags.writeable = False
    return areas


def _cell_areas(grid: Any) -> np.ndarray:
    pcrs, transform, width, height = _grid_facts(grid)
    if not pcrs.is_projected:
        raise SatviewError("cell areas need a projected grid (metres), not geographic coordinates")
    unit = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
    nominal_m2 = abs(transform.a * transform.e - transform.b * transform.d) * unit * unit
    r, c = np.mgrid[0:height, 0:width]
    x, y = transform * (c + 0.5, r + 0.5)
    to_geo = pyproj.Transformer.from_crs(pcrs, pcrs.geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    proj = pyproj.Proj(pcrs)
    factors = proj.get_factors(np.asarray(lon), np.asarray(lat), errcheck=False)
    areal = np.asarray(factors.areal_scale, dtype=np.float64).reshape(height, width)
    with np.errstate(divide="ignore", invalid="ignore"):
        area = nominal_m2 / areal / 1e6
    return np.where(np.isfinite(area) & (areal > 0), area, np.nan)


def cell_polygon_area_km2(grid: Any, row: int, col: int, densify: int = 32) -> float:
    """Geodesic area (km^2) of one cell: its outline densified, unprojected, measured on the ellipsoid.

    An independent check of :func:`cell_areas_km2` (slow; for a few cells only).
    """
    pcrs, transform, _, _ = _grid_facts(grid)
    t = np.linspace(0.0, 1.0, densify + 1)[:-1]
    cols = np.concatenate([col + t, np.full_like(t, col + 1.0), col + 1.0 - t, np.full_like(t, float(col))])
    rows = np.concatenate([np.full_like(t, float(row)), row + t, np.full_like(t, row + 1.0), row + 1.0 - t])
    x, y = transform * (cols, rows)
    to_geo = pyproj.Transformer.from_crs(pcrs, pcrs.geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform(np.asarray(x), np.asarray(y))
    ell = pcrs.ellipsoid
    assert ell is not None
    geod = pyproj.Geod(a=ell.semi_major_metre, b=ell.semi_minor_metre)
    area, _ = geod.polygon_area_perimeter(np.asarray(lon), np.asarray(lat))
    return abs(float(area)) / 1e6


def nsidc_grid_of(grid: Any, tolerance_m: float = 1.0) -> NsidcGrid | None:
    """The NSIDC preset a scene grid (``GeoGrid`` or alike) is, or None.

    Same size, the same transform within ``tolerance_m``, and a CRS that places lon/lat points
    within ``tolerance_m`` of the preset's CRS (so a PROJ-string copy of EPSG:3411 matches it).
    The WGS 84 and Hughes variants are told apart by the CRS.
    """
    crs = getattr(grid, "crs", None)
    if crs is None:
        return None
    t = grid.transform
    for g in NSIDC_GRIDS:
        if (g.width, g.height) != (int(grid.width), int(grid.height)):
            continue
        if any(abs(p - q) > tolerance_m for p, q in zip(tuple(t)[:6], tuple(g.transform)[:6], strict=True)):
            continue
        if _same_projection(crs, g, tolerance_m):
            return g
    return None


def _same_projection(crs: CRS, grid: NsidcGrid, tolerance_m: float) -> bool:
    lat = 75.0 if grid.hemisphere == "north" else -75.0
    lons = np.array([-135.0, -45.0, 45.0, 135.0, 0.0])
    lats = np.array([lat, lat, lat, lat, 60.0 if lat > 0 else -60.0])
    try:
        fwd = pyproj.Transformer.from_crs("EPSG:4326", pyproj.CRS.from_user_input(crs.to_wkt()),
                                          always_xy=True)
        x1, y1 = fwd.transform(lons, lats)
    except Exception:  # a CRS PROJ cannot build is simply not this NSIDC grid
        return False
    x2, y2 = _transformer(f"EPSG:{grid.epsg}", False).transform(lons, lats)
    d = np.hypot(np.asarray(x1) - np.asarray(x2), np.asarray(y1) - np.asarray(y2))
    return bool(np.all(np.isfinite(d)) and np.all(d <= tolerance_m))
