"""The clip export dialog: which AOI and bands, all-touched, output CRS, COG and the output path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from satview.core.composite import dataset_bands
from satview.qt.panels.projection import CrsChooser


@dataclass(frozen=True)
class ClipChoice:
    """What the user chose in the dialog (the keyword arguments of ``Session.export_clip``)."""

    out_path: str
    aoi_id: Any
    bands: list[str] | None
    all_touched: bool
    dst_crs: Any
    cog: bool


def default_clip_name(info: Any) -> str:
    """A file name for a clip of ``info``'s scene: ``<product id or stem>_clip.tif``."""
    li = getattr(info, "landsat", None)
    stem = li.product_id if li is not None else os.path.basename(info.path).split(".")[0]
    return f"{stem}_clip.tif"


class ExportDialog(QDialog):
    """Ask for a clipped GeoTIFF: AOI, bands (checklist), all-touched, output CRS, COG, path."""

    def __init__(
        self,
        info: Any,
        aois: list[Any],
        selected: Any = None,
        start_dir: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export clipped GeoTIFF")
        self.resize(520, 560)
        self.info = info
        form = QFormLayout()
        self.aoi = QComboBox()
        for s in aois:
            self.aoi.addItem(f"{s.name} ({s.area_km2:,.3f} km²)", s.id)
        if selected is not None:
            self.aoi.setCurrentIndex(max(0, self.aoi.findData(selected)))
        form.addRow("AOI", self.aoi)
        self.bands = QListWidget()
        chosen = {b.name for b in dataset_bands(info)}  # an HDF file's opened dataset, else every band
        for b in info.bands:
            item = QListWidgetItem(f"{b.name}  {b.common_name or b.description or ''}".rstrip())
            item.setToolTip(item.text())  # long dataset descriptions are cut by the list's width
            item.setData(Qt.ItemDataRole.UserRole, b.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if b.name in chosen else Qt.CheckState.Unchecked)
            self.bands.addItem(item)
        all_row = QHBoxLayout()
        for text, state in (("All", Qt.CheckState.Checked), ("None", Qt.CheckState.Unchecked)):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=state: self._check_all(s))
            all_row.addWidget(b)
        all_row.addStretch(1)
        bands_box = QVBoxLayout()
        bands_box.addWidget(self.bands)
        bands_box.addLayout(all_row)
        form.addRow("Bands", bands_box)
        self.all_touched = QCheckBox("Include every pixel the polygon touches")
        form.addRow("All touched", self.all_touched)
        self.crs = CrsChooser(none_label="Scene CRS (no reprojection)")
        self.crs.set_scene(info)
        form.addRow("Output CRS", self.crs)
        self.cog = QCheckBox("Cloud-Optimized GeoTIFF (tiled, with overviews)")
        form.addRow("COG", self.cog)
        self.path = QLineEdit(os.path.join(start_dir or os.getcwd(), default_clip_name(info)))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form.addRow("Output", path_row)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d33")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _check_all(self, state: Qt.CheckState) -> None:
        for i in range(self.bands.count()):
            self.bands.item(i).setCheckState(state)

    def browse(self) -> None:
        """Pick the output file (QFileDialog called through the class, so tests can replace it)."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export clipped GeoTIFF", self.path.text(), "GeoTIFF (*.tif *.tiff)"
        )
        if path:
            self.path.setText(path if path.lower().endswith((".tif", ".tiff")) else path + ".tif")

    def checked_bands(self) -> list[str]:
        """Names of the ticked bands."""
        return [
            self.bands.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.bands.count())
            if self.bands.item(i).checkState() == Qt.CheckState.Checked
        ]

    def choice(self) -> ClipChoice:
        """The request; raises ValueError (or CRSError) with a message when something is missing."""
        bands = self.checked_bands()
        if not bands:
            raise ValueError("tick at least one band")
        if self.aoi.count() == 0:
            raise ValueError("draw or import an AOI first")
        out = self.path.text().strip()
        if not out:
            raise ValueError("choose an output file")
        all_bands = len(bands) == self.bands.count()
        return ClipChoice(
            out,
            self.aoi.currentData(),
            None if all_bands else bands,
            self.all_touched.isChecked(),
            self.crs.crs(),
            self.cog.isChecked(),
        )

    def _accept(self) -> None:
        try:
            self.choice()
        except Exception as exc:  # the dialog shows what is wrong with the choices inline
            self.error.setText(str(exc))
            return
        self.accept()
