"""The Series dock's requests: the value through time of the open stack for the selected AOI or
the last read pixel, computed by the core (``requests.series_through_time``) in the "export" worker.

What is plotted follows the display: the index, or the single band (an RGB composite: its red
band); a sea-ice display plots extent and area. Clicking a date steps the stack there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from satview.core import requests
from satview.core.pixel import PixelReport
from satview.core.render import DisplaySpec
from satview.errors import SatviewError
from satview.qt.aoi_store import AoiStore
from satview.qt.panels.series import SeriesPanel
from satview.qt.session import Session, guard
from satview.qt.stacks import StackBrowser


def display_quantity(spec: DisplaySpec | None) -> Any:
    """The core Quantity of a display: its index, or its (first, for a composite the red) band;
    None for sea ice (extent and area, or the concentration difference)."""
    from satview.core.stack.quantity import parse_quantity

    if spec is None or spec.seaice:
        return None
    if spec.mode == "index" and spec.index:
        return parse_quantity(spec.index, None)
    return parse_quantity(None, spec.bands[0])


class TimeSeries(QObject):
    """Fills ``panel`` for the stack of ``stacks``; ``selected_aoi()`` gives the highlighted AOI id."""

    def __init__(self, session: Session, aois: AoiStore, stacks: StackBrowser, panel: SeriesPanel,
                 selected_aoi: Callable[[], int | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = session.background
        self.session, self.aois, self.stacks, self.panel = session, aois, stacks, panel
        self.selected_aoi = selected_aoi
        self.last_pixel: PixelReport | None = None
        session.sig_pixel.connect(self._pixel)
        panel.sig_plot_aoi.connect(self.plot_aoi)
        panel.sig_plot_point.connect(self.plot_point)
        panel.sig_date_clicked.connect(stacks.step_to)
        stacks.sig_date_changed.connect(panel.mark)
        stacks.sig_stack_changed.connect(lambda _stack: panel.clear())

    @property
    def scene_path(self) -> str | None:
        """The file on screen (errors name it)."""
        return self.session.path

    def _pixel(self, report: PixelReport) -> None:
        self.last_pixel = report

    def _quantity(self) -> tuple[Any, str]:
        """(core Quantity or None for sea ice, its label) of the display on screen."""
        if self.session.display is None:
            raise SatviewError("no scene is open; open a stack first")
        q = display_quantity(self.session.display)
        return q, q.label if q is not None else "sea-ice extent and area"

    @guard("Cannot plot the series")
    def plot_aoi(self) -> None:
        """Plot the selected AOI through time (sea ice without an AOI: the hemisphere)."""
        quantity, label = self._quantity()
        aoi_id = self.selected_aoi()
        if aoi_id is None and quantity is not None:
            raise SatviewError("select or draw an AOI first (P), then plot it through time")
        aoi = self.aois.aoi(aoi_id) if aoi_id is not None else None
        where = aoi.name if aoi is not None else "the hemisphere"
        self._run(quantity, aoi, None, f"{label}, {where}")

    @guard("Cannot plot the series")
    def plot_point(self) -> None:
        """Plot the pixel of the last cursor readout through time."""
        quantity, label = self._quantity()
        p = self.last_pixel
        if p is None or p.lon is None or p.lat is None:
            raise SatviewError("read a pixel first (click the canvas), then plot it through time")
        if quantity is None:
            raise SatviewError("sea ice is plotted for the hemisphere or an AOI, not one cell")
        self._run(quantity, None, (p.lon, p.lat), f"{label} at lon {p.lon:.4f}, lat {p.lat:.4f}")

    def _run(self, quantity: Any, aoi: Any, lonlat: tuple[float, float] | None, title: str) -> None:
        stack = self.stacks.stack
        if stack is None:
            raise SatviewError("open a folder or several files of one place to plot them through time")
        unit = "km²" if quantity is None else quantity.label

        def done(rows: list[dict[str, Any]]) -> None:
            self.panel.show_rows(f"{title} ({len(rows)} dates)", rows, unit)
            self.panel.mark(self.stacks.current)

        self.background.run("export", requests.series_through_time, list(stack.scenes), quantity, aoi, lonlat,
                            done=done, title="Cannot plot the series", path=stack.scenes[0].path,
                            busy=f"Computing {title} through time…")
