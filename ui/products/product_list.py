"""The left column of the products screen: the product list (drag to reorder) and its buttons
(新建, 改名, 复制, 删除, 上移/下移, 回收站…).

It shows the library as it is: each product's name, 已停用 for one switched off, red with the
error as tooltip for one that cannot load. It changes nothing itself: ``ProductsView`` connects
the buttons to its operations (``ProductActions``) and asks before the selection moves.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ProductListPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        ll = QVBoxLayout(self)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("商品"))
        self.product_list = QListWidget()
        self.product_list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        ll.addWidget(self.product_list, 1)
        grid = QHBoxLayout()
        self.add_b = QPushButton("新建")
        self.rename_b = QPushButton("改名")
        self.dup_b = QPushButton("复制")
        self.del_b = QPushButton("删除")
        for b in (self.add_b, self.rename_b, self.dup_b, self.del_b):
            grid.addWidget(b)
        ll.addLayout(grid)
        move = QHBoxLayout()
        self.up_b = QPushButton("上移")
        self.down_b = QPushButton("下移")
        move.addWidget(self.up_b)
        move.addWidget(self.down_b)
        ll.addLayout(move)
        self.trash_b = QPushButton("回收站…")
        move.addWidget(self.trash_b)
        self.add_b.setToolTip("新建一个空白商品（带填写提示），不会复制别的商品的话术")
        self.rename_b.setToolTip("修改所选商品的名称")
        self.dup_b.setToolTip("复制所选商品的全部资料和话术，作为新商品")
        self.del_b.setToolTip("删除所选商品（先确认；删除的商品放进回收站，可以恢复）")
        self.trash_b.setToolTip("查看已删除的商品，并把它恢复到列表")

    def fill(self, library: Any) -> None:
        """One row a product, in the library's order (no selection signal)."""
        errors = library.errors()
        self.product_list.blockSignals(True)
        self.product_list.clear()
        for slug in library.slugs():
            p = library.get(slug)
            label = p.name if p else f"{slug}（无法加载）"
            if p is not None and not p.enabled:
                label += "（已停用）"
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, slug)
            if slug in errors:
                item.setToolTip(str(errors[slug]))
                item.setForeground(Qt.GlobalColor.red)
            self.product_list.addItem(item)
        self.product_list.blockSignals(False)

    def select(self, slug: str | None) -> None:
        """Mark ``slug``'s row as current without announcing it (the view opens the product)."""
        for i in range(self.product_list.count()):
            if self.product_list.item(i).data(Qt.ItemDataRole.UserRole) == slug:
                self.product_list.blockSignals(True)
                self.product_list.setCurrentRow(i)
                self.product_list.blockSignals(False)
                break

    def keep(self, item: QListWidgetItem | None) -> None:
        """Put the selection back on ``item`` (the operator chose to stay with unsaved edits)."""
        self.product_list.blockSignals(True)
        self.product_list.setCurrentItem(item)
        self.product_list.blockSignals(False)

    def set_label(self, slug: str | None, text: str) -> None:
        for i in range(self.product_list.count()):
            item = self.product_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == slug:
                item.setText(text)

    def move_current(self, step: int) -> bool:
        """Move the selected product ``step`` rows; False when it cannot go there."""
        row = self.product_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.product_list.count():
            return False
        self.product_list.blockSignals(True)
        item = self.product_list.takeItem(row)
        self.product_list.insertItem(target, item)
        self.product_list.setCurrentRow(target)
        self.product_list.blockSignals(False)
        return True

    def order(self) -> list[str]:
        """The products' slugs as the list shows them."""
        return [self.product_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.product_list.count())]
