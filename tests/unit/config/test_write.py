"""Writing settings keeps everything the operator wrote and replaces the file atomically."""

from __future__ import annotations

import os

import pytest

from app import config

OPERATOR_FILE = """\
; my room settings — written by hand
[audio]
# the room is small, keep pauses short
gap_ms = 120   # was 150
chunk_bytes=4096

[notes]
; not a section of the app: the operator keeps reminders here
remember = buy more coffee

[tts]
servers = http://10.0.0.5:9880,  http://10.0.0.6:9880
# end of file comment
"""


def test_round_trip_changes_only_the_written_line(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(OPERATOR_FILE.encode())
    written = config.write_values(path, {("audio", "gap_ms"): 300})
    assert written == ["audio.gap_ms"]
    before = OPERATOR_FILE.splitlines(keepends=True)
    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(after) == len(before)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if a != b]
    assert changed == [("gap_ms = 120   # was 150\n", "gap_ms = 300   # was 150\n")]
    # the writer keeps the unknown section; the loader still reports it (a typo must not hide)
    with pytest.raises(config.ConfigErrors) as caught:
        config.load(path)
    assert caught.value.errors == (
        "config.ini:7: [notes]: unknown section (allowed: douyin, bus, llm, tts, voice.NAME, audio, music, priority, director, "
        "reply, compliance, script, ui, store)",)


def test_unchanged_write_is_byte_for_byte(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(OPERATOR_FILE.encode())
    config.write_values(path, {("tts", "servers"): "http://10.0.0.5:9880,  http://10.0.0.6:9880"})
    text = path.read_text(encoding="utf-8")
    assert text.replace("servers = http://10.0.0.5:9880,  http://10.0.0.6:9880", "") == \
        OPERATOR_FILE.replace("servers = http://10.0.0.5:9880,  http://10.0.0.6:9880", "")


def test_typed_values_and_new_options_go_into_their_section(tmp_path, default_text):
    path = tmp_path / "config.ini"
    path.write_bytes(OPERATOR_FILE.encode())
    config.write_values(path, {("tts", "servers"): ("http://a:9880", "http://b:9880"),
                               ("audio", "bridge_lines"): False,
                               ("ui", "events_feed_max"): 500,
                               ("voice.narrator", "speed"): 1.1})
    text = path.read_text(encoding="utf-8")
    assert "servers = http://a:9880, http://b:9880\n" in text
    audio = text[text.index("[audio]"):text.index("[notes]")]
    assert "bridge_lines = false\n" in audio
    assert text.endswith("# end of file comment\n\n[ui]\nevents_feed_max = 500\n\n[voice.narrator]\nspeed = 1.1\n")
    assert "; not a section of the app" in text and "remember = buy more coffee" in text


def test_invalid_values_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(OPERATOR_FILE.encode())
    with pytest.raises(config.ConfigErrors) as caught:
        config.write_values(path, {("audio", "gap_ms"): "soon", ("audio", "nope"): 1,
                                   ("llm", "api_key"): "sk-should-not-be-here"})
    assert caught.value.errors == (
        "[audio] gap_ms: 'soon' is not a whole number (allowed: whole number 0..5000)",
        "[audio] nope: not a config option",
        "[llm] api_key: is a secret; store it with set_secret, not in config.ini",
    )
    assert path.read_bytes() == OPERATOR_FILE.encode()


def test_a_failed_replace_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "config.ini"
    path.write_bytes(OPERATOR_FILE.encode())

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        config.write_values(path, {("audio", "gap_ms"): 10})
    assert path.read_bytes() == OPERATOR_FILE.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini"]


def test_writing_to_a_missing_file_starts_from_the_defaults(tmp_path):
    path = tmp_path / "config.ini"
    config.write_values(path, {("audio", "gap_ms"): 80})
    snap = config.load(path)
    assert snap.get("audio", "gap_ms") == 80
    assert snap.in_file("tts", "servers")  # the full default file was written
    assert config.ensure_config(path) is False


def test_bom_is_kept(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(b"\xef\xbb\xbf" + OPERATOR_FILE.encode())
    config.write_values(path, {("audio", "gap_ms"): 90})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf[") is False and raw.startswith(b"\xef\xbb\xbf;")
    assert b"gap_ms = 90   # was 150" in raw
