"""The monkey's user actions on the real main window (see ``engine.py``): each one is what a user does
with the keyboard, the mouse, a panel's widgets or a dialog, chosen from a seeded random stream."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

from stack_actions import StackActions

CRS_TEXTS = ["EPSG:4326", "EPSG:3413", "EPSG:32633", "EPSG:3857", "ESRI:54009", "garbage", "EPSG:999999",
             "+proj=ortho +lat_0=90", ""]


class Monkey(StackActions):
    """The seeded actions on one window. ``paths``: {"scenes": [...], "vectors": [...], "stacks": [...]}
    to open/import (stacks: folders of dates of one place)."""

    def __init__(self, win: Any, rng: random.Random, paths: dict[str, list[str]], out_dir: Path,
                 rec: Any, patience: float = 1.0) -> None:
        self.win, self.rng, self.paths, self.out_dir, self.rec = win, rng, paths, out_dir, rec
        self.patience = patience  # scales how long the user waits for an open or an export
        self.n_out = 0
        self.actions: list[tuple[str, float, Any]] = [
            ("open", 10, self.open_file), ("open_recent", 1, self.open_recent),
            ("open_folder", 1, self.open_folder), ("open_from_files_panel", 1, self.open_from_files_panel),
            ("drop", 1, self.drop_file), ("wait", 6, self.wait),
            ("mode", 3, self.mode), ("preset", 4, self.preset), ("rgb_band", 2, self.rgb_band),
            ("band", 2, self.single_band), ("index", 3, self.index), ("cmap", 1, self.cmap),
            ("stretch", 4, self.stretch), ("stretch_value", 3, self.stretch_value),
            ("linked", 1, self.linked),
            ("units", 1, self.units), ("hist_band", 1, self.hist_band), ("qa_flag", 1, self.qa_flag),
            ("extent", 1, self.extent), ("zoom_key", 5, self.zoom_key), ("zoom_wheel", 2, self.zoom_wheel),
            ("zoom_scene", 2, self.zoom_scene), ("pan_key", 4, self.pan_key), ("pan_drag", 3, self.pan_drag),
            ("hover", 4, self.hover), ("draw_aoi", 5, self.draw_aoi), ("edit_aoi", 2, self.edit_aoi),
            ("select_aoi", 2, self.select_aoi), ("delete_aoi", 2, self.delete_aoi),
            ("import_aois", 1, self.import_aois), ("export_aois", 1, self.export_aois),
            ("export_clip", 3, self.export_clip), ("quicklook", 3, self.quicklook),
            ("cancel", 3, self.cancel),
            ("reproject", 3, self.reproject), ("crs_text", 2, self.crs_text), ("goto", 1, self.goto),
            ("batch_dialog", 1, self.batch_dialog), ("toggle", 1, self.toggle), ("details", 1, self.details),
            ("wkt", 1, self.wkt), ("resize", 1, self.resize), *self.stack_actions(),
        ]
        self._weights = [w for _, w, _ in self.actions]

    # ------------------------------------------------------------------ helpers
    def qwait(self, ms: int) -> None:
        from PySide6.QtTest import QTest

        QTest.qWait(ms)

    def until(self, signals: list[Any], timeout_ms: int) -> None:
        """Run the event loop until one of ``signals`` fires or ``timeout_ms`` passes."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        timer = QTimer(loop, singleShot=True, interval=timeout_ms)  # ends with the loop, never fires late
        timer.timeout.connect(loop.quit)
        for s in signals:
            s.connect(loop.quit)
        timer.start()
        loop.exec()
        timer.stop()
        for s in signals:
            s.disconnect(loop.quit)
        loop.deleteLater()

    def out_path(self, name: str) -> str:
        self.n_out += 1
        return str(self.out_dir / f"{self.n_out:05d}-{name}")

    def has_scene(self) -> bool:
        return self.win.session.info is not None

    def key(self, widget: Any, key: Any, mods: Any = None) -> None:
        """A key click on ``widget`` of the (activated) main window, as shortcuts need."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        if QApplication.activeWindow() is not self.win:
            self.win.activateWindow()
            QTest.qWaitForWindowActive(self.win, 1000)
        QTest.keyClick(widget, key, mods or Qt.KeyboardModifier.NoModifier)

    def viewport_point(self) -> Any:
        from PySide6.QtCore import QPoint

        vp = self.win.canvas.glw.viewport()
        return QPoint(self.rng.randrange(max(1, vp.width())), self.rng.randrange(max(1, vp.height())))

    def pick_combo(self, combo: Any) -> None:
        """Choose an item the way a user does: the current index changes, then ``activated`` fires."""
        if combo.count() and combo.isEnabled():
            i = self.rng.randrange(combo.count())
            combo.setCurrentIndex(i)
            combo.activated.emit(i)

    def click(self, button: Any) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        if button.isEnabled():
            if button.isVisible():
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            else:
                button.click()

    # ------------------------------------------------------------------ dialogs answer like a user
    def patch_dialogs(self) -> None:
        """Replace the modal file dialogs and the clip dialog's ``exec`` by seeded answers."""
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog

        from satview.qt.dialogs.export import ExportDialog

        m = self

        def get_open(_parent: Any = None, caption: str = "", *_a: Any, **_k: Any) -> tuple[str, str]:
            if m.rng.random() < 0.1:
                return "", ""
            pool = m.paths["vectors"] if "AOI" in caption else m.paths["scenes"]
            m.rec.detail = m.rng.choice(pool)
            return m.rec.detail, ""

        def get_save(_parent: Any = None, _caption: str = "", start: str = "", *_a: Any,
                     **_k: Any) -> tuple[str, str]:
            if m.rng.random() < 0.1:
                return "", ""
            m.rec.detail = m.out_path(os.path.basename(start) or "out")
            return m.rec.detail, ""

        def get_open_names(*_a: Any, **_k: Any) -> tuple[list[str], str]:
            stacks = m.paths.get("stacks") or []
            if m.rng.random() < 0.1 or not stacks:
                return [], ""
            dates = sorted(str(p) for p in Path(m.rng.choice(stacks)).iterdir())
            chosen = m.rng.sample(dates, min(len(dates), m.rng.randint(2, 6)))
            if m.rng.random() < 0.2:  # a file of another place (or a hostile case) among the dates
                chosen.append(m.rng.choice(m.paths["scenes"]))
            m.rec.detail = ";".join(chosen)
            return chosen, ""

        def get_dir(*_a: Any, **_k: Any) -> str:
            dirs = [p for p in m.paths["scenes"] + m.paths.get("stacks", []) if os.path.isdir(p)]
            m.rec.detail = m.rng.choice(dirs) if dirs and m.rng.random() < 0.9 else ""
            return m.rec.detail

        def exec_clip(dlg: Any) -> int:
            r = m.rng
            dlg.path.setText(m.out_path("clip.tif"))
            if r.random() < 0.3 and dlg.bands.count():
                item = dlg.bands.item(r.randrange(dlg.bands.count()))
                from PySide6.QtCore import Qt

                item.setCheckState(Qt.CheckState.Unchecked)
            if r.random() < 0.3:
                dlg.all_touched.setChecked(not dlg.all_touched.isChecked())
            if r.random() < 0.2:
                dlg.cog.setChecked(True)
            if r.random() < 0.3:
                m.pick_combo(dlg.crs.combo)
            if r.random() < 0.1:
                return QDialog.DialogCode.Rejected
            box = dlg.findChild(QDialogButtonBox)
            m.click(box.button(QDialogButtonBox.StandardButton.Ok))
            if dlg.result() != QDialog.DialogCode.Accepted:
                dlg.reject()
            return dlg.result()

        QFileDialog.getOpenFileName = staticmethod(get_open)
        QFileDialog.getOpenFileNames = staticmethod(get_open_names)
        QFileDialog.getSaveFileName = staticmethod(get_save)
        QFileDialog.getExistingDirectory = staticmethod(get_dir)
        ExportDialog.exec = exec_clip

    # ------------------------------------------------------------------ actions: opening
    def _maybe_wait_open(self) -> None:
        if self.rng.random() < 0.75:
            w = self.win
            self.until([w.session.sig_rendered, w.reporter.sig_reported], int(10_000 * self.patience))

    def open_file(self) -> None:
        from PySide6.QtCore import Qt

        self.key(self.win, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
        self._maybe_wait_open()

    def open_recent(self) -> None:
        acts = [a for a in self.win.recent_menu.actions() if a.isEnabled()]
        if acts:
            act = self.rng.choice(acts)
            self.rec.detail = act.toolTip()
            act.trigger()
            self._maybe_wait_open()

    def open_folder(self) -> None:
        self.win.actions_["open_folder"].trigger()
        self._maybe_wait_open()

    def open_from_files_panel(self) -> None:
        files = self.win.files
        self.rec.detail = self.rng.choice(self.paths["scenes"])
        files.sig_open_requested.emit(self.rec.detail, None)
        self._maybe_wait_open()

    def drop_file(self) -> None:
        from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
        from PySide6.QtGui import QDropEvent
        from PySide6.QtWidgets import QApplication

        mime = QMimeData()
        self.rec.detail = self.rng.choice(self.paths["scenes"])
        mime.setUrls([QUrl.fromLocalFile(self.rec.detail)])
        ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.win, ev)
        self._maybe_wait_open()

    def wait(self) -> None:
        self.qwait(self.rng.choice([50, 200, 500, 1500]))

    # ------------------------------------------------------------------ actions: display
    def mode(self) -> None:
        self.click(self.rng.choice(list(self.win.bands.mode_buttons.values())))

    def preset(self) -> None:
        self.pick_combo(self.win.bands.preset)

    def rgb_band(self) -> None:
        self.pick_combo(self.rng.choice(self.win.bands.rgb_combos))

    def single_band(self) -> None:
        self.pick_combo(self.win.bands.band)

    def index(self) -> None:
        self.click(self.win.bands.mode_buttons["index"])
        self.pick_combo(self.win.bands.index)

    def cmap(self) -> None:
        self.pick_combo(self.win.bands.cmap)

    def stretch(self) -> None:
        self.pick_combo(self.win.bands.stretch_mode)

    def stretch_value(self) -> None:
        b = self.win.bands
        spin = self.rng.choice([b.low, b.high, b.n_std, b.gamma])
        if spin.isEnabled():
            spin.setValue(self.rng.uniform(spin.minimum(), spin.maximum()))

    def linked(self) -> None:
        self.click(self.win.bands.linked)

    def units(self) -> None:
        self.click(self.win.bands.units)

    def hist_band(self) -> None:
        self.pick_combo(self.win.bands.hist_band)

    def qa_flag(self) -> None:
        from PySide6.QtCore import Qt

        lst = self.win.bands.qa_list
        if lst.count():
            item = lst.item(self.rng.randrange(lst.count()))
            on = item.checkState() != Qt.CheckState.Checked
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def extent(self) -> None:
        if not self.win.bands.ice_group.isHidden():
            self.click(self.win.bands.extent_button)

    # ------------------------------------------------------------------ actions: navigation
    def zoom_key(self) -> None:
        from PySide6.QtCore import Qt

        self.win.canvas.glw.setFocus()
        for _ in range(self.rng.randint(1, 4)):
            k = self.rng.choice([Qt.Key.Key_Plus, Qt.Key.Key_Minus, Qt.Key.Key_Equal])
            self.key(self.win.canvas.glw, k)

    def zoom_wheel(self) -> None:
        from PySide6.QtCore import QPoint, QPointF, Qt
        from PySide6.QtGui import QWheelEvent
        from PySide6.QtWidgets import QApplication

        vp = self.win.canvas.glw.viewport()
        p = QPointF(self.viewport_point())
        delta = self.rng.choice([120, -120, 240, -240])
        ev = QWheelEvent(p, vp.mapToGlobal(p), QPoint(), QPoint(0, delta), Qt.MouseButton.NoButton,
                         Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(vp, ev)

    def zoom_scene(self) -> None:
        from PySide6.QtCore import Qt

        self.key(self.win, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)

    def pan_key(self) -> None:
        from PySide6.QtCore import Qt

        self.win.canvas.glw.setFocus()
        k = self.rng.choice([Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down])
        for _ in range(self.rng.randint(1, 3)):
            self.key(self.win.canvas.glw, k)

    def drag(self, start: Any, end: Any, steps: int = 4) -> None:
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        vp = self.win.canvas.glw.viewport()
        left = Qt.MouseButton.LeftButton
        QTest.mousePress(vp, left, Qt.KeyboardModifier.NoModifier, start)
        for k in range(1, steps + 1):
            QTest.mouseMove(vp, QPoint(start.x() + (end.x() - start.x()) * k // steps,
                                       start.y() + (end.y() - start.y()) * k // steps))
        QTest.mouseRelease(vp, left, Qt.KeyboardModifier.NoModifier, end)

    def pan_drag(self) -> None:
        self.drag(self.viewport_point(), self.viewport_point())

    def hover(self) -> None:
        from PySide6.QtTest import QTest

        for _ in range(self.rng.randint(1, 5)):
            QTest.mouseMove(self.win.canvas.glw.viewport(), self.viewport_point())
            self.qwait(self.rng.choice([0, 10, 60]))

    # ------------------------------------------------------------------ actions: AOIs
    def draw_aoi(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        glw = self.win.canvas.glw
        glw.setFocus()
        self.key(glw, Qt.Key.Key_P)
        vp = glw.viewport()
        pts = [self.viewport_point() for _ in range(self.rng.randint(1, 6))]
        for p in pts:
            QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
            self.qwait(self.rng.choice([0, 5, 30]))
        end = self.rng.random()
        if end < 0.45:
            self.key(glw, Qt.Key.Key_Return)
        elif end < 0.8:
            QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
        elif end < 0.9:
            self.key(self.win, Qt.Key.Key_Escape)
        # else: left unfinished, like a user who moves on

    def edit_aoi(self) -> None:
        """Click inside an AOI's outline (selects it), then drag a corner of its editor."""
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtTest import QTest

        canvas = self.win.canvas
        drawn = list(canvas.aoi_layer.drawn.items())
        if not drawn:
            return
        _aoi_id, ring = self.rng.choice(drawn)
        cx, cy = sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)
        inside = canvas.glw.mapFromScene(canvas.vb.mapViewToScene(QPointF(cx, cy)))
        QTest.mouseClick(canvas.glw.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, inside)
        self.qwait(self.rng.choice([0, 30]))
        editor = canvas.aoi_layer.editor
        handles = editor.getHandles() if editor is not None else []
        if not handles:
            return
        start = canvas.glw.mapFromScene(self.rng.choice(handles).scenePos())
        self.drag(start, self.viewport_point())

    def select_aoi(self) -> None:
        lst = self.win.aoi_panel.list
        if lst.count():
            lst.setCurrentRow(self.rng.randrange(lst.count()))

    def delete_aoi(self) -> None:
        from PySide6.QtCore import Qt

        self.select_aoi()
        if self.rng.random() < 0.5:
            self.win.canvas.glw.setFocus()
            self.key(self.win.canvas.glw, Qt.Key.Key_Delete)
        else:
            self.win.actions_["delete"].trigger()

    def import_aois(self) -> None:
        self.win.actions_["import"].trigger()

    def export_aois(self) -> None:
        self.win.actions_["export"].trigger()

    # ------------------------------------------------------------------ actions: exports
    def _maybe_wait_task(self) -> None:
        if self.rng.random() < 0.5:
            self.until([self.win.exports.sig_task_finished, self.win.reporter.sig_reported],
                       int(8_000 * self.patience))

    def export_clip(self) -> None:
        from PySide6.QtCore import Qt

        self.key(self.win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        self._maybe_wait_task()

    def quicklook(self) -> None:
        from PySide6.QtCore import Qt

        mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        self.key(self.win, Qt.Key.Key_E, mods)
        self._maybe_wait_task()

    def cancel(self) -> None:
        from PySide6.QtCore import Qt

        if self.win.cancel_button.isVisible() and self.rng.random() < 0.5:
            self.click(self.win.cancel_button)
        else:
            self.key(self.win, Qt.Key.Key_Escape)

    # ------------------------------------------------------------------ actions: projection
    def reproject(self) -> None:
        p = self.win.projection
        if self.rng.random() < 0.6:
            self.pick_combo(p.chooser.combo)
        self.click(p.reproject)

    def crs_text(self) -> None:
        from PySide6.QtTest import QTest

        p = self.win.projection.chooser
        edit = self.rng.choice([p.custom, p.filter])
        edit.clear()
        QTest.keyClicks(edit, self.rng.choice(CRS_TEXTS))
        edit.editingFinished.emit()
        self.qwait(250)
        if p.results.count() and self.rng.random() < 0.5:
            item = p.results.item(self.rng.randrange(p.results.count()))
            p.results.itemClicked.emit(item)

    def goto(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        edit = self.win.projection.goto
        edit.clear()
        text = self.rng.choice(["-117.5, 36.2", "10 45", "0,0", "400, 10", "abc", "", "-45.0; -70"])
        QTest.keyClicks(edit, text)
        self.key(edit, Qt.Key.Key_Return)

    # ------------------------------------------------------------------ actions: window
    def batch_dialog(self) -> None:
        from PySide6.QtCore import Qt

        self.key(self.win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
        dlg = self.win.batch_dialog
        self.qwait(self.rng.choice([0, 50, 300]))
        if dlg is not None:
            self.pick_combo(dlg.command)
            dlg.close()

    def toggle(self) -> None:
        acts = [self.win.actions_["scale_bar"], self.win.actions_["north"],
                *(d.toggleViewAction() for d in self.win.docks.values())]
        self.rng.choice(acts).trigger()

    def details(self) -> None:
        rep = self.win.reporter
        rep.show_details()
        self.qwait(30)
        if rep._dialog is not None:
            rep._dialog.close()

    def wkt(self) -> None:
        self.win.projection.show_wkt()
        dlg = getattr(self.win.projection, "_wkt", None)
        self.qwait(30)
        if dlg is not None:
            dlg.close()

    def resize(self) -> None:
        self.win.resize(self.rng.randint(700, 1600), self.rng.randint(500, 1000))

    # ------------------------------------------------------------------ loop
    def step(self, i: int) -> None:
        """Action number ``i``: logged before it runs, so a crash is pinned on it."""
        name, _w, fn = self.rng.choices(self.actions, weights=self._weights)[0]
        self.rec.action = name
        self.rec.write("step", i=i, t=round(time.perf_counter(), 3))
        fn()
        self.qwait(self.rng.choice([0, 5, 20, 50]))
