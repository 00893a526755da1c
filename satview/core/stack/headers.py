"""What a scene says about *where* and *when*: one :class:`~satview.core.stack.model.SceneHeader` per
file, from metadata only.

A stack is the scenes of one place on different dates, so each scene gets a place key (WRS-2
path, NSIDC hemisphere, MODIS tile, GeoTIFF grid) and a date (MTL, product id, netCDF time,
HDF-EOS metadata, NSIDC header or name). Nothing here reads pixels; NSIDC sea-ice files skip the
scene (:mod:`satview.core.readers.nsidc_quick`), the others are opened with
:func:`satview.core.readers.open_scene` for their header only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satview.core.batch.discover import scene_stem
from satview.core.readers import open_scene
from satview.core.readers.nsidc_quick import SeaIceHeader
from satview.core.readers.nsidc_quick import read_header as seaice
from satview.core.stack.model import SceneHeader, crs_label
from satview.core.types import SceneInfo
from satview.errors import SatviewError

_ISO_RE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})[-:]?(\d{2})[-:]?(\d{2})(?!\d)")
_MODIS_NAME_RE = re.compile(r"^(M[OY]D|MCD|VNP)(\w+?)\.A(\d{4})(\d{3})\.h(\d{2})v(\d{2})\.", re.IGNORECASE)
_EOS_DATE_RE = re.compile(r"RANGEBEGINNINGDATE.*?VALUE\s*=\s*\"?(\d{4}-\d{2}-\d{2})", re.S)
_EOS_TILE_RE = re.compile(r"(HORIZONTALTILENUMBER|VERTICALTILENUMBER).*?VALUE\s*=\s*\"?(\d+)", re.S)
_DATE_KEYS = ("time_coverage_start", "rangebeginningdate", "acquisition_date", "date_acquired",
              "tifftag_datetime", "date", "start_date", "begin_date")


#: Reads one scene's header: ``(path, reader name) -> SceneHeader``.
HeaderFn = Callable[[str, str], SceneHeader]


def read_header(path: str, reader: str) -> SceneHeader:
    """The header of the scene at ``path`` (``reader`` as :func:`satview.core.readers.identify` named it).

    Raises a ``SatviewError`` naming the file when it cannot be read or carries no date.
    """
    if reader in ("nsidc-binary", "hdf5"):
        try:
            return _seaice_header(path)
        except SatviewError:
            if reader == "nsidc-binary":
                raise

    with open_scene(path) as scene:
        info = scene.info
    if info.landsat is not None:
        return _landsat_header(info)
    if reader == "hdf4":
        return _modis_header(info)
    return _raster_header(info)


def is_seaice_file(path: str) -> bool:
    """True when ``path`` is a NSIDC sea-ice file (flat binary, or netCDF with a concentration variable)."""
    try:
        seaice(path)
    except (SatviewError, OSError):
        return False
    return True


def _seaice_header(path: str) -> SceneHeader:
    return seaice_scene_header(seaice(path))


def seaice_scene_header(h: SeaIceHeader) -> SceneHeader:
    """The :class:`SceneHeader` of a NSIDC file's header: placed by hemisphere, cadence and cell size."""
    hemi = h.grid.hemisphere
    return SceneHeader(h.path, "nsidc-seaice", (hemi, h.cadence, h.grid.cell_size),
                       f"NSIDC sea ice, {hemi}ern hemisphere, {h.cadence}", f"EPSG:{h.grid.epsg}", h.date,
                       scene_stem(h.path), None, rank=(h.variable is not None,))


def _landsat_header(info: SceneInfo) -> SceneHeader:
    ls = info.landsat
    assert ls is not None
    if ls.acquired is None:
        raise SatviewError("the Landsat metadata give no acquisition date", info.path)
    level = 2 if ls.level.startswith("L2") else 1
    processed = ls.processed or dt.date.min
    return SceneHeader(info.path, "landsat", (ls.wrs_path,), f"Landsat WRS-2 path {ls.wrs_path:03d}",
                       crs_label(info.grid.crs), ls.acquired, ls.product_id, ls.cloud_cover,
                       row=ls.wrs_row, rank=(ls.collection, level, processed))


def _eos_text(info: SceneInfo) -> str:
    attrs = info.metadata.get("attributes") or {}
    return "\n".join(str(v) for k, v in attrs.items() if "coremetadata" in str(k).lower())


def _modis_header(info: SceneInfo) -> SceneHeader:
    name = Path(info.path).name
    m = _MODIS_NAME_RE.match(name)
    text = _eos_text(info)
    date: dt.date | None = None
    found = _EOS_DATE_RE.search(text)
    if found:
        date = dt.date.fromisoformat(found.group(1))
    elif m:
        date = dt.date(int(m.group(3)), 1, 1) + dt.timedelta(days=int(m.group(4)) - 1)
    tiles = dict(_EOS_TILE_RE.findall(text))
    if "HORIZONTALTILENUMBER" in tiles and "VERTICALTILENUMBER" in tiles:
        h, v = int(tiles["HORIZONTALTILENUMBER"]), int(tiles["VERTICALTILENUMBER"])
    elif m:
        h, v = int(m.group(5)), int(m.group(6))
    else:
        return _raster_header(info)
    if date is None:
        raise SatviewError("no date in the HDF-EOS metadata or the MODIS file name", info.path)
    product = m.group(2).upper() if m else (info.dataset or "")
    return SceneHeader(info.path, "modis", (product, h, v, info.grid.width, info.grid.height),
                       f"MODIS {product} tile h{h:02d}v{v:02d}", crs_label(info.grid.crs), date,
                       name.rsplit(".", 1)[0], None)


def _metadata_date(meta: Any) -> dt.date | None:
    """A date from metadata values under the usual keys (nested dicts searched too)."""
    if isinstance(meta, dict):
        for k, v in meta.items():
            if str(k).lower() in _DATE_KEYS:
                m = _ISO_RE.search(str(v))
                if m:
                    try:
                        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                    except ValueError:
                        pass
        for v in meta.values():
            if isinstance(v, dict):
                found = _metadata_date(v)
                if found:
                    return found
    return None


def _raster_header(info: SceneInfo) -> SceneHeader:
    date = _metadata_date(info.metadata)
    if date is None:
        m = _ISO_RE.search(Path(info.path).name)
        if m:
            try:
                date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                date = None
    if date is None:
        raise SatviewError("no date in the metadata or the file name", info.path)
    g = info.grid
    t = g.transform
    place = (crs_label(g.crs), round(t.a, 6), round(t.e, 6), round(t.c, 3), round(t.f, 3), g.width, g.height,
             info.dataset)
    return SceneHeader(info.path, "raster", place, f"{info.format} {g.width} x {g.height} grid",
                       crs_label(g.crs), date, Path(info.path).name, None)
