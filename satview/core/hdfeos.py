"""HDF-EOS2 ``StructMetadata`` (ODL) parsing and grid georeferencing: grid, CRS and transform."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from affine import Affine
from rasterio.crs import CRS

from satview.core.odl import parse_odl_tree
from satview.errors import MetadataError

#: The MODIS land grid sphere (sinusoidal tiles, EASE-Grid-like products use 6371228).
MODIS_SPHERE_RADIUS = 6371007.181

#: GCTP spheroid codes (``SphereCode``) with their PROJ ellipsoid parameters.
GCTP_SPHEROIDS: dict[int, str] = {
    0: "+ellps=clrk66",
    1: "+ellps=clrk80",
    2: "+ellps=bessel",
    3: "+ellps=new_intl",
    4: "+ellps=intl",
    5: "+ellps=WGS72",
    6: "+ellps=evrst30",
    7: "+ellps=WGS66",
    8: "+ellps=GRS80",
    9: "+ellps=airy",
    10: "+ellps=evrst48",
    11: "+ellps=mod_airy",
    12: "+ellps=WGS84",
    13: "+a=6378155 +b=6356773.3205",
    14: "+ellps=aust_SA",
    15: "+ellps=krass",
    16: "+ellps=hough",
    17: "+ellps=fschr60",
    18: "+ellps=fschr68",
    19: "+R=6370997",
    20: "+ellps=helmert",
    21: "+ellps=intl",
}

# --- ODL ---------------------------------------------------------------------------------------


def parse_odl(text: str) -> dict[str, Any]:
    """Parse ODL text (HDF-EOS ``StructMetadata``) into nested dicts.

    ``GROUP``/``OBJECT`` blocks become dicts under their name; ``KEY=VALUE`` lines become Python
    values (str, int, float or tuples of them). Values spanning lines (open parentheses) are joined.
    The tokenising is the shared ODL parser's (:func:`satview.core.odl.parse_odl_tree`); lists become tuples.
    """
    return _tuples(parse_odl_tree(text.replace("\x00", "")).top)


def _tuples(value: Any) -> Any:
    """``value`` with every list in it (at any depth) made a tuple."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


# --- grids -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EosGrid:
    """One HDF-EOS2 grid: size, corners in projection units, projection and its data fields."""

    name: str
    xdim: int
    ydim: int
    upper_left: tuple[float, float] | None
    lower_right: tuple[float, float] | None
    projection: str
    proj_params: tuple[float, ...] = ()
    sphere_code: int | None = None
    zone_code: int | None = None
    origin: str = "HDFE_GD_UL"
    registration: str = "HDFE_CENTER"
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field name -> DimList
    source: str = "StructMetadata"  # or "OldStructMetadata"


def grids_from_metadata(text: str, source: str = "StructMetadata") -> list[EosGrid]:
    """Every grid of a ``StructMetadata`` text (empty when it defines none)."""
    tree = parse_odl(text)
    structure = tree.get("GridStructure", {})
    grids: list[EosGrid] = []
    for block in structure.values():
        if not isinstance(block, dict) or "GridName" not in block:
            continue
        fields: dict[str, tuple[str, ...]] = {}
        for obj in block.get("DataField", {}).values():
            if isinstance(obj, dict) and "DataFieldName" in obj:
                dims = obj.get("DimList", ())
                fields[str(obj["DataFieldName"])] = tuple(str(d) for d in (
                    dims if isinstance(dims, tuple) else (dims,)))
        params = block.get("ProjParams", ())
        try:
            grids.append(
                EosGrid(
                    name=str(block["GridName"]),
                    xdim=int(block.get("XDim", 0)),
                    ydim=int(block.get("YDim", 0)),
                    upper_left=_pair(block.get("UpperLeftPointMtrs")),
                    lower_right=_pair(block.get("LowerRightMtrs")),
                    projection=str(block.get("Projection", "")),
                    proj_params=tuple(float(p) for p in (params if isinstance(params, tuple) else (params,))),
                    sphere_code=_int_or_none(block.get("SphereCode")),
                    zone_code=_int_or_none(block.get("ZoneCode")),
                    origin=str(block.get("GridOrigin", "HDFE_GD_UL")),
                    registration=str(block.get("PixelRegistration", "HDFE_CENTER")),
                    fields=fields,
                    source=source,
                )
            )
        except TypeError as exc:  # a value of the wrong shape, e.g. a list where a number belongs
            raise ValueError(f"grid {block['GridName']}: {exc}") from exc
    return grids


def _pair(value: Any) -> tuple[float, float] | None:
    if isinstance(value, tuple) and len(value) == 2:
        try:
            return (float(value[0]), float(value[1]))
        except (TypeError, ValueError):
            return None
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def find_grid(grids: list[EosGrid], dataset: str, shape: tuple[int, ...],
              dim_names: tuple[str, ...] = ()) -> EosGrid | None:
    """The grid a dataset belongs to, or None.

    A grid matches when it lists the dataset among its data fields (or a dimension is named
    ``"YDim:<grid name>"``, the HDF-EOS naming of SDS dimensions) *and* its ``YDim``/``XDim``
    equal the dataset's last two dimensions. Grids are tried in the order given, so pass the
    current ``StructMetadata`` grids before ``OldStructMetadata`` ones (a subset file keeps the
    original tile in the old metadata, and only the current one fits the subset's shape).
    """
    if len(shape) < 2:
        return None
    rows, cols = shape[-2], shape[-1]
    suffixes = {d.split(":", 1)[1] for d in dim_names if ":" in d}

    def fits(g: EosGrid) -> bool:
        return (g.ydim, g.xdim) == (rows, cols)

    for g in grids:
        if (dataset in g.fields or g.name in suffixes) and fits(g):
            return g
    return None


# --- CRS and transform -------------------------------------------------------------------------


def dms_to_degrees(packed: float) -> float:
    """GCTP packed DMS (``DDDMMMSSS.SS``, e.g. -180000000.0 = -180°) to decimal degrees."""
    sign = -1.0 if packed < 0 else 1.0
    v = abs(packed)
    deg = math.floor(v / 1_000_000.0)
    minutes = math.floor((v - deg * 1_000_000.0) / 1000.0)
    seconds = v - deg * 1_000_000.0 - minutes * 1000.0
    return sign * (deg + minutes / 60.0 + seconds / 3600.0)


def _ellipsoid(grid: EosGrid, default: str = "+ellps=clrk66") -> str:
    """PROJ ellipsoid terms from ProjParams[0:2] (GCTP rule) or else the SphereCode."""
    p = list(grid.proj_params) + [0.0] * 2
    a, b = p[0], p[1]
    if a > 0:
        if b == 0:
            return f"+R={a:.12g}"
        if 0 < b < 1:
            return f"+a={a} +es={b}"
        return f"+a={a} +b={b}"
    if grid.sphere_code is not None and grid.sphere_code in GCTP_SPHEROIDS:
        return GCTP_SPHEROIDS[grid.sphere_code]
    return default


def proj_string(grid: EosGrid) -> str | None:
    """The PROJ string of the grid's projection; None for an unsupported GCTP code."""
    p = list(grid.proj_params) + [0.0] * 13
    ell = _ellipsoid(grid)
    fe_fn = f"+x_0={p[6]:g} +y_0={p[7]:g}"
    proj = grid.projection.upper()
    if proj == "GCTP_SNSOID":
        return f"+proj=sinu +lon_0={dms_to_degrees(p[4]):g} {fe_fn} {ell} +units=m +no_defs"
    if proj == "GCTP_GEO":
        return None  # handled by grid_crs (EPSG:4326)
    if proj == "GCTP_PS":
        lat_ts = dms_to_degrees(p[5])
        lat_0 = -90 if lat_ts < 0 else 90
        return (f"+proj=stere +lat_0={lat_0} +lat_ts={lat_ts:g} +lon_0={dms_to_degrees(p[4]):g} "
                f"{fe_fn} {_ellipsoid(grid, '+ellps=WGS84')} +units=m +no_defs")
    if proj == "GCTP_LAMAZ":
        return (f"+proj=laea +lat_0={dms_to_degrees(p[5]):g} +lon_0={dms_to_degrees(p[4]):g} "
                f"{fe_fn} {_ellipsoid(grid, '+R=6370997')} +units=m +no_defs")
    if proj == "GCTP_ALBERS":
        return (f"+proj=aea +lat_1={dms_to_degrees(p[2]):g} +lat_2={dms_to_degrees(p[3]):g} "
                f"+lat_0={dms_to_degrees(p[5]):g} +lon_0={dms_to_degrees(p[4]):g} {fe_fn} {ell} "
                "+units=m +no_defs")
    if proj == "GCTP_UTM" and grid.zone_code:
        south = " +south" if grid.zone_code < 0 else ""
        ell = _ellipsoid(grid, "+ellps=WGS84")
        return f"+proj=utm +zone={abs(grid.zone_code)}{south} {ell} +units=m +no_defs"
    return None


_CRS_NAMES = {
    "GCTP_SNSOID": "Sinusoidal",
    "GCTP_PS": "Polar Stereographic",
    "GCTP_LAMAZ": "Lambert Azimuthal Equal Area",
    "GCTP_ALBERS": "Albers Equal Area",
    "GCTP_UTM": "UTM",
}


def grid_crs(grid: EosGrid) -> CRS | None:
    """The grid's CRS (geographic grids: EPSG:4326); None when the projection is not supported
    (or its parameters make no valid CRS).

    Projected CRSs are named after the projection (``"MODIS Sinusoidal"`` on the MODIS sphere).
    """
    from pyproj import CRS as ProjCRS
    from pyproj.exceptions import CRSError

    if grid.projection.upper() == "GCTP_GEO":
        return CRS.from_epsg(4326)
    text = proj_string(grid)
    if not text:
        return None
    title = _CRS_NAMES.get(grid.projection.upper(), grid.projection)
    if f"+R={MODIS_SPHERE_RADIUS:.12g} " in text:
        title = f"MODIS {title}"
    try:
        spec = ProjCRS.from_proj4(text).to_json_dict()
    except CRSError:  # parameters PROJ rejects (an infinite radius, ...): no usable CRS
        return None
    spec["name"] = f"{title} (HDF-EOS grid {grid.name})"
    return CRS.from_wkt(ProjCRS.from_json_dict(spec).to_wkt())


def grid_corners(grid: EosGrid) -> tuple[tuple[float, float], tuple[float, float]]:
    """Upper-left and lower-right corners (outer cell edges) in CRS units (degrees for GEO)."""
    if grid.upper_left is None or grid.lower_right is None:
        raise MetadataError(f"grid {grid.name} has no UpperLeftPointMtrs/LowerRightMtrs")
    (ulx, uly), (lrx, lry) = grid.upper_left, grid.lower_right
    values = (ulx, uly, lrx, lry)
    # GEO corners are packed DMS; a writer that stored plain degrees gives values <= 360 all round
    # (in packed DMS that would be a grid within 0.1 degree of (0, 0), which no product is)
    if grid.projection.upper() == "GCTP_GEO" and max(abs(v) for v in values) > 360.0:
        ulx, uly, lrx, lry = (dms_to_degrees(v) for v in values)
    return (ulx, uly), (lrx, lry)


def grid_transform(grid: EosGrid, rows: int | None = None, cols: int | None = None) -> Affine:
    """Affine transform from the grid corners, divided into ``rows`` x ``cols`` cells.

    The corners are the outer edges of the corner cells (MODIS tiles start exactly at the tile
    corner). ``rows``/``cols`` default to the grid's ``YDim``/``XDim``; pass the dataset's own
    shape so each dataset gets its own cell size.
    """
    (ulx, uly), (lrx, lry) = grid_corners(grid)
    rows = rows or grid.ydim
    cols = cols or grid.xdim
    if rows <= 0 or cols <= 0:
        raise MetadataError(f"grid {grid.name} has no size (XDim={grid.xdim}, YDim={grid.ydim})")
    return Affine((lrx - ulx) / cols, 0.0, ulx, 0.0, (lry - uly) / rows, uly)
