"""The status bar's live health: one coloured dot per component (feed, bus, each TTS server,
LLM, audio) with the detail as tooltip.

After 停止 (``stopped``) every part of the room but the bus reads 未启用: the stopped room's
last words (语音 降级, 播放中) are no longer true, and late ones still in the bridge are not
shown until the next 开播 (``live = True``)."""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app import events
from ui.texts import HEALTH_COLOR, HEALTH_ZH, component_label, health_detail_zh

ALWAYS = ("feed", "bus", "llm")  # shown as 未知 until they report
#: Components that live outside the room (the GUI's own Redis): still true after 停止.
OUTSIDE_ROOM = ("bus",)


def _order(component: str) -> tuple:
    head = component.partition(":")[0]
    rank = {"feed": 0, "bus": 1, "tts": 2, "llm": 3, "audio": 4}.get(head, 5)
    return (rank, component)


class HealthBar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(14)
        self.labels: dict[str, QLabel] = {}
        self.shown: dict[str, tuple[str, str]] = {}  # component -> (status, detail) on screen
        self.live = False  # set by the window at 开播; cleared by ``stopped``
        self._after_stop = False
        for c in ALWAYS:
            self.set_health(events.Health(component=c, status="unknown", detail="尚未报告"))

    def set_health(self, h: events.Health) -> None:
        label = self.labels.get(h.component)
        if label is None:
            label = QLabel()
            self.labels[h.component] = label
            names = sorted(self.labels, key=_order)
            self.lay.insertWidget(names.index(h.component), label)
        if self.shown.get(h.component) == (h.status, h.detail):
            return
        self.shown[h.component] = (h.status, h.detail)
        color = HEALTH_COLOR.get(h.status, HEALTH_COLOR["unknown"])
        # the feed names the room it listens to (only our room is spoken to): show it, not just a dot
        room = f" · {h.detail}" if h.component == "feed" and h.detail.startswith("正在监听") else ""
        label.setText(f"<span style='color:{color}'>●</span> {component_label(h.component)} "
                      f"{HEALTH_ZH.get(h.status, h.status)}{room}")
        label.setToolTip(f"{component_label(h.component)}：{HEALTH_ZH.get(h.status, h.status)}\n"
                         f"{health_detail_zh(h.detail)}")

    def stopped(self) -> None:
        """停止: every part of the room is off until the next 开播."""
        self.live = False
        self._after_stop = True
        for component in list(self.labels):
            if component.partition(":")[0] not in OUTSIDE_ROOM:
                self.set_health(events.Health(component=component, status="off", detail="已停止"))

    def on_batch(self, batch: list) -> None:
        latest: dict[str, events.Health] = {}
        quiet = self._after_stop and not self.live  # the stopped room's late reports
        for ev in batch:
            if isinstance(ev, events.Health) and not (quiet and ev.component.partition(":")[0] not in OUTSIDE_ROOM):
                latest[ev.component] = ev
        for h in latest.values():
            self.set_health(h)

    def text(self) -> str:
        return " ".join(label.text() for label in self.labels.values())
