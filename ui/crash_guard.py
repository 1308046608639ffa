"""One exception hook for the desktop app: nothing the operator clicks takes the app down.

PyQt6 aborts the whole process (and with it the live room) when a slot raises and
``sys.excepthook`` is Python's default. ``ExceptionGuard.install`` replaces it, and also
``threading.excepthook`` (a worker thread that dies) and Qt's message handler (Qt's own warnings
and errors). Every unhandled exception is logged with its traceback on the "app.ui" logger, so it
reaches app.log and the Logs view, and ``caught`` carries a short Chinese notice for the window.
The app and the room keep running.

The same failure repeating (a paint handler that raises 60 times a second) is logged in full
once a minute and counted in between, so it cannot flood the log or the notice bar.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable

from PyQt6.QtCore import QObject, QtMsgType, pyqtSignal, qInstallMessageHandler

from app.logs import get_logger

log = get_logger("ui")
qt_log = get_logger("ui.qt")

NOTICE = "界面操作出错，已记录到日志（日志页和 app.log），程序和直播继续运行。如果反复出现，请把 app.log 发给技术支持。"
THREAD_NOTICE = "后台任务出错，已记录到日志（日志页和 app.log），程序和直播继续运行。"
REPEAT_WINDOW_S = 60.0

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


class ExceptionGuard(QObject):
    """``install()`` once the QApplication exists; ``uninstall()`` puts the previous hooks back."""

    caught = pyqtSignal(str)  # a short Chinese notice; emitted from any thread (queued to receivers)

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self.clock = clock
        self.count = 0  # unhandled exceptions seen
        self._lock = threading.Lock()
        self._seen: dict[tuple, tuple[float, int]] = {}  # where -> (last logged at, repeats since)
        self._inside = threading.local()
        self._previous: tuple | None = None

    # ---- installing ------------------------------------------------------------------------------

    def install(self) -> ExceptionGuard:
        if self._previous is None:
            self._previous = (sys.excepthook, threading.excepthook)
            sys.excepthook = self.handle
            threading.excepthook = self._thread_hook
            qInstallMessageHandler(self._qt_message)
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None
            qInstallMessageHandler(None)

    # ---- hooks -----------------------------------------------------------------------------------

    def handle(self, etype, value, tb, *, notice: str = NOTICE, where: str = "") -> None:
        """``sys.excepthook``: log, count, notify; never raises, never exits."""
        if etype is not None and issubclass(etype, (KeyboardInterrupt, SystemExit)):
            previous = self._previous[0] if self._previous else sys.__excepthook__
            previous(etype, value, tb)  # Ctrl+C and exit keep their meaning (process signals: app.py)
            return
        if getattr(self._inside, "active", False):  # the handling itself failed: do not loop
            return
        self._inside.active = True
        try:
            self.count += 1
            first, repeats = self._first_in_window(etype, tb)
            if first:
                suffix = f"（此前一分钟内又出现 {repeats} 次）" if repeats else ""
                log.error("未处理的异常%s，程序继续运行%s", where, suffix, exc_info=(etype, value, tb))
                self.caught.emit(notice)
        except Exception:  # logging must not be what takes the app down
            try:
                sys.__stderr__.write("".join(traceback.format_exception(etype, value, tb)))
            except Exception:
                pass
        finally:
            self._inside.active = False

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "?"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, notice=THREAD_NOTICE,
                    where=f"（线程 {name}）")

    def _first_in_window(self, etype, tb) -> tuple[bool, int]:
        """(log this one in full?, repeats counted since the last full log)."""
        frames = traceback.extract_tb(tb) if tb is not None else []
        last = frames[-1] if frames else None
        key = (etype, last.filename if last else "", last.lineno if last else 0)
        now = self.clock()
        with self._lock:
            at, repeats = self._seen.get(key, (None, 0))
            if at is not None and now - at < REPEAT_WINDOW_S:
                self._seen[key] = (at, repeats + 1)
                return False, 0
            self._seen[key] = (now, 0)
            return True, repeats

    def _qt_message(self, kind, context, message: str) -> None:
        try:
            level = _QT_LEVELS.get(kind, logging.WARNING)
            where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
            qt_log.log(level, "Qt：%s%s", message, where)
        except Exception:
            pass


def install_exception_guard(parent: QObject | None = None) -> ExceptionGuard:
    return ExceptionGuard(parent).install()
