"""The "Batch..." dialog: quick-looks or AOI clips of every scene in folders, run in the background."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from satview.core.batch_task import run_batch_job
from satview.qt.aoi_store import AoiStore
from satview.qt.errors import ErrorReport
from satview.qt.output_dirs import default_output_dir, is_allowed, remember_output_dir
from satview.qt.workers import Background

#: Commands of the dialog: (BatchJob command, label).
COMMANDS = (("quicklook", "Quick-looks + contact sheet"), ("clip", "Clip to an AOI"))
#: Colours of the status column.
STATUS_COLOURS = {"ok": "#2a8a2a", "skipped": "#b08800", "failed": "#d33", "cancelled": "#a040a0"}
#: Rows of the results table that always fit.
TABLE_ROWS = 6
AOI_FILTER = "GeoJSON (*.geojson *.json);;WKT (*.wkt *.txt);;Shapefile (*.shp);;All files (*)"


def _band_list(text: str) -> tuple[str, ...] | None:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    return names or None


class BatchDialog(QDialog):
    """Run ``satview batch quicklook`` / ``clip`` on chosen folders with progress, cancel and results.

    Non-modal: the whole batch (discovery, which sniffs every file, included) runs in the "batch"
    worker of the window's ``Background`` (the export worker stays free for single exports); the
    GUI thread only receives progress. Window AOIs are handed over as values. Closing only hides
    the dialog (a running batch goes on; File → Batch... shows it again); ``shutdown`` stops it.
    Signals: ``sig_started()``; ``sig_finished(BatchReport or None)`` after every run (None when
    the run failed; the error is shown in the dialog and sent to the window's error route).
    """

    sig_started = Signal()
    sig_finished = Signal(object)

    def __init__(self, background: Background, aois: AoiStore | None = None, start_dir: str = "",
                 parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch quick-looks and clips")
        self.resize(760, 860)
        self.background = background
        self.aois = aois
        self.settings = settings
        self.start_dir = start_dir or os.getcwd()
        self.report: Any = None
        self.open_requested: list[Path] = []
        self._running = False
        self._cancelling = False
        self._closed = False
        self._build()
        if aois is not None:
            aois.sig_aois_changed.connect(lambda _s: self.refresh_aois())
        self.refresh_aois()
        self._command_changed()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.inputs = QListWidget()
        self.inputs.setMaximumHeight(64)
        self.inputs.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add, remove = QPushButton("Add folder..."), QPushButton("Remove")
        add.clicked.connect(self.add_input_dialog)
        remove.clicked.connect(self._remove_inputs)
        col = QVBoxLayout()
        col.addWidget(add)
        col.addWidget(remove)
        col.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.inputs, 1)
        row.addLayout(col)
        form.addRow("Input folders", row)
        self.output = QLineEdit()
        self.output.setPlaceholderText("folder for the results (created)")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.choose_output_dialog)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        form.addRow("Output folder", row)
        self.command = QComboBox()
        for key, label in COMMANDS:
            self.command.addItem(label, key)
        self.command.currentIndexChanged.connect(self._command_changed)
        form.addRow("Command", self.command)
        layout.addLayout(form)

        self.ql_group = QGroupBox("Quick-looks")
        qf = QFormLayout(self.ql_group)
        from satview.core.composite import PRESETS

        self.preset = QComboBox()
        self.preset.addItem("Default (natural colour)", None)
        for key, preset in PRESETS.items():
            self.preset.addItem(preset.title, key)
        qf.addRow("Preset", self.preset)
        self.size = QSpinBox()
        self.size.setRange(16, 32768)
        self.size.setValue(1024)
        self.size.setSuffix(" px")
        qf.addRow("Long side", self.size)
        self.stretch = QLineEdit()
        self.stretch.setPlaceholderText("2,98 (percentiles), minmax, stddev:2 or none")
        qf.addRow("Stretch", self.stretch)
        self.stretch_all = QCheckBox("One stretch pooled from every scene (dates comparable)")
        qf.addRow("", self.stretch_all)
        layout.addWidget(self.ql_group)

        self.clip_group = QGroupBox("Clip")
        cf = QFormLayout(self.clip_group)
        self.aoi = QComboBox()
        aoi_file = QPushButton("AOI file...")
        aoi_file.clicked.connect(self.choose_aoi_dialog)
        row = QHBoxLayout()
        row.addWidget(self.aoi, 1)
        row.addWidget(aoi_file)
        cf.addRow("AOI", row)
        self.all_touched = QCheckBox("Include every pixel the polygon touches")
        cf.addRow("", self.all_touched)
        layout.addWidget(self.clip_group)

        of = QFormLayout()
        self.bands = QLineEdit()
        of.addRow("Bands", self.bands)
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(os.cpu_count() or 1)
        of.addRow("Workers", self.workers)
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("empty: local process pool; 'local' or tcp://host:8786 for Dask")
        of.addRow("Dask scheduler", self.scheduler)
        self.force = QCheckBox("Redo scenes already done with the same options")
        of.addRow("", self.force)
        self.open_sheet = QCheckBox("Open the contact sheet when done")
        self.open_sheet.setChecked(True)
        of.addRow("", self.open_sheet)
        layout.addLayout(of)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d33")
        self.error.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["status", "scene", "output or reason"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        hdr.setStretchLastSection(True)
        self.table.setColumnWidth(1, 260)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # product names differ in the middle
        self.table.setMinimumHeight(hdr.sizeHint().height() + 2 * self.table.frameWidth()
                                    + TABLE_ROWS * self.table.verticalHeader().defaultSectionSize())
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.sheet_button = QPushButton("Open contact sheet")
        self.sheet_button.setEnabled(False)
        self.sheet_button.clicked.connect(lambda: self._open_sheet_of(self.report))
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.sheet_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def _command_changed(self) -> None:
        clip = self.command.currentData() == "clip"
        self.ql_group.setEnabled(not clip)
        self.clip_group.setEnabled(clip)
        self.bands.setPlaceholderText(
            "comma-separated band names (default: all)" if clip
            else "R,G,B band names, e.g. SR_B5,SR_B4,SR_B3 (instead of the preset)")

    # ------------------------------------------------------------------ choosing
    @property
    def running(self) -> bool:
        """True while a batch runs."""
        return self._running

    def input_folders(self) -> list[str]:
        """The chosen input folders, in order."""
        return [self.inputs.item(i).text() for i in range(self.inputs.count())]

    def add_input(self, path: str | os.PathLike[str]) -> None:
        """Add an input folder (or file, or glob pattern); duplicates are ignored."""
        text = os.fspath(path)
        if text and text not in self.input_folders():
            self.inputs.addItem(text)
            if not self.output.text().strip():  # never inside an input folder, nor the cache
                self.output.setText(default_output_dir(self.settings, self.input_folders(), "batch"))

    def _remove_inputs(self) -> None:
        for item in self.inputs.selectedItems():
            self.inputs.takeItem(self.inputs.row(item))

    def add_input_dialog(self) -> None:
        """Ask for an input folder (QFileDialog through the class, so tests can replace it)."""
        start = self.input_folders()[-1] if self.inputs.count() else self.start_dir
        path = QFileDialog.getExistingDirectory(self, "Add an input folder", start)
        if path:
            self.add_input(path)

    def choose_output_dialog(self) -> None:
        """Ask for the output folder."""
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.output.text() or self.start_dir)
        if path:
            self.output.setText(path)

    def choose_aoi_dialog(self) -> None:
        """Ask for an AOI file (GeoJSON in lon/lat or with a crs member, WKT, Shapefile)."""
        path, _ = QFileDialog.getOpenFileName(self, "AOI for the clips", self.start_dir, AOI_FILTER)
        if path:
            self.add_aoi_file(path)

    def add_aoi_file(self, path: str | os.PathLike[str]) -> None:
        """Offer an AOI file in the AOI list and select it."""
        text = os.fspath(path)
        idx = self.aoi.findData(("file", text))
        if idx < 0:
            self.aoi.addItem(f"File: {os.path.basename(text)}", ("file", text))
            idx = self.aoi.count() - 1
        self.aoi.setCurrentIndex(idx)

    def refresh_aois(self) -> None:
        """List the session's AOIs (drawn or imported) and the AOI files chosen so far."""
        current = self.aoi.currentData()
        files = [self.aoi.itemData(i) for i in range(self.aoi.count()) if self.aoi.itemData(i)[0] == "file"]
        labels = {d: self.aoi.itemText(i) for i in range(self.aoi.count()) if (d := self.aoi.itemData(i))}
        self.aoi.clear()
        for s in self.aois.aois if self.aois is not None else []:
            self.aoi.addItem(f"{s.name} ({s.area_km2:,.3f} km²)", ("session", s.id))
        for d in files:
            self.aoi.addItem(labels[d], d)
        if current is not None:
            self.aoi.setCurrentIndex(max(0, self.aoi.findData(current)))

    def _clip_options(self, bands: tuple[str, ...] | None) -> tuple[Any, str | None]:
        """(ClipOptions, AOI file): a window AOI goes in the options as a value; an AOI file is read
        by the worker that runs the batch, which fills in the options' AOI."""
        from satview.core.batch import ClipOptions

        choice = self.aoi.currentData()
        if choice is None:
            raise ValueError("choose an AOI: draw or import one in the window, or pick an AOI file")
        kind, ref = choice
        all_touched = self.all_touched.isChecked()
        if kind == "file":
            if not os.path.isfile(ref):
                raise ValueError(f"{ref}: the AOI file does not exist")
            return ClipOptions("", "", bands=bands, all_touched=all_touched), ref
        if self.aois is None:
            raise ValueError("the window's AOIs are not available; pick an AOI file")
        aoi = self.aois.aoi(ref)
        return ClipOptions(aoi_wkt=aoi.geometry.wkt, aoi_crs=aoi.crs.to_wkt(), aoi_name=aoi.name, bands=bands,
                           all_touched=all_touched), None

    def job(self) -> tuple[Any, str | None]:
        """The ``BatchJob`` for the current choices and the AOI file its clip AOI comes from (None:
        the AOI is in the job); raises ValueError (or a SatviewError) with a message."""
        from satview.core.batch import BatchJob, QuicklookOptions

        inputs = self.input_folders()
        if not inputs:
            raise ValueError("add at least one input folder")
        out = self.output.text().strip()
        if not out:
            raise ValueError("choose an output folder")
        out = os.path.abspath(os.path.expanduser(out))
        if not is_allowed(out, inputs):
            raise ValueError("choose an output folder outside the input folders and satview's cache "
                             "(satview never writes next to its inputs)")
        bands = _band_list(self.bands.text())
        scheduler = self.scheduler.text().strip() or None
        common: dict[str, Any] = {"workers": self.workers.value(), "scheduler": scheduler,
                                  "force": self.force.isChecked()}
        if self.command.currentData() == "clip":
            opts, aoi_file = self._clip_options(bands)
            return BatchJob("clip", inputs, out, clip=opts, **common), aoi_file
        if bands is not None and len(bands) != 3:
            raise ValueError(f"quick-look bands need three names separated by commas: {self.bands.text()!r}")
        stretch = self.stretch.text().strip() or None
        if stretch:
            from satview.core.stretch import Stretch

            Stretch.parse(stretch)  # fail before any work
        opts_q = QuicklookOptions(preset=None if bands else self.preset.currentData(), bands=bands,
                                  size=self.size.value(), stretch=stretch)
        return BatchJob("quicklook", inputs, out, quicklook=opts_q,
                        stretch_from="all" if self.stretch_all.isChecked() else "scene", **common), None

    # ------------------------------------------------------------------ running
    def start(self) -> bool:
        """Start the batch in the background (False, with a message, when the choices are incomplete)."""
        if self._running or self._closed:
            return False
        self.error.setText("")
        try:
            job, aoi_file = self.job()
        except Exception as exc:  # shown in the dialog: the user fixes the choice
            self.error.setText(str(exc))
            return False
        remember_output_dir(self.settings, job.out_dir)
        self._cancelling = False
        self._running = True
        self.report = None
        self.table.setRowCount(0)
        self.progress.setRange(0, 0)  # busy until the scenes are counted
        self.status.setText("Looking for scenes…")
        self.sheet_button.setEnabled(False)
        self._set_running_ui(True)
        self.background.run("batch", run_batch_job, job, aoi_file, done=self._done, failed=self._failed,
                            finished=self._finished, title="Batch failed", on_progress=self._step)
        self.sig_started.emit()
        return True

    def cancel(self) -> None:
        """Stop the batch: scenes not finished come back as cancelled; finished outputs stay."""
        if self._running and not self._cancelling:
            self._cancelling = True
            self.background.cancel("batch")
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling… (waiting for the scenes being processed)")

    def _set_running_ui(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.inputs, self.output, self.command, self.ql_group, self.clip_group, self.bands,
                  self.workers, self.scheduler, self.force):
            w.setEnabled(not running)
        if not running:
            self._command_changed()

    @Slot(float, str)
    def _step(self, fraction: float, message: str) -> None:
        if self._closed or not self._running:
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if not self._cancelling:
            self.status.setText(message)

    def _add_row(self, record: Any) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        status = QTableWidgetItem(record.status)
        status.setForeground(QColor(STATUS_COLOURS.get(record.status, "#000")))
        scene = QTableWidgetItem(Path(record.path).name)
        scene.setToolTip(record.path)
        if record.status == "ok":
            detail = record.outputs[0] if record.outputs else ""
        else:
            detail = record.error or ""
        reason = QTableWidgetItem(detail)
        reason.setToolTip(detail)
        for c, item in enumerate((status, scene, reason)):
            self.table.setItem(r, c, item)

    def rows(self) -> list[tuple[str, str, str]]:
        """The results table as (status, scene, output or reason) text."""
        return [tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc]
                for r in range(self.table.rowCount())]

    @Slot(object)
    def _done(self, report: Any) -> None:
        if self._closed:
            return
        self.report = report
        self.table.setRowCount(0)
        for rec in report.records:  # the full, sorted list (inputs that are not scenes included)
            self._add_row(rec)
        if not report.records:
            self.status.setText("No scenes found in " + ", ".join(self.input_folders()))
            return
        line = report.summary()
        if report.ignored:
            line += f"; {len(report.ignored)} other file(s) are not scenes and were ignored"
        self.status.setText(("Cancelled: " if report.cancelled else "") + line)
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if report.cancelled else 1)
        index = self._index_of(report)
        self.sheet_button.setEnabled(index is not None)
        if index is not None and self.open_sheet.isChecked() and not report.cancelled:
            self.open_contact_sheet(index)

    def _failed(self, report: ErrorReport) -> None:
        """The run failed (the window's error route shows it too)."""
        if self._closed:
            return
        if report.cancelled:  # cancelled before the worker started it: nothing was done
            self.status.setText("Cancelled before any scene was started")
        else:
            self.error.setText(report.message)
            self.status.setText("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)

    @Slot()
    def _finished(self) -> None:
        self._running = False
        if self._closed:
            return
        self._set_running_ui(False)
        self.sig_finished.emit(self.report)

    @staticmethod
    def _index_of(report: Any) -> Path | None:
        if report is None:
            return None
        return next((Path(p) for p in report.summaries if Path(p).name == "index.html"), None)

    def _open_sheet_of(self, report: Any) -> None:
        index = self._index_of(report)
        if index is not None:
            self.open_contact_sheet(index)

    def open_contact_sheet(self, index_html: Path) -> None:
        """Show the contact sheet in the browser (tests replace this method)."""
        self.open_requested.append(Path(index_html))
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(index_html))):
            self.status.setText(f"No program here opens web pages; the contact sheet is {index_html}")

    # ------------------------------------------------------------------ closing
    def shutdown(self) -> None:
        """Cancel a running batch (window closing, app quitting; the window's ``Background`` then
        stops the worker). Idempotent."""
        if self._closed:
            return
        if self._running:
            self.background.cancel("batch")
        self._closed = True
