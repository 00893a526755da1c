"""``satview stack PATH...``: the stacks (same place, different dates) among files and folders."""

from __future__ import annotations

import argparse
import json

from satview.core.stack.discover import find_stacks


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stack", help="group scenes of the same place by date",
                       description="Find the scenes of one place at different dates among the files and "
                                   "folders given (folders are searched recursively): Landsat of one WRS-2 "
                                   "path and touching rows (any sensor, level, collection), NSIDC sea-ice "
                                   "files of one hemisphere (binary and netCDF), MODIS tiles of one h/v, "
                                   "rasters of one grid. Only headers are read.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns")
    p.add_argument("--json", action="store_true",
                   help='print {"stacks": [{"kind", "label", "crs", "scenes": [{"path", "date", '
                        '"product_id", "cloud_cover"}]}], "ignored": [{"path", "reason"}]}')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = find_stacks(args.paths)
    if args.json:
        print(json.dumps(found.to_dict(), indent=1))
        return 0
    for stack in found.stacks:
        print(f"{stack.label}: {len(stack.scenes)} date(s), {stack.crs}")
        print(f"  {'date':<10}  {'cloud':>6}  product / file")
        for s in stack.scenes:
            cloud = f"{s.cloud_cover:5.1f}%" if s.cloud_cover is not None else "     -"
            print(f"  {s.date.isoformat():<10}  {cloud:>6}  {s.product_id or s.path}")
        print()
    if found.ignored:
        print("ignored:")
        for path, reason in found.ignored:
            print(f"  {path}: {reason}")
    if not found.stacks:
        print("no dated scenes found")
    return 0
