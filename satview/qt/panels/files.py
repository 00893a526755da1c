"""The file browser: files and folders satview can open, with Landsat facts, and an HDF dataset list."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDir,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtWidgets import (
    QFileSystemModel,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from satview.core.landsat import parse_product_id

#: Name filters for what the core recognises (folders are always shown).
NAME_FILTERS = [
    "*.tar", "*.tar.gz", "*.tgz", "*.tif", "*.tiff", "*.TIF", "*.TIFF", "*_MTL.txt", "*_MTL.json",
    "*_MTL.xml", "*.hdf", "*.HDF", "*.h5", "*.he5", "*.hdf5", "*.nc", "*.bin",
]  # fmt: skip
FACTS_COLUMN = 4


def landsat_facts(name: str, cloud: float | None = None) -> str:
    """ "OLI/TIRS · 2022-02-09 · 112/081 · L1TP T1 · cloud 12 %" for a Landsat name, else ""."""
    pid = parse_product_id(name)
    if pid is None:
        return ""
    parts = [pid.sensor.replace("_", "/"), pid.acquired.isoformat(), f"{pid.wrs_path:03d}/{pid.wrs_row:03d}"]
    level = " ".join(p for p in (pid.level, pid.tier) if p)
    if level:
        parts.append(level)
    if cloud is not None:
        parts.append(f"cloud {cloud:.0f} %")
    return " · ".join(parts)


def cloud_cover_of(path: str) -> float | None:
    """Scene cloud cover from the MTL of a plain .tar or an MTL file (None when not cheap to get)."""
    from satview.core.landsat.metadata import landsat_info
    from satview.core.mtl import find_mtl_name, parse_mtl

    low = path.lower()
    if low.endswith(".tar"):
        from satview.core.archive import list_tar, read_member

        members = list_tar(path)
        name = find_mtl_name([m.name for m in members])
        if name is None:
            return None
        member = next(m for m in members if m.name == name)
        mtl = parse_mtl(read_member(path, member), name=member.basename)
    elif "_mtl." in low:
        mtl = parse_mtl(Path(path))
    else:
        return None
    return landsat_info(mtl).cloud_cover


class _CloudSignals(QObject):
    sig_done = Signal(str, object)


class _CloudTask(QRunnable):
    """Reads one scene's cloud cover off the GUI thread."""

    def __init__(self, path: str, signals: _CloudSignals) -> None:
        super().__init__()
        self.path, self.signals = path, signals

    def run(self) -> None:
        try:
            value = cloud_cover_of(self.path)
        except Exception:
            value = None
        self.signals.sig_done.emit(self.path, value)


class SceneFileModel(QFileSystemModel):
    """QFileSystemModel with a fifth "Scene" column of Landsat facts (cloud cover filled in lazily)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setNameFilters(NAME_FILTERS)
        self.setNameFilterDisables(False)
        self.setFilter(QDir.Filter.AllDirs | QDir.Filter.Files | QDir.Filter.NoDotAndDotDot)
        self.cloud: dict[str, float | None] = {}
        self._pending: set[str] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _CloudSignals(self)
        self._signals.sig_done.connect(self._cloud_done)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Four file columns plus the facts column."""
        return FACTS_COLUMN + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Header of the facts column."""
        if (
            section == FACTS_COLUMN
            and orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return "Scene"
        return super().headerData(section, orientation, role)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Landsat facts in the facts column; everything else as QFileSystemModel has it."""
        if index.isValid() and index.column() == FACTS_COLUMN:
            if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return None
            path = self.filePath(index.siblingAtColumn(0))
            name = os.path.basename(path)
            if parse_product_id(name) is None:
                return ""
            if path not in self.cloud:
                self._request_cloud(path)
            text = landsat_facts(name, self.cloud.get(path))
            if role == Qt.ItemDataRole.ToolTipRole and path.lower().endswith((".tar.gz", ".tgz")):
                text += "\n(cloud cover appears once the scene is opened: the archive is compressed)"
            return text
        return super().data(index, role)

    def _request_cloud(self, path: str) -> None:
        low = path.lower()
        if path in self._pending or not (low.endswith(".tar") or "_mtl." in low):
            return
        self._pending.add(path)
        self.pool.start(_CloudTask(path, self._signals))

    def _cloud_done(self, path: str, value: object) -> None:
        self._pending.discard(path)
        self.cloud[path] = value if isinstance(value, float | int) else None
        idx = self.index(path, FACTS_COLUMN)
        if idx.isValid():
            self.dataChanged.emit(idx, idx)

    def shutdown(self) -> None:
        """Stop reading cloud covers and wait for the reader thread."""
        self.pool.clear()
        self.pool.waitForDone(5000)


class FilesPanel(QWidget):
    """Browse folders; double-click or Enter on a file (or scene folder) asks to open it.

    Below the tree, the datasets of the open multi-dataset file (HDF, netCDF); picking one opens it.
    """

    sig_open_requested = Signal(str, object)  # path, dataset name or None

    def __init__(self, root: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SceneFileModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        for col in (1, 2, 3):  # size, type, date: the facts column says more
            self.tree.setColumnHidden(col, True)
        self.tree.setColumnWidth(0, 200)
        self.tree.doubleClicked.connect(self._activated)
        self.tree.activated.connect(self._activated)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Folder")
        self.path_edit.returnPressed.connect(lambda: self.set_root(self.path_edit.text()))
        up = QPushButton("Up")
        up.setToolTip("Parent folder")
        up.clicked.connect(lambda: self.set_root(str(Path(self.root).parent)))
        bar = QHBoxLayout()
        bar.addWidget(self.path_edit, 1)
        bar.addWidget(up)
        self.datasets = QTreeWidget()
        self.datasets.setHeaderLabels(["Dataset", "Shape", "Type"])
        self.datasets.itemActivated.connect(self._dataset_activated)
        self.datasets.itemDoubleClicked.connect(self._dataset_activated)
        self.datasets_label = QLabel("Datasets of the open file")
        ds_box = QWidget()
        ds_layout = QVBoxLayout(ds_box)
        ds_layout.setContentsMargins(0, 0, 0, 0)
        ds_layout.addWidget(self.datasets_label)
        ds_layout.addWidget(self.datasets)
        ds_box.setVisible(False)
        self.ds_box = ds_box
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.tree)
        split.addWidget(top)
        split.addWidget(ds_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self._scene_path: str | None = None
        self.root = ""
        self.set_root(root or os.getcwd())

    def set_root(self, folder: str) -> None:
        """Show ``folder`` in the tree."""
        folder = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(folder):
            return
        self.root = folder
        self.path_edit.setText(folder)
        self.tree.setRootIndex(self.model.setRootPath(folder))

    def select_path(self, path: str) -> None:
        """Show the folder of ``path`` and highlight it."""
        self.set_root(os.path.dirname(os.path.abspath(path)))
        idx = self.model.index(os.path.abspath(path))
        if idx.isValid():
            self.tree.setCurrentIndex(idx)

    def _activated(self, index: QModelIndex) -> None:
        path = self.model.filePath(index.siblingAtColumn(0))
        if self.model.isDir(index) and not self._is_scene_folder(path):
            self.set_root(path)
            return
        self.sig_open_requested.emit(path, None)

    @staticmethod
    def _is_scene_folder(path: str) -> bool:
        try:
            return any("_MTL." in n.upper() for n in os.listdir(path))
        except OSError:
            return False

    def show_datasets(self, info: Any) -> None:
        """List the datasets of a multi-dataset file (hidden for single-raster scenes)."""
        self.datasets.clear()
        self._scene_path = info.path
        datasets = getattr(info, "datasets", ()) or ()
        self.ds_box.setVisible(bool(datasets))
        self.datasets_label.setText(f"Datasets of {os.path.basename(info.path)}")
        for ds in datasets:
            shape = " x ".join(str(n) for n in ds.shape)
            item = QTreeWidgetItem([ds.name, shape, ds.dtype])
            item.setData(0, Qt.ItemDataRole.UserRole, ds.name)
            if not ds.displayable:
                item.setDisabled(True)
            if ds.name == info.dataset:
                f = item.font(0)
                f.setBold(True)
                item.setFont(0, f)
            self.datasets.addTopLevelItem(item)
        self.datasets.resizeColumnToContents(0)

    def _dataset_activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        if self._scene_path and not item.isDisabled():
            self.sig_open_requested.emit(self._scene_path, item.data(0, Qt.ItemDataRole.UserRole))

    def shutdown(self) -> None:
        """Stop background work (cloud-cover reads)."""
        self.model.shutdown()
