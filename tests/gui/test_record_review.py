"""播出记录 and 直播复盘 on a recorded run, and what the window does after 停止, driven through
the real widgets."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings, Qt

from app import events, paths
from app.events import Channel
from app.store.spoken_log import CSV_COLUMNS
from tests.gui.dialogs import answer_file_dialog, close_answering, type_chinese
from tests.sample_run import make_run_db
from ui.main_window import MainWindow
from ui.record_view import RecordView
from ui.review_view import ReviewView
from ui.session import RuntimeHost

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_db(tmp_path):
    db = tmp_path / "live.sqlite3"
    return db, make_run_db(db)


def _column(model, col):
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_record_view_lists_every_utterance_with_why_and_searches(qtbot, run_db):
    db, run = run_db
    view = RecordView(lambda: db)
    qtbot.addWidget(view)
    view.show()
    m = view.model
    assert m.rowCount() == 10  # nine of session 1, one of session 2
    assert m.HEADERS[:7] == ("时间", "类型", "商品", "观众", "观众弹幕", "播出内容", "合规改写（原文 → 播出）")
    row = _column(m, 5).index("很好用的哦")
    assert [m.data(m.index(row, c)) for c in (1, 2, 3, 4, 6, 7)] == [
        "关键词回复", "保温杯", "小美", "好用吗", "最好用的哦 → 很好用的哦", "离线语音"]
    type_chinese(view.viewer, "阿强")
    qtbot.mouseClick(view.search_button, Qt.MouseButton.LeftButton)
    assert _column(m, 5) == ["晚上用也可以的"]
    view.viewer.clear()
    type_chinese(view.text, "销量第一")  # the text before the filter is found too
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    assert _column(m, 5) == ["本店销量很高，快来抢"]
    view.text.clear()
    view.session.setCurrentIndex(view.session.findData(run["s2"]))
    qtbot.mouseClick(view.search_button, Qt.MouseButton.LeftButton)
    assert _column(m, 5) == ["第二场的话术"]
    assert "共 1 条" in view.status.text()


def test_record_view_exports_exactly_what_export_log_writes(qtbot, run_db, tmp_path):
    db, run = run_db
    view = RecordView(lambda: db)
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    view.session.setCurrentIndex(view.session.findData(run["s1"]))
    target = tmp_path / "导出.csv"
    answer_file_dialog(str(target))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: target.exists() and bool(notices), timeout=5000)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM"
    gui_rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cli = subprocess.run([sys.executable, str(ROOT / "main.py"), "export-log", "--since", "5000d", "--db", str(db),
                          "--session", str(run["s1"])], capture_output=True, text=True, encoding="utf-8",
                         cwd=ROOT, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert tuple(gui_rows[0]) == CSV_COLUMNS
    assert gui_rows == list(csv.reader(io.StringIO(cli.stdout))), "the same columns and rows as export-log"
    assert len(gui_rows) == 1 + 9 and notices == [f"已导出 9 条播出记录到 {target}"]


def test_review_view_shows_a_past_session_and_saves_it(qtbot, run_db, tmp_path):
    db, run = run_db
    view = ReviewView(lambda: db, out_dir=lambda: tmp_path / "reviews")
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    assert view.session_ids() == [run["s2"], run["s1"]]
    item = view.sessions.item(1)
    qtbot.mouseClick(view.sessions.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.sessions.visualItemRect(item).center())
    qtbot.waitUntil(lambda: view.data is not None and bool(view.canvases), timeout=15000)
    assert view.data.session.session_id == run["s1"]
    assert "直播复盘 · 第 1 场" in view.title.text()
    cards = [view.cards.itemAt(i).widget().text() for i in range(view.cards.count())]
    assert any(">7<" in c and "弹幕" in c for c in cards) and any(">3028<" in c and "钻石" in c for c in cards)
    assert len([c for c in view.canvases if hasattr(c, "figure")]) == 8
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.saved is not None, timeout=15000)
    assert view.saved.is_file() and view.saved.is_relative_to(tmp_path / "reviews")
    assert "多少钱" in view.saved.read_text(encoding="utf-8") and view.open_button.isEnabled()
    assert notices and "已保存" in notices[0]


def _demo_window(qtbot, config_file, memory_bus, tmp_path, log_handler=None):
    """A window on a demo runtime (memory bus, a feed that says nothing, null audio), built."""
    from app.config import write_values
    from app.runtime import Runtime

    (tmp_path / "quiet.feed").write_text("", encoding="utf-8")
    write_values(config_file, {("store", "db_path"): str(tmp_path / "db.sqlite3"), ("audio", "backend"): "null",
                               ("compliance", "lists_dir"): str(paths.bundled_data_dir() / "compliance")})
    host = RuntimeHost(factory=lambda path, demo: Runtime(path, demo=demo, bus=memory_bus,
                                                          replay=tmp_path / "quiet.feed"))
    win = MainWindow(config_path=config_file, host=host, log_handler=log_handler,
                     settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win, before_close_func=lambda w: close_answering(qtbot, w))  # a failed test is still live
    win.show()
    host.build(config_file, True)
    qtbot.waitUntil(lambda: win.dashboard is not None and win.toolbar.act_start.isEnabled(), timeout=10000)
    return win


def _gift(i: int) -> events.LiveEvent:
    return events.LiveEvent(type="gift", msg_id=f"gift-{i}", room_id="r", ts=time.time(),
                            user=events.User(id="7", nickname="小美"), text="送出小心心",
                            gift=events.GiftInfo(id="1", name="小心心", count=3, total=3, diamonds=1))


def test_after_stop_nothing_reads_playing_and_the_run_is_reviewed(qtbot, config_file, memory_bus, tmp_path,
                                                                   operator_folder):
    win = _demo_window(qtbot, config_file, memory_bus, tmp_path)
    dash = win.dashboard
    assert win.toolbar.state_label.text() == "未开播"
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    queue = dash.queue_model
    playing = lambda: [queue.state_text(r) for r in range(queue.rowCount())].count("播放中")  # noqa: E731
    qtbot.waitUntil(lambda: dash.state.now is not None and playing() == 1, timeout=30000)
    memory_bus.publish(Channel.LIVE_DURABLE, _gift(1))  # events come in: a rate above 0
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts", status="degraded",
                                                     detail="espeak-ng fallback speaking: no usable GPT-SoVITS route"))
    qtbot.waitUntil(lambda: dash.c_rate.value.text() != "0" and "语音 降级" in win.health_bar.text(), timeout=5000)
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "已停止", timeout=20000)
    qtbot.wait(500)  # the bridge's last batches of the stopped run arrive after the stop
    assert dash.now_text.text() == "（已停止）" and dash.now_meta.text() == ""
    assert playing() == 0 and queue.rowCount() == 0
    assert "播放中" not in win.health_bar.labels["audio"].toolTip()
    assert dash.c_rate.value.text() == "0"  # nothing comes in once stopped
    assert "降级" not in win.health_bar.text() and "语音 未启用" in win.health_bar.text()
    assert "总线 正常" in win.health_bar.text()  # the app's own bus still runs
    memory_bus.publish(Channel.PLAYER_STATE, events.PlaybackStarted(  # a straggler of the stopped run
        id="late", kind="script", text="迟到的一句", priority=10, duration_s=2.0))
    qtbot.wait(400)
    assert dash.now_text.text() == "（已停止）"
    review = win.review_view
    qtbot.waitUntil(lambda: review.saved is not None, timeout=20000)
    assert review.saved.is_relative_to(tmp_path / "data" / "logs" / "reviews")
    assert review.data.spoken_s > 0 and review.data.session.end_reason == "stopped"
    assert "直播复盘已保存" in win.notice_bar.label.text() or review.saved.is_file()
    win.close()


def test_record_view_says_how_each_line_ended_a_skipped_one_as_skipped(qtbot, tmp_path):
    from app.store.sessions import SessionLog
    from app.store.spoken_log import SpokenLog

    db = tmp_path / "live.sqlite3"
    with SessionLog(db) as sessions:
        sid = sessions.open_session(1000.0)
    with SpokenLog(db) as log:
        for i, (uid, status) in enumerate([("a", "finished"), ("b", "skipped"), ("c", "interrupted"),
                                           ("d", "cancelled"), ("e", "stopped")]):
            log.record_played(utterance_id=uid, text=f"第{i}句", kind="script", priority=10, started_at=1000.0 + i,
                              session_id=sid)
            if status == "stopped":
                log.close_session_rows(sid, 1004.5)
            else:
                log.mark_ended(uid, 1000.5 + i, status)
        log.record_played(utterance_id="a", text="第0句", kind="script", priority=10, started_at=1005.0,
                          resumed=True, session_id=sid)
    view = RecordView(lambda: db)
    qtbot.addWidget(view)
    view.show()
    qtbot.mouseClick(view.search_button, Qt.MouseButton.LeftButton)
    status_col = view.model.HEADERS.index("状态")
    assert _column(view.model, status_col) == ["播完", "已跳过", "被打断", "已取消", "停播时中断", "进行中（续播）"]


def test_every_counter_starts_from_zero_at_the_next_live(qtbot, config_file, memory_bus, tmp_path, operator_folder):
    """Walk finding 6: 礼物, 回复, 丢弃 … of the last live must not carry into the next one."""
    win = _demo_window(qtbot, config_file, memory_bus, tmp_path)
    dash = win.dashboard
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    for i in range(2):
        memory_bus.publish(Channel.LIVE_DURABLE, _gift(i))
    memory_bus.publish(Channel.SYSTEM, events.Dropped(stage="reply", ref="c9", reason="rate_limited"))
    memory_bus.publish(Channel.PLAYER_STATE, events.PlaybackStarted(id="r1", kind="llm", text="五十克的哦",
                                                                    priority=0, duration_s=1.0))
    qtbot.waitUntil(lambda: dash.c_gifts.value.text() == "6" and dash.c_dropped.value.text() != "0"
                    and dash.c_replies.value.text() == "1", timeout=5000)
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "已停止", timeout=20000)
    assert dash.c_gifts.value.text() == "6"  # the stopped live's counts stay readable until the next one
    # 开播 is clickable again once the stop has fully finished (the button is off while it runs)
    qtbot.waitUntil(win.toolbar.act_start.isEnabled, timeout=20000)
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    assert dash.c_gifts.value.text() == "0" and dash.c_replies.value.text() == "0"
    assert dash.c_rate.value.text() == "0"
    assert "礼物价值 0 钻" in dash.c_gifts.toolTip()
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "已停止", timeout=20000)
    win.close()


def test_a_live_ended_by_closing_the_window_is_reviewed_like_one_ended_by_stop(
        qtbot, config_file, memory_bus, tmp_path, operator_folder):
    """Walk finding 11: 停止直播并退出 saves the run's review page too."""
    from tests.gui.dialogs import DialogAnswerer

    win = _demo_window(qtbot, config_file, memory_bus, tmp_path)
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    qtbot.waitUntil(lambda: win.dashboard.state.now is not None, timeout=30000)  # it has said something
    reviews = tmp_path / "data" / "logs" / "reviews"
    assert not list(reviews.glob("*/review.html"))
    with DialogAnswerer(qtbot, ["停止直播并退出"]):
        win.close()
    assert not win.isVisible()
    pages = list(reviews.glob("*/review.html"))
    assert len(pages) == 1 and "第1场" in pages[0].parent.name
    assert "直播复盘" in pages[0].read_text(encoding="utf-8")


@pytest.fixture
def info_logs():
    """The "app" logger at INFO, as the app's own logging setup (app.logs) has it."""
    import logging

    app_log = logging.getLogger("app")
    level = app_log.level
    app_log.setLevel(logging.INFO)
    yield
    app_log.setLevel(level)


def test_the_log_lines_of_a_demo_live_read_in_chinese(qtbot, config_file, memory_bus, tmp_path, operator_folder,
                                                      log_handler, info_logs):
    """Walk finding 5: the INFO lines the Logs view shows for a normal demo live (pre-flight, the
    runtime started, the feed connected) are Chinese; addresses and numbers stay as they are."""
    from tests.gui.ui_driving import click_tab

    win = _demo_window(qtbot, config_file, memory_bus, tmp_path, log_handler)
    win.toolbar.act_start.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "直播中", timeout=30000)
    click_tab(qtbot, win.tabs, "日志")
    shown = win.logs_view.text.toPlainText
    qtbot.waitUntil(lambda: "已连接弹幕源 ws://" in shown(), timeout=10000)
    assert "开播前检查 通过 · " in shown() and "直播已开始（演示模式：是" in shown()
    for english in ("pre-flight ok", "runtime started", "connected to ws://"):
        assert english not in shown()
    win.toolbar.act_stop.trigger()
    qtbot.waitUntil(lambda: win.toolbar.state_label.text() == "已停止", timeout=20000)
    win.close()  # at once after 停止: the window waits for the review 停止 started
    assert list((tmp_path / "data" / "logs" / "reviews").glob("*/review.html"))
