"""``satview demo``: write the built-in synthetic Landsat 8 scene into the cache, print its path.

``--stack N`` writes a dated stack with planted changes instead, ``--seaice-season DAYS`` a season
of daily sea-ice files (see :mod:`satview.core.demo.stack` and :mod:`satview.core.demo.season`).
"""

from __future__ import annotations

import argparse
import datetime as dt

from satview.cli.progress import ProgressLine
from satview.core.cache import user_cache_dir
from satview.core.demo import make_demo_scene
from satview.errors import SatviewError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="make the built-in demo scene and print its path",
                       description="Write a realistic synthetic Landsat 8 Collection 2 Level-2 "
                                   "tarball (COGs with overviews) into the user cache.")
    p.add_argument("--full", action="store_true", help="full size (7791 x 7921), for benchmarks")
    p.add_argument("--format", dest="fmt", choices=("tar", "tar.gz", "dir"), default="tar")
    p.add_argument("--force", action="store_true", help="regenerate even if it exists")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="folder to write to (default: the cache)")
    p.add_argument("--stack", type=int, metavar="N",
                   help="write N dated Landsat 8 L2 scenes of one place instead (DIR/satview-stack-N/: "
                        "scenes/, neighbour/ = one date in the next UTM zone, truth.json): a burn scar of "
                        "known area appears between dates N//2-1 and N//2, a town grows, snow in winter, "
                        "a cloud and its shadow on date 1")
    p.add_argument("--seaice-season", type=int, metavar="DAYS",
                   help="write DAYS daily Arctic sea-ice files from --start instead "
                        "(DIR/satview-seaice-DAYS/ with truth.json: the extent and area of each day)")
    p.add_argument("--season-format", choices=("bin", "nc", "mixed"), default="bin",
                   help="sea-ice files as NSIDC-0051 binary, G02202-style netCDF, or alternating")
    p.add_argument("--start", metavar="YYYY-MM-DD", default="2021-01-01", help="first day of --seaice-season")
    p.add_argument("--size", type=int, default=240, metavar="PX", help="pixels across a --stack scene")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.stack is not None or args.seaice_season is not None:
        print(_time_demo(args))
        return 0

    progress = ProgressLine("demo")
    try:
        path = make_demo_scene(args.output_dir, full=args.full, fmt=args.fmt, force=args.force,
                               progress=progress)
    finally:
        progress.done()
    print(path)
    return 0


def _time_demo(args: argparse.Namespace) -> str:
    """Write the demo stack or sea-ice season; returns its folder."""
    dest = args.output_dir or user_cache_dir("demo")
    if args.stack is not None and args.seaice_season is not None:
        raise SatviewError("give --stack or --seaice-season, not both")
    if args.stack is not None:
        from satview.core.demo.stack import make_demo_stack  # lazy: only --stack (+~100 ms)

        return str(make_demo_stack(dest, args.stack, size=args.size))
    from satview.core.demo.season import make_seaice_season  # lazy: only --seaice-season: h5py (+~150 ms)

    try:
        start = dt.date.fromisoformat(args.start)
    except ValueError:
        raise SatviewError(f"--start {args.start!r} is not a YYYY-MM-DD date") from None
    return str(make_seaice_season(dest, args.seaice_season, start=start, fmt=args.season_format))
