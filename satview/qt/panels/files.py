"""The file browser: files and folders satview can open, with Landsat facts, and an HDF dataset list.

The facts column shows what a Landsat name says at once; the cloud cover needs the scene's MTL,
so it is read by ``satview.core.facts.scene_facts`` in the display worker (the GUI process parses
no user bytes; that worker runs from start-up, so browsing starts no process), a few files per
request so that pictures and readouts never wait behind a whole folder. A file whose metadata
cannot be read is reported through the window's error route and marked in the column.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDir,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
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

from satview.core.facts import SceneFacts, facts_from_name, has_cheap_metadata, scene_facts
from satview.core.types import SceneInfo
from satview.qt.workers import Background

#: Name filters for what the core recognises (folders are always shown).
NAME_FILTERS = [
    "*.tar", "*.tar.gz", "*.tgz", "*.tif", "*.tiff", "*.TIF", "*.TIFF", "*_MTL.txt", "*_MTL.json",
    "*_MTL.xml", "*.hdf", "*.HDF", "*.h5", "*.he5", "*.hdf5", "*.nc", "*.bin",
]  # fmt: skip
FACTS_COLUMN = 4
#: The default width of the name column shows this name whole: sea-ice CDR files share a 21-character
#: prefix before their dates. Longer names are elided in the middle, with the full name as tooltip.
NAME_SAMPLE = "seaice_conc_daily_nh_19790901_n07_v04r00.nc"
#: Room for the file icon and the margins of the name column, in pixels.
NAME_PADDING = 32
#: Files per facts request (each needs a tar header scan and an MTL parse: milliseconds).
FACTS_PER_REQUEST = 8
#: Title of errors reading a file's metadata for the facts column.
FACTS_ERROR = "Cannot read the scene's metadata"


class SceneFileModel(QFileSystemModel):
    """QFileSystemModel with a fifth "Scene" column of Landsat facts (cloud cover filled in lazily
    by the display worker) and the full name and facts as the tooltip of the name column."""

    def __init__(self, background: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = background
        self.setNameFilters(NAME_FILTERS)
        self.setNameFilterDisables(False)
        self.setFilter(QDir.Filter.AllDirs | QDir.Filter.Files | QDir.Filter.NoDotAndDotDot)
        self.facts: dict[str, SceneFacts] = {}
        self._asked: set[str] = set()
        self._queue: list[str] = []
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._flush)

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

    def facts_of(self, path: str) -> SceneFacts:
        """What is known about ``path`` now (the cloud cover is asked for when it is cheap to read)."""
        known = self.facts.get(path)
        if known is not None:
            return known
        facts = facts_from_name(path)
        if facts.is_scene and has_cheap_metadata(path) and path not in self._asked:
            self._asked.add(path)
            self._queue.append(path)
            self._flush_timer.start()
        return facts

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Landsat facts in the facts column, the full name as the name's tooltip; everything else as
        QFileSystemModel has it."""
        if not index.isValid():
            return super().data(index, role)
        if index.column() == 0 and role == Qt.ItemDataRole.ToolTipRole:
            path = self.filePath(index)
            summary = self.facts_of(path).summary()
            return f"{self.fileName(index)}\n{summary}" if summary else self.fileName(index)
        if index.column() != FACTS_COLUMN:
            return super().data(index, role)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        path = self.filePath(index.siblingAtColumn(0))
        facts = self.facts_of(path)
        text = facts.summary()
        if role == Qt.ItemDataRole.ToolTipRole:
            if facts.error is not None:
                text += f"\n{facts.error}"
            elif facts.is_scene and path.lower().endswith((".tar.gz", ".tgz")):
                text += "\n(cloud cover appears once the scene is opened: the archive is compressed)"
        return text

    def _flush(self) -> None:
        paths, self._queue = self._queue[:FACTS_PER_REQUEST], self._queue[FACTS_PER_REQUEST:]
        if paths:  # the folder names the request in a crash or timeout (and gives it a deadline)
            self.background.run("display", scene_facts, paths, done=self._facts_done, title=FACTS_ERROR,
                                path=os.path.dirname(paths[0]), finished=self._flush)

    def _facts_done(self, found: list[SceneFacts]) -> None:
        for facts in found:
            self.facts[facts.path] = facts
            if facts.error is not None:
                self.background.fail(facts.error, FACTS_ERROR, facts.path)
            idx = self.index(facts.path, FACTS_COLUMN)
            if idx.isValid():
                self.dataChanged.emit(idx, idx)


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a file name: case-insensitive, runs of digits by value ("b9" before "b10")."""
    return tuple((1, int(part)) if part.isdigit() else (0, part)
                 for part in re.split(r"(\d+)", name.casefold()) if part)


class ByName(QSortFilterProxyModel):
    """Folders first, then files by name in natural order (case-insensitive, numbers by value), kept
    sorted as the file system model adds rows: the same order every run, from the first paint on.
    Landsat names start with sensor, path/row and date; dated products sort by date."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(True)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        """Folders before files, then by name."""
        model = self.sourceModel()
        assert isinstance(model, QFileSystemModel)
        left_dir, right_dir = model.isDir(left), model.isDir(right)
        if left_dir != right_dir:
            return left_dir
        return natural_key(model.fileName(left)) < natural_key(model.fileName(right))


class FilesPanel(QWidget):
    """Browse folders; double-click or Enter on a file (or scene folder) asks to open it.

    Below the tree, the datasets of the open multi-dataset file (HDF, netCDF); picking one opens it.
    """

    sig_open_requested = Signal(str, object)  # path, dataset name or None

    def __init__(self, background: Background, root: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SceneFileModel(background, self)
        self.proxy = ByName(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.sort(0)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        for col in (1, 2, 3):  # size, type, date: the facts column says more
            self.tree.setColumnHidden(col, True)
        self.tree.setColumnWidth(0, self.tree.fontMetrics().horizontalAdvance(NAME_SAMPLE) + NAME_PADDING)
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
        split.setStretchFactor(0, 3)  # the file list keeps most of the height when datasets appear
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self._scene_path: str | None = None
        self._to_select: str | None = None
        self._marked: str | None = None  # the file on screen, last highlighted
        self.proxy.rowsInserted.connect(self._select_pending)
        self.proxy.layoutChanged.connect(self._select_pending)
        self.tree.clicked.connect(self._stop_selecting)
        self.root = ""
        self.set_root(root or os.getcwd())

    def set_root(self, folder: str) -> None:
        """Show ``folder`` in the tree."""
        folder = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(folder):
            return
        self.root = folder
        self._to_select = None
        self.path_edit.setText(folder)
        self.tree.setRootIndex(self.proxy.mapFromSource(self.model.setRootPath(folder)))

    def select_path(self, path: str) -> None:
        """Show the folder of ``path`` and highlight it, scrolled into view (once it is listed: the
        folder is read in the background)."""
        self.set_root(os.path.dirname(os.path.abspath(path)))
        self._to_select = os.path.abspath(path)
        self._select_pending()

    def mark_current(self, path: str) -> None:
        """Highlight the file on screen when it is in the folder shown. Stepping through a stack's
        dates moves the highlight along, also into the next date's folder when the list showed the
        previous date's folder; a folder the user went to is left as it is."""
        path = os.path.abspath(path)
        followed = self._marked is not None and os.path.dirname(self._marked) == self.root
        self._marked = path
        if os.path.dirname(path) == self.root:
            self._to_select = path
            self._select_pending()
        elif followed:
            self.select_path(path)

    def _select_pending(self, *_args: object) -> None:
        """Highlight the file ``select_path`` asked for and scroll to it (again as rows arrive, until
        the user clicks in the list or another folder is shown)."""
        if self._to_select is None:
            return
        idx = self.proxy.mapFromSource(self.model.index(self._to_select))
        if idx.isValid():
            self.tree.setCurrentIndex(idx)
            self.tree.scrollTo(idx)

    def _stop_selecting(self, *_args: object) -> None:
        self._to_select = None

    def listed(self) -> list[str]:
        """The paths shown in the current folder, in the order shown."""
        root = self.tree.rootIndex()
        return [self.model.filePath(self.proxy.mapToSource(self.proxy.index(r, 0, root)))
                for r in range(self.proxy.rowCount(root))]

    def _activated(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index.siblingAtColumn(0))
        path = self.model.filePath(source)
        if self.model.isDir(source) and not self._is_scene_folder(path):
            self.set_root(path)
            return
        self.sig_open_requested.emit(path, None)

    @staticmethod
    def _is_scene_folder(path: str) -> bool:
        try:
            return any("_MTL." in n.upper() for n in os.listdir(path))
        except OSError:
            return False

    def show_datasets(self, info: SceneInfo) -> None:
        """List the datasets of a multi-dataset file (hidden for single-raster scenes)."""
        self.datasets.clear()
        self._scene_path = info.path
        datasets = info.datasets
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
