"""Small modal questions with buttons that say what they do, in Chinese (Qt's standard
Yes/No/OK/Cancel would read "Yes"/"OK" without a translation loaded)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


def confirm(parent: QWidget | None, title: str, text: str, ok: str, cancel: str = "取消", *,
            warning: bool = False) -> bool:
    """True when the operator clicked ``ok``; Esc and closing the box mean ``cancel``."""
    box = QMessageBox(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Question, title, text,
                      parent=parent)
    yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no if warning else yes)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def ask_to_save(parent: QWidget | None, title: str, text: str, save: Callable[[], bool]) -> bool:
    """保存 / 不保存 / 取消 for an editor's unsaved edits. True = go on (``save()`` succeeded, or
    不保存), False = stay (取消, or ``save()`` refused)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("不保存", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is cancel:
        return False
    return save() if box.clickedButton() is yes else True


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """The text typed (stripped), or None when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setOkButtonText("确定")
    dialog.setCancelButtonText("取消")
    if dialog.exec() != QInputDialog.DialogCode.Accepted:
        return None
    return dialog.textValue().strip()
