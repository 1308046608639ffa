"""Click everything an operator can click, for real: every tab, every visible and enabled button
(``qtbot.mouseClick``), the first rows of every list, every toolbar/menu action
(``QAction.trigger``), with modal dialogs answered by a ``DialogAnswerer``.

The walker itself does not judge: the test installs the app's ``ExceptionGuard`` and fails on
anything it caught.
"""

from __future__ import annotations

from PyQt6 import sip
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QAbstractButton, QApplication, QListWidget, QTabBar, QTabWidget, QWidget

from tests.gui.ui_driving import hit_point

MAX_ROUNDS = 6
LIST_ROWS = 20


def alive(w) -> bool:
    return w is not None and not sip.isdeleted(w)


def _path(w: QWidget, root: QWidget) -> str:
    """A name for a widget that survives its view being rebuilt: class/objectName/text chain."""
    parts = []
    while alive(w) and w is not root:
        text = w.text() if isinstance(w, QAbstractButton) else ""
        parts.append(f"{type(w).__name__}:{w.objectName()}:{text}")
        w = w.parentWidget()
    return "/".join(reversed(parts))


class Walker:
    def __init__(self, qtbot, *, skip=lambda w: False, settle_ms: int = 10):
        self.qtbot = qtbot
        self.skip = skip
        self.settle_ms = settle_ms
        self.clicked: list[str] = []
        self._done: set[str] = set()

    def _settle(self) -> None:
        QApplication.processEvents()
        self.qtbot.wait(self.settle_ms)

    def click(self, w: QWidget, pos: QPoint | None = None) -> None:
        pos = pos if pos is not None else hit_point(w)
        if pos is None:
            self.qtbot.mouseClick(w, Qt.MouseButton.LeftButton)
        else:
            self.qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=pos)
        self._settle()

    def tabs(self, bar: QTabBar, visit) -> None:
        """Click each tab of ``bar`` and ``visit()`` what it shows."""
        for i in range(bar.count()):
            if not alive(bar) or not bar.isVisible():
                return
            if bar.isTabEnabled(i) and bar.isTabVisible(i):
                self.click(bar, bar.tabRect(i).center())
                self.clicked.append(f"tab {bar.tabText(i)}")
                visit()

    def walk(self, root: QWidget) -> None:
        """Everything under ``root`` (inner tab widgets included), until nothing new appears."""
        for _ in range(MAX_ROUNDS):
            if not alive(root):
                return
            before = len(self._done)
            self._lists(root)
            self._buttons(root)
            for tw in root.findChildren(QTabWidget):
                if alive(tw) and tw.isVisible() and not self.skip(tw):
                    self.tabs(tw.tabBar(), lambda tw=tw: self._buttons(tw.currentWidget()) if alive(tw) else None)
            if len(self._done) == before:
                return

    def _buttons(self, root: QWidget | None) -> None:
        if not alive(root):
            return
        for b in root.findChildren(QAbstractButton):
            if not alive(b) or not b.isVisible() or not b.isEnabled() or self.skip(b):
                continue
            if isinstance(b.parentWidget(), QTabBar):  # its scroll arrows: not an operator control
                continue
            key = _path(b, root.window())
            if key in self._done:
                continue
            self._done.add(key)
            self.clicked.append(key.rsplit("/", 1)[-1])
            self.click(b)

    def _lists(self, root: QWidget) -> None:
        for lw in root.findChildren(QListWidget):
            if not alive(lw) or not lw.isVisible() or self.skip(lw):
                continue
            key = _path(lw, root.window()) + "#rows"
            if key in self._done:
                continue
            self._done.add(key)
            for row in range(min(lw.count(), LIST_ROWS)):
                if not alive(lw) or not lw.isVisible() or row >= lw.count():
                    break
                item = lw.item(row)
                if not item.flags() & Qt.ItemFlag.ItemIsEnabled:
                    continue
                lw.scrollToItem(item)
                rect = lw.visualItemRect(item)
                if rect.isEmpty():
                    continue
                self.click(lw.viewport(), rect.center())
                self.clicked.append(f"row {row} of {key}")
                self._buttons(root)  # what this row shows (a settings page, a product)

    def trigger(self, action) -> None:
        if action.isVisible() and action.isEnabled():
            action.trigger()
            self.clicked.append(f"action {action.text()}")
            self._settle()
