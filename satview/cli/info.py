"""``satview info``: what a file is, its grid, CRS and bands (human text or JSON)."""

from __future__ import annotations

import argparse
import json

from satview.cli.progress import ProgressLine
from satview.core import describe, open_scene


def add_dataset_option(p: argparse.ArgumentParser) -> None:
    """``--dataset NAME`` for files holding several datasets (HDF, netCDF)."""
    p.add_argument("--dataset", metavar="NAME", help="dataset (variable) of an HDF/netCDF file")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a scene or raster",
                       description="Describe a scene: product, grid, CRS, bands and units.")
    p.add_argument("path", help="Landsat .tar/.tar.gz, scene folder, MTL file, GeoTIFF, ...")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_dataset_option(p)
    p.set_defaults(func=run)


def open_for_cli(path: str, dataset: str | None = None):
    """Open a scene with a progress line for slow first opens (unpacking a .tar.gz)."""
    progress = ProgressLine("unpacking")
    options = {"progress": progress}
    if dataset:
        options["dataset"] = dataset
    try:
        scene = open_scene(path, **options)
    finally:
        progress.done()
    return scene


def run(args: argparse.Namespace) -> int:
    with open_for_cli(args.path, args.dataset) as scene:
        if args.json:
            print(json.dumps(describe.scene_dict(scene.info), indent=2, default=str))
        else:
            print(describe.summary(scene.info))
    return 0
