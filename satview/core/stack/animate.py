"""Animate a stack: one frame per date with the date written on it, one stretch for all, GIF or MP4.

Frames come from the render path (:func:`satview.core.render.render_view`) at ``size`` pixels on
the longest side, read from overviews; with an AOI each frame shows the AOI's extent. The levels
are fixed across the animation so brightness changes are real: those of the first date, or
("all") the median of every date's own levels. Frames of a scene on another grid (a neighbouring
row) are resized to the first frame's size. GIF needs only Pillow; MP4 goes through the ffmpeg
binary that the ``imageio-ffmpeg`` package ships (``satview[video]``), fed one frame at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rasterio.windows import Window

from satview.core.aoi import AOI
from satview.core.atomic import atomic_path
from satview.core.indices import get_index
from satview.core.quicklook import _seaice_band, _what
from satview.core.readers import open_scene
from satview.core.readers.base import Scene
from satview.core.readers.nsidc_quick import read_field, read_header
from satview.core.render import DisplaySpec, compute_display_levels, render_view
from satview.core.seaice import seaice_rgba
from satview.core.stack.area import aoi_window
from satview.core.stack.model import FrameSpec, SceneHeader
from satview.core.stretch import Levels, Stretch
from satview.core.viewport import ReadPlan
from satview.errors import ExportError, SatviewError

ProgressFn = Callable[[float, str], None]
FORMATS = (".gif", ".mp4")


def _display(scene: Scene, what: FrameSpec) -> DisplaySpec:
    """The DisplaySpec of ``what`` on ``scene``, in physical values so levels compare across sensors."""
    kind, names, _ = _what(scene, what.preset, what.bands, what.band, what.index)
    if kind == "index":
        assert what.index is not None
        return DisplaySpec(mode="index", index=what.index,
                           cmap=what.cmap or get_index(what.index).default_cmap, stretch=Stretch(mode="none"))
    seaice = _seaice_band(scene, kind, names, None) is not None
    return DisplaySpec(mode="rgb" if kind == "rgb" else "band", bands=names,
                       cmap=what.cmap or ("ice" if seaice else "gray"), seaice=seaice, dn=False)


def _plan(scene: Scene, aoi: AOI | None, size: int) -> ReadPlan:
    """Read the AOI's window (or the whole grid) at ``size`` pixels on its longest side, at most full size."""
    grid = scene.info.grid
    win = aoi_window(aoi, grid, scene.path)[0] if aoi is not None else Window(0, 0, grid.width, grid.height)
    w, h = int(win.width), int(win.height)
    factor = max(1.0, max(w, h) / size)
    shape = (max(1, round(h / factor)), max(1, round(w / factor)))
    return ReadPlan(win, shape, (float(win.col_off), float(win.row_off), float(w), float(h)), factor)


def _levels(scenes: Sequence[SceneHeader], what: FrameSpec, mode: str) -> Levels:
    """Render-space levels shared by all frames: the first date's, or the median over all dates."""
    chosen = scenes[:1] if mode == "first" else scenes
    found = []
    for h in chosen:
        with open_scene(h.path) as scene:
            found.append(compute_display_levels(scene, _display(scene, what))[0])
    first = found[0]
    if len(found) == 1:
        return first
    lo = tuple(float(v) for v in np.median([lv.lo for lv in found], axis=0))
    hi = tuple(float(v) for v in np.median([lv.hi for lv in found], axis=0))
    return replace(first, lo=lo, hi=hi, source=f"median of {len(found)} dates' levels")


def _seaice_rgba(h: SceneHeader, aoi: AOI | None, size: int) -> np.ndarray:
    """A NSIDC file in sea-ice colours, (rows, cols, 4), read straight from the file (no georeferencing
    work per date: the grid is the NSIDC preset), cut to the AOI and thinned to ``size``."""
    header = read_header(h.path)
    field = read_field(h.path)
    rgba = seaice_rgba(field.percent, field.flags, {i + 1: n for i, n in enumerate(field.flag_names)})
    if aoi is not None:
        win = aoi_window(aoi, header.grid.geogrid(), h.path)[0]
        r0, c0 = int(win.row_off), int(win.col_off)
        rgba = rgba[:, r0:r0 + int(win.height), c0:c0 + int(win.width)]
    out = np.ascontiguousarray(np.moveaxis(rgba, 0, -1))
    rows, cols = out.shape[:2]
    if max(rows, cols) <= size:
        return out

    scale = size / max(rows, cols)
    shape = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    return np.asarray(Image.fromarray(out).resize(shape, Image.Resampling.NEAREST))


def _label(rgb: np.ndarray, text: str) -> np.ndarray:
    """``rgb`` (rows, cols, 3) with ``text`` in white on a dark box at the top left."""
    img = Image.fromarray(rgb)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(12, min(img.size) // 18))
    x0, y0, x1, y1 = draw.textbbox((6, 4), text, font=font)
    draw.rectangle((x0 - 4, y0 - 3, x1 + 4, y1 + 3), fill=(0, 0, 0))
    draw.text((6, 4), text, fill=(255, 255, 255), font=font)
    return np.asarray(img)


def frames(scenes: Sequence[SceneHeader], what: FrameSpec, *, aoi: AOI | None = None, size: int = 1024,
           levels: str = "first", progress: ProgressFn | None = None) -> Iterator[np.ndarray]:
    """The frames, one per scene in order: (rows, cols, 3) uint8 with the date written on each."""
    if levels not in ("first", "all"):
        raise SatviewError(f"levels must be 'first' or 'all', not {levels!r}")
    if not 16 <= size <= 8192:
        raise SatviewError(f"the frame size must be 16 to 8192 pixels, not {size}")
    seaice = all(h.kind == "nsidc-seaice" for h in scenes) and not (what.index or what.preset or what.bands)
    shared = None
    if not seaice:
        shared = what.fixed_levels if what.fixed_levels is not None else _levels(scenes, what, levels)
    first_size: tuple[int, int] | None = None
    for i, h in enumerate(scenes):
        if progress:
            progress(i / max(1, len(scenes)), h.date.isoformat())
        if shared is None:
            rgba = _seaice_rgba(h, aoi, size).astype(np.float32)
        else:
            with open_scene(h.path) as scene:
                rgba = render_view(scene, _display(scene, what), shared, _plan(scene, aoi, size)).rgba
            rgba = rgba.astype(np.float32)
        rgb = (rgba[..., :3] * (rgba[..., 3:4] / 255.0)).astype(np.uint8)  # transparent = black
        img = Image.fromarray(rgb)
        if first_size is None:
            first_size = (img.size[0] + img.size[0] % 2, img.size[1] + img.size[1] % 2)  # even, for video
        if img.size != first_size:
            img = img.resize(first_size, Image.Resampling.BILINEAR)
        yield _label(np.asarray(img), h.date.isoformat())


def write_animation(scenes: Sequence[SceneHeader], out: str | os.PathLike[str], what: FrameSpec, *,
                    aoi: AOI | None = None, fps: float = 2.0, size: int = 1024, levels: str = "first",
                    progress: ProgressFn | None = None) -> Path:
    """Write the frames of ``scenes`` to ``out`` (.gif or .mp4) atomically; returns ``out``."""
    dest = Path(out)
    suffix = dest.suffix.lower()
    if suffix not in FORMATS:
        raise SatviewError(f"the animation must be a .gif or an .mp4 file, not {dest.name!r}")
    if not 0.1 <= fps <= 60:
        raise SatviewError(f"--fps must be 0.1 to 60, not {fps:g}")
    if not scenes:
        raise SatviewError("no dated scenes to animate")
    stream = frames(scenes, what, aoi=aoi, size=size, levels=levels, progress=progress)
    try:
        with atomic_path(dest) as tmp:
            if suffix == ".gif":
                _gif(tmp, stream, fps)
            else:
                _mp4(tmp, stream, fps)
    except OSError as exc:
        raise ExportError(f"cannot write the animation: {exc.strerror or exc}", dest) from exc
    return dest


def _gif(path: Path, stream: Iterator[np.ndarray], fps: float) -> None:
    images = [Image.fromarray(f).quantize(colors=255, method=Image.Quantize.MEDIANCUT) for f in stream]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0)


def _mp4(path: Path, stream: Iterator[np.ndarray], fps: float) -> None:
    try:
        import imageio_ffmpeg  # lazy: optional extra (satview[video])
    except ImportError:
        raise SatviewError("MP4 needs the imageio-ffmpeg package (pip install 'satview[video]'); "
                           "GIF works without it") from None
    writer = None
    try:
        for frame in stream:
            if writer is None:
                h, w = frame.shape[:2]
                writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264",
                                                     pix_fmt_out="yuv420p", macro_block_size=2,
                                                     output_params=["-crf", "20"], ffmpeg_log_level="error")
                writer.send(None)
            writer.send(np.ascontiguousarray(frame))
    finally:
        if writer is not None:
            writer.close()
