"""Reader of NSIDC-0051 / -0081 flat binary sea-ice concentration grids (300-byte header + uint8 cells)
as a scene; what the header and the cells mean is :mod:`satview.core.readers.nsidc_header`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.enums import Resampling
from rasterio.windows import Window

from satview.core.polar_grids import NsidcGrid, footprint_lonlat, grid_for_cell_count
from satview.core.readers.array_read import read_window
from satview.core.readers.base import Scene
from satview.core.readers.nsidc_header import (
    CONCENTRATION_SCALE,
    HEADER_BYTES,
    concentration_band,
    describe_header,
    parse_header,
)
from satview.core.types import BandInfo, Deferred, GeoGrid, SceneInfo
from satview.errors import SceneReadError, UnsupportedFormatError


class NsidcBinaryScene(Scene):
    """A NSIDC-0051/-0081 concentration grid, read through a read-only numpy memmap."""

    def __init__(self, path: Path, grid: NsidcGrid, header: dict[str, Any], facts: dict[str, Any],
                 warnings: list[str]) -> None:
        super().__init__()
        self._path = path
        self.nsidc_grid = grid
        try:
            self._mm: np.memmap | None = np.memmap(
                path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=(grid.height, grid.width)
            )
        except (OSError, ValueError) as exc:
            raise SceneReadError(f"cannot map the sea-ice grid ({exc})", path) from exc
        band = concentration_band(facts, grid.cell_size, str(path))
        metadata: dict[str, Any] = dict(facts)
        metadata["grid"] = grid.name
        metadata["header"] = header
        geogrid = GeoGrid(crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height)
        self.info = SceneInfo(
            path=str(path),
            format="nsidc-binary",
            grid=geogrid,
            bands=(band,),
            metadata=metadata,
            footprint=Deferred(footprint_lonlat, grid),
            warnings=tuple(warnings),
        )

    def _read_band(self, band: BandInfo, window: Window, out_shape: tuple[int, int],
                   resampling: Resampling) -> np.ndarray:
        with self._lock:
            mm = self._mm
            if mm is None:
                raise SceneReadError("the scene is closed", self._path)

            def slab(r0: int, r1: int, rs: int, c0: int, c1: int, cs: int) -> np.ndarray:
                return np.array(mm[r0:r1:rs, c0:c1:cs])  # a copy: nothing keeps the map alive

            try:
                return read_window(slab, window, out_shape)
            except (OSError, ValueError) as exc:
                raise SceneReadError(f"cannot read the sea-ice grid ({exc})", self._path) from exc

    def close(self) -> None:
        """Drop the memory map. Idempotent."""
        with self._lock:
            mm, self._mm = self._mm, None
        if mm is not None:
            raw = getattr(mm, "_mmap", None)
            del mm
            if raw is not None:
                with contextlib.suppress(BufferError, ValueError):  # a view still alive: GC closes it
                    raw.close()
        super().close()


def open_nsidc_binary(path: str | os.PathLike[str], sniffed: Any = None, **_: Any) -> NsidcBinaryScene:
    """Open a NSIDC-0051/-0081 flat binary file as a one-band scene ("concentration", in %).

    The grid is chosen by the file size (300 + rows x cols bytes) and cross-checked with the
    header's columns, rows and hemisphere; disagreements and an unreadable header become warnings
    in ``info.warnings``. The scene sits exactly on the NSIDC polar stereographic grid (EPSG:3411
    north, 3412 south; upper-left corner (-3850000, 5850000) / (-3950000, 4350000)), not on GDAL's
    half-cell-shifted NSIDCbin georeferencing. Unknown ``options`` are ignored.
    """
    p = Path(path)
    try:
        size = int(sniffed.size) if sniffed is not None and getattr(sniffed, "size", None) is not None \
            else p.stat().st_size
        with open(p, "rb") as fh:
            raw = fh.read(HEADER_BYTES)
    except OSError as exc:
        raise SceneReadError(f"cannot read the file ({exc.strerror or exc})", p) from exc
    grid = grid_for_cell_count(size - HEADER_BYTES) if size > HEADER_BYTES else None
    if grid is None or len(raw) < HEADER_BYTES:
        raise UnsupportedFormatError(
            f"not a NSIDC-0051/-0081 sea-ice grid: {size} bytes is not a 300-byte header plus one "
            "byte per cell of a NSIDC polar stereographic grid (e.g. 304 x 448 or 316 x 332)",
            p,
        )
    header = parse_header(raw)
    facts = describe_header(header, p)
    warnings: list[str] = []
    known = sum(k in header for k in ("columns", "rows", "scaling_factor", "title", "instrument"))
    if known < 3:
        warnings.append(
            "the 300-byte header is not a readable NSIDC-0051 header; the grid "
            f"({grid.name}) was chosen from the file size alone"
        )
    else:
        cols, rows = header.get("columns"), header.get("rows")
        if (cols, rows) != (grid.width, grid.height):
            warnings.append(
                f"the header says {cols} x {rows} cells but the file size fits {grid.width} x "
                f"{grid.height} ({grid.name}); the file size was trusted"
            )
        if header.get("scaling_factor") not in (None, CONCENTRATION_SCALE):
            warnings.append(
                f"the header's scaling factor is {header['scaling_factor']}, not {CONCENTRATION_SCALE}; "
                "values are still read as 0-250 = 0-100 %"
            )
    hemi = facts.get("hemisphere")
    if hemi and hemi != grid.hemisphere:
        warnings.append(
            f"the header/file name says {hemi}ern hemisphere but the file size fits the "
            f"{grid.hemisphere}ern grid {grid.name}; the file size was trusted"
        )
    facts["hemisphere"] = grid.hemisphere
    return NsidcBinaryScene(p, grid, header, facts, warnings)
