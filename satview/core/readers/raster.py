"""Any single raster file GDAL reads (GeoTIFF first of all) as a scene: one band per file band."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from rasterio.enums import ColorInterp, Resampling
from rasterio.windows import Window

from satview.core.geo import footprint_lonlat
from satview.core.readers.base import Scene
from satview.core.readers.gdal_handles import DatasetPool
from satview.core.readers.read_aligned import read_aligned
from satview.core.types import BandInfo, Calibration, GeoGrid, SceneInfo


class RasterScene(Scene):
    """A GeoTIFF (or other GDAL raster) opened through rasterio."""

    def __init__(self, path: str | os.PathLike[str], fmt: str = "geotiff") -> None:
        super().__init__()
        self._pool = DatasetPool(os.fspath(path))
        src = os.path.abspath(path)
        ds = self._pool.get(src)
        grid = GeoGrid(ds.crs, ds.transform, ds.width, ds.height)
        self.info = SceneInfo(
            path=os.fspath(path),
            format=fmt,
            grid=grid,
            bands=tuple(_band_infos(ds, src)),
            metadata={"driver": ds.driver, "tags": dict(ds.tags())},
            footprint=footprint_lonlat(grid),
        )

    def close(self) -> None:
        self._pool.close()
        super().close()

    def _read_band(
        self, band: BandInfo, window: Window, out_shape: tuple[int, int], resampling: Resampling
    ) -> np.ndarray:
        ds = self._pool.get(band.source)
        return read_aligned(ds, band, self.info.grid, window, out_shape, resampling, self.path)


def _band_infos(ds, source: str) -> list[BandInfo]:
    names: list[str] = []
    infos: list[BandInfo] = []
    stem = Path(source).stem
    for i in range(1, ds.count + 1):
        desc = (ds.descriptions[i - 1] or "").strip()
        name = desc if desc and desc not in names else f"band_{i}"
        if ds.count == 1 and not desc:
            name = stem if stem else "band_1"
        names.append(name)
        scale = float(ds.scales[i - 1]) if ds.scales else 1.0
        offset = float(ds.offsets[i - 1]) if ds.offsets else 0.0
        unit = (ds.units[i - 1] or "") if ds.units else ""
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
