"""The status bar says which room the feed listens to ("正在监听 ＜主播＞"), fed through the bridge
from the feed's Health exactly as the listener publishes it."""

from __future__ import annotations

from app import events
from app.events import Channel
from ui.bridge import Bridge
from ui.health_bar import HealthBar


def test_the_status_bar_names_the_room_being_listened_to(qtbot, memory_bus):
    bridge = Bridge(memory_bus, hz=20)
    bar = HealthBar()
    qtbot.addWidget(bar)
    bridge.batch.connect(bar.on_batch)
    memory_bus.publish(Channel.SYSTEM, events.Health(component="feed", status="ok",
                                                     detail="已连接 ws://127.0.0.1:8888，等待直播间消息"))
    qtbot.waitUntil(lambda: "弹幕源 正常" in bar.text(), timeout=2000)
    assert "正在监听" not in bar.text()
    memory_bus.publish(Channel.SYSTEM, events.Health(component="feed", status="ok", detail="正在监听 主播昵称"))
    qtbot.waitUntil(lambda: "正在监听 主播昵称" in bar.text(), timeout=2000)
    memory_bus.publish(Channel.SYSTEM, events.Health(component="feed", status="down", detail="no frame for 60 s"))
    qtbot.waitUntil(lambda: "弹幕源 断开" in bar.text() or "正在监听" not in bar.text(), timeout=2000)
    assert "正在监听" not in bar.text()
    bridge.close()
