"""The list of reasons a save was refused, under the editor; clicking one jumps to it."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QListWidget, QListWidgetItem

from ui.products.checks import Problem


class ProblemList(QListWidget):
    jump = pyqtSignal(tuple)  # a Problem's target

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("problems")
        self.setMaximumHeight(130)
        self.setWordWrap(True)
        self.setToolTip("点一条，跳到出错的位置")
        self.problems: list[Problem] = []
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        self.hide()

    def show_problems(self, title: str, problems: list[Problem | str]) -> None:
        """``title`` first, then one line per problem; an empty list hides the widget."""
        self.clear()
        self.problems = [p for p in problems if isinstance(p, Problem)]
        if not problems:
            self.hide()
            return
        head = QListWidgetItem(title)
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = head.font()
        font.setBold(True)
        head.setFont(font)
        head.setForeground(QColor("#991b1b"))
        self.addItem(head)
        for p in problems:
            item = QListWidgetItem(f"✖ {p}")
            item.setForeground(QColor("#991b1b"))
            if isinstance(p, Problem) and p.target:
                item.setData(Qt.ItemDataRole.UserRole, p.target)
            self.addItem(item)
        self.show()

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def _clicked(self, item: QListWidgetItem) -> None:
        target = item.data(Qt.ItemDataRole.UserRole)
        if target:
            self.jump.emit(tuple(target))
