"""HDF5 and netCDF-4 files (through h5py) as scenes: one dataset at a time, CF semantics, grids and swaths.

Default dataset (when none is asked for): the global ``cdr_variable`` or a sea-ice concentration
variable (``cdr_seaice_conc``, ``seaice_conc_cdr``) for NSIDC CDR files; otherwise the first
displayable dataset in file order that is not a coordinate (1-D, dimension scale), a 2-D
latitude/longitude array, a ``*_bnds``/``*_bounds`` variable or a flag/QA/mask variable; flag
variables are chosen only when nothing else is displayable.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import Window

from satview.core.cf import cf_band, clean_attrs
from satview.core.cf_georef import Georef, Orientation, georeference, oriented_reader
from satview.core.geo import footprint_lonlat
from satview.core.guard import check_dataset_shape
from satview.core.readers.array_read import read_window
from satview.core.readers.base import Scene
from satview.core.types import BandInfo, DatasetInfo, Deferred, GeoGrid, SceneInfo
from satview.errors import (
    BandNotFoundError,
    SatviewError,
    SceneReadError,
    UnsupportedFormatError,
    display_text,
)

_PURE_DIM = "This is a netCDF dimension but not a netCDF variable"
_LAT = ("latitude", "lat")
_LON = ("longitude", "lon")
_CONC_NAMES = ("cdr_seaice_conc", "seaice_conc_cdr", "f17_ice_conc", "cdr_seaice_conc_monthly")
MAX_BANDS = 1000


# --- shared by the HDF5 and netCDF-3 readers ----------------------------------------------------------

def band_names(short: str, lead: tuple[int, ...]) -> list[str]:
    """Band names of a variable with leading axes ``lead``: ``NAME`` or ``NAME[i]`` / ``NAME[i,j]``."""
    n = int(np.prod(lead)) if lead else 1
    if n == 1:
        return [short]
    keep = [k for k, size in enumerate(lead) if size > 1]
    names = []
    for idx in np.ndindex(*lead):
        names.append(f"{short}[{','.join(str(idx[k]) for k in keep)}]")
    return names


def resolve_dataset(query: str, names: list[str], short: dict[str, str], path: str) -> str:
    """The dataset ``query`` means: exact path, short name, case-insensitive, then unique substring."""
    q = query.strip()
    for test in (lambda n: n == q, lambda n: n == "/" + q.lstrip("/"), lambda n: short[n] == q,
                 lambda n: n.lower() == "/" + q.lower().lstrip("/"), lambda n: short[n].lower() == q.lower()):
        hits = [n for n in names if test(n)]
        if len(hits) == 1:
            return hits[0]
    hits = [n for n in names if q.lower() in n.lower()]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise BandNotFoundError(
            f"the dataset name {query!r} is ambiguous: it matches {', '.join(hits)}", path)
    raise BandNotFoundError(f"no dataset {query!r} in the file; it has {', '.join(names)}", path)


def _is_flaglike(ds: DatasetInfo) -> bool:
    a, short = ds.attrs, ds.name.rsplit("/", 1)[-1].lower()
    return ("flag_values" in a or "flag_masks" in a or "bitmask_values" in a
            or re.search(r"(^|_)(qa|qc|quality|flags?|mask|landmask|polehole)($|_)", short) is not None
            or short.endswith("mask"))


def default_dataset(datasets: tuple[DatasetInfo, ...], global_attrs: dict[str, Any]) -> str | None:
    """The dataset a file opens on (see the module docstring for the rule)."""
    shows = [d for d in datasets if d.displayable]
    by_short = {d.name.rsplit("/", 1)[-1]: d.name for d in shows}
    cdr = global_attrs.get("cdr_variable")
    if isinstance(cdr, str) and cdr in by_short:
        return by_short[cdr]
    for n in _CONC_NAMES:
        if n in by_short:
            return by_short[n]

    def science(d: DatasetInfo) -> bool:
        short = d.name.rsplit("/", 1)[-1].lower()
        std = str(d.attrs.get("standard_name", "")).lower()
        return not (short in _LAT + _LON or std in ("latitude", "longitude")
                    or short.endswith(("_bnds", "_bounds")))

    for pick in (lambda d: science(d) and not _is_flaglike(d), science):
        for d in shows:
            if pick(d):
                return d.name
    return shows[0].name if shows else None


def wrap_geographic(scene: Scene, lon: float, lat: float) -> tuple[int, int]:
    """Cell of (lon, lat) on a geographic grid, trying lon +- 360 (grids on 0..360 or across 180)."""
    row, col = Scene.cell_of_lonlat(scene, lon, lat)
    if scene.crs is not None and scene.crs.is_geographic and not 0 <= col < scene.width:
        for shift in (360.0, -360.0):
            r2, c2 = Scene.cell_of_lonlat(scene, lon + shift, lat)
            if 0 <= c2 < scene.width:
                return r2, c2
    return row, col


def normalise_lon(lon: float) -> float:
    """Longitude in [-180, 180)."""
    return lon if not math.isfinite(lon) else ((lon + 180.0) % 360.0) - 180.0


class SwathGeolocation:
    """Lon/lat of every cell of a swath (2-D arrays) with nearest-cell lookup on the unit sphere."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 360))
        self.lon = np.where(bad, np.nan, lon)
        self.lat = np.where(bad, np.nan, lat)
        self._xyz = _unit(self.lon, self.lat)

    def lonlat(self, row: int, col: int) -> tuple[float, float]:
        """(lon, lat) of cell (row, col), NaN at fill values."""
        return normalise_lon(float(self.lon[row, col])), float(self.lat[row, col])

    def cell(self, lon: float, lat: float) -> tuple[int, int]:
        """Nearest cell to (lon, lat); (-1, -1) when the point is farther than a cell from the swath."""
        p = _unit(np.asarray(lon, float), np.asarray(lat, float))
        d2 = np.sum((self._xyz - p) ** 2, axis=-1)
        if np.all(np.isnan(d2)):
            return (-1, -1)
        r, c = np.unravel_index(int(np.nanargmin(d2)), d2.shape)
        spacing = 0.0
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < d2.shape[0] and 0 <= cc < d2.shape[1]:
                s = float(np.sum((self._xyz[rr, cc] - self._xyz[r, c]) ** 2))
                if math.isfinite(s):
                    spacing = max(spacing, s)
        if spacing == 0.0 or float(d2[r, c]) > spacing:  # farther than about one cell diagonal
            return (-1, -1)
        return (int(r), int(c))

    def footprint(self) -> Any:
        """The swath outline as a lon/lat polygon (None when it crosses 180 deg or has fills)."""
        from shapely.geometry import Polygon

        lon, lat = self.lon, self.lat
        ring_lon = np.concatenate([lon[0, :], lon[1:, -1], lon[-1, -2::-1], lon[-2:0:-1, 0]])
        ring_lat = np.concatenate([lat[0, :], lat[1:, -1], lat[-1, -2::-1], lat[-2:0:-1, 0]])
        ok = np.isfinite(ring_lon) & np.isfinite(ring_lat)
        if ok.sum() < 3 or np.ptp(ring_lon[ok]) > 180:
            return None
        return Polygon(list(zip(ring_lon[ok].tolist(), ring_lat[ok].tolist(), strict=True)))


def _unit(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


class CFScene(Scene):
    """One variable of an HDF5/netCDF file on its north-up grid (or native swath grid)."""

    def __init__(self, info: SceneInfo, orient: Orientation, swath: SwathGeolocation | None) -> None:
        super().__init__()
        self.info = info
        self.orientation = orient
        self._swath = swath

    def _raw_reader(self, band: BandInfo) -> Any:  # -> Callable[[slice, slice], ndarray]
        raise NotImplementedError

    def _read_band(self, band: BandInfo, window: Window, out_shape: tuple[int, int],
                   resampling: Resampling) -> np.ndarray:
        slab = oriented_reader(self._raw_reader(band), self.orientation, self.info.grid.shape)
        try:
            with self._lock:
                a = read_window(slab, window, out_shape)
        except (OSError, RuntimeError, ValueError) as exc:
            raise SceneReadError(f"cannot read dataset {band.source} ({exc})", self.path) from exc
        a = np.asarray(a)
        if a.dtype.byteorder not in ("=", "|"):
            a = a.astype(a.dtype.newbyteorder("="))
        if np.dtype(band.dtype) != a.dtype and np.dtype(band.dtype).itemsize == a.dtype.itemsize:
            a = a.view(band.dtype)  # _Unsigned = "true" on a signed type
        return a

    def geolocation(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(lon2d, lat2d) of every cell of a swath (NaN at fills), or None for map grids."""
        return None if self._swath is None else (self._swath.lon, self._swath.lat)

    def lonlat_of_cell(self, row: int, col: int) -> tuple[float, float]:
        """(lon, lat) of a cell centre: from the geolocation arrays for swaths, else from the grid."""
        if self._swath is not None:
            return self._swath.lonlat(row, col)
        lon, lat = super().lonlat_of_cell(row, col)
        return (normalise_lon(lon) if self.crs is not None and self.crs.is_geographic else lon), lat

    def cell_of_lonlat(self, lon: float, lat: float) -> tuple[int, int]:
        """Cell containing (lon, lat); for swaths the nearest cell, (-1, -1) when off the swath."""
        if self._swath is not None:
            return self._swath.cell(lon, lat)
        return wrap_geographic(self, lon, lat)


# --- HDF5 ------------------------------------------------------------------------------------------

class H5Names:
    """Every object path of an HDF5 file as shown (``/group/name``, always ``str``) and as h5py
    needs it to look the object up (``bytes`` for names that are not UTF-8).

    h5py hands out names that are not valid UTF-8 as ``bytes``; satview shows them with ``\\xNN``
    escapes (:func:`satview.errors.display_text`) and looks them up again through this table.
    """

    def __init__(self) -> None:
        self._keys: dict[str, str | bytes] = {}

    def add(self, name: str | bytes) -> str:
        """Remember an h5py path (relative to the root, as ``visititems`` gives it); its shown form."""
        raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")
        raw = b"/" + raw.lstrip(b"/")
        shown = display_text(raw)
        self._keys.setdefault(shown, raw if isinstance(name, bytes) else shown)
        return shown

    def key(self, shown: str) -> str | bytes:
        """What h5py needs to look up the object shown as ``shown``."""
        return self._keys.get(shown, shown)

    def get(self, f: Any, shown: str) -> Any:
        """``f.get`` of the object shown as ``shown`` (None when missing or unreadable)."""
        try:
            return f.get(self.key(shown))
        except (KeyError, ValueError, TypeError, OSError, RuntimeError, UnicodeError):
            return None


class _H5Store:
    """CF lookups in an open h5py file, relative to one variable's group."""

    def __init__(self, f: Any, var_path: str, pure_dims: set[str], path: str, names: H5Names) -> None:
        self.f, self.group, self.pure, self.path = f, var_path.rsplit("/", 1)[0] or "/", pure_dims, path
        self.names = names

    def _find(self, name: str) -> Any:
        import h5py

        if not name:
            return None
        cands = [name] if name.startswith("/") else []
        g = self.group
        while True:
            cands.append(f"{g.rstrip('/')}/{name}")
            if g in ("/", ""):
                break
            g = g.rsplit("/", 1)[0] or "/"
        for c in cands:
            obj = self.names.get(self.f, c)
            if isinstance(obj, h5py.Dataset) and c not in self.pure:
                return obj
        return None

    def attrs(self, name: str) -> dict[str, Any] | None:
        obj = self._find(name)
        return None if obj is None else clean_attrs(obj.attrs)

    def values(self, name: str) -> np.ndarray | None:
        obj = self._find(name)
        if obj is None or obj.size > 10_000_000 or obj.dtype.kind not in "iuf":
            return None
        return np.asarray(obj[()])

    def latlon_2d(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        found = _latlon_paths(self.f, shape, self.group, self.pure, self.names)
        if found is None:
            return None
        return (_native(self.f[self.names.key(found[0])][()]), _native(self.f[self.names.key(found[1])][()]))


def _native(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(a.dtype.newbyteorder("=")) if a.dtype.byteorder not in ("=", "|") else a


def _latlon_paths(f: Any, shape: tuple[int, int], group: str, pure: set[str],
                  names: H5Names) -> tuple[str, str] | None:
    """Shown paths of 2-D latitude and longitude datasets of ``shape``, nearest to ``group`` first."""
    lats: list[str] = []
    lons: list[str] = []

    def visit(name: str | bytes, obj: Any) -> None:
        if getattr(obj, "shape", None) is None or tuple(obj.shape[-2:]) != tuple(shape) or obj.ndim != 2:
            return
        shown = names.add(name)
        short = shown.rsplit("/", 1)[-1].lower()
        std = str(clean_attrs(obj.attrs).get("standard_name", "")).lower()
        if short in _LAT or std == "latitude":
            lats.append(shown)
        elif short in _LON or std == "longitude":
            lons.append(shown)

    f.visititems(visit)
    if not lats or not lons:
        return None

    def near(p: str) -> int:
        return -len(os.path.commonpath([p, group]))

    return sorted(lats, key=near)[0], sorted(lons, key=near)[0]


def open_hdf5(path: str | os.PathLike[str], sniffed: Any = None, dataset: str | None = None,
              **_: Any) -> CFScene:
    """Open an HDF5 or netCDF-4 file as a scene of one dataset (``dataset`` or the default one)."""
    import h5py

    spath = os.fspath(path)
    try:
        f = h5py.File(spath, "r")
    except OSError as exc:
        raise SceneReadError(
            f"cannot be read as HDF5: the file is truncated or damaged ({_h5_reason(exc)})", spath) from exc
    try:
        return _open(f, spath, dataset)
    except SatviewError:
        f.close()
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        f.close()
        raise SceneReadError(f"cannot read the HDF5 structure: the file is damaged ({exc})", spath) from exc


def _h5_reason(exc: Exception) -> str:
    text = str(exc)
    m = re.search(r"\(([^()]*)\)\s*$", text)
    return (m.group(1) if m else text).strip() or exc.__class__.__name__


def _dims_of(ds: Any) -> tuple[str, ...]:
    out = []
    for i in range(ds.ndim):
        try:
            scales = list(ds.dims[i].values())
            out.append(display_text(scales[0].name).rsplit("/", 1)[-1] if scales else "")
        except (KeyError, ValueError, TypeError, OSError, RuntimeError):  # h5py on scales it cannot decode
            out.append("")
    return tuple(out)


def _open(f: Any, spath: str, dataset: str | None) -> CFScene:
    import h5py

    items: list[tuple[str, Any]] = []
    groups: list[dict[str, Any]] = [{"group": "/", "attrs": clean_attrs(f.attrs)}]
    h5names = H5Names()
    f.visititems(lambda n, o: items.append((h5names.add(n), o)) if isinstance(o, h5py.Dataset)
                 else groups.append({"group": h5names.add(n), "attrs": clean_attrs(o.attrs)}))
    root = clean_attrs(f.attrs)
    pure = {n for n, o in items if str(clean_attrs(o.attrs).get("NAME", "")).startswith(_PURE_DIM)}
    scales = {n for n, o in items if clean_attrs(o.attrs).get("CLASS") == "DIMENSION_SCALE"}
    netcdf = "_NCProperties" in root or bool(scales) or "cf-" in str(root.get("Conventions", "")).lower()
    infos: list[DatasetInfo] = []
    for n, o in items:
        attrs = clean_attrs(o.attrs)
        numeric = o.dtype.kind in "biuf"
        shows = numeric and o.ndim >= 2 and n not in scales and n not in pure and min(o.shape[-2:]) > 0
        infos.append(DatasetInfo(n, tuple(int(s) for s in o.shape), str(o.dtype.newbyteorder("=")), attrs,
                                 _dims_of(o), shows))
    names = [d.name for d in infos]
    if not names:
        raise UnsupportedFormatError("the HDF5 file holds no datasets", spath)
    short = {n: n.rsplit("/", 1)[-1] for n in names}
    chosen = resolve_dataset(dataset, names, short, spath) if dataset else default_dataset(tuple(infos), root)
    if chosen is None:
        raise UnsupportedFormatError(
            f"the file has no 2-D numeric dataset to show; its datasets are {', '.join(names)}", spath)
    dinfo = next(d for d in infos if d.name == chosen)
    if not dinfo.displayable:
        raise UnsupportedFormatError(
            f"dataset {chosen} ({' x '.join(map(str, dinfo.shape)) or 'scalar'}, {dinfo.dtype}) cannot be "
            "shown as an image: only numeric datasets with at least 2 dimensions can", spath)
    ds = f[h5names.key(chosen)]
    check_dataset_shape(spath, ds.shape, ds.dtype, f"dataset {chosen}", ds.chunks)
    store = _H5Store(f, chosen, pure, spath, h5names)
    file_shape = (int(ds.shape[-2]), int(ds.shape[-1]))
    geo = georeference(store, chosen, dinfo.attrs, dinfo.dims[-2:], file_shape, root,
                       filename=Path(spath).name)
    warnings = list(geo.warnings)
    swath = None
    if geo.crs is None:
        ll = _latlon_paths(f, file_shape, store.group, pure, h5names)
        if ll is not None and chosen not in ll:
            swath = SwathGeolocation(_native(f[h5names.key(ll[1])][()]), _native(f[h5names.key(ll[0])][()]))
            geo = Georef(None, Affine.identity(), Orientation(), "geolocation")
            warnings = [w for w in warnings if "no CRS" not in w]
        elif geo.source == "none":
            warnings.append("no georeferencing found (no grid_mapping, GeoTransform, coordinates or "
                            "latitude/longitude arrays): showing the pixel grid")
    bands = [b for d in _grid_members(dinfo, infos, geo.source) for b in _bands(f, d, root, h5names)]
    if len(bands) > MAX_BANDS:
        warnings.append(f"{chosen} has {len(bands)} planes; only the first {MAX_BANDS} are offered")
        bands = bands[:MAX_BANDS]
    h, w = geo.orientation.scene_shape(file_shape)
    grid = GeoGrid(geo.crs, geo.transform, w, h)
    meta = {"global_attributes": root, "tree": groups, "variable_attributes": dinfo.attrs,
            "georeference": geo.source, "orientation": asdict(geo.orientation)}
    footprint = swath.footprint() if swath else Deferred(footprint_lonlat, grid)
    info = SceneInfo(path=spath, format="netcdf4" if netcdf else "hdf5", grid=grid, bands=tuple(bands),
                     metadata=meta, footprint=footprint,
                     warnings=tuple(warnings), datasets=tuple(infos), dataset=chosen)
    return Hdf5Scene(f, info, geo.orientation, swath, h5names)


def _grid_members(chosen: DatasetInfo, infos: list[DatasetInfo], georef: str) -> list[DatasetInfo]:
    """``chosen`` and, after it in file order, the other shown datasets of its group on the same
    georeferenced grid (same shape and dimension names, no latitude/longitude arrays): the scene's
    bands, so composites and indices can combine them and ``--bands`` takes their names."""
    group = chosen.name.rsplit("/", 1)[0]
    if georef == "none" or not all(chosen.dims[-2:]):
        return [chosen]
    return [chosen] + [d for d in infos if d is not chosen and d.displayable and d.shape == chosen.shape
                       and d.dims == chosen.dims and d.name.rsplit("/", 1)[0] == group
                       and d.name.rsplit("/", 1)[-1].lower() not in _LAT + _LON]


def _bands(f: Any, d: DatasetInfo, root: dict[str, Any], names: H5Names) -> list[BandInfo]:
    short = d.name.rsplit("/", 1)[-1]
    dtype = d.dtype
    if str(d.attrs.get("_Unsigned", "")).lower() == "true" and np.dtype(dtype).kind == "i":
        dtype = np.dtype(dtype).str.replace("i", "u")
    base = cf_band(short, d.attrs, dtype, source=d.name)
    idps = "/All_Data/" in d.name or "N_Dataset_Source" in root
    if idps:
        base = _idps(names.get(f, d.name + "Factors"), base)
    names = band_names(short, d.shape[:-2])
    return [replace(base, name=n, source_band=i + 1) for i, n in enumerate(names)]


def _idps(factors: Any, band: BandInfo) -> BandInfo:
    """NOAA IDPS (VIIRS SDR) conventions: ``<name>Factors`` scaling and reserved fill values."""
    if factors is not None and band.calibration.kind == "none" and factors.size >= 2:
        s, o = (float(v) for v in np.asarray(factors[()]).ravel()[:2])
        if (s, o) != (1.0, 0.0) and s > -999:
            band = replace(band, calibration=replace(band.calibration, kind="linear", scale=s, offset=o))
    if band.valid_range is None and band.nodata is None:
        kind = np.dtype(band.dtype).kind
        if kind == "f":  # -999.1 .. -999.9 are IDPS fill codes
            band = replace(band, valid_range=(-999.0, math.inf))
        elif np.dtype(band.dtype) == np.uint16:  # 65528..65535 are IDPS fill codes
            band = replace(band, valid_range=(0, 65527))
    return band


class Hdf5Scene(CFScene):
    """A dataset of an open h5py file."""

    def __init__(self, f: Any, info: SceneInfo, orient: Orientation, swath: SwathGeolocation | None,
                 names: H5Names | None = None) -> None:
        super().__init__(info, orient, swath)
        self._f = f
        self._names = names or H5Names()

    def close(self) -> None:
        """Close the HDF5 file. Idempotent."""
        if not self._closed:
            with contextlib.suppress(Exception):
                self._f.close()
        super().close()

    def _raw_reader(self, band: BandInfo) -> Any:
        ds = self._f[self._names.key(band.source)]
        lead = tuple(np.unravel_index(band.source_band - 1, ds.shape[:-2])) if ds.ndim > 2 else ()
        lead = tuple(int(i) for i in lead)
        return lambda s0, s1: ds[(*lead, s0, s1)]
