"""The app entry point: screenshot mode on a real scene and on a corrupt file, and the self test."""

from __future__ import annotations

import os
import subprocess
import sys

from qthelpers import LANDSAT_TAR


def _run_app(args, tmp_path, timeout=180):
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        SATVIEW_CACHE_DIR=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        TMPDIR=str(tmp_path / "tmp"),
    )
    code = "import sys; from satview.qt.app import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )


def test_screenshot_of_a_real_tarball(tmp_path, real_data):
    """``satview TAR --screenshot OUT`` exits 0, writes a window picture that is not blank, and leaves
    no temporary settings behind."""
    from PySide6.QtGui import QImage

    out = tmp_path / "shot.png"
    proc = _run_app([str(real_data / LANDSAT_TAR), "--screenshot", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    img = QImage(str(out))
    assert not img.isNull() and img.width() >= 800 and img.height() >= 500
    colours = {img.pixel(x, y) for x in range(0, img.width(), 11) for y in range(0, img.height(), 11)}
    assert len(colours) > 100, "the screenshot looks blank"
    assert not any((tmp_path / "tmp").iterdir())


def test_screenshot_of_a_corrupt_file_fails_naming_it(tmp_path):
    """On a corrupt file the window still comes up; exit 1 and stderr names the file."""
    bad = tmp_path / "corrupt_scene.tif"
    bad.write_bytes(b"II*\x00" + os.urandom(3000))
    out = tmp_path / "shot.png"
    proc = _run_app([str(bad), "--screenshot", str(out)], tmp_path)
    assert proc.returncode == 1
    assert "corrupt_scene.tif" in proc.stderr
    assert out.exists()


def test_selftest_exits_0(tmp_path):
    """``--selftest`` opens the demo scene headless, reprojects a point and a window."""
    proc = _run_app(["--selftest"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "selftest: OK" in proc.stdout


def test_main_accepts_exactly_the_arguments_after_the_program_name():
    """The argument parser takes PATH, --dataset and --screenshot."""
    from satview.qt.app import build_parser

    args = build_parser().parse_args(["scene.tar", "--dataset", "sst", "--screenshot", "o.png"])
    assert (args.path, args.dataset, args.screenshot) == ("scene.tar", "sst", "o.png")
    assert build_parser().parse_args([]).path is None
