"""Scene archives: list a tar's members, give GDAL paths into it, unpack compressed tars once.

Plain ``.tar`` (Collection 2) is read in place: GDAL ``/vsitar/`` for files GDAL recognises as
tars by name, ``/vsisubfile/`` (offset + size of the member) for plain tars with another name,
such as a ``.tar.gz`` that is not compressed. Compressed tars (Collection 1 / pre-collection
``.tar.gz``) have no random access, so they are decompressed in one streaming pass into the
per-user cache and reused on the next open; nothing is ever written next to the input.
"""

from __future__ import annotations

import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from satview.core.cache import user_cache_dir
from satview.core.guard import check_path, open_regular
from satview.errors import SatviewError, SceneReadError, TooLargeError, UnsafeArchiveError

ProgressFn = Callable[[float, str], None]

_UNPACK_VERSION = "1"
#: While a compressed tar is streamed, members up to this size are held in memory and written only
#: after the whole archive's headers passed :class:`MemberCheck` ...
DEFER_MEMBER_BYTES = 1 << 20
#: ... as long as all held members together stay below this.
DEFER_TOTAL_BYTES = 64 << 20


@dataclass(frozen=True)
class TarMember:
    """A regular file inside a tar: its name, where its data starts and how long it is."""

    name: str
    offset: int
    size: int

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def _safe_parts(name: str) -> list[str] | None:
    """The path parts of a member name, or None when it is absolute or climbs out with ``..``."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or "\x00" in text:
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    return parts


class MemberCheck:
    """Checks tar headers one by one, before any member's data is used (see :func:`check_member`)."""

    def __init__(self, src: Path) -> None:
        self.src = src
        self.count = 0
        self.declared = 0
        self.names: set[str] = set()

    def check(self, info: tarfile.TarInfo) -> list[str] | None:
        """The safe path parts of a regular member; None for folders; raises for anything unsafe.

        Refused (``UnsafeArchiveError``): absolute names, ``..``, symbolic and hard links, devices,
        FIFOs, sparse or other special members, duplicate names, more than the member budget.
        """
        from satview.core.guard import LIMITS

        self.count += 1
        if self.count > LIMITS.max_tar_members:
            raise UnsafeArchiveError(f"the archive holds more than {LIMITS.max_tar_members} members; "
                                     "a satellite scene has a few dozen", self.src)
        try:
            info.name.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UnsafeArchiveError(f"the archive holds a member whose name is not valid UTF-8 "
                                     f"({info.name!a})", self.src) from exc
        parts = _safe_parts(info.name)
        if parts is None or (not parts and not info.isdir()):
            raise UnsafeArchiveError(f"the archive holds an unsafe member name {info.name!r} "
                                     "(absolute, or leading out of the folder with '..')", self.src)
        if info.issym() or info.islnk():
            raise UnsafeArchiveError(f"the archive holds a link {info.name!r} -> {info.linkname!r}; "
                                     "satellite scenes hold plain files only", self.src)
        if info.isdir():
            return None
        if info.ischr() or info.isblk() or info.isfifo():
            raise UnsafeArchiveError(f"the archive holds a device or FIFO member {info.name!r}", self.src)
        if not info.isfile() or info.issparse():
            raise UnsafeArchiveError(f"the archive holds a special member {info.name!r} "
                                     f"(type {info.type!r})", self.src)
        key = "/".join(parts).casefold()
        if key in self.names:
            raise UnsafeArchiveError(f"the archive holds the member {info.name!r} twice", self.src)
        self.names.add(key)
        if info.size < 0:
            raise SceneReadError(f"the archive member {info.name!r} declares a negative size", self.src)
        self.declared += info.size
        return parts


def list_tar(path: str | os.PathLike[str]) -> list[TarMember]:
    """Regular-file members of an uncompressed tar, in archive order, after checking every header.

    Raises ``SceneReadError`` for a truncated or damaged archive (a member declaring more bytes
    than the file has), ``UnsafeArchiveError`` for absolute or ``..`` names, links, devices,
    duplicates or too many members (see :class:`MemberCheck`).
    """
    p = Path(path)
    members: list[TarMember] = []
    size = check_path(p).st_size
    checker = MemberCheck(p)
    try:
        with open_regular(p) as fh, tarfile.open(fileobj=fh, mode="r:") as tf:
            for info in tf:
                if checker.check(info) is None:
                    continue
                if info.offset_data + info.size > size:
                    raise SceneReadError(
                        f"the archive is truncated: member {info.name} ends at byte "
                        f"{info.offset_data + info.size} but the file has {size} bytes",
                        p,
                    )
                members.append(TarMember(info.name, info.offset_data, info.size))
    except tarfile.ReadError as exc:
        raise SceneReadError(f"the tar archive is damaged or truncated ({exc})", p) from exc
    except EOFError as exc:
        raise SceneReadError("the tar archive is truncated", p) from exc
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise SceneReadError(f"the tar archive has a damaged header ({exc})", p) from exc
    if members:
        last = members[-1]
        padded_end = last.offset + -(-last.size // 512) * 512
        if padded_end + 1024 > size:  # a complete tar ends with two zero blocks
            raise SceneReadError(
                f"the tar archive is truncated after member {last.name} (no end-of-archive marker)", p
            )
    return members


def member_error(exc: SatviewError, archive: str | os.PathLike[str], member: str,
                 inner: str | os.PathLike[str] | None = None) -> SatviewError:
    """``exc``, raised about a file inside ``archive``, as the same error about the archive itself.

    The user opened the archive, not the cache copy or GDAL path (``inner``) a member is read
    through, so the message reads ``<archive>: member <member>: <what is wrong>``, with ``inner``
    replaced by the member's name wherever the original message quoted it. The category stays.
    """
    if exc.path == os.fspath(archive) and exc.message.startswith("member "):
        return exc  # already about the archive
    message = exc.message
    for text in filter(None, {os.fspath(inner) if inner else None, exc.path}):
        if text != os.fspath(archive):
            message = message.replace(text, member)
    err = type(exc)(f"member {member}: {message}", archive, category=exc.category)
    err.__cause__ = exc
    return err


def gdal_member_path(archive: str | os.PathLike[str], member: TarMember) -> str:
    """A GDAL path that reads ``member`` of the plain tar ``archive`` in place."""
    a = os.path.abspath(archive)
    if a.lower().endswith(".tar"):
        return f"/vsitar/{a}/{member.name}"
    return f"/vsisubfile/{member.offset}_{member.size},{a}"


def read_member(archive: str | os.PathLike[str], member: TarMember, limit: int = 16 << 20) -> bytes:
    """The bytes of a (small) member of a plain tar, read directly at its offset."""
    with open_regular(archive) as fh:
        fh.seek(member.offset)
        return fh.read(min(member.size, limit))


def _cache_key(path: Path) -> str:
    st = path.stat()
    ident = f"{_UNPACK_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    import hashlib  # only for .tar.gz scenes (3 ms of start-up otherwise)

    return hashlib.sha1(ident.encode()).hexdigest()[:16]


def unpacked_dir(path: str | os.PathLike[str]) -> Path:
    """Where the cached copy of a compressed archive lives (it may not exist yet)."""
    p = Path(path)
    name = p.name
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".gz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return user_cache_dir("unpacked") / f"{name}-{_cache_key(p)}"


def unpack_to_cache(path: str | os.PathLike[str], progress: ProgressFn | None = None) -> Path:
    """Decompress a compressed tar once into the per-user cache; return the folder.

    The archive is streamed in a single pass (a separate listing pass would decompress it twice);
    every header is checked (:class:`MemberCheck`, then ``tarfile.data_filter``) before its member
    is used, and the total unpacked size and the expansion ratio are watched while streaming
    (budgets in :data:`satview.core.guard.LIMITS`). Small members (up to
    :data:`DEFER_MEMBER_BYTES`, :data:`DEFER_TOTAL_BYTES` in all) are held in memory and written
    only after the last header was checked, so an archive of very many small members fails on
    the member budget while its headers are scanned, before one file is created (a scene's few
    dozen large bands are written as they stream by). The folder appears under its final name
    only when complete; on any failure the partial folder is deleted, and one left by a killed
    process is removed at the next unpack. A cached folder is reused while the archive is unchanged.
    """
    from satview.core.atomic import cleanup_stale, temp_prefix

    src = Path(path)
    check_path(src)
    dest = unpacked_dir(src)
    if dest.is_dir():
        return dest
    cleanup_stale(dest.parent)
    total = max(src.stat().st_size, 1)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(dest.name), dir=dest.parent))
    try:
        with open_regular(src) as raw:
            budget = _UnpackBudget(src, raw, tmp)
            checker = MemberCheck(src)
            held: list[tuple[tarfile.TarInfo, list[str], bytes]] = []  # small members, written at the end
            held_bytes = 0
            try:
                with tarfile.open(fileobj=raw, mode="r|*") as tf:
                    for info in tf:
                        parts = checker.check(info)
                        if parts is None:
                            continue
                        budget.declare(info)
                        if info.size <= DEFER_MEMBER_BYTES and held_bytes + info.size <= DEFER_TOTAL_BYTES:
                            data = _read_member(tf, info, src, budget)
                            held.append((info, parts, data))
                            held_bytes += len(data)
                            continue
                        target = _member_target(info, tmp, src, parts)
                        _write_member(target, _chunks(tf, info, budget), info, src)
                        if progress is not None:
                            progress(min(raw.tell() / total, 1.0), f"unpacking {info.name}")
                for info, parts, data in held:
                    _write_member(_member_target(info, tmp, src, parts), [data], info, src)
            except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError,
                    UnicodeError, OverflowError) as exc:
                if isinstance(exc, SceneReadError):
                    raise
                raise SceneReadError(
                    f"the compressed archive is damaged or truncated ({exc})", src
                ) from exc
        if progress is not None:
            progress(1.0, "unpacked")
        try:
            os.replace(tmp, dest)
        except OSError:
            if not dest.is_dir():  # another process won the race: keep theirs
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        return dest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class _UnpackBudget:
    """Running totals of one unpack: declared sizes, bytes written, free space, expansion ratio."""

    def __init__(self, src: Path, raw: BinaryIO, root: Path) -> None:
        self.src, self.raw, self.root = src, raw, root
        self.declared = 0
        self.written = 0

    def declare(self, info: tarfile.TarInfo) -> None:
        """Check a member's declared size against the total budget and the cache's free space."""
        from satview.core.guard import LIMITS, human_bytes

        self.declared += info.size
        if self.declared > LIMITS.max_unpacked_bytes:
            raise TooLargeError(
                f"the archive unpacks to more than {human_bytes(LIMITS.max_unpacked_bytes)} "
                f"(member {info.name!r} declares {human_bytes(info.size)})", self.src)
        try:
            free = shutil.disk_usage(self.root).free
        except OSError:
            return
        if info.size > free - (256 << 20):
            raise TooLargeError(
                f"member {info.name!r} needs {human_bytes(info.size)} but the cache folder "
                f"{self.root.parent} has only {human_bytes(free)} free", self.src)

    def wrote(self, n: int) -> None:
        """Count ``n`` unpacked bytes and stop when the expansion ratio looks like a bomb."""
        from satview.core.guard import LIMITS

        self.written += n
        if self.written > LIMITS.ratio_floor_bytes:
            read = max(self.raw.tell(), 1)
            if self.written > LIMITS.max_unpack_ratio * read:
                raise TooLargeError(
                    f"the archive expands more than {LIMITS.max_unpack_ratio:.0f} times "
                    f"({self.written} bytes from {read}); refusing what looks like a decompression bomb",
                    self.src)


def _member_target(info: tarfile.TarInfo, root: Path, src: Path, parts: list[str] | None = None) -> Path:
    """Where a regular member goes below ``root``, checked with ``tarfile.data_filter`` semantics
    (nothing is written). Names that would escape ``root`` (absolute, ``..``), links and special
    files are refused."""
    if parts is None:
        parts = _safe_parts(info.name)
    if not parts:
        raise UnsafeArchiveError(f"the archive holds an unsafe member name {info.name!r}", src)
    try:
        tarfile.data_filter(info, str(root))
    except tarfile.FilterError as exc:
        raise UnsafeArchiveError(f"the archive holds an unsafe member {info.name!r} ({exc})", src) from exc
    target = root.joinpath(*parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise UnsafeArchiveError(f"the archive holds an unsafe member name {info.name!r}", src)
    return target


def _chunks(tf: tarfile.TarFile, info: tarfile.TarInfo, budget: _UnpackBudget | None) -> Iterator[bytes]:
    """The data of the current member of a streamed tar, 1 MiB at a time, counted by ``budget``."""
    fobj = tf.extractfile(info)
    if fobj is None:
        return
    with fobj:
        while chunk := fobj.read(1 << 20):
            if budget is not None:
                budget.wrote(len(chunk))
            yield chunk


def _read_member(tf: tarfile.TarFile, info: tarfile.TarInfo, src: Path,
                 budget: _UnpackBudget | None) -> bytes:
    """The whole data of the current (small) member of a streamed tar."""
    data = b"".join(_chunks(tf, info, budget))
    if len(data) != info.size:
        raise SceneReadError(f"the archive is truncated inside member {info.name}", src)
    return data


def _write_member(target: Path, chunks: Iterable[bytes], info: tarfile.TarInfo, src: Path) -> None:
    """Create ``target`` (never an existing file, never through a link) holding ``chunks``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
        for chunk in chunks:
            out.write(chunk)
        if out.tell() != info.size:
            raise SceneReadError(f"the archive is truncated inside member {info.name}", src)
