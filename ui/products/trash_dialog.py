"""回收站: the products deleted from the list, newest first, and a button to bring one back."""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from app.content.trash import TrashedProduct, trashed


class TrashDialog(QDialog):
    """``chosen`` is the item to restore after ``exec()`` returns Accepted."""

    def __init__(self, root: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("回收站：已删除的商品")
        self.resize(520, 360)
        self.chosen: TrashedProduct | None = None
        lay = QVBoxLayout(self)
        hint = QLabel(f"删除的商品保存在 {root / '.trash'}，选中一个后点“恢复”放回商品列表（排在最后）。")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        lay.addWidget(hint)
        self.items = QListWidget()
        for t in trashed(root):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(t.deleted_at))
            item = QListWidgetItem(f"{t.name}　（{when} 删除）")
            item.setData(Qt.ItemDataRole.UserRole, t)
            self.items.addItem(item)
        if self.items.count():
            self.items.setCurrentRow(0)
        else:
            empty = QListWidgetItem("回收站是空的")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.items.addItem(empty)
        lay.addWidget(self.items, 1)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton("恢复", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.setEnabled(self._current() is not None)
        self.items.currentItemChanged.connect(lambda *_: self.restore_button.setEnabled(self._current() is not None))
        self.items.itemDoubleClicked.connect(lambda *_: self.accept())
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _current(self) -> TrashedProduct | None:
        item = self.items.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def accept(self) -> None:
        self.chosen = self._current()
        if self.chosen is not None:
            super().accept()
