"""The segment column of the 话术 tab: a product's script segments (开场, 卖点介绍, 催单, 售后保障
and the operator's own) by their Chinese names, and 新建段落.

It only shows and selects: ``ProductsView`` keeps each segment's saved and edited text and
decides what a click opens.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

SEGMENT_ZH = {"opening": "开场", "selling_points": "卖点介绍", "urging": "催单", "after_sales": "售后保障"}


class SegmentList(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        segcol = QVBoxLayout(self)
        segcol.setContentsMargins(0, 0, 0, 0)
        segcol.addWidget(QLabel("话术段落"))
        self.segment_list = QListWidget()
        self.segment_list.setMaximumWidth(170)
        segcol.addWidget(self.segment_list, 1)
        self.add_seg_b = QPushButton("新建段落")
        segcol.addWidget(self.add_seg_b)

    def fill(self, names: list[str]) -> None:
        """One row a segment (no selection signal)."""
        self.segment_list.blockSignals(True)
        self.segment_list.clear()
        for n in names:
            self.append(n)
        self.segment_list.blockSignals(False)

    def append(self, name: str) -> None:
        item = QListWidgetItem(SEGMENT_ZH.get(name, name))
        item.setData(Qt.ItemDataRole.UserRole, name)
        self.segment_list.addItem(item)

    def select(self, name: str) -> None:
        """Mark ``name``'s row as current without announcing it (the view has opened it)."""
        for i in range(self.segment_list.count()):
            if self.segment_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.segment_list.blockSignals(True)
                self.segment_list.setCurrentRow(i)
                self.segment_list.blockSignals(False)
