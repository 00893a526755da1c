"""Any single raster file GDAL reads (GeoTIFF first of all) as a scene: one band per file band.

satview's own outputs (clips, reprojections) are recognised by content, by their ``SATVIEW``
metadata domain (:mod:`satview.core.satview_domain`), not by name: their bands come back with the
source's names, roles, common names, wavelengths, calibrations, QA decoders and flags, and the
scene with its Landsat facts, so they display, decode and compute like the source.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.windows import Window

from satview.core.geo import footprint_lonlat
from satview.core.qa import QA_KEYS
from satview.core.readers.base import GDAL_ERRORS, Scene, read_error
from satview.core.readers.gdal_handles import DatasetPool
from satview.core.readers.read_aligned import read_aligned
from satview.core.satview_domain import BAND_ITEM, DOMAIN, SCENE_ITEM, decode_band, decode_scene
from satview.core.types import BandInfo, Calibration, Deferred, GeoGrid, LandsatInfo, SceneInfo
from satview.errors import SatviewError

#: The only GDAL drivers allowed to open a file of each sniffed kind (never GDAL's guess).
GDAL_DRIVERS: dict[str, tuple[str, ...]] = {
    "tiff": ("GTiff",),
    "png": ("PNG",),
    "jpeg": ("JPEG",),
    "jp2": ("JP2OpenJPEG",),
}


#: World-file suffixes GDAL would look for next to images of each kind.
_WORLD_FILE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "png": (".pgw", ".pngw", ".wld"),
    "jpeg": (".jgw", ".jpgw", ".jpegw", ".wld"),
    "jp2": (".j2w", ".jp2w", ".wld"),
}


def world_file_transform(path: Path, kind: str) -> Affine | None:
    """The transform of an image's world file (``.pgw``, ``.wld``, ...), read by satview itself.

    GDAL runs with ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` (it never probes the input's
    folder), so the one side-car an image needs to be placed is looked up here: a small regular
    file with six numbers. Anything else (missing, odd, huge) gives None.
    """
    from satview.core.guard import check_path

    for suffix in _WORLD_FILE_SUFFIXES.get(kind, ()):
        for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            try:
                st = check_path(cand)
                if st.st_size > 4096:
                    continue
                values = [float(v) for v in cand.read_text(encoding="ascii", errors="replace").split()]
            except (SatviewError, OSError, ValueError):
                continue
            if len(values) != 6 or not all(math.isfinite(v) for v in values):
                continue
            a, d, b, e, c, f = values  # world files give the centre of the upper-left pixel
            return Affine(a, b, c - a / 2 - b / 2, d, e, f - d / 2 - e / 2)
    return None


class RasterScene(Scene):
    """A GeoTIFF (or other GDAL raster) opened through rasterio."""

    def __init__(self, path: str | os.PathLike[str], fmt: str = "geotiff", kind: str | None = None) -> None:
        super().__init__()
        drivers = GDAL_DRIVERS.get(kind or ("tiff" if fmt == "geotiff" else ""))
        self._pool = DatasetPool(os.fspath(path), drivers, without_bad_georef=True)
        src = os.path.abspath(path)
        ds = self._pool.get(src)
        warnings = list(self._pool.notes.values())
        transform = ds.transform
        self._placed_by_world_file = False
        if kind in _WORLD_FILE_SUFFIXES and transform.is_identity:
            placed = world_file_transform(Path(path), kind)
            if placed is not None:
                transform, self._placed_by_world_file = placed, True
        grid = GeoGrid(ds.crs, transform, ds.width, ds.height)
        tags = _tags(ds, warnings)
        output = _satview_output(ds, src, warnings)
        bands, landsat, facts = output if output is not None else (_band_infos(ds, src), None, {})
        self.info = SceneInfo(
            path=os.fspath(path),
            format=fmt,
            grid=grid,
            bands=tuple(bands),
            landsat=landsat,
            metadata={**facts, "driver": ds.driver, "tags": tags},
            footprint=Deferred(footprint_lonlat, grid),
            warnings=tuple(warnings),
        )

    def close(self) -> None:
        self._pool.close()
        super().close()

    def _read_band(
        self, band: BandInfo, window: Window, out_shape: tuple[int, int], resampling: Resampling
    ) -> np.ndarray:
        ds = self._pool.get(band.source)
        if self._placed_by_world_file:  # GDAL does not know the grid; the file's pixels are the grid's
            try:
                return ds.read(band.source_band, window=window, out_shape=out_shape, resampling=resampling)
            except GDAL_ERRORS as exc:
                raise read_error(self.path, exc) from exc
        return read_aligned(ds, band, self.info.grid, window, out_shape, resampling, self.path)


def _tags(ds, warnings: list[str]) -> dict[str, str]:
    """The dataset's metadata tags; none (and a warning) when they hold bytes that are not text."""
    try:
        return dict(ds.tags())
    except UnicodeError:
        warnings.append("the file's metadata tags are damaged (bytes that are not text) and were left out")
        return {}


def _satview_output(ds, source: str, warnings: list[str],
                    ) -> tuple[list[BandInfo], LandsatInfo | None, dict[str, Any]] | None:
    """Bands, Landsat facts and other facts of a satview output (None for any other file).

    A damaged ``SATVIEW`` domain gives None and a warning: the file is then read as a plain GeoTIFF
    (its GDAL scale/offset/unit still apply).
    """
    try:
        scene_text = ds.tags(ns=DOMAIN).get(SCENE_ITEM)
        if not scene_text:
            return None
        landsat, facts = decode_scene(scene_text)
        bands: list[BandInfo] = []
        for i in range(1, ds.count + 1):
            text = ds.tags(i, ns=DOMAIN).get(BAND_ITEM)
            if not text:
                raise ValueError(f"band {i} has no record")
            bands.append(decode_band(text, dtype=ds.dtypes[i - 1], nodata=ds.nodatavals[i - 1],
                                     source=source, source_band=i, qa_keys=QA_KEYS))
        if len({b.name for b in bands}) != len(bands):
            raise ValueError("two bands have the same name")
    except (ValueError, UnicodeError, RecursionError, OverflowError) as exc:  # JSONDecodeError: a ValueError
        warnings.append(f"the file's satview metadata is damaged ({str(exc)[:120]}); it is read as a plain "
                        "GeoTIFF")
        return None
    return bands, landsat, facts


def _texts(get) -> list[str | None] | None:
    """Per-band texts (``ds.descriptions``, ``ds.units``), or None when they cannot be decoded."""
    try:
        return list(get())
    except UnicodeError:
        return None


def _band_infos(ds, source: str) -> list[BandInfo]:
    names: list[str] = []
    infos: list[BandInfo] = []
    stem = Path(source).stem
    descriptions = _texts(lambda: ds.descriptions) or [None] * ds.count
    units = _texts(lambda: ds.units) or [None] * ds.count
    for i in range(1, ds.count + 1):
        desc = (descriptions[i - 1] or "").strip()
        name = desc if desc and desc not in names else f"band_{i}"
        if ds.count == 1 and not desc:
            name = stem if stem else "band_1"
        names.append(name)
        scale = float(ds.scales[i - 1]) if ds.scales else 1.0
        offset = float(ds.offsets[i - 1]) if ds.offsets else 0.0
        unit = units[i - 1] or ""
        cal = (
            Calibration("linear", scale, offset, unit=unit, quantity="scaled value")
            if (scale != 1.0 or offset != 0.0)
            else Calibration(unit=unit)
        )
        palette = ds.colorinterp[i - 1] == ColorInterp.palette
        infos.append(
            BandInfo(
                name=name,
                description=desc or f"band {i}",
                dtype=ds.dtypes[i - 1],
                nodata=ds.nodatavals[i - 1],
                role="data",
                calibration=cal,
                categorical=palette,
                source=source,
                source_band=i,
            )
        )
    return infos
