"""A demo sea-ice season: daily Arctic concentration files with a known extent on every day.

For ``satview demo --seaice-season DAYS``, the series tests and the benchmarks. Each day is a
NSIDC-0051-style flat binary (``nt_YYYYMMDD_f17_v1.1_n.bin``: 300-byte header, 304 x 448 bytes,
0-250 = 0-100 %, flags 251-255) or a G02202-style netCDF-4 file
(``seaice_conc_daily_nh_YYYYMMDD_f17_v04r00.nc``: ``cdr_seaice_conc`` 0-100 x 0.01, flags
251-255, ``time_coverage_start``), or both kinds alternating ("mixed"). The ice is a cap around
the pole whose edge follows the seasons (67 deg N in March, 83 deg N in September) with a 3-degree
marginal ice zone; a block of land with its coast and the pole hole are flagged. ``truth.json``
holds each day's extent (cells >= 15 %) and area (concentration x true cell area) in km².
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from satview.core.demo.folder import building, write_truth
from satview.core.polar_grids import cell_areas_km2, cell_centers_lonlat, nsidc_grid
from satview.core.seaice import extent_and_area
from satview.errors import SatviewError

GRID = "nsidc-north-25km"
FORMATS = ("bin", "nc", "mixed")
MIZ_DEGREES = 3.0  # width of the marginal ice zone (0 -> 100 %)
POLE_HOLE_LAT = 87.2
_POLE, _COAST, _LAND = 251, 253, 254


def ice_edge_latitude(day: dt.date) -> float:
    """Latitude of the ice edge on ``day``: 67 deg N at the March maximum, 83 deg N in September."""
    phase = 2 * math.pi * (day.timetuple().tm_yday - 70) / 365.25
    return 75.0 - 8.0 * math.cos(phase)


def _static(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Flag codes that do not change (land, coast, pole hole), 0 elsewhere."""
    land = (lon >= 0.0) & (lon <= 60.0) & (lat < 72.0)
    flags = np.zeros(lat.shape, dtype=np.uint8)
    flags[land] = _LAND
    near_sea = np.zeros_like(land)
    near_sea[1:, :] |= ~land[:-1, :]
    near_sea[:-1, :] |= ~land[1:, :]
    near_sea[:, 1:] |= ~land[:, :-1]
    near_sea[:, :-1] |= ~land[:, 1:]
    flags[land & near_sea] = _COAST
    flags[lat > POLE_HOLE_LAT] = _POLE
    return flags


def _percent(lat: np.ndarray, day: dt.date) -> np.ndarray:
    """Whole-percent concentration (0-100) of ``day``: 100 poleward of the marginal ice zone."""
    edge = ice_edge_latitude(day)
    return np.rint(np.clip((lat - edge) / MIZ_DEGREES, 0.0, 1.0) * 100.0).astype(np.uint8)


def _field(value: str | int | float) -> bytes:
    return str(value)[:5].rjust(5).encode("ascii") + b"\x00"


def binary_bytes(raw: np.ndarray, day: dt.date, name: str) -> bytes:
    """A NSIDC-0051 file: the 300-byte header then ``raw`` (uint8, 0-250 and flags) row by row."""
    rows, cols = raw.shape
    jday = day.timetuple().tm_yday
    fields = [255, cols, rows, 1.799, 39.43, 45.00, 558.4, 154.0, 234.0, "SSMIS", "17 cn", jday, -9999,
              -9999, jday, -9999, -9999, day.year, jday, "000", "00250"]
    head = b"".join(_field(v) for v in fields)
    text = [(name, 24), ("ARCTIC    SSMIS TOTAL ICE CONCENTRATION (satview demo)", 80),
            (f"ARCTIC  DAY {jday:03d} {day:%m/%d/%Y}", 70)]
    for value, width in text:
        head += value.encode("ascii")[: width - 1].ljust(width, b"\x00")
    assert len(head) == 300
    return head + np.ascontiguousarray(raw, dtype=np.uint8).tobytes()


def _write_netcdf(path: Path, pct: np.ndarray, flags: np.ndarray, day: dt.date, grid: Any) -> None:
    raw = np.where(flags > 0, flags, pct).astype(np.uint8)
    t = grid.transform
    with h5py.File(path, "w") as f:
        f.attrs.update({"Conventions": "CF-1.6, ACDD-1.3", "cdr_variable": "cdr_seaice_conc",
                        "title": "satview demo sea-ice concentration (G02202-style)",
                        "time_coverage_start": f"{day.isoformat()}T00:00:00Z",
                        "time_coverage_end": f"{day.isoformat()}T23:59:59Z",
                        "time_coverage_duration": "P1D", "geospatial_lat_min": 31.35,
                        "geospatial_lat_max": 90.0})
        proj = f.create_dataset("projection", shape=(), dtype="S1")
        proj.attrs.update({"grid_mapping_name": "polar_stereographic", "srid": "urn:ogc:def:crs:EPSG::3411",
                           "GeoTransform": f"{t.c} {t.a} 0 {t.f} 0 {t.e}",
                           "latitude_of_projection_origin": 90.0,
                           "standard_parallel": 70.0, "straight_vertical_longitude_from_pole": -45.0,
                           "semimajor_radius": 6378273.0, "semiminor_radius": 6356889.449})
        f.create_dataset("xgrid", data=(t.c + t.a * (np.arange(grid.width) + 0.5)).astype(np.float32))
        f.create_dataset("ygrid", data=(t.f + t.e * (np.arange(grid.height) + 0.5)).astype(np.float32))
        v = f.create_dataset("cdr_seaice_conc", data=raw[np.newaxis], compression="gzip", compression_opts=1,
                             fillvalue=255)
        v.attrs.update({"_FillValue": np.uint8(255), "standard_name": "sea_ice_area_fraction", "units": "1",
                        "scale_factor": np.float32(0.01), "valid_range": np.array([0, 100], dtype=np.uint8),
                        "flag_values": np.array([251, 252, 253, 254, 255], dtype=np.uint8),
                        "flag_meanings": "pole_hole lakes coastal land_mask missing_data",
                        "grid_mapping": "projection"})


def _write_day(folder: Path, day: dt.date, kind: str, grid: Any, lat: np.ndarray, flags: np.ndarray,
               areas: np.ndarray) -> dict[str, Any]:
    """Write one day's file (``kind`` "bin" or "nc"); returns its truth row."""
    pct = _percent(lat, day)
    if kind == "bin":
        name = f"nt_{day:%Y%m%d}_f17_v1.1_n.bin"
        raw = np.where(flags > 0, flags, np.rint(pct.astype(np.float32) * 2.5)).astype(np.uint8)
        (folder / name).write_bytes(binary_bytes(raw, day, name))
        shown = np.where(flags > 0, np.nan, raw / 2.5)
    else:
        name = f"seaice_conc_daily_nh_{day:%Y%m%d}_f17_v04r00.nc"
        _write_netcdf(folder / name, pct, flags, day, grid)
        shown = np.where(flags > 0, np.nan, pct.astype(np.float64))
    extent, area = extent_and_area(shown, areas)
    return {"date": day.isoformat(), "file": name, "extent_km2": extent, "area_km2": area,
            "ice_edge_lat": ice_edge_latitude(day)}


def make_seaice_season(dest_dir: str | os.PathLike[str], days: int, *, start: dt.date = dt.date(2021, 1, 1),
                       fmt: str = "bin") -> Path:
    """Write ``days`` daily files from ``start`` into ``dest_dir/satview-seaice-<days>/`` with ``truth.json``.

    ``fmt`` is "bin" (NSIDC-0051 flat binary), "nc" (G02202-style netCDF-4) or "mixed" (alternating).
    The folder appears complete or not at all; an existing one is replaced. Returns the folder.
    """
    if fmt not in FORMATS:
        raise SatviewError(f"unknown sea-ice season format {fmt!r}; use {', '.join(FORMATS)}")
    if not 1 <= days <= 3660:
        raise SatviewError(f"a demo sea-ice season has 1 to 3660 days, not {days}")
    grid = nsidc_grid(GRID)
    lon, lat = cell_centers_lonlat(grid)
    flags = _static(lat, lon)
    areas = cell_areas_km2(grid)
    final = Path(dest_dir) / f"satview-seaice-{days}"
    truth = []
    with building(final, "demo sea-ice season") as build:
        for i in range(days):
            day = start + dt.timedelta(days=i)
            kind = fmt if fmt != "mixed" else ("bin", "nc")[i % 2]
            truth.append(_write_day(build, day, kind, grid, lat, flags, areas))
        write_truth(build, {"grid": GRID, "days": truth})
    return final
