"""Inputs are never modified: a full session on every real sample kind leaves the input folders unchanged.

The samples are copied into a writable folder at test time (the shared folder is read-only, which would
hide a side-car GDAL tried to write). Names, sizes and modification times are compared before and after
opening, browsing (reads at several shapes and windows), pixel queries and exports (quick-look, clip,
reproject) into a separate output folder.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from rasterio.windows import Window

from satview.core import open_scene
from satview.core.aoi import from_pixel_polygon
from satview.core.clip import clip_scene
from satview.core.pixel import query_pixel
from satview.core.quicklook import write_quicklook
from satview.core.reproject import reproject_scene
from satview.errors import SatviewError

#: One or more samples of every kind (folder in the real data -> names, or None for all files).
KINDS: dict[str, list[str] | None] = {
    "geotiff": None,
    "hdf4": None,
    "hdf5-netcdf": None,
    "nsidc": None,
    "landsat-tarballs": ["LC09_L1TP_112081_20220209_20220209_02_T1.tar",
                         "LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz"],
    "landsat-scenes": ["LC08_L2SP_098084_20210503_20210508_02_T1"],
    "landsat-mtl": ["LC08_L1TP_193024_20180824_20200831_02_T1_MTL.txt"],
}


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def _session(path: Path, out: Path) -> list[str]:
    """Open, browse, query and export ``path``; return what it did (export failures on odd kinds are fine)."""
    done: list[str] = []
    try:
        scene = open_scene(path)
    except SatviewError:
        return ["not a scene"]
    with scene:
        h, w = scene.height, scene.width
        for shape in ((4, 4), (64, 64), (min(h, 300), min(w, 300))):
            scene.read(out_shape=shape)
        window = Window(w // 4, h // 4, max(w // 2, 1), max(h // 2, 1))
        scene.read(scene.band_names[0], window=window, dn=True)
        query_pixel(scene, h // 2, w // 2)
        done.append("browsed")
        stem = path.name.replace(".", "_")
        ring = [(w * 0.3, h * 0.3), (w * 0.7, h * 0.3), (w * 0.7, h * 0.7), (w * 0.3, h * 0.7)]
        for name, export in (
            ("quicklook", lambda: write_quicklook(scene, out / f"{stem}.png", size=128)),
            ("clip", lambda: clip_scene(scene, from_pixel_polygon(ring, scene.info.grid),
                                        out / f"{stem}_clip.tif", bands=scene.band_names[:2])),
            ("reproject", lambda: reproject_scene(scene, out / f"{stem}_4326.tif", "EPSG:4326",
                                                  bands=scene.band_names[:2])),
        ):
            try:
                export()
                done.append(name)
            except SatviewError:
                pass
    return done


def test_full_session_leaves_inputs_unchanged(real_data: Path, tmp_path: Path) -> None:
    """Every sample kind, opened, browsed, queried and exported: the input folders are exactly as before."""
    inputs = tmp_path / "downloads"
    out = tmp_path / "exports"
    inputs.mkdir()
    out.mkdir()
    paths: list[Path] = []
    for folder, names in KINDS.items():
        src = real_data / folder
        dst = inputs / folder
        dst.mkdir()
        for p in sorted(src.iterdir()) if names is None else [src / n for n in names]:
            if p.is_dir():
                shutil.copytree(p, dst / p.name)
            else:
                shutil.copy(p, dst / p.name)
            (dst / p.name).chmod(0o755 if p.is_dir() else 0o644)
            paths.append(dst / p.name)
    before = _snapshot(inputs)
    did: dict[str, list[str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in paths:
            did[p.name] = _session(p, out)
    assert _snapshot(inputs) == before
    assert sum("browsed" in d for d in did.values()) >= 15, did
    for kind in ("quicklook", "clip", "reproject"):
        assert sum(kind in d for d in did.values()) >= 10, (kind, did)
    assert not [p for p in out.iterdir() if ".satview-tmp-" in p.name]


@pytest.mark.parametrize("name", ["LC09_L1TP_112081_20220209_20220209_02_T1.tar",
                                  "LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz"])
def test_archives_read_only_folder_is_fine(real_data: Path, name: str) -> None:
    """Archives open straight from the read-only shared folder (nothing needs to be written there)."""
    with open_scene(real_data / "landsat-tarballs" / name) as scene:
        assert scene.read(out_shape=(4, 4)).shape[1:] == (4, 4)
