"""Where the app reads its shipped defaults and writes the operator's files, from source and from
the PyInstaller build (simulated: sys.frozen, sys._MEIPASS, sys.executable)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app import paths

SOURCE_ROOT = Path(paths.__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_choice():
    paths.reset()
    yield
    paths.reset()


@pytest.fixture
def per_user_home(tmp_path, monkeypatch):
    """Point the platform's per-user folder into tmp_path on every OS."""
    home = tmp_path / "home"
    monkeypatch.setenv("APPDATA", str(home / "appdata"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    return paths.per_user_dir()


def make_build(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A fake one-folder build: dist/live/live + dist/live/_internal/data/… ."""
    app = tmp_path / "dist" / "live"
    internal = app / "_internal"
    for name in ("products", "templates", "compliance", "demo"):
        (internal / "data" / name).mkdir(parents=True)
    (internal / "data" / "products" / "library.json").write_text('{"order": []}', encoding="utf-8")
    (internal / "data" / "templates" / "filler.txt").write_text("大家好\n", encoding="utf-8")
    (internal / "data" / "compliance" / "absolute.txt").write_text("最好\n", encoding="utf-8")
    exe = app / "live"
    exe.write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    return app, internal


def make_read_only(folder: Path, monkeypatch) -> None:
    """A folder that refuses new files (root ignores chmod, so the probe is refused too)."""
    real_mkstemp = paths.tempfile.mkstemp

    def refusing(*args, dir=None, **kw):
        if dir is not None and Path(dir).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied", str(folder))
        return real_mkstemp(*args, dir=dir, **kw)

    monkeypatch.setattr(paths.tempfile, "mkstemp", refusing)


def test_from_source_both_roots_are_the_project_folder():
    assert not paths.is_frozen()
    assert paths.bundle_root() == SOURCE_ROOT
    assert paths.user_root() == SOURCE_ROOT
    assert paths.default_config_path() == SOURCE_ROOT / "config.ini"
    assert paths.bundled_data_dir() == SOURCE_ROOT / "data"
    assert (paths.bundled_data_dir() / "demo" / "room.feed").is_file()
    assert paths.describe_user_root() == f"软件文件夹：{SOURCE_ROOT}（在程序旁边）"


def test_frozen_reads_defaults_from_the_bundle_and_writes_beside_the_executable(tmp_path, monkeypatch):
    app, internal = make_build(tmp_path, monkeypatch)

    assert paths.is_frozen()
    assert paths.bundled_data_dir() == internal / "data"
    assert paths.user_root() == app
    assert paths.default_config_path() == app / "config.ini"
    assert paths.logs_dir() == app / "data" / "logs"
    assert "在程序旁边" in paths.describe_user_root()
    assert not paths.user_root_info().per_user


def test_first_start_gives_the_operator_editable_copies_of_the_defaults(tmp_path, monkeypatch):
    app, internal = make_build(tmp_path, monkeypatch)

    paths.user_root()

    assert (app / "data" / "compliance" / "absolute.txt").read_text(encoding="utf-8") == "最好\n"
    assert (app / "data" / "templates" / "filler.txt").is_file()
    assert (app / "data" / "products" / "library.json").is_file()
    assert not (app / "data" / "demo").exists()  # the demo recording is read from the bundle
    assert not list((app / "data").glob(".*partial"))


def test_nothing_the_operator_made_is_overwritten(tmp_path, monkeypatch):
    app, internal = make_build(tmp_path, monkeypatch)
    mine = app / "data" / "compliance" / "absolute.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("我的词\n", encoding="utf-8")

    paths.user_root()

    assert mine.read_text(encoding="utf-8") == "我的词\n"
    assert sorted(p.name for p in mine.parent.iterdir()) == ["absolute.txt"]


def test_unwritable_app_folder_falls_back_to_the_per_user_folder_and_says_so(tmp_path, monkeypatch,
                                                                              per_user_home):
    app, internal = make_build(tmp_path, monkeypatch)
    make_read_only(app, monkeypatch)

    info = paths.user_root_info()

    assert info.per_user
    assert paths.user_root() == per_user_home
    assert paths.default_config_path() == per_user_home / "config.ini"
    assert (per_user_home / "data" / "compliance" / "absolute.txt").is_file()
    assert not (app / "data").exists()
    line = paths.describe_user_root()
    assert str(per_user_home) in line and "用户文件夹" in line and str(app) in line


def test_really_read_only_folder_is_detected(tmp_path, monkeypatch, per_user_home):
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("needs a POSIX user that file permissions apply to")
    app, internal = make_build(tmp_path, monkeypatch)
    app.chmod(0o555)
    try:
        assert paths.user_root() == per_user_home
    finally:
        app.chmod(0o755)


def test_unwritable_source_checkout_uses_the_per_user_folder_too(tmp_path, monkeypatch, per_user_home):
    make_read_only(SOURCE_ROOT, monkeypatch)

    assert paths.user_root() == per_user_home
    assert paths.bundled_data_dir() == SOURCE_ROOT / "data"  # defaults still read from the checkout
    assert (per_user_home / "data" / "templates").is_dir()


def test_nowhere_writable_keeps_the_app_folder_and_warns(tmp_path, monkeypatch, per_user_home):
    app, internal = make_build(tmp_path, monkeypatch)
    make_read_only(app, monkeypatch)
    real_mkdir = Path.mkdir

    def refusing_mkdir(self, *a, **kw):
        if per_user_home == self or per_user_home in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", refusing_mkdir)

    assert paths.user_root() == app
    assert "无法保存任何文件" in paths.describe_user_root()


@pytest.mark.parametrize("platform, expected", [
    ("win32", ("appdata", "DouyinLive")),
    ("linux", ("xdg", "DouyinLive")),
])
def test_per_user_folder_follows_the_platform_convention(platform, expected, monkeypatch, per_user_home):
    monkeypatch.setattr(sys, "platform", platform)
    assert paths.per_user_dir().parts[-2:] == expected


def test_linux_per_user_folder_without_xdg_is_local_share(monkeypatch, per_user_home, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert paths.per_user_dir() == tmp_path / "home" / ".local" / "share" / "DouyinLive"


def test_choice_is_made_once_per_process(tmp_path, monkeypatch):
    app, internal = make_build(tmp_path, monkeypatch)
    first = paths.user_root()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "live"))
    assert paths.user_root() == first
