"""``satview batch quicklook`` and ``satview batch clip``: one command over whole download folders.

Exit codes: 0 when every scene succeeded or was skipped (done before, or an AOI that misses the
scene), 1 when any scene failed or no scene was found, 2 for a usage error, 130 when interrupted.
A progress bar goes to stderr (only on a terminal); the table of results goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from satview.cli.info import add_dataset_option

_EPILOG = (
    "Inputs are files, folders (walked recursively; a Landsat scene folder counts as one scene) or "
    "glob patterns. Scenes done before with the same input (path, size, time) and options are skipped "
    "(the manifest is OUTDIR/satview-batch.json; --force redoes them). Exit status: 0 all succeeded or "
    "skipped, 1 any failed (or nothing found), 2 usage error."
)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="DIR_OR_GLOB", help="files, folders or glob patterns")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (created)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on Dask distributed: a scheduler address (tcp://host:8786), or 'local' to start "
                        "a LocalCluster on loopback with --workers processes (needs satview[batch-dask])")
    p.add_argument("--force", action="store_true", help="redo scenes that are already done")
    p.add_argument("--no-summary", action="store_true",
                   help="do not write index.html, contact_sheet.png and footprints.geojson")
    add_dataset_option(p)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """``satview batch {quicklook,clip}``."""
    p = sub.add_parser("batch", help="quick-looks or clips of every scene in folders",
                       description="Run quick-looks or clips over every scene found in folders, with "
                                   "resume, a progress bar and a final table.", epilog=_EPILOG)
    bsub = p.add_subparsers(dest="batch_command", metavar="{quicklook,clip}")
    bsub.required = True

    q = bsub.add_parser("quicklook", help="a quick-look PNG of every scene, plus a contact sheet",
                        description="Write a georeferenced quick-look PNG of every scene, thumbnails, "
                                    "OUTDIR/index.html, OUTDIR/contact_sheet.png and "
                                    "OUTDIR/footprints.geojson.",
                        epilog=_EPILOG)
    _common(q)
    what = q.add_mutually_exclusive_group()
    what.add_argument("--preset", metavar="NAME", help="composite preset, e.g. natural, color-infrared")
    what.add_argument("--bands", metavar="R,G,B", help="three band names, e.g. SR_B5,SR_B4,SR_B3")
    what.add_argument("--band", metavar="B", help="one band, drawn with --cmap")
    what.add_argument("--index", metavar="NAME", help="spectral index: ndvi, ndwi, ndsi, nbr, ndmi, evi")
    q.add_argument("--cmap", metavar="NAME", help="colour map for --band / --index (default gray)")
    q.add_argument("--size", type=int, default=1024, metavar="PX", help="long side in pixels (1024)")
    q.add_argument("--stretch", metavar="LO,HI",
                   help="percentile limits (default 2,98), or 'minmax', or 'stddev[:N]'")
    q.add_argument("--stretch-from", choices=("scene", "all"), default="scene",
                   help="'scene' (default): each quick-look its own stretch; 'all': one stretch pooled "
                        "from every scene, so dates are comparable")
    q.set_defaults(func=run_quicklook)

    c = bsub.add_parser("clip", help="clip every scene to an AOI polygon",
                        description="Clip every scene to an AOI into OUTDIR/<scene>.tif. Scenes the AOI "
                                    "misses are skipped (with the reason), not failed.", epilog=_EPILOG)
    _common(c)
    c.add_argument("--aoi", required=True, metavar="AOI",
                   help="GeoJSON (lon/lat unless it says otherwise), WKT file or inline WKT")
    c.add_argument("--bands", metavar="LIST", help="comma-separated band names (default all)")
    c.add_argument("--all-touched", action="store_true",
                   help="keep every pixel the polygon touches (default: pixel centre inside)")
    c.add_argument("--dst-crs", metavar="CRS", help="reproject the clips (EPSG code, PROJ or WKT)")
    c.add_argument("--cog", action="store_true", help="write Cloud-Optimized GeoTIFFs")
    c.set_defaults(func=run_clip)


def _band_list(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    return names or None


def _check_common(args: argparse.Namespace) -> None:
    from satview.errors import SatviewError

    if args.workers is not None and args.workers < 1:
        raise SatviewError(f"--workers {args.workers} must be at least 1")


def _start_workers_early(args: argparse.Namespace) -> None:
    """Start the fork server of local workers now, before this process loads satview's core (~0.2 s):
    it imports the task modules on another core meanwhile (see :mod:`satview.workers.preload`)."""
    from satview.workers.preload import forks, mp_context

    if args.scheduler in (None, "local") and forks():
        mp_context(("distributed",) if args.scheduler == "local" else ())


def run_quicklook(args: argparse.Namespace) -> int:
    from satview.core.batch import BatchJob, QuicklookOptions
    from satview.core.stretch import Stretch
    from satview.errors import SatviewError

    _check_common(args)
    _start_workers_early(args)
    if args.size < 16 or args.size > 32768:
        raise SatviewError(f"--size {args.size} must be between 16 and 32768 pixels")
    bands = _band_list(args.bands)
    if bands is not None and len(bands) != 3:
        raise SatviewError(f"--bands needs three names separated by commas, got {args.bands!r}")
    if args.stretch:
        Stretch.parse(args.stretch)  # fail before any work
    if args.cmap:
        from satview.core.colormap import colormap

        colormap(args.cmap)
    opts = QuicklookOptions(preset=args.preset, bands=bands, band=args.band, index=args.index,
                            cmap=args.cmap, size=args.size, stretch=args.stretch)
    job = BatchJob("quicklook", list(args.inputs), args.output, quicklook=opts, dataset=args.dataset,
                   stretch_from=args.stretch_from, workers=args.workers, scheduler=args.scheduler,
                   force=args.force, summaries=not args.no_summary)
    return _run(job)


def run_clip(args: argparse.Namespace) -> int:
    from satview.core.aoi import load_aoi
    from satview.core.batch import BatchJob, ClipOptions

    _check_common(args)
    _start_workers_early(args)
    aoi = load_aoi(args.aoi)
    if args.dst_crs:
        from satview.core.geo import parse_crs

        parse_crs(args.dst_crs)  # fail before any work
    opts = ClipOptions(aoi_wkt=aoi.geometry.wkt, aoi_crs=aoi.crs.to_wkt(), aoi_name=aoi.name,
                       bands=_band_list(args.bands), all_touched=args.all_touched, dst_crs=args.dst_crs,
                       cog=args.cog)
    job = BatchJob("clip", list(args.inputs), args.output, clip=opts, dataset=args.dataset,
                   workers=args.workers, scheduler=args.scheduler, force=args.force,
                   summaries=not args.no_summary)
    return _run(job)


def _run(job: Any) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from satview.core.batch import run_batch
    from satview.errors import SatviewError

    err = Console(stderr=True)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), TextColumn("{task.fields[current]}"), console=err,
                   disable=not sys.stderr.isatty(), transient=False)
    task_id = bar.add_task(f"batch {job.command}", total=None, current="")

    def progress(done: int, total: int, record: Any) -> None:
        what = "measuring the stretch" if record is None else f"{record.status}: {record.name}"
        bar.update(task_id, completed=done, total=total, current=what[-50:])

    with bar:
        report = run_batch(job, progress=progress)
    if not report.records:
        raise SatviewError("no scenes found in " + ", ".join(job.inputs))
    print_report(report, job.out_dir)
    return report.exit_code


def _shown(path: str) -> str:
    """``path`` relative to the working folder when it lies under it (shorter table rows)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def print_report(report: Any, out_dir: str) -> None:
    """The final table (status, file, output or reason) and a summary line, on stdout."""
    from rich.console import Console
    from rich.table import Table

    out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    colours = {"ok": "green", "skipped": "yellow", "failed": "red", "cancelled": "magenta"}
    table = Table(show_lines=False, header_style="bold")
    table.add_column("status")
    table.add_column("scene", overflow="fold")
    table.add_column("output or reason", overflow="fold")
    table.add_column("s", justify="right")
    for r in report.records:
        detail = (r.outputs[0] if r.outputs else "") if r.status == "ok" else (r.error or "")
        table.add_row(f"[{colours.get(r.status, 'white')}]{r.status}[/]", _shown(r.path), detail,
                      f"{r.seconds:.1f}" if r.seconds else "")
    out.print(table)
    out.print(report.summary())
    if report.ignored:
        out.print(f"{len(report.ignored)} other file(s) in the folders are not scenes and were ignored")
    for path in report.summaries:
        out.print(f"wrote {path}")
    for bands, levels in report.levels.items():
        lims = ", ".join(f"{lo:.4g}..{hi:.4g}" for lo, hi in zip(levels.lo, levels.hi, strict=True))
        out.print(f"stretch for {'/'.join(bands)}: {lims} ({levels.source})")
