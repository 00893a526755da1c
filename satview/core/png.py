"""A fast PNG encoder for 8-bit RGB and RGBA images: quick-looks and the batch contact sheet.

Pillow (and GDAL's PNG driver) deflate the whole image on one thread at zlib level 6. Quick-looks
are written where speed matters more than the last bytes, so here every row uses the "Up" filter
(difference to the row above: one numpy subtraction; ~7 % smaller than no filter on a Landsat
quick-look), zlib level 1 (3x faster than level 6, files ~15 % bigger), and the deflate stream is
cut into ~1 MB pieces compressed on satview's thread pool (:mod:`satview.core.threads`; zlib
releases the GIL) and joined into one zlib stream. Any PNG reader decodes the result.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from satview.core.threads import run_parallel

#: zlib level: level 1 deflates 3x faster than the default 6, files ~15 % bigger.
_PNG_ZLEVEL = 1
_PNG_PIECE_BYTES = 1 << 20  # raw bytes per deflate piece (pieces are compressed in parallel)
#: PNG colour type per number of bands: 2 truecolour (RGB), 6 truecolour with alpha (RGBA).
_COLOUR_TYPES = {3: 2, 4: 6}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def _deflate_piece(raw: memoryview, last: bool) -> bytes:
    """Raw deflate of one piece; a non-final piece ends on a byte boundary (full flush, fresh
    dictionary after it), so the pieces concatenate into one valid deflate stream."""
    z = zlib.compressobj(_PNG_ZLEVEL, zlib.DEFLATED, -15)
    return z.compress(raw) + z.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


def encode_png(image: np.ndarray) -> bytes:
    """An 8-bit RGB or RGBA PNG of ``image`` ((3 or 4, rows, cols) uint8; cheapest as a band-first
    view of a pixel-interleaved array, as quick-looks and Pillow images give)."""
    if image.ndim != 3 or image.shape[0] not in _COLOUR_TYPES:
        raise ValueError(f"encode_png takes (3 or 4, rows, cols) arrays, not {image.shape}")
    bands = image.shape[0]
    pixels = np.ascontiguousarray(np.moveaxis(image, 0, -1), dtype=np.uint8)
    rows, cols = pixels.shape[:2]
    flat = pixels.reshape(rows, cols * bands)
    raw = np.empty((rows, cols * bands + 1), dtype=np.uint8)
    raw[:, 0] = 2  # filter type "Up"
    raw[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=raw[1:, 1:])  # uint8 wrap-around is the PNG rule
    data = memoryview(raw.reshape(-1))
    step = max(raw.shape[1], _PNG_PIECE_BYTES // raw.shape[1] * raw.shape[1])
    starts = range(0, len(data), step)
    pieces = run_parallel(_deflate_piece, [(data[i:i + step], i + step >= len(data)) for i in starts])
    stream = b"".join([b"\x78\x01", *pieces, struct.pack(">I", zlib.adler32(data))])
    header = struct.pack(">IIBBBBB", cols, rows, 8, _COLOUR_TYPES[bands], 0, 0, 0)  # 8-bit, no interlace
    return b"".join([b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header), _png_chunk(b"IDAT", stream),
                     _png_chunk(b"IEND", b"")])
