"""``satview demo``: write the built-in synthetic Landsat 8 scene into the cache, print its path."""

from __future__ import annotations

import argparse

from satview.cli.progress import ProgressLine


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="make the built-in demo scene and print its path",
                       description="Write a realistic synthetic Landsat 8 Collection 2 Level-2 "
                                   "tarball (COGs with overviews) into the user cache.")
    p.add_argument("--full", action="store_true", help="full size (7791 x 7921), for benchmarks")
    p.add_argument("--format", dest="fmt", choices=("tar", "tar.gz", "dir"), default="tar")
    p.add_argument("--force", action="store_true", help="regenerate even if it exists")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="folder to write to (default: the cache)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from satview.core.demo import make_demo_scene

    progress = ProgressLine("demo")
    try:
        path = make_demo_scene(args.output_dir, full=args.full, fmt=args.fmt, force=args.force,
                               progress=progress)
    finally:
        progress.done()
    print(path)
    return 0
