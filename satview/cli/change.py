"""``satview change BEFORE AFTER``: AFTER minus BEFORE of an index, band or sea-ice concentration."""

from __future__ import annotations

import argparse
import json
import os

from satview.core.aoi import load_aoi
from satview.core.stack.change import write_change
from satview.core.stack.classes import DNBR_CONVENTION, parse_classes
from satview.core.stack.headers import is_seaice_file
from satview.core.stack.quantity import parse_quantity
from satview.errors import SatviewError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "change", help="two-date difference (AFTER minus BEFORE) on one grid, with classes",
        description="Put both dates on one grid (the BEFORE scene's pixels over the overlap by default), "
                    "matching bands by meaning (TM B4 and OLI B5 are both NIR), resampling the bands "
                    "(bilinear; nearest for QA) before the index is computed, masking pixels that are "
                    "fill, cloud, shadow, cirrus or snow in either date, and write AFTER minus BEFORE as "
                    "float32 GeoTIFF (NaN nodata). Two NSIDC sea-ice files without --index/--band give "
                    "the concentration difference in percentage points with flags kept as 251-255. "
                    f"--classes dnbr uses {DNBR_CONVENTION}.")
    p.add_argument("before", metavar="BEFORE")
    p.add_argument("after", metavar="AFTER")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--index", metavar="NAME", help="spectral index: ndvi, ndwi, ndsi, nbr, ndmi, evi")
    what.add_argument("--band", metavar="NAME", help="a band name or common name (e.g. NIR)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.tif")
    p.add_argument("--aoi", metavar="AOI", help="GeoJSON / WKT / Shapefile polygon: compare only inside it")
    p.add_argument("--classes", metavar="NAME",
                   help="dnbr (USGS burn severity, needs --index nbr) or threshold:LOW,HIGH "
                        "(on AFTER - BEFORE)")
    p.add_argument("--grid", choices=("before", "after"), default="before",
                   help="whose pixel grid the result uses (default: before)")
    p.add_argument("--dst-crs", metavar="CRS", help="write the result in this CRS (EPSG code, PROJ or WKT)")
    p.add_argument("--json", action="store_true",
                   help='print {"grid": {crs, transform, width, height}, "pixels_compared", '
                        '"pixels_masked", "area_km2": {class: km2}, ...}')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    quantity = parse_quantity(args.index, args.band) if (args.index or args.band) else None
    for path in (args.before, args.after):
        if not os.path.exists(path):
            raise SatviewError("no such file or folder", path)
    if quantity is None and not _both_seaice(args.before, args.after):
        raise SatviewError("give --index NAME or --band NAME (only two NSIDC sea-ice files need neither)")
    scheme = parse_classes(args.classes, quantity.label if quantity else "sea ice")
    aoi = None
    if args.aoi:
        aoi = load_aoi(args.aoi)
    result = write_change(args.before, args.after, quantity, args.output, aoi=aoi, grid=args.grid,
                          dst_crs=args.dst_crs, scheme=scheme)
    summary = result.to_dict()
    if args.json:
        print(json.dumps(summary))
        return 0
    g = summary["grid"]
    print(f"wrote {result.path}: {result.quantity}, {result.after_date} minus {result.before_date}")
    print(f"grid {g['crs']}, {g['width']} x {g['height']}; {result.pixels_compared} pixels compared, "
          f"{result.pixels_masked} masked")
    for name, km2 in result.classes.items():
        print(f"  {name:<26} {km2:12.4f} km2")
    return 0


def _both_seaice(*paths: str) -> bool:
    return all(is_seaice_file(p) for p in paths)
