"""“AI 生成变体”: the LLM call in a QThread, and the diff the operator accepts or rejects."""

from __future__ import annotations

import difflib
import html
import threading
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QThread, pyqtSignal
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout


class VariantsWorker(QThread):
    progress = pyqtSignal(str, str)  # step, message
    succeeded = pyqtSignal(str)  # the validated template
    failed = pyqtSignal(str)  # why, for the operator
    cancelled = pyqtSignal()

    def __init__(self, client: Any, base: str, validate: Callable[[str], list[str]], parent=None):
        super().__init__(parent)
        self.client = client
        self.base = base
        self.validate = validate
        self.cancel_flag = threading.Event()

    def cancel(self) -> None:
        self.cancel_flag.set()

    def run(self) -> None:
        from app.llm import Cancelled, VariantGenerationFailed, generate_variants

        try:
            text = generate_variants(self.client, self.base, self.validate, cancel=self.cancel_flag,
                                     progress=lambda step, msg: self.progress.emit(step, msg))
        except Cancelled:
            self.cancelled.emit()
            return
        except VariantGenerationFailed as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # any client failure is reported, never raised into Qt
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        if self.cancel_flag.is_set():
            self.cancelled.emit()
        else:
            self.succeeded.emit(text)


def diff_html(old: str, new: str) -> str:
    """A line diff as HTML: removed lines red, added lines green."""
    rows = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), "当前模板", "AI 生成", lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        esc = html.escape(line) or "&nbsp;"
        if line.startswith("@@"):
            rows.append(f'<div style="color:#6b7280">{esc}</div>')
        elif line.startswith("+"):
            rows.append(f'<div style="background:#dcfce7;color:#14532d">{esc}</div>')
        elif line.startswith("-"):
            rows.append(f'<div style="background:#fee2e2;color:#7f1d1d">{esc}</div>')
        else:
            rows.append(f"<div>{esc}</div>")
    if not rows:
        rows.append("<div>（与当前模板相同）</div>")
    return ('<div style="font-family:monospace;white-space:pre-wrap">' + "".join(rows) + "</div>")


class VariantDiffDialog(QDialog):
    """Shows the proposed template against the current one. Opened with ``open()`` (window
    modal, the event loop keeps running, so the stream and the dashboard go on)."""

    def __init__(self, old: str, new: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("AI 生成的变体模板")
        self.resize(760, 480)
        self.proposed = new
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("绿色为新增，红色为删除。接受后替换编辑器中的模板（尚未保存，可撤销）。"))
        self.view = QTextBrowser()
        self.view.setHtml(diff_html(old, new))
        lay.addWidget(self.view, 1)
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton("接受", QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = buttons.addButton("放弃", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
