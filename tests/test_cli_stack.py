"""End to end: `satview demo --stack/--seaice-season`, then `stack`, `series`, `change`, `animate` on them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rasterio


def sv(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``satview`` in a fresh process and fail with its stderr when it does not exit 0."""
    r = subprocess.run([sys.executable, "-m", "satview", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """`satview demo --stack 4`: its folder and truth."""
    folder = Path(sv("demo", "--stack", "4", "-o", str(tmp_path_factory.mktemp("demo"))).stdout.strip())
    return folder, json.loads((folder / "truth.json").read_text())


def test_stack_json(stack: tuple[Path, dict[str, Any]]) -> None:
    """`stack --json` gives the documented keys: stacks with kind, crs, dated scenes; ignored with reasons."""
    folder, truth = stack
    d = json.loads(sv("stack", str(folder / "scenes"), str(folder / "truth.json"), "--json").stdout)
    assert len(d["stacks"]) == 1
    s = d["stacks"][0]
    assert s["kind"] == "landsat" and s["crs"] == "EPSG:32611"
    assert [x["date"] for x in s["scenes"]] == truth["dates"]
    assert set(s["scenes"][0]) >= {"path", "date", "product_id", "cloud_cover"}
    assert d["ignored"] == [{"path": str(folder / "truth.json"), "reason": d["ignored"][0]["reason"]}]


def test_series_json_and_csv(stack: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`series --json` has one row per date with exactly the documented keys; -o writes the same as CSV."""
    folder, truth = stack
    out = tmp_path / "ndvi.csv"
    d = json.loads(sv("series", str(folder / "scenes"), "--index", "ndvi", "--json", "-o", str(out)).stdout)
    assert [r["date"] for r in d["series"]] == truth["dates"]
    assert all(set(r) == {"date", "mean", "median", "clear_fraction", "pixels"} for r in d["series"])
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["date"] for r in rows] == truth["dates"]
    assert [int(r["pixels"]) for r in rows] == [r["pixels"] for r in d["series"]]


def test_change_json_dnbr(stack: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`change --classes dnbr --json` reports the grid and the burn scar's area in high severity."""
    folder, truth = stack
    burn = truth["burn"]
    before = folder / truth["scenes"][burn["before_index"]]["path"]
    after = folder / truth["scenes"][burn["after_index"]]["path"]
    out = tmp_path / "dnbr.tif"
    d = json.loads(sv("change", str(before), str(after), "--index", "nbr", "--classes", "dnbr",
                      "-o", str(out), "--json").stdout)
    assert d["grid"]["crs"] == "EPSG:32611" and d["grid"]["width"] == truth["width"]
    assert d["area_km2"]["high severity"] == pytest.approx(burn["km2"], abs=truth["pixel_km2"] / 2)
    assert d["pixels_compared"] + d["pixels_masked"] == truth["pixels"]
    with rasterio.open(out) as ds:
        assert ds.descriptions[0] == "NBR change, AFTER minus BEFORE"


def test_seaice_season_series(tmp_path: Path) -> None:
    """`series --seaice` on a demo season of binary + netCDF days equals its truth file."""
    made = sv("demo", "--seaice-season", "4", "--season-format", "mixed", "-o", str(tmp_path))
    folder = Path(made.stdout.strip())
    truth = json.loads((folder / "truth.json").read_text())["days"]
    d = json.loads(sv("series", str(folder), "--seaice", "--json").stdout)
    assert [r["date"] for r in d["series"]] == [t["date"] for t in truth]
    for row, t in zip(d["series"], truth, strict=True):
        assert set(row) == {"date", "extent_km2", "area_km2"}
        assert row["extent_km2"] == pytest.approx(t["extent_km2"], rel=1e-9)


def test_animate_gif(stack: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`animate -o OUT.gif` writes one frame per date at the requested size."""
    from PIL import Image

    folder, truth = stack
    out = tmp_path / "a.gif"
    sv("animate", str(folder / "scenes"), "-o", str(out), "--index", "ndvi", "--size", "120", "--fps", "4")
    with Image.open(out) as im:
        assert im.n_frames == len(truth["dates"]) and max(im.size) == 120
        assert im.info["duration"] == 250


def test_animate_mp4(stack: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """`animate -o OUT.mp4` writes an H.264 MP4 (ftyp box) through imageio-ffmpeg."""
    pytest.importorskip("imageio_ffmpeg")
    folder, _ = stack
    out = tmp_path / "a.mp4"
    sv("animate", str(folder / "scenes"), "-o", str(out), "--size", "128")
    assert out.read_bytes()[4:8] == b"ftyp"


def test_series_several_places_is_an_error(stack: tuple[Path, dict[str, Any]]) -> None:
    """Paths holding two places (scenes + neighbour path) give exit 1 naming both, not a mixed series."""
    folder, _ = stack
    r = subprocess.run([sys.executable, "-m", "satview", "series", str(folder), "--index", "ndvi"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "2 places" in r.stderr
