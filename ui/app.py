"""``run_gui(argv)``: the desktop app (``python main.py [--demo] [--config PATH]``).

Process-level guards, so that however the app ends, the embedded redis-server and the runtime
child end with it:

- **Signals** (SIGINT, SIGTERM, SIGHUP; SIGBREAK on Windows). Python runs a signal handler only
  when the interpreter gets control, which it does not while Qt waits for events: the signal is
  written to a socket (``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches. The first
  signal closes the window as its ✕ button does (stopping the room and the bus; unsaved product
  edits are asked about, so nothing the operator made is lost silently); a second one, or one
  that comes while that question waits, stops the room and the bus at once and quits.
- **Unhandled exceptions.** PyQt6 aborts the process on an exception that escapes a slot (no
  cleanup, no atexit: the redis-server was left running). The one exception hook of the app
  (``ui.crash_guard``) logs it with its traceback and shows a notice; the room goes on.
  Exceptions in worker threads are logged the same way. An exception that escapes ``run_gui``
  itself still stops the room and the bus (``finally``).
- What even these cannot catch (SIGKILL, a crash in native code) is covered in the core: the
  runtime child stops when its stdin closes, the redis-server gets SIGTERM from the kernel on
  Linux, and both are recorded so the next start stops a survivor (``app.process_records``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from pathlib import Path

log = logging.getLogger("app.ui")

#: Signals that ask the app to end (those this platform has).
QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
                     if hasattr(signal, name))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="main.py", description="抖音无人直播控制台（图形界面）")
    p.add_argument("--demo", action="store_true", help="演示模式：内置录制的直播间和演示商品")
    p.add_argument("--config", type=Path, default=None, help="config.ini 的路径")
    p.add_argument("--review-snapshot", type=Path, default=None, metavar="PNG",
                   help="打开“直播复盘”页显示最近一场，把整页（含图表）保存为 PNG 图片后退出")
    args, _unknown = p.parse_known_args(argv)  # Qt's own options (-platform …) pass through
    return args


def tune_interpreter() -> None:
    """Bus, listener and TTS threads share the GIL with the GUI thread. With the default 5 ms
    switch interval the GUI thread can wait several intervals behind busy threads at 2,000
    events/s; 1 ms keeps its worst wait well inside one frame."""
    sys.setswitchinterval(0.001)


def run_gui(argv: list[str]) -> int:
    args = parse_args(argv)
    tune_interpreter()
    from PyQt6.QtWidgets import QApplication

    from app.logs import setup_logging
    from ui.crash_guard import install_exception_guard
    from ui.logs_view import QtLogHandler
    from ui.main_window import MainWindow
    from ui.style import apply_style

    setup_logging(console=True)
    handler = QtLogHandler()
    logging.getLogger("app").addHandler(handler)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("抖音无人直播控制台")
    app.setOrganizationName("douyin-live")
    apply_style(app)
    guard = install_exception_guard(app)  # a slot that raises is logged and noticed, not fatal
    window = MainWindow(config_path=args.config, demo=args.demo, log_handler=handler)
    guard.caught.connect(lambda message: window.notify("error", message))
    guards = ProcessGuards(app, window)
    if args.review_snapshot is not None:
        from ui.review_snapshot import snapshot_review

        snapshot_review(app, window, args.review_snapshot, errors=guard.caught)
    try:
        window.show()
        window.host.build(args.config, args.demo)  # the slow part runs after the window is up
        code = app.exec()
    finally:
        guards.remove()
        guard.uninstall()
        window.host.shutdown()  # already done by a normal close; not when something escaped
        logging.getLogger("app").removeHandler(handler)
    return guards.exit_code if guards.exit_code is not None else int(code)


class ProcessGuards:
    """The signal relay of the module docstring, for one window."""

    def __init__(self, app, window):
        from PyQt6.QtCore import QSocketNotifier

        self.app = app
        self.window = window
        self.exit_code: int | None = None
        self._asked = False  # the first quit signal has closed (or tried to close) the window
        self._old_handlers: dict[int, object] = {}
        self._old_wakeup = None
        self._notifier = None
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        if threading.current_thread() is not threading.main_thread():
            return  # signals can only be handled on the main thread
        read, write = socket.socketpair()
        read.setblocking(False)
        write.setblocking(False)
        self._sockets = (read, write)
        self._old_wakeup = signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
        for sig in QUIT_SIGNALS:
            # the handler itself does nothing: the wakeup socket carries the signal's number
            self._old_handlers[sig] = signal.signal(sig, lambda *_: None)
        self._notifier = QSocketNotifier(read.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._signalled)

    def remove(self) -> None:
        if self._sockets is None:
            return
        self._notifier.setEnabled(False)
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        signal.set_wakeup_fd(self._old_wakeup if self._old_wakeup is not None else -1)
        for s in self._sockets:
            s.close()
        self._sockets = None

    # ---- signals -------------------------------------------------------------------------------

    def _signalled(self, *_args) -> None:
        try:
            data = self._sockets[0].recv(64) if self._sockets else b""
        except (BlockingIOError, InterruptedError, OSError):
            return
        for signum in data:
            self._quit_requested(signum)

    def _quit_requested(self, signum: int) -> None:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        if not self._asked:
            self._asked = True
            log.warning("收到 %s：正在关闭程序（停止直播和内置 Redis）", name)
            closed = self.window.close_on_request()  # unsaved edits are asked about; the live stops
            if not closed and self.exit_code is None:
                log.warning("关闭被取消（有未保存的修改）；再次发送 %s 将不再询问，直接停止直播并退出", name)
            return
        log.warning("再次收到 %s：立即停止直播和内置 Redis 并退出（未保存的修改不会保存）", name)
        self.exit_code = 128 + signum
        self.window.host.shutdown()
        self.app.exit(self.exit_code)  # every event loop, a waiting dialog's too
