"""Turn scene reads into display images: display specs, once-per-composite levels, RGBA renders.

Rules
-----
- **Levels once per composite**: :func:`compute_display_levels` does ONE decimated whole-scene read
  (``viewport.overview_plan``) and derives the stretch limits and histograms from it; viewport
  renders reuse those levels, so panning never changes the contrast.
- **Render space**: RGB and single-band displays stretch the raw DN when every displayed band's
  calibration is monotonic increasing (none, linear with a positive scale, brightness
  temperature): the picture is the same, the uint16 lookup-table path is used and no float
  histogram is needed. Otherwise (and for indices and sea ice) physical values are stretched.
  ``Levels`` passed to and returned by the render functions are in that *render space*;
  :func:`levels_to_physical` / :func:`levels_from_physical` convert for the UI, and
  ``HistogramData`` is always physical.
- **Images**: ``RenderResult.rgba`` is (rows, cols, 4) uint8, C-contiguous, row-major (row 0 is
  the top of the grid, north up for north-up grids); alpha is 0 at fill/nodata/NaN pixels.
- **Overlays**: QA flags are blended over the picture (:mod:`satview.core.qa_render`, which also
  keeps clouds and snow out of the statistics); sea-ice scenes use
  :func:`satview.core.seaice.seaice_rgba` (concentration ramp plus flag colours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from affine import Affine
from rasterio.windows import Window

from satview.core.colormap import colormap
from satview.core.composite import PRESETS, band_for, dataset_bands, default_bands
from satview.core.indices import compute_index, get_index, index_bands
from satview.core.qa_render import clear_sky, clear_sky_levels, default_qa_band, overlay_qa
from satview.core.readers.base import Scene
from satview.core.seaice import band_flag_names, seaice_rgba
from satview.core.stretch import Levels, Stretch, apply_levels, valid_mask
from satview.core.types import BandInfo, SceneInfo
from satview.core.viewport import ReadPlan, overview_plan
from satview.errors import SatviewError

DisplayMode = Literal["rgb", "band", "index"]

_SEAICE_FLAGS = {"pole_hole", "land", "land_mask", "coast", "coastal", "lakes"}
_HIST_BINS = 256


# ------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DisplaySpec:
    """What is displayed: an RGB composite, one band with a colour map, or a spectral index.

    ``bands`` holds 3 names for "rgb" and 1 for "band"; ``preset`` is only a label for the UI.
    ``index`` names a spectral index for "index" mode (stretch mode "none" = the index's fixed
    range, e.g. -1..1). ``cmap`` colours single bands and indices. ``qa_flags`` are overlay flags
    (names from ``qa.flag_names``) of ``qa_band``. ``seaice`` draws a concentration band with the
    sea-ice colour map and flag colours. ``dn`` chooses the render space of "rgb"/"band" displays:
    None (default) raw DN when the calibration allows (see the module rules), True raw DN, False
    physical values (quick-look exports with explicit ``dn``).
    """

    mode: DisplayMode = "rgb"
    bands: tuple[str, ...] = ()
    preset: str | None = None
    index: str | None = None
    cmap: str = "gray"
    stretch: Stretch = field(default_factory=Stretch)
    qa_flags: tuple[str, ...] = ()
    qa_band: str | None = None
    seaice: bool = False
    dn: bool | None = None


@dataclass(frozen=True)
class BandHistogram:
    """Histogram of one displayed band (or the index) over the overview read, in physical units."""

    name: str
    unit: str
    edges: np.ndarray  # (n + 1,) float64, ascending
    counts: np.ndarray  # (n,) int64
    lo: float  # display limits when the histogram was computed
    hi: float


@dataclass(frozen=True)
class HistogramData:
    """Per-band histograms for the band panel plus the limits in physical units and render space."""

    bands: tuple[BandHistogram, ...]
    levels: Levels  # physical units (what the UI shows)
    render_levels: Levels  # render space (DN where the calibration allows)
    dn: bool  # True when render_levels are raw DN


@dataclass(frozen=True)
class RenderResult:
    """A picture for the canvas, drawn over ``pixel_rect`` = (x, y, w, h) in full-resolution grid
    pixels. For reprojected views (``crs_wkt`` set) ``pixel_rect`` is (0, 0, w, h) of the image's own
    grid and ``transform`` maps its pixels to ``crs_wkt`` coordinates."""

    rgba: np.ndarray
    pixel_rect: tuple[float, float, float, float]
    coarse: bool
    crs_wkt: str | None = None
    transform: Affine | None = None


# -------------------------------------------------------------------------------- helpers


def dn_valid(data: np.ndarray, infos: list[BandInfo]) -> np.ndarray:
    """(band, row, col) validity of raw DN: not nodata, not a flag value, inside the valid range, finite."""
    valid = np.ones(data.shape, dtype=bool)
    for i, b in enumerate(infos):
        d = data[i]
        if b.nodata is not None:
            nd = float(b.nodata)
            valid[i] &= ~np.isnan(d) if math.isnan(nd) else d != b.nodata
        for v, _ in b.flags:
            valid[i] &= d != v
        if b.valid_range is not None:
            lo, hi = b.valid_range
            with np.errstate(invalid="ignore"):
                valid[i] &= (d >= lo) & (d <= hi)
        if data.dtype.kind == "f":
            valid[i] &= np.isfinite(d)
    return valid


def rgba_interleaved(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(rows, cols, 4) uint8 C-contiguous from band-first (3, rows, cols) uint8 and a bool alpha;
    transparent pixels are black too."""
    rows, cols = alpha.shape
    out = np.empty((rows, cols, 4), dtype=np.uint8)
    for i in range(3):
        np.multiply(rgb[i], alpha, out=out[..., i], casting="unsafe")
    np.multiply(alpha, np.uint8(255), out=out[..., 3], casting="unsafe")
    return out


def _monotonic(b: BandInfo) -> bool:
    c = b.calibration
    if c.kind == "none":
        return True
    if c.kind == "linear":
        return c.scale > 0
    return c.kind == "brightness_temperature" and c.scale > 0 and (c.k1 or 0) > 0 and (c.k2 or 0) > 0


def _phys(b: BandInfo, dn: float) -> float:
    c = b.calibration
    if c.kind == "none" or not math.isfinite(dn):
        return float(dn)
    return c.apply_scalar(dn)


def _dn(b: BandInfo, value: float) -> float:
    c = b.calibration
    if c.kind == "none" or not math.isfinite(value):
        return float(value)
    if c.kind == "brightness_temperature":
        assert c.k1 is not None and c.k2 is not None
        if value <= 0:
            return -math.inf
        with np.errstate(over="ignore"):
            radiance = c.k1 / math.expm1(min(c.k2 / value, 700.0))
        return (radiance - c.offset) / c.scale
    return (value - c.offset) / c.scale


def _edges_phys(b: BandInfo, edges: np.ndarray) -> np.ndarray:
    c = b.calibration
    if c.kind == "none":
        return edges.astype(np.float64)
    if c.kind == "linear":
        return edges.astype(np.float64) * c.scale + c.offset
    return np.asarray(c.apply(edges.astype(np.float64)), dtype=np.float64)


def _display_infos(info: SceneInfo, spec: DisplaySpec) -> list[BandInfo]:
    """The bands drawn by an rgb/band spec (validated)."""
    if spec.mode == "rgb":
        if len(spec.bands) != 3:
            raise SatviewError(f"an RGB display needs three bands, got {len(spec.bands)}", info.path)
    elif len(spec.bands) != 1:
        raise SatviewError(f"a single-band display needs one band, got {len(spec.bands)}", info.path)
    return [info.band(n) for n in spec.bands]


def renders_dn(info: SceneInfo, spec: DisplaySpec) -> bool:
    """True when ``spec`` is stretched on raw DN (its render-space levels are DN)."""
    if spec.mode == "index" or spec.seaice:
        return False
    if spec.dn is not None:
        return spec.dn
    return all(_monotonic(b) for b in _display_infos(info, spec))


def _convert_levels(info: SceneInfo, spec: DisplaySpec, levels: Levels, to_phys: bool) -> Levels:
    if not renders_dn(info, spec):
        return levels
    infos = _display_infos(info, spec)
    n = len(levels.lo)
    if n not in (1, len(infos)):
        raise SatviewError(f"the levels have {n} band(s) but the display has {len(infos)}")
    fn = _phys if to_phys else _dn
    bands = infos if n == len(infos) else infos[:1]
    lo = tuple(float(fn(b, v)) for b, v in zip(bands, levels.lo, strict=True))
    hi = tuple(float(fn(b, v)) for b, v in zip(bands, levels.hi, strict=True))
    return Levels(lo, hi, levels.gamma, levels.source)


def levels_to_physical(info: SceneInfo, spec: DisplaySpec, levels: Levels) -> Levels:
    """Render-space levels of ``spec`` as physical values (reflectance, kelvin, %, index value)."""
    return _convert_levels(info, spec, levels, True)


def levels_from_physical(info: SceneInfo, spec: DisplaySpec, levels: Levels) -> Levels:
    """Physical levels (e.g. dragged on the histogram) as render-space levels of ``spec``."""
    return _convert_levels(info, spec, levels, False)


# ------------------------------------------------------------------------------ defaults


def seaice_band(info: SceneInfo) -> BandInfo | None:
    """The sea-ice concentration band of a scene, or None when it is not a sea-ice scene."""
    own = dataset_bands(info)  # of a multi-dataset file, the dataset it was opened on
    for b in own:
        if {name.lower() for _, name in b.flags} & _SEAICE_FLAGS:
            return b
    quantity = [b for b in own if "concentration" in (b.calibration.quantity or "").lower()]
    if quantity and info.format in ("netcdf4", "netcdf3", "hdf5", "nsidc-binary"):
        return quantity[0]
    if info.format == "nsidc-binary" and info.bands:
        return info.bands[0]
    return None


def default_display(info: SceneInfo) -> DisplaySpec:
    """What to show first: natural colour when possible, sea-ice colours for sea-ice scenes, else one
    band in gray. ``qa_band`` is filled in when the scene has a QA band."""
    qa_band = default_qa_band(info)
    ice = seaice_band(info)
    if ice is not None:
        return DisplaySpec(mode="band", bands=(ice.name,), cmap="ice", seaice=True, qa_band=qa_band)
    names = tuple(default_bands(info))
    if len(names) == 3:
        preset = None
        for key in ("natural", "color-infrared"):
            if tuple(band_for(info, cn) for cn in PRESETS[key].common_names) == names:
                preset = key
                break
        return DisplaySpec(mode="rgb", bands=names, preset=preset, qa_band=qa_band)
    return DisplaySpec(mode="band", bands=names, cmap="gray", qa_band=qa_band)


# --------------------------------------------------------------------------------- frames


@dataclass
class _Frame:
    """What one read of a spec gave: render-space values, validity, names and units."""

    kind: Literal["rgb", "band", "index", "seaice"]
    values: np.ndarray  # (band, row, col), render space (seaice: concentration %)
    valid: np.ndarray | None  # (band, row, col) or None (NaN marks invalid)
    infos: list[BandInfo]
    dn: bool
    raw: np.ndarray | None = None  # seaice: raw DN for the flag colours
    label: str = ""


def _read_frame(scene: Scene, spec: DisplaySpec, window: Window | None, shape: tuple[int, int]) -> _Frame:
    """One read of what ``spec`` draws over ``window`` (None: the whole grid) at ``shape``."""
    info = scene.info
    if spec.mode == "index":
        if not spec.index:
            raise SatviewError("an index display needs an index name (e.g. ndvi)", info.path)
        idx = get_index(spec.index)
        common = index_bands(info, idx.key)
        names = list(dict.fromkeys(common.values()))
        data = scene.read(names, window=window, out_shape=shape)
        arrays = {cn: data[names.index(bn)] for cn, bn in common.items()}
        values = compute_index(idx.key, arrays)[np.newaxis]
        return _Frame("index", values, None, [info.band(n) for n in names], False, label=idx.key.upper())
    infos = _display_infos(info, spec)
    if spec.seaice:
        b = infos[0]
        raw = scene.read([b.name], window=window, out_shape=shape, dn=True)
        conc = b.to_physical(raw[0])
        if b.unit.strip() == "1":
            conc = conc * np.float32(100.0)
        return _Frame("seaice", conc[np.newaxis], None, infos, False, raw=raw[0], label=b.name)
    dn = renders_dn(info, spec)
    data = scene.read([b.name for b in infos], window=window, out_shape=shape, dn=dn)
    valid = dn_valid(data, infos) if dn else None
    return _Frame("rgb" if spec.mode == "rgb" else "band", data, valid, infos, dn)


def _frame_levels(frame: _Frame, spec: DisplaySpec, clear: np.ndarray | None = None) -> Levels:
    if frame.kind == "seaice":
        return Levels((0.0,), (100.0,), 1.0, "sea-ice concentration 0-100 %")
    if frame.kind == "index" and spec.stretch.mode == "none":
        idx = get_index(spec.index or "")
        lo, hi = idx.value_range
        return Levels((lo,), (hi,), spec.stretch.gamma, f"fixed {idx.key.upper()} range {lo:g} to {hi:g}")
    return clear_sky_levels(frame.values, spec.stretch, frame.valid, clear)


def _histograms(frame: _Frame, render_levels: Levels, phys_levels: Levels) -> tuple[BandHistogram, ...]:
    out: list[BandHistogram] = []
    n = frame.values.shape[0]
    for i in range(n):
        band = frame.values[i]
        if frame.valid is not None:
            vals = band[frame.valid[i]]
        else:
            vals = band[np.isfinite(band)] if band.dtype.kind == "f" else band.ravel()
        j = min(i, len(phys_levels.lo) - 1)
        if frame.kind == "seaice":
            counts, edges = np.histogram(vals, bins=50, range=(0.0, 100.0))
            name, unit = frame.infos[0].name, frame.infos[0].unit or "%"
        elif vals.size == 0:
            counts, edges = np.zeros(1, dtype=np.int64), np.array([0.0, 1.0])
            name, unit = _hist_name(frame, i)
        else:
            counts, edges = _histogram(vals)
            name, unit = _hist_name(frame, i)
            if frame.dn:
                edges = _edges_phys(frame.infos[i], edges)
        out.append(BandHistogram(name, unit, np.asarray(edges, dtype=np.float64),
                                 np.asarray(counts, dtype=np.int64), phys_levels.lo[j], phys_levels.hi[j]))
    return tuple(out)


def _histogram(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of at most ``_HIST_BINS`` equal bins over the range of ``vals`` (non-empty)."""
    if vals.dtype.kind in "ub" and vals.dtype.itemsize <= 2:  # fast exact path: one bincount
        full = np.bincount(vals.ravel())
        nz = np.flatnonzero(full)
        vmin, vmax = int(nz[0]), int(nz[-1])
        span = vmax - vmin + 1
        width = -(-span // _HIST_BINS)  # whole DN per bin
        starts = np.arange(vmin, vmax + 1, width)
        counts = np.add.reduceat(full[vmin:vmax + 1], starts - vmin)
        edges = np.append(starts, starts[-1] + width).astype(np.float64)
        return counts.astype(np.int64), edges
    vmin, vmax = float(vals.min()), float(vals.max())
    top = vmax if vmax > vmin else vmin + 1
    counts, edges = np.histogram(vals, bins=_HIST_BINS, range=(vmin, top))
    return counts, edges


def _hist_name(frame: _Frame, i: int) -> tuple[str, str]:
    if frame.kind == "index":
        return frame.label, ""
    b = frame.infos[i]
    return b.name, (b.unit if (b.calibration.kind != "none" or not frame.dn) else "DN")


def _paint(frame: _Frame, spec: DisplaySpec, levels: Levels) -> np.ndarray:
    """Render-space frame -> (rows, cols, 4) uint8."""
    if frame.kind == "seaice":
        b = frame.infos[0]
        conc = frame.values[0]
        band_first = seaice_rgba(conc, frame.raw, band_flag_names(b))
        return np.ascontiguousarray(np.moveaxis(band_first, 0, -1))
    nb = frame.values.shape[0]
    if len(levels.lo) not in (1, nb) or len(levels.hi) != len(levels.lo):
        raise SatviewError(f"the levels have {len(levels.lo)} band(s) but the display has {nb}")
    alpha = valid_mask(frame.values, frame.valid)
    image8 = apply_levels(frame.values, levels, frame.valid)
    if frame.kind == "rgb":
        return rgba_interleaved(image8, alpha)
    lut = colormap(spec.cmap or "gray")
    out = np.empty((*alpha.shape, 4), dtype=np.uint8)
    out[..., :3] = lut[image8[0]]
    out[..., :3] *= alpha[..., np.newaxis]
    np.multiply(alpha, np.uint8(255), out=out[..., 3], casting="unsafe")
    return out


# ---------------------------------------------------------------------------------- public


def _full_plan(scene: Scene, max_size: int) -> ReadPlan:
    return overview_plan(scene.info.grid.width, scene.info.grid.height, max_size)


def _stats(info: SceneInfo, spec: DisplaySpec, frame: _Frame,
           clear: np.ndarray | None = None) -> tuple[Levels, HistogramData]:
    levels = _frame_levels(frame, spec, clear if frame.kind != "seaice" else None)
    phys = levels_to_physical(info, spec, levels) if frame.dn else levels
    return levels, HistogramData(_histograms(frame, levels, phys), phys, levels, frame.dn)


def _clear_for(scene: Scene, spec: DisplaySpec, frame: _Frame, window: Window | None, shape: tuple[int, int],
               qa_cache: dict[str, np.ndarray]) -> np.ndarray | None:
    if frame.kind == "seaice" or spec.stretch.mode == "none":
        return None
    if frame.infos and all(b.categorical for b in frame.infos):
        return None
    return clear_sky(scene, window, shape, qa_cache)


def compute_display_levels(
    scene: Scene, spec: DisplaySpec, max_size: int = 1024
) -> tuple[Levels, HistogramData]:
    """Render-space levels of ``spec`` and the histograms, from ONE decimated whole-scene read."""
    plan = _full_plan(scene, max_size)
    frame = _read_frame(scene, spec, plan.window, plan.out_shape)
    return _stats(scene.info, spec, frame, _clear_for(scene, spec, frame, plan.window, plan.out_shape, {}))


def display_overview(scene: Scene, spec: DisplaySpec, max_size: int = 1024,
                     levels: Levels | None = None) -> tuple[Levels, HistogramData, RenderResult]:
    """Levels, histograms and the coarse whole-scene picture of ``spec``, all from one read (the QA
    band, when clear-sky statistics and the overlay both need it, is read once too). ``levels``
    given (fixed across a stack's dates): the picture is painted with them and they are returned;
    the histograms are still this scene's own."""
    plan = _full_plan(scene, max_size)
    frame = _read_frame(scene, spec, plan.window, plan.out_shape)
    qa_cache: dict[str, np.ndarray] = {}
    own, hist = _stats(scene.info, spec, frame,
                       _clear_for(scene, spec, frame, plan.window, plan.out_shape, qa_cache))
    levels = own if levels is None else levels
    rgba = _paint(frame, spec, levels)
    overlay_qa(scene, spec.qa_flags, spec.qa_band, rgba, plan.window, plan.out_shape, qa_cache)
    return levels, hist, RenderResult(rgba, plan.pixel_rect, True)


def render_view(scene: Scene, spec: DisplaySpec, levels: Levels, plan: ReadPlan, *,
                coarse: bool = False) -> RenderResult:
    """Read exactly ``plan.window`` at ``plan.out_shape`` and draw it with render-space ``levels``."""
    frame = _read_frame(scene, spec, plan.window, plan.out_shape)
    rgba = _paint(frame, spec, levels)
    overlay_qa(scene, spec.qa_flags, spec.qa_band, rgba, plan.window, plan.out_shape)
    return RenderResult(rgba, plan.pixel_rect, coarse)


def render_scene(scene: Scene, spec: DisplaySpec, shape: tuple[int, int],
                 levels: Levels | None = None) -> tuple[np.ndarray, Levels]:
    """The whole scene drawn at ``shape`` (rows, cols): ((rows, cols, 4) uint8, render-space levels).

    One decimated read serves the picture and, when ``levels`` is None, its levels (clear-sky
    statistics as in :func:`display_overview`); quick-look exports go through here.
    """
    window = None  # the whole grid
    frame = _read_frame(scene, spec, window, shape)
    qa_cache: dict[str, np.ndarray] = {}
    if levels is None:
        levels = _frame_levels(frame, spec, _clear_for(scene, spec, frame, window, shape, qa_cache))
    rgba = _paint(frame, spec, levels)
    overlay_qa(scene, spec.qa_flags, spec.qa_band, rgba, window, shape, qa_cache)
    return rgba, levels


def render_array(scene: Scene, spec: DisplaySpec, levels: Levels, shape: tuple[int, int]) -> np.ndarray:
    """The whole scene drawn at ``shape`` (rows, cols) with ``levels``: (rows, cols, 4) uint8."""
    return render_scene(scene, spec, shape, levels)[0]


