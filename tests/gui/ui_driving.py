"""Driving widgets the way the operator does: clicks on buttons, tabs and list rows, typing.

Chinese is typed the way an input method delivers it: a QInputMethodEvent that commits the
characters (QTest's key clicks only know Latin-1 and abort on anything else)."""

from __future__ import annotations

import re

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QInputMethodEvent
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLineEdit,
    QListWidget,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QTableWidget,
    QTabWidget,
    QWidget,
)

LEFT = Qt.MouseButton.LeftButton


def hit_point(button: QWidget) -> QPoint | None:
    """Where a click lands on ``button``: a check box's indicator (a wide check box's centre
    can be empty space), else the centre (None)."""
    if isinstance(button, (QCheckBox, QRadioButton)):
        opt = QStyleOptionButton()
        button.initStyleOption(opt)
        element = QStyle.SubElement.SE_CheckBoxIndicator if isinstance(button, QCheckBox) else \
            QStyle.SubElement.SE_RadioButtonIndicator
        return button.style().subElementRect(element, opt, button).center()
    return None


def click(qtbot, button) -> None:
    pos = hit_point(button)
    if pos is None:
        qtbot.mouseClick(button, LEFT)
    else:
        qtbot.mouseClick(button, LEFT, pos=pos)


def click_tab(qtbot, tabs: QTabWidget, text: str) -> None:
    bar = tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == text)
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index


def click_row(qtbot, lw: QListWidget, row: int) -> None:
    item = lw.item(row)
    lw.scrollToItem(item)
    qtbot.mouseClick(lw.viewport(), LEFT, pos=lw.visualItemRect(item).center())


def row_of(lw: QListWidget, text: str) -> int:
    """The row whose text contains ``text``."""
    return next(i for i in range(lw.count()) if text in lw.item(i).text())


def keys(qtbot, widget: QWidget, text: str) -> None:
    """Type ``text`` at the cursor: Latin-1 as key clicks, everything else through the input
    method, line breaks as Return."""
    for i, line in enumerate(text.split("\n")):
        if i:
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        for run in re.findall(r"[\x20-\x7e]+|[^\x20-\x7e]+", line):
            if run.isascii():
                qtbot.keyClicks(widget, run)
            else:
                event = QInputMethodEvent()
                event.setCommitString(run)
                QApplication.sendEvent(widget, event)


def type_text(qtbot, edit: QWidget, text: str, *, replace: bool = True) -> None:
    """Type ``text`` into a text box, replacing what is there."""
    edit.setFocus()
    if replace:
        qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(edit, Qt.Key.Key_Delete)
    keys(qtbot, edit, text)


def type_cell(qtbot, table: QTableWidget, row: int, column: int, text: str) -> None:
    """Double-click a cell, type over it and press Return, as in a spreadsheet."""
    table.scrollToItem(table.item(row, column))
    pos = table.visualRect(table.model().index(row, column)).center()
    qtbot.mouseClick(table.viewport(), LEFT, pos=pos)  # Qt 6's item views edit on a press, then a double click
    qtbot.mouseDClick(table.viewport(), LEFT, pos=pos)
    editors = [w for w in table.viewport().findChildren(QLineEdit) if w.isVisible()]
    assert editors, "double-click did not open the cell editor"
    editor = editors[0]
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    keys(qtbot, editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.item(row, column).text() == text, timeout=1000)  # Qt commits it queued
