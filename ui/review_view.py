"""直播复盘: the review of any recorded run, from a list (newest first): headline figures and
the charts (``app.review``) on a Qt canvas, and 保存为网页 writes the self-contained HTML + CSVs
beside the logs. After 停止 (or when the room's live ended) the window asks this view to review
the run that just ended and save it; a live ended by closing the window is saved the same way
before the app ends (``save_newest_now``).

The database is read and the charts are built on a worker thread (a long run has thousands of
rows); only the canvases are made on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt, QUrl, pyqtSignal
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.logs import get_logger
from app.review import (
    ReviewError,
    default_out_dir,
    list_sessions,
    load_review,
    make_charts,
    summary,
    write_review,
)
from ui.record_view import session_title

log = get_logger("ui")


class ReviewView(QWidget):
    notice = pyqtSignal(str, str)  # level, Chinese message
    shown = pyqtSignal(str)  # a review is on the page ("") or could not be made (the reason)
    _loaded = pyqtSignal(object, object, object, str)  # data, charts, saved page | None, error

    def __init__(self, db_path: Callable[[], Path], *, out_dir: Callable[[], Path] = default_out_dir, parent=None):
        super().__init__(parent)
        self._db_path = db_path
        self._out_dir = out_dir
        self.data = None
        self.charts: list = []
        self.canvases: list = []
        self.saved: Path | None = None
        self._worker: threading.Thread | None = None
        self._build()
        self._loaded.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.reload_sessions()

    def _build(self) -> None:
        root = QHBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("场次（最近的在上）"))
        self.sessions = QListWidget()
        ll.addWidget(self.sessions, 1)
        self.refresh_button = QPushButton("刷新列表")
        self.save_button = QPushButton("保存为网页")
        self.save_button.setToolTip("把这一场的复盘保存为一个网页文件（含图表）和 CSV 数据，放在日志文件夹的复盘子文件夹（reviews）里")
        self.open_button = QPushButton("打开保存的网页")
        self.open_button.setEnabled(False)
        for b in (self.refresh_button, self.save_button, self.open_button):
            ll.addWidget(b)
        self.refresh_button.clicked.connect(self.reload_sessions)
        self.save_button.clicked.connect(lambda: self.load_selected(save=True))
        self.open_button.clicked.connect(self._open_saved)
        self.sessions.currentRowChanged.connect(lambda _row: self.load_selected(save=False))

        self.page = QWidget()
        self.page_layout = QVBoxLayout(self.page)
        self.title = QLabel("选择左边的一场查看复盘")
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("muted")
        self.cards = QGridLayout()
        self.cards.setHorizontalSpacing(16)
        self.page_layout.addWidget(self.title)
        self.page_layout.addWidget(self.subtitle)
        self.page_layout.addLayout(self.cards)
        self.charts_layout = QVBoxLayout()
        self.page_layout.addLayout(self.charts_layout)
        self.page_layout.addStretch(1)
        scroll = self.scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.page)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 900])
        root.addWidget(split)

    # ---- sessions --------------------------------------------------------------------------------

    def reload_sessions(self) -> None:
        current = self.sessions.currentItem().data(Qt.ItemDataRole.UserRole) if self.sessions.currentItem() else None
        self.sessions.blockSignals(True)
        self.sessions.clear()
        try:
            found = list_sessions(self._db_path())
        except Exception as exc:
            found = []
            self.subtitle.setText(f"无法读取场次：{exc}")
        for s in found:
            item = QListWidgetItem(session_title(s))
            item.setData(Qt.ItemDataRole.UserRole, s.session_id)
            self.sessions.addItem(item)
            if s.session_id == current:
                self.sessions.setCurrentItem(item)
        self.sessions.blockSignals(False)
        if not found:
            self.title.setText("还没有可复盘的场次")
            self.subtitle.setText("开播一次，停止或下播后这里会出现这一场的复盘。")
        self.save_button.setEnabled(bool(found))

    def session_ids(self) -> list[int]:
        return [self.sessions.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.sessions.count())]

    def review_newest(self, *, save: bool = True) -> None:
        """The run that just ended: list it, show it, and (by default) save it beside the logs."""
        self.reload_sessions()
        if self.sessions.count():
            self.sessions.blockSignals(True)
            self.sessions.setCurrentRow(0)
            self.sessions.blockSignals(False)
            self.load_selected(save=save)

    def finish(self, timeout: float = 20.0) -> None:
        """The window is closing: let a review still being made (停止 just started it) end first,
        waiting at most ``timeout``. Its page is then saved, and no chart is being drawn in a
        thread while the app ends (matplotlib's C++ code under a daemon thread at exit aborts
        the process: "terminate called without an active exception")."""
        if self._worker is not None and self._worker.is_alive():
            self._worker.join(timeout)

    def save_newest_now(self, timeout: float = 20.0) -> None:
        """The window is closing on a live it just stopped: save that run's review as 停止 does
        (the same worker), waiting at most ``timeout`` for it before the app ends."""
        self.finish(timeout)
        self.review_newest(save=True)
        self.finish(timeout)

    # ---- loading (worker thread) -----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def load_selected(self, *, save: bool) -> None:
        item = self.sessions.currentItem()
        if item is None or self.busy:
            return
        session_id = item.data(Qt.ItemDataRole.UserRole)
        db, out_dir = self._db_path(), self._out_dir()
        self.title.setText(f"正在生成第 {session_id} 场的复盘…")

        def deliver(*result):
            try:
                self._loaded.emit(*result)
            except RuntimeError:  # the view was rebuilt (demo switch) or closed while this ran
                log.info("review of session %s finished after its view was closed", session_id)

        def work():
            try:
                data = load_review(db, session_id)
                charts = make_charts(data)
                page = write_review(data, out_dir, charts) if save else None
            except ReviewError as exc:
                deliver(None, None, None, str(exc))
                return
            except Exception as exc:  # a damaged database must not take the window down
                log.exception("review of session %s failed", session_id)
                deliver(None, None, None, f"生成复盘失败：{type(exc).__name__}: {exc}")
                return
            deliver(data, charts, page, "")

        self._worker = threading.Thread(target=work, name="ui-review", daemon=True)
        self._worker.start()

    def _show(self, data, charts, page, error: str) -> None:
        if error:
            self.title.setText("无法生成复盘")
            self.subtitle.setText(error)
            self.notice.emit("warning", error)
            self.shown.emit(error)
            return
        self.data, self.charts = data, charts
        self.scroll.verticalScrollBar().setValue(0)  # a new review is read from its top
        s = data.session
        self.title.setText(f"直播复盘 · 第 {s.session_id} 场" + ("（演示模式）" if s.demo else ""))
        self.subtitle.setText("\n".join([session_title(s), *data.notes]))
        while self.cards.count():
            w = self.cards.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for i, (label, value) in enumerate(summary(data)):
            cell = QLabel(f"<b style='font-size:13pt'>{value}</b><br><span style='color:#6b7280'>{label}</span>")
            self.cards.addWidget(cell, i // 6, i % 6)
        for canvas in self.canvases:
            canvas.setParent(None)
            canvas.deleteLater()
        self.canvases = []
        for chart in charts:
            title = QLabel(chart.title)
            title.setObjectName("sectionTitle")
            canvas = _chart_canvas(chart.figure)
            w, h = chart.figure.get_size_inches() * chart.figure.dpi
            canvas.setMinimumHeight(int(h))
            canvas.setMinimumWidth(int(min(w, 640)))
            self.charts_layout.addWidget(title)
            self.charts_layout.addWidget(canvas)
            self.canvases += [title, canvas]
        if page is not None:
            self.saved = page
            self.open_button.setEnabled(True)
            self.notice.emit("info", f"第 {s.session_id} 场的直播复盘已保存：{page}")
        self.shown.emit("")

    def _open_saved(self) -> None:
        if self.saved is not None and self.saved.is_file():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.saved)))


_Canvas = None


def _chart_canvas(figure):
    """A Qt canvas for a chart that lets the mouse wheel scroll the page: matplotlib's canvas
    takes every wheel event for itself, and the charts fill most of the review."""
    global _Canvas
    if _Canvas is None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        class ChartCanvas(FigureCanvasQTAgg):
            def wheelEvent(self, event):  # noqa: N802 - Qt's name
                event.ignore()  # to the scroll area around the page

        _Canvas = ChartCanvas
    return _Canvas(figure)
