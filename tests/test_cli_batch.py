"""``satview batch quicklook`` / ``batch clip``: outputs, the final table, resume and exit codes."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from satview.cli import main

SIZE = (200, 220)


@pytest.fixture(scope="module")
def demo_pair(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from satview.core.demo import make_demo_scene

    root = tmp_path_factory.mktemp("demo")
    return [make_demo_scene(root, size=SIZE, seed=s, acquired=dt.date(2020, 8, s)) for s in (1, 2)]


@pytest.fixture
def downloads(tmp_path: Path, demo_pair: list[Path]) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for p in demo_pair:
        shutil.copy2(p, folder / p.name)
    return folder


def test_batch_quicklook_table_resume_and_exit_codes(tmp_path: Path, downloads: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(downloads)  # the table shows paths relative to the working folder
    out = tmp_path / "out"
    argv = ["batch", "quicklook", str(downloads), "-o", str(out), "--size", "96", "--workers", "1",
            "--stretch-from", "all", "--preset", "natural"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    summary = r"2 done, 0 skipped, 0 failed in [0-9]+\.[0-9]{2} s \(.*\); [0-9.]+ scenes/s while the workers"
    assert re.search(summary, text)
    assert "pooled percentile" in text
    assert (out / "index.html").is_file() and (out / "contact_sheet.png").is_file()
    assert (out / "footprints.geojson").is_file()
    assert len(list(out.glob("LC08_*.png"))) == 2

    assert main(argv) == 0  # everything done: skipped, exit 0
    assert "0 done, 2 skipped, 0 failed" in capsys.readouterr().out

    (downloads / "broken.tif").write_bytes(b"II*\x00" + bytes(300))
    assert main(argv) == 1  # one bad file: reported, the others untouched
    text = capsys.readouterr().out
    assert "0 done, 2 skipped, 1 failed" in text
    row = next(line for line in text.splitlines() if "broken.tif" in line)
    assert "failed" in row and "cannot open the raster" in row


def test_batch_clip_reports_misses_as_skips(tmp_path: Path, downloads: Path, real_data: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy2(real_data / "geotiff" / "RGB.byte.tif", downloads / "RGB.byte.tif")
    aoi = tmp_path / "aoi.wkt"
    aoi.write_text("POLYGON((-119.34 36.05, -119.32 36.05, -119.32 36.07, -119.34 36.07, -119.34 36.05))")
    out = tmp_path / "clips"
    rc = main(["batch", "clip", str(downloads), "--aoi", str(aoi), "-o", str(out), "--workers", "2",
               "--bands", "SR_B4,SR_B3", "--no-summary"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "2 done, 1 skipped, 0 failed" in text and "does not overlap" in text
    assert len(list(out.glob("*.tif"))) == 2 and not (out / "index.html").exists()


def test_batch_usage_errors(tmp_path: Path, downloads: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["batch"])
    assert exc.value.code == 2
    assert main(["batch", "quicklook", str(downloads), "-o", str(tmp_path / "o"), "--workers", "0"]) == 1
    assert "--workers" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["batch", "quicklook", str(empty), "-o", str(tmp_path / "o")]) == 1
    assert "no scenes found" in capsys.readouterr().err
