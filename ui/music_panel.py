"""The dashboard's background-music strip: the track the room hears and a 下一首 button.

It knows the runtime only through the bus: it shows the newest ``MusicStatus`` of each batch
the bridge hands the dashboard, and the button publishes ``SkipTrack`` on ``control`` (the
audio output in the live process acts on it, wherever that process runs).
"""

from __future__ import annotations

from PyQt6.QtWidgets import QBoxLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton

from app import events
from app.events import Channel

STATE_ZH = {"off": "未开启", "loading": "加载中", "playing": "播放中", "empty": "没有音乐文件", "error": "无法播放"}
OFF_HINT = "未开启（设置 → 背景音乐 → 勾选「播放背景音乐」并选好音乐文件夹）"


class MusicPanel(QGroupBox):
    def __init__(self, bus, parent=None):
        super().__init__("背景音乐", parent)
        self.bus = bus
        self.text = QLabel(OFF_HINT)
        self.text.setObjectName("musicText")
        self.text.setWordWrap(True)
        self.skip_button = QPushButton("下一首")
        self.skip_button.setToolTip("跳过正在播放的背景音乐，淡出后播放下一首")
        self.skip_button.setEnabled(False)
        self.skip_button.clicked.connect(self.skip)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.skip_button)
        self.status: events.MusicStatus | None = None

    def skip(self) -> None:
        if self.bus is not None:
            self.bus.publish(Channel.CONTROL, events.SkipTrack())

    def on_batch(self, batch: list) -> None:
        status = next((ev for ev in reversed(batch) if isinstance(ev, events.MusicStatus)), None)
        if status is None or status == self.status:
            return
        self.status = status
        if status.state == "playing":
            shown = f"♪ {status.title}　（第 {status.index}/{status.count} 首）"
        elif status.state == "off":
            shown = OFF_HINT
        else:
            shown = f"{STATE_ZH.get(status.state, status.state)}：{status.detail}" if status.detail else STATE_ZH.get(
                status.state, status.state)
        warning = status.detail.partition("；")[2] if status.state == "playing" else ""
        self.text.setText(shown + (f"\n{warning}" if warning else ""))
        self.text.setToolTip(status.detail)
        self.skip_button.setEnabled(status.state == "playing")


def attach(layout: QBoxLayout, bus) -> MusicPanel:
    """Add the panel to a dashboard's layout."""
    panel = MusicPanel(bus)
    layout.addWidget(panel)
    return panel
