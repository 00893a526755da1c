"""Files are identified by content, never by extension alone."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from builders import tar_bytes

from satview.core.sniff import sniff
from satview.errors import SceneReadError


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (b"II*\x00" + b"\x00" * 100, "x.dat", "tiff"),
        (b"MM\x00*" + b"\x00" * 100, "x.tif", "tiff"),
        (b"\x89HDF\r\n\x1a\n" + b"\x00" * 100, "x.nc", "hdf5"),
        (b"\x0e\x03\x13\x01" + b"\x00" * 100, "x.hdf", "hdf4"),
        (b"CDF\x01" + b"\x00" * 100, "x.nc", "netcdf3"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "x.png", "png"),
        (b"hello, I am text\n" * 20, "fake.tif", "text"),
        (b"GROUP = LANDSAT_METADATA_FILE\n  GROUP = X\n", "a.txt", "mtl-odl"),
        (b'{"LANDSAT_METADATA_FILE": {}}', "a.json", "json"),
        (b"<?xml version='1.0'?><LANDSAT_METADATA_FILE/>", "a.xml", "xml"),
        (b"", "empty.tif", "empty"),
        (bytes(range(256)) * 4, "noise.bin", "unknown"),
    ],
)
def test_kind_by_content(tmp_path: Path, content: bytes, name: str, kind: str) -> None:
    """The kind comes from the bytes; a misleading extension does not change it."""
    p = tmp_path / name
    p.write_bytes(content)
    assert sniff(p).kind == kind


def test_plain_tar_named_tar_gz_is_tar(tmp_path: Path) -> None:
    """A '.tar.gz' that is really an uncompressed tar is identified as a plain tar."""
    p = tmp_path / "scene.tar.gz"
    p.write_bytes(tar_bytes({"a_MTL.txt": b"GROUP = L1_METADATA_FILE\nEND\n"}))
    assert sniff(p).kind == "tar"


def test_gzip_tar_and_plain_gzip(tmp_path: Path) -> None:
    """gzip data is a tar.gz only when the decompressed start is a tar header."""
    tgz = tmp_path / "scene.bin"
    tgz.write_bytes(gzip.compress(tar_bytes({"x.txt": b"x" * 10})))
    gz = tmp_path / "notes.tar.gz"
    gz.write_bytes(gzip.compress(b"just some text" * 100))
    assert sniff(tgz).kind == "tar.gz"
    assert sniff(gz).kind == "gzip"


def test_hdf5_with_user_block(tmp_path: Path) -> None:
    """HDF5 files with a user block carry the signature at 512, 1024, ... bytes."""
    p = tmp_path / "viirs.h5"
    p.write_bytes(b"\x00" * 1024 + b"\x89HDF\r\n\x1a\n" + b"\x00" * 2000)
    assert sniff(p).kind == "hdf5"


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    """A missing path raises SceneReadError with the path in the message."""
    missing = tmp_path / "nope.tar"
    with pytest.raises(SceneReadError, match=r"nope\.tar"):
        sniff(missing)


def test_real_files(real_data: Path) -> None:
    """The real samples are identified correctly, including the misnamed plain tar."""
    expect = {
        "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar": "tar",
        "landsat-tarballs/LE07_L1GT_091080_20080114_20161231_01_T2.tar.gz": "tar",
        "landsat-tarballs/LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz": "tar.gz",
        "hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf": "hdf4",
        "hdf5-netcdf/testpyM15.h5": "hdf5",
        "hdf5-netcdf/reduced.nc": "netcdf3",
        "geotiff/RGB.byte.tif": "tiff",
        "landsat-mtl/LC80100202015018LGN00_MTL.json": "json",
        "landsat-mtl/LM50490251987214PAC00_MTL.txt": "mtl-odl",
        "nsidc/psn25lats_v3.dat": "unknown",
    }
    for rel, kind in expect.items():
        assert sniff(real_data / rel).kind == kind, rel
