"""Answering the modal dialogs a click opens (QFileDialog and friends), as a person would: a
timer finds the active modal widget and fills it in."""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit


def answer_file_dialog(path: str | None, *, within_ms: int = 5000) -> list:
    """Arm a timer that picks ``path`` in the next QFileDialog (None: cancel it). Returns a list
    that receives the dialog's window title once answered."""
    seen: list = []
    waited = [0]

    def poll():
        dlg = QApplication.activeModalWidget()
        if isinstance(dlg, QFileDialog):
            seen.append(dlg.windowTitle())
            buttons = dlg.findChild(QDialogButtonBox)
            if path is None:
                buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
            else:  # type the path, then press the dialog's own Open/Save button
                dlg.findChild(QLineEdit, "fileNameEdit").setText(path)
                role = QDialogButtonBox.ButtonRole.AcceptRole
                next(b for b in buttons.buttons() if buttons.buttonRole(b) == role).click()
            return
        waited[0] += 20
        if waited[0] < within_ms:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)
    return seen


def type_chinese(widget, text: str) -> None:
    """Type ``text`` as a Chinese input method does: it commits the composed characters to the
    focused field (QTest.keyClicks only knows ASCII keys)."""
    from PyQt6.QtGui import QInputMethodEvent

    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)
