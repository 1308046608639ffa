"""The dashboard, fed through the bridge from a MemoryBus exactly as the runtime feeds it."""

from __future__ import annotations

import time

from app import events
from app.events import Channel
from tests.gui.dialogs import type_chinese
from tests.gui.ui_driving import click
from ui.bridge import Bridge
from ui.controls import Controls
from ui.dashboard import DashboardView
from ui.health_bar import HealthBar


def _item(i: str, state="waiting", kind="script", priority=10, text=None):
    return events.QueueItemView(id=i, kind=kind, text=text or f"第{i}句话术", priority=priority,
                                state=state, waiting_s=1.0)


def _rig(qtbot, bus):
    bridge = Bridge(bus, hz=20)
    view = DashboardView(Controls(bus))
    qtbot.addWidget(view)
    bridge.batch.connect(view.on_batch)
    view.set_running(True)  # 开播: the 插播 row works only while live
    return bridge, view


def test_queue_model_follows_enqueue_interrupt_and_finish(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    model = view.queue_model
    inserted, removed = [], []
    model.rowsInserted.connect(lambda *a: inserted.append(a[1]))
    model.rowsRemoved.connect(lambda *a: removed.append(a[1]))
    pub = memory_bus.publish
    pub(Channel.PLAYER_STATE, events.QueueSnapshot(items=(_item("s1", "playing"), _item("s2"))))
    qtbot.waitUntil(lambda: model.ids() == ["s1", "s2"], timeout=2000)
    pub(Channel.PLAYER_STATE, events.PlaybackStarted(id="s1", kind="script", text="第s1句话术", priority=10,
                                                     duration_s=4.0))
    # a big gift arrives: enqueued at the top, then it interrupts s1
    gift = _item("g1", "ready", kind="gift", priority=-5, text="感谢小美送的嘉年华！")
    pub(Channel.PLAYER_STATE, events.QueueSnapshot(items=(gift, _item("s1", "ready"), _item("s2"))))
    pub(Channel.PLAYER_STATE, events.PlaybackInterrupted(id="s1", position_s=1.5, sentence_index=1, by_id="g1"))
    pub(Channel.PLAYER_STATE, events.PlaybackStarted(id="g1", kind="gift", text=gift.text, priority=-5,
                                                     duration_s=2.0))
    qtbot.waitUntil(lambda: model.ids() == ["g1", "s1", "s2"], timeout=2000)
    assert model.state_text(model.row_of("s1")) == "已打断，待续播"
    assert model.state_text(model.row_of("g1")) == "播放中"
    assert inserted.count(0) >= 1 and not removed, "rows were inserted, none rebuilt"
    assert view.state.interruptions == 1
    assert view.now_text.text() == gift.text and "谢礼物" in view.now_meta.text()
    pub(Channel.PLAYER_STATE, events.PlaybackFinished(id="g1"))
    qtbot.waitUntil(lambda: model.ids() == ["s1", "s2"], timeout=2000)
    assert view.now_text.text() == "（空闲）"
    pub(Channel.PLAYER_STATE, events.PlaybackResumed(id="s1", sentence_index=1, position_s=1.5))
    pub(Channel.PLAYER_STATE, events.PlaybackStarted(id="s1", kind="script", text="第s1句话术", priority=10,
                                                     duration_s=4.0, resumed=True, start_s=1.5))
    qtbot.waitUntil(lambda: "续播" in view.now_meta.text(), timeout=2000)
    assert model.state_text(model.row_of("s1")) == "播放中"
    pub(Channel.PLAYER_STATE, events.PlaybackFinished(id="s1"))
    pub(Channel.PLAYER_STATE, events.QueueSnapshot(items=(_item("s2", "playing"),)))
    qtbot.waitUntil(lambda: model.ids() == ["s2"], timeout=2000)
    bridge.close()


def test_counters_events_feed_filters_and_health(qtbot, memory_bus):
    bridge, view = _rig(qtbot, memory_bus)
    bar = HealthBar()
    qtbot.addWidget(bar)
    bridge.batch.connect(bar.on_batch)
    user = events.User(id="1", nickname="小美")
    now = time.time()
    for i in range(3):
        memory_bus.publish(Channel.LIVE_DURABLE, events.LiveEvent(
            type="gift", msg_id=f"g{i}", room_id="r", ts=now, user=user, text="送出小心心",
            gift=events.GiftInfo(id="1", name="小心心", count=2, total=2 * (i + 1), diamonds=1)))
    memory_bus.publish(Channel.LIVE_EVENTS, events.LiveEvent(type="comment", msg_id="c1", room_id="r", ts=now,
                                                             user=user, text="多少钱？"))
    memory_bus.publish(Channel.PLAYER_STATE, events.UtteranceDropped(id="x1", reason="stale"))
    memory_bus.publish(Channel.SYSTEM, events.Dropped(stage="reply", ref="c9", reason="rate_limited"))
    memory_bus.publish(Channel.PLAYER_STATE, events.PlaybackStarted(id="r1", kind="llm", text="五十克的哦", priority=0,
                                                                    duration_s=1.0))
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts:http://a:9880", status="degraded",
                                                     detail="benched for 30 s"))
    memory_bus.publish(Channel.SYSTEM, events.Health(component="feed", status="ok", detail="connected"))
    # delivery is asynchronous (the bridge's inbox, then its timer): wait until every one has arrived
    qtbot.waitUntil(lambda: view.feed_model.rowCount() == 4 and view.tts_table.rowCount() == 1
                    and view.state.replies == 1 and view.state.dropped_total == 2 and "弹幕源 正常" in bar.text(),
                    timeout=2000)
    assert view.c_gifts.value.text() == "6"
    assert view.c_replies.value.text() == "1"
    assert view.c_dropped.value.text() == "2" and "已过期" in view.c_dropped.toolTip()
    rows = [view.feed_model.data(view.feed_model.index(r, 3)) for r in range(4)]
    assert "多少钱？" in rows
    gifts = [r for r in rows if "小心心" in r]
    assert "累计 6" in gifts[0] and "累计 2" in gifts[-1]  # newest first
    assert "降级" in view.tts_table.item(0, 1).text()
    assert "弹幕源 正常" in bar.text() and "语音 http://a:9880 降级" in bar.text()
    view.type_filters["gift"].setChecked(False)
    assert view.feed_model.rowCount() == 1
    assert view.c_dead.value.text() == "—"  # the player has not reported yet
    memory_bus.publish(Channel.SYSTEM, events.Health(component="audio", status="degraded", detail="冷场 4 秒：没有可播的语音",
                                                     metrics={"dead_air_s": 12.34}))
    qtbot.waitUntil(lambda: view.c_dead.value.text() == "12.3 秒", timeout=2000)
    assert "冷场 4 秒" in view.c_dead.toolTip() and "播放 降级" in bar.text()
    memory_bus.publish(Channel.SYSTEM, events.Health(component="audio:输出", status="ok", detail="声卡"))
    qtbot.waitUntil(lambda: "播放输出 正常" in bar.text(), timeout=2000)  # no stray space inside a Chinese name
    bridge.close()


def test_say_now_and_commands_are_published_on_control(qtbot, memory_bus):
    got = []
    memory_bus.subscribe(Channel.CONTROL, got.append)
    _bridge, view = _rig(qtbot, memory_bus)
    view.say_panel.say_text.setText("现在下单再送小样")
    view.say_panel.say_priority.setCurrentIndex(2)
    view.say_panel.say_button.click()
    view.say_panel.skip_button.click()
    view.say_panel.clear_button.click()
    qtbot.waitUntil(lambda: len(got) == 3, timeout=2000)
    assert got[0] == events.SayNow(text="现在下单再送小样", priority=view.say_panel.say_priority.itemData(2))
    assert isinstance(got[1], events.Skip) and isinstance(got[2], events.ClearQueue)
    assert view.say_panel.say_text.text() == ""


def test_the_say_now_row_works_only_while_live_and_never_drops_a_line_silently(qtbot, memory_bus):
    """Walk finding 3: before 开播 (and after 停止) 插播 and the queue commands are off, saying
    开播后可用; Enter in the field says why nothing went out and keeps the text."""
    from PyQt6.QtCore import Qt

    got = []
    memory_bus.subscribe(Channel.CONTROL, got.append)
    view = DashboardView(Controls(memory_bus))
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    panel = view.say_panel
    buttons = (panel.say_button, panel.file_button, panel.mic_button, panel.skip_button, panel.clear_button)
    for b in buttons:
        assert not b.isEnabled() and b.toolTip().startswith("开播后可用"), b.text()
    type_chinese(panel.say_text, "现在下单再送小样")
    qtbot.keyClick(panel.say_text, Qt.Key.Key_Return)
    qtbot.mouseClick(panel.say_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    qtbot.wait(200)
    assert got == [] and panel.say_text.text() == "现在下单再送小样"
    assert notices == [("warning", "直播未开始，插播没有发出：开播后可用")]
    view.set_running(True)  # 开播
    assert all(b.isEnabled() and not b.toolTip().startswith("开播后可用") for b in buttons)
    qtbot.keyClick(panel.say_text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=2000)
    assert got[0].text == "现在下单再送小样" and panel.say_text.text() == ""
    view.set_running(False)  # 停止
    assert not any(b.isEnabled() for b in buttons)


def test_a_command_the_stopped_runtime_cannot_take_is_said_not_dropped(qtbot, config_file, memory_bus):
    """The row thinks the room is live (开播 pressed) but the runtime is not running (still
    starting, or its process ended): the operator is told and keeps the text."""
    from PyQt6.QtCore import Qt

    from app.runtime import Runtime

    runtime = Runtime(config_file, bus=memory_bus)  # built, never started
    got = []
    memory_bus.subscribe(Channel.CONTROL, got.append)
    view = DashboardView(Controls(memory_bus, runtime))
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    view.set_running(True)
    type_chinese(view.say_panel.say_text, "福利马上开始")
    qtbot.mouseClick(view.say_panel.say_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.say_panel.skip_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.say_panel.clear_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert got == [] and view.say_panel.say_text.text() == "福利马上开始"
    assert notices == ["直播未开始，插播没有发出：开播后可用", "直播未开始，跳过当前没有发出：开播后可用",
                       "直播未开始，清空队列没有发出：开播后可用"]


def test_an_enter_reads_nickname_came_without_the_feeds_placeholder(qtbot, memory_bus):
    """Walk finding 9: dy-barrage-grab's enter Content is "小刚 $来了 直播间人数:532"."""
    _bridge, view = _rig(qtbot, memory_bus)
    if not view.type_filters["enter"].isChecked():
        click(qtbot, view.type_filters["enter"])
    memory_bus.publish(Channel.LIVE_EVENTS, events.LiveEvent(
        type="enter", msg_id="e1", room_id="r", ts=time.time(), user=events.User(id="333", nickname="小刚"),
        text="小刚 $来了 直播间人数:532"))
    qtbot.waitUntil(lambda: view.feed_model.rowCount() == 1, timeout=2000)
    model = view.feed_model
    assert model.data(model.index(0, 1)) == "进场" and model.data(model.index(0, 3)) == "小刚 来了"


def test_the_voice_servers_tab_explains_in_chinese(qtbot, memory_bus):
    """Walk finding 5: the 说明 column showed the TTS pool's English reason."""
    from tests.gui.chinese import english_in

    _bridge, view = _rig(qtbot, memory_bus)
    detail = ("espeak-ng fallback speaking (备用语音在说话): no GPT-SoVITS route can speak now "
              "(没有可用的 GPT-SoVITS): http://a:9880 benched: HTTP 500; voice v1 on http://b:9880 benched: timed out")
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts", status="degraded", detail=detail))
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts:http://b:9880", status="degraded",
                                                     detail="benched (12 s left): HTTP 500"))
    qtbot.waitUntil(lambda: view.tts_table.rowCount() == 2, timeout=2000)
    cells = [view.tts_table.item(r, 2).text() for r in range(2)]
    assert cells[0] == ("正在用离线语音（espeak-ng）代替 GPT-SoVITS：现在没有能用的 GPT-SoVITS 服务："
                        "http://a:9880 暂停使用：HTTP 500；音色 v1（http://b:9880）暂停使用：timed out")
    assert cells[1] == "暂停使用（12 秒后再试）：HTTP 500"
    assert english_in(cells[1]) == [] and english_in(cells[0].removesuffix("timed out")) == []


def test_the_voice_servers_tab_explains_a_silent_room_and_a_busy_server_in_chinese(qtbot, memory_bus):
    """The fallback's reasons at start-up (issue 18): the silent room's short deadline, and a line
    that did not queue behind the one the fallback already spoke."""
    from tests.gui.chinese import english_in

    _bridge, view = _rig(qtbot, memory_bus)
    silent = ("espeak-ng fallback speaking (备用语音在说话): GPT-SoVITS not ready while the room was silent waiting "
              "(冷场等待超时): the room has been silent 0.5 s waiting for it with no good audio ([tts] "
              "silent_deadline_s); sentence 1/1 has been on gptsovits:http://a:9880#hang for 0.6 s (这句合成了 0.6 秒还没完成)")
    busy = ("espeak-ng fallback speaking (备用语音在说话): no GPT-SoVITS route can speak now (没有可用的 GPT-SoVITS): "
            "a:9880: busy with an earlier sentence the fallback already spoke, for 0.7 s (hang: 上一句还在合成)")
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts", status="degraded", detail=silent))
    qtbot.waitUntil(lambda: view.tts_table.rowCount() == 1 and "冷场" in view.tts_table.item(0, 2).text(),
                    timeout=2000)
    assert view.tts_table.item(0, 2).text() == (
        "正在用离线语音（espeak-ng）代替 GPT-SoVITS：冷场等待超时：冷场 0.5 秒仍没有合格的声音（[tts] silent_deadline_s）；"
        "共 1 句的第 1 句在 gptsovits:http://a:9880#hang 上合成了 0.6 秒还没完成")
    memory_bus.publish(Channel.SYSTEM, events.Health(component="tts", status="degraded", detail=busy))
    qtbot.waitUntil(lambda: "上一句" in view.tts_table.item(0, 2).text(), timeout=2000)
    text = view.tts_table.item(0, 2).text()
    assert text == ("正在用离线语音（espeak-ng）代替 GPT-SoVITS：现在没有能用的 GPT-SoVITS 服务：a:9880：上一句还在合成"
                    "（音色 hang，已 0.7 秒；那句已由离线语音说过）")
    assert english_in(text, allowed={"hang"}) == []  # the voice is named as configured


def test_bridge_batches_bursts(qtbot, memory_bus):
    bridge = Bridge(memory_bus, hz=10)
    batches = []
    bridge.batch.connect(lambda b: batches.append(len(b)))
    for i in range(500):
        memory_bus.publish(Channel.LIVE_EVENTS, events.LiveEvent(type="like", msg_id=str(i), room_id="r", ts=0.0))
    qtbot.waitUntil(lambda: sum(batches) == 500, timeout=3000)
    assert len(batches) <= 5, f"500 events arrived in {len(batches)} GUI updates"
    bridge.close()


def test_a_cell_painted_in_one_call_shows_its_own_roles_not_the_previous_cells():
    """Views ask for all roles of a cell at once (multiData) with one reused span: a role the
    cell does not set must come back empty, or text inherits the alignment of the cell before."""
    from PyQt6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt

    from ui.models import QueueModel

    model = QueueModel()
    model.apply_snapshot([_item("s1", priority=10)])
    roles = [QModelRoleData(Qt.ItemDataRole.DisplayRole), QModelRoleData(Qt.ItemDataRole.TextAlignmentRole)]
    span = QModelRoleDataSpan(roles)
    model.multiData(model.index(0, 3), span)  # the priority column is right-aligned
    assert span[0].data() == 10 and span[1].data() is not None
    model.multiData(model.index(0, 2), span)  # the text column is not
    assert span[0].data() == "第s1句话术"
    assert span[1].data() is None


def test_the_queue_shows_the_players_expiry_and_now_playing_who_it_is_for(qtbot, memory_bus):
    """截止 counts down to when the player will drop the item (its record's verdict), whatever
    the deadline says on this machine's clock; now-playing names the viewer from the record."""
    bridge, view = _rig(qtbot, memory_bus)
    model = view.queue_model
    skewed = time.time() - 60  # the GUI's clock would call this "expired"
    late = events.QueueItemView(id="r1", kind="reply", text="包邮的哦", priority=0, state="ready", waiting_s=2.0,
                                deadline=skewed, expires_in_s=30.0)
    forever = _item("s1")  # the script never goes stale
    memory_bus.publish(Channel.PLAYER_STATE, events.QueueSnapshot(items=(late, forever)))
    qtbot.waitUntil(lambda: model.ids() == ["r1", "s1"], timeout=2000)
    shown = model.data(model.index(0, 6))
    assert shown in ("30 秒后", "29 秒后"), shown
    assert model.data(model.index(1, 6)) == "—"
    view_of = events.UtteranceView(id="r1", kind="reply", text="包邮的哦", viewer="小美", comment="包邮吗",
                                   state="playing")
    memory_bus.publish(Channel.PLAYER_STATE, events.PlaybackStarted(id="r1", kind="reply", text="包邮的哦", priority=0,
                                                                    duration_s=2.0, utterance=view_of))
    qtbot.waitUntil(lambda: "小美" in view.now_meta.text(), timeout=2000)
    assert view.now_meta.toolTip() == "小美：包邮吗"
    bridge.close()
