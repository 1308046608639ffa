"""GUI test fixtures: a private copy of the demo products and a config.ini on the memory bus;
``operator_window``: the main window around a real Runtime whose products and templates are
private copies (tests delete, rename and save for real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app import paths

pytest.importorskip("pytestqt")


@pytest.fixture
def products_dir(tmp_path) -> Path:
    root = tmp_path / "products"
    shutil.copytree(paths.bundled_data_dir() / "products", root)
    return root


@pytest.fixture
def library(products_dir):
    from app.content import ProductLibrary

    return ProductLibrary(products_dir, check_interval=0.0)


@pytest.fixture(scope="session")
def compliance():
    from app.compliance import ComplianceFilter

    return ComplianceFilter.from_dir()


@pytest.fixture
def config_file(tmp_path) -> Path:
    from app.config import render_default, write_values

    path = tmp_path / "config.ini"
    path.write_text("# 运营者自己的备注：不要删\n" + render_default(), encoding="utf-8")
    write_values(path, {("bus", "url"): "memory"})
    return path


@pytest.fixture
def memory_bus():
    from app.bus import MemoryBus

    bus = MemoryBus("gui-test")
    yield bus
    bus.close()


@pytest.fixture
def operator_config(config_file, tmp_path):
    """config.ini whose products and templates are private copies, with null audio and a feed
    address nobody listens on."""
    from app.config import write_values

    shutil.copytree(paths.bundled_data_dir() / "products", tmp_path / "op_products")
    shutil.copytree(paths.bundled_data_dir() / "templates", tmp_path / "op_templates")
    write_values(config_file, {
        ("script", "products_dir"): str(tmp_path / "op_products"),
        ("script", "templates_dir"): str(tmp_path / "op_templates"),
        ("store", "db_path"): str(tmp_path / "live.sqlite3"),
        ("audio", "backend"): "null",
        ("douyin", "url"): "ws://127.0.0.1:9",
    })
    return config_file


@pytest.fixture
def log_handler():
    """The Logs view's feed, attached to the "app" logger as run_gui attaches it."""
    import logging

    from ui.logs_view import QtLogHandler

    handler = QtLogHandler()
    logging.getLogger("app").addHandler(handler)
    yield handler
    logging.getLogger("app").removeHandler(handler)


@pytest.fixture
def operator_window(qtbot, operator_config, memory_bus, log_handler, tmp_path):
    """A shown MainWindow with its runtime built (not started); closed at the end with every
    question answered (a dialog nobody answers would hang the run)."""
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication

    from tests.gui.dialogs import close_answering
    from ui.main_window import MainWindow
    from ui.session import RuntimeHost
    from ui.style import apply_style

    apply_style(QApplication.instance())  # as run_gui: the font, the style sheet, Qt's Chinese texts

    def build(config_path, demo):
        from app.runtime import Runtime

        return Runtime(config_path, demo=demo, bus=memory_bus)

    host = RuntimeHost(factory=build)
    win = MainWindow(config_path=operator_config, host=host, log_handler=log_handler,
                     settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win, before_close_func=lambda w: close_answering(qtbot, w))
    win.resize(1280, 760)
    win.show()
    host.build(operator_config, False)
    qtbot.waitUntil(lambda: win.dashboard is not None, timeout=5000)
    return win
