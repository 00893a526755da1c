"""``satview series PATH...``: per-date statistics of an index, a band or the sea-ice extent."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from satview.cli.progress import ProgressLine
from satview.core.atomic import atomic_path
from satview.errors import SatviewError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "series", help="per-date statistics over a stack (index, band or sea-ice extent)",
        description="For each date of the stack among PATHs: the mean and median of an index or band "
                    "over the valid, clear pixels (cloud, shadow, cirrus, fill and, except for NDSI, "
                    "snow masked through the QA band), the clear fraction and the pixel count; with "
                    "--seaice the extent (cells >= 15 %%) and area (concentration x true cell area) "
                    "in km2. Over the whole scene, an AOI, or the cell under --lonlat.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns of one place")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--aoi", metavar="AOI", help="GeoJSON / WKT / Shapefile polygon")
    where.add_argument("--lonlat", nargs=2, type=float, metavar=("LON", "LAT"), help="one point")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--index", metavar="NAME", help="spectral index: ndvi, ndwi, ndsi, nbr, ndmi, evi")
    what.add_argument("--band", metavar="NAME", help="a band name or common name (e.g. NIR)")
    what.add_argument("--seaice", action="store_true", help="sea-ice extent and area of NSIDC files")
    p.add_argument("-o", "--output", metavar="OUT.csv", help="write the series as CSV")
    p.add_argument("--json", action="store_true",
                   help='print {"series": [{"date", "mean", "median", "clear_fraction", "pixels"}]} '
                        '(sea ice: {"series": [{"date", "extent_km2", "area_km2"}]})')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    aoi = _aoi(args.aoi)
    progress = ProgressLine("series")
    try:
        if args.seaice:
            if args.lonlat:
                raise SatviewError("--seaice sums areas: give an --aoi, not a --lonlat point")
            from satview.core.stack.seaice_series import SEAICE_COLUMNS, seaice_stack_series

            rows = seaice_stack_series(args.paths, aoi=aoi, progress=progress)[1]
            columns = SEAICE_COLUMNS
        else:  # the index path's imports (rasterio's rasterizer, the index code) only when it runs
            from satview.core.stack.discover import single_stack
            from satview.core.stack.quantity import parse_quantity
            from satview.core.stack.series import VALUE_COLUMNS, value_series

            stack = single_stack(args.paths)
            q = parse_quantity(args.index, args.band)
            lonlat = tuple(args.lonlat) if args.lonlat else None
            rows = value_series(stack.scenes, q, aoi=aoi, lonlat=lonlat, progress=progress)
            columns = VALUE_COLUMNS
    finally:
        progress.done()
    if args.output:
        write_csv(args.output, rows, columns)
    if args.json:
        print(json.dumps({"series": rows}))
    elif not args.output:
        write_table(rows, columns)
    return 0


def _aoi(text: str | None) -> Any:
    if not text:
        return None
    from satview.core.aoi import load_aoi  # shapely and GEOS only when an AOI is given

    return load_aoi(text)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.1f}"
    return str(v)


def write_csv(path: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Write ``rows`` as CSV with ``columns`` atomically (empty cells for missing values)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r[c] for c in columns])


def write_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Print ``rows`` as an aligned text table."""
    cells = [list(columns)] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        sys.stdout.write("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) + "\n")
