"""The fields of one timed reminder (an entry of timed.json): name, every N minutes and/or at
clock times, priority, and what it says (a reaction template, or its own text)."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from app.events import Priority
from ui.reactions.checks import split_times, template_label

OWN_TEXT = ""  # the content combo's data for "its own text"


class TimedForm(QWidget):
    edited = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loading = False
        self._task: dict = {}
        lay = QFormLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit()
        self.every = QSpinBox()
        self.every.setRange(0, 24 * 60)
        self.every.setSuffix(" 分钟")
        self.every.setSpecialValueText("不按间隔")
        self.every.setToolTip("每隔多少分钟说一次；0 表示不按间隔，只在定点时间说")
        self.at = QLineEdit()
        self.at.setPlaceholderText("例如 20:00, 21:00（可不填）")
        self.priority = QSpinBox()
        self.priority.setRange(-10, 20)
        self.priority.setToolTip("数字越小越优先；话术是 10，普通互动是 5")
        self.content = QComboBox()
        self.content.setToolTip("说哪一条互动话术，或者这条提醒自己的文本（在下方编辑）")
        lay.addRow("名称", self.name)
        lay.addRow("每隔", self.every)
        lay.addRow("定点时间", self.at)
        lay.addRow("优先级", self.priority)
        lay.addRow("说的内容", self.content)
        self.name.textChanged.connect(self._changed)
        self.every.valueChanged.connect(self._changed)
        self.at.textChanged.connect(self._changed)
        self.priority.valueChanged.connect(self._changed)
        self.content.currentIndexChanged.connect(self._changed)

    def set_templates(self, names: list[str]) -> None:
        self._loading = True
        try:
            self.content.clear()
            for n in names:
                self.content.addItem(f"互动话术：{template_label(n)}", n)
            self.content.addItem("这条提醒自己的文本", OWN_TEXT)
        finally:
            self._loading = False

    def load(self, task: dict) -> None:
        self._loading = True
        try:
            self._task = dict(task)
            self.name.setText(str(task.get("name", "")))
            every = task.get("every_min")
            self.every.setValue(int(every) if isinstance(every, (int, float)) and not isinstance(every, bool) else 0)
            at = task.get("at", [])
            self.at.setText(", ".join([at] if isinstance(at, str) else [str(t) for t in at]))
            prio = task.get("priority", int(Priority.NORMAL))
            self.priority.setValue(prio if isinstance(prio, int) and not isinstance(prio, bool) else int(Priority.NORMAL))
            wanted = str(task["template"]) if "template" in task else OWN_TEXT
            if self.content.findData(wanted) < 0:  # a file that is gone: shown, and the check says so
                self.content.insertItem(0, f"互动话术：{wanted}（文件不存在）", wanted)
            self.content.setCurrentIndex(self.content.findData(wanted))
        finally:
            self._loading = False

    def task(self, text: str) -> dict:
        """The task as edited; ``text`` is the editor's text (used when it has its own text)."""
        out: dict = {"name": self.name.text().strip()}
        template = self.content.currentData()
        if template:
            out["template"] = template
        else:
            out["text"] = text
        if self.every.value():
            out["every_min"] = self.every.value()
        times = split_times(self.at.text())
        if times:
            out["at"] = times
        out["priority"] = self.priority.value()
        # keys this form does not know are kept as they were
        out.update({k: v for k, v in self._task.items() if k not in (*out, "every_min", "at", "template", "text")})
        return out

    def template(self) -> str:
        """The reaction template this reminder says ("" when it has its own text)."""
        return self.content.currentData() or ""

    def focus(self, field: str) -> None:
        {"name": self.name, "every": self.every, "at": self.at, "priority": self.priority,
         "content": self.content}.get(field, self.name).setFocus()

    def _changed(self, *args) -> None:
        if not self._loading:
            self.edited.emit()
