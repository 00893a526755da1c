"""The projection panel: scene CRS facts, the cursor readout, go-to lon/lat and the target CRS chooser."""

from __future__ import annotations

import math
import threading
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from satview.core.geo import crs_name, epsg_of, parse_crs

#: Target CRS presets: (label, user input for parse_crs).
CRS_PRESETS: list[tuple[str, str]] = [
    ("EPSG:3338 Alaska Albers", "EPSG:3338"),
    ("EPSG:3411 NSIDC Sea Ice Polar Stereographic North (Hughes)", "EPSG:3411"),
    ("EPSG:3413 NSIDC Sea Ice Polar Stereographic North", "EPSG:3413"),
    ("EPSG:3976 NSIDC Sea Ice Polar Stereographic South", "EPSG:3976"),
    ("EPSG:4326 WGS 84 (lon/lat)", "EPSG:4326"),
]
_SEARCH_LIMIT = 300
#: Widest footprint (degrees of longitude) for which the scene's UTM zone is offered: a UTM zone
#: is 6 degrees wide and distorts quickly beyond its neighbours, so pan-Arctic grids get none.
UTM_MAX_SPAN_DEG = 18.0


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone holding (lon, lat)."""
    zone = min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1))
    return (32600 if lat >= 0 else 32700) + zone


def describe_crs(crs: Any) -> str:
    """``crs_name``, with the projection method instead of "unknown" for PROJ strings without a name
    ("Albers Equal Area (EPSG:3338)")."""
    name = crs_name(crs)
    if not name.startswith("unknown"):
        return name
    from pyproj import CRS as ProjCRS

    try:
        method = ProjCRS.from_wkt(crs.to_wkt()).coordinate_operation.method_name
    except Exception:  # a display nicety: any PROJ failure keeps the plain name
        return name
    return name.replace("unknown", method, 1) if method else name


def _crs_catalogue() -> list[tuple[str, str]]:
    """(auth:code, name) of every CRS in the PROJ database (cached on first use)."""
    global _CATALOGUE
    with _CATALOGUE_LOCK:
        if _CATALOGUE is None:
            from pyproj.database import query_crs_info

            rows = [(f"{i.auth_name}:{i.code}", i.name) for i in query_crs_info() if not i.deprecated]
            _CATALOGUE = sorted(rows, key=lambda r: (r[0].split(":")[0] != "EPSG", r[1]))
        return _CATALOGUE


_CATALOGUE: list[tuple[str, str]] | None = None
_CATALOGUE_LOCK = threading.Lock()


class CrsChooser(QWidget):
    """Pick a CRS: "scene CRS", presets, the scene's UTM zone, custom text, or a PROJ database search.

    ``crs()`` is the chosen ``rasterio.crs.CRS`` or None (= the scene's own CRS); invalid custom
    text is reported under the box and ``crs()`` raises ``CRSError``.
    """

    sig_crs_changed = Signal(object)  # CRS or None

    def __init__(
        self, parent: QWidget | None = None, *, none_label: str = "Scene CRS (no reprojection)"
    ) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        # long CRS names are elided in the closed box and shown whole in the list and the tooltip
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.combo.currentTextChanged.connect(self.combo.setToolTip)
        self.combo.addItem(none_label, None)
        for label, text in CRS_PRESETS:
            self.combo.addItem(label, text)
        self._utm_index = -1
        self.combo.addItem("Custom (EPSG code, PROJ string or WKT)", "custom")
        self.custom = QLineEdit()
        self.custom.setPlaceholderText("e.g. 32633, +proj=laea +lat_0=90 ..., or search below")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Search the PROJ database (name or code)")
        self.results = QListWidget()
        self.results.setMaximumHeight(110)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.custom)
        layout.addWidget(self.filter)
        layout.addWidget(self.results)
        layout.addWidget(self.status)
        self._loader: threading.Thread | None = None
        self._search_timer = QTimer(self, singleShot=True, interval=200)
        self._search_timer.timeout.connect(self._search)
        self.combo.activated.connect(self._combo_chosen)
        self.custom.editingFinished.connect(self._custom_edited)
        self.filter.textChanged.connect(lambda _t: self._search_timer.start())
        self.results.itemActivated.connect(self._result_chosen)
        self.results.itemClicked.connect(self._result_chosen)
        self._show_custom(False)
        self._fit_popup()

    def set_scene(self, info: Any) -> None:
        """Offer the scene's UTM zone (from its centre) among the presets, when the scene is narrow
        enough for one (not for pan-Arctic or global grids)."""
        if self._utm_index >= 0:
            self.combo.removeItem(self._utm_index)
            self._utm_index = -1
        fp = getattr(info, "footprint", None)
        if fp is None:
            return
        west, south, east, north = fp.bounds
        if east - west > UTM_MAX_SPAN_DEG or north > 84.0 or south < -80.0:
            return
        c = fp.centroid
        code = utm_epsg(c.x, c.y)
        hemi = "N" if code < 32700 else "S"
        self._utm_index = self.combo.count() - 1
        self.combo.insertItem(
            self._utm_index, f"EPSG:{code} the scene's UTM zone {code % 100}{hemi}", f"EPSG:{code}"
        )
        self._fit_popup()

    def _fit_popup(self) -> None:
        """Let the drop-down list be as wide as its longest name."""
        view = self.combo.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24)

    def _show_custom(self, on: bool) -> None:
        for w in (self.custom, self.filter, self.results):
            w.setVisible(on)

    def _combo_chosen(self, _i: int) -> None:
        data = self.combo.currentData()
        self._show_custom(data == "custom")
        if data == "custom":
            self.custom.setFocus()
            if self.custom.text().strip():
                self._custom_edited()
            return
        self.status.setText("")
        self.sig_crs_changed.emit(self.crs())

    def _custom_edited(self) -> None:
        try:
            crs = self.crs()
        except Exception as exc:  # the typed CRS text is the user's: its error is shown inline
            self.status.setText(f"<span style='color:#d33'>{exc}</span>")
            return
        if crs is not None:
            self.status.setText(describe_crs(crs))
            self.sig_crs_changed.emit(crs)

    def _search(self) -> None:
        text = self.filter.text().strip().lower()
        self.results.clear()
        if len(text) < 2:
            return
        if _CATALOGUE is None:  # the first query takes ~0.3 s of CPU: never on the GUI thread
            if self._loader is None:
                self._loader = threading.Thread(target=_crs_catalogue, name="crs-catalogue", daemon=True)
                self._loader.start()
            self.status.setText("Loading the PROJ database...")
            self._search_timer.start()
            return
        if self._loader is not None:
            self.status.setText("")
            self._loader = None
        n = 0
        for code, name in _crs_catalogue():
            if text in name.lower() or text in code.lower():
                item = QListWidgetItem(f"{code}  {name}")
                item.setData(Qt.ItemDataRole.UserRole, code)
                self.results.addItem(item)
                n += 1
                if n >= _SEARCH_LIMIT:
                    break

    def _result_chosen(self, item: QListWidgetItem) -> None:
        self.custom.setText(item.data(Qt.ItemDataRole.UserRole))
        self._custom_edited()

    def set_text(self, text: str) -> None:
        """Choose a custom CRS by text (EPSG code, PROJ string, WKT)."""
        self.combo.setCurrentIndex(self.combo.findData("custom"))
        self._show_custom(True)
        self.custom.setText(text)
        self._custom_edited()

    def crs(self) -> Any:
        """The chosen CRS, or None for the scene's own; CRSError for bad custom text."""
        data = self.combo.currentData()
        if data is None:
            return None
        if data == "custom":
            text = self.custom.text().strip()
            return parse_crs(text) if text else None
        return parse_crs(data)


class WktDialog(QDialog):
    """Shows a CRS as pretty WKT."""

    def __init__(self, crs: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scene CRS (WKT)")
        self.resize(640, 480)
        self.text = QPlainTextEdit(self.wkt(crs))
        self.text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        layout.addWidget(close)


    @staticmethod
    def wkt(crs: Any) -> str:
        """Multi-line WKT2 of a rasterio CRS ("no CRS" for None)."""
        if crs is None:
            return "no CRS (pixel grid only)"
        from pyproj import CRS as ProjCRS

        try:
            return ProjCRS.from_wkt(crs.to_wkt()).to_wkt(pretty=True)
        except Exception:  # a display nicety: any PROJ failure shows the plain WKT
            return crs.to_wkt()


def unit_name(crs: Any) -> str:
    """Short name of a grid's unit: "m", "ft", "°" ("" without a CRS)."""
    if crs is None:
        return ""
    try:
        unit = crs.linear_units if crs.is_projected else "degree"
    except Exception:  # a display nicety: no unit label when PROJ cannot tell
        return ""
    return {"metre": "m", "meter": "m", "degree": "°", "foot": "ft", "US survey foot": "ftUS"}.get(unit, unit)


def fmt_length(v: float, unit: str) -> str:
    """A coordinate or length for people: "3,963,280 m", "25,000 m", "30 m", "0.0025°", "-45.5°"."""
    if not math.isfinite(v):
        return "—"
    if unit == "°":
        return f"{v:.6f}".rstrip("0").rstrip(".") + "°"
    text = f"{v:,.0f}" if abs(v) >= 1000 or float(v).is_integer() else f"{v:,.3f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".rstrip()


def _fmt(v: Any, digits: int = 6) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if math.isfinite(v) else "—"
    return str(v)


class ProjectionPanel(QWidget):
    """Scene CRS facts, the cursor readout table, go-to lon/lat and "reproject view"."""

    sig_locate_requested = Signal(float, float)  # lon, lat

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.info: Any = None
        self.physical = True
        self.last_report: Any = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)

        facts = QGroupBox("Scene grid")
        f = QFormLayout(facts)
        self.crs_label = QLabel("—")
        self.crs_label.setWordWrap(True)
        self.crs_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.epsg_label = QLabel("—")
        self.res_label = QLabel("—")
        self.size_label = QLabel("—")
        self.extent_label = QLabel("—")
        self.extent_label.setWordWrap(True)
        wkt = QPushButton("WKT...")
        wkt.clicked.connect(self.show_wkt)
        f.addRow("CRS", self.crs_label)  # a row of its own: long names wrap instead of being cut
        epsg_row = QHBoxLayout()
        epsg_row.addWidget(self.epsg_label, 1)
        epsg_row.addWidget(wkt)
        f.addRow("EPSG", epsg_row)
        f.addRow("Pixel size", self.res_label)
        f.addRow("Size", self.size_label)
        f.addRow("Extent", self.extent_label)
        outer.addWidget(facts)

        cur = QGroupBox("Cursor")
        cv = QVBoxLayout(cur)
        self.where = QTableWidget(3, 2)
        self.where.setHorizontalHeaderLabels(["", ""])
        self.where.horizontalHeader().setVisible(False)
        self.where.verticalHeader().setVisible(False)
        self.where.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for i, name in enumerate(("Map x, y", "Lon, lat", "Row, col")):
            self.where.setItem(i, 0, QTableWidgetItem(name))
            self.where.setItem(i, 1, QTableWidgetItem("—"))
        self.where.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.where.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.where.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.where.resizeRowsToContents()
        # all three rows, whatever the style's row height
        self.where.setFixedHeight(self.where.verticalHeader().length() + 2 * self.where.frameWidth())
        cv.addWidget(self.where)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Band", "DN", "Value", "Unit", "Flags / QA"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)  # long QA flag lists wrap in their cell instead of being cut
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the wrapped rows follow the flag column's width (the dock scrolls, so it may narrow later)
        self.table.horizontalHeader().sectionResized.connect(
            lambda col, _old, _new: col == 4 and self.table.resizeRowsToContents())
        self.table.setMinimumHeight(150)
        cv.addWidget(self.table, 1)
        goto = QHBoxLayout()
        self.goto = QLineEdit()
        self.goto.setPlaceholderText("lon, lat  (e.g. -117.5, 36.2)")
        self.goto.returnPressed.connect(self._goto)
        go = QPushButton("Go to")
        go.clicked.connect(self._goto)
        goto.addWidget(self.goto, 1)
        goto.addWidget(go)
        cv.addLayout(goto)
        self.goto_status = QLabel("")
        cv.addWidget(self.goto_status)
        outer.addWidget(cur, 1)

        tgt = QGroupBox("Target CRS")
        tv = QVBoxLayout(tgt)
        self.chooser = CrsChooser()
        tv.addWidget(self.chooser)
        self.reproject = QCheckBox("Reproject view")
        self.reproject.setToolTip("Show the scene warped to the target CRS (computed in the background)")
        self.reproject.toggled.connect(self._reproject_toggled)
        self.chooser.sig_crs_changed.connect(
            lambda _c: self.reproject.isChecked() and self._reproject_toggled(True)
        )
        tv.addWidget(self.reproject)
        outer.addWidget(tgt)

        session.sig_scene_opened.connect(self.set_scene)
        session.sig_pixel.connect(self.show_pixel)

    def set_scene(self, info: Any) -> None:
        """Show the facts of a newly opened scene."""
        self.info = info
        g = info.grid
        self.crs_label.setText(crs_name(g.crs))
        code = epsg_of(g.crs)
        self.epsg_label.setText(str(code) if code else "—")
        unit = unit_name(g.crs)
        rx, ry = fmt_length(g.res[0], unit), fmt_length(g.res[1], unit)
        self.res_label.setText(rx if rx == ry else f"{rx} x {ry}")
        n = len(info.bands)
        self.size_label.setText(f"{g.width:,} x {g.height:,} pixels, {n} band{'' if n == 1 else 's'}")
        w, s, e, n = g.bounds
        self.extent_label.setText(f"W {fmt_length(w, unit)}   E {fmt_length(e, unit)}\n"
                                  f"S {fmt_length(s, unit)}   N {fmt_length(n, unit)}")
        self.chooser.set_scene(info)
        # the session keeps reprojecting a newly opened scene: the box says so
        with_block = self.reproject.blockSignals(True)
        self.reproject.setChecked(getattr(self.session, "reprojection", None) is not None)
        self.reproject.blockSignals(with_block)
        self.last_report = None  # the previous file's readout does not apply to this one
        for i in range(self.where.rowCount()):
            self.where.item(i, 1).setText("")
        self.table.setRowCount(0)

    def show_wkt(self) -> None:
        """Open the WKT dialog of the scene CRS."""
        if self.info is not None:
            dlg = WktDialog(self.info.grid.crs, self)
            dlg.show()
            self._wkt = dlg

    def set_physical(self, on: bool) -> None:
        """Show physical values next to DN (True) or DN only (False)."""
        self.physical = on
        self.table.setColumnHidden(2, not on)
        self.table.setColumnHidden(3, not on)

    def show_pixel(self, rep: Any) -> None:
        """Fill the readout from a PixelReport."""
        self.last_report = rep
        self.where.item(0, 1).setText(f"{_fmt(rep.x, 10)}, {_fmt(rep.y, 10)}")
        lonlat = f"{rep.lon:.6f}, {rep.lat:.6f}" if rep.lon is not None and rep.lat is not None else "—"
        self.where.item(1, 1).setText(lonlat)
        self.where.item(2, 1).setText(f"{rep.row}, {rep.col}")
        self.table.setRowCount(len(rep.bands))
        for i, b in enumerate(rep.bands):
            flags = b.flag or ""
            if b.qa:
                on = [k for k, v in b.qa.items() if v is True]
                levels = [f"{k}={v}" for k, v in b.qa.items() if isinstance(v, str) and v not in ("none",)]
                # spaces for underscores, as in the QA overlay list: the cell wraps between words
                flags = ", ".join([*on, *levels]).replace("_", " ") or "clear of flags"
            cells = [b.name, _fmt(b.dn), _fmt(b.value), b.unit or "", flags]
            for j, text in enumerate(cells):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, j, item)
                item.setText(text)
                if j == 4:
                    item.setToolTip(flags)
        for j in range(4):  # the flags column takes the rest of the width and wraps
            self.table.resizeColumnToContents(j)

    def _goto(self) -> None:
        parts = self.goto.text().replace(";", ",").replace(",", " ").split()
        try:
            lon, lat = float(parts[0]), float(parts[1])
            if not (-180 <= lon <= 360 and -90 <= lat <= 90):
                raise ValueError
        except (ValueError, IndexError):
            self.goto_status.setText("Type lon, lat in degrees, e.g. -117.5, 36.2")
            return
        self.goto_status.setText("")
        self.sig_locate_requested.emit(lon, lat)

    def _reproject_toggled(self, on: bool) -> None:
        if not on:
            self.session.set_reprojection(None)
            return
        try:
            crs = self.chooser.crs()
        except Exception as exc:  # the chosen CRS text is the user's: its error is shown inline
            self.chooser.status.setText(str(exc))
            return
        self.session.set_reprojection(crs.to_string() if crs is not None else None)
