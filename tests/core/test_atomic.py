"""Outputs are all-or-nothing: temp name, fsync, rename; stale temporaries of killed exports are removed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio

from satview.core import atomic
from satview.core.atomic import TMP_TAG, atomic_path, atomic_paths, cleanup_pending, cleanup_stale, owner_pid


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_TAG in p.name)


def test_temp_name_pattern_and_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary file is ``.NAME.satview-tmp-PID-XXXX.SUFFIX`` in the destination folder; it is
    fsynced before the rename, and the folder after it."""
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    dest = tmp_path / "out.tif"
    with atomic_path(dest) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".tif"
        assert tmp.name.startswith(f".out.tif{TMP_TAG}{os.getpid()}-")
        assert owner_pid(tmp.name) == os.getpid()
        tmp.write_bytes(b"data")
        assert not dest.exists()
    assert dest.read_bytes() == b"data" and _temps(tmp_path) == []
    assert len(synced) >= 2  # the file, then the folder


def test_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    """An exception inside the block keeps the previous output and removes every temporary file."""
    dest, side = tmp_path / "q.png", tmp_path / "q.pgw"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_paths(dest, side) as (t1, t2):
        t1.write_bytes(b"new")
        t2.write_bytes(b"new")
        raise RuntimeError("disk full")
    assert dest.read_bytes() == b"old" and not side.exists() and _temps(tmp_path) == []
    assert list((Path(os.environ["SATVIEW_CACHE_DIR"]) / "inflight").iterdir()) == []


def test_stale_cleanup_only_touches_dead_or_old_temporaries(tmp_path: Path) -> None:
    """Only satview's own temporary names are removed: of dead processes, or of live others when old."""
    dead = _dead_pid()
    stale = tmp_path / f".a.tif{TMP_TAG}{dead}-abc123.tif"
    stale_side = tmp_path / f".q.png{TMP_TAG}{dead}-xyz.png.aux.xml"
    stale_dir = tmp_path / f".scene{TMP_TAG}{dead}-dir"
    mine = tmp_path / f".b.tif{TMP_TAG}{os.getpid()}-abc.tif"
    live_young = tmp_path / f".c.tif{TMP_TAG}{os.getppid()}-abc.tif"
    live_old = tmp_path / f".d.tif{TMP_TAG}{os.getppid()}-abc.tif"
    user_files = [tmp_path / "a.tif", tmp_path / ".hidden", tmp_path / f"x{TMP_TAG}{dead}-1.tif"]
    for p in (stale, stale_side, mine, live_young, live_old, *user_files):
        p.write_bytes(b"x")
    stale_dir.mkdir()
    (stale_dir / "B1.TIF").write_bytes(b"x")
    old = time.time() - 3600
    os.utime(live_old, (old, old))
    removed = cleanup_stale(tmp_path)
    assert sorted(p.name for p in removed) == sorted(p.name for p in (stale, stale_side, stale_dir, live_old))
    assert all(p.exists() for p in (mine, live_young, *user_files))


def test_next_export_and_next_start_remove_stale_files(tmp_path: Path) -> None:
    """A stale temporary file goes at the next export into its folder, or at the next start (markers)."""
    dead = _dead_pid()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    stale = out_dir / f".x.tif{TMP_TAG}{dead}-k1ll3d.tif"
    stale.write_bytes(b"half")
    with atomic_path(out_dir / "y.tif") as tmp:
        tmp.write_bytes(b"y")
    assert not stale.exists()
    # next start: a marker left by the killed process points at the folder
    stale.write_bytes(b"half")
    marker_dir = Path(os.environ["SATVIEW_CACHE_DIR"]) / "inflight"
    marker_dir.mkdir(exist_ok=True)
    marker = marker_dir / f"{dead}-k1ll3d.tif.txt"
    marker.write_text(str(out_dir))
    cleanup_pending()
    assert not stale.exists() and not marker.exists() and (out_dir / "y.tif").exists()


# -- SIGKILL during exports -----------------------------------------------------------------------

_EXPORT_LOOP = r"""
import sys
from satview.core import open_scene
from satview.core.reproject import reproject_scene
src, out = sys.argv[1], sys.argv[2]
with open_scene(src) as scene:
    print("ready", flush=True)
    while True:
        reproject_scene(scene, out, "EPSG:4326", resampling="bilinear")
"""


def _pixels(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


def test_sigkill_during_export_leaves_complete_file_or_none(real_data: Path, tmp_path: Path) -> None:
    """A process exporting in a loop, killed with SIGKILL at random moments: the final path always holds
    a complete output (identical to a clean run), and the next export removes the stale temporary files."""
    from satview.core import open_scene
    from satview.core.reproject import reproject_scene

    src = real_data / "geotiff" / "RGB.byte.tif"
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    out = out_dir / "warped.tif"
    reference = tmp_path / "reference.tif"
    with open_scene(src) as scene:
        reproject_scene(scene, reference, "EPSG:4326", resampling="bilinear")
    expected = _pixels(reference)
    rng = random.Random(6)
    killed_mid_write = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", _EXPORT_LOOP, str(src), str(out)],
                                stdout=subprocess.PIPE, env={**os.environ})
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        killed_mid_write += bool(_temps(out_dir))
        if out.exists():  # never a partial file under the final name
            np.testing.assert_array_equal(_pixels(out), expected)
    with open_scene(src) as scene:  # the next export into the folder cleans up after the killed ones
        reproject_scene(scene, out_dir / "again.tif", "EPSG:4326")
    assert _temps(out_dir) == []
    np.testing.assert_array_equal(_pixels(out), expected)
    assert killed_mid_write >= 1, "no kill landed during a write; the test did not exercise anything"
