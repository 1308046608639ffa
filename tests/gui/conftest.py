"""GUI test fixtures: a private copy of the demo products and a config.ini on the memory bus."""

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
