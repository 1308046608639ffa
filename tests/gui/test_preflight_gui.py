"""开播前检查 in the window (issue 19.3): 开播 runs the pre-flight first and the operator decides;
the toolbar action shows the same list without starting. Real checks against stand-ins that speak
the real protocols (the dy-barrage-grab replay server, the GPT-SoVITS stand-in); the dialog is
answered by clicking its buttons, as an operator does."""

from __future__ import annotations

import logging
import time

import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication

from app.config import write_values
from app.live.replay import ReplayServer
from tests.gui.dialogs import DialogAnswerer
from tests.gui.ui_driving import click
from tests.standins.dybarrage import Room, Viewer
from tests.standins.gptsovits import StandinServer
from ui.preflight_dialog import PreflightDialog

ROOM = Room()
FRAMES = [ROOM.stats(7400000000000000001, online=120, total=3400),
          ROOM.comment(7400000000000000002, Viewer(1, "小王"), "多少钱")]


def look_then_click(text: str, seen: list):
    """A DialogAnswerer fallback: note what the checklist shows, then click the button ``text``."""

    def answer(qtbot, dialog):
        assert isinstance(dialog, PreflightDialog), dialog.windowTitle()
        seen.append({"headline": dialog.headline.text(),
                     **{key: (row.status, row.detail.text(), row.fix.text()) for key, row in dialog.rows.items()},
                     "buttons": [b.text() for b in dialog.buttons.buttons() if b.isVisible()]})
        button = next(b for b in dialog.buttons.buttons() if b.text() == text)
        assert button.isEnabled(), f"{text} is not enabled"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return text

    return answer


def never_asked(asked: list):
    def answer(qtbot, dialog):
        asked.append(dialog.windowTitle())
        dialog.reject()
        return "rejected"

    return answer


@pytest.fixture
def logged():
    """What the app logs (app.log and the Logs view get the same records)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    handler = Keep(logging.INFO)
    logger = logging.getLogger("app")
    old = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_a_failing_check_shows_the_checklist_and_cancel_does_not_start(qtbot, operator_window, logged):
    win = operator_window  # its feed address has nobody listening
    seen: list = []
    with DialogAnswerer(qtbot, fallback=look_then_click("取消", seen)):
        win.toolbar.act_start.trigger()
    assert len(seen) == 1
    shown = seen[0]
    status, detail, fix = shown["feed"]
    assert status == "fail" and "连不上 ws://127.0.0.1:9" in detail and "dy-barrage-grab" in fix
    assert shown["products"][0] == "ok" and "云朵保湿面霜" in shown["products"][1]
    assert "项未通过" in shown["headline"]
    assert sorted(shown["buttons"]) == sorted(["仍然开播", "取消"])
    qtbot.wait(300)
    assert not win.runtime.running and win.toolbar.state_label.text() == "未开播" and win.toolbar.act_start.isEnabled()
    assert any("取消了开播" in line for line in logged)


def test_continuing_despite_failures_starts_and_is_logged(qtbot, operator_window, logged):
    win = operator_window
    seen: list = []
    with DialogAnswerer(qtbot, fallback=look_then_click("仍然开播", seen)):
        win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.runtime.running and win.toolbar.state_label.text() == "直播中", timeout=5000)
    said = next(line for line in logged if "仍然开播" in line)
    assert "未通过 弹幕数据（直播间连接）：连不上 ws://127.0.0.1:9" in said
    assert "仍然开播" in win.notice_bar.message and "弹幕数据（直播间连接）未通过" in win.notice_bar.message
    win.tabs.setCurrentWidget(win.logs_view)  # the operator finds the choice in the Logs view too
    qtbot.waitUntil(lambda: "选择仍然开播" in win.logs_view.text.toPlainText(), timeout=3000)


def test_all_checks_passing_starts_without_asking(qtbot, operator_window, operator_config, tmp_path):
    win = operator_window
    with ReplayServer(FRAMES, speed=0) as feed, StandinServer() as tts:
        write_values(operator_config, {
            ("douyin", "url"): feed.url, ("douyin", "room"): ROOM.web_room_id,
            ("tts", "servers"): tts.url, ("voice.default", "ref_audio"): "refs/default.wav",
            ("voice.default", "prompt_text"): "参考文本",
            ("audio", "backend"): "wav", ("audio", "wav_path"): str(tmp_path / "out" / "room.wav")})
        asked: list = []
        with DialogAnswerer(qtbot, fallback=never_asked(asked)):
            win.toolbar.act_start.trigger()
        qtbot.waitUntil(lambda: win.runtime.running, timeout=10000)
        assert asked == []
        assert "开播前检查全部通过" in [m for _, _, m in win.notice_bar.history][0]
        with DialogAnswerer(qtbot, ["停止直播并退出"]):
            win.close()


def test_the_toolbar_action_shows_the_checklist_without_starting(qtbot, operator_window):
    win = operator_window
    assert win.toolbar.act_check.isEnabled() and win.toolbar.act_check.text() == "✓ 开播前检查"
    seen: list = []
    with DialogAnswerer(qtbot, fallback=_then(look_then_click("重新检查", seen), look_then_click("关闭", seen))):
        win.toolbar.act_check.trigger()
    assert len(seen) == 2  # 重新检查 ran the list again, then 关闭
    assert sorted(seen[0]["buttons"]) == sorted(["重新检查", "关闭"])
    for shown in seen:
        assert shown["feed"][0] == "fail" and shown["products"][0] == "ok"
    qtbot.wait(300)
    assert not win.runtime.running and win.toolbar.act_start.isEnabled() and win.toolbar.state_label.text() == "未开播"


def _then(first, then):
    calls = [0]

    def answer(qtbot, dialog):
        calls[0] += 1
        return (first if calls[0] == 1 else then)(qtbot, dialog)

    return answer


def test_the_window_keeps_painting_while_a_hung_voice_server_is_checked(qtbot, operator_window, operator_config,
                                                                        monkeypatch):
    """The feed fails at once, GPT-SoVITS hangs until the check's deadline: meanwhile the event
    loop runs (a timer ticks), and the list already shows the feed's result."""
    import ui.preflight_dialog as pd

    monkeypatch.setattr(pd, "TIMEOUT_S", 2.0)
    win = operator_window
    with StandinServer(faults={"*": "hang"}, hang_s=15) as tts:
        write_values(operator_config, {("tts", "servers"): tts.url, ("voice.default", "ref_audio"): "refs/default.wav",
                                       ("voice.default", "prompt_text"): "参考文本"})
        samples: list = []

        def tick():
            dialog = QApplication.activeModalWidget()
            if isinstance(dialog, PreflightDialog):
                samples.append((time.monotonic(), bool(dialog.property("busy")), dialog.rows["feed"].status,
                                dialog.rows["voice"].status))

        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(tick)
        timer.start()
        seen: list = []
        try:
            with DialogAnswerer(qtbot, fallback=look_then_click("取消", seen)):
                win.toolbar.act_start.trigger()
        finally:
            timer.stop()
    busy = [s for s in samples if s[1]]
    assert busy, "no timer tick while the checks ran: the GUI thread was blocked"
    took = busy[-1][0] - busy[0][0]
    assert took > 1.5  # the voice check did wait for the hung server
    assert len(busy) > took / 0.020 / 4, f"{len(busy)} ticks in {took:.1f} s: the GUI thread was blocked"
    assert any(feed == "fail" and voice == "" for _, _, feed, voice in busy)  # rows fill in as checks end
    status, detail, _ = seen[0]["voice"]
    assert status == "fail" and "没有回应" in detail
    assert not win.runtime.running


def test_the_demo_starts_despite_warnings_but_asks_when_nothing_could_be_heard(qtbot, operator_window,
                                                                             operator_config, tmp_path):
    win = operator_window
    click(qtbot, win.toolbar.demo_switch)
    qtbot.waitUntil(lambda: getattr(win.runtime, "demo", False) and win.toolbar.act_start.isEnabled(), timeout=10000)
    asked: list = []
    with DialogAnswerer(qtbot, fallback=never_asked(asked)):
        win.toolbar.act_start.trigger()  # null audio: a warning, the demo goes on
    qtbot.waitUntil(lambda: win.runtime.running and win.toolbar.act_stop.isEnabled(), timeout=10000)
    assert asked == [] and "演示模式照常开播" in win.notice_bar.message and "声音输出需注意" in win.notice_bar.message
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: not win.runtime.running and win.toolbar.act_start.isEnabled(), timeout=10000)
    (tmp_path / "blocked").write_text("a file where the recording's folder should be", encoding="utf-8")
    write_values(operator_config, {("audio", "backend"): "wav", ("audio", "wav_path"): str(tmp_path / "blocked" / "x.wav")})
    seen: list = []
    with DialogAnswerer(qtbot, fallback=look_then_click("取消", seen)):
        win.toolbar.act_start.trigger()
    assert seen[0]["audio"][0] == "fail" and "无法在" in seen[0]["audio"][1]
    qtbot.wait(300)
    assert not win.runtime.running


def test_a_start_that_fails_for_lack_of_a_sound_card_says_what_to_do():
    """What the runtime process reports (its traceback's tail) becomes a sentence the operator
    can act on; anything else is cut to its last line, the rest is in the log."""
    from app.runtime_process import RuntimeProcessError
    from tests.gui.chinese import english_in
    from ui.session import start_failure_zh

    tail = ("runtime process 13278 did not start:\n  File \"app/audio/sinks.py\", line 294, in open\n"
            "app.audio.sinks.SinkError: pygame sink: cannot open the audio device: ALSA: Couldn't open audio device")
    said = start_failure_zh(RuntimeProcessError(tail))
    assert said.startswith("开播失败，没有播出：打不开声卡") and "录到 WAV 文件" in said and not english_in(said)
    other = start_failure_zh(RuntimeProcessError("runtime process 1 did not start:\nline one\nValueError: 坏了"))
    assert other == "开播失败，没有播出：ValueError: 坏了。详情见日志页，修正后再点开播"


def test_after_stop_the_feed_reads_stopped_not_faulty(qtbot, operator_window):
    """Found walking the app: after a normal 停止 the status bar showed 弹幕源 故障 in red."""
    win = operator_window
    with DialogAnswerer(qtbot, ["仍然开播"]):
        win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.runtime.running and win.toolbar.act_stop.isEnabled(), timeout=5000)
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "已停止", timeout=10000)
    qtbot.wait(500)  # the bridge's last batches of the stopped run
    feed = win.health_bar.labels["feed"]
    assert "弹幕源 未启用" in feed.text() and "已停止" in feed.toolTip(), feed.text()


def test_the_mouse_wheel_over_a_review_chart_scrolls_the_review(qtbot, tmp_path):
    """Found walking the app: the charts fill most of 直播复盘 and matplotlib's canvas kept every
    wheel turn, so the page only scrolled by dragging its scroll bar."""
    from PyQt6.QtCore import QPoint, QPointF
    from PyQt6.QtGui import QWheelEvent
    from PyQt6.QtWidgets import QScrollArea

    from tests.sample_run import make_run_db
    from ui.review_view import ReviewView

    db = tmp_path / "live.sqlite3"
    make_run_db(db)
    view = ReviewView(lambda: db, out_dir=lambda: tmp_path / "reviews")
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    item = view.sessions.item(0)
    qtbot.mouseClick(view.sessions.viewport(), Qt.MouseButton.LeftButton, pos=view.sessions.visualItemRect(item).center())
    qtbot.waitUntil(lambda: view.data is not None and bool(view.canvases), timeout=15000)
    bar = view.findChild(QScrollArea).verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # the charts are laid out: a long page
    assert bar.value() == 0
    canvas = next(c for c in view.canvases if hasattr(c, "figure"))
    at = QPointF(canvas.width() / 2, canvas.height() / 2)
    wheel = QWheelEvent(at, QPointF(canvas.mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, -360),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, wheel)
    # a turn the chart does not accept goes on to the scroll area around the page (Qt propagates
    # only real, spontaneous wheel events to the parent, so the test hands it on as Qt would)
    assert not wheel.isAccepted(), "the chart kept the wheel turn"
    area = view.findChild(QScrollArea)
    QApplication.sendEvent(area.viewport(), QWheelEvent(
        QPointF(10, 10), QPointF(area.viewport().mapToGlobal(QPoint(10, 10))), QPoint(0, 0), QPoint(0, -360),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))
    assert bar.value() > 0
    # another session's review opens at its top, not where the last one was left
    first = view.data.session.session_id
    item = view.sessions.item(1)
    qtbot.mouseClick(view.sessions.viewport(), Qt.MouseButton.LeftButton, pos=view.sessions.visualItemRect(item).center())
    qtbot.waitUntil(lambda: view.data.session.session_id != first, timeout=15000)
    qtbot.wait(100)
    assert bar.value() == 0


def test_a_settings_change_is_announced_by_the_options_names(qtbot, operator_window, operator_config):
    """Found walking the app: the notice quoted whole descriptions (设置已生效：GPT-SoVITS 服务地址，
    逗号分隔；留空只用离线语音、…). A hand edit of config.ini is announced by the short names of
    the options it applied at once."""
    win = operator_window
    write_values(operator_config, {("audio", "gap_ms"): "222", ("audio", "lookahead_s"): "25"})
    win.runtime.config.reload()
    qtbot.waitUntil(lambda: "设置已生效" in win.notice_bar.message, timeout=5000)
    message = win.notice_bar.message
    assert "两段语音之间的停顿" in message and "提前准备好的话术秒数" in message
    assert "毫秒" not in message and "防止冷场" not in message
