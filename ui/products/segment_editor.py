"""Editing one script segment: base script, variant template with highlighting, error and
compliance markers at line:col (debounced while typing), a preview of several renderings with
the number of distinct renderings, and “AI 生成变体”.

With ``with_base=False`` it is the editor of a single template (the reaction lines: welcome,
thanks, timed reminders): the same highlighting, markers and preview, no base script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.products.checks import Marker, markers_for, preview_for, validator
from ui.products.highlighter import VariantHighlighter, utf16_col
from ui.products.variants_worker import VariantDiffDialog, VariantsWorker

DEBOUNCE_MS = 250
MARK_COLORS = {"error": "#dc2626", "compliance": "#d97706", "todo": "#2563eb"}


def _mono(edit: QPlainTextEdit) -> None:
    font = QFont(edit.font())
    font.setPointSize(max(font.pointSize(), 11))
    edit.setFont(font)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)


class SegmentEditor(QWidget):
    """Edits the segment texts handed to ``load``; emits ``edited`` on every change."""

    edited = pyqtSignal()
    notice = pyqtSignal(str, str)  # level, message

    def __init__(self, compliance: Any | None = None, llm_client: Callable[[], Any] | None = None,
                 parent=None, *, with_base: bool = True):
        super().__init__(parent)
        self.with_base = with_base
        self.compliance = compliance
        self.llm_client = llm_client or (lambda: None)
        self.variables: dict[str, str] = {}
        self.markers: list[Marker] = []
        self.base_markers: list[Marker] = []
        self.preview = None
        self.worker: VariantsWorker | None = None
        self.dialog: VariantDiffDialog | None = None
        self._loading = False
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_checks)

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.base_edit = QPlainTextEdit()
        self.base_edit.setPlaceholderText("基础话术：主播要表达的原话，AI 生成变体以它为底稿")
        self.template_edit = QPlainTextEdit()
        self.template_edit.setPlaceholderText("变体模板：{宝宝们|家人们}，用 | 分隔可替换的说法，${price} 等是变量")
        _mono(self.base_edit)
        _mono(self.template_edit)
        self.highlighter = VariantHighlighter(self.template_edit.document())

        base_box = QWidget()
        bl = QVBoxLayout(base_box)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("基础话术"))
        bl.addWidget(self.base_edit)

        tpl_box = QWidget()
        tl = QVBoxLayout(tpl_box)
        tl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("变体模板"))
        head.addStretch(1)
        self.ai_button = QPushButton("AI 生成变体")
        self.ai_button.setToolTip("让大模型根据基础话术写出变体模板；结果先显示差异，由你决定是否采用")
        self.ai_cancel = QPushButton("取消生成")
        self.ai_cancel.hide()
        self.ai_progress = QProgressBar()
        self.ai_progress.setRange(0, 0)
        self.ai_progress.setMaximumWidth(160)
        self.ai_progress.hide()
        self.ai_status = QLabel("")
        self.ai_status.setObjectName("muted")
        head.addWidget(self.ai_status)
        head.addWidget(self.ai_progress)
        head.addWidget(self.ai_cancel)
        head.addWidget(self.ai_button)
        tl.addLayout(head)
        tl.addWidget(self.template_edit, 3)
        self.marker_list = QListWidget()
        self.marker_list.setMaximumHeight(110)
        self.marker_list.itemActivated.connect(self._jump)
        self.marker_list.itemClicked.connect(self._jump)
        tl.addWidget(self.marker_list, 1)

        prev_box = QWidget()
        pl = QVBoxLayout(prev_box)
        pl.setContentsMargins(0, 0, 0, 0)
        ph = QHBoxLayout()
        self.count_label = QLabel("预览")
        self.count_label.setObjectName("sectionTitle")
        self.reroll = QPushButton("换一批")
        self.reroll.clicked.connect(self.update_preview)
        ph.addWidget(self.count_label, 1)
        ph.addWidget(self.reroll)
        pl.addLayout(ph)
        self.preview_list = QListWidget()
        self.preview_list.setWordWrap(True)
        self.preview_list.setAlternatingRowColors(True)
        pl.addWidget(self.preview_list)

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(base_box)
        self.split.addWidget(tpl_box)
        self.split.addWidget(prev_box)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 3)
        self.split.setStretchFactor(2, 2)
        lay.addWidget(self.split)
        if not self.with_base:
            base_box.hide()
            self.ai_button.hide()

        self.base_edit.textChanged.connect(self._changed)
        self.template_edit.textChanged.connect(self._changed)
        self.ai_button.clicked.connect(self.generate_variants)
        self.ai_cancel.clicked.connect(self.cancel_generation)

    # ---- content -------------------------------------------------------------------------------

    def load(self, base: str, template: str, variables: dict[str, str]) -> None:
        self._loading = True
        try:
            self.variables = dict(variables)
            self.base_edit.setPlainText(base)
            self.template_edit.setPlainText(template)
        finally:
            self._loading = False
        self.run_checks()

    def set_variables(self, variables: dict[str, str]) -> None:
        """The product's values changed (改名, a new price saved): checks and preview follow,
        the text being edited stays as it is."""
        if dict(variables) != self.variables:
            self.variables = dict(variables)
            self.run_checks()

    def base(self) -> str:
        return self.base_edit.toPlainText()

    def template(self) -> str:
        return self.template_edit.toPlainText()

    def _changed(self) -> None:
        if self._loading:
            return
        self.edited.emit()
        self._timer.start()  # debounce: check once typing pauses

    # ---- checks and preview --------------------------------------------------------------------

    def run_checks(self) -> None:
        self._timer.stop()
        allowed = frozenset(self.variables)
        self.markers = markers_for(self.template(), allowed, self.compliance)
        self.base_markers = markers_for(self.base(), allowed, self.compliance, syntax=False)
        self._paint(self.template_edit, self.markers)
        self._paint(self.base_edit, self.base_markers)
        self.marker_list.clear()
        for m in self.markers:
            item = QListWidgetItem(f"{'✖' if m.kind == 'error' else '⚠'} 模板 {m.line}:{m.col}  {m.message}")
            item.setForeground(QColor(MARK_COLORS[m.kind]))
            item.setData(Qt.ItemDataRole.UserRole, ("template", m.line, m.col))
            self.marker_list.addItem(item)
        for m in self.base_markers:
            item = QListWidgetItem(f"⚠ 基础话术 {m.line}:{m.col}  {m.message}")
            item.setForeground(QColor(MARK_COLORS[m.kind]))
            item.setData(Qt.ItemDataRole.UserRole, ("base", m.line, m.col))
            self.marker_list.addItem(item)
        if not self.markers and not self.base_markers:
            ok = QListWidgetItem("✔ 没有发现问题")
            ok.setForeground(QColor("#16a34a"))
            self.marker_list.addItem(ok)
        self.update_preview()

    def update_preview(self) -> None:
        text = self.template() if self.template().strip() else _literal(self.base())
        self.preview = preview_for(text, self.variables)
        self.preview_list.clear()
        if self.preview.error:
            self.count_label.setText(f"预览：{self.preview.error}")
            return
        self.count_label.setText(f"预览（共 {self.preview.distinct:,} 种不同说法）")
        for i, line in enumerate(self.preview.renderings, 1):
            self.preview_list.addItem(f"{i}. {line}")

    def _paint(self, edit: QPlainTextEdit, markers: list[Marker]) -> None:
        doc = edit.document()
        selections = []
        for m in markers:
            block = doc.findBlockByNumber(m.line - 1)
            if not block.isValid():
                continue
            start = block.position() + utf16_col(block.text(), m.col)
            end = block.position() + utf16_col(block.text(), m.col + m.length)
            cursor = QTextCursor(doc)
            cursor.setPosition(start)
            cursor.setPosition(max(end, start + 1), QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(MARK_COLORS[m.kind]))
            fmt.setBackground(QColor({"error": "#fee2e2", "todo": "#dbeafe"}.get(m.kind, "#fef3c7")))
            fmt.setToolTip(str(m))
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cursor
            sel.format = fmt
            selections.append(sel)
        edit.setExtraSelections(selections)

    def _jump(self, item: QListWidgetItem) -> None:
        where = item.data(Qt.ItemDataRole.UserRole)
        if where:
            self.jump_to(*where)

    def jump_to(self, which: str, line: int, col: int) -> None:
        """Put the cursor at line:col (1-based) of the template or the base script."""
        edit = self.template_edit if which == "template" else self.base_edit
        block = edit.document().findBlockByNumber(line - 1)
        cursor = edit.textCursor()
        cursor.setPosition(block.position() + utf16_col(block.text(), col))
        edit.setTextCursor(cursor)
        edit.setFocus()

    # ---- AI variants ---------------------------------------------------------------------------

    def generate_variants(self) -> None:
        if self.worker is not None:
            return
        base = self.base().strip()
        if not base:
            self.notice.emit("warning", "请先写基础话术，AI 会根据它生成变体。")
            return
        try:
            client = self.llm_client()
        except Exception as exc:
            client = None
            self.notice.emit("error", f"大模型不可用：{exc}")
            return
        if client is None:
            self.notice.emit("warning", "未配置大模型（设置 → 大模型回答 → provider 选 ark 或 ollama）。")
            return
        self.worker = VariantsWorker(client, base, validator(frozenset(self.variables), self.compliance), self)
        self.worker.progress.connect(lambda step, msg: self.ai_status.setText(msg.split(" / ")[0]))
        self.worker.succeeded.connect(self._generated)
        self.worker.failed.connect(self._generation_failed)
        self.worker.cancelled.connect(lambda: self.ai_status.setText("已取消"))
        self.worker.finished.connect(self._worker_done)
        self.ai_button.setEnabled(False)
        self.ai_cancel.show()
        self.ai_progress.show()
        self.ai_status.setText("正在连接大模型…")
        self.worker.start()

    def cancel_generation(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.ai_status.setText("正在取消…")

    def _worker_done(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.ai_button.setEnabled(True)
        self.ai_cancel.hide()
        self.ai_progress.hide()

    def _generation_failed(self, message: str) -> None:
        self.ai_status.setText("生成失败")
        self.notice.emit("error", f"AI 生成变体失败：{message}")

    def _generated(self, text: str) -> None:
        self.ai_status.setText("已生成，请查看差异")
        self.dialog = VariantDiffDialog(self.template(), text, self)
        self.dialog.accepted.connect(lambda: self.accept_proposal(text))
        self.dialog.rejected.connect(lambda: self.ai_status.setText("已放弃 AI 结果"))
        self.dialog.open()

    def accept_proposal(self, text: str) -> None:
        # Replace through a cursor so the change is one undo step (Ctrl+Z brings the old back).
        cursor = self.template_edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        self.ai_status.setText("已采用 AI 结果（未保存）")
        self.run_checks()

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(3000)


def _literal(base: str) -> str:
    from app.text.variants import literal

    return literal(base)
