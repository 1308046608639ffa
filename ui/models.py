"""Table models for the dashboard: the speech queue and the recent live events.

Both change incrementally (insert/remove/dataChanged on the rows that changed), never by a
model reset on every update, so selection and scroll position survive and a 200-row queue
redraws only what moved.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import Any

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt6.QtGui import QBrush, QColor

from app import events
from app.store.labels import spoken_status_zh
from ui.texts import EVENT_TYPE_ZH, KIND_ZH, STATE_ZH

_ROOT = QModelIndex()


class _TableModel(QAbstractTableModel):
    """Rows from ``_visible()``, fixed column titles from ``HEADERS``."""

    HEADERS: tuple[str, ...] = ()

    def _visible(self) -> list:
        raise NotImplementedError

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self._visible())

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def multiData(self, index, span) -> None:
        """All the roles of one cell in one call. A view paints a cell by asking for ~7 roles;
        each call from Qt into Python must take the GIL, and while the feed is busy every take
        waits behind the stage threads, so one call per cell instead of one per role is what
        keeps a repaint short."""
        for i in range(len(span)):
            slot = span[i]
            value = self.data(index, slot.role())
            if value is None:
                slot.clearData()  # the span is reused from cell to cell: never leave a stale value
            else:
                slot.setData(value)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class QueueModel(_TableModel):
    """The player's queue as its snapshots show it. 截止 counts down to when the player will drop
    an item as stale (``QueueItemView.expires_in_s``, the one staleness rule applied by the player):
    the GUI does not judge staleness itself — an item the player drops leaves the table."""

    HEADERS = ("编号", "类型", "内容", "优先级", "状态", "已等待", "截止")

    def __init__(self, parent=None, *, clock=time.monotonic):
        super().__init__(parent)
        self._rows: list[events.QueueItemView] = []
        self._interrupted: set[str] = set()
        self._clock = clock
        self._snapshot_at = clock()  # when the newest snapshot arrived

    # ---- updates -------------------------------------------------------------------------------

    def apply_snapshot(self, items: tuple[events.QueueItemView, ...] | list) -> None:
        """Make the rows equal ``items`` with the fewest row operations."""
        self._snapshot_at = self._clock()
        wanted_ids = {it.id for it in items}
        # Drop rows that left the queue (bottom-up so indexes stay valid).
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].id not in wanted_ids:
                self._remove(row)
        for i, item in enumerate(items):
            if i < len(self._rows) and self._rows[i].id == item.id:
                if self._rows[i] != item:
                    self._rows[i] = item
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))
                continue
            found = next((r for r in range(i + 1, len(self._rows)) if self._rows[r].id == item.id), None)
            if found is not None:  # moved up: take it out where it was
                self._remove(found)
            self.beginInsertRows(_ROOT, i, i)
            self._rows.insert(i, item)
            self.endInsertRows()
        self._interrupted &= wanted_ids

    def mark_interrupted(self, item_id: str) -> None:
        self._interrupted.add(item_id)
        self._changed(item_id)

    def mark_finished(self, item_id: str) -> None:
        """A finished item leaves the table at once, without waiting for the next snapshot."""
        self._interrupted.discard(item_id)
        row = self.row_of(item_id)
        if row is not None:
            self._remove(row)

    def mark_playing(self, item_id: str) -> None:
        self._interrupted.discard(item_id)
        row = self.row_of(item_id)
        if row is not None:
            old = self._rows[row]
            self._rows[row] = dataclasses.replace(old, state="playing")
            self._changed(item_id)

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(_ROOT, row, row)
        del self._rows[row]
        self.endRemoveRows()

    def _changed(self, item_id: str) -> None:
        row = self.row_of(item_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    # ---- reading -------------------------------------------------------------------------------

    def row_of(self, item_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == item_id), None)

    def item(self, row: int) -> events.QueueItemView:
        return self._rows[row]

    def state_text(self, row: int) -> str:
        it = self._rows[row]
        if it.id in self._interrupted:
            return "已打断，待续播"
        return STATE_ZH.get(it.state, it.state)

    def ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def _visible(self) -> list:
        return self._rows

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        it = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return it.id[-8:]
            if col == 1:
                return KIND_ZH.get(it.kind, it.kind)
            if col == 2:
                return it.text
            if col == 3:
                return it.priority
            if col == 4:
                return self.state_text(index.row())
            if col == 5:
                return f"{it.waiting_s:.1f} 秒"
            if col == 6:
                if it.expires_in_s is None:
                    return "—"
                left = max(0.0, it.expires_in_s - (self._clock() - self._snapshot_at))
                return f"{left:.0f} 秒后"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{it.id}\n{it.text}" if col in (0, 2) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if it.id in self._interrupted:
                return QBrush(QColor("#b45309"))
            if it.state == "playing":
                return QBrush(QColor("#047857"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class EventFeedModel(_TableModel):
    """Recent live events, newest first, filtered by type; keeps at most ``max_rows``."""

    HEADERS = ("时间", "类型", "观众", "内容")

    def __init__(self, parent=None, *, max_rows: int = 2000):
        super().__init__(parent)
        self.max_rows = max_rows
        self._all: deque[events.LiveEvent] = deque(maxlen=max_rows)
        self._shown: list[events.LiveEvent] = []  # newest first
        self.hidden_types: set[str] = {"stats"}

    def set_hidden(self, types: set[str]) -> None:
        self.hidden_types = set(types)
        self.beginResetModel()  # a filter change is rare; rebuild once
        self._shown = [e for e in reversed(self._all) if e.type not in self.hidden_types]
        self.endResetModel()

    def add(self, batch: list[events.LiveEvent]) -> None:
        if not batch:
            return
        batch = batch[-self.max_rows:]
        self._all.extend(batch)
        new = [e for e in reversed(batch) if e.type not in self.hidden_types]
        if new:
            self.beginInsertRows(_ROOT, 0, len(new) - 1)
            self._shown[0:0] = new
            self.endInsertRows()
        extra = len(self._shown) - self.max_rows
        if extra > 0:
            self.beginRemoveRows(_ROOT, self.max_rows, len(self._shown) - 1)
            del self._shown[self.max_rows:]
            self.endRemoveRows()

    def _visible(self) -> list:
        return self._shown

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        ev = self._shown[index.row()]
        col = index.column()
        if col == 0:
            return time.strftime("%H:%M:%S", time.localtime(ev.ts)) if ev.ts else ""
        if col == 1:
            return EVENT_TYPE_ZH.get(ev.type, ev.type)
        if col == 2:
            return ev.user.nickname if ev.user else ""
        return describe_event(ev)


def describe_event(ev: events.LiveEvent) -> str:
    if ev.type == "gift" and ev.gift:
        return f"送出 {ev.gift.name} ×{ev.gift.count}（累计 {ev.gift.total}，单价 {ev.gift.diamonds} 钻）"
    if ev.type == "like" and ev.like:
        return f"点赞 {ev.like.count}（累计 {ev.like.total}）"
    if ev.type == "stats" and ev.stats:
        return f"在线 {ev.stats.online}，累计观看 {ev.stats.total}"
    if ev.type == "enter":  # the feed's Content is "昵称 $来了 直播间人数:N": "$" is a placeholder of the app
        return f"{ev.user.nickname} 来了" if ev.user and ev.user.nickname else "来了"
    return ev.text


QUESTION_STATE_ZH = {"waiting": "等待回答", "answered": "已回答", "unanswered": "未回答"}
_QUESTION_COLOR = {"waiting": "#b45309", "answered": "#047857", "unanswered": "#b91c1c"}


class QuestionModel(_TableModel):
    """The viewers' questions, newest first: who asked what, and the answer with its latency or
    why it was not answered. A question changes state in place (one row per question)."""

    HEADERS = ("时间", "观众", "提问", "状态", "回答 / 未回答原因", "用时")

    def __init__(self, parent=None, *, max_rows: int = 500):
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[events.QuestionStatus] = []  # newest first
        self._row_of: dict[str, events.QuestionStatus] = {}

    def update(self, statuses: list[events.QuestionStatus]) -> None:
        for q in statuses:
            old = self._row_of.get(q.msg_id)
            self._row_of[q.msg_id] = q
            if old is not None:
                row = self._rows.index(old)
                self._rows[row] = q
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
                continue
            self.beginInsertRows(_ROOT, 0, 0)
            self._rows.insert(0, q)
            self.endInsertRows()
        if len(self._rows) > self.max_rows:
            self.beginRemoveRows(_ROOT, self.max_rows, len(self._rows) - 1)
            for q in self._rows[self.max_rows:]:
                self._row_of.pop(q.msg_id, None)
            del self._rows[self.max_rows:]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._row_of.clear()
        self.endResetModel()

    def question(self, row: int) -> events.QuestionStatus:
        return self._rows[row]

    def _visible(self) -> list:
        return self._rows

    def cell_text(self, row: int, col: int) -> str:
        q = self._rows[row]
        if col == 0:
            return time.strftime("%H:%M:%S", time.localtime(q.ts)) if q.ts else ""
        if col == 1:
            return q.viewer
        if col == 2:
            return q.text
        if col == 3:
            return QUESTION_STATE_ZH.get(q.state, q.state)
        if col == 4:
            if q.state == "answered":
                return q.answer
            if q.state == "unanswered":
                return q.reason or "未说明原因"
            return q.answer or "排队中…"
        if q.latency_s is not None:
            return f"{q.latency_s:.1f} 秒"
        return ""

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(row, col)
        if role == Qt.ItemDataRole.ToolTipRole and col in (2, 4):
            q = self._rows[row]
            return f"{q.viewer}：{q.text}\n{self.cell_text(row, 3)}：{self.cell_text(row, 4)}"
        if role == Qt.ItemDataRole.ForegroundRole and col in (3, 4, 5):
            return QBrush(QColor(_QUESTION_COLOR.get(self._rows[row].state, "#111827")))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SpokenRecordModel(_TableModel):
    """Rows of the spoken record (``SpokenEntry``), oldest first, replaced as a whole per search."""

    HEADERS = ("时间", "类型", "商品", "观众", "观众弹幕", "播出内容", "合规改写（原文 → 播出）", "语音", "状态")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []

    def set_rows(self, rows: list) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def entry(self, row: int):
        return self._rows[row]

    def _visible(self) -> list:
        return self._rows

    def cell_text(self, row: int, col: int) -> str:
        e = self._rows[row]
        if col == 0:
            return time.strftime("%m-%d %H:%M:%S", time.localtime(e.started_at))
        if col == 1:
            return KIND_ZH.get(e.kind, e.kind)
        if col == 2:
            return e.product
        if col == 3:
            return e.viewer
        if col == 4:
            return e.comment
        if col == 5:
            return e.text
        if col == 6:
            return f"{e.original} → {e.text}" if e.original else ""
        if col == 7:
            return _route_zh(e.route)
        state = spoken_status_zh(e.end_status)
        return f"{state}（续播）" if e.resumed else state

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(row, col)
        e = self._rows[row]
        if role == Qt.ItemDataRole.ToolTipRole and col in (4, 5, 6):
            tip = e.text
            if e.original:
                tip = f"过滤前：{e.original}\n播出：{e.text}"
            if e.comment:
                tip = f"{e.viewer}：{e.comment}\n{tip}"
            return tip
        if role == Qt.ItemDataRole.ForegroundRole and col == 6 and e.original:
            return QBrush(QColor("#7c3aed"))
        return None


def _route_zh(route: str) -> str:
    """The voice a row was spoken with, readable: the built-in voice, a file, or a GPT-SoVITS voice."""
    if not route:
        return ""
    parts = []
    for r in route.split(","):
        if r == "espeak":
            parts.append("离线语音")
        elif r == "file":
            parts.append("音频文件")
        elif "#" in r:
            parts.append(r.rsplit("#", 1)[1])
        else:
            parts.append(r)
    return "、".join(parts)
