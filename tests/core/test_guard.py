"""Checks before any library touches a file, and budgets before reading: each failure has its category."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from builders import tar_bytes

from satview.core import guard, open_scene
from satview.core.archive import list_tar, unpack_to_cache, unpacked_dir
from satview.core.mtl import parse_mtl
from satview.core.sniff import sniff
from satview.errors import (
    CORRUPT,
    NOT_REGULAR,
    NOT_SUPPORTED,
    TOO_LARGE,
    UNSAFE_ARCHIVE,
    MetadataError,
    NotRegularFileError,
    SatviewError,
    SceneReadError,
    TooLargeError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)


def _limits(monkeypatch: pytest.MonkeyPatch, **changes: object) -> None:
    monkeypatch.setattr(guard, "LIMITS", dataclasses.replace(guard.LIMITS, **changes))


def _open_error(path: os.PathLike[str] | str) -> SatviewError:
    with pytest.raises(SatviewError) as err, open_scene(path) as scene:
        scene.read(out_shape=(4, 4))
    return err.value


# -- not a regular file ---------------------------------------------------------------------------


def test_fifo_named_tif_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO named .tif is refused by its stat, never opened (an open() would block forever)."""
    fifo = tmp_path / "scene.tif"
    os.mkfifo(fifo)
    result: dict[str, BaseException] = {}

    def attempt() -> None:
        try:
            open_scene(fifo)
        except BaseException as exc:
            result["exc"] = exc

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(10)
    if t.is_alive():  # a blocked open(): unblock it by opening the write end, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("opening a FIFO blocked")
    exc = result["exc"]
    assert isinstance(exc, NotRegularFileError) and exc.category == NOT_REGULAR
    assert "FIFO" in str(exc) and fifo.name in str(exc)
    with pytest.raises(NotRegularFileError):
        sniff(fifo)


@pytest.mark.parametrize("what", ["device", "folder-as-file", "missing"])
def test_devices_folders_and_missing_paths(tmp_path: Path, what: str) -> None:
    """Devices, folders where a file is expected and missing paths: "not a regular file"."""
    path = {"device": Path("/dev/null"), "folder-as-file": tmp_path, "missing": tmp_path / "nope.tif"}[what]
    with pytest.raises(NotRegularFileError) as err:
        guard.check_path(path)
    assert err.value.category == NOT_REGULAR and str(path) in str(err.value)
    if what == "device":
        assert _open_error(path).category == NOT_REGULAR


def test_fifo_band_file_in_a_scene_folder_is_not_opened(real_data: Path, tmp_path: Path) -> None:
    """A band file of a scene folder that is a FIFO is refused before GDAL opens it."""
    import shutil

    src = real_data / "landsat-scenes" / "LC08_L2SP_098084_20210503_20210508_02_T1"
    folder = tmp_path / src.name
    shutil.copytree(src, folder)
    band = next(p for p in sorted(folder.iterdir()) if p.name.upper().endswith("_B4.TIF"))
    band.unlink()
    os.mkfifo(band)
    exc = _open_error(folder)
    assert exc.category == NOT_REGULAR and band.name in str(exc)


# -- not a supported file ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/vsicurl/https://example.com/a.tif", "https://example.com/a.tif",
                                  "/vsizip//tmp/a.zip/a.tif"])
def test_virtual_paths_and_urls_are_refused(path: str) -> None:
    """GDAL virtual paths and URLs are never handed to a library."""
    exc = _open_error(path)
    assert isinstance(exc, UnsupportedFormatError) and exc.category == NOT_SUPPORTED and path in str(exc)


def test_text_named_tif_is_not_supported(tmp_path: Path) -> None:
    """Magic bytes decide: a text file named .tif is "not a supported file"."""
    p = tmp_path / "notes.tif"
    p.write_text("hello\n" * 20)
    exc = _open_error(p)
    assert exc.category == NOT_SUPPORTED and p.name in str(exc)


# -- truncated or corrupt -------------------------------------------------------------------------


def test_empty_and_corrupt_files(tmp_path: Path) -> None:
    """An empty file and a damaged TIFF are "truncated or corrupt", naming the file."""
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00" + bytes(range(256)) * 2)
    for p in (empty, corrupt):
        exc = _open_error(p)
        assert exc.category == CORRUPT and p.name in str(exc)


def test_geotiff_opened_with_explicit_driver(real_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GeoTIFFs are opened with driver="GTiff" only (never GDAL's guess from the content)."""
    import rasterio

    from satview.core.readers import gdal_handles

    seen: list[object] = []
    original = rasterio.open

    def spy(fp, mode="r", driver=None, **kw):
        seen.append(driver)
        return original(fp, mode, driver=driver, **kw)

    monkeypatch.setattr(gdal_handles.rasterio, "open", spy)
    with open_scene(real_data / "geotiff" / "RGB.byte.tif") as scene:
        scene.read(out_shape=(4, 4))
    assert seen and set(seen) == {"GTiff"}


# -- too large -----------------------------------------------------------------------------------


def _tiny_tiff(width: int, height: int, rows_per_strip: int, compression: int = 8) -> bytes:
    """A ~150-byte little-endian TIFF declaring a ``width`` x ``height`` uint16 image in one strip."""
    tags = [
        (256, 4, width), (257, 4, height), (258, 3, 16), (259, 3, compression), (262, 3, 1),
        (273, 4, 8), (277, 3, 1), (278, 4, rows_per_strip), (279, 4, 16),
    ]
    ifd = struct.pack("<H", len(tags))
    for tag, typ, value in tags:
        fmt, vals = ("<HHII", (value,)) if typ == 4 else ("<HHIHH", (value, 0))
        ifd += struct.pack(fmt, tag, typ, 1, *vals)
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 24) + b"\x00" * 16 + ifd


def test_tiny_tiff_declaring_terabytes_is_too_large(tmp_path: Path) -> None:
    """A 100-odd-byte TIFF declaring 10^6 x 10^6 pixels is refused after open, before any read."""
    p = tmp_path / "huge.tif"
    p.write_bytes(_tiny_tiff(1_000_000, 1_000_000, 1))
    assert p.stat().st_size < 200
    exc = _open_error(p)
    assert isinstance(exc, TooLargeError) and exc.category == TOO_LARGE and p.name in str(exc)


def test_tiny_tiff_with_a_giant_strip_is_too_large(tmp_path: Path) -> None:
    """One compressed strip that would decode into GBs (the 2 GB preview allocation) is refused."""
    p = tmp_path / "strip.tif"
    p.write_bytes(_tiny_tiff(40_000, 40_000, 40_000))
    exc = _open_error(p)
    assert exc.category == TOO_LARGE and "block" in str(exc)


def test_band_count_budget(real_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More bands than the budget: "too large"."""
    _limits(monkeypatch, max_bands=2)
    exc = _open_error(real_data / "geotiff" / "RGB.byte.tif")
    assert exc.category == TOO_LARGE and "3 bands" in str(exc)


def test_read_budget_gives_too_large_not_memory_error(real_data: Path) -> None:
    """A read whose out_shape would allocate more than the budget fails before allocating."""
    with open_scene(real_data / "geotiff" / "RGB.byte.tif") as scene:
        with pytest.raises(TooLargeError) as err:
            scene.read(out_shape=(200_000, 200_000))
        assert err.value.category == TOO_LARGE and "RGB.byte.tif" in str(err.value)
        assert scene.read(out_shape=(8, 8)).shape == (3, 8, 8)  # still usable


def test_memory_error_in_a_read_becomes_too_large(real_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A MemoryError inside a reader surfaces as "too large" naming the file."""
    with open_scene(real_data / "geotiff" / "RGB.byte.tif") as scene:
        def boom(*a: object, **k: object) -> np.ndarray:
            raise MemoryError

        monkeypatch.setattr(scene, "_read_band", boom)
        with pytest.raises(TooLargeError, match=r"RGB\.byte\.tif"):
            scene.read(out_shape=(8, 8))


def test_hdf5_dataset_shape_budget(tmp_path: Path) -> None:
    """An HDF5 dataset declaring 10^12 cells (chunked, never written: a tiny file) is "too large"."""
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "huge.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("data", shape=(1_000_000, 1_000_000), dtype="f4", chunks=(256, 256))
    assert p.stat().st_size < 100_000
    exc = _open_error(p)
    assert exc.category == TOO_LARGE and p.name in str(exc)


def test_mtl_size_and_entity_limits(tmp_path: Path) -> None:
    """MTL files over 8 MiB are "too large"; XML entity declarations are refused."""
    big = tmp_path / "big_MTL.txt"
    big.write_bytes(b"GROUP = LANDSAT_METADATA_FILE\n" + b"  A = 1\n" * ((9 << 20) // 8))
    with pytest.raises(TooLargeError) as err:
        parse_mtl(big)
    assert err.value.category == TOO_LARGE
    laughs = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
              b"<LANDSAT_METADATA_FILE>&a;</LANDSAT_METADATA_FILE>")
    with pytest.raises(MetadataError, match="entities"):
        parse_mtl(laughs, name="x_MTL.xml")


# -- unsafe archives ------------------------------------------------------------------------------


def _hostile_tar(kind: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        def add(name: str, data: bytes = b"x", **fields: object) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
            for k, v in fields.items():
                setattr(info, k, v)
            tf.addfile(info, io.BytesIO(data) if info.size else None)

        add("LC08_X_MTL.txt", b"GROUP = LANDSAT_METADATA_FILE\nEND_GROUP = LANDSAT_METADATA_FILE\nEND\n")
        if kind == "absolute":
            add("/etc/evil.txt")
        elif kind == "dotdot":
            add("scene/../../evil.txt")
        elif kind == "symlink":
            add("link", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        elif kind == "hardlink":
            add("hard", type=tarfile.LNKTYPE, linkname="LC08_X_MTL.txt")
        elif kind == "device":
            add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        elif kind == "fifo":
            add("pipe", type=tarfile.FIFOTYPE)
        elif kind == "duplicate":
            add("B1.TIF")
            add("B1.TIF")
        elif kind == "many":
            for i in range(6):
                add(f"f{i}.txt")
    return buf.getvalue()


HOSTILE = ["absolute", "dotdot", "symlink", "hardlink", "device", "fifo", "duplicate", "many"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_plain_tar_is_refused_on_its_headers(tmp_path: Path, kind: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain tars: the header scan refuses absolute/'..' names, links, devices, duplicates, too many."""
    _limits(monkeypatch, max_tar_members=5)
    p = tmp_path / f"{kind}.tar"
    p.write_bytes(_hostile_tar(kind))
    with pytest.raises(UnsafeArchiveError) as err:
        list_tar(p)
    assert err.value.category == UNSAFE_ARCHIVE and p.name in str(err.value)
    assert _open_error(p).category == UNSAFE_ARCHIVE


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_tar_gz_is_refused_and_leaves_no_cache(tmp_path: Path, kind: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Compressed tars: refused while streaming, the partial cache folder deleted, nothing outside it."""
    import gzip

    _limits(monkeypatch, max_tar_members=5)
    p = tmp_path / "in" / f"{kind}.tar.gz"
    p.parent.mkdir()
    p.write_bytes(gzip.compress(_hostile_tar(kind)))
    with pytest.raises(UnsafeArchiveError) as err:
        unpack_to_cache(p)
    assert err.value.category == UNSAFE_ARCHIVE and p.name in str(err.value)
    dest = unpacked_dir(p)
    assert not dest.exists() and [x.name for x in dest.parent.iterdir()] == []
    assert sorted(x.name for x in tmp_path.rglob("*")) == sorted(["in", p.name])


def test_tar_gz_over_the_unpack_budget_is_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .tar.gz declaring more than the total budget is refused before its data is written."""
    import gzip

    _limits(monkeypatch, max_unpacked_bytes=100_000)
    p = tmp_path / "big.tar.gz"
    p.write_bytes(gzip.compress(tar_bytes({"a.bin": b"\x00" * 60_000, "b.bin": b"\x00" * 60_000})))
    with pytest.raises(TooLargeError) as err:
        unpack_to_cache(p)
    assert err.value.category == TOO_LARGE and "b.bin" in str(err.value)
    assert list(unpacked_dir(p).parent.iterdir()) == []


def test_decompression_bomb_stops_while_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member expanding far more than any scene does is stopped mid-stream and the cache removed."""
    import gzip

    _limits(monkeypatch, ratio_floor_bytes=1 << 20, max_unpack_ratio=50.0)
    p = tmp_path / "bomb.tar.gz"
    p.write_bytes(gzip.compress(tar_bytes({"zeros.bin": b"\x00" * (8 << 20)}), 9))
    assert p.stat().st_size < 100_000
    with pytest.raises(TooLargeError, match="expands"):
        unpack_to_cache(p)
    assert list(unpacked_dir(p).parent.iterdir()) == []


def test_real_archives_pass_the_header_scan(real_data: Path) -> None:
    """Every real Landsat tar passes the checks (no false alarms)."""
    for p in sorted((real_data / "landsat-tarballs").iterdir()):
        if p.name.endswith(".tar"):
            assert list_tar(p)
        else:
            assert any(unpack_to_cache(p).rglob("*_MTL.txt"))


def test_corrupt_archive_category(tmp_path: Path) -> None:
    """A tar cut short is "truncated or corrupt", not "unsafe"."""
    p = tmp_path / "cut.tar"
    p.write_bytes(tar_bytes({"A_MTL.txt": b"x" * 5000, "B.TIF": b"y" * 5000})[:6000])
    with pytest.raises(SceneReadError) as err:
        list_tar(p)
    assert err.value.category == CORRUPT
