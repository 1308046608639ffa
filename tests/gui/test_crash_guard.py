"""The app's exception hook: every unhandled exception logged with its traceback and noticed
once; a repeating failure does not flood the log; worker threads and Qt's own messages too."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PyQt6.QtCore import qWarning

from ui.crash_guard import REPEAT_WINDOW_S, THREAD_NOTICE, ExceptionGuard


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def records():
    got: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = got.append
    logger = logging.getLogger("app")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield got
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def _raise_here(message: str = "boom"):
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_the_same_failure_repeating_is_logged_once_a_minute_and_counted(qtbot, records):
    clock = Clock()
    guard = ExceptionGuard(clock=clock).install()
    notices = []
    guard.caught.connect(notices.append)
    try:
        for _ in range(50):  # a paint handler raising at every frame
            sys.excepthook(*_raise_here())
        clock.t += REPEAT_WINDOW_S + 1
        sys.excepthook(*_raise_here())
    finally:
        guard.uninstall()
    logged = [r for r in records if r.exc_info]
    assert guard.count == 51 and len(logged) == 2 and len(notices) == 2
    assert logged[0].exc_info[0] is ValueError and "boom" in str(logged[0].exc_info[1])
    assert "又出现 49 次" in logged[1].getMessage()


def test_a_worker_thread_that_dies_is_logged_and_noticed(qtbot, records):
    guard = ExceptionGuard().install()
    notices = []
    guard.caught.connect(notices.append)
    try:
        t = threading.Thread(target=lambda: 1 / 0, name="worker-x")
        t.start()
        t.join(5)
        qtbot.waitUntil(lambda: bool(notices), timeout=2000)  # queued to the GUI thread
    finally:
        guard.uninstall()
    assert notices == [THREAD_NOTICE]
    rec = next(r for r in records if r.exc_info)
    assert rec.exc_info[0] is ZeroDivisionError and "worker-x" in rec.getMessage()


def test_qt_messages_reach_the_log_and_uninstall_restores_the_hooks(qtbot, records):
    before = (sys.excepthook, threading.excepthook)
    guard = ExceptionGuard().install()
    assert sys.excepthook == guard.handle
    qWarning(b"something Qt noticed")
    guard.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    assert any(r.name == "app.ui.qt" and "something Qt noticed" in r.getMessage() for r in records)


def test_ctrl_c_keeps_its_meaning(qtbot, monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(exc[0]))
    guard = ExceptionGuard().install()
    try:
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    finally:
        guard.uninstall()
    assert seen == [KeyboardInterrupt] and guard.count == 0
