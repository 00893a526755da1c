"""NSIDC sea-ice files read quickly: the date, grid and concentration of one file, without a scene.

Stacks, series, change and animation touch hundreds of daily files and need only these, so this
is the readers' fast path for them (:func:`satview.core.readers.open_scene` stays the way to
display a file and read its pixels). Both NSIDC formats:

- NSIDC-0051/-0081 flat binary: the 300-byte header is parsed by
  :mod:`satview.core.readers.nsidc_header`, the cells are one byte each after it;
- G02202 / NSIDC-0079-style CDR netCDF-4: read through h5py's low-level API, which is several
  times cheaper per file than its high-level one. Only what dates the file
  (``time_coverage_start``), places it on a grid (shape, hemisphere, the grid mapping's EPSG code)
  and says how its values are packed is read; the concentration variable is the global
  ``cdr_variable``, else the one whose standard name is ``sea_ice_area_fraction``.

What a stored value means is the readers' one definition: the flat binary's band of
:func:`satview.core.readers.nsidc_header.concentration_band` and, for netCDF, the CF band of
:func:`satview.core.cf.cf_band` (as the HDF5 reader builds it), so flags (pole hole, coast, land,
missing), fill and values outside the valid range are NaN in percent here as in a scene.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5a, h5d, h5f, h5p, h5s

from satview.core.cf import attr_value, cf_band
from satview.core.polar_grids import NsidcGrid, grid_for_cell_count, match_nsidc_grid
from satview.core.readers.nsidc_header import HEADER_BYTES, concentration_band, describe_header, parse_header
from satview.core.types import BandInfo
from satview.errors import SatviewError, SceneReadError, UnsupportedFormatError

_DAY_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(\d{2})(?!\d)")
_HEMI_RE = re.compile(r"_(nh|sh|n|s)(?=[_.])", re.IGNORECASE)

#: Attributes that date a file and place it on a NSIDC grid (what polar_grids.match_nsidc_grid reads).
_GLOBAL_KEYS = ("time_coverage_start", "time_coverage_duration", "hemisphere", "region")
_GRID_MAPPING_KEYS = ("crs_wkt", "spatial_ref", "proj4text", "proj4", "proj4_string", "esri_pe_string",
                      "latitude_of_projection_origin", "semi_major_axis", "semimajor_axis",
                      "semimajor_radius", "semi_major_radius")
#: The variable attributes :func:`satview.core.cf.cf_band` interprets.
_CF_KEYS = ("scale_factor", "add_offset", "units", "_FillValue", "missing_value", "valid_range", "valid_min",
            "valid_max", "flag_values", "flag_meanings", "flag_masks", "flag_mask_meanings", "standard_name",
            "long_name", "_Unsigned")


@dataclass(frozen=True)
class SeaIceHeader:
    """What a sea-ice file says about itself: when, which grid, daily or monthly, and which variable."""

    path: str
    date: dt.date
    cadence: str  # "daily" or "monthly"
    grid: NsidcGrid
    variable: str | None  # netCDF variable of the concentration; None for flat binaries
    platform: str | None


@dataclass(frozen=True)
class SeaIceField:
    """A concentration grid in % (NaN at flags and fill) and the flag of each cell."""

    percent: np.ndarray  # (rows, cols) float32
    flags: np.ndarray  # (rows, cols) uint8: 0 = a measurement, else index+1 into ``flag_names``
    flag_names: tuple[str, ...]


def _name_date(name: str) -> tuple[dt.date, str] | None:
    """(date, cadence) from a NSIDC file name: ``..._YYYYMMDD_...`` daily, ``..._YYYYMM_...`` monthly."""
    m = _DAY_RE.search(name)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "daily"
        except ValueError:
            pass
    m = _MONTH_RE.search(name)
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "monthly"
    return None


def _hemisphere_of_name(name: str) -> str | None:
    m = _HEMI_RE.search(name)
    if not m:
        return None
    return "north" if m.group(1).lower().startswith("n") else "south"


# --- flat binary -----------------------------------------------------------------------------------

def _binary_header(path: Path, size: int) -> tuple[SeaIceHeader, dict[str, Any]]:
    """The header of a NSIDC-0051/-0081 flat binary file (date from the header, else the name) and
    the facts :func:`describe_header` found."""
    grid = grid_for_cell_count(size - HEADER_BYTES)
    if grid is None:
        raise UnsupportedFormatError("not a NSIDC flat binary sea-ice grid (unexpected file size)", path)
    with open(path, "rb") as fh:
        raw = fh.read(HEADER_BYTES)
    facts = describe_header(parse_header(raw), path)
    named = _name_date(path.name)
    cadence = named[1] if named else "daily"
    if cadence == "monthly" and named:
        date = named[0]
    elif "date" in facts:
        date = dt.date.fromisoformat(facts["date"])
    elif named:
        date = named[0]
    else:
        raise SatviewError("no date in the header or the file name", path)
    return SeaIceHeader(str(path), date, cadence, grid, None, facts.get("platform")), facts


def _binary_cells(header: SeaIceHeader) -> np.ndarray:
    try:
        return np.fromfile(header.path, dtype=np.uint8, offset=HEADER_BYTES).reshape(header.grid.shape)
    except ValueError as exc:  # the file shrank since its header was read
        raise SceneReadError(f"cannot read the sea-ice grid ({exc})", header.path) from exc


# --- netCDF-4 / HDF5 --------------------------------------------------------------------------------

_FAPL = h5p.create(h5p.FILE_ACCESS)
_FAPL.set_fclose_degree(h5f.CLOSE_STRONG)  # closing the file closes every object opened in it


def _attr(obj: Any, name: str) -> Any:
    """Attribute ``name`` of a low-level h5py object as plain Python (:func:`attr_value`), or None."""
    key = name.encode()
    if not h5a.exists(obj, key):  # cheap; a failed open would build an HDF5 error stack
        return None
    try:
        aid = h5a.open(obj, key)
        out = np.empty(aid.shape or (), dtype=aid.dtype)
        aid.read(out)
    except (TypeError, ValueError):  # a kind of attribute h5py cannot read into numpy: not one of ours
        return None
    return attr_value(out)


def _attrs(obj: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """The attributes named in ``keys`` that ``obj`` has (NSIDC files hold dozens; the rest are not read)."""
    found = {k: _attr(obj, k) for k in keys}
    return {k: v for k, v in found.items() if v is not None}


def _open_dataset(fid: Any, name: str) -> Any:
    try:
        return h5d.open(fid, name.encode())
    except KeyError:
        return None


def _concentration_dataset(fid: Any) -> tuple[str, Any] | None:
    """(name, low-level dataset) of the concentration: ``cdr_variable``, else by standard name."""
    named = str(_attr(fid, "cdr_variable") or "").strip()
    if named:
        ds = _open_dataset(fid, named)
        if ds is not None:
            return named, ds
    for name, obj in h5py.File(fid).items():
        if isinstance(obj, h5py.Dataset) and obj.ndim >= 2 and _attr(obj.id, "standard_name") == \
                "sea_ice_area_fraction":
            return name, obj.id
    return None


def _netcdf(path: Path, data: bool) -> tuple[SeaIceHeader, tuple[np.ndarray, BandInfo] | None]:
    """The header and, with ``data``, the stored 2-D grid and its band, from one opening of the file."""
    fid = h5f.open(os.fsencode(path), h5f.ACC_RDONLY, fapl=_FAPL)
    try:
        found = _concentration_dataset(fid)
        if found is None:
            raise UnsupportedFormatError("no sea-ice concentration variable", path)
        var, ds = found
        hints = _attrs(fid, _GLOBAL_KEYS)
        shape = tuple(ds.shape)
        mapping_name = _attr(ds, "grid_mapping")
        mapping = _open_dataset(fid, str(mapping_name)) if mapping_name else None
        if mapping is not None:  # an EPSG code settles hemisphere and datum; else every hint is read
            srid = _attr(mapping, "srid")
            hints.update({"srid": srid} if srid is not None else _attrs(mapping, _GRID_MAPPING_KEYS))
        stored = None
        if data:
            raw = np.empty(shape, dtype=ds.dtype)
            ds.read(h5s.ALL, h5s.ALL, raw)
            band = _cf_band(var, _attrs(ds, _CF_KEYS), raw.dtype, path)
            stored = raw.reshape(shape[-2:]).view(np.dtype(band.dtype)), band
    finally:
        fid.close()
    return _netcdf_header(path, var, shape, hints), stored


def _cf_band(name: str, attrs: dict[str, Any], dtype: np.dtype, path: Path) -> BandInfo:
    """The variable's band as the HDF5 reader makes it (``_Unsigned`` bytes read as unsigned)."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()))
    return replace(_band_of(name, frozen, dtype.str), source=str(path))


@functools.lru_cache(maxsize=64)
def _band_of(name: str, attrs: tuple[tuple[str, Any], ...], dtype_str: str) -> BandInfo:
    """:func:`cf_band` of a variable, made once per name, attributes and type (a product's files share it)."""
    found = {k: list(v) if isinstance(v, tuple) else v for k, v in attrs}
    dtype = np.dtype(dtype_str)
    if str(found.get("_Unsigned", "")).lower() == "true" and dtype.kind == "i":
        dtype = np.dtype(dtype.str.replace("i", "u"))
    return cf_band(name, found, str(dtype))


def _netcdf_header(path: Path, var: str, shape: tuple[int, ...], hints: dict[str, Any]) -> SeaIceHeader:
    start = str(hints.get("time_coverage_start", ""))
    duration = str(hints.get("time_coverage_duration", ""))
    grid = match_nsidc_grid(shape, _hemisphere_of_name(path.name), {**hints, "filename": path.name})
    if grid is None:
        raise UnsupportedFormatError(f"the {shape} concentration grid is not a NSIDC polar grid", path)
    named = _name_date(path.name)
    cadence = "monthly" if duration.upper() == "P1M" or "monthly" in path.name.lower() else "daily"
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", start)
    if m:
        date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif named:
        date = named[0]
    else:
        raise SatviewError("no date in time_coverage_start or the file name", path)
    return SeaIceHeader(str(path), date, cadence, grid, var, None)


# --- both formats ----------------------------------------------------------------------------------

def _is_hdf5(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8).startswith(b"\x89HDF")


def _guarded(path: Path, what: str, fn: Any) -> Any:
    """``fn()``, its OSError (and h5py's on a damaged file) a ``SceneReadError`` naming ``path``."""
    try:
        return fn()
    except SatviewError:
        raise
    except OSError as exc:  # unreadable, or HDF5 found the file damaged (h5py raises OSError then)
        raise SceneReadError(f"cannot read the {what} ({exc.strerror or exc})", path) from exc


def read_header(path: str | os.PathLike[str]) -> SeaIceHeader:
    """The :class:`SeaIceHeader` of a flat binary or netCDF NSIDC file; ``UnsupportedFormatError`` else.

    Remembered per file version (path, size, modification time): finding a stack and then reading
    its series asks each file once, not twice.
    """
    p = Path(path)
    st = _guarded(p, "file", p.stat)
    return _cached_header(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _cached_header(path: str, size: int, _mtime_ns: int) -> SeaIceHeader:
    p = Path(path)
    if _guarded(p, "file", lambda: _is_hdf5(p)):
        return _guarded(p, "netCDF header", lambda: _netcdf(p, data=False)[0])
    return _guarded(p, "file", lambda: _binary_header(p, size)[0])


def read_concentration(path: str | os.PathLike[str]) -> tuple[SeaIceHeader, np.ndarray, BandInfo]:
    """Header, stored concentration grid (2-D, as stored) and its band of one NSIDC file, opening it once.

    ``band.to_physical(raw)`` is the concentration in % with NaN at flags, fill and invalid values.
    """
    p = Path(path)
    if _guarded(p, "file", lambda: _is_hdf5(p)):
        header, stored = _guarded(p, "sea-ice concentration", lambda: _netcdf(p, data=True))
        assert stored is not None
        return (header, *stored)
    header, facts = _guarded(p, "file", lambda: _binary_header(p, p.stat().st_size))
    raw = _guarded(p, "sea-ice grid", lambda: _binary_cells(header))
    return header, raw, concentration_band(facts, header.grid.cell_size, str(p))


def percent_table(band: BandInfo) -> np.ndarray:
    """% concentration of each byte of a one-byte band (NaN at flags, fill and invalid values), to be
    indexed by the stored grid viewed as uint8 (:func:`to_percent`); made once per meaning of the
    values (the files of one product share it, whatever their names)."""
    return _table(replace(band, name="", description="", resolution=None, source=""))


@functools.lru_cache(maxsize=32)
def _table(band: BandInfo) -> np.ndarray:
    table = band.to_physical(np.arange(256, dtype=np.uint8).view(np.dtype(band.dtype)))
    table.flags.writeable = False
    return table


def to_percent(raw: np.ndarray, band: BandInfo) -> np.ndarray:
    """``band.to_physical(raw)`` (float32 %), through a 256-entry table for one-byte grids."""
    if raw.dtype.itemsize == 1 and np.dtype(band.dtype).itemsize == 1:
        return percent_table(band)[raw.view(np.uint8)]
    return band.to_physical(raw)


def read_field(path: str | os.PathLike[str]) -> SeaIceField:
    """The concentration (%) and flags of a NSIDC file, at full resolution."""
    _header, raw, band = read_concentration(path)
    codes = np.zeros(raw.shape, dtype=np.uint8)
    for i, (value, _name) in enumerate(band.flags):
        codes[raw == value] = i + 1
    return SeaIceField(to_percent(raw, band), codes, tuple(name for _v, name in band.flags))
