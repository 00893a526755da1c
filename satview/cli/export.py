"""``satview quicklook``, ``clip`` and ``reproject``: files made from a scene."""

from __future__ import annotations

import argparse

from satview import api
from satview.cli.info import add_dataset_option, open_for_cli
from satview.cli.progress import ProgressLine


def add_quicklook_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quicklook", help="write a georeferenced quick-look PNG",
                       description="Write a PNG (with a world file and .aux.xml carrying the CRS) "
                                   "from the overviews of a scene; a single band or index also gets "
                                   "OUT.legend.png (colour bar, or sea-ice flag colours).")
    p.add_argument("path")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--preset", metavar="NAME", help="composite preset, e.g. natural, color-infrared")
    what.add_argument("--bands", metavar="R,G,B", help="three band names, e.g. SR_B5,SR_B4,SR_B3")
    what.add_argument("--band", metavar="B", help="one band, drawn with --cmap")
    what.add_argument("--index", metavar="NAME", help="spectral index: ndvi, ndwi, ndsi, nbr, ndmi, evi")
    p.add_argument("--cmap", metavar="NAME", help="colour map for --band / --index (default gray)")
    p.add_argument("--size", type=int, default=1024, metavar="PX", help="long side in pixels (1024)")
    p.add_argument("--stretch", metavar="LO,HI",
                   help="percentile limits (default 2,98), or 'minmax', or 'stddev[:N]'")
    p.add_argument("--dn", action="store_true", help="stretch raw DN instead of physical values")
    add_dataset_option(p)
    p.set_defaults(func=run_quicklook)


def run_quicklook(args: argparse.Namespace) -> int:
    """``satview quicklook``: :func:`satview.api.quicklook` on the opened scene (options checked there)."""
    with open_for_cli(args.path, args.dataset) as scene:
        result = api.quicklook(scene, args.output, preset=args.preset, bands=args.bands, band=args.band,
                               index=args.index, cmap=args.cmap, size=args.size, stretch=args.stretch,
                               physical=not args.dn)
    legend = f"; legend {result.legend}" if result.legend is not None else ""
    print(f"{result.path} ({result.width} x {result.height}, bands {', '.join(result.bands)}{legend})")
    return 0


def add_clip_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clip", help="clip a scene to an AOI polygon into a GeoTIFF",
                       description="Cut the pixels inside an AOI polygon out of a scene, on the "
                                   "scene's own pixel grid, into a tiled DEFLATE GeoTIFF.")
    p.add_argument("path")
    p.add_argument("--aoi", required=True, metavar="AOI",
                   help="GeoJSON (lon/lat unless it says otherwise), shapefile, GeoPackage or other "
                        "vector file, WKT file or inline WKT")
    p.add_argument("-o", "--output", required=True, metavar="OUT.tif")
    p.add_argument("--bands", metavar="LIST", help="comma-separated band names (default all)")
    p.add_argument("--all-touched", action="store_true",
                   help="keep every pixel the polygon touches (default: pixel centre inside)")
    p.add_argument("--dst-crs", metavar="CRS", help="reproject the clip (EPSG code, PROJ or WKT)")
    p.add_argument("--cog", action="store_true", help="write a Cloud-Optimized GeoTIFF")
    add_dataset_option(p)
    p.set_defaults(func=run_clip)


def run_clip(args: argparse.Namespace) -> int:
    """``satview clip``: :func:`satview.api.clip`; the AOI is read first, so a bad one fails before the
    scene is opened (or unpacked)."""
    from satview.core.aoi import load_aoi  # lazy: only clip: pyogrio/shapely +~70 ms on quicklook

    aoi = load_aoi(args.aoi)
    progress = ProgressLine("clip")
    with open_for_cli(args.path, args.dataset) as scene:
        try:
            result = api.clip(scene, aoi, args.output, bands=args.bands, all_touched=args.all_touched,
                              dst_crs=args.dst_crs, cog=args.cog, progress=progress)
        finally:
            progress.done()
    print(f"{result.path} ({result.width} x {result.height}, {result.count} bands, "
          f"{result.pixels_inside} pixels inside the AOI)")
    return 0


def add_reproject_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproject", help="reproject a scene into another CRS",
                       description="Warp a scene into another CRS as a tiled DEFLATE GeoTIFF. "
                                   "QA and other categorical bands always use nearest.")
    p.add_argument("path")
    p.add_argument("--dst-crs", required=True, metavar="CRS", help="EPSG code, PROJ string or WKT")
    p.add_argument("-o", "--output", required=True, metavar="OUT.tif")
    p.add_argument("--bands", metavar="LIST", help="comma-separated band names (default all)")
    p.add_argument("--resampling", default="nearest", metavar="NAME",
                   help="nearest (default), bilinear, cubic, average, mode, ...")
    p.add_argument("--resolution", type=float, metavar="M", help="output pixel size in target units")
    add_dataset_option(p)
    p.set_defaults(func=run_reproject)


def run_reproject(args: argparse.Namespace) -> int:
    """``satview reproject``: :func:`satview.api.reproject` on the opened scene."""
    progress = ProgressLine("reproject")
    with open_for_cli(args.path, args.dataset) as scene:
        try:
            result = api.reproject(scene, args.dst_crs, args.output, bands=args.bands,
                                   resampling=args.resampling, resolution=args.resolution, progress=progress)
        finally:
            progress.done()
    print(f"{result.path} ({result.width} x {result.height}, {result.count} bands)")
    return 0
