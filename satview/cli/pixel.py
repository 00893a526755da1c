"""``satview pixel``: every band's DN, physical value and decoded QA at one point."""

from __future__ import annotations

import argparse
import dataclasses
import json

from satview.cli.info import add_dataset_option, open_for_cli
from satview.core import pixel


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pixel", help="values of every band at one point",
                       description="Show the cell containing a point and every band's value there.")
    p.add_argument("path")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--rowcol", nargs=2, type=float, metavar=("ROW", "COL"))
    where.add_argument("--xy", nargs=2, type=float, metavar=("X", "Y"), help="map coordinates")
    where.add_argument("--lonlat", nargs=2, type=float, metavar=("LON", "LAT"))
    p.add_argument("--json", action="store_true", help="print JSON")
    add_dataset_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_for_cli(args.path, args.dataset) as scene:
        row, col = pixel.locate(scene, rowcol=args.rowcol, xy=args.xy, lonlat=args.lonlat)
        report = pixel.query_pixel(scene, row, col)
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2, default=str))
        return 0
    lon = "?" if report.lon is None else f"{report.lon:.6f}"
    lat = "?" if report.lat is None else f"{report.lat:.6f}"
    print(f"row {report.row}  col {report.col}  x {report.x:.3f}  y {report.y:.3f}  lon {lon}  lat {lat}")
    width = max((len(b.name) for b in report.bands), default=4)
    for b in report.bands:
        value = "-" if b.value is None else f"{b.value:.{pixel.VALUE_DIGITS}g}"  # 264.26, 136, 0.0342
        extra = f"  [{b.flag}]" if b.flag else ""
        if b.qa:
            on = [k for k, v in b.qa.items() if v is True]
            extra += "  " + (", ".join(on) if on else "no flags set")
        print(f"  {b.name:<{width}}  DN {b.dn!s:>8}  {value:>12} {b.unit}{extra}".rstrip())
    return 0
