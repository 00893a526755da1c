"""Archives are read in place (plain tar) or unpacked once into the cache (compressed tar)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from builders import tar_bytes
from rasterio.transform import from_origin

from satview.core.archive import gdal_member_path, list_tar, unpack_to_cache, unpacked_dir
from satview.errors import SceneReadError


def _tif_bytes(tmp: Path) -> bytes:
    p = tmp / "band.tif"
    data = np.arange(64, dtype=np.uint16).reshape(8, 8)
    with rasterio.open(p, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint16",
                       crs="EPSG:32611", transform=from_origin(300000, 4000000, 30, 30)) as ds:
        ds.write(data, 1)
    return p.read_bytes()


def _write_tar(path: Path, members: dict[str, bytes], compress: bool = False) -> None:
    raw = tar_bytes(members)
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("name", ["scene.tar", "scene.tar.gz", "scene"])
def test_members_read_in_place(tmp_path: Path, name: str) -> None:
    """Every member of a plain tar (whatever its file name) opens through GDAL in place."""
    tif = _tif_bytes(tmp_path)
    archive = tmp_path / name
    _write_tar(archive, {"sub/dir/B1.TIF": tif, "notes.txt": b"hi"})
    members = {m.name: m for m in list_tar(archive)}
    assert set(members) == {"sub/dir/B1.TIF", "notes.txt"}
    with rasterio.open(gdal_member_path(archive, members["sub/dir/B1.TIF"])) as ds:
        assert ds.read(1)[7, 7] == 63


def test_truncated_tar_is_reported(tmp_path: Path) -> None:
    """A tar cut short raises SceneReadError naming the file."""
    archive = tmp_path / "cut.tar"
    _write_tar(archive, {"B1.TIF": b"x" * 5000, "B2.TIF": b"y" * 5000})
    archive.write_bytes(archive.read_bytes()[:6000])
    with pytest.raises(SceneReadError, match=r"cut\.tar"):
        list_tar(archive)


def test_unpack_once_and_reuse(tmp_path: Path) -> None:
    """A .tar.gz is unpacked into the cache once, with progress, and reused afterwards."""
    archive = tmp_path / "in" / "scene.tar.gz"
    archive.parent.mkdir()
    _write_tar(archive, {"scene/B1.TIF": b"1" * 100, "scene/MTL.txt": b"m"}, compress=True)
    before = sorted(os.listdir(archive.parent))
    seen: list[float] = []
    folder = unpack_to_cache(archive, progress=lambda f, m: seen.append(f))
    assert (folder / "scene" / "B1.TIF").read_bytes() == b"1" * 100
    assert seen and seen[-1] == 1.0
    stamp = (folder / "scene" / "B1.TIF").stat().st_mtime_ns
    assert unpack_to_cache(archive) == folder
    assert (folder / "scene" / "B1.TIF").stat().st_mtime_ns == stamp
    assert sorted(os.listdir(archive.parent)) == before, "nothing may be written next to the input"
    assert not str(folder).startswith(str(archive.parent))


def test_truncated_gzip_leaves_no_cache(tmp_path: Path) -> None:
    """An interrupted unpack raises and leaves no half-filled cache folder behind."""
    archive = tmp_path / "scene.tar.gz"
    _write_tar(archive, {"B1.TIF": os.urandom(200_000)}, compress=True)
    archive.write_bytes(archive.read_bytes()[:50_000])
    with pytest.raises(SceneReadError, match=r"scene\.tar\.gz"):
        unpack_to_cache(archive)
    dest = unpacked_dir(archive)
    assert not dest.exists()
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}")]


def test_unsafe_member_names_are_refused(tmp_path: Path) -> None:
    """Members that would escape the cache folder ('../') are refused."""
    archive = tmp_path / "evil.tar.gz"
    _write_tar(archive, {"../../escape.txt": b"x"}, compress=True)
    with pytest.raises(SceneReadError, match="unsafe"):
        unpack_to_cache(archive)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_too_many_members_fail_before_any_file_is_written(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A .tar.gz of very many small members is refused on the member budget while its headers are
    scanned: no member file is created first (100k members used to cost 10,000 extractions)."""
    import dataclasses
    import time

    from satview.core import archive, guard
    from satview.errors import UNSAFE_ARCHIVE

    monkeypatch.setattr(guard, "LIMITS", dataclasses.replace(guard.LIMITS, max_tar_members=200))
    written: list[Path] = []
    real_write = archive._write_member
    monkeypatch.setattr(archive, "_write_member", lambda target, *a: (written.append(target),
                                                                      real_write(target, *a)))
    src = tmp_path / "many.tar.gz"
    _write_tar(src, {f"m/{i:05d}.txt": b"x" * (i % 7) for i in range(2000)}, compress=True)
    t0 = time.monotonic()
    with pytest.raises(SceneReadError) as err:
        unpack_to_cache(src)
    assert time.monotonic() - t0 < 2.0
    assert err.value.category == UNSAFE_ARCHIVE and "more than 200 members" in str(err.value)
    assert written == []
    assert not unpacked_dir(src).exists()
    assert [p.name for p in unpacked_dir(src).parent.iterdir()] == []


def test_large_and_small_members_are_all_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members above the in-memory threshold stream to disk, the small ones follow at the end: all arrive."""
    from satview.core import archive

    monkeypatch.setattr(archive, "DEFER_MEMBER_BYTES", 1000)
    monkeypatch.setattr(archive, "DEFER_TOTAL_BYTES", 2500)
    members = {f"s/{i}.bin": os.urandom(size) for i, size in enumerate([10, 5000, 900, 900, 900, 0, 3000])}
    src = tmp_path / "mixed.tar.gz"
    _write_tar(src, members, compress=True)
    folder = unpack_to_cache(src)
    for name, data in members.items():
        assert (folder / name).read_bytes() == data
