"""The live dashboard: now playing, the queue, recent events, counters, TTS health, say-now.

Fed only by ``Bridge.batch`` (already batched to ~10/s on the GUI thread); the views redraw
once per batch. Commands go through ``Controls`` and return at once.
"""

from __future__ import annotations

from PyQt6.QtCore import QSettings, Qt, QTimer
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import events
from app.events import Priority
from ui import music_panel
from ui.controls import Controls
from ui.dashboard_state import DashboardState
from ui.models import EventFeedModel, QueueModel
from ui.progress_strip import ProgressStrip
from ui.texts import EVENT_TYPE_ZH, HEALTH_COLOR, HEALTH_ZH, KIND_ZH, component_label, reason_label

SAY_NOW_PRIORITIES = (
    ("紧急（立即打断）", int(Priority.EMERGENCY)),
    ("重要（大礼物级）", int(Priority.GIFT_LARGE)),
    ("普通回复", int(Priority.COMMENT_IMPORTANT)),
    ("排队（不打断）", int(Priority.NORMAL)),
)


def _table(model, stretch_col: int, widths: dict[int, int]) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for col, width in widths.items():
        view.setColumnWidth(col, width)
    header.setSectionResizeMode(stretch_col, QHeaderView.ResizeMode.Stretch)
    return view


class Counter(QFrame):
    def __init__(self, title: str):
        super().__init__()
        self.setObjectName("counter")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(0)
        self.value = QLabel("0")
        self.value.setObjectName("counterValue")
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label = QLabel(title)
        label.setObjectName("counterTitle")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.value)
        lay.addWidget(label)

    def set(self, text: str, tip: str = "") -> None:
        self.value.setText(text)
        self.setToolTip(tip)


class DashboardView(QWidget):
    def __init__(self, controls: Controls, *, feed_max: int = 2000, parent=None):
        super().__init__(parent)
        self.controls = controls
        self.state = DashboardState()
        self.queue_model = QueueModel(self)
        self.feed_model = EventFeedModel(self, max_rows=feed_max)
        self._build()
        # Waiting times, dead air and events/s move even when no event arrives.
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._refresh_counters)
        self._tick.start(1000)

    # ---- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)

        # Now playing + commands
        top = QGroupBox("正在播放")
        tl = QGridLayout(top)
        self.now_text = QLabel("（空闲）")
        self.now_text.setWordWrap(True)
        self.now_text.setObjectName("nowText")
        self.now_text.setMinimumHeight(44)
        self.now_meta = QLabel("")
        self.now_meta.setObjectName("muted")
        self.now_progress = ProgressStrip()
        tl.addWidget(self.now_text, 0, 0, 1, 3)
        tl.addWidget(self.now_meta, 1, 0)
        tl.addWidget(self.now_progress, 1, 1, 1, 2)
        tl.setColumnStretch(1, 1)

        say = QGroupBox("插播")
        sl = QHBoxLayout(say)
        self.say_text = QLineEdit()
        self.say_text.setPlaceholderText("输入要立即播报的话，回车发送（也会经过合规过滤）")
        self.say_priority = QComboBox()
        for label, value in SAY_NOW_PRIORITIES:
            self.say_priority.addItem(label, value)
        self.say_button = QPushButton("插播")
        self.say_button.setObjectName("primary")
        self.skip_button = QPushButton("跳过当前")
        self.clear_button = QPushButton("清空队列")
        sl.addWidget(self.say_text, 1)
        sl.addWidget(self.say_priority)
        sl.addWidget(self.say_button)
        sl.addSpacing(12)
        sl.addWidget(self.skip_button)
        sl.addWidget(self.clear_button)
        self.say_button.clicked.connect(self._say_now)
        self.say_text.returnPressed.connect(self._say_now)
        self.skip_button.clicked.connect(self.controls.skip)
        self.clear_button.clicked.connect(self.controls.clear_queue)

        # Counters
        counters = QHBoxLayout()
        self.c_rate = Counter("事件/秒")
        self.c_gifts = Counter("礼物")
        self.c_replies = Counter("回复")
        self.c_dropped = Counter("丢弃")
        self.c_interrupts = Counter("打断")
        self.c_dead = Counter("冷场")
        for c in (self.c_rate, self.c_gifts, self.c_replies, self.c_dropped, self.c_interrupts, self.c_dead):
            counters.addWidget(c)

        # Queue | events, TTS health below events
        self.queue_view = _table(self.queue_model, 2, {0: 48, 1: 76, 3: 48, 4: 96, 5: 58, 6: 62})
        self.queue_view.setObjectName("queueView")
        queue_box = QGroupBox("播放队列")
        ql = QVBoxLayout(queue_box)
        ql.setContentsMargins(4, 4, 4, 4)
        ql.addWidget(self.queue_view)

        events_box = QGroupBox("最近事件")
        el = QVBoxLayout(events_box)
        el.setContentsMargins(4, 4, 4, 4)
        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.type_filters: dict[str, QCheckBox] = {}
        for t in events.LIVE_EVENT_TYPES:
            cb = QCheckBox(EVENT_TYPE_ZH.get(t, t))
            cb.setChecked(t not in self.feed_model.hidden_types)
            cb.toggled.connect(self._filters_changed)
            self.type_filters[t] = cb
            filters.addWidget(cb)
        filters.addStretch(1)
        self.feed_view = _table(self.feed_model, 3, {0: 68, 1: 56, 2: 96})
        el.addLayout(filters)
        el.addWidget(self.feed_view)

        tts_box = QGroupBox("语音服务器")
        tl2 = QVBoxLayout(tts_box)
        tl2.setContentsMargins(4, 4, 4, 4)
        self.tts_table = QTableWidget(0, 3)
        self.tts_table.setHorizontalHeaderLabels(["服务器", "状态", "说明"])
        self.tts_table.verticalHeader().setVisible(False)
        self.tts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tts_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tts_table.horizontalHeader().setStretchLastSection(True)
        tl2.addWidget(self.tts_table)

        self.right_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split.addWidget(events_box)
        self.right_split.addWidget(tts_box)
        self.right_split.setStretchFactor(0, 3)
        self.right_split.setStretchFactor(1, 1)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(queue_box)
        self.split.addWidget(self.right_split)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([620, 560])

        root.addWidget(top)
        root.addLayout(counters)
        root.addWidget(say)
        self.music = music_panel.attach(root, self.controls.bus)  # background music: track + 下一首
        root.addWidget(self.split, 1)
        self._refresh_counters()

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("dashboard/split", self.split.saveState())
        settings.setValue("dashboard/right_split", self.right_split.saveState())

    def restore_layout(self, settings: QSettings) -> None:
        for key, splitter in (("dashboard/split", self.split), ("dashboard/right_split", self.right_split)):
            state = settings.value(key)
            if state is not None:
                splitter.restoreState(state)

    # ---- input ---------------------------------------------------------------------------------

    def _say_now(self) -> None:
        text = self.say_text.text().strip()
        if not text:
            return
        self.controls.say_now(text, int(self.say_priority.currentData()))
        self.say_text.clear()

    def _filters_changed(self) -> None:
        hidden = {t for t, cb in self.type_filters.items() if not cb.isChecked()}
        self.feed_model.set_hidden(hidden)

    # ---- batches from the bridge ---------------------------------------------------------------

    def on_batch(self, batch: list) -> None:
        self.state.feed(batch)
        self.music.on_batch(batch)
        live: list[events.LiveEvent] = []
        snapshot = None
        tts_changed = False
        for ev in batch:
            if isinstance(ev, events.LiveEvent):
                live.append(ev)
            elif isinstance(ev, events.QueueSnapshot):
                snapshot = ev  # only the newest one matters
            elif isinstance(ev, (events.PlaybackFinished, events.PlaybackInterrupted,
                                 events.PlaybackStarted, events.UtteranceDropped)):
                if snapshot is not None:  # keep order: apply the snapshot seen so far first
                    self.queue_model.apply_snapshot(snapshot.items)
                    snapshot = None
                if isinstance(ev, events.PlaybackInterrupted):
                    self.queue_model.mark_interrupted(ev.id)
                elif isinstance(ev, events.PlaybackStarted):
                    self.queue_model.mark_playing(ev.id)
                else:
                    self.queue_model.mark_finished(ev.id)
            elif isinstance(ev, events.Health) and ev.component.startswith("tts"):
                tts_changed = True
        if snapshot is not None:
            self.queue_model.apply_snapshot(snapshot.items)
        if live:
            self.feed_model.add(live)
        if tts_changed:
            self._refresh_tts()
        self._refresh_now()
        self._refresh_counters()

    def _refresh_now(self) -> None:
        now = self.state.now
        if now is None:
            self.now_text.setText("（空闲）")
            self.now_meta.setText("")
            self.now_progress.set_progress(0.0, "")
            return
        self.now_text.setText(now.text)
        resumed = " · 续播" if now.resumed else ""
        self.now_meta.setText(f"{KIND_ZH.get(now.kind, now.kind)} · 优先级 {now.priority}{resumed}")
        frac = now.position_s / now.duration_s if now.duration_s > 0 else 0.0
        self.now_progress.set_progress(frac, f"{now.position_s:.1f} / {now.duration_s:.1f} 秒")

    def _refresh_counters(self) -> None:
        s = self.state
        self.c_rate.set(f"{s.events_per_s():.0f}", f"共 {s.live_events} 条直播事件")
        self.c_gifts.set(str(s.gifts), f"礼物价值 {s.gift_diamonds} 钻")
        self.c_replies.set(str(s.replies), "已播出的关键词回复和 AI 回复")
        reasons = "\n".join(f"{reason_label(r)}：{n}" for r, n in s.dropped.most_common(8)) or "暂无"
        self.c_dropped.set(str(s.dropped_total), "丢弃原因：\n" + reasons)
        self.c_interrupts.set(str(s.interruptions), "高优先级内容打断播放的次数")
        dead = s.dead_air_s()
        audio = s.health.get("audio")
        self.c_dead.set("—" if dead is None else f"{dead:.1f} 秒",
                        "开播后无声的累计时间（暂停不计），由播放器统计"
                        + (f"\n当前：{audio.detail}" if audio else ""))

    def _refresh_tts(self) -> None:
        rows = sorted((c, h) for c, h in self.state.health.items() if c.startswith("tts"))
        self.tts_table.setRowCount(len(rows))
        for i, (comp, h) in enumerate(rows):
            name = comp.partition(":")[2] or "离线语音 / 总体"
            status = QTableWidgetItem(f"● {HEALTH_ZH.get(h.status, h.status)}")
            status.setForeground(_color(h.status))
            self.tts_table.setItem(i, 0, QTableWidgetItem(name))
            self.tts_table.setItem(i, 1, status)
            detail = QTableWidgetItem(h.detail)
            detail.setToolTip(h.detail)
            self.tts_table.setItem(i, 2, detail)


def _color(status: str):
    from PyQt6.QtGui import QColor

    return QColor(HEALTH_COLOR.get(status, "#9ca3af"))


__all__ = ["DashboardView", "component_label"]
