"""Windowed, decimated reads from array stores without overviews (HDF4 SDS, HDF5 datasets, raw binary).

The window is read with a stride close to the decimation (so a zoomed-out view reads only every
n-th row and column, never the whole array), then picked to the exact ``out_shape`` by nearest
neighbour. Slab readers get (row_start, row_stop, row_step, col_start, col_stop, col_step).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rasterio.windows import Window

SlabReader = Callable[[int, int, int, int, int, int], np.ndarray]


def read_window(read_slab: SlabReader, window: Window, out_shape: tuple[int, int]) -> np.ndarray:
    """``out_shape`` samples of ``window`` (nearest neighbour at cell centres) via strided slab reads."""
    r0, c0 = int(window.row_off), int(window.col_off)
    h, w = int(window.height), int(window.width)
    rows, cols = out_shape
    rstep = max(1, h // rows)
    cstep = max(1, w // cols)
    slab = np.asarray(read_slab(r0, r0 + h, rstep, c0, c0 + w, cstep))
    if slab.shape == (rows, cols):
        return slab
    # centres of the output cells in window pixels -> index into the strided slab
    ri = ((np.arange(rows) + 0.5) * h / rows).astype(np.int64) // rstep
    ci = ((np.arange(cols) + 0.5) * w / cols).astype(np.int64) // cstep
    ri = np.clip(ri, 0, slab.shape[0] - 1)
    ci = np.clip(ci, 0, slab.shape[1] - 1)
    return slab[np.ix_(ri, ci)]
