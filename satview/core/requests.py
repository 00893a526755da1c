"""The requests the app and the CLI send to worker processes: open, draw, pixel, export, prefetch, dates.

Each is a plain core call on a scene from the worker's cache (:mod:`satview.core.scene_cache`) that
returns picklable values, declared with its deadline, lane and what it does to the file
(:mod:`satview.workers.declare`). Long ones report progress and honour cancel through
:func:`report_progress` / :func:`should_cancel`. The export modules (clip, reproject, quick-look,
sea ice, pixel) are imported inside the requests that use them: the app imports this module at start
to name its requests and must not load the export stack then; workers have them preloaded.
"""

from __future__ import annotations

from typing import Any

from satview.core import scene_cache
from satview.core.mapview import north_angle, render_reprojected
from satview.core.render import default_display, display_overview, render_view
from satview.core.stack.step import step_overview
from satview.errors import CancelledError
from satview.workers.declare import request
from satview.workers.task import report_progress, should_cancel

#: Long side of the first (whole-scene) picture and of the statistics read.
COARSE_SIZE = 1024


@request(30, per_gb=10, doing="opening it", latest_only=True)
def open_view(path: str, dataset: str | None = None,
              max_size: int = COARSE_SIZE) -> tuple[Any, Any, Any, Any, Any]:
    """Open a scene and draw its first picture from one read: (info, spec, levels, hist, RenderResult).
    A newer ``open_view`` supersedes this one (the user picked another file)."""
    scene = scene_cache.scene(path, dataset)
    spec = default_display(scene.info)
    levels, hist, result = display_overview(scene, spec, max_size)
    return scene_cache.portable_info(scene.info), spec, levels, hist, result


@request(30, per_gb=10, doing="drawing it")
def step(path: str, dataset: str | None, spec: Any, levels: Any, max_size: int = COARSE_SIZE,
         reply: bool = True) -> tuple[Any, ...] | None:
    """A date of a stack drawn with the previous date's display (and ``levels`` when fixed):
    (info, spec, levels, hist, RenderResult). ``reply=False`` only prefetches: the scene stays open
    and its picture cached (:func:`satview.core.stack.step.step_overview`) for the real request;
    send those with priority "low", so they never hold up what the user asked for."""
    scene = scene_cache.scene(path, dataset)
    out = step_overview(scene, spec, levels, max_size)
    return (scene_cache.portable_info(scene.info), *out) if reply else None


@request(30, per_gb=10, doing="drawing it", latest_only=True)
def display(path: str, dataset: str | None, spec: Any,
            max_size: int = COARSE_SIZE) -> tuple[Any, Any, Any]:
    """(levels, histograms, coarse RenderResult) of ``spec``, from one overview read; a newer display
    request supersedes this one."""
    return display_overview(scene_cache.scene(path, dataset), spec, max_size)


@request(30, per_gb=10, doing="drawing it")
def render(path: str, dataset: str | None, spec: Any, levels: Any, plan: Any, coarse: bool = False) -> Any:
    """``render.render_view`` of the cached scene."""
    return render_view(scene_cache.scene(path, dataset), spec, levels, plan, coarse=coarse)


@request(30, per_gb=10, doing="reading a pixel")
def pixel(path: str, dataset: str | None, row: int, col: int) -> Any:
    """``pixel.query_pixel`` at (row, col)."""
    from satview.core.pixel import locate, query_pixel

    scene = scene_cache.scene(path, dataset)
    return query_pixel(scene, *locate(scene, rowcol=(row, col)))


@request(30, per_gb=10, doing="reading a pixel")
def pixel_at(path: str, dataset: str | None, lonlat: tuple[float, float] | None = None,
             xy: tuple[float, float] | None = None) -> Any:
    """The PixelReport of the cell holding a lon/lat or map x/y point."""
    from satview.core.pixel import locate, query_pixel

    scene = scene_cache.scene(path, dataset)
    return query_pixel(scene, *locate(scene, lonlat=lonlat, xy=xy))


@request(10, doing="finding north on it")
def north(grid: Any, col: float, row: float) -> float | None:
    """``mapview.north_angle`` at grid position (col, row): asked in a worker because the first PROJ
    transformation costs a process some 50 ms (importing pyproj, opening PROJ's database), which
    on the GUI thread delayed the first picture and stalled the event loop."""
    return north_angle(grid, col, row)


@request(60, per_gb=20, doing="reprojecting the view", lane="background", latest_only=True)
def reproject_view(path: str, dataset: str | None, spec: Any, levels: Any, dst_crs: Any,
                   screen: tuple[int, int] = (1024, 1024), view: Any = None, grid: Any = None,
                   margin: float = 0.0) -> Any:
    """``mapview.render_reprojected``: the whole scene warped to ``dst_crs`` fitted to the screen, or
    (with ``view`` in pixels of the view's ``grid``) the visible part at screen resolution. Off the
    interactive lane (it can take long); a newer one supersedes this one."""
    return render_reprojected(scene_cache.scene(path, dataset), spec, levels, dst_crs, screen,
                              view=view, grid=grid, margin=margin)


@request(600, per_gb=120, doing="clipping it", lane="export")
def clip(path: str, dataset: str | None, aoi: Any, out_path: str, bands: list[str] | None = None,
         all_touched: bool = False, dst_crs: Any = None, cog: bool = False) -> Any:
    """``clip.clip_scene`` with progress and cancellation."""
    from satview.core.clip import clip_scene

    return clip_scene(scene_cache.scene(path, dataset), aoi, out_path, bands=bands, all_touched=all_touched,
                      dst_crs=dst_crs, cog=cog, progress=report_progress, should_cancel=should_cancel)


@request(120, per_gb=30, doing="writing a quick-look", lane="export")
def quicklook(path: str, dataset: str | None, spec: Any, levels: Any, out_path: str, size: int = 2048) -> Any:
    """A georeferenced quick-look PNG of what is displayed (composite, stretch, overlays)."""
    import numpy as np

    from satview.core.quicklook import quicklook_shape, quicklook_transform, save_quicklook
    from satview.core.render import render_array

    scene = scene_cache.scene(path, dataset)
    report_progress(0.05, "reading the overview")
    shape = quicklook_shape(scene.info.grid, size)
    rgba = render_array(scene, spec, levels, shape)
    if should_cancel():
        raise CancelledError("the quick-look export was cancelled", out_path)
    report_progress(0.7, "writing the PNG")
    names = tuple(spec.bands) if spec.mode != "index" else (str(spec.index),)
    legend = None
    if spec.mode != "rgb":  # a colour bar or the sea-ice swatches, as the CLI writes them
        from satview.core.quicklook import quicklook_legend
        from satview.core.render import levels_to_physical

        legend = quicklook_legend(scene, levels_to_physical(scene.info, spec, levels),
                                  band=spec.bands[0] if spec.mode == "band" else None,
                                  index=spec.index if spec.mode == "index" else None,
                                  cmap=None if spec.seaice else spec.cmap)
    result = save_quicklook(np.moveaxis(rgba, -1, 0), out_path, scene.info.grid.crs,
                            quicklook_transform(scene.info.grid, shape), names, levels, legend=legend)
    report_progress(1.0, "done")
    return result


@request(600, per_gb=120, doing="reprojecting it", lane="export")
def reproject(path: str, dataset: str | None, out_path: str, dst_crs: Any, bands: list[str] | None = None,
              resampling: str = "nearest", resolution: float | None = None) -> Any:
    """``reproject.reproject_scene`` with progress and cancellation."""
    from satview.core.reproject import reproject_scene

    scene = scene_cache.scene(path, dataset)
    return reproject_scene(scene, out_path, dst_crs, bands=bands, resampling=resampling,
                           resolution=resolution, progress=report_progress, should_cancel=should_cancel)


@request(60, per_gb=20, doing="measuring the ice", lane="export")
def extent_area(path: str, dataset: str | None = None) -> dict[str, Any]:
    """Sea-ice extent and area (``seaice.scene_extent_and_area``)."""
    from satview.core.seaice import scene_extent_and_area

    report_progress(0.1, "reading the concentration")
    out = scene_extent_and_area(scene_cache.scene(path, dataset))
    report_progress(1.0, "done")
    return out


@request(1800, doing="animating it", lane="export")
def animate(scenes: list[Any], out_path: str, what: Any, aoi: Any = None, fps: float = 2.0,
            size: int = 1024) -> str:
    """``stack.animate.write_animation`` (what ``satview animate`` runs) with progress per frame and
    cancellation between frames (the output appears only complete)."""
    from satview.core.stack.animate import write_animation

    def progress(fraction: float, date: str) -> None:
        if should_cancel():
            raise CancelledError("the animation export was cancelled", out_path)
        report_progress(fraction, f"frame of {date}")

    return str(write_animation(scenes, out_path, what, aoi=aoi, fps=fps, size=size, progress=progress))


@request(0, doing="reading its dates", lane="export")
def series_through_time(scenes: list[Any], quantity: Any, aoi: Any, lonlat: tuple[float, float] | None
                        ) -> list[dict[str, Any]]:
    """The Series dock's rows: ``stack.series.value_series`` of ``quantity`` over ``aoi`` or at
    ``lonlat``; ``quantity`` None: ``stack.seaice_series.seaice_series`` (extent and area, hemisphere-wide
    or inside ``aoi``). No deadline: a stack may hold years of dates."""
    if quantity is None:
        from satview.core.stack.seaice_series import seaice_series

        return seaice_series(scenes, aoi=aoi)
    from satview.core.stack.series import value_series

    return value_series(scenes, quantity, aoi=aoi, lonlat=lonlat)


@request(600, per_gb=120, doing="computing the change", lane="export")
def change_layer(before: str, after: str, quantity: Any, classes: str | None, grid: str, screen: Any,
                 max_size: int = COARSE_SIZE) -> Any:
    """The Compare dock's difference layer (``stack.change_view.ChangeLayer``): AFTER minus BEFORE of
    ``quantity`` (None: sea-ice concentration) with ``classes`` (``dnbr``, ``threshold:LOW,HIGH`` or
    None) on the ``grid`` of the date on screen (``before`` or ``after``), written to satview's cache
    and drawn at most ``max_size`` pixels across; ``screen`` is that scene's grid transform."""
    from satview.core.stack.change import write_change
    from satview.core.stack.change_view import ChangeLayer, change_file, change_picture

    out = change_file(before, after, quantity, classes, grid)
    result = write_change(before, after, quantity, out, grid=grid, scheme=_change_classes(classes, quantity))
    return ChangeLayer(result, *change_picture(out, quantity is None, screen, max_size))


@request(600, per_gb=120, doing="writing the change", lane="export")
def export_change(before: str, after: str, quantity: Any, classes: str | None, out: str) -> Any:
    """"Export change GeoTIFF...": ``stack.change.write_change`` of the compared dates on the BEFORE
    grid (its ``ChangeResult``)."""
    from satview.core.stack.change import write_change

    return write_change(before, after, quantity, out, scheme=_change_classes(classes, quantity))


def _change_classes(classes: str | None, quantity: Any) -> Any:
    """The ``ClassScheme`` of the Compare dock's ``classes`` text for ``quantity`` (None: sea ice)."""
    from satview.core.stack.classes import parse_classes

    return parse_classes(classes, quantity.label if quantity else "sea ice")


@request(0, doing="looking for dates in it")
def find_stacks(paths: list[str]) -> Any:
    """``stack.discover.find_stacks`` on files and folders: the StackDiscovery the timeline shows. No
    deadline: a folder of a thousand dates takes as long as reading their headers."""
    from satview.core.stack.discover import find_stacks as find

    return find(list(paths))


@request(600, doing="making the demo scene")
def demo_scene() -> str:
    """``demo.make_demo_scene`` (satview's own synthetic scene in the user cache, reused once made) with
    progress; its path. The app runs it when started without a file."""
    from satview.core.demo import make_demo_scene

    return str(make_demo_scene(progress=report_progress))
