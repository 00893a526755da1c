"""Floor of `satview series --seaice --json`: a plain h5py loop over daily G02202-style netCDF files.

    python series_h5py.py FOLDER

Reads ``cdr_seaice_conc`` and the date (``time_coverage_start``) of every ``*.nc`` file (values
0-100 in steps of 0.01 fraction; 251-255 flags), sums the true cell areas of the NSIDC north 25 km
grid (nominal area / PROJ's areal scale factor) over cells >= 15 % (extent) and weighted by
concentration (area), and prints the same JSON as satview: ``{"series": [{"date", "extent_km2",
"area_km2"}]}``, sorted by date. What it knows in advance (the variable, its scaling, the grid)
satview reads from each file.
"""

from __future__ import annotations

import glob
import json
import sys

import h5py
import numpy as np
import pyproj


def cell_areas() -> np.ndarray:
    crs = pyproj.CRS.from_epsg(3411)
    rows, cols, cell = 448, 304, 25_000.0
    r, c = np.mgrid[0:rows, 0:cols]
    x, y = -3_850_000.0 + (c + 0.5) * cell, 5_850_000.0 - (r + 0.5) * cell
    lon, lat = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(x, y)
    areal = np.asarray(pyproj.Proj(crs).get_factors(lon, lat).areal_scale).reshape(rows, cols)
    return cell * cell / areal / 1e6


def main(folder: str) -> None:
    areas = cell_areas()
    rows = []
    for path in glob.glob(f"{folder}/*.nc"):
        with h5py.File(path, "r") as f:
            date = f.attrs["time_coverage_start"][:10]
            raw = f["cdr_seaice_conc"][0]
        ice = (raw >= 15) & (raw <= 100)
        cells = areas[ice]
        rows.append({"date": date.decode() if isinstance(date, bytes) else str(date),
                     "extent_km2": float(cells.sum()), "area_km2": float((cells * raw[ice] / 100.0).sum())})
    print(json.dumps({"series": sorted(rows, key=lambda r: r["date"])}))


if __name__ == "__main__":
    main(sys.argv[1])
