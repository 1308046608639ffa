"""Small modal questions with buttons that say what they do, in Chinese (Qt's standard
Yes/No/OK/Cancel would read "Yes"/"OK" without a translation loaded)."""

from __future__ import annotations

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
