"""NSIDC sea-ice files read lightly: date, hemisphere and cadence from headers, concentration as a grid.

Stacks and series touch hundreds of daily files, so this module avoids the general readers' full
georeferencing of each netCDF file: a NSIDC-0051/-0081 flat binary is a 300-byte header plus one
byte per cell, and a G02202 / NSIDC-0079-style CDR netCDF file holds its date in
``time_coverage_start`` and its concentration in one CF-packed variable. Both lie on a NSIDC polar
stereographic grid that :mod:`satview.core.polar_grids` identifies from the array shape and the
hemisphere. Everything else about those files (the display, the pixel readout) still goes through
:func:`satview.core.readers.open_scene`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5a

from satview.core.polar_grids import NsidcGrid, grid_for_cell_count, match_nsidc_grid
from satview.core.readers.nsidc_binary import (
    CONCENTRATION_SCALE,
    HEADER_BYTES,
    NSIDC_BINARY_FLAGS,
    describe_header,
    parse_header,
)
from satview.errors import SatviewError, SceneReadError, UnsupportedFormatError

_DAY_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(\d{2})(?!\d)")
_HEMI_RE = re.compile(r"_(nh|sh|n|s)(?=[_.])", re.IGNORECASE)


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
    """A concentration grid in % (NaN at flags and fill) and the raw flag names per cell value."""

    percent: np.ndarray  # (rows, cols) float32
    flags: np.ndarray  # (rows, cols) uint8: 0 = a measurement, else index+1 into ``flag_names``
    flag_names: tuple[str, ...]


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.size == 1:
        return _text(v.reshape(-1)[0])
    return str(v)


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


def read_binary_header(path: Path, size: int) -> SeaIceHeader:
    """The header of a NSIDC-0051/-0081 flat binary file (date from the header, else the name)."""
    grid = grid_for_cell_count(size - HEADER_BYTES)
    if grid is None:
        raise UnsupportedFormatError("not a NSIDC flat binary sea-ice grid (unexpected file size)", path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(HEADER_BYTES)
    except OSError as exc:
        raise SceneReadError(f"cannot read the file ({exc.strerror or exc})", path) from exc
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
    return SeaIceHeader(str(path), date, cadence, grid, None, facts.get("platform"))


def _attr(obj: Any, name: str) -> Any:
    """Attribute ``name`` of an h5py object (an array), or None; through the low-level API, which is
    several times faster than ``obj.attrs[name]`` (a year of daily files reads thousands)."""
    key = name.encode()
    try:
        if not h5a.exists(obj.id, key):  # cheap; a failed open would build an HDF5 error stack
            return None
        aid = h5a.open(obj.id, key)
        out = np.empty(aid.shape or (), dtype=aid.dtype)
        aid.read(out)
    except Exception:  # absent, or a kind of attribute this cannot read (then it is not ours)
        return None
    return out


def _concentration_variable(f: Any) -> str | None:
    """The concentration variable of an open h5py file: ``cdr_variable``, else by standard name."""
    named = _text(_attr(f, "cdr_variable") or "").strip()
    if named and named in f:
        return named
    for name, obj in f.items():
        standard = _text(obj.attrs.get("standard_name", ""))
        if getattr(obj, "ndim", 0) >= 2 and standard == "sea_ice_area_fraction":
            return name
    return None


#: Attributes that date a file and place it on a NSIDC grid (what polar_grids.match_nsidc_grid reads).
_GLOBAL_KEYS = frozenset({"time_coverage_start", "time_coverage_duration", "hemisphere", "region"})
_GRID_MAPPING_KEYS = frozenset({"srid", "crs_wkt", "spatial_ref", "proj4text", "proj4", "proj4_string",
                                "esri_pe_string", "latitude_of_projection_origin", "semi_major_axis",
                                "semimajor_axis", "semimajor_radius", "semi_major_radius"})


def _some_attrs(obj: Any, wanted: frozenset[str]) -> dict[str, str]:
    """The attributes named in ``wanted`` as text; the others are not read (NSIDC files hold dozens)."""
    found = {k: _attr(obj, k) for k in wanted}
    return {k: _text(v) for k, v in found.items() if v is not None}


def read_netcdf_header(path: Path) -> SeaIceHeader:
    """The header of a NSIDC CDR-style netCDF-4 file: date from ``time_coverage_start`` (else the name)."""
    return _read_netcdf(path, data=False)[0]


def _read_netcdf(path: Path, data: bool) -> tuple[SeaIceHeader, tuple[np.ndarray, Packing] | None]:
    """The header and, with ``data``, the stored grid and its packing, from one opening of the file."""
    stored = None
    try:
        with h5py.File(path, "r") as f:
            var = _concentration_variable(f)
            if var is None:
                raise UnsupportedFormatError("no sea-ice concentration variable", path)
            attrs = _some_attrs(f, _GLOBAL_KEYS)
            start = attrs.get("time_coverage_start", "")
            duration = attrs.get("time_coverage_duration", "")
            v = f[var]
            shape = v.shape
            gm_name = _attr(v, "grid_mapping")
            gm = _text(gm_name) if gm_name is not None else ""
            if gm and gm in f:  # an EPSG code settles hemisphere and datum; else every hint is read
                mapping = f[gm]
                srid = _attr(mapping, "srid")
                if srid is not None:
                    attrs["srid"] = _text(srid)
                else:
                    attrs.update(_some_attrs(mapping, _GRID_MAPPING_KEYS))
            if data:
                stored = _stored(v)
    except SatviewError:
        raise
    except Exception as exc:  # h5py on a damaged or foreign file
        raise SceneReadError(f"cannot read the netCDF header ({exc})", path) from exc
    attrs["filename"] = path.name
    grid = match_nsidc_grid(shape, _hemisphere_of_name(path.name), attrs)
    if grid is None:
        raise UnsupportedFormatError(f"the {shape} concentration grid is not a NSIDC polar grid", path)
    named = _name_date(path.name)
    cadence = "monthly" if duration.upper() == "P1M" or "monthly" in path.name.lower() else "daily"
    date: dt.date | None = None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", start)
    if m:
        date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif named:
        date = named[0]
    if date is None:
        raise SatviewError("no date in time_coverage_start or the file name", path)
    return SeaIceHeader(str(path), date, cadence, grid, var, None), stored


def read_header(path: str | Path) -> SeaIceHeader:
    """The :class:`SeaIceHeader` of a flat binary or netCDF NSIDC file; ``UnsupportedFormatError`` else.

    Remembered per file version (path, size, modification time): finding a stack and then reading
    its series asks each file once, not twice.
    """
    p = Path(path)
    try:
        st = p.stat()
        return _cached_header(str(p), st.st_size, st.st_mtime_ns)
    except OSError as exc:
        raise SceneReadError(f"cannot read the file ({exc.strerror or exc})", p) from exc


@functools.lru_cache(maxsize=4096)
def _cached_header(path: str, size: int, _mtime_ns: int) -> SeaIceHeader:
    p = Path(path)
    with open(p, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\x89HDF"):
        return read_netcdf_header(p)
    return read_binary_header(p, size)


@dataclass(frozen=True)
class Packing:
    """How stored values become % concentration: scale and offset (to %), valid range, fill, flags."""

    scale: float
    offset: float
    valid: tuple[float, ...] | None
    fill: float | None
    flags: tuple[tuple[int, str], ...]

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """% concentration of ``raw`` (float32), NaN where invalid, fill or a flag."""
        if raw.dtype == np.uint8:
            return percent_table(self)[raw]
        percent = raw.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
        percent[self.invalid(raw)] = np.nan
        return percent

    def invalid(self, raw: np.ndarray) -> np.ndarray:
        bad = np.zeros(raw.shape, dtype=bool)
        if self.valid is not None:
            bad |= (raw < self.valid[0]) | (raw > self.valid[1])
        if self.fill is not None:
            bad |= raw == self.fill
        for value, _name in self.flags:
            bad |= raw == value
        return bad


@functools.lru_cache(maxsize=32)
def percent_table(packing: Packing) -> np.ndarray:
    """% concentration of each of the 256 byte values (NaN for invalid, fill and flags)."""
    table = packing.decode(np.arange(256, dtype=np.uint16))
    table.flags.writeable = False
    return table


_PACKING_KEYS = ("scale_factor", "add_offset", "units", "flag_values", "flag_meanings", "valid_range",
                 "_FillValue")


def read_raw(header: SeaIceHeader) -> tuple[np.ndarray, Packing]:
    """The stored concentration grid of the file ``header`` describes (2-D) and its :class:`Packing`."""
    p = Path(header.path)
    if header.variable is None:
        try:
            raw = np.fromfile(p, dtype=np.uint8, offset=HEADER_BYTES).reshape(header.grid.shape)
        except (OSError, ValueError) as exc:
            raise SceneReadError(f"cannot read the sea-ice grid ({exc})", p) from exc
        scale = 100.0 / CONCENTRATION_SCALE
        return raw, Packing(scale, 0.0, (0, CONCENTRATION_SCALE), None, NSIDC_BINARY_FLAGS)

    try:
        with h5py.File(p, "r") as f:
            return _stored(f[header.variable])
    except Exception as exc:  # a damaged file or one that changed since its header was read
        raise SceneReadError(f"cannot read the sea-ice concentration ({exc})", p) from exc


def _stored(v: Any) -> tuple[np.ndarray, Packing]:
    """The 2-D stored grid of h5py dataset ``v`` and its CF packing (scale to %, range, fill, flags)."""
    raw = np.asarray(v[...])
    raw = raw.reshape(raw.shape[-2:])
    found = {k: _attr(v, k) for k in _PACKING_KEYS}
    a = {k: x for k, x in found.items() if x is not None}

    def number(key: str, default: float) -> float:
        x = np.asarray(a.get(key, default)).reshape(-1)[0]
        # a float32 0.01 is 0.0099999998: read it as the decimal it was written as, so that
        # 15 stored as 0.15 is 15 %, not 14.999999 % (below the extent threshold)
        return float(str(x)) if isinstance(x, np.float32) else float(x)

    scale, offset = number("scale_factor", 1.0), number("add_offset", 0.0)
    if _text(a.get("units", "1")).strip() in ("1", "", "fraction"):
        scale, offset = scale * 100.0, offset * 100.0
    values = [int(x) for x in np.asarray(a.get("flag_values", [])).reshape(-1)]
    flags = tuple(zip(values, _text(a.get("flag_meanings", "")).split(), strict=False))
    vr = a.get("valid_range")
    valid = tuple(float(x) for x in np.asarray(vr).reshape(-1)[:2]) if vr is not None else None
    fill = number("_FillValue", 0.0) if "_FillValue" in a else None
    return raw, Packing(scale, offset, valid, fill, flags)


def read_file(path: str | Path, netcdf: bool) -> tuple[SeaIceHeader, np.ndarray, Packing]:
    """Header, stored grid and packing of a NSIDC file (``netcdf``: HDF5-based, else flat binary),
    opening a netCDF file once (for series)."""
    p = Path(path)
    try:
        if not netcdf:
            header = read_binary_header(p, p.stat().st_size)
            return (header, *read_raw(header))
    except OSError as exc:
        raise SceneReadError(f"cannot read the file ({exc.strerror or exc})", p) from exc
    header, stored = _read_netcdf(p, data=True)
    assert stored is not None
    return (header, *stored)


def read_field(header: SeaIceHeader) -> SeaIceField:
    """The concentration (%) and flags of the file ``header`` describes, at full resolution."""
    raw, packing = read_raw(header)
    codes = np.zeros(raw.shape, dtype=np.uint8)
    for i, (value, _name) in enumerate(packing.flags):
        codes[raw == value] = i + 1
    return SeaIceField(packing.decode(raw), codes, tuple(name for _v, name in packing.flags))
