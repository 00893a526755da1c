"""The band panel: composite, single band or index, colour map, stretch, histogram, QA overlays, sea ice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from satview.core.colormap import COLORMAPS, colormap
from satview.core.composite import available_presets
from satview.core.indices import INDICES, index_bands
from satview.core.qa import flag_names
from satview.core.qa_render import qa_color
from satview.core.render import DisplaySpec
from satview.core.stretch import STRETCH_MODES, Levels, Stretch
from satview.qt.panels.histogram import frame_plot, histogram_plot, plot_histograms
from satview.qt.panels.seaice import SeaIceBox, swatch

_STRETCH_TITLES = {"percentile": "Percentile", "minmax": "Min-max", "stddev": "Std-dev", "none": "Full range"}


def colorbar_pixmap(name: str, width: int = 256, height: int = 14) -> QPixmap:
    """A horizontal colour bar of colour map ``name``."""
    lut = np.ascontiguousarray(colormap(name)[:, :3], dtype=np.uint8)
    row = lut[np.linspace(0, 255, width).astype(int)]
    img = np.ascontiguousarray(np.repeat(row[np.newaxis], height, axis=0))
    qimg = QImage(img.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimg)


def _num(v: float) -> str:
    """A limit for people: 12,345 (not 1.234e+04) for large DN, 4 significant digits otherwise."""
    return f"{v:,.0f}" if abs(v) >= 10_000 else f"{v:.4g}"


def _hist_bands(hist: Any) -> list[Any]:
    """The per-band entries of a HistogramData."""
    return [] if hist is None else list(hist.bands)


class BandsPanel(QWidget):
    """Controls what the canvas shows; every change goes to ``session.set_display``/``set_levels``.

    Mirrors ``sig_display_changed`` so it always shows what is in force.
    """

    sig_units_changed = Signal(bool)  # True: readout in physical units, False: DN only

    def __init__(self, session: Any, exports: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.exports = exports
        self.info: Any = None
        self.spec: Any = None
        self.levels: Levels | None = None
        self.hist: Any = None
        self._qa_boxes: dict[str, QListWidgetItem] = {}
        self._build()
        session.sig_scene_opened.connect(self.set_scene)
        session.sig_display_changed.connect(self.show_display)
        session.sig_histogram.connect(self.show_histogram)
        self.setEnabled(False)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        modes = QHBoxLayout()
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QRadioButton] = {}
        for key, title in (("rgb", "RGB"), ("band", "Single band"), ("index", "Index")):
            b = QRadioButton(title)
            self.mode_group.addButton(b)
            self.mode_buttons[key] = b
            modes.addWidget(b)
            b.toggled.connect(lambda on, k=key: on and self._mode_chosen(k))
        outer.addLayout(modes)

        self.stack = QStackedWidget()
        rgb = QWidget()
        f = QFormLayout(rgb)
        f.setContentsMargins(0, 0, 0, 0)
        self.preset = QComboBox()
        self.preset.activated.connect(self._preset_chosen)
        f.addRow("Preset", self.preset)
        self.rgb_combos = [QComboBox(), QComboBox(), QComboBox()]
        for label, combo in zip(("Red", "Green", "Blue"), self.rgb_combos, strict=True):
            combo.activated.connect(self._rgb_chosen)
            f.addRow(label, combo)
        self.stack.addWidget(rgb)

        single = QWidget()
        f = QFormLayout(single)
        f.setContentsMargins(0, 0, 0, 0)
        self.band = QComboBox()
        self.band.activated.connect(lambda _i: self._emit_display())
        f.addRow("Band", self.band)
        self.index = QComboBox()
        self.index.activated.connect(self._index_chosen)
        self.index_row_label = QLabel("Index")
        f.addRow(self.index_row_label, self.index)
        self.cmap = QComboBox()
        self.cmap.addItems(COLORMAPS)
        self.cmap.activated.connect(lambda _i: self._emit_display())
        f.addRow("Colour map", self.cmap)
        self.colorbar = QLabel()
        self.colorbar.setScaledContents(True)
        self.colorbar.setFixedHeight(14)
        self.colorbar_range = QLabel("")
        f.addRow("", self.colorbar)
        f.addRow("", self.colorbar_range)
        self.single_form = f
        self.stack.addWidget(single)
        outer.addWidget(self.stack)
        self.ice_group = SeaIceBox(self.exports)  # above the stretch: its extent result shows unscrolled
        self.ice_legend = self.ice_group.legend
        self.extent_button, self.extent_label = self.ice_group.extent_button, self.ice_group.extent_label
        outer.addWidget(self.ice_group)

        sg = QGroupBox("Stretch")
        self.stretch_group = sg
        g = QGridLayout(sg)
        self.stretch_mode = QComboBox()
        for m in STRETCH_MODES:
            self.stretch_mode.addItem(_STRETCH_TITLES.get(m, m), m)
        self.stretch_mode.activated.connect(lambda _i: self._emit_display())
        self.low = self._spin(0, 100, 2.0, 0.5, "Low percentile")
        self.high = self._spin(0, 100, 98.0, 0.5, "High percentile")
        self.n_std = self._spin(0.1, 10, 2.0, 0.5, "Standard deviations")
        self.gamma = self._spin(0.1, 5, 1.0, 0.1, "Gamma")
        self.linked = QCheckBox("Linked")
        self.linked.setToolTip("One pair of limits for all three bands (keeps colour balance)")
        self.linked.toggled.connect(lambda _o: self._emit_display())
        g.addWidget(QLabel("Mode"), 0, 0)
        g.addWidget(self.stretch_mode, 0, 1, 1, 3)
        g.addWidget(QLabel("Low/high %"), 1, 0)
        g.addWidget(self.low, 1, 1)
        g.addWidget(self.high, 1, 2)
        g.addWidget(QLabel("σ"), 2, 0)
        g.addWidget(self.n_std, 2, 1)
        g.addWidget(QLabel("γ"), 2, 2, Qt.AlignmentFlag.AlignRight)
        g.addWidget(self.gamma, 2, 3)
        g.addWidget(self.linked, 1, 3)
        outer.addWidget(sg)

        self.plot = histogram_plot()
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(255, 255, 255, 30))
        self.region.setZValue(10)
        self.region.sigRegionChangeFinished.connect(self._region_moved)
        self.plot.addItem(self.region)
        hrow = QHBoxLayout()
        hrow.addWidget(QLabel("Limits of"))
        self.hist_band = QComboBox()
        self.hist_band.setToolTip("Which band the draggable limits set (all bands when linked)")
        self.hist_band.activated.connect(lambda _i: self._place_region())
        hrow.addWidget(self.hist_band, 1)
        self.units = QCheckBox("Physical units")
        self.units.setChecked(True)
        self.units.setToolTip("Cursor readout in physical units (reflectance, K, %) or raw DN only")
        self.units.toggled.connect(self.sig_units_changed.emit)
        hrow.addWidget(self.units)
        outer.addLayout(hrow)
        outer.addWidget(self.plot)
        self.levels_label = QLabel("")
        self.levels_label.setWordWrap(True)
        outer.addWidget(self.levels_label)

        self.qa_group = QGroupBox("QA overlay")
        qv = QFormLayout(self.qa_group)
        self.qa_band = QComboBox()
        self.qa_band.activated.connect(self._qa_band_chosen)
        self.qa_list = QListWidget()
        self.qa_list.setMaximumHeight(150)
        self.qa_list.itemChanged.connect(lambda _it: self._emit_display())
        qv.addRow("QA band", self.qa_band)
        qv.addRow(self.qa_list)
        outer.addWidget(self.qa_group)

        outer.addStretch(1)

    def _spin(self, lo: float, hi: float, value: float, step: float, tip: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(lo, hi)
        s.setDecimals(2)
        s.setSingleStep(step)
        s.setValue(value)
        s.setToolTip(tip)
        s.setKeyboardTracking(False)
        s.valueChanged.connect(lambda _v: self._emit_display())
        return s

    # ------------------------------------------------------------------ scene
    def set_scene(self, info: Any) -> None:
        """Fill the combos for a newly opened scene."""
        self.info = info
        self.setEnabled(True)
        names = [b.name for b in info.bands]
        shown = [b.name for b in info.bands if b.role not in ("qa", "angle")] or names
        with QSignalBlocker(self.preset):
            self.preset.clear()
            for p in available_presets(info):
                self.preset.addItem(p.title, p.key)
                self.preset.setItemData(self.preset.count() - 1, p.description, Qt.ItemDataRole.ToolTipRole)
            self.preset.addItem("Custom", None)
        for c in (*self.rgb_combos, self.band):
            with QSignalBlocker(c):
                c.clear()
                c.addItems(shown)
        with QSignalBlocker(self.index):
            self.index.clear()
            for key, idx in INDICES.items():
                try:
                    index_bands(info, key)
                except Exception:  # an index the scene lacks bands for is left out of the list
                    continue
                self.index.addItem(f"{key.upper()}: {idx.title}", key)
        self.mode_buttons["rgb"].setEnabled(len(shown) >= 3)
        self.mode_buttons["index"].setEnabled(self.index.count() > 0)
        self._build_qa(info)
        self.ice_group.set_scene(info)

    def _build_qa(self, info: Any) -> None:
        qa_bands = [b for b in info.bands if b.qa]
        self.qa_group.setVisible(bool(qa_bands))
        with QSignalBlocker(self.qa_band):
            self.qa_band.clear()
            for b in qa_bands:
                self.qa_band.addItem(b.name, b.qa)
        self._qa_boxes = {}
        self.qa_list.clear()
        if qa_bands:
            self._fill_qa_flags(qa_bands[0].qa)

    def _fill_qa_flags(self, key: str) -> None:
        with QSignalBlocker(self.qa_list):
            self.qa_list.clear()
            self._qa_boxes = {}
            for name in flag_names(key):
                item = QListWidgetItem(QIcon(swatch(qa_color(name))), name.replace("_", " "))
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.qa_list.addItem(item)
                self._qa_boxes[name] = item

    def checked_qa_flags(self) -> tuple[str, ...]:
        """QA flags ticked for the overlay."""
        return tuple(n for n, it in self._qa_boxes.items() if it.checkState() == Qt.CheckState.Checked)

    def set_qa_flag(self, name: str, on: bool) -> None:
        """Tick or untick one overlay flag (as a click would)."""
        self._qa_boxes[name].setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _qa_band_chosen(self, _i: int) -> None:
        self._fill_qa_flags(self.qa_band.currentData())
        self._emit_display()

    # ------------------------------------------------------------------ display in force
    def show_display(self, spec: Any, levels: Any) -> None:
        """Show the display spec and levels now in force, without sending anything back."""
        self.spec, self.levels = spec, levels
        blockers = [QSignalBlocker(w) for w in (
            self.preset, *self.rgb_combos, self.band, self.index, self.cmap, self.stretch_mode,
            self.low, self.high, self.n_std, self.gamma, self.linked, *self.mode_buttons.values(),
            self.qa_list,
        )]  # fmt: skip
        mode = spec.mode if spec.mode in self.mode_buttons else "rgb"
        self.mode_buttons[mode].setChecked(True)
        self._show_mode(mode)
        if spec.mode == "rgb":
            i = self.preset.findData(spec.preset) if spec.preset else self.preset.count() - 1
            self.preset.setCurrentIndex(max(0, i))
            for combo, name in zip(self.rgb_combos, spec.bands, strict=False):
                combo.setCurrentText(name)
        elif spec.mode == "band" and spec.bands:
            self.band.setCurrentText(spec.bands[0])
        elif spec.mode == "index" and spec.index:
            self.index.setCurrentIndex(max(0, self.index.findData(spec.index)))
        self.cmap.setCurrentText(spec.cmap)
        st = spec.stretch
        self.stretch_mode.setCurrentIndex(max(0, self.stretch_mode.findData(st.mode)))
        self.low.setValue(st.low)
        self.high.setValue(st.high)
        self.n_std.setValue(st.n_std)
        self.gamma.setValue(st.gamma)
        self.linked.setChecked(st.linked)
        for name, item in self._qa_boxes.items():
            on = name in tuple(spec.qa_flags or ())
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        del blockers
        self._update_stretch_enabled()
        self._update_colorbar()
        self._update_hist_band_combo()
        self._place_region()
        if levels is not None:
            self._show_levels_text()

    def _show_levels_text(self) -> None:
        levels = self.levels if self.levels is not None else getattr(self.hist, "levels", None)
        if levels is None:
            return
        lv = ", ".join(f"{_num(lo)}–{_num(hi)}" for lo, hi in zip(levels.lo, levels.hi, strict=False))
        src = f"  ({self.levels.source})" if self.levels is not None and self.levels.source else ""
        self.levels_label.setText(f"Limits: {lv}{src}")

    def _show_mode(self, mode: str) -> None:
        self.stack.setCurrentIndex(0 if mode == "rgb" else 1)
        single = mode == "band"
        self.single_form.setRowVisible(self.band, single)
        self.single_form.setRowVisible(self.index, not single)

    def _update_stretch_enabled(self) -> None:
        """Only the controls that change the picture are enabled: sea ice is always drawn 0-100 %."""
        fixed = bool(self.spec is not None and self.spec.seaice and self.current_mode() == "band")
        self.stretch_group.setEnabled(not fixed)
        self.stretch_group.setToolTip("Sea-ice concentration is always drawn 0-100 %" if fixed else "")
        self.region.setMovable(not fixed)
        mode = self.stretch_mode.currentData()
        self.low.setEnabled(mode == "percentile")
        self.high.setEnabled(mode == "percentile")
        self.n_std.setEnabled(mode == "stddev")
        self.linked.setEnabled(self.current_mode() == "rgb")

    def _update_colorbar(self) -> None:
        try:
            self.colorbar.setPixmap(colorbar_pixmap(self.cmap.currentText()))
        except Exception:  # a colour map without a bar shows none, never breaks the panel
            self.colorbar.clear()
        levels = self.levels if self.levels is not None else getattr(self.hist, "levels", None)
        if levels is not None and levels.lo:
            unit = self.hist.bands[0].unit if self.hist is not None and self.hist.bands else ""
            self.colorbar_range.setText(f"{_num(levels.lo[0])}  …  {_num(levels.hi[0])} {unit}")

    def current_mode(self) -> str:
        """ "rgb", "band" or "index" as chosen in the panel."""
        for key, b in self.mode_buttons.items():
            if b.isChecked():
                return key
        return "rgb"

    # ------------------------------------------------------------------ user changes
    def _mode_chosen(self, mode: str) -> None:
        self._show_mode(mode)
        if mode == "index" and self.index.currentData():
            self.cmap.setCurrentText(INDICES[self.index.currentData()].default_cmap)
        self._emit_display()

    def _preset_chosen(self, _i: int) -> None:
        key = self.preset.currentData()
        if key is None:
            return
        self._emit_display(preset=key)

    def _rgb_chosen(self, _i: int) -> None:
        with QSignalBlocker(self.preset):
            self.preset.setCurrentIndex(self.preset.count() - 1)
        self._emit_display()

    def _index_chosen(self, _i: int) -> None:
        key = self.index.currentData()
        if key:
            self.cmap.setCurrentText(INDICES[key].default_cmap)
        self._emit_display()

    def current_stretch(self) -> Stretch:
        """The stretch the controls describe (falls back to the last valid one)."""
        try:
            return Stretch(
                mode=self.stretch_mode.currentData(), low=self.low.value(), high=self.high.value(),
                n_std=self.n_std.value(), gamma=self.gamma.value(), linked=self.linked.isChecked(),
            )  # fmt: skip
        except Exception:  # half-typed limits keep the current stretch until they are complete
            return self.spec.stretch if self.spec is not None else Stretch()

    def build_spec(self, preset: str | None = None) -> Any:
        """The DisplaySpec the controls describe."""
        mode = self.current_mode()
        qa_flags = self.checked_qa_flags()
        common: dict[str, Any] = {
            "mode": mode, "cmap": self.cmap.currentText(), "stretch": self.current_stretch(),
            "qa_flags": qa_flags, "qa_band": self.qa_band.currentText() if qa_flags else None,
            "seaice": bool(self.spec is not None and self.spec.seaice and mode == "band"),
        }  # fmt: skip
        if mode == "rgb":
            if preset is None and self.preset.currentData() is not None:
                preset = self.preset.currentData()
            bands = tuple(c.currentText() for c in self.rgb_combos)
            if preset is not None:
                from satview.core.composite import resolve_preset

                bands = resolve_preset(self.info, preset)
            return DisplaySpec(bands=bands, preset=preset, **common)
        if mode == "band":
            return DisplaySpec(bands=(self.band.currentText(),), **common)
        return DisplaySpec(index=self.index.currentData(), **common)

    def _emit_display(self, preset: str | None = None) -> None:
        if self.info is None:
            return
        self._update_stretch_enabled()
        self._update_colorbar()
        self.session.set_display(self.build_spec(preset))

    # ------------------------------------------------------------------ histogram
    def show_histogram(self, hist: Any) -> None:
        """Draw the per-band histograms of the overview."""
        self.hist = hist
        entries = _hist_bands(hist)
        plot_histograms(self.plot, entries)
        self._frame_histogram(entries)
        self._update_hist_band_combo()
        self._place_region()
        self._show_levels_text()
        self._update_colorbar()

    def _frame_histogram(self, entries: list[Any]) -> None:
        """Set the plot's range from the data at once (what auto-range would pick, padding included).

        pyqtgraph's auto-range runs lazily at paint time and changes the range, which repaints the
        plot again (and its axis) before the first picture settles: one range, one paint.
        """
        frame_plot(self.plot, entries)
        self._settle_region()

    def _settle_region(self) -> None:
        """Compute the limits region's bounds now (pyqtgraph does it lazily in the paint, where a
        changed bound calls prepareGeometryChange and so asks for a second paint of the plot)."""
        for item in (self.region, *self.region.lines):
            item.boundingRect()

    def _update_hist_band_combo(self) -> None:
        names = [getattr(h, "name", f"band {i + 1}") for i, h in enumerate(_hist_bands(self.hist))]
        if self.linked.isChecked() or len(names) <= 1:
            names = ["all bands"] if len(names) != 1 else names
        current = self.hist_band.currentText()
        with QSignalBlocker(self.hist_band):
            self.hist_band.clear()
            self.hist_band.addItems(names)
            if current in names:
                self.hist_band.setCurrentText(current)

    def _active_band(self) -> int | None:
        """Index of the band whose limits the region edits, or None for all bands."""
        if self.hist_band.currentText() == "all bands":
            return None
        return max(0, self.hist_band.currentIndex())

    def _entry_limits(self, i: int) -> tuple[float, float] | None:
        entries = _hist_bands(self.hist)
        if not entries:
            return None
        levels = self.levels if self.levels is not None else getattr(self.hist, "levels", None)
        if levels is not None and levels.lo:
            j = min(i, len(levels.lo) - 1)
            return float(levels.lo[j]), float(levels.hi[j])
        h = entries[min(i, len(entries) - 1)]
        return float(h.lo), float(h.hi)

    def _place_region(self) -> None:
        lim = self._entry_limits(self._active_band() or 0)
        self.region.setVisible(lim is not None)
        if lim is not None:
            with QSignalBlocker(self.region):
                self.region.setRegion(lim)
            self._settle_region()

    def _region_moved(self) -> None:
        """Dragged limits (physical units, as on the histogram) → ``session.set_levels``."""
        if self.hist is None or self.spec is None or self.info is None:
            return
        lo_p, hi_p = self.region.getRegion()
        phys = self.levels if self.levels is not None else self.hist.levels
        lo, hi = list(phys.lo), list(phys.hi)
        active = self._active_band()
        for i in range(len(lo)) if active is None else [active]:
            if i < len(lo):
                lo[i], hi[i] = float(lo_p), float(hi_p)
        new = Levels(tuple(lo), tuple(hi), phys.gamma, "manual")
        self.session.set_levels(new)
