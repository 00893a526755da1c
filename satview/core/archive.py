"""Scene archives: list a tar's members, give GDAL paths into it, unpack compressed tars once.

Plain ``.tar`` (Collection 2) is read in place: GDAL ``/vsitar/`` for files GDAL recognises as
tars by name, ``/vsisubfile/`` (offset + size of the member) for plain tars with another name,
such as a ``.tar.gz`` that is not compressed. Compressed tars (Collection 1 / pre-collection
``.tar.gz``) have no random access, so they are decompressed in one streaming pass into the
per-user cache and reused on the next open; nothing is ever written next to the input.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from satview.core.cache import user_cache_dir
from satview.errors import SceneReadError

ProgressFn = Callable[[float, str], None]

_UNPACK_VERSION = "1"


@dataclass(frozen=True)
class TarMember:
    """A regular file inside a tar: its name, where its data starts and how long it is."""

    name: str
    offset: int
    size: int

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def list_tar(path: str | os.PathLike[str]) -> list[TarMember]:
    """Regular-file members of an uncompressed tar, in archive order.

    Raises ``SceneReadError`` for a truncated or damaged archive.
    """
    p = Path(path)
    members: list[TarMember] = []
    size = p.stat().st_size
    try:
        with tarfile.open(p, mode="r:") as tf:
            for info in tf:
                if info.isfile():
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
    if members:
        last = members[-1]
        padded_end = last.offset + -(-last.size // 512) * 512
        if padded_end + 1024 > size:  # a complete tar ends with two zero blocks
            raise SceneReadError(
                f"the tar archive is truncated after member {last.name} (no end-of-archive marker)", p
            )
    return members


def gdal_member_path(archive: str | os.PathLike[str], member: TarMember) -> str:
    """A GDAL path that reads ``member`` of the plain tar ``archive`` in place."""
    a = os.path.abspath(archive)
    if a.lower().endswith(".tar"):
        return f"/vsitar/{a}/{member.name}"
    return f"/vsisubfile/{member.offset}_{member.size},{a}"


def read_member(archive: str | os.PathLike[str], member: TarMember, limit: int = 16 << 20) -> bytes:
    """The bytes of a (small) member of a plain tar, read directly at its offset."""
    with open(archive, "rb") as fh:
        fh.seek(member.offset)
        return fh.read(min(member.size, limit))


def _cache_key(path: Path) -> str:
    st = path.stat()
    ident = f"{_UNPACK_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
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

    The archive is streamed in a single pass (no listing pass first). The folder appears under
    its final name only when complete, so an interrupted unpack is redone on the next open.
    A cached folder is reused while the archive's size and modification time are unchanged.
    """
    src = Path(path)
    dest = unpacked_dir(src)
    if dest.is_dir():
        return dest
    total = max(src.stat().st_size, 1)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        with open(src, "rb") as raw:
            try:
                with tarfile.open(fileobj=raw, mode="r|*") as tf:
                    for info in tf:
                        if not info.isfile():
                            continue
                        _extract_member(tf, info, tmp, src)
                        if progress is not None:
                            progress(min(raw.tell() / total, 1.0), f"unpacking {info.name}")
            except (tarfile.ReadError, EOFError, OSError) as exc:
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


def _extract_member(tf: tarfile.TarFile, info: tarfile.TarInfo, root: Path, src: Path) -> None:
    """Write one regular member below ``root``, refusing names that would escape it."""
    parts = [part for part in info.name.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise SceneReadError(f"the archive holds an unsafe member name {info.name!r}", src)
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    fobj = tf.extractfile(info)
    if fobj is None:
        return
    with fobj, open(target, "wb") as out:
        shutil.copyfileobj(fobj, out, 1 << 20)
        if out.tell() != info.size:
            raise SceneReadError(f"the archive is truncated inside member {info.name}", src)
