"""satview for people who script: open a scene, read it as numpy or xarray, clip, reproject, quick-look.

A thin layer over the same core functions the command line calls (``satview clip`` runs
:func:`clip`, and so on), so a script and the CLI give the same pixels::

    import satview
    from rasterio.windows import Window

    with satview.open("LC08_L2SP_042034_20210612_20210622_02_T1.tar") as scene:
        print(scene.info.landsat.acquired, scene.crs, scene.shape)
        print([(b.name, b.common_name, b.unit) for b in scene.bands])
        red, nir = scene.read(["SR_B4", "SR_B5"], window=Window(0, 0, 512, 512))  # surface reflectance
        ndvi = (nir - red) / (nir + red)
        da = scene.to_xarray(["SR_B4", "SR_B5"], out_shape=(500, 500))  # needs satview[xarray]

    satview.clip("scene.tar", "field.gpkg", "field.tif", bands="SR_B4,SR_B5")
    satview.reproject("scene.tar", "EPSG:3338", "alaska.tif", resampling="bilinear", resolution=60)
    satview.quicklook("scene.tar", "cir.png", preset="color-infrared", size=1024)

Errors about the user's files and arguments are :class:`satview.errors.SatviewError` subclasses
whose message names the file (``err.path``, ``err.category``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.windows import Window

from satview.core.composite import dataset_bands
from satview.core.readers import open_scene
from satview.core.readers.base import Scene as CoreScene
from satview.core.types import BandInfo, DatasetInfo, SceneInfo
from satview.errors import ArgumentError

if TYPE_CHECKING:
    import xarray  # lazy: optional extra (satview[xarray]); ~500 ms

    from satview.core.aoi import AOISource
    from satview.core.clip import ClipResult
    from satview.core.quicklook import QuicklookResult
    from satview.core.reproject import ReprojectResult
    from satview.core.stretch import Stretch

PathLike = str | os.PathLike[str]
ProgressFn = Callable[[float, str], None]
#: Band names as a list, or one string with names separated by commas (``"SR_B4,SR_B5"``).
Bands = str | Sequence[str]
#: Quick-look sizes (long side, pixels) satview accepts.
QUICKLOOK_SIZES = (16, 32768)


class Scene:
    """An opened scene: facts (``info``, ``bands``, ``crs``, ...) and reads as numpy or xarray.

    Made by :func:`open`; a context manager that closes the files it opened. ``core`` is the
    underlying :class:`satview.core.readers.base.Scene` (for the core functions).
    """

    def __init__(self, core: CoreScene) -> None:
        self.core = core

    def __enter__(self) -> Scene:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the scene's files (idempotent)."""
        self.core.close()

    @property
    def closed(self) -> bool:
        return self.core.closed

    def __repr__(self) -> str:
        g = self.info.grid
        state = "closed " if self.closed else ""
        return (f"<{state}satview.Scene {self.path!r} {self.info.format} {g.height} x {g.width}, "
                f"{len(self.bands)} bands: {', '.join(self.band_names)}>")

    # -- facts --------------------------------------------------------------------------------
    @property
    def info(self) -> SceneInfo:
        """Everything known about the scene: product (``info.landsat``), grid, bands, metadata."""
        return self.core.info

    @property
    def bands(self) -> tuple[BandInfo, ...]:
        """One :class:`~satview.core.types.BandInfo` per band: ``name``, ``common_name``,
        ``wavelength`` (µm, min/max), ``unit`` of the physical values, ``nodata``, ``categorical``."""
        return self.core.info.bands

    @property
    def band_names(self) -> list[str]:
        return self.core.info.band_names

    @property
    def path(self) -> str:
        return self.core.path

    @property
    def crs(self) -> CRS | None:
        return self.core.crs

    @property
    def transform(self) -> Affine:
        """Affine transform of the scene grid (pixel corner (col, row) -> map x, y)."""
        return self.core.transform

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the scene grid."""
        return self.core.shape

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the scene CRS."""
        return self.core.bounds

    @property
    def datasets(self) -> tuple[DatasetInfo, ...]:
        """Every dataset of an HDF/netCDF file (empty for other files); ``info.dataset`` is the open one."""
        return self.core.info.datasets

    # -- pixels -------------------------------------------------------------------------------
    def read(self, bands: Bands | None = None, window: Window | None = None,
             out_shape: tuple[int, int] | None = None, physical: bool = True,
             resampling: Resampling | None = None) -> np.ndarray:
        """Pixels as a ``(band, row, col)`` array, like rasterio's ``read``.

        ``bands``: names (default all bands; for an HDF/netCDF file, those of the dataset it was
        opened on, as exports do — the grid's other datasets are read when named); ``window``: a
        ``rasterio.windows.Window`` of the scene grid
        (default all of it); ``out_shape``: ``(rows, cols)`` of the result (smaller than the window
        reads decimated, from overviews where the file has them). ``physical=True`` gives float32
        physical values (reflectance, kelvin, the file's scale/offset applied) with NaN at fill and
        flags; ``physical=False`` the raw DN in the band's own dtype.

        >>> with satview.open(path) as scene:                  # doctest: +SKIP
        ...     red = scene.read("SR_B4", out_shape=(512, 512))[0]
        """
        return self.core.read(band_list(bands) or self._default_bands(), window=window,
                              out_shape=out_shape, dn=not physical, resampling=resampling)

    def _default_bands(self) -> list[str]:
        """What ``read`` and ``to_xarray`` read when no bands are named (see ``read``)."""
        return [b.name for b in dataset_bands(self.info)]

    def to_xarray(self, bands: Bands | None = None, window: Window | None = None,
                  out_shape: tuple[int, int] | None = None, physical: bool = True) -> xarray.DataArray:
        """The read of :meth:`read` as an ``xarray.DataArray`` with dims ``(band, y, x)``.

        The ``band`` coordinate holds the names, with ``common_name``, ``wavelength`` (centre, µm),
        ``wavelength_min``/``_max`` and ``units`` along it; ``x``/``y`` are pixel-centre map
        coordinates of the read; a ``spatial_ref`` coordinate carries the CRS (CF grid mapping +
        ``crs_wkt``/``spatial_ref``) and the ``GeoTransform``, as rioxarray writes them, so
        ``da.rio.crs`` and ``da.rio.transform()`` work. Needs ``pip install satview[xarray]``.

        >>> da = scene.to_xarray(["SR_B4", "SR_B5"])           # doctest: +SKIP
        >>> da.sel(band="SR_B5").rio.crs                       # doctest: +SKIP
        CRS.from_epsg(32611)
        """
        try:
            import xarray  # lazy: optional extra (satview[xarray]); ~500 ms
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError("Scene.to_xarray needs xarray: pip install 'satview[xarray]'") from exc
        names = [self.info.band(n).name for n in band_list(bands) or self._default_bands()]
        data = self.read(names, window=window, out_shape=out_shape, physical=physical)
        win = window if window is not None else Window(0, 0, self.shape[1], self.shape[0])
        rows, cols = data.shape[-2:]
        transform = read_transform(self.transform, win, (rows, cols))
        infos = [self.core.band(n) for n in names]
        coords = _band_coords(infos)
        if transform.b == 0 and transform.d == 0:  # north-up: 1-D centre coordinates describe the grid
            coords["x"] = ("x", transform.c + (np.arange(cols) + 0.5) * transform.a, {"axis": "X"})
            coords["y"] = ("y", transform.f + (np.arange(rows) + 0.5) * transform.e, {"axis": "Y"})
        attrs: dict[str, Any] = {"source": self.path, "long_name": "physical value" if physical else "DN"}
        if self.info.dataset:
            attrs["dataset"] = self.info.dataset
        fill = np.nan if physical else _common_nodata(infos)
        if fill is not None:
            attrs["_FillValue"] = fill
        if self.crs is not None:
            coords["spatial_ref"] = ((), np.int64(0), grid_mapping_attrs(self.crs, transform))
            attrs["grid_mapping"] = "spatial_ref"
        name = self.info.dataset or (self.info.landsat.product_id if self.info.landsat else None)
        return xarray.DataArray(data, dims=("band", "y", "x"), coords=coords, attrs=attrs, name=name)


def open(path: PathLike, dataset: str | None = None) -> Scene:  # satview.open, like rasterio.open
    """Open a scene: a Landsat ``.tar``/``.tar.gz``, scene folder or MTL, a GeoTIFF (or any raster
    GDAL reads), an HDF4/HDF5/netCDF file (``dataset``: the variable to show, default the first
    image-like one) or an NSIDC sea-ice file. Raises a ``SatviewError`` naming the file.

    >>> with satview.open("LC08_L2SP_042034_20210612_20210622_02_T1.tar") as scene:  # doctest: +SKIP
    ...     scene.band_names[:3]
    ['SR_B1', 'SR_B2', 'SR_B3']
    """
    return Scene(open_scene(path, **({"dataset": dataset} if dataset else {})))


def clip(source: PathLike | Scene | CoreScene, aoi: AOISource, out_path: PathLike, *,
         bands: Bands | None = None, all_touched: bool = False, dst_crs: CRS | str | int | None = None,
         cog: bool = False, aoi_crs: CRS | str | int | None = None, dataset: str | None = None,
         progress: ProgressFn | None = None) -> ClipResult:
    """Cut the pixels inside ``aoi`` out of a scene into a tiled DEFLATE GeoTIFF, on the scene's own
    pixel grid (``dst_crs``: reprojected; ``cog``: Cloud-Optimized GeoTIFF).

    ``aoi``: a vector file (GeoJSON, WKT, shapefile, GeoPackage, ...), inline GeoJSON/WKT, a GeoJSON
    dict, a shapely geometry (lon/lat unless ``aoi_crs``) or an AOI; several polygons are their
    union. Pixels whose centre is inside are kept (``all_touched``: every pixel touched).
    ``source``: a path (``dataset`` for HDF/netCDF) or an opened scene (left open).

    >>> satview.clip("scene.tar", "field.geojson", "field.tif", bands=["SR_B4", "SR_B5"])  # doctest: +SKIP
    ClipResult(path=PosixPath('field.tif'), width=251, height=167, count=2, ...)
    """
    from satview.core.aoi import load_aoi  # lazy: only clip needs AOI/clip code (+~160 ms)
    from satview.core.clip import clip_scene

    area = load_aoi(aoi, crs=aoi_crs)
    with _opened(source, dataset) as scene:
        return clip_scene(scene, area, out_path, bands=band_list(bands), all_touched=all_touched,
                          dst_crs=dst_crs, cog=cog, progress=progress)


def reproject(source: PathLike | Scene | CoreScene, dst_crs: CRS | str | int, out_path: PathLike, *,
              bands: Bands | None = None, resampling: str = "nearest", resolution: float | None = None,
              dataset: str | None = None, progress: ProgressFn | None = None) -> ReprojectResult:
    """Warp a scene into ``dst_crs`` (EPSG code, PROJ string or WKT) as a tiled DEFLATE GeoTIFF.

    ``resampling``: nearest (default), bilinear, cubic, average, mode, ... (QA and other categorical
    bands always nearest); ``resolution``: output pixel size in target units (default: GDAL's choice).

    >>> satview.reproject("scene.tar", "EPSG:3338", "alaska.tif", resolution=60)  # doctest: +SKIP
    """
    from satview.core.reproject import reproject_scene  # lazy: only reproject needs it (+~35 ms)

    with _opened(source, dataset) as scene:
        return reproject_scene(scene, out_path, dst_crs, bands=band_list(bands), resampling=resampling,
                               resolution=resolution, progress=progress)


def quicklook(source: PathLike | Scene | CoreScene, out_path: PathLike, *, preset: str | None = None,
              bands: Bands | None = None, band: str | None = None, index: str | None = None,
              cmap: str | None = None, size: int = 1024, stretch: str | Stretch | None = None,
              physical: bool = True, dataset: str | None = None) -> QuicklookResult:
    """Write a georeferenced RGBA PNG (+ world file, ``.aux.xml``; a legend for one band or an index).

    Choose at most one of ``preset`` (e.g. "natural", "color-infrared"), ``bands`` (three names),
    ``band`` (drawn with ``cmap``) or ``index`` (ndvi, ndwi, ndsi, nbr, ndmi, evi); none: the
    scene's default bands. ``size``: long side in pixels (read from overviews). ``stretch``:
    "LO,HI" percentiles (default 2,98), "minmax", "stddev[:N]", or a ``Stretch``.

    >>> satview.quicklook("scene.tar", "ndvi.png", index="ndvi", cmap="rdylgn")  # doctest: +SKIP
    """
    from satview.core.quicklook import write_quicklook  # lazy: keeps clip/reproject/import light (+~30 ms)
    from satview.core.stretch import Stretch

    lo, hi = QUICKLOOK_SIZES
    if not lo <= size <= hi:
        raise ArgumentError(f"size {size} must be between {lo} and {hi} pixels")
    rgb = band_list(bands)
    if rgb is not None and len(rgb) != 3:
        raise ArgumentError(f"an RGB quick-look needs three band names, got {', '.join(rgb)}")
    levels = Stretch.parse(stretch) if isinstance(stretch, str) else stretch
    with _opened(source, dataset) as scene:
        return write_quicklook(scene, out_path, preset=preset, bands=rgb, band=band, index=index, cmap=cmap,
                               size=size, stretch=levels, dn=not physical)


# -- helpers shared with the CLI ---------------------------------------------------------------------


def band_list(bands: Bands | None) -> list[str] | None:
    """Band names from a list or a comma-separated string; None (all bands) for None or nothing given."""
    if bands is None:
        return None
    items = bands.split(",") if isinstance(bands, str) else [str(b) for b in bands]
    names = [b.strip() for b in items if b.strip()]
    return names or None


def read_transform(transform: Affine, window: Window, out_shape: tuple[int, int]) -> Affine:
    """The transform of a read of ``window`` resampled to ``out_shape`` (rows, cols)."""
    rows, cols = out_shape
    return (transform * Affine.translation(window.col_off, window.row_off)
            * Affine.scale(window.width / cols, window.height / rows))


def grid_mapping_attrs(crs: CRS, transform: Affine) -> dict[str, Any]:
    """CF grid-mapping attributes for ``crs`` plus GDAL's ``spatial_ref`` and ``GeoTransform`` (the
    attributes rioxarray and GDAL's netCDF driver read)."""
    from pyproj import CRS as ProjCRS  # lazy: pyproj (+~50 ms) only for netCDF/xarray export

    wkt = crs.to_wkt()
    attrs = dict(ProjCRS.from_wkt(wkt).to_cf())
    attrs["crs_wkt"] = wkt
    attrs["spatial_ref"] = wkt
    t = transform
    attrs["GeoTransform"] = " ".join(f"{v:.17g}" for v in (t.c, t.a, t.b, t.f, t.d, t.e))
    return attrs


def _band_coords(infos: list[BandInfo]) -> dict[str, Any]:
    lo = np.array([b.wavelength[0] if b.wavelength else np.nan for b in infos], dtype=float)
    hi = np.array([b.wavelength[1] if b.wavelength else np.nan for b in infos], dtype=float)
    um = {"units": "um"}
    return {
        "band": ("band", [b.name for b in infos]),
        "common_name": ("band", [b.common_name or "" for b in infos]),
        "wavelength": ("band", (lo + hi) / 2, {**um, "long_name": "centre wavelength"}),
        "wavelength_min": ("band", lo, um),
        "wavelength_max": ("band", hi, um),
        "units": ("band", [b.unit for b in infos]),
    }


def _common_nodata(infos: list[BandInfo]) -> float | None:
    values = {b.nodata for b in infos}
    return next(iter(values)) if len(values) == 1 else None


@contextmanager
def _opened(source: PathLike | Scene | CoreScene, dataset: str | None) -> Iterator[CoreScene]:
    """The core scene of ``source``: an opened scene as it is (left open), a path opened and closed."""
    if isinstance(source, (Scene, CoreScene)):
        core = source.core if isinstance(source, Scene) else source
        if dataset and dataset != core.info.dataset:
            raise ArgumentError(f"dataset={dataset!r} applies to a path; this scene is already open "
                               f"(on {core.info.dataset or 'its only dataset'})", core.path)
        yield core
    else:
        with open(source, dataset).core as scene:
            yield scene
