"""Small builders for test inputs (tar archives in memory)."""

from __future__ import annotations

import io
import tarfile


def tar_bytes(members: dict[str, bytes]) -> bytes:
    """An uncompressed tar holding ``members`` (name -> content), in the given order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()
