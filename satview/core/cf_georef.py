"""Grid georeferencing of CF (HDF5/netCDF) variables: CRS, north-up transform and axis orientation.

Readers describe a file through a :class:`VariableStore` (attributes and small arrays by name);
:func:`georeference` finds a variable's grid from, in order of trust, the ``grid_mapping``
variable (``CRS.from_cf`` plus its ``GeoTransform``/``spatial_ref``/``srid``), the variable's own
``GeoTransform``/``crs`` attributes, and 1-D coordinate variables, cross-checked against 2-D
latitude/longitude arrays in the file and NSIDC grid knowledge (:mod:`satview.core.polar_grids`).
Every override of file metadata is reported in ``Georef.warnings``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from affine import Affine
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.errors import CRSError as RasterioCRSError

from satview.core.cf import attr_text, first_number, numbers


class VariableStore(Protocol):
    """What :func:`georeference` needs to know about a file."""

    path: str

    def attrs(self, name: str) -> dict[str, Any] | None:
        """Cleaned attributes of the variable ``name`` (resolved near the data variable), or None."""

    def values(self, name: str) -> np.ndarray | None:
        """The whole (small, 1-D) variable ``name``, or None when it is absent or not readable."""

    def latlon_2d(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        """2-D latitude and longitude arrays of ``shape`` in file order, or None."""


@dataclass(frozen=True)
class Orientation:
    """How the file's last two axes map to the north-up scene grid: transpose, flips, then roll."""

    transpose: bool = False  # file axes are (x, y)
    flip_rows: bool = False  # y increases along the file's y axis (south-up)
    flip_cols: bool = False  # x decreases along the file's x axis
    roll_cols: int = 0  # scene column c is oriented column (c + roll) % width (0..360 longitudes)

    def to_file(self, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> tuple[
            np.ndarray, np.ndarray]:
        """File (axis -2, axis -1) indices of scene ``rows`` and ``cols``; ``shape`` is the scene (H, W).

        With 1-D inputs the result indexes an outer product; with equal-shape arrays, pointwise.
        """
        h, w = shape
        r = h - 1 - np.asarray(rows) if self.flip_rows else np.asarray(rows)
        c = (np.asarray(cols) + self.roll_cols) % w if self.roll_cols else np.asarray(cols)
        c = w - 1 - c if self.flip_cols else c
        return (c, r) if self.transpose else (r, c)

    def scene_shape(self, file_shape: tuple[int, int]) -> tuple[int, int]:
        """(H, W) of the scene for a file array of ``file_shape`` (its last two axes)."""
        return (file_shape[1], file_shape[0]) if self.transpose else (file_shape[0], file_shape[1])


@dataclass(frozen=True)
class Georef:
    """A variable's grid: CRS (None for swaths/unknown), north-up transform, orientation, provenance."""

    crs: CRS | None
    transform: Affine
    orientation: Orientation = field(default_factory=Orientation)
    source: str = "none"  # "grid_mapping", "GeoTransform", "coordinates", "nsidc", "none"
    warnings: tuple[str, ...] = ()


def oriented_reader(read_raw: Callable[[slice, slice], np.ndarray], orient: Orientation,
                    scene_shape: tuple[int, int]) -> Callable[[int, int, int, int, int, int], np.ndarray]:
    """A slab reader for ``read_window`` on the scene grid from ``read_raw(file_slice0, file_slice1)``."""

    def slab(r0: int, r1: int, rs: int, c0: int, c1: int, cs: int) -> np.ndarray:
        a0, a1 = orient.to_file(np.arange(r0, r1, rs), np.arange(c0, c1, cs), scene_shape)
        block = np.concatenate([np.concatenate([_read_run(read_raw, s0, s1) for s1 in _runs(a1)], axis=1)
                                for s0 in _runs(a0)], axis=0)
        return block.T if orient.transpose else block

    return slab


def _runs(idx: np.ndarray) -> list[np.ndarray]:
    """Split an index sequence into arithmetic runs (at most a few: a flip or a wrap)."""
    idx = np.asarray(idx, dtype=np.int64)
    if idx.size <= 2:
        return [idx]
    d = np.diff(idx)
    cuts = np.flatnonzero(d != d[0]) + 1
    if cuts.size == 0:
        return [idx]
    first = idx[: cuts[0]]
    return [first, *_runs(idx[cuts[0]:])]


def _read_run(read_raw: Callable[[slice, slice], np.ndarray], i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
    s0, rev0 = _as_slice(i0)
    s1, rev1 = _as_slice(i1)
    a = np.asarray(read_raw(s0, s1))
    return a[::-1 if rev0 else 1, ::-1 if rev1 else 1]


def _as_slice(idx: np.ndarray) -> tuple[slice, bool]:
    if idx.size == 1:
        return slice(int(idx[0]), int(idx[0]) + 1, 1), False
    step = int(idx[1] - idx[0])
    if step > 0:
        return slice(int(idx[0]), int(idx[-1]) + 1, step), False
    return slice(int(idx[-1]), int(idx[0]) + 1, -step), True


_LON_UNITS = ("degrees_east", "degree_east", "degrees_e", "degree_e", "degreese")
_LAT_UNITS = ("degrees_north", "degree_north", "degrees_n", "degree_n", "degreesn")


def _axis_kind(name: str, attrs: Mapping[str, Any]) -> str | None:
    """"lon", "lat", "x", "y" or None for a 1-D coordinate variable."""
    std = attr_text(attrs.get("standard_name")).lower()
    units = attr_text(attrs.get("units")).lower().replace(" ", "_")
    axis = attr_text(attrs.get("axis")).upper()
    short = name.rsplit("/", 1)[-1].lower()
    if std == "longitude" or units in _LON_UNITS or short in ("lon", "longitude", "long"):
        return "lon"
    if std == "latitude" or units in _LAT_UNITS or short in ("lat", "latitude"):
        return "lat"
    if std in ("projection_x_coordinate", "grid_longitude") or axis == "X" or short in ("x", "xc", "xgrid"):
        return "x"
    if std in ("projection_y_coordinate", "grid_latitude") or axis == "Y" or short in ("y", "yc", "ygrid"):
        return "y"
    return None


@dataclass
class _Coord:
    name: str
    kind: str
    values: np.ndarray


def _regular_step(v: np.ndarray) -> float | None:
    """The constant spacing of ``v`` (centres), or None when irregular, constant or not finite."""
    if v.size < 2 or not np.all(np.isfinite(v)):
        return None
    d = np.diff(v.astype(np.float64))
    step = (float(v[-1]) - float(v[0])) / (v.size - 1)
    if step == 0 or np.max(np.abs(d - step)) > 0.01 * abs(step):
        return None
    return step


def _find_coords(store: VariableStore, attrs: Mapping[str, Any], dims: tuple[str, ...],
                 shape: tuple[int, int], warn: list[str]) -> list[_Coord | None]:
    """The 1-D coordinate of each of the last two axes (from dimension names, then ``coordinates``)."""
    names = [*(attr_text(attrs.get("coordinates")).split())]
    out: list[_Coord | None] = []
    for i, n in enumerate(shape):
        found = None
        for cand in ([dims[i]] if i < len(dims) and dims[i] else []) + names:
            a = store.attrs(cand)
            if a is None:
                continue
            v = store.values(cand)
            if v is None or v.ndim != 1 or v.size != n:
                continue
            kind = _axis_kind(cand, a)
            if kind is None:
                continue
            if n > 1 and _regular_step(v) is None:
                what = "constant (e.g. all zero)" if np.all(v == v.flat[0]) else "irregular or not finite"
                warn.append(f"coordinate variable '{cand}' is {what}; its values were not used")
                continue
            found = _Coord(cand, kind, np.asarray(v, dtype=np.float64))
            break
        out.append(found)
    return out


def _coords_grid(c0: _Coord | None, c1: _Coord | None, shape: tuple[int, int]) -> tuple[
        Orientation, Affine | None, bool]:
    """Orientation, north-up transform and whether the axes are lon/lat, from the axis coordinates."""
    transpose = (c0 is not None and c0.kind in ("x", "lon")) or (c1 is not None and c1.kind in ("y", "lat"))
    cy, cx = (c1, c0) if transpose else (c0, c1)
    if cy is None or cx is None or cy.values.size < 2 or cx.values.size < 2:
        return Orientation(transpose=transpose), None, False
    x, y = cx.values, cy.values
    dx, dy = abs(_regular_step(x) or 0.0), abs(_regular_step(y) or 0.0)
    flip_rows, flip_cols = bool(y[-1] > y[0]), bool(x[-1] < x[0])
    left = float(np.min(x)) - dx / 2
    roll = 0
    lonlat = cx.kind == "lon" and cy.kind == "lat"
    if lonlat and np.max(x) > 180.0:
        if left >= 180.0 - 1e-9:
            left -= 360.0
        elif abs(x.size * dx - 360.0) < 0.5 * dx:  # global grid on 0..360: roll to -180..180
            xs = np.sort(x)
            roll = int(np.searchsorted(xs, 180.0 - 1e-9))
            left = float(xs[roll]) - 360.0 - dx / 2
    transform = Affine(dx, 0.0, left, 0.0, -dy, float(np.max(y)) + dy / 2)
    return Orientation(transpose, flip_rows, flip_cols, roll), transform, lonlat


#: What building or using a CRS from a file's attributes raises for values that make no CRS:
#: pyproj's ProjError/CRSError (RuntimeErrors, caught as such so pyproj loads only when used),
#: rasterio's CRSError, GDAL errors, and ValueError/TypeError/KeyError for attribute values of
#: the wrong type or range.
CRS_ERRORS: tuple[type[Exception], ...] = (RuntimeError, RasterioCRSError, CPLE_BaseError, ValueError,
                                           TypeError, KeyError)


def _crs_or_none(make: Callable[[], Any]) -> CRS | None:
    try:
        c = make()
        return c if isinstance(c, CRS) else CRS.from_wkt(c.to_wkt())
    except CRS_ERRORS:
        return None


#: CRSs built from CF grid-mapping parameters, by the parameters' text. ``CRS.from_cf`` looks its
#: datum up in the PROJ database by name, ~0.6 s per call; a stack of daily NSIDC files shares one
#: grid mapping, so each distinct parameter set is built once per process.
_FROM_CF: dict[tuple[tuple[str, str], ...], CRS | None] = {}


def _from_cf(params: Mapping[str, Any]) -> CRS | None:
    """``CRS.from_cf(params)`` (None when PROJ cannot build it), memoised by :data:`_FROM_CF`."""
    from pyproj import CRS as ProjCRS

    key = tuple(sorted((str(k), repr(v)) for k, v in params.items()))
    if key not in _FROM_CF:
        if len(_FROM_CF) >= 64:
            _FROM_CF.clear()
        _FROM_CF[key] = _crs_or_none(lambda: ProjCRS.from_cf(dict(params)))
    return _FROM_CF[key]


_ELLIPSOID_ALIASES = {"semimajor_axis": "semi_major_axis", "semimajor_radius": "semi_major_axis",
                      "semi_major_radius": "semi_major_axis", "semiminor_axis": "semi_minor_axis",
                      "semiminor_radius": "semi_minor_axis", "semi_minor_radius": "semi_minor_axis"}


def _crs_candidates(a: Mapping[str, Any], where: str) -> list[tuple[str, CRS]]:
    """CRSs described by one attribute set, labelled with the attribute they come from."""
    out: list[tuple[str, CRS]] = []
    if "grid_mapping_name" in a:
        # from_cf prefers the WKT: keep the CF parameters apart; accept common ellipsoid aliases
        params = {_ELLIPSOID_ALIASES.get(k, k): v for k, v in a.items()
                  if k not in ("crs_wkt", "spatial_ref")}
        sv, lo = first_number(a.get("straight_vertical_longitude_from_pole")), first_number(
            a.get("longitude_of_projection_origin"))
        conflict = sv is not None and lo is not None and sv != lo
        c = _from_cf(params)
        if c is not None:
            note = f" (straight_vertical_longitude_from_pole = {sv:g})" if conflict else ""
            out.append((f"{where} CF parameters{note}", c))
        if conflict:
            fixed = {**params, "straight_vertical_longitude_from_pole": lo}
            c = _from_cf(fixed)
            if c is not None:
                out.append((f"{where} CF parameters with longitude_of_projection_origin = {lo:g}", c))
    for key in ("crs_wkt", "spatial_ref", "esri_pe_string", "proj4text", "proj4", "proj4_string", "crs"):
        text = a.get(key)
        if isinstance(text, str) and text.strip():
            c = _crs_or_none(lambda t=text: CRS.from_user_input(t.strip()))
            if c is not None:
                out.append((f"{where} {key}", c))
    srid = a.get("srid")
    m = re.search(r"EPSG:+(\d+)", srid or "", re.I) if isinstance(srid, str) else None
    if m:
        c = _crs_or_none(lambda: CRS.from_epsg(int(m.group(1))))
        if c is not None:
            out.append((f"{where} srid", c))
    return out


def _transform_candidates(a: Mapping[str, Any], where: str) -> list[tuple[str, Affine]]:
    out: list[tuple[str, Affine]] = []
    gt = numbers(a.get("GeoTransform")) if "GeoTransform" in a else []
    if len(gt) == 6 and (gt[1] != 0 or gt[2] != 0):
        out.append((f"{where} GeoTransform", Affine.from_gdal(*gt)))
    tr = numbers(a.get("transform")) if "transform" in a else []
    if len(tr) in (6, 9) and (tr[0] != 0 or tr[1] != 0):
        out.append((f"{where} transform", Affine(*tr[:6])))
    return out


def _sample_cells(shape: tuple[int, int], n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    r = np.unique(np.linspace(0, shape[0] - 1, n).round().astype(int))
    c = np.unique(np.linspace(0, shape[1] - 1, n).round().astype(int))
    rr, cc = np.meshgrid(r, c, indexing="ij")
    return rr.ravel(), cc.ravel()


def _lonlat(crs: CRS, transform: Affine, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from satview.core.geo import transformer

    x, y = transform * (cols + 0.5, rows + 0.5)
    lon, lat = transformer(crs, "EPSG:4326").transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def _lonlat_error(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> float:
    """Largest lon/lat difference in degrees (longitude wrapped, ignored within 0.1 deg of a pole)."""
    dlon = np.abs((lon1 - lon2 + 180.0) % 360.0 - 180.0)
    dlon = np.where(np.abs(lat2) > 89.9, 0.0, dlon)
    d = np.maximum(dlon, np.abs(lat1 - lat2))
    d = d[np.isfinite(d)]
    return float(np.max(d)) if d.size else math.inf


def _same_crs(a: CRS, b: CRS, transform: Affine, shape: tuple[int, int], tol: float = 1e-6) -> bool:
    if a == b:
        return True
    try:
        r, c = _sample_cells(shape)
        return _lonlat_error(*_lonlat(a, transform, r, c), *_lonlat(b, transform, r, c)) <= tol
    except CRS_ERRORS:
        return False


def _is_polar_stereographic(crs: CRS) -> bool:
    text = crs.to_wkt().lower()
    return "polar_stereographic" in text or "polar stereographic" in text or "+proj=stere" in \
        (crs.to_proj4() or "")


def _nsidc_grid(shape: tuple[int, int], attrs: Mapping[str, Any]) -> Any:
    try:
        from satview.core.polar_grids import match_nsidc_grid
    except ImportError:  # pragma: no cover - the module ships with satview
        return None
    try:
        return match_nsidc_grid(shape, None, dict(attrs))
    except (TypeError, ValueError, AttributeError, KeyError):  # attribute values of unexpected types
        return None


def _pick_crs(cands: list[tuple[str, CRS]], transform: Affine, shape: tuple[int, int], orient: Orientation,
              store: VariableStore, file_shape: tuple[int, int], nsidc: Any, warn: list[str]) -> CRS | None:
    """The CRS most consistent with the file: lat/lon arrays, then NSIDC grids, then majority."""
    if not cands:
        return None
    groups: list[list[tuple[str, CRS]]] = []
    for label, crs in cands:
        for g in groups:
            if _same_crs(g[0][1], crs, transform, shape, tol=1e-4):
                g.append((label, crs))
                break
        else:
            groups.append([(label, crs)])
    best, why = groups[0], ""
    if len(groups) > 1:
        ll = store.latlon_2d(file_shape)
        scores: list[float] = []
        if ll is not None:
            r, c = _sample_cells(shape, 9)
            i0, i1 = orient.to_file(r, c, shape)
            lat, lon = ll[0][i0, i1].astype(float), ll[1][i0, i1].astype(float)
            ok = np.abs(lat) <= 90
            for g in groups:
                try:
                    glon, glat = _lonlat(g[0][1], transform, r[ok], c[ok])
                    scores.append(_lonlat_error(glon, glat, lon[ok], lat[ok]))
                except CRS_ERRORS:
                    scores.append(math.inf)
        if scores and min(scores) < 0.01:
            best, why = groups[int(np.argmin(scores))], "the file's latitude/longitude arrays"
        elif nsidc is not None and any(_same_crs(g[0][1], nsidc.crs, transform, shape, 1e-4) for g in groups):
            best = next(g for g in groups if _same_crs(g[0][1], nsidc.crs, transform, shape, 1e-4))
            why = f"the NSIDC grid {nsidc.name} (EPSG:{nsidc.epsg})"
        else:
            best = max(groups, key=len)
            why = "the other CRS attributes of the file"
        for g in groups:
            if g is not best:
                labels = ", ".join(lbl for lbl, _ in g)
                warn.append(f"wrong CRS in {labels}: it disagrees with {why}; used {best[0][0]} instead")
    chosen = best[0][1]
    for _, crs in best:  # prefer a member with an EPSG code (nicer names, exact axis handling)
        if _epsg_of(crs) is not None:
            return crs
    return chosen


#: EPSG codes by CRS WKT: ``CRS.to_epsg`` searches the PROJ database (~0.3 s for a CRS built from
#: CF parameters) and every file of a stack asks it of the same CRSs.
_EPSG: dict[str, int | None] = {}


def _epsg_of(crs: CRS) -> int | None:
    """``crs.to_epsg()``, memoised by the CRS's WKT (:data:`_EPSG`)."""
    wkt = crs.to_wkt()
    if wkt not in _EPSG:
        if len(_EPSG) >= 64:
            _EPSG.clear()
        _EPSG[wkt] = crs.to_epsg()
    return _EPSG[wkt]


def georeference(store: VariableStore, name: str, attrs: Mapping[str, Any], dims: tuple[str, ...],
                 file_shape: tuple[int, int], global_attrs: Mapping[str, Any], *,
                 filename: str = "") -> Georef:
    """The north-up grid of a variable whose last two axes have ``file_shape`` and names ``dims``.

    Order of trust: grid_mapping variable (CF parameters, spatial_ref/crs_wkt/srid, GeoTransform),
    the variable's own GeoTransform/spatial_ref/srid/crs/transform attributes, 1-D coordinates.
    Disagreements are settled by the file's 2-D latitude/longitude arrays, NSIDC grid knowledge,
    then by majority/trust, and each override is reported as a warning naming the attribute.
    """
    warn: list[str] = []
    coords = _find_coords(store, attrs, dims, file_shape, warn)
    orient, coord_tf, lonlat = _coords_grid(coords[0], coords[1], file_shape)
    shape = orient.scene_shape(file_shape)
    gm_attrs: dict[str, Any] = {}
    gm_name = attr_text(attrs.get("grid_mapping")).split(":")[0].strip()
    if gm_name:
        gm_attrs = store.attrs(gm_name) or {}
        if not gm_attrs:
            warn.append(f"grid_mapping variable '{gm_name}' named by '{name}' does not exist")
    where = f"grid_mapping '{gm_name}'"
    crs_c = _crs_candidates(gm_attrs, where) + _crs_candidates(attrs, f"'{name}'")
    tf_c = _transform_candidates(gm_attrs, where) + _transform_candidates(attrs, f"'{name}'")
    if "GeoTransform" in global_attrs:
        tf_c += _transform_candidates({"GeoTransform": global_attrs["GeoTransform"]}, "global")
    if not crs_c:
        crs_c = _crs_candidates(global_attrs, "global")
    if coord_tf is not None:
        tf_c.append((f"coordinates {coords[0].name}/{coords[1].name}", coord_tf))  # type: ignore[union-attr]
        if lonlat and not crs_c:
            crs_c.append(("longitude/latitude coordinates", CRS.from_epsg(4326)))
    if coord_tf is None and tf_c and tf_c[0][1].e > 0:  # GeoTransform of a south-up array
        t = tf_c[0][1]
        orient = replace_orient(orient, flip_rows=True)
        tf_c[0] = (tf_c[0][0], Affine(t.a, t.b, t.c, t.d, -t.e, t.f + t.e * shape[0]))
    nsidc = None
    if any(_is_polar_stereographic(c) for _, c in crs_c):
        nsidc = _nsidc_grid(shape, {**global_attrs, **gm_attrs, "filename": filename})
    transform, source = (tf_c[0][1], "grid_mapping" if tf_c[0][0].startswith("grid_mapping")
                         else tf_c[0][0].split()[-1]) if tf_c else (Affine.identity(), "none")
    for label, t in tf_c[1:]:
        if not t.almost_equals(transform, precision=max(abs(transform.a), 1e-9) * 1e-3):
            warn.append(f"{label} disagree(s) with {tf_c[0][0]}; used {tf_c[0][0]}")
    if source == "coordinates" and not lonlat and not crs_c:
        warn.append("the grid has projected coordinates but no CRS")
    crs = _pick_crs(crs_c, transform, shape, orient, store, file_shape, nsidc, warn)
    if nsidc is not None and shape == (nsidc.height, nsidc.width):
        if not transform.almost_equals(nsidc.transform, precision=1.0):
            warn.append(f"the file's grid placement ({source}) is not the NSIDC grid {nsidc.name}; "
                        f"used the NSIDC upper-left corner ({nsidc.transform.c:g}, {nsidc.transform.f:g})")
            transform, source = nsidc.transform, "nsidc"
        if crs is None or not _same_crs(crs, nsidc.crs, transform, shape, 1e-5):
            cells = _sample_cells(shape)
            err = math.inf if crs is None else _lonlat_error(
                *_lonlat(crs, transform, *cells), *_lonlat(nsidc.crs, transform, *cells))
            warn.append(f"the file's CRS ({_crs_text(crs)}) places cells up to {err:.2g} deg away from "
                        f"the NSIDC grid {nsidc.name}; used EPSG:{nsidc.epsg} (the file's "
                        "ellipsoid/datum parameters are incomplete or wrong)")
        crs = nsidc.crs
    if crs is not None and not tf_c:
        warn.append("the file gives a CRS but no grid placement (GeoTransform or coordinates)")
    return Georef(crs if tf_c else None, transform, orient, source, tuple(dict.fromkeys(warn)))


def _crs_text(crs: CRS | None) -> str:
    return "none" if crs is None else (crs.to_proj4() or crs.to_wkt())[:120]


def replace_orient(o: Orientation, **changes: Any) -> Orientation:
    """A copy of ``o`` with ``changes``."""
    from dataclasses import replace

    return replace(o, **changes)
