"""Identify a file by its content (magic bytes), not by its extension.

A ``.tar.gz`` that is really a plain tar is a ``tar``; a text file named ``.tif`` is ``text``.
The extension is only a tie-breaker where the content cannot tell (flat binary sea-ice grids).
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from satview.errors import SceneReadError

HEAD_BYTES = 1024


@dataclass(frozen=True)
class Sniffed:
    """What a path holds: ``kind`` plus the facts used to decide it."""

    path: Path
    kind: str  # directory, tar, tar.gz, gzip, tiff, hdf4, hdf5, netcdf3, png, jpeg, jp2, zip,
    #            bzip2, xz, mtl-odl, odl, json, xml, text, empty, unknown
    size: int
    head: bytes = b""

    @property
    def is_archive(self) -> bool:
        return self.kind in ("tar", "tar.gz", "tar.bz2", "tar.xz")


_MAGICS: tuple[tuple[bytes, int, str], ...] = (
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"II+\x00", 0, "tiff"),  # BigTIFF
    (b"MM\x00+", 0, "tiff"),
    (b"\x89HDF\r\n\x1a\n", 0, "hdf5"),
    (b"\x0e\x03\x13\x01", 0, "hdf4"),
    (b"CDF\x01", 0, "netcdf3"),
    (b"CDF\x02", 0, "netcdf3"),
    (b"CDF\x05", 0, "netcdf3"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"\x00\x00\x00\x0cjP  ", 0, "jp2"),
    (b"PK\x03\x04", 0, "zip"),
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"ustar", 257, "tar"),
)


def _is_tar_header(block: bytes) -> bool:
    """True for a POSIX/GNU tar header, or an old V7 header whose checksum is right."""
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    try:
        stored = int(block[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    computed = sum(block[:148]) + 8 * 32 + sum(block[156:512])
    return stored == computed and block[0] != 0


def _classify_text(head: bytes) -> str:
    """Text formats (MTL ODL, JSON, XML, other text) or ``unknown`` for binary data."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\x00 \t\r\n")
    if not text:
        return "empty" if not head.strip(b"\x00") else "unknown"
    sample = text[:512].rstrip(b"\x00")
    printable = sum(32 <= c < 127 or c in (9, 10, 13) or c >= 0xC2 for c in sample)
    if printable < 0.95 * max(len(sample), 1):
        return "unknown"
    if text.startswith(b"{"):
        return "json"
    if text.startswith(b"<"):
        return "xml"
    upper = head.upper()
    if b"GROUP" in upper and b"=" in upper:
        if b"METADATA_FILE" in upper:
            return "mtl-odl"
        if b"END_GROUP" in upper:
            return "odl"
    return "text"


def _hdf5_userblock(fh, size: int) -> bool:
    """HDF5 files may start with a user block: the signature then sits at 512, 1024, 2048, ..."""
    offset = 512
    while offset + 8 <= size:
        fh.seek(offset)
        if fh.read(8) == b"\x89HDF\r\n\x1a\n":
            return True
        offset *= 2
    return False


def sniff(path: str | os.PathLike[str]) -> Sniffed:
    """Identify ``path`` by content. Raises ``SceneReadError`` when it cannot be read at all.

    The path is checked first (:func:`satview.core.guard.check_path`): FIFOs, devices and sockets
    are refused without being opened (``NotRegularFileError``), and so are ``/vsi`` paths and URLs.
    """
    from satview.core.guard import check_path, open_regular

    p = Path(path)
    st = check_path(path, allow_dir=True, allow_empty=True)
    if stat.S_ISDIR(st.st_mode):
        return Sniffed(p, "directory", 0)
    size = st.st_size
    try:
        with open_regular(p) as fh:
            head = fh.read(HEAD_BYTES)
            if size > 520 and not head.startswith(b"\x89HDF") and _hdf5_userblock(fh, size):
                return Sniffed(p, "hdf5", size, head)
    except SceneReadError:
        raise
    except OSError as exc:
        raise SceneReadError(f"cannot be read: {exc.strerror or exc}", p) from exc
    if size == 0:
        return Sniffed(p, "empty", 0, b"")
    for magic, offset, kind in _MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(p, kind, size, head)
    if head[:2] == b"\x1f\x8b":
        return Sniffed(p, _gzip_kind(head), size, head)
    if _is_tar_header(head[:512]):
        return Sniffed(p, "tar", size, head)
    return Sniffed(p, _classify_text(head), size, head)


def _gzip_kind(head: bytes) -> str:
    """``tar.gz`` when the first decompressed block is a tar header, else ``gzip``."""
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        block = d.decompress(head, 512)
    except (zlib.error, gzip.BadGzipFile, EOFError):
        return "gzip"
    return "tar.gz" if _is_tar_header(block) else "gzip"
