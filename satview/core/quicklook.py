"""Quick-look images: a decimated, stretched RGBA rendering of a scene and its georeferenced PNG.

Rules
-----
- **Reading**: only one decimated read, ``scene.read(names, out_shape=...)``, whose shape is the
  scene grid scaled so that its long side is ``size`` (never bigger than the grid), so GDAL serves
  it from overviews. A quick-look never reads the scene at full resolution (unless the grid is
  no bigger than ``size``).
- **What is drawn**: three bands (``bands``, a composite ``preset`` or the scene's default
  bands) as RGB; one ``band`` stretched and coloured with ``cmap`` (default gray); or a spectral
  ``index`` computed from its bands at the same decimated shape, coloured with the index's own
  colour map over its fixed value range (e.g. -1..1) unless a ``stretch`` is given.
- **Values**: physical units by default (``dn=True``: raw DN, with the bands' nodata as fill);
  ``levels`` reuses precomputed display limits (consistent stretches across a batch).
- **Transparency**: fill / NaN pixels (in any band drawn) get alpha 0 and black RGB.
- **Drawing**: through :func:`satview.core.render.render_scene`, the app's one read + stretch +
  paint path (same clear-sky levels, colour maps, sea-ice colours and transparency).
- **Georeference**: the PNG's transform is the scene transform scaled by (grid width / PNG
  width, grid height / PNG height). It is written twice: a world file (``OUT.pgw``) and a GDAL
  PAM side-car (``OUT.png.aux.xml``, with the CRS as WKT and the geotransform), so GDAL, rasterio
  and QGIS place the image exactly. The three files appear together, atomically.
- **Encoding**: RGBA PNG through :func:`satview.core.png.encode_png` ("Up" row filter, zlib level 1,
  deflated in pieces on threads: several times faster than Pillow or GDAL, ~15 % bigger).
- **Sea ice**: a single band of a sea-ice scene (flags named ``pole_hole``, ``land``, ``coast``,
  ``missing``, ``land_mask``, ``coastal`` or ``lakes``, or an NSIDC binary file) drawn without a
  ``cmap`` uses the sea-ice colours: concentration 0-100 % on the "ice" map and each flag in its
  legend colour (:func:`satview.core.seaice.seaice_rgba`).
- **Legend**: single bands and indices also get ``OUT.legend.png`` (a colour bar labelled with the
  stretch limits and unit, or the sea-ice swatches and flag names), written together with the
  other files, so the georeferenced PNG itself stays an exact image of the scene. RGB composites
  have no legend (an old legend file of that name is removed).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from affine import Affine

from satview.core.atomic import atomic_paths
from satview.core.colormap import colormap
from satview.core.composite import default_bands, resolve_preset
from satview.core.indices import get_index, index_bands
from satview.core.png import encode_png
from satview.core.readers.base import Scene
from satview.core.render import DisplaySpec, render_scene
from satview.core.seaice import legend_entries
from satview.core.stretch import Levels, Stretch
from satview.core.types import BandInfo, GeoGrid
from satview.errors import ExportError, SatviewError

if TYPE_CHECKING:
    from rasterio.crs import CRS


@dataclass(frozen=True)
class QuicklookResult:
    """What :func:`write_quicklook` wrote (``world_file``, ``aux_xml``, ``legend``: None when not written)."""

    path: Path
    width: int
    height: int
    bands: tuple[str, ...]
    levels: Levels
    transform: Affine
    crs: CRS | None
    world_file: Path | None
    aux_xml: Path | None
    legend: Path | None = None


def quicklook_shape(grid: GeoGrid, size: int) -> tuple[int, int]:
    """(rows, cols) of a quick-look of ``grid`` whose long side is ``size`` (at most the grid's)."""
    if int(size) < 1:
        raise SatviewError(f"the quick-look size must be at least 1 pixel, got {size}")
    rows, cols = grid.height, grid.width
    long_side = max(rows, cols)
    if size >= long_side:
        return rows, cols
    scale = size / long_side
    if rows >= cols:
        return int(size), max(1, min(int(size), round(cols * scale)))
    return max(1, min(int(size), round(rows * scale))), int(size)


def quicklook_transform(grid: GeoGrid, shape: tuple[int, int]) -> Affine:
    """The transform of an image of ``shape`` (rows, cols) covering exactly ``grid``."""
    rows, cols = shape
    return grid.transform * Affine.scale(grid.width / cols, grid.height / rows)


def _what(
    scene: Scene,
    preset: str | None,
    bands: list[str] | tuple[str, ...] | None,
    band: str | None,
    index: str | None,
) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """(kind, band names to read, index common-name map) for the options given."""
    given = [k for k, v in (("preset", preset), ("bands", bands), ("band", band), ("index", index)) if v]
    if len(given) > 1:
        raise SatviewError(f"choose one of preset, bands, band or index, not {' and '.join(given)}")
    info = scene.info
    if index:
        common = index_bands(info, index)
        return "index", tuple(dict.fromkeys(common.values())), common
    if band:
        return "band", (info.band(str(band)).name,), {}
    if bands:
        names = tuple(info.band(str(b)).name for b in bands)
        if len(names) != 3:
            raise SatviewError(f"an RGB quick-look needs three bands, got {len(names)}", info.path)
        return "rgb", names, {}
    if preset:
        return "rgb", tuple(resolve_preset(info, preset)), {}
    names = tuple(default_bands(info))
    return ("rgb" if len(names) == 3 else "band"), names, {}


#: Flag names that make a band a sea-ice concentration band (NSIDC binary and CDR ``flag_meanings``).
SEAICE_FLAG_NAMES = frozenset({"pole_hole", "land", "coast", "missing", "land_mask", "coastal", "lakes"})
#: Levels of a sea-ice rendering: concentration 0-100 % on the "ice" colour map.
SEAICE_LEVELS = Levels((0.0,), (100.0,), 1.0, "sea-ice concentration 0-100 %")


def _seaice_band(scene: Scene, kind: str, names: tuple[str, ...], cmap: str | None) -> BandInfo | None:
    """The band to draw in sea-ice colours, or None (not one band, a ``cmap`` asked for, or not sea ice)."""
    if kind != "band" or cmap is not None or len(names) != 1:
        return None
    b = scene.info.band(names[0])
    if scene.info.format == "nsidc-binary" or {n.lower() for _, n in b.flags} & SEAICE_FLAG_NAMES:
        return b
    return None


def legend_path(png: str | os.PathLike[str]) -> Path:
    """The legend PNG of quick-look ``png``: ``OUT.png`` -> ``OUT.legend.png``."""
    p = Path(png)
    return p.with_name(f"{p.with_suffix('').name}.legend.png")


def quicklook_array(
    scene: Scene,
    *,
    preset: str | None = None,
    bands: list[str] | tuple[str, ...] | None = None,
    band: str | None = None,
    index: str | None = None,
    cmap: str | None = None,
    size: int = 1024,
    stretch: Stretch | None = None,
    levels: Levels | None = None,
    dn: bool = False,
) -> tuple[np.ndarray, Levels, Affine]:
    """Render a quick-look of ``scene`` in memory: ``(rgba uint8 (4, row, col), levels, transform)``.

    See the module docstring for the options. ``transform`` places the image on the scene's CRS.
    Indices are always computed from physical values (``dn`` does not apply to them). ``rgba`` is a
    band-first view of a pixel-interleaved image (``np.moveaxis(rgba, 0, -1)`` is C-contiguous).
    Raises ``BandNotFoundError`` for missing bands and ``SatviewError`` for conflicting options.
    """
    info = scene.info
    kind, names, _ = _what(scene, preset, bands, band, index)
    if cmap is not None:
        colormap(cmap)  # unknown names fail before any read
        if kind == "rgb":
            raise SatviewError("a colour map applies to a single band or an index, not to an RGB composite")
    shape = quicklook_shape(info.grid, size)
    transform = quicklook_transform(info.grid, shape)
    if kind == "index":
        assert index is not None
        spec = DisplaySpec(mode="index", index=index, cmap=cmap or get_index(index).default_cmap,
                           stretch=stretch or Stretch(mode="none"))  # "none": the index's fixed range
    else:
        seaice = _seaice_band(scene, kind, names, cmap) is not None
        mode = "rgb" if kind == "rgb" else "band"
        spec = DisplaySpec(mode=mode, bands=names, cmap=cmap or ("ice" if seaice else "gray"),
                           stretch=stretch or Stretch(), seaice=seaice, dn=dn)
    rgba, used = render_scene(scene, spec, shape, levels)
    if spec.seaice:
        used = SEAICE_LEVELS
    return np.moveaxis(rgba, -1, 0), used, transform


def quicklook_legend(
    scene: Scene,
    levels: Levels,
    *,
    preset: str | None = None,
    bands: list[str] | tuple[str, ...] | None = None,
    band: str | None = None,
    index: str | None = None,
    cmap: str | None = None,
    dn: bool = False,
) -> np.ndarray | None:
    """The legend of a quick-look drawn with these options and ``levels`` ((rows, cols, 4) uint8).

    Sea-ice bands: the concentration swatches and one swatch per flag, named. Other single bands and
    indices: a colour bar from ``levels.lo`` to ``levels.hi`` labelled with the unit. RGB: None.
    """
    kind, names, _ = _what(scene, preset, bands, band, index)
    if kind == "rgb":
        return None
    from satview.core.legend import colorbar_legend, swatch_legend  # Pillow: only for legends

    ice = _seaice_band(scene, kind, names, cmap)
    if ice is not None:
        return swatch_legend(legend_entries(ice), title=ice.name)
    lo, hi = float(levels.lo[0]), float(levels.hi[0])
    if kind == "index":
        assert index is not None
        idx = get_index(index)
        return colorbar_legend(cmap or idx.default_cmap, lo, hi, title=idx.key.upper())
    b = scene.info.band(names[0])
    unit = "DN" if dn and b.calibration.kind != "none" else b.unit
    return colorbar_legend(cmap or "gray", lo, hi, unit=unit, title=b.name)


def world_file_path(png: str | os.PathLike[str]) -> Path:
    """The world file of ``png``: same name, extension ``.pgw`` (``.png`` -> ``.pgw``)."""
    p = Path(png)
    suffix = p.suffix
    ext = f".{suffix[1]}{suffix[-1]}w" if len(suffix) >= 3 else ".wld"
    return p.with_suffix(ext)


def world_file_text(transform: Affine) -> str:
    """The six lines of a world file (A, D, B, E, C, F) for ``transform``; C/F are the centre of
    the upper-left pixel, as the world-file convention requires."""
    t = transform * Affine.translation(0.5, 0.5)
    return "".join(f"{v:.17g}\n" for v in (t.a, t.d, t.b, t.e, t.c, t.f))


def write_quicklook(
    scene: Scene,
    out_png: str | os.PathLike[str],
    *,
    preset: str | None = None,
    bands: list[str] | tuple[str, ...] | None = None,
    band: str | None = None,
    index: str | None = None,
    cmap: str | None = None,
    size: int = 1024,
    stretch: Stretch | None = None,
    levels: Levels | None = None,
    dn: bool = False,
    legend: bool = True,
) -> QuicklookResult:
    """Write a georeferenced RGBA quick-look PNG of ``scene`` (see :func:`quicklook_array`).

    Next to ``OUT.png`` come ``OUT.pgw`` (world file), when the scene has a CRS
    ``OUT.png.aux.xml`` (CRS and geotransform for GDAL/QGIS) and, for a single band or an index
    with ``legend`` True, ``OUT.legend.png`` (see :func:`quicklook_legend`). Raises ``ExportError``
    when the folder does not exist or the files cannot be written; no temporary file is left behind.
    """
    out = Path(out_png)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"the output folder {folder} does not exist", out)
    _, names, _ = _what(scene, preset, bands, band, index)
    rgba, used_levels, transform = quicklook_array(
        scene, preset=preset, bands=bands, band=band, index=index, cmap=cmap, size=size,
        stretch=stretch, levels=levels, dn=dn,
    )  # fmt: skip
    legend_image = quicklook_legend(scene, used_levels, preset=preset, bands=bands, band=band, index=index,
                                    cmap=cmap, dn=dn) if legend else None
    return save_quicklook(rgba, out, scene.info.grid.crs, transform, names, used_levels, legend=legend_image)


def save_quicklook(
    rgba: np.ndarray,
    out_png: str | os.PathLike[str],
    crs: CRS | None,
    transform: Affine,
    bands: tuple[str, ...],
    levels: Levels,
    *,
    legend: np.ndarray | None = None,
) -> QuicklookResult:
    """Write a rendered RGBA image ((4, row, col) uint8) as ``out_png`` with its world file, with a
    CRS its ``.aux.xml`` side-car and with a ``legend`` image ((rows, cols, 4) uint8) its
    ``OUT.legend.png``, all at once (the writing half of :func:`write_quicklook`)."""
    out = Path(out_png)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"the output folder {folder} does not exist", out)
    names, used_levels = bands, levels
    wld = world_file_path(out)
    aux = Path(f"{out}.aux.xml") if crs is not None else None
    leg = legend_path(out) if legend is not None else None
    dests: list[Path] = [out, wld] + ([aux] if aux is not None else []) + ([leg] if leg is not None else [])
    height, width = rgba.shape[1:]
    with atomic_paths(*dests) as tmps:
        try:
            _write_png(rgba, tmps[0])
            tmps[1].write_text(world_file_text(transform), encoding="ascii")
            if crs is not None:
                tmps[2].write_text(pam_xml(crs, transform), encoding="utf-8")
            if legend is not None:
                from satview.core.legend import write_legend_png  # lazy: PIL only with a legend (+~15 ms)

                write_legend_png(legend, tmps[-1])
        except OSError as exc:  # the disk or the folder refused the write (PIL's errors are OSErrors)
            raise ExportError(f"cannot write the quick-look PNG ({exc})", out) from exc
    if aux is None:  # a side-car from an earlier run would place this image wrongly
        with contextlib.suppress(OSError):
            Path(f"{out}.aux.xml").unlink()
    if leg is None:  # nor may a legend of an earlier run describe this image
        with contextlib.suppress(OSError):
            legend_path(out).unlink()
    return QuicklookResult(out, int(width), int(height), names, used_levels, transform, crs, wld, aux, leg)


def pam_xml(crs: CRS, transform: Affine) -> str:
    """A GDAL PAM side-car (``.aux.xml``) giving an image ``crs`` (as WKT) and ``transform``.

    The SRS carries no ``dataAxisToSRSAxisMapping``: GDAL then reads it in traditional GIS order
    (x = east/longitude), which is the order of ``transform`` for every CRS, geographic included.
    """
    wkt = crs.to_wkt().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # XML text
    if not wkt:
        raise ExportError("the scene's CRS has no WKT form to record in the .aux.xml side-car")
    gt = ", ".join(f"{v:.16e}" for v in transform.to_gdal())
    return f"<PAMDataset>\n  <SRS>{wkt}</SRS>\n  <GeoTransform>{gt}</GeoTransform>\n</PAMDataset>\n"


def _write_png(rgba: np.ndarray, path: Path) -> None:
    """Write ``rgba`` as a PNG file (see :func:`satview.core.png.encode_png`)."""
    path.write_bytes(encode_png(rgba))
