"""``satview animate PATH... -o OUT.gif|OUT.mp4``: one frame per date of a stack, the date on each."""

from __future__ import annotations

import argparse

from satview.cli.progress import ProgressLine
from satview.core.aoi import load_aoi
from satview.core.stack.animate import write_animation
from satview.core.stack.discover import single_stack
from satview.core.stack.model import FrameSpec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "animate", help="animate a stack as GIF or MP4, the date written on each frame",
        description="One frame per date of the stack among PATHs, drawn from overviews at --size pixels "
                    "with one stretch for all frames (the first date's levels, or --levels all: the "
                    "median of every date's), showing the AOI's extent when given. MP4 needs "
                    "imageio-ffmpeg (pip install 'satview[video]').")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns of one place")
    p.add_argument("-o", "--output", required=True, metavar="OUT.gif|OUT.mp4")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--preset", metavar="NAME", help="composite preset (natural, false-color, ...)")
    what.add_argument("--bands", metavar="R,G,B", help="three band names")
    what.add_argument("--band", metavar="NAME", help="one band (grey, or sea-ice colours)")
    what.add_argument("--index", metavar="NAME", help="spectral index: ndvi, ndwi, ndsi, nbr, ndmi, evi")
    p.add_argument("--aoi", metavar="AOI", help="GeoJSON / WKT / Shapefile polygon: frames show its extent")
    p.add_argument("--fps", type=float, default=2.0, help="frames per second (default 2)")
    p.add_argument("--size", type=int, default=1024, help="pixels on the longest side (default 1024)")
    p.add_argument("--levels", choices=("first", "all"), default="first",
                   help="stretch from the first date (default) or the median over all dates")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    aoi = None
    if args.aoi:
        aoi = load_aoi(args.aoi)
    bands = tuple(b.strip() for b in args.bands.split(",")) if args.bands else None
    what = FrameSpec(preset=args.preset, bands=bands, band=args.band, index=args.index)
    stack = single_stack(args.paths)
    progress = ProgressLine("animate")
    try:
        out = write_animation(stack.scenes, args.output, what, aoi=aoi, fps=args.fps, size=args.size,
                              levels=args.levels, progress=progress)
    finally:
        progress.done()
    print(f"wrote {out}: {len(stack.scenes)} frames, {stack.scenes[0].date} to {stack.scenes[-1].date}")
    return 0
