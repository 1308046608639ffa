"""试听 on a voice's settings page (issue 19.7): the sample line goes through the real route
(GPT-SoVITS stand-in → check → fallback) on a thread, is played on the default output (SDL's
dummy driver here) and the page says which route spoke, and why the fallback did."""

from __future__ import annotations

import threading
import time

import pytest
from PyQt6.QtCore import Qt, QTimer

from app.config import ConfigStore, write_values
from tests.gui.chinese import english_in
from tests.gui.dialogs import DialogAnswerer, type_chinese
from tests.gui.ui_driving import click_row, row_of
from tests.standins.gptsovits import StandinServer
from tests.standins.gptsovits_harness import DEAD_URL
from ui.preview_player import the_player
from ui.settings import SettingsView
from ui.voice_preview import SAMPLE_LINE, VoicePreview


def voice_page(qtbot, config_file, values: dict | None = None) -> tuple[SettingsView, VoicePreview]:
    write_values(config_file, {("tts", "cache_dir"): str(config_file.parent / "tts-cache"),
                               ("voice.default", "ref_audio"): "refs/default.wav",
                               ("voice.default", "prompt_text"): "参考文本", ("tts", "request_timeout_s"): "3",
                               **(values or {})})
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    click_row(qtbot, view.sections, row_of(view.sections, "default"))  # the voice's page
    preview = view.pages.currentWidget().findChild(VoicePreview)
    assert preview is not None and preview.isVisible(), "the voice page has no 试听 row"
    return view, preview


def wait_idle(qtbot, preview, timeout=30000) -> None:
    qtbot.waitUntil(lambda: not preview.busy, timeout=timeout)


def no_preview_threads() -> bool:
    return not any(t.name == "ui-voice-preview" for t in threading.enumerate())


def test_a_preview_speaks_through_gpt_sovits_and_says_so(qtbot, config_file):
    with StandinServer() as tts:
        view, preview = voice_page(qtbot, config_file, {("tts", "servers"): tts.url})
        assert preview.line.text() == SAMPLE_LINE
        preview.line.clear()
        type_chinese(preview.line, "家人们晚上好，这款面霜今天有福利。")
        played = len(the_player().played)
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: preview.button.text() == "■ 停止", timeout=30000)  # playing
        status = preview.status.text()
        assert status.startswith(f"✓ 由GPT-SoVITS（服务器 127.0.0.1:{tts.port}，音色：default）说出"), status
        assert not english_in(status)
        assert [text for text, _ in tts.served] == ["家人们晚上好，这款面霜今天有福利。"]
        wav, seconds = the_player().played[played]
        assert seconds > 1.0 and preview.result[0] == wav and preview.result[2] == ""
        wait_idle(qtbot, preview, timeout=int(seconds * 1000) + 5000)  # played to the end
        assert preview.button.text() == "▶ 试听" and "正在播放" not in preview.status.text()
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)  # the same line again: from the cache
        qtbot.waitUntil(lambda: preview.button.text() == "■ 停止", timeout=30000)
        assert "之前合成过，直接用了缓存" in preview.status.text() and len(tts.served) == 1
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)  # ■ 停止
        assert not preview.busy and preview.button.text() == "▶ 试听" and not the_player().playing


def test_unsaved_edits_on_the_page_are_what_is_heard(qtbot, config_file):
    """The operator changes the reference audio and listens before saving: the stand-in fails
    that reference (400), so the fallback speaks and the page says why."""
    with StandinServer(faults={"refs/new.wav": "error400"}) as tts:
        view, preview = voice_page(qtbot, config_file, {("tts", "servers"): tts.url})
        field = view.fields[("voice.default", "ref_audio")].widget
        field.setText("refs/new.wav")
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, preview)
    status = preview.status.text()
    assert status.startswith("⚠ 由离线声音（espeak-ng，机器人声音）代替说出"), status
    assert "服务器拒绝了请求（HTTP 4xx）" in status
    assert "refs/new.wav" in preview.status.toolTip()  # the server's own words, one hover away
    assert view.dirty  # nothing was saved by listening
    assert "ref_audio = refs/default.wav" in config_file.read_text("utf-8")


def test_a_dead_server_reports_the_fallback_and_why(qtbot, config_file):
    view, preview = voice_page(qtbot, config_file, {("tts", "servers"): DEAD_URL})
    played = len(the_player().played)
    qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, preview)
    status = preview.status.text()
    assert status.startswith("⚠ 由离线声音（espeak-ng，机器人声音）代替说出"), status
    assert "连接不上（服务器没开或地址错）" in status and not english_in(status)
    assert preview.result[1] == "espeak" and len(the_player().played) == played + 1  # it was heard


def test_a_voice_without_reference_audio_says_what_to_fill_in(qtbot, config_file):
    view, preview = voice_page(qtbot, config_file, {("voice.default", "ref_audio"): ""})
    qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
    assert "还没有填写“参考音频路径”（ref_audio）" in preview.status.text() and not preview.busy


def test_while_live_the_operator_is_warned_first(qtbot, config_file):
    with StandinServer() as tts:
        view, preview = voice_page(qtbot, config_file, {("tts", "servers"): tts.url})
        view.is_live = lambda: True
        with DialogAnswerer(qtbot, ["取消"]) as dialogs:
            qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
        assert "观众也会听到" in dialogs.texts[0]
        assert not preview.busy and tts.tts_requests == 0


@pytest.mark.parametrize("fault", ["hang", "freeze"])
def test_a_hung_server_never_freezes_the_window_and_cancel_drops_the_result(qtbot, config_file, fault):
    with StandinServer(faults={"*": fault}, hang_s=4) as tts:
        view, preview = voice_page(qtbot, config_file, {("tts", "servers"): tts.url,
                                                          ("tts", "request_timeout_s"): "2"})
        ticks = []
        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(lambda: ticks.append(time.monotonic()))
        timer.start()
        played = len(the_player().played)
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)
        assert preview.busy and preview.button.text() == "取消"
        t0 = time.monotonic()
        qtbot.waitUntil(lambda: tts.inflight >= 1, timeout=5000)  # the request is at the hung server
        qtbot.wait(1000)
        waited = time.monotonic() - t0
        during = [t for t in ticks if t >= t0]
        assert len(during) > waited / 0.020 / 4, f"{len(during)} ticks in {waited:.1f} s: the GUI thread was blocked"
        assert "正在合成…已等" in preview.status.text()
        qtbot.mouseClick(preview.button, Qt.MouseButton.LeftButton)  # 取消
        assert not preview.busy and preview.status.text() == "已取消试听"
        qtbot.waitUntil(no_preview_threads, timeout=60000)  # the synthesis ends on its own deadline …
        qtbot.wait(200)
        timer.stop()
    assert preview.status.text() == "已取消试听"  # … and its late result is dropped, not played
    assert len(the_player().played) == played
