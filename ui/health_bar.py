"""The status bar's live health: one coloured dot per component (feed, bus, each TTS server,
LLM, audio) with the detail as tooltip."""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app import events
from ui.texts import HEALTH_COLOR, HEALTH_ZH, component_label, health_detail_zh

ALWAYS = ("feed", "bus", "llm")  # shown as 未知 until they report


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

    def on_batch(self, batch: list) -> None:
        latest: dict[str, events.Health] = {}
        for ev in batch:
            if isinstance(ev, events.Health):
                latest[ev.component] = ev
        for h in latest.values():
            self.set_health(h)

    def text(self) -> str:
        return " ".join(label.text() for label in self.labels.values())
