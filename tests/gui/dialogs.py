"""Answering modal dialogs in GUI tests the way an operator would: a timer finds the active
modal widget (QMessageBox, QInputDialog, QFileDialog, any QDialog) and clicks one of its buttons.

    with DialogAnswerer(qtbot, ["删除"]):      # the next dialog: click the button 删除
        qtbot.mouseClick(view.list_panel.del_b, Qt.MouseButton.LeftButton)

A dialog whose dynamic property ``busy`` is True (the pre-flight while its checks run) is left
alone until it is not. Scripted answers are used in order (a button's text, or for a QInputDialog the text to type before
its OK). With no scripted answer left, ``fallback`` decides (``accept_all`` by default: the
accepting button; QFileDialog is cancelled).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
)

ACCEPT_ROLES = (QMessageBox.ButtonRole.AcceptRole, QMessageBox.ButtonRole.YesRole)


def _buttons(dialog) -> list[QAbstractButton]:
    if isinstance(dialog, QMessageBox):
        return list(dialog.buttons())
    return [b for box in dialog.findChildren(QDialogButtonBox) for b in box.buttons()]


def _accepting(dialog) -> QAbstractButton | None:
    for b in _buttons(dialog):
        role = dialog.buttonRole(b) if isinstance(dialog, QMessageBox) else \
            b.parent().buttonRole(b) if isinstance(b.parent(), QDialogButtonBox) else None
        if role in ACCEPT_ROLES or role in (QDialogButtonBox.ButtonRole.AcceptRole, QDialogButtonBox.ButtonRole.YesRole):
            if b.isEnabled():
                return b
    return None


def accept_all(qtbot, dialog, typed: str = "测试商品") -> str:
    """The accepting button; a text dialog gets ``typed`` first; file dialogs are cancelled."""
    if isinstance(dialog, QFileDialog):
        dialog.reject()
        return "cancelled file dialog"
    if isinstance(dialog, QInputDialog):
        dialog.setTextValue(typed)
    button = _accepting(dialog)
    if button is None:
        dialog.reject()
        return "rejected (no enabled accepting button)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return button.text()


def discard_all(qtbot, dialog) -> str:
    """For tearing a window down: "don't save" where offered, else the accepting button."""
    if isinstance(dialog, QMessageBox):
        for b in dialog.buttons():
            if dialog.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole:
                qtbot.mouseClick(b, Qt.MouseButton.LeftButton)
                return b.text()
    return accept_all(qtbot, dialog)


def close_answering(qtbot, window) -> None:
    """Close ``window`` with every question answered by ``discard_all`` (test teardown: a
    dialog nobody answers would hang the run)."""
    with DialogAnswerer(qtbot, fallback=discard_all):
        window.close()


class DialogAnswerer:
    def __init__(self, qtbot, answers: list[str] | None = None, *, fallback=accept_all, interval_ms: int = 20):
        self.qtbot = qtbot
        self.answers = list(answers or [])
        self.fallback = fallback
        self.log: list[tuple[str, str]] = []  # (what the dialog said, what was clicked)
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def __enter__(self) -> DialogAnswerer:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.stop()

    @property
    def texts(self) -> list[str]:
        return [said for said, _ in self.log]

    def _tick(self) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible() or not isinstance(dialog, QDialog):
            return
        if dialog.property("busy"):  # still working (the pre-flight checks): nothing to answer yet
            return
        said = dialog.windowTitle() + "｜" + (dialog.text() if isinstance(dialog, QMessageBox) else
                                              dialog.labelText() if isinstance(dialog, QInputDialog) else "")
        self._timer.stop()  # one answer at a time, even if answering opens the next dialog
        try:
            if self.answers:
                self.log.append((said, self._scripted(dialog, self.answers.pop(0))))
            else:
                self.log.append((said, self.fallback(self.qtbot, dialog)))
        finally:
            self._timer.start()

    def _scripted(self, dialog, answer: str) -> str:
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue(answer)
            return accept_all(self.qtbot, dialog, answer)
        for b in _buttons(dialog):
            if b.text().replace("&", "") == answer:
                self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)
                return answer
        names = [b.text() for b in _buttons(dialog)]
        dialog.reject()
        raise AssertionError(f"dialog {dialog.windowTitle()!r} has no button {answer!r} (it has {names})")


# ---- file dialogs and Chinese typing (the spoken record and 插播 tests) ---------------------

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
