"""End to end: `satview demo` makes a scene that every other command works on, as the README says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio


def sv(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``satview`` in a fresh process and fail with its stderr when it does not exit 0."""
    r = subprocess.run([sys.executable, "-m", "satview", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo scene, written into a temporary folder."""
    out = tmp_path_factory.mktemp("demo")
    path = Path(sv("demo", "-o", str(out)).stdout.strip())
    assert path.is_file() and path.suffix == ".tar"
    return path


def test_demo_reused(demo: Path) -> None:
    """A second `satview demo` returns the same file without rewriting it."""
    stamp = demo.stat().st_mtime_ns
    again = Path(sv("demo", "-o", str(demo.parent.parent)).stdout.strip())
    assert again == demo and demo.stat().st_mtime_ns == stamp


def test_info_and_pixel(demo: Path) -> None:
    """info shows a Level-2 Landsat 8 scene; pixel gives reflectance and decoded QA."""
    d = json.loads(sv("info", str(demo), "--json").stdout)
    assert d["landsat"]["level"] == "L2SP" and d["epsg"] == 32611
    p = json.loads(sv("pixel", str(demo), "--rowcol", "990", "970", "--json").stdout)
    sr = next(b for b in p["bands"] if b["name"] == "SR_B5")
    assert sr["value"] == pytest.approx(sr["dn"] * 2.75e-05 - 0.2, abs=1e-6)
    qa = next(b for b in p["bands"] if b["name"] == "QA_PIXEL")
    assert qa["qa"]["fill"] is False


def test_quicklook_clip_reproject(demo: Path, tmp_path: Path) -> None:
    """The three export commands write georeferenced files into the output folder only."""
    png = tmp_path / "ql.png"
    sv("quicklook", str(demo), "-o", str(png), "--preset", "color-infrared", "--size", "512")
    with rasterio.Env(GDAL_PAM_ENABLED="YES", GDAL_DISABLE_READDIR_ON_OPEN="FALSE"), rasterio.open(png) as ds:
        assert max(ds.width, ds.height) == 512 and ds.crs.to_epsg() == 32611
    aoi = tmp_path / "aoi.geojson"
    aoi.write_text(json.dumps({"type": "Polygon", "coordinates": [[
        [-119.3, 35.95], [-119.1, 35.93], [-119.05, 36.1], [-119.25, 36.15], [-119.3, 35.95]]]}))
    tif = tmp_path / "clip.tif"
    sv("clip", str(demo), "--aoi", str(aoi), "-o", str(tif), "--bands", "SR_B4,QA_PIXEL")
    with rasterio.open(tif) as ds:
        assert ds.count == 2 and ds.descriptions == ("SR_B4", "QA_PIXEL")
        assert ds.transform.a == 30 and (ds.transform.c - 261015.0) % 30 == 0
    warped = tmp_path / "ak.tif"
    sv("reproject", str(demo), "--dst-crs", "EPSG:3338", "-o", str(warped), "--bands", "QA_PIXEL",
       "--resolution", "120")
    with rasterio.open(warped) as ds:
        assert ds.crs.to_epsg() == 3338 and ds.res == (120.0, 120.0)
        values = set(np.unique(ds.read(1)).tolist())
    with rasterio.open(f"/vsitar/{demo}/{demo.stem}_QA_PIXEL.TIF") as src:
        source_values = set(np.unique(src.read(1)).tolist())
    assert values - {65535, 0, 1} <= source_values | {0}, "nearest resampling keeps QA values"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["ql.png", "ql.pgw", "ql.png.aux.xml", "aoi.geojson", "clip.tif", "ak.tif"])
