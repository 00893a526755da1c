"""The main window: builds the window's models (``Background`` workers, the scene ``Session``, the
``AoiStore`` and ``Exports``) and wires them to the canvas, docks, menus, toolbar, status bar and
settings."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStyle,
    QWidget,
)

from satview.core.types import SceneInfo
from satview.qt.animation_export import AnimationExport
from satview.qt.aoi_store import AoiStore
from satview.qt.canvas import RasterCanvas
from satview.qt.compare import CompareMode
from satview.qt.exports import Exports
from satview.qt.icons import app_icon, zoom_icon
from satview.qt.notify import ErrorReporter
from satview.qt.output_dirs import default_output_dir, remember_output_dir
from satview.qt.panels.aoi import AoiPanel
from satview.qt.panels.bands import BandsPanel
from satview.qt.panels.compare import ComparePanel
from satview.qt.panels.files import FilesPanel
from satview.qt.panels.projection import ProjectionPanel
from satview.qt.panels.series import SeriesPanel
from satview.qt.panels.timeline import NEXT_KEYS, PREVIOUS_KEYS, TimelinePanel
from satview.qt.session import Session
from satview.qt.stacks import StackBrowser
from satview.qt.time_docks import TimeDocks
from satview.qt.time_series import TimeSeries
from satview.qt.workers import Background

MAX_RECENT = 10
DRAW_HINT = "Click the polygon's vertices; double-click or Enter closes it, Esc cancels"
OPEN_FILTER = (
    "Scenes (*.tar *.tar.gz *.tgz *.tif *.tiff *.TIF *_MTL.txt *_MTL.json *_MTL.xml"
    " *.hdf *.h5 *.he5 *.nc *.bin);;"
    "All files (*)"
)


def scene_name(info: SceneInfo) -> str:
    """The Landsat product id of a scene, else its file (or folder) name."""
    return info.landsat.product_id if info.landsat is not None else os.path.basename(info.path.rstrip("/"))


class MainWindow(QMainWindow):
    """satview's window: canvas in the middle, Files / Bands / Projection / AOIs docks around it."""

    sig_opened = Signal(str)  # a scene was opened (its path)

    def __init__(
        self,
        background: Background | None = None,
        *,
        root_dir: str | None = None,
        settings: QSettings | None = None,
    ) -> None:
        """``background``: the worker processes to use (the app starts the display one before Qt
        loads); by default the window starts its own. The window shuts them down."""
        super().__init__()
        self.setObjectName("satviewMainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings("satview", "satview")
        self.background = background if background is not None else Background(self)
        self.session = Session(self.background, self)
        self.aois = AoiStore(self.background, self.session, self)
        self.exports = Exports(self.background, self.session, self.aois, self)
        self.canvas = RasterCanvas(self.session, self.aois, self)
        self.setCentralWidget(self.canvas)
        self._build_status_bar()
        self.reporter = ErrorReporter(self.statusBar(), self)
        self.actions_: dict[str, QAction] = {}
        self.batch_dialog: Any = None
        self._build_actions()
        self.files = FilesPanel(self.background, root_dir or self.settings.value("last_dir", os.getcwd()))
        self.bands = BandsPanel(self.session, self.exports)
        self.projection = ProjectionPanel(self.session)
        self.aoi_panel = AoiPanel(self.aois, self.actions_)
        self.timeline = TimelinePanel()
        self.stacks = StackBrowser(self.background, self.session, self.timeline, self)
        self.time_series = TimeSeries(self.session, self.aois, self.stacks, SeriesPanel(),
                                      lambda: self.aoi_panel.selected_id() or self.canvas.selected_aoi, self)
        self.compare = CompareMode(self.session, self.stacks, self.canvas, ComparePanel(), self)
        self.animation = AnimationExport(self.session, self.stacks, self.aois, self.time_series.selected_aoi,
                                         self.statusBar(), self)
        self.docks: dict[str, QDockWidget] = {}
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)  # time docks: room
        self._add_dock("files", "Files", self.files, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("bands", "Bands", self.bands, Qt.DockWidgetArea.RightDockWidgetArea, scroll=True)
        self._add_dock("projection", "Projection", self.projection, Qt.DockWidgetArea.RightDockWidgetArea,
                       scroll=True)
        self._add_dock("aoi", "AOIs", self.aoi_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("timeline", "Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("series", "Series", self.time_series.panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("compare", "Compare", self.compare.panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        for first, second in (("bands", "projection"), ("series", "compare")):
            self.tabifyDockWidget(self.docks[first], self.docks[second])
        self.resizeDocks([self.docks["files"], self.docks["bands"]], [380, 430], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["files"], self.docks["aoi"]], [560, 260], Qt.Orientation.Vertical)
        for key in ("bands", "series"):  # the first tab of each tabbed pair
            self.docks[key].raise_()
        self._build_menus()
        self._wire()
        self._busy_message = ""
        self.setWindowTitle("satview")
        self.resize(1400, 900)
        geometry, state = self.settings.value("geometry"), self.settings.value("window_state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.time_docks = TimeDocks([self.docks[k] for k in ("timeline", "series", "compare")], self.stacks,
                                    self)

    # ------------------------------------------------------------------ building
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.cursor_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        sb.addPermanentWidget(self.cursor_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)

    def _act(
        self, key: str, text: str, slot: Any, shortcut: Any = None, tip: str = "", checkable: bool = False
    ) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        a.setToolTip(
            f"{tip or text.replace('...', '')} ({a.shortcut().toString()})" if shortcut else tip or text
        )
        a.setCheckable(checkable)
        (a.toggled if checkable else a.triggered).connect(slot)
        self.addAction(a)
        self.actions_[key] = a
        return a

    def _build_actions(self) -> None:
        k = QKeySequence
        self._act("open", "&Open...", self.open_dialog, k.StandardKey.Open, "Open a scene")
        self._act("open_folder", "Open &folder...", self.open_folder_dialog)
        self._act("open_files", "Open &dates...", self.open_files_dialog, tip="Several dates of one place")
        prev_keys, next_keys = [k(x) for x in PREVIOUS_KEYS], [k(x) for x in NEXT_KEYS]
        self._act("prev_date", "&Previous date", lambda: self.stacks.step_by(-1), prev_keys)
        self._act("next_date", "&Next date", lambda: self.stacks.step_by(1), next_keys)
        self._act("plot_point", "Plot the readout pixel through &time", lambda: self.time_series.plot_point())
        self._act("change", "Export &change GeoTIFF...", lambda: self.compare.export_dialog(
            self, default_output_dir(self.settings, self._inputs()), self._task_finished))
        self._act("animation", "Export &animation...", lambda: self.animation.ask(self.settings),
                  tip="The stack's dates as a GIF or MP4")
        self._act("clip", "Export clipped &GeoTIFF...", self.export_clip, "Ctrl+E")
        self._act("quicklook", "&Quick-look PNG...", self.export_quicklook, "Ctrl+Shift+E")
        self._act("batch", "&Batch...", self.batch, "Ctrl+B", "Quick-looks or clips of whole folders")
        self._act("quit", "&Quit", self.close, "Ctrl+Q")
        self._act("draw", "Draw &polygon", self.canvas.set_drawing, "P",
                  "Draw an AOI polygon: click vertices, double-click or Enter closes, Esc cancels",
                  checkable=True)
        self._act("delete", "&Delete AOI", self.delete_aoi, k.StandardKey.Delete)
        self._act("import", "&Import AOIs (GeoJSON)...", self.import_aois)
        self._act("export", "E&xport AOIs (GeoJSON)...", self.export_aois)
        self._act("cancel", "&Cancel", self.cancel, "Esc", "Cancel drawing or the running task")
        self._act("zoom_scene", "Zoom to &scene", self.canvas.zoom_to_scene, "Ctrl+0")
        self._act("zoom_in", "Zoom &in", lambda: self.canvas.zoom(1.5), [k("+"), k("="), k("Ctrl++")])
        self._act("zoom_out", "Zoom &out", lambda: self.canvas.zoom(1 / 1.5), [k("-"), k("Ctrl+-")])
        for key, dx, dy in (("left", -0.2, 0), ("right", 0.2, 0), ("up", 0, -0.2), ("down", 0, 0.2)):
            self._act(f"pan_{key}", f"Pan {key}", lambda _c=False, x=dx, y=dy: self.canvas.pan(x, y),
                      getattr(Qt.Key, f"Key_{key.capitalize()}"))
        for key, part, text in (("scale_bar", "scale", "Scale &bar"), ("north", "north", "&North arrow")):
            self._act(key, text, lambda on, p=part: self.canvas.overlay.set_shown(p, on),
                      checkable=True).setChecked(True)
        self.cancel_button.clicked.connect(self.cancel)
        # pan/zoom keys should not steal typing in line edits and spin boxes
        for key in ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down", "draw", "delete"):
            self.actions_[key].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.canvas.addAction(self.actions_[key])

    def _build_menus(self) -> None:
        a = self.actions_
        m = self.menuBar().addMenu("&File")
        m.addActions([a["open"], a["open_folder"], a["open_files"]])
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addActions([a["clip"], a["quicklook"], a["change"], a["animation"], a["batch"]])
        m.addSeparator()
        m.addAction(a["quit"])
        m = self.menuBar().addMenu("&View")
        m.addActions([a["zoom_scene"], a["zoom_in"], a["zoom_out"]])
        m.addSeparator()
        m.addActions([a["scale_bar"], a["north"]])
        m.addSeparator()
        m.addActions([a["prev_date"], a["next_date"], a["plot_point"]])
        m.addSeparator()
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m = self.menuBar().addMenu("&AOI")
        m.addActions([a["draw"], a["delete"], a["import"], a["export"], a["cancel"]])
        style = self.style()
        for key, icon in (("open", "SP_DialogOpenButton"), ("zoom_scene", "SP_TitleBarMaxButton"),
                          ("draw", "SP_FileDialogDetailedView"), ("clip", "SP_DialogSaveButton"),
                          ("quicklook", "SP_FileIcon"), ("cancel", "SP_BrowserStop")):
            a[key].setIcon(style.standardIcon(getattr(QStyle.StandardPixmap, icon)))
        a["zoom_in"].setIcon(zoom_icon(True))
        a["zoom_out"].setIcon(zoom_icon(False))
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolBar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addActions([a["open"], a["zoom_scene"], a["zoom_in"], a["zoom_out"]])
        tb.addSeparator()
        tb.addActions([a["draw"], a["clip"], a["quicklook"], a["cancel"]])
        self._fill_recent()

    def _add_dock(
        self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False
    ) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        if scroll:
            area_w = QScrollArea()
            area_w.setWidgetResizable(True)
            area_w.setWidget(widget)
            widget = area_w
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _wire(self) -> None:
        s, bg = self.session, self.background
        bg.sig_failed.connect(self.reporter.report)
        bg.sig_busy.connect(self._busy)
        bg.sig_progress.connect(self._progress)
        s.sig_scene_opened.connect(self._scene_opened)
        self.exports.sig_task_finished.connect(self._task_finished)
        self.files.sig_open_requested.connect(self.open_path)
        s.sig_scene_shown.connect(self._scene_shown)
        self.bands.sig_units_changed.connect(self.projection.set_physical)
        self.projection.sig_locate_requested.connect(self._locate)
        self.canvas.sig_drawing_changed.connect(self._drawing_changed)
        self.canvas.sig_aoi_selected.connect(self.aoi_panel.select)
        self.aoi_panel.sig_aoi_selected.connect(self.canvas.select_aoi)
        self.canvas.sig_cursor_moved.connect(
            lambda c, r: self.cursor_label.setText(f"col {c:.1f}  row {r:.1f}")
        )

    # ------------------------------------------------------------------ opening
    def open_path(self, path: str, dataset: str | None = None) -> None:
        """Open a scene (file or folder) in the background."""
        path = os.path.abspath(os.path.expanduser(path))
        self.statusBar().showMessage(f"Opening {os.path.basename(path)}...")
        self.reporter.clear()
        if dataset is None and os.path.isdir(path):  # a folder may hold the dates of a stack
            self.stacks.open_paths([path])
        else:
            self.session.open(path, dataset)

    def open_dialog(self) -> None:
        """Ask for a scene file (QFileDialog through the class, so tests can replace it)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open scene", self.files.root, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        """Ask for an unpacked scene folder."""
        path = QFileDialog.getExistingDirectory(self, "Open scene folder", self.files.root)
        if path:
            self.open_path(path)

    def open_files_dialog(self) -> None:
        """Ask for several files (the dates of one place)."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open dates", self.files.root, OPEN_FILTER)
        if paths:
            self.reporter.clear()
            self.stacks.open_paths(paths)

    def _scene_opened(self, info: SceneInfo) -> None:
        name = scene_name(info)
        if info.dataset:
            name += f" [{info.dataset}]"
        self.cursor_label.setText("")  # the previous file's position does not apply to this one
        self.statusBar().showMessage(
            f"Opened {name}: {info.grid.width} x {info.grid.height}, {len(info.bands)} bands"
        )
        self._add_recent(info.path)
        self.settings.setValue("last_dir", os.path.dirname(os.path.abspath(info.path)))
        self.sig_opened.emit(info.path)

    def _scene_shown(self, info: SceneInfo) -> None:
        """The title and the Files panel name the scene on screen, also after a step to another date."""
        name = f"{scene_name(info)}{f' [{info.dataset}]' if info.dataset else ''}"
        self.setWindowTitle(f"{name} — satview")
        if name not in self.statusBar().currentMessage():  # "Opened <the first date>" is not what is shown
            self.statusBar().showMessage(f"Showing {name}")
        self.files.show_datasets(info)
        self.files.mark_current(info.path)
        shown = self.bands.info
        if shown is not None and [b.name for b in info.bands] != [b.name for b in shown.bands]:
            self.bands.set_scene(info)  # a date of another sensor on the same grid: its own bands

    def _add_recent(self, path: str) -> None:
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", [path, *recent][:MAX_RECENT])
        self._fill_recent()

    def recent_files(self) -> list[str]:
        """Recently opened scenes, newest first."""
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.recent_files():
            act = self.recent_menu.addAction(os.path.basename(p.rstrip("/")) or p)
            act.setToolTip(p)
            act.triggered.connect(lambda _c=False, path=p: self.open_path(path))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files and folders."""
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the dropped file or folder; several dropped files or folders may form a stack."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if isinstance(u, QUrl) and u.isLocalFile()]
        if len(paths) > 1:
            event.acceptProposedAction()
            self.stacks.open_paths(paths)
        elif paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    # ------------------------------------------------------------------ status and tasks
    def _busy(self, busy: bool, message: str) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        elif self.statusBar().currentMessage() == self._busy_message:
            self.statusBar().clearMessage()  # "Reprojecting the view..." must not outlive the work
        if message:
            self._busy_message = message
            self.statusBar().showMessage(message)

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.statusBar().showMessage(message)

    def _task_finished(self, kind: str, result: Any) -> None:
        if kind == "extent":
            self.statusBar().showMessage("Sea-ice extent computed")
            return
        what = {"clip": "Clipped GeoTIFF written", "quicklook": "Quick-look written",
                "change": "Change GeoTIFF written"}[kind]
        self.statusBar().showMessage(f"{what}: {result.path}")

    def _locate(self, lon: float, lat: float) -> None:
        self.canvas.mark_lonlat(lon, lat)  # marked and centred in the native or the reprojected view
        self.session.locate_lonlat(lon, lat)

    def cancel(self) -> None:
        """Esc: drop the polygon being drawn, else cancel the running work."""
        if not self.canvas.cancel_drawing():
            self.exports.cancel()
            self.statusBar().showMessage("Cancelled")

    def _drawing_changed(self, on: bool) -> None:
        a = self.actions_["draw"]
        a.blockSignals(True)
        a.setChecked(on)
        a.blockSignals(False)
        if on:
            self.statusBar().showMessage(DRAW_HINT)
        elif self.statusBar().currentMessage() == DRAW_HINT:
            self.statusBar().clearMessage()

    # ------------------------------------------------------------------ AOIs and exports
    def delete_aoi(self) -> None:
        """Delete the highlighted AOI."""
        aoi_id = self.aoi_panel.selected_id() or self.canvas.selected_aoi
        if aoi_id is not None:
            self.aois.remove_aoi(aoi_id)

    def import_aois(self) -> None:
        """Import AOI polygons from GeoJSON (or WKT/shapefile, as the core reads them)."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Import AOIs", self.files.root, "GeoJSON (*.geojson *.json);;All files (*)"
        )
        if path:
            self.aois.import_aois(path)

    def export_aois(self) -> None:
        """Save the AOIs as GeoJSON."""
        start = os.path.join(default_output_dir(self.settings, self._inputs()), "aois.geojson")
        path, _ = QFileDialog.getSaveFileName(self, "Export AOIs", start, "GeoJSON (*.geojson)")
        if path:
            remember_output_dir(self.settings, os.path.dirname(path))
            self.aois.export_aois(path)

    def _inputs(self) -> list[str]:
        """The files the window reads (outputs never go into their folders)."""
        return [self.session.path] if self.session.path else []

    def export_clip(self) -> None:
        """Open the clip dialog and start the export in the background."""
        if self.session.info is None:
            return
        if not self.aois.aois:
            self.statusBar().showMessage("Draw (P) or import an AOI first; the clip follows its outline")
            return
        from satview.qt.dialogs.export import ExportDialog

        dlg = ExportDialog(
            self.session.info, list(self.aois.aois), self.aoi_panel.selected_id(),
            default_output_dir(self.settings, self._inputs()), self
        )
        self.export_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            c = dlg.choice()
            remember_output_dir(self.settings, os.path.dirname(c.out_path))
            self.exports.export_clip(
                c.out_path,
                aoi_id=c.aoi_id,
                bands=c.bands,
                all_touched=c.all_touched,
                dst_crs=c.dst_crs.to_string() if c.dst_crs is not None else None,
                cog=c.cog,
            )

    def export_quicklook(self) -> None:
        """Save the current composite and stretch as a PNG with georeference side files."""
        info = self.session.info
        if info is None:
            return
        stem = info.landsat.product_id if info.landsat is not None else scene_name(info).split(".")[0]
        start = os.path.join(default_output_dir(self.settings, self._inputs()), f"{stem}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Quick-look PNG", start, "PNG (*.png)")
        if path:
            remember_output_dir(self.settings, os.path.dirname(path))
            self.exports.export_quicklook(path if path.lower().endswith(".png") else path + ".png")

    def batch(self) -> None:
        """Show the (non-modal) batch dialog; it keeps its choices and a running batch between openings."""
        if self.batch_dialog is None:
            from satview.qt.dialogs.batch import BatchDialog

            self.batch_dialog = BatchDialog(self.background, self.aois, self.files.root, self,
                                            settings=self.settings)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout and stop background work."""
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every worker this window started (idempotent)."""
        if self.batch_dialog is not None:
            self.batch_dialog.shutdown()
        self.background.shutdown()
