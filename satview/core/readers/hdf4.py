"""HDF4 files (pyhdf) as scenes: every SDS listed, one opened together with the other datasets of
its grid (its bands, e.g. MOD09's ``sur_refl_b01`` .. ``b07`` for composites), HDF-EOS2 grids
georeferenced, scale/offset by the product family's rule (:mod:`satview.core.modis`).

Default dataset (when none is asked for): the first SDS in file order that is at least 2-D and
numeric and is *science data*, i.e. neither QA-like (``units = "bit field"``, or a name made of
tokens such as ``QC``, ``state``, ``flags``, ``num_observations``, ``obscov``, ``iobs``,
``orbit_pnt``, ``granule_pnt``) nor ancillary geometry (zenith, azimuth, range, day of year).
Failing that the first ancillary one, failing that the first 2-D one. For MOD09GA this is
``sur_refl_b01_1`` (500 m grid), for MOD09A1 ``sur_refl_b01``.

pyhdf holds the GIL during a read and the HDF4 library is not thread-safe, so every pyhdf call
goes through one module-wide lock and pixel reads are split into slabs of at most
``MAX_SLAB_ROWS`` rows: another thread (the GUI) gets a turn between slabs.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.enums import Resampling
from rasterio.windows import Window

from satview.core import hdfeos, modis
from satview.core.geo import footprint_lonlat
from satview.core.guard import check_dataset_shape
from satview.core.readers.array_read import read_window
from satview.core.readers.base import Scene
from satview.core.readers.hdf4_calibration import calibration_from_attrs, fill_value, valid_range
from satview.core.types import BandInfo, DatasetInfo, Deferred, GeoGrid, SceneInfo
from satview.errors import (
    BandNotFoundError,
    MetadataError,
    SatviewError,
    SceneReadError,
    UnsupportedFormatError,
    display_text,
)

#: One pyhdf call at a time, process-wide (the HDF4 library keeps global state).
HDF4_LOCK = threading.RLock()
#: At most this many rows (after striding) per ``SDS.get`` call ...
MAX_SLAB_ROWS = 512
#: ... and at most this many cells, so wide datasets are read in thinner slabs.
MAX_SLAB_CELLS = 2_000_000

#: HDF4 number types (``SDC.*``) that are numeric, with their numpy dtype.
_NUMPY_TYPES = {3: "uint8", 5: "float32", 6: "float64", 20: "int8", 21: "uint8", 22: "int16",
                23: "uint16", 24: "int32", 25: "uint32"}
_TYPE_NAMES = {4: "char8", 26: "int64", 27: "uint64"}

_QA_TOKENS = {"qc", "qa", "state", "flag", "flags", "gflags", "num", "observations", "nadd",
              "obscov", "iobs", "pnt", "pointer", "mask", "quality", "bitmask"}
_ANCILLARY_TOKENS = {"szen", "vzen", "raz", "range", "angle", "doy", "latitude", "longitude", "lat",
                     "lon", "height", "elevation"}
_ANCILLARY_WORDS = ("zenith", "azimuth", "day_of_year", "dayofyear")


@dataclass(frozen=True)
class _Layout:
    """Where one band's pixels are: SDS name, rank, the row/col axes and the fixed other axes."""

    sds: str
    rank: int
    row_axis: int
    col_axis: int
    fixed: tuple[tuple[int, int], ...] = ()  # (axis, index) of every non-spatial axis


def open_hdf4(path: str | os.PathLike[str], sniffed: Any = None, dataset: str | None = None,
              **_: Any) -> Hdf4Scene:
    """Open an HDF4 file as a scene on ``dataset`` (by default the first 2-D science dataset)."""
    return Hdf4Scene(path, dataset=dataset)


class Hdf4Scene(Scene):
    """One SDS of an HDF4 file and the other SDSs of its grid (each 2-D SDS one band, a 3-D one a
    band per index of its band/time axis); the chosen SDS's bands come first."""

    def __init__(self, path: str | os.PathLike[str], dataset: str | None = None) -> None:
        super().__init__()
        self._path = os.fspath(path)
        self._sd: Any = None
        self._sds: dict[str, Any] = {}
        self._index: dict[str, int] = {}  # shown SDS name -> SDS index (names may not be UTF-8)
        self._layouts: dict[str, _Layout] = {}
        with HDF4_LOCK:
            try:
                self._load(dataset)
            except BaseException:
                self._release()
                raise

    # -- opening ----------------------------------------------------------------------------
    def _load(self, wanted: str | None) -> None:
        from pyhdf.error import HDF4Error
        from pyhdf.SD import SD, SDC

        try:
            self._sd = SD(self._path, SDC.READ)
            global_attrs = _shown_keys(self._sd.attributes())
            table = self._sd.datasets()
            # pyhdf hands out names that are not UTF-8 with surrogates, and then cannot take them
            # back (TypeError from SDnametoindex): SDSs are shown escaped and selected by index
            entries = [(display_text(name), (tuple(display_text(str(d)) for d in _as_tuple(dims)), shape, typ,
                                             index))
                       for name, (dims, shape, typ, index) in sorted(table.items(), key=lambda kv: kv[1][3])]
            for name, (_dims, _shape, _typ, index) in entries:
                self._index.setdefault(name, int(index))
            attrs = {name: _shown_keys(self._select(name).attributes()) for name, _ in entries}
        except (HDF4Error, ValueError, RuntimeError, TypeError) as exc:
            raise _damaged(self._path, exc) from exc

        eos_text = _joined(global_attrs, "StructMetadata")
        old_text = _joined(global_attrs, "OldStructMetadata")
        datasets = tuple(
            DatasetInfo(
                name=name,
                shape=tuple(int(n) for n in _as_tuple(shape)),
                dtype=_NUMPY_TYPES.get(typ, _TYPE_NAMES.get(typ, f"hdf-type-{typ}")),
                attrs={k: jsonable(v) for k, v in attrs[name].items()},
                dims=tuple(str(d) for d in _as_tuple(dims)),
                displayable=len(_as_tuple(shape)) >= 2 and typ in _NUMPY_TYPES,
            )
            for name, (dims, shape, typ, _) in entries
        )
        if not any(d.displayable for d in datasets):
            raise UnsupportedFormatError("the HDF4 file holds no 2-D numeric dataset that could be shown",
                                         self._path)
        chosen = _dataset_by_name(datasets, wanted, self._path) if wanted else default_dataset(datasets)
        warnings: list[str] = []
        grids: list[hdfeos.EosGrid] = []
        try:
            grids = hdfeos.grids_from_metadata(eos_text) if eos_text else []
            grids += hdfeos.grids_from_metadata(old_text, "OldStructMetadata") if old_text else []
        except (ValueError, MetadataError) as exc:
            warnings.append(f"the HDF-EOS StructMetadata cannot be parsed ({exc}); grid in pixels")
        check_dataset_shape(self._path, chosen.shape, chosen.dtype, f"dataset {chosen.name}")
        row_axis, col_axis = _spatial_axes(chosen, grids)
        rows, cols = chosen.shape[row_axis], chosen.shape[col_axis]
        grid, eos_grid = _georeference(chosen, rows, cols, grids, bool(eos_text), warnings)
        product = modis.short_name(global_attrs, self._path)
        offset_added = modis.adds_offset(product, (d.name for d in datasets))
        bands: list[BandInfo] = []
        for ds in _grid_members(chosen, datasets, grids, eos_grid, (rows, cols)):
            hdf4_convention = bool(eos_text) or "calibrated_nt" in ds.attrs
            bands += self._bands(ds, *_spatial_axes(ds, grids), grid, product,
                                 hdf4_convention=hdf4_convention, offset_added=offset_added)
        self.info = SceneInfo(
            path=self._path,
            format="hdf4",
            grid=grid,
            bands=tuple(bands),
            metadata={
                "attributes": {k: jsonable(v) for k, v in global_attrs.items()},
                "dataset_attributes": dict(chosen.attrs),
                "hdfeos_grid": _grid_dict(eos_grid) if eos_grid else None,
                "product": product,
            },
            footprint=Deferred(footprint_lonlat, grid),
            warnings=tuple(warnings),
            datasets=datasets,
            dataset=chosen.name,
        )

    def _bands(self, ds: DatasetInfo, row_axis: int, col_axis: int, grid: GeoGrid, product: str | None, *,
               hdf4_convention: bool, offset_added: bool) -> list[BandInfo]:
        """The bands of dataset ``ds`` (one per index of its non-spatial axes), with their layouts."""
        cal, note = calibration_from_attrs(ds.attrs, hdf4_convention=hdf4_convention,
                                           offset_added=offset_added)
        land_band = modis.land_band(product, ds.name, str(ds.attrs.get("long_name", "") or ""))
        common_name, wavelength = modis.LAND_BANDS[land_band] if land_band else (None, None)
        other_axes = [a for a in range(len(ds.shape)) if a not in (row_axis, col_axis)]
        long_name = str(ds.attrs.get("long_name", "") or ds.name)
        qa_like = _is_qa(ds)
        resolution = (abs(grid.transform.a) if grid.crs is not None and grid.crs.is_projected
                      else None)
        bands: list[BandInfo] = []
        for k, index in enumerate(np.ndindex(*[ds.shape[a] for a in other_axes])):
            name = ds.name if not other_axes else f"{ds.name}[{','.join(str(i) for i in index)}]"
            self._layouts[name] = _Layout(ds.name, len(ds.shape), row_axis, col_axis,
                                          tuple(zip(other_axes, index, strict=True)))
            bands.append(
                BandInfo(
                    name=name,
                    description=long_name + (f" ({note})" if note else ""),
                    dtype=ds.dtype,
                    nodata=fill_value(ds.attrs),
                    role="qa" if qa_like else ("angle" if _is_ancillary(ds) else
                                               "reflective" if land_band else "data"),
                    common_name=common_name,
                    wavelength=wavelength,
                    resolution=resolution,
                    calibration=cal,
                    categorical=qa_like and cal.kind == "none",
                    valid_range=valid_range(ds.attrs),
                    source=ds.name,
                    source_band=k + 1,
                )
            )
        return bands

    def _select(self, name: str) -> Any:
        """The (cached) pyhdf SDS object; call with ``HDF4_LOCK`` held."""
        sds = self._sds.get(name)
        if sds is None:
            sds = self._sds[name] = self._sd.select(self._index.get(name, name))
        return sds

    # -- reading ----------------------------------------------------------------------------
    def _read_band(self, band: BandInfo, window: Window, out_shape: tuple[int, int],
                   resampling: Resampling) -> np.ndarray:
        layout = self._layouts[band.name]
        dtype = np.dtype(band.dtype)

        def slab(r0: int, r1: int, rs: int, c0: int, c1: int, cs: int) -> np.ndarray:
            return self._read_slab(layout, dtype, r0, r1, rs, c0, c1, cs)

        return read_window(slab, window, out_shape)

    def _read_slab(self, layout: _Layout, dtype: np.dtype, r0: int, r1: int, rs: int,
                   c0: int, c1: int, cs: int) -> np.ndarray:
        """Rows ``r0:r1:rs`` x cols ``c0:c1:cs`` in pieces of at most ``MAX_SLAB_ROWS`` rows."""
        from pyhdf.error import HDF4Error

        nr, nc = -(-(r1 - r0) // rs), -(-(c1 - c0) // cs)
        out = np.empty((nr, nc), dtype=dtype)
        step = max(1, min(MAX_SLAB_ROWS, MAX_SLAB_CELLS // max(nc, 1)))
        for i in range(0, nr, step):
            n = min(step, nr - i)
            start, count, stride = [0] * layout.rank, [1] * layout.rank, [1] * layout.rank
            for axis, index in layout.fixed:
                start[axis] = index
            start[layout.row_axis], count[layout.row_axis], stride[layout.row_axis] = r0 + i * rs, n, rs
            start[layout.col_axis], count[layout.col_axis], stride[layout.col_axis] = c0, nc, cs
            with HDF4_LOCK:
                if self._closed or self._sd is None:
                    raise SatviewError("the scene is closed", self._path)
                try:
                    data = self._select(layout.sds).get(start=tuple(start), count=tuple(count),
                                                        stride=tuple(stride))
                except (HDF4Error, ValueError, RuntimeError, OSError) as exc:
                    # pyhdf reports a damaged compressed block as ValueError("SDreaddata failure")
                    raise SceneReadError(
                        f"cannot read dataset {layout.sds} (rows {r0 + i * rs}.., columns {c0}..): "
                        f"the file is damaged or truncated (HDF4: {exc})", self._path) from exc
            data = np.asarray(data)
            if layout.row_axis > layout.col_axis:
                data = np.moveaxis(data, layout.row_axis, layout.col_axis)
            out[i:i + n] = data.reshape(n, nc)
        return out

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        with HDF4_LOCK:
            self._release()
        super().close()

    def _release(self) -> None:
        for sds in self._sds.values():
            with contextlib.suppress(Exception):
                sds.endaccess()
        self._sds.clear()
        if self._sd is not None:
            with contextlib.suppress(Exception):
                self._sd.end()
            self._sd = None


# --- dataset choice ----------------------------------------------------------------------------


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", name.lower()) if t}


def _is_qa(ds: DatasetInfo) -> bool:
    units = str(ds.attrs.get("units", "")).strip().lower()
    return units in ("bit field", "bitfield", "bit_field", "flags") or bool(_tokens(ds.name) & _QA_TOKENS)


def _is_ancillary(ds: DatasetInfo) -> bool:
    lower = ds.name.lower()
    return bool(_tokens(ds.name) & _ANCILLARY_TOKENS) or any(w in lower for w in _ANCILLARY_WORDS)


def default_dataset(datasets: Iterable[DatasetInfo]) -> DatasetInfo:
    """The dataset a file opens on: the first 2-D science dataset (see the module docstring)."""
    shown = [d for d in datasets if d.displayable]
    for tier in (
        [d for d in shown if not _is_qa(d) and not _is_ancillary(d)],
        [d for d in shown if not _is_qa(d)],
        shown,
    ):
        if tier:
            return tier[0]
    raise MetadataError("the file holds no 2-D numeric dataset")


def _dataset_by_name(datasets: tuple[DatasetInfo, ...], wanted: str, path: str) -> DatasetInfo:
    """Exact name, else case-insensitive, else a unique case-insensitive substring."""
    key = wanted.strip()
    names = [d.name for d in datasets]
    by_name = {d.name: d for d in datasets}
    found = [n for n in names if n == key] or [n for n in names if n.lower() == key.lower()]
    if not found:
        found = [n for n in names if key.lower() in n.lower()]
        if len(found) > 1:
            raise BandNotFoundError(
                f"dataset {key!r} matches several datasets ({', '.join(found)}); give the full name",
                path)
    if not found:
        raise BandNotFoundError(
            f"no dataset {key!r} in this HDF4 file; it has {', '.join(names)}", path)
    ds = by_name[found[0]]
    if not ds.displayable:
        shown = ", ".join(d.name for d in datasets if d.displayable)
        raise BandNotFoundError(
            f"dataset {ds.name} ({' x '.join(map(str, ds.shape))} {ds.dtype}) is not a 2-D numeric "
            f"array and cannot be shown as an image; 2-D datasets: {shown}", path)
    return ds


# --- georeferencing ----------------------------------------------------------------------------


def _spatial_axes(ds: DatasetInfo, grids: list[hdfeos.EosGrid]) -> tuple[int, int]:
    """(row axis, col axis): from the HDF-EOS DimList when it names YDim/XDim, else the last two
    axes, except a small trailing axis of a 3-D array (rows, cols, bands)."""
    for g in grids:
        dims = g.fields.get(ds.name)
        if dims and len(dims) == len(ds.shape) and "YDim" in dims and "XDim" in dims:
            return dims.index("YDim"), dims.index("XDim")
    shape = ds.shape
    if len(shape) == 3 and shape[2] <= 16 and shape[2] < min(shape[0], shape[1]):
        return 0, 1
    return len(shape) - 2, len(shape) - 1


def _grid_members(chosen: DatasetInfo, datasets: tuple[DatasetInfo, ...], grids: list[hdfeos.EosGrid],
                  eos_grid: hdfeos.EosGrid | None, shape: tuple[int, int]) -> list[DatasetInfo]:
    """``chosen`` and, after it in file order, every other 2-D numeric dataset on the same grid: the
    same HDF-EOS grid when ``chosen`` has one, else the same rows x columns. They are the scene's
    bands, so composites and indices can combine them (MOD09 ``sur_refl_b01`` .. ``b07``)."""
    members = [chosen]
    for ds in datasets:
        if ds is chosen or not ds.displayable:
            continue
        row_axis, col_axis = _spatial_axes(ds, grids)
        if (ds.shape[row_axis], ds.shape[col_axis]) != shape:
            continue
        if eos_grid is None or hdfeos.find_grid(grids, ds.name, shape, ds.dims) is eos_grid:
            members.append(ds)
    return members


def _georeference(ds: DatasetInfo, rows: int, cols: int, grids: list[hdfeos.EosGrid], has_eos: bool,
                  warnings: list[str]) -> tuple[GeoGrid, hdfeos.EosGrid | None]:
    """The scene grid of ``ds``: from its HDF-EOS grid, or a pixel grid with a warning."""
    pixels = GeoGrid(None, Affine.identity(), cols, rows)
    if not has_eos:
        warnings.append("the file has no HDF-EOS StructMetadata, so the grid has no CRS "
                        "(coordinates are in pixels)")
        return pixels, None
    grid = hdfeos.find_grid(grids, ds.name, (rows, cols), ds.dims)
    if grid is None:
        listed = [g for g in grids if ds.name in g.fields]
        if listed:
            g = listed[0]
            warnings.append(
                f"the HDF-EOS grid {g.name} ({g.source}) lists {ds.name} but is {g.xdim} x {g.ydim} "
                f"cells while the dataset is {cols} x {rows}; the grid is in pixels")
        else:
            warnings.append(f"{ds.name} belongs to no HDF-EOS grid; the grid is in pixels")
        return pixels, None
    crs = hdfeos.grid_crs(grid)
    if crs is None:
        warnings.append(f"the HDF-EOS projection {grid.projection} of grid {grid.name} is not "
                        "supported; the grid is in projection units without a CRS")
    if grid.origin.upper() not in ("HDFE_GD_UL", ""):
        warnings.append(f"grid {grid.name} has GridOrigin {grid.origin}; rows are assumed to run "
                        "from the upper-left corner")
    try:
        transform = hdfeos.grid_transform(grid, rows, cols)
    except MetadataError as exc:
        warnings.append(f"{exc}; the grid is in pixels")
        return pixels, grid
    return GeoGrid(crs, transform, cols, rows), grid


def _grid_dict(g: hdfeos.EosGrid) -> dict[str, Any]:
    return {
        "name": g.name, "source": g.source, "projection": g.projection,
        "proj_params": list(g.proj_params), "xdim": g.xdim, "ydim": g.ydim,
        "upper_left": list(g.upper_left) if g.upper_left else None,
        "lower_right": list(g.lower_right) if g.lower_right else None,
        "sphere_code": g.sphere_code, "grid_origin": g.origin, "pixel_registration": g.registration,
    }


# --- attributes and calibration ----------------------------------------------------------------


def jsonable(v: Any) -> Any:
    """An attribute value as plain JSON-ready Python (numbers, strings, lists)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, bytes):
        return v.decode("latin-1").rstrip("\x00")
    if isinstance(v, str):
        v = display_text(v)  # bytes that are not UTF-8 come from pyhdf as surrogates
        return v.rstrip("\x00").rstrip() if len(v) > 200 else v.rstrip("\x00")
    return v


def _shown_keys(attrs: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` with names that are safe to show (``\\xNN`` for bytes that are not UTF-8)."""
    return {display_text(str(k)): v for k, v in attrs.items()}


def _joined(attrs: dict[str, Any], prefix: str) -> str:
    """``prefix.0`` + ``prefix.1`` + ... (HDF-EOS splits long metadata over several attributes)."""
    parts = []
    i = 0
    while f"{prefix}.{i}" in attrs:
        parts.append(str(attrs[f"{prefix}.{i}"]).rstrip("\x00"))
        i += 1
    return "".join(parts)


def _as_tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def _damaged(path: str, exc: Exception) -> SceneReadError:
    size = Path(path).stat().st_size if Path(path).exists() else 0
    return SceneReadError(
        f"cannot open this HDF4 file ({size} bytes): it is truncated or damaged (HDF4: {exc})", path)
