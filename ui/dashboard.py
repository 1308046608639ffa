"""The live dashboard: now playing, the product on air (当前讲解), the airtime split, the queue,
the viewers' questions with their answers, recent events, counters, TTS health, 插播 (text, an
audio file or a microphone recording: ``SayNowPanel``), and the AI-content label.

Fed only by ``Bridge.batch`` (already batched to ~10/s on the GUI thread); the views redraw
once per batch. Commands go through ``Controls`` and return at once. ``set_running(False)``
after 停止 clears what was playing, so nothing reads 播放中 once the room is stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import events
from ui import music_panel
from ui.controls import Controls
from ui.dashboard_panels import DEFAULT_AI_LABEL, AirtimePanel, Counter, ProductPanel, data_table
from ui.dashboard_state import DashboardState
from ui.models import EventFeedModel, QuestionModel, QueueModel
from ui.progress_strip import ProgressStrip
from ui.say_now_panel import SayNowPanel
from ui.texts import EVENT_TYPE_ZH, HEALTH_COLOR, HEALTH_ZH, KIND_ZH, component_label, health_detail_zh


class DashboardView(QWidget):
    notice = pyqtSignal(str, str)  # level, Chinese message (the window's notice bar)

    def __init__(self, controls: Controls, *, feed_max: int = 2000,
                 products: Callable[[], list[tuple[str, str]]] | None = None,
                 ai_label: str = DEFAULT_AI_LABEL, parent=None):
        super().__init__(parent)
        self.controls = controls
        self.state = DashboardState()
        self.queue_model = QueueModel(self)
        self.feed_model = EventFeedModel(self, max_rows=feed_max)
        self.question_model = QuestionModel(self)
        self._products = products or (lambda: [])
        self._ai_label = ai_label
        self._sized = False
        self._build()
        # Waiting times, dead air and events/s move even when no event arrives.
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._on_tick)
        self._ticks = 0
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
        self.ai_label = QLabel()
        self.ai_label.setObjectName("aiLabel")
        self.ai_label.setStyleSheet("QLabel#aiLabel { background: #eef2ff; color: #3730a3; "
                                    "border: 1px solid #c7d2fe; border-radius: 4px; padding: 1px 6px; }")
        self.ai_label.setToolTip("观众可见的 AI 内容标识（config.ini 的 [compliance] ai_label_text）；"
                                 "请同时放在直播画面上")
        self.set_ai_label(self._ai_label)
        tl.addWidget(self.now_text, 0, 0, 1, 2)
        tl.addWidget(self.ai_label, 0, 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        tl.addWidget(self.now_meta, 1, 0)
        tl.addWidget(self.now_progress, 1, 1, 1, 2)
        tl.setColumnStretch(1, 1)
        self.product_panel = ProductPanel(self._products, on_air=lambda: self.state.on_air,
                                          switch=self.controls.switch_product, pin=self.controls.pin_product)
        self.airtime_panel = AirtimePanel()

        self.say_panel = SayNowPanel(self.controls)
        self.say_panel.notice.connect(self.notice)

        # Counters
        counters = QHBoxLayout()
        self.c_rate = Counter("事件/秒")
        self.c_gifts = Counter("礼物")
        self.c_replies = Counter("回复")
        self.c_questions = Counter("提问 已答/总数")
        self.c_dropped = Counter("丢弃")
        self.c_interrupts = Counter("打断")
        self.c_dead = Counter("冷场")
        for c in (self.c_rate, self.c_gifts, self.c_replies, self.c_questions, self.c_dropped,
                  self.c_interrupts, self.c_dead):
            counters.addWidget(c)

        # Queue | events, TTS health below events
        self.queue_view = data_table(self.queue_model, 2, {0: 48, 1: 76, 3: 48, 4: 96, 5: 58, 6: 62})
        self.queue_view.setObjectName("queueView")
        queue_box = QGroupBox("播放队列")
        ql = QVBoxLayout(queue_box)
        ql.setContentsMargins(4, 4, 4, 4)
        ql.addWidget(self.queue_view)

        events_box = QWidget()
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
        self.feed_view = data_table(self.feed_model, 3, {0: 68, 1: 56, 2: 96})
        el.addLayout(filters)
        el.addWidget(self.feed_view)

        tts_box = QWidget()
        tl2 = QVBoxLayout(tts_box)
        tl2.setContentsMargins(4, 4, 4, 4)
        self.tts_table = QTableWidget(0, 3)
        self.tts_table.setHorizontalHeaderLabels(["服务器", "状态", "说明"])
        self.tts_table.verticalHeader().setVisible(False)
        self.tts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tts_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tts_table.horizontalHeader().setStretchLastSection(True)
        tl2.addWidget(self.tts_table)

        questions_box = QGroupBox("观众提问")
        qbl = QVBoxLayout(questions_box)
        qbl.setContentsMargins(4, 4, 4, 4)
        self.question_view = data_table(self.question_model, 4, {0: 64, 1: 80, 2: 150, 3: 64, 5: 56})
        self.question_view.setObjectName("questionView")
        qbl.addWidget(self.question_view)

        # Recent events and the TTS servers share one pane (the status bar shows voice health
        # too): at 1366×768 three panes left each too short to read.
        self.side_tabs = QTabWidget()
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(events_box, "最近事件")
        self.side_tabs.addTab(tts_box, "语音服务器")

        self.right_split = QSplitter(Qt.Orientation.Vertical)
        self.right_split.addWidget(questions_box)
        self.right_split.addWidget(self.side_tabs)
        self.right_split.setStretchFactor(0, 1)
        self.right_split.setStretchFactor(1, 1)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(queue_box)
        self.split.addWidget(self.right_split)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([620, 560])

        head = QHBoxLayout()
        head.addWidget(top, 3)
        side = QVBoxLayout()
        side.addWidget(self.product_panel)
        side.addWidget(self.airtime_panel)
        head.addLayout(side, 2)
        root.addLayout(head)
        root.addLayout(counters)
        root.addWidget(self.say_panel)
        self.music = music_panel.attach(root, self.controls.bus)  # background music: track + 下一首
        root.addWidget(self.split, 1)
        self._refresh_counters()

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("dashboard/split", self.split.saveState())
        settings.setValue("dashboard/right_split_q", self.right_split.saveState())

    def restore_layout(self, settings: QSettings) -> None:
        # right_split_q: the right side is now questions | events+servers; the older state is not reused
        for key, splitter in (("dashboard/split", self.split), ("dashboard/right_split_q", self.right_split)):
            state = settings.value(key)
            if state is not None:
                splitter.restoreState(state)
                self._sized = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:  # first show, nothing remembered: the questions get the most room
            self._sized = True
            h = max(300, self.right_split.height())
            self.right_split.setSizes([int(h * 0.5), int(h * 0.5)])

    def set_ai_label(self, text: str) -> None:
        self._ai_label = (text or "").strip() or DEFAULT_AI_LABEL
        self.ai_label.setText(f"AI 标识：{self._ai_label}")

    def set_running(self, running: bool) -> None:
        """开播 / 停止. After 停止 nothing plays: the queue and now-playing are cleared (the
        stopped player says no more), and the questions and counts of the run stay until the
        next 开播, which starts them from zero."""
        was_running = self.state.running
        self.state.set_running(running)
        if running and not was_running:
            self.question_model.clear()
        self.say_panel.set_live(running)
        if not running:
            self.queue_model.apply_snapshot([])
        self._refresh_now()
        self._refresh_context()
        self._refresh_counters()

    def _filters_changed(self) -> None:
        hidden = {t for t, cb in self.type_filters.items() if not cb.isChecked()}
        self.feed_model.set_hidden(hidden)

    # ---- batches from the bridge ---------------------------------------------------------------

    def on_batch(self, batch: list) -> None:
        self.state.feed(batch)
        self.music.on_batch(batch)
        live: list[events.LiveEvent] = []
        questions: list[events.QuestionStatus] = []
        snapshot = None
        tts_changed = context_changed = False
        stopped = self.state.stopped
        for ev in batch:
            if isinstance(ev, events.LiveEvent):
                live.append(ev)
            elif isinstance(ev, events.QuestionStatus):
                questions.append(ev)
            elif isinstance(ev, (events.ProductOnAir, events.AirtimeReport, events.LiveEnded)):
                context_changed = True
            elif stopped:
                continue  # the stopped run's last queue and playback events: nothing plays now
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
        if questions:
            self.question_model.update(questions)
        if tts_changed:
            self._refresh_tts()
        if context_changed:
            self._refresh_context()
        self._refresh_now()
        self._refresh_counters()

    def _on_tick(self) -> None:
        self._refresh_counters()
        self._ticks += 1
        if self._ticks % 5 == 0:  # products edited on the products page appear in the list
            self.product_panel.refresh_products()

    def _refresh_context(self) -> None:
        self.product_panel.refresh_products()
        self.product_panel.show_on_air()
        self.airtime_panel.set_report(self.state.airtime)

    def _refresh_now(self) -> None:
        now = self.state.now
        if now is None:
            if self.state.live_ended is not None:
                self.now_text.setText("直播间已下播，已停止说话")
            else:
                self.now_text.setText("（已停止）" if self.state.stopped else "（空闲）")
            self.now_meta.setText("")
            self.now_meta.setToolTip("")
            self.now_progress.set_progress(0.0, "")
            return
        self.now_text.setText(now.text)
        resumed = " · 续播" if now.resumed else ""
        viewer = f" · 给 {now.viewer}" if now.viewer else ""
        self.now_meta.setText(f"{KIND_ZH.get(now.kind, now.kind)} · 优先级 {now.priority}{resumed}{viewer}")
        self.now_meta.setToolTip(f"{now.viewer}：{now.comment}" if now.viewer and now.comment else "")
        frac = now.position_s / now.duration_s if now.duration_s > 0 else 0.0
        self.now_progress.set_progress(frac, f"{now.position_s:.1f} / {now.duration_s:.1f} 秒")

    def _refresh_counters(self) -> None:
        s = self.state
        self.c_rate.set(f"{s.events_per_s():.0f}", f"共 {s.live_events} 条直播事件")
        self.c_gifts.set(str(s.gifts), f"礼物价值 {s.gift_diamonds} 钻")
        self.c_replies.set(str(s.replies), "已播出的关键词回复和 AI 回复")
        reasons = "\n".join(f"{r}：{n}" for r, n in s.dropped.most_common(8)) or "暂无"
        self.c_dropped.set(str(s.dropped_total), "丢弃原因：\n" + reasons)
        q = s.question_counts()
        total = sum(q.values())
        self.c_questions.set(f"{q['answered']}/{total}",
                             f"已回答 {q['answered']}，未回答 {q['unanswered']}，等待中 {q['waiting']}")
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
            detail = QTableWidgetItem(health_detail_zh(h.detail))  # Chinese; addresses and errors as they are
            detail.setToolTip(detail.text())
            self.tts_table.setItem(i, 2, detail)


def _color(status: str):
    from PyQt6.QtGui import QColor

    return QColor(HEALTH_COLOR.get(status, "#9ca3af"))


__all__ = ["DashboardView", "component_label"]
