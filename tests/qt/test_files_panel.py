"""The Files panel: stable order, names told apart, facts read in a worker with errors shown, and a
file list that keeps its room when a dataset list appears."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from qthelpers import LANDSAT_TAR, open_and_wait

from satview.qt.panels.files import FACTS_COLUMN, FACTS_ERROR

SEAICE = "nsidc/september-1979-2023"


def _names(files) -> list[str]:
    return [Path(p).name for p in files.listed()]


def _wait_listed(qtbot, files, n: int) -> None:
    qtbot.waitUntil(lambda: len(files.listed()) >= n, timeout=10_000)


def test_files_are_listed_by_name_from_the_first_rows(qtbot, win, real_data: Path, tmp_path: Path) -> None:
    """45 years of sea-ice files are listed in name (= date) order whenever rows are shown, also while
    the folder is still being read; folders come first, numbers sort by value."""
    folder = real_data / SEAICE
    expected = sorted(p.name for p in folder.iterdir())
    seen: list[list[str]] = []
    win.files.proxy.rowsInserted.connect(lambda *_a: seen.append(_names(win.files)))
    win.files.set_root(str(folder))
    _wait_listed(qtbot, win.files, len(expected))
    assert _names(win.files) == expected
    assert seen and all(names == sorted(names) for names in seen)
    for name in ("b10.tif", "b9.tif", "a.tif"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "zz").mkdir()
    win.files.set_root(str(tmp_path))
    qtbot.waitUntil(lambda: "b10.tif" in _names(win.files) and "zz" in _names(win.files), timeout=10_000)
    names = _names(win.files)
    assert names.index("zz") < names.index("a.tif") < names.index("b9.tif") < names.index("b10.tif")


def test_long_names_are_told_apart(qtbot, win, real_data: Path) -> None:
    """The 1979 and 2023 files look different in the name column (elided in the middle if at all) and
    their tooltip is the full name."""
    folder = real_data / SEAICE
    files = win.files
    files.set_root(str(folder))
    _wait_listed(qtbot, files, 40)
    tree = files.tree
    assert tree.textElideMode() == Qt.TextElideMode.ElideMiddle
    shown = []
    for year, sat in (("1979", "n07"), ("2023", "f17")):
        name = f"seaice_conc_daily_nh_{year}0901_{sat}_v04r00.nc"
        idx = files.model.index(str(folder / name))  # no facts: the tooltip is the name
        assert files.model.data(idx, Qt.ItemDataRole.ToolTipRole) == name
        text_width = tree.columnWidth(0) - 32  # icon and margins
        shown.append(tree.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, text_width))
    assert "1979" in shown[0] and "2023" in shown[1]


def test_unreadable_landsat_file_is_reported(qtbot, win, real_data: Path, tmp_path: Path) -> None:
    """A failed download named as a product: the facts column says so and the error reaches the
    window's error route naming the file; the good tarball next to it gets its cloud cover."""
    bad = tmp_path / "LC08_L1TP_090084_20160121_20170405_01_T1.tar"
    bad.write_text("<html>Please log in</html>")
    good = tmp_path / Path(LANDSAT_TAR).name
    shutil.copy(real_data / LANDSAT_TAR, good)
    files = win.files
    with qtbot.waitSignal(win.reporter.sig_reported, timeout=30_000) as blk:
        files.set_root(str(tmp_path))
        _wait_listed(qtbot, files, 2)
        for p in (bad, good):
            files.model.data(files.model.index(str(p), FACTS_COLUMN))  # what the view asks when painting
    report = blk.args[0]
    assert report.title == FACTS_ERROR and report.path == str(bad) and report.category
    qtbot.waitUntil(lambda: "cloud" in files.model.data(files.model.index(str(good), FACTS_COLUMN)),
                    timeout=30_000)
    assert "unreadable" in files.model.data(files.model.index(str(bad), FACTS_COLUMN))


def test_dataset_list_leaves_the_file_list_most_of_the_room(qtbot, win, real_data: Path) -> None:
    """Opening a multi-dataset file shows its datasets under the files, which keep most of the height."""
    path = real_data / "hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf"
    open_and_wait(qtbot, win, path)
    files = win.files
    qtbot.waitUntil(files.ds_box.isVisible, timeout=10_000)
    assert files.datasets.topLevelItemCount() > 1
    assert files.tree.height() > 2 * files.ds_box.height()


def test_the_opened_file_is_highlighted_and_in_view(qtbot, win, real_data: Path) -> None:
    """select_path (the app's start-up file) highlights the file and scrolls to it once it is listed,
    although the folder is read in the background (the 2023 file is the last of 42)."""
    path = real_data / SEAICE / "seaice_conc_daily_nh_20230901_f17_v04r00.nc"
    files = win.files
    files.select_path(str(path))
    tree = files.tree

    def shown() -> bool:
        cur = tree.currentIndex()
        rect = tree.visualRect(cur)
        return (cur.isValid() and files.model.filePath(files.proxy.mapToSource(cur)) == str(path)
                and rect.top() >= 0 and rect.bottom() <= tree.viewport().height())

    qtbot.waitUntil(lambda: len(files.listed()) == 42 and shown(), timeout=10_000)
