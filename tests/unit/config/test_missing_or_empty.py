"""Issue 18.4: an empty or missing config.ini at start is reported: written with the defaults,
and said so (log + ``ConfigStore.notices`` for the app to show)."""

from __future__ import annotations

import logging

import pytest

from app import config


def test_an_empty_file_is_filled_with_the_defaults_and_said_so(tmp_path, caplog):
    path = tmp_path / "config.ini"
    path.write_bytes(b"\xef\xbb\xbf  \r\n\n")  # Notepad's BOM and blank lines: nothing the operator set
    with caplog.at_level(logging.WARNING, logger="app.config"):
        store = config.ConfigStore(path)
    (notice,) = store.notices
    assert str(path) in notice and "是空的" in notice and "默认设置" in notice
    assert notice in caplog.text
    assert path.read_text("utf-8") == config.render_default()
    assert store.current.in_file("tts", "servers")


def test_a_missing_file_is_created_only_when_asked(tmp_path):
    path = tmp_path / "config.ini"
    with pytest.raises(config.ConfigErrors, match="file not found"):
        config.ConfigStore(path)
    assert not path.exists()
    store = config.ConfigStore(path, create=True)
    (notice,) = store.notices
    assert "不存在" in notice and path.exists()


def test_a_file_with_settings_is_left_alone(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text("# 我的设置\n[audio]\ngap_ms = 90\n", encoding="utf-8")
    store = config.ConfigStore(path, create=True)
    assert store.notices == () and store.current.get("audio", "gap_ms") == 90
    assert path.read_text("utf-8") == "# 我的设置\n[audio]\ngap_ms = 90\n"


def test_a_comment_only_file_is_not_overwritten(tmp_path):
    """Comments are the operator's words: such a file is valid (all defaults) and kept."""
    path = tmp_path / "config.ini"
    path.write_text("# 以后再填\n", encoding="utf-8")
    assert config.create_default_config(path) is None
    assert path.read_text("utf-8") == "# 以后再填\n"


def test_a_runtime_on_an_empty_file_carries_the_notice(tmp_path):
    from app.runtime import Runtime

    path = tmp_path / "config.ini"
    path.write_text("", encoding="utf-8")
    runtime = Runtime(path, bus_url="memory")
    try:
        assert runtime.config.notices and "是空的" in runtime.config.notices[0]
    finally:
        runtime.close()


def test_config_check_says_an_empty_file_is_empty(tmp_path, capsys):
    from app.cli import main

    path = tmp_path / "config.ini"
    path.write_text("\n", encoding="utf-8")
    assert main(["config", "check", str(path)]) == 0
    assert "文件是空的" in capsys.readouterr().err
