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
- **Georeference**: the PNG's transform is the scene transform scaled by (grid width / PNG
  width, grid height / PNG height). It is written twice: a world file (``OUT.pgw``) and a GDAL
  PAM side-car (``OUT.png.aux.xml``, with the CRS as WKT and the geotransform), so GDAL, rasterio
  and QGIS place the image exactly. The three files appear together, atomically.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import ColorInterp

import satview.core.env  # noqa: F401  (GDAL options first)
from satview.core.atomic import atomic_paths
from satview.core.colormap import apply_colormap, colormap
from satview.core.composite import default_bands, resolve_preset
from satview.core.indices import compute_index, get_index, index_bands
from satview.core.readers.base import Scene
from satview.core.render import dn_valid, rgba_band_first
from satview.core.stretch import Levels, Stretch, apply_levels, compute_levels, valid_mask
from satview.core.types import GeoGrid
from satview.errors import ExportError, SatviewError


@dataclass(frozen=True)
class QuicklookResult:
    """What :func:`write_quicklook` wrote (``world_file``/``aux_xml`` are None when not written)."""

    path: Path
    width: int
    height: int
    bands: tuple[str, ...]
    levels: Levels
    transform: Affine
    crs: CRS | None
    world_file: Path | None
    aux_xml: Path | None


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


def _check_levels(levels: Levels, nbands: int) -> None:
    if len(levels.lo) not in (1, nbands) or len(levels.hi) != len(levels.lo):
        raise SatviewError(f"the given levels have {len(levels.lo)} band(s) but the quick-look has {nbands}")


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
    Indices are always computed from physical values (``dn`` does not apply to them).
    Raises ``BandNotFoundError`` for missing bands and ``SatviewError`` for conflicting options.
    """
    info = scene.info
    kind, names, common = _what(scene, preset, bands, band, index)
    if cmap is not None:
        colormap(cmap)  # unknown names fail before any read
        if kind == "rgb":
            raise SatviewError("a colour map applies to a single band or an index, not to an RGB composite")
    shape = quicklook_shape(info.grid, size)
    transform = quicklook_transform(info.grid, shape)
    infos = [info.band(n) for n in names]

    if kind == "index":
        assert index is not None
        idx = get_index(index)
        data = scene.read(list(names), out_shape=shape)
        arrays = {cn: data[names.index(bn)] for cn, bn in common.items()}
        values = compute_index(idx.key, arrays)[np.newaxis]
        if levels is None:
            if stretch is not None:
                levels = compute_levels(values, stretch)
            else:
                lo, hi = idx.value_range
                levels = Levels((lo,), (hi,), 1.0, f"fixed {idx.key.upper()} range {lo:g} to {hi:g}")
        _check_levels(levels, 1)
        alpha = valid_mask(values)
        index8 = apply_levels(values, levels)[0]
        rgb = apply_colormap(index8, cmap or idx.default_cmap)
    else:
        data = scene.read(list(names), out_shape=shape, dn=dn)
        valid = dn_valid(data, infos) if dn else None
        if levels is None:
            levels = compute_levels(data, stretch or Stretch(), valid)
        _check_levels(levels, len(names))
        alpha = valid_mask(data, valid)
        image8 = apply_levels(data, levels, valid)
        rgb = image8 if kind == "rgb" else apply_colormap(image8[0], cmap or "gray")
    return rgba_band_first(rgb, alpha), levels, transform


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
) -> QuicklookResult:
    """Write a georeferenced RGBA quick-look PNG of ``scene`` (see :func:`quicklook_array`).

    Next to ``OUT.png`` come ``OUT.pgw`` (world file) and, when the scene has a CRS,
    ``OUT.png.aux.xml`` (CRS and geotransform for GDAL/QGIS). Raises ``ExportError`` when the
    folder does not exist or the files cannot be written; no temporary file is left behind.
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
    crs = scene.info.grid.crs
    wld = world_file_path(out)
    aux = Path(f"{out}.aux.xml") if crs is not None else None
    dests: list[Path] = [out, wld] + ([aux] if aux is not None else [])
    height, width = rgba.shape[1:]
    with atomic_paths(*dests) as tmps:
        tmp_png, tmp_wld = tmps[0], tmps[1]
        gdal_wld = world_file_path(tmp_png)
        gdal_aux = Path(f"{tmp_png}.aux.xml")
        try:
            _write_png(rgba, tmp_png, crs, transform)
            if crs is not None:
                text = gdal_aux.read_text(encoding="utf-8") if gdal_aux.exists() else ""
                if "<SRS" not in text:
                    raise ExportError("GDAL did not record the CRS in the .aux.xml side-car", out)
                os.replace(gdal_aux, tmps[2])
            # our own world file: same numbers as GDAL's, but exact and independent of its driver
            tmp_wld.write_text(world_file_text(transform), encoding="ascii")
        except SatviewError:
            raise
        except Exception as exc:
            raise ExportError(f"cannot write the quick-look PNG ({exc})", out) from exc
        finally:
            for side in (gdal_wld, gdal_aux):
                if side != tmp_wld:
                    with contextlib.suppress(OSError):
                        side.unlink()
    if aux is None:  # a side-car from an earlier run would place this image wrongly
        with contextlib.suppress(OSError):
            Path(f"{out}.aux.xml").unlink()
    return QuicklookResult(out, int(width), int(height), names, used_levels, transform, crs, wld, aux)


def _write_png(rgba: np.ndarray, path: Path, crs: CRS | None, transform: Affine) -> None:
    """RGBA PNG via a MEM dataset; with a CRS, GDAL's PAM writes ``path.aux.xml`` on close."""
    _, height, width = rgba.shape
    pam = "YES" if crs is not None else "NO"
    with rasterio.Env(GDAL_PAM_ENABLED=pam), rasterio.open(
        "quicklook", "w", driver="MEM", width=width, height=height, count=4, dtype="uint8",
        crs=crs, transform=transform,
    ) as mem:  # fmt: skip
        mem.write(rgba)
        mem.colorinterp = (ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha)
        rasterio.shutil.copy(mem, str(path), driver="PNG", ZLEVEL=1)  # level 1: 3x faster, ~15 % bigger

