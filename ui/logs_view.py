"""The logs screen and the non-blocking notices.

``QtLogHandler`` is attached to the "app" logger tree; records from any thread are formatted
and appended to a locked list, and a GUI-thread timer moves them into the view a few times a
second (no widget is touched from a worker thread, no signal per log line).

``NoticeBar`` shows one message at a time at the top of the window in a strip that is always
there (so nothing moves) and clears itself after a few seconds; it never blocks anything and
never needs a click.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QFont, QFontDatabase
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.logs import FORMAT

LEVELS = (("全部", logging.DEBUG), ("信息及以上", logging.INFO), ("警告及以上", logging.WARNING),
          ("仅错误", logging.ERROR))


class QtLogHandler(logging.Handler):
    def __init__(self, max_lines: int = 5000):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(FORMAT))
        try:
            from app.redaction import RedactingFilter

            self.addFilter(RedactingFilter())
        except ImportError:  # pragma: no cover
            pass
        self._lock = threading.Lock()
        self.pending: list[tuple[int, str]] = []
        self.history: deque[tuple[int, str]] = deque(maxlen=max_lines)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            return
        with self._lock:
            self.pending.append((record.levelno, line))

    def take(self) -> list[tuple[int, str]]:
        with self._lock:
            out, self.pending = self.pending, []
        self.history.extend(out)
        return out


class LogsView(QWidget):
    def __init__(self, handler: QtLogHandler, parent=None):
        super().__init__(parent)
        self.handler = handler
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("级别"))
        self.level = QComboBox()
        for label, lvl in LEVELS:
            self.level.addItem(label, lvl)
        self.level.setCurrentIndex(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("筛选：输入关键字")
        self.pause = QPushButton("暂停滚动")
        self.pause.setCheckable(True)
        clear = QPushButton("清屏")
        bar.addWidget(self.level)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.pause)
        bar.addWidget(clear)
        lay.addLayout(bar)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(5000)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(font)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        lay.addWidget(self.text, 1)
        self.level.currentIndexChanged.connect(self._refilter)
        self.search.textChanged.connect(self._refilter)
        clear.clicked.connect(self.text.clear)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.pump)
        self._timer.start(300)

    def _wanted(self, level: int, line: str) -> bool:
        needle = self.search.text().strip()
        return level >= int(self.level.currentData()) and (not needle or needle in line)

    def pump(self) -> None:
        lines = [line for lvl, line in self.handler.take() if self._wanted(lvl, line)]
        if lines and not self.pause.isChecked():
            self.text.appendPlainText("\n".join(lines))

    def _refilter(self) -> None:
        self.handler.take()
        self.text.setPlainText("\n".join(line for lvl, line in self.handler.history if self._wanted(lvl, line)))
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)


class NoticeBar(QWidget):
    """One notice at a time in a strip of fixed height that is always there: showing or clearing
    a notice never moves the controls below it (a click aimed at a button must not land on
    another one because a message appeared). Long text is cut to one line; the whole text is in
    the tooltip and in the Logs view."""

    COLORS = {"info": ("#ecfdf5", "#065f46"), "warning": ("#fffbeb", "#92400e"), "error": ("#fef2f2", "#991b1b")}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("noticeBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 2, 6, 2)
        self.label = QLabel("")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(32)
        self.close_button.setStyleSheet("QPushButton { padding: 0px 4px; font-size: 12pt; }")  # the app's padding hid the ×
        self.close_button.setToolTip("关闭这条提示（日志页里仍可查看）")
        self.close_button.clicked.connect(lambda: self.clear())
        keep = self.close_button.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.close_button.setSizePolicy(keep)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button)
        self.setFixedHeight(max(self.fontMetrics().height() + 12, self.close_button.sizeHint().height() + 4))
        self.history: deque[tuple[float, str, str]] = deque(maxlen=200)
        self.message = ""  # the notice shown, whole ("" when none)
        self.level = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.setAutoFillBackground(True)
        self.clear()

    @property
    def showing(self) -> bool:
        return bool(self.message)

    def show_notice(self, level: str, message: str) -> None:
        self.history.append((time.time(), level, message))
        bg, fg = self.COLORS.get(level, self.COLORS["info"])
        self.setStyleSheet(f"#noticeBar {{ background:{bg}; border-bottom:1px solid {fg}; }}"
                           f" QLabel {{ color:{fg}; }}")
        prefix = {"error": "出错：", "warning": "注意："}.get(level, "")
        self.level = level
        self.message = prefix + message
        self._fit()
        self.label.setToolTip(self.message)
        self.close_button.show()
        self._timer.start(12000 if level == "error" else 6000)
        logging.getLogger("app.ui").log(
            {"error": logging.ERROR, "warning": logging.WARNING}.get(level, logging.INFO), "%s", message)

    def clear(self) -> None:
        self._timer.stop()
        self.message = self.level = ""
        self.label.setText("")
        self.label.setToolTip("")
        self.close_button.hide()
        self.setStyleSheet("#noticeBar { border-bottom:1px solid #e5e7eb; }")

    def _fit(self) -> None:
        line = " ".join(self.message.split())  # one line: newlines become spaces
        width = max(40, self.label.width())
        self.label.setText(self.label.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.message:
            self._fit()
