"""``run_gui(argv)``: the desktop app (``python main.py [--demo] [--config PATH]``)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="main.py", description="抖音无人直播控制台（图形界面）")
    p.add_argument("--demo", action="store_true", help="演示模式：内置录制的直播间和演示商品")
    p.add_argument("--config", type=Path, default=None, help="config.ini 的路径")
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
    window.show()
    window.host.build(args.config, args.demo)  # the slow part runs after the window is up
    code = app.exec()
    guard.uninstall()
    logging.getLogger("app").removeHandler(handler)
    return int(code)
