"""播出记录: every utterance the room said, with why (the viewer and comment it answered, the
product, what the compliance filter replaced), searchable by time, text, viewer and session,
exported as the same CSV as ``main.py export-log``.

Reads the database the runs write (``[store] db_path``), in WAL mode, so it reads while a run
writes; the view re-reads a moment after something played while 自动刷新 is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QDateTime, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import events
from app.store.labels import SESSION_END_ZH
from app.store.sessions import SessionLog
from app.store.spoken_log import SpokenLog, write_csv
from ui.dashboard_panels import data_table
from ui.models import SpokenRecordModel

SHOWN = 2000  # rows on screen (the newest); the export has every matching row
REFRESH_DELAY_MS = 1500


def session_title(s) -> str:
    start = time.strftime("%m-%d %H:%M", time.localtime(s.started_at))
    end = SESSION_END_ZH.get(s.end_reason, s.end_reason) if s.ended_at else "进行中或未正常结束"
    return f"第 {s.session_id} 场 · {start} · {end}{' · 演示' if s.demo else ''}"


class RecordView(QWidget):
    notice = pyqtSignal(str, str)  # level, Chinese message

    def __init__(self, db_path: Callable[[], Path], parent=None):
        super().__init__(parent)
        self._db_path = db_path
        self.model = SpokenRecordModel(self)
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.search)
        self._last_dir = ""
        self.reload_sessions()
        self.search()

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        bar = QHBoxLayout()
        self.session = QComboBox()
        self.session.setMinimumContentsLength(24)
        self.use_time = QCheckBox("时间从")
        now = QDateTime.currentDateTime()
        self.since = QDateTimeEdit(now.addSecs(-3 * 3600))
        self.until = QDateTimeEdit(now.addSecs(3600))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setEnabled(False)
        self.text = QLineEdit()
        self.text.setPlaceholderText("内容包含（也搜过滤前原文）")
        self.viewer = QLineEdit()
        self.viewer.setPlaceholderText("观众昵称")
        self.search_button = QPushButton("查询")
        self.search_button.setObjectName("primary")
        self.export_button = QPushButton("导出 CSV…")
        self.export_button.setToolTip("导出符合当前条件的全部记录（与命令行导出的列相同，Excel 可直接打开）")
        self.auto = QCheckBox("自动刷新")
        self.auto.setChecked(True)
        bar.addWidget(QLabel("场次"))
        bar.addWidget(self.session)
        bar.addWidget(self.use_time)
        bar.addWidget(self.since)
        bar.addWidget(QLabel("到"))
        bar.addWidget(self.until)
        bar.addWidget(self.text, 1)
        bar.addWidget(self.viewer)
        bar.addWidget(self.search_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.auto)
        self.table = data_table(self.model, 5, {0: 110, 1: 76, 2: 90, 3: 90, 4: 140, 6: 220, 7: 80, 8: 80})
        self.table.setObjectName("recordView")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        root.addLayout(bar)
        root.addWidget(self.table, 1)
        root.addWidget(self.status)
        self.use_time.toggled.connect(self.since.setEnabled)
        self.use_time.toggled.connect(self.until.setEnabled)
        self.search_button.clicked.connect(self.search)
        self.text.returnPressed.connect(self.search)
        self.viewer.returnPressed.connect(self.search)
        self.session.activated.connect(lambda _i: self.search())
        self.export_button.clicked.connect(self.export)

    # ---- reading ---------------------------------------------------------------------------------

    def reload_sessions(self) -> None:
        current = self.session.currentData()
        self.session.clear()
        self.session.addItem("全部场次", None)
        path = self._db_path()
        if path.is_file():
            try:
                with SessionLog(path) as log:
                    for s in log.sessions():
                        self.session.addItem(session_title(s), s.session_id)
            except Exception as exc:  # a damaged file: say so, keep the view
                self.status.setText(f"无法读取场次：{exc}")
        self.session.setCurrentIndex(max(0, self.session.findData(current)))

    def filters(self) -> dict:
        out: dict = {"text": self.text.text().strip(), "viewer": self.viewer.text().strip(),
                     "session_id": self.session.currentData()}
        if self.use_time.isChecked():
            out["since"] = self.since.dateTime().toSecsSinceEpoch()
            out["until"] = self.until.dateTime().toSecsSinceEpoch()
        return out

    def search(self) -> None:
        path = self._db_path()
        if not path.is_file():
            self.model.set_rows([])
            self.status.setText("还没有播出记录：开播后，这里会列出播出的每一句。")
            return
        f = self.filters()
        if "since" in f and f["until"] <= f["since"]:
            self.status.setText("结束时间必须晚于开始时间。")
            return
        try:
            with SpokenLog(path) as log:
                rows = log.query(f.pop("since", None), f.pop("until", None), limit=SHOWN + 1, **f)
        except Exception as exc:
            self.status.setText(f"无法读取播出记录（{path}）：{exc}")
            return
        more = len(rows) > SHOWN
        rows = rows[-SHOWN:]
        self.model.set_rows(rows)
        self.table.scrollToBottom()
        changed = sum(1 for e in rows if e.original)
        self.status.setText(f"共 {len(rows)} 条" + (f"（只显示最近 {SHOWN} 条，导出包含全部）" if more else "")
                            + (f"，其中 {changed} 条被合规过滤改写" if changed else "") + f" · 数据库 {path}")

    def on_batch(self, batch: list) -> None:
        """Something played or ended: re-read shortly (batched), if wanted and on screen."""
        if not self.auto.isChecked() or not self.isVisible() or self._refresh_timer.isActive():
            return
        if any(isinstance(e, (events.PlaybackStarted, events.PlaybackFinished, events.PlaybackInterrupted))
               for e in batch):
            self._refresh_timer.start(REFRESH_DELAY_MS)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.reload_sessions()
        self.search()

    # ---- export ----------------------------------------------------------------------------------

    def export(self) -> None:
        path = self._db_path()
        if not path.is_file():
            self.notice.emit("warning", "还没有播出记录可以导出。")
            return
        default = Path(self._last_dir or Path.home()) / time.strftime("播出记录-%Y%m%d-%H%M.csv")
        target, _ = QFileDialog.getSaveFileName(self, "导出播出记录", str(default), "CSV 文件 (*.csv)")
        if not target:
            return
        if not target.lower().endswith(".csv"):
            target += ".csv"
        f = self.filters()
        try:
            with SpokenLog(path) as log:
                rows = log.query(f.pop("since", None), f.pop("until", None), **f)
            with open(target, "w", encoding="utf-8-sig", newline="") as out:  # BOM: Excel reads UTF-8
                count = write_csv(out, rows)
        except OSError as exc:
            self.notice.emit("error", f"导出失败：无法写入 {target}（{exc.strerror or exc}）")
            return
        self._last_dir = str(Path(target).parent)
        self.notice.emit("info", f"已导出 {count} 条播出记录到 {target}")
