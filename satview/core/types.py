"""Plain, immutable values that cross module (and thread) boundaries: bands, grids, scene facts.

Nothing here opens files. Readers fill these in; the CLI, the GUI and the exporters only read them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:  # annotations only: the types are plain data, importing them loads no GDAL
    from affine import Affine
    from rasterio.crs import CRS

#: What a band is for. ``data`` is a generic band of a non-Landsat raster.
BandRole = Literal["reflective", "thermal", "pan", "qa", "angle", "auxiliary", "data"]
BAND_ROLES: tuple[str, ...] = ("reflective", "thermal", "pan", "qa", "angle", "auxiliary", "data")


@dataclass(frozen=True)
class Calibration:
    """How raw DN become the band's default physical unit.

    ``kind``:
      - ``"none"``: the value is the DN (QA bands, categorical layers, uncalibrated data);
      - ``"linear"``: ``value = dn * scale + offset`` (surface or TOA reflectance, ST in K, radiance);
      - ``"brightness_temperature"``: ``L = dn * scale + offset`` is radiance, and
        ``value = k2 / ln(k1 / L + 1)`` in kelvin (Level-1 thermal bands).
    """

    kind: Literal["none", "linear", "brightness_temperature"] = "none"
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    k1: float | None = None
    k2: float | None = None
    quantity: str = ""  # e.g. "TOA reflectance", "surface reflectance", "brightness temperature"

    def apply(self, dn: np.ndarray) -> np.ndarray:
        """Convert DN to physical values as float32 (no masking; see ``BandInfo.to_physical``)."""
        x = dn.astype(np.float32, copy=False)
        if self.kind == "none":
            return x.astype(np.float32, copy=True) if x is dn else x
        value = x * np.float32(self.scale) + np.float32(self.offset)
        if self.kind == "brightness_temperature":
            assert self.k1 is not None and self.k2 is not None
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.float32(self.k2) / np.log(np.float32(self.k1) / value + np.float32(1.0))
            value = np.where(np.isfinite(value), value, np.float32(np.nan)).astype(np.float32)
        return value

    def apply_scalar(self, dn: float) -> float:
        """Convert one DN to its physical value (NaN where undefined)."""
        out = float(self.apply(np.asarray([dn], dtype=np.float64))[0])
        return out if math.isfinite(out) else math.nan


@dataclass(frozen=True)
class BandInfo:
    """Everything known about one band of a scene.

    ``source``/``source_band`` say where the pixels are (a GDAL path, e.g. ``/vsitar/...``, and a
    1-based band index); readers use them, nobody else should need to.
    """

    name: str  # "B4", "SR_B4", "ST_B10", "QA_PIXEL", "B6_VCID_1", "band_1"
    description: str = ""
    dtype: str = "uint16"
    nodata: float | None = None
    role: str = "data"
    common_name: str | None = None  # "Blue", "Red", "NIR", "SWIR 1", ...
    wavelength: tuple[float, float] | None = None  # micrometres (min, max)
    resolution: float | None = None  # native sensor resolution in metres
    calibration: Calibration = field(default_factory=Calibration)
    categorical: bool = False  # QA / flags / classes: nearest resampling only
    qa: str | None = None  # QA decoder key (see satview.core.qa), or None
    flags: tuple[tuple[int, str], ...] = ()  # value -> category name (e.g. sea-ice flags)
    valid_range: tuple[float, float] | None = None  # raw DN outside it are invalid (CF valid_range)
    source: str = ""
    source_band: int = 1

    @property
    def scale(self) -> float:
        return self.calibration.scale if self.calibration.kind != "none" else 1.0

    @property
    def offset(self) -> float:
        return self.calibration.offset if self.calibration.kind != "none" else 0.0

    @property
    def unit(self) -> str:
        return self.calibration.unit

    def flag_name(self, value: float) -> str | None:
        """Category name of a value, or None when it is an ordinary measurement."""
        for v, name in self.flags:
            if v == value:
                return name
        return None

    def to_physical(self, dn: np.ndarray) -> np.ndarray:
        """DN -> float32 physical values, with NaN at nodata and at flag values."""
        value = self.calibration.apply(dn)
        invalid = np.zeros(dn.shape, dtype=bool)
        if self.nodata is not None and not (isinstance(self.nodata, float) and math.isnan(self.nodata)):
            invalid |= dn == self.nodata
        elif self.nodata is not None:
            invalid |= np.isnan(dn)
        for v, _ in self.flags:
            invalid |= dn == v
        if self.valid_range is not None:
            lo, hi = self.valid_range
            with np.errstate(invalid="ignore"):
                invalid |= (dn < lo) | (dn > hi)
        if invalid.any():
            value = np.where(invalid, np.float32(np.nan), value).astype(np.float32)
        return value


@dataclass(frozen=True)
class GeoGrid:
    """A north-up (or general affine) pixel grid: CRS, transform and size."""

    crs: CRS | None
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in map units."""
        from rasterio.transform import array_bounds

        west, south, east, north = array_bounds(self.height, self.width, self.transform)
        return (float(west), float(south), float(east), float(north))

    @property
    def res(self) -> tuple[float, float]:
        t = self.transform
        return (math.hypot(t.a, t.d), math.hypot(t.b, t.e))


@dataclass(frozen=True)
class LandsatInfo:
    """Scene-level facts of a Landsat product, from its MTL and product identifier."""

    product_id: str  # C1/C2 product id, or the pre-collection scene id
    scene_id: str | None
    spacecraft: str  # "LANDSAT_8"
    sensor: str  # "OLI_TIRS", "ETM", "TM", "MSS"
    collection: int  # 0 = pre-collection, 1, 2
    level: str  # "L1TP", "L1GT", "L1GS", "L2SP", "L2SR", "L1T", ...
    tier: str | None  # "T1", "T2", "RT" or None
    wrs_path: int
    wrs_row: int
    acquired: dt.date | None
    scene_center_time: str | None
    processed: dt.date | None
    cloud_cover: float | None
    cloud_cover_land: float | None
    sun_elevation: float | None
    sun_azimuth: float | None
    earth_sun_distance: float | None
    utm_zone: int | None = None


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset (variable, SDS) of a multi-dataset file such as HDF or netCDF."""

    name: str  # full path for HDF5 ("/group/var"), SDS name for HDF4, variable name for netCDF
    shape: tuple[int, ...]
    dtype: str
    attrs: dict[str, Any] = field(default_factory=dict)
    dims: tuple[str, ...] = ()
    displayable: bool = True  # at least 2-D and numeric: can be opened as a scene


class Deferred:
    """A value computed on its first use: ``Deferred(fn, *args)``. Readers give the scene footprint
    this way, so opening a scene loads neither shapely nor the footprint's projection until something
    asks for the footprint (a pickled SceneInfo carries the value, see ``SceneInfo.__getstate__``).

    Kept because measured worth it: the first footprint of the demo scene costs 40 ms (shapely and
    pyproj imports; the polygon itself 0.7 ms) on the 2-core VM, over 10 % of the 0.337 s
    ``satview quicklook`` whole-process figure of docs/PERFORMANCE.md, a command that never needs it."""

    __slots__ = ("args", "fn")

    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args

    def __call__(self) -> Any:
        return self.fn(*self.args)


class _ResolvedOnRead:
    """A dataclass field holding a value or a :class:`Deferred`; reading it gives the value (made once)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self._slot)
        if isinstance(value, Deferred):
            value = value()
            obj.__dict__[self._slot] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self._slot] = value


@dataclass(frozen=True)
class SceneInfo:
    """What a reader knows about an opened scene: grid, bands and (for Landsat) scene facts."""

    path: str
    format: str  # "landsat", "geotiff", "gdal", "hdf4", "hdf5", "nsidc", ...
    grid: GeoGrid
    bands: tuple[BandInfo, ...]
    landsat: LandsatInfo | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: shapely geometry in lon/lat (EPSG:4326), or None; a reader may give a :class:`Deferred` computing it
    footprint: Any = _ResolvedOnRead()
    warnings: tuple[str, ...] = ()
    datasets: tuple[DatasetInfo, ...] = ()  # every dataset of a multi-dataset file
    dataset: str | None = None  # the one this scene shows

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the footprint computed: whoever receives it (the app, from its reader process)
        gets the geometry, not the work of making it."""
        _ = self.footprint  # resolves a Deferred in place
        return self.__dict__

    @property
    def band_names(self) -> list[str]:
        return [b.name for b in self.bands]

    def band(self, name: str) -> BandInfo:
        """The band called ``name`` (case-insensitive; ``4`` or ``"4"`` means the 4th band)."""
        from satview.errors import BandNotFoundError

        key = str(name).strip()
        for b in self.bands:
            if b.name == key:
                return b
        for b in self.bands:
            if b.name.lower() == key.lower():
                return b
        if key.isdigit() and self.landsat is None and 1 <= int(key) <= len(self.bands):
            return self.bands[int(key) - 1]
        raise BandNotFoundError(
            f"no band {key!r}; the scene has {', '.join(self.band_names)}", self.path
        )
