"""互动话术: the lines the room reacts with (welcome, thanks, fillers …: ``<templates>/*.txt``) and
the timed reminders (``timed.json``), edited with the script editor (highlighting, markers at
line:col, preview). Saving checks everything first and refuses with the list of what to fix;
unsaved edits are never dropped without asking."""

from __future__ import annotations

import copy
import json
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.content.atomic import read_text, write_text_atomic
from ui.dialogs import ask_to_save, confirm
from ui.products.problems import ProblemList
from ui.products.segment_editor import SegmentEditor
from ui.reactions.checks import TEMPLATE_ZH, reaction_problems, template_label
from ui.reactions.timed_form import TimedForm

NEW_TIMED = {"name": "新提醒", "text": "【待填写：提醒的内容】", "every_min": 10, "priority": 5}


class ReactionsView(QWidget):
    notice = pyqtSignal(str, str)  # level, message

    def __init__(self, templates: Any, compliance: Any | None = None, parent=None):
        super().__init__(parent)
        self.templates = templates
        self.saved: dict[str, str] = {}  # template name -> text on disk
        self.drafts: dict[str, str] = {}  # template name -> edited text
        self.timed_saved: list[dict] = []
        self.timed: list[dict] = []  # timed.json as edited
        self.timed_error = ""  # timed.json could not be read: saving it would lose what is there
        self.current: tuple | None = None  # ("template", name) | ("timed", index)
        self._build(compliance)
        self.reload()

    # ---- layout --------------------------------------------------------------------------------

    def _build(self, compliance) -> None:
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.items = QListWidget()
        self.items.currentItemChanged.connect(self._item_clicked)
        ll.addWidget(self.items, 1)
        row = QHBoxLayout()
        self.add_timed_b = QPushButton("新建定时提醒")
        self.del_timed_b = QPushButton("删除定时提醒")
        self.del_timed_b.setToolTip("删除所选的定时提醒（保存后生效，保存前可以放弃修改）")
        row.addWidget(self.add_timed_b)
        row.addWidget(self.del_timed_b)
        ll.addLayout(row)
        self.add_timed_b.clicked.connect(lambda: self.add_timed())
        self.del_timed_b.clicked.connect(lambda: self.delete_timed())

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.revert_b = QPushButton("放弃修改")
        self.save_b = QPushButton("保存 (Ctrl+S)")
        self.save_b.setObjectName("primary")
        head.addWidget(self.title)
        head.addWidget(self.status, 1)
        head.addWidget(self.revert_b)
        head.addWidget(self.save_b)
        rl.addLayout(head)
        self.about = QLabel("")
        self.about.setObjectName("muted")
        self.about.setWordWrap(True)
        rl.addWidget(self.about)
        self.timed_form = TimedForm()
        self.timed_form.edited.connect(self._timed_edited)
        rl.addWidget(self.timed_form)
        self.editor = SegmentEditor(compliance, with_base=False)
        self.editor.edited.connect(self._text_edited)
        self.editor.notice.connect(self.notice)
        rl.addWidget(self.editor, 1)
        self.problem_list = ProblemList()
        self.problem_list.jump.connect(self.jump_to)
        rl.addWidget(self.problem_list)
        self.save_b.clicked.connect(lambda: self.save())
        self.revert_b.clicked.connect(lambda: self.revert())
        QShortcut(QKeySequence.StandardKey.Save, self, activated=lambda: self.save())

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([230, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.split)

    # ---- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every template and timed.json again (what is on screen is replaced)."""
        self.saved = {n: self.templates.text(n) or "" for n in self.templates.names()}
        self.drafts = {}
        self.timed_error = ""
        path = self.templates.root / "timed.json"
        try:
            raw = json.loads(read_text(path)) if path.exists() else []
            if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
                raise ValueError("应为提醒的列表")
        except (OSError, ValueError) as exc:
            raw = []
            self.timed_error = f"{path} 无法读取，定时提醒暂不能在这里修改（请先用文本编辑器修正）：{exc}"
        self.timed_saved = raw
        self.timed = copy.deepcopy(raw)
        self.timed_form.set_templates(sorted(self.saved, key=self._order))
        self.current = None
        self._fill_list()
        self._select(("template", next(iter(sorted(self.saved, key=self._order)), None)) if self.saved else None)
        self.problem_list.show_problems("定时提醒文件有错误：", [self.timed_error] if self.timed_error else [])
        self._update_status()

    @staticmethod
    def _order(name: str) -> tuple:
        keys = list(TEMPLATE_ZH)
        return (keys.index(name) if name in keys else len(keys), name)

    def _fill_list(self) -> None:
        self.items.blockSignals(True)
        self.items.clear()
        self._header("互动话术")
        for name in sorted(self.saved, key=self._order):
            self._entry(template_label(name), ("template", name), TEMPLATE_ZH.get(name, ("", ""))[1])
        self._header("定时提醒")
        for i, task in enumerate(self.timed):
            self._entry(self._timed_label(task), ("timed", i), self._timed_label(task, short=False))
        self.items.blockSignals(False)
        self.add_timed_b.setEnabled(not self.timed_error)
        self.del_timed_b.setEnabled(not self.timed_error and bool(self.current and self.current[0] == "timed"))

    def _header(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
        item.setForeground(QColor("#374151"))
        self.items.addItem(item)

    def _entry(self, text: str, key: tuple, tip: str) -> None:
        item = QListWidgetItem("　" + text)
        item.setData(Qt.ItemDataRole.UserRole, key)
        if tip:
            item.setToolTip(tip)
        self.items.addItem(item)

    @staticmethod
    def _timed_label(task: dict, short: bool = True) -> str:
        """``报时（20:00、21:00 等 4 个）`` in the list (its column is narrow), every time in the tooltip."""
        name = template_label(str(task.get("name", ""))) or "（未命名）"  # the shipped ones are named after their line
        every = task.get("every_min")
        at = task.get("at") or []
        if isinstance(at, list) and short and len(at) > 2:
            when = f"{'、'.join(map(str, at[:2]))} 等 {len(at)} 个"
        else:
            when = f"每 {every} 分钟" if every else ("、".join(map(str, at)) if isinstance(at, list) else str(at))
        return f"{name}（{when}）" if when else name

    # ---- selection -----------------------------------------------------------------------------

    def _item_clicked(self, item: QListWidgetItem | None, _prev=None) -> None:
        key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if key:
            self._select(tuple(key))

    def _stash(self) -> None:
        """Keep what the editor shows in the drafts (switching item never drops an edit)."""
        if self.current is None:
            return
        if self.current[0] == "template":
            self.drafts[self.current[1]] = self.editor.template()
        else:
            i = self.current[1]
            if 0 <= i < len(self.timed):
                task = self.timed_form.task(self.editor.template())
                if "template" in task:  # the editor shows that template: its text is a template draft
                    self.drafts[task["template"]] = self.editor.template()
                self.timed[i] = task

    def _select(self, key: tuple | None) -> None:
        self._stash()
        self.current = key
        if key is None:
            return
        if key[0] == "template":
            name = key[1]
            self.title.setText(template_label(name))
            self.about.setText(TEMPLATE_ZH.get(name, ("", f"文件 {name}.txt"))[1])
            self.timed_form.hide()
            self.editor.load("", self._text(name), {})
        else:
            task = self.timed[key[1]]
            self.title.setText(f"定时提醒：{template_label(str(task.get('name', '')))}")
            self.timed_form.show()
            self.timed_form.load(task)
            self._show_timed_text()
        for i in range(self.items.count()):
            if self.items.item(i).data(Qt.ItemDataRole.UserRole) == key:
                self.items.blockSignals(True)
                self.items.setCurrentRow(i)
                self.items.blockSignals(False)
        self.del_timed_b.setEnabled(not self.timed_error and key[0] == "timed")

    def _text(self, name: str) -> str:
        return self.drafts[name] if name in self.drafts else self.saved.get(name, "")

    def _show_timed_text(self) -> None:
        template = self.timed_form.template()
        if template:
            self.about.setText(f"这条提醒说的是互动话术“{template_label(template)}”；在下面修改，就是修改这条互动话术。")
            self.editor.load("", self._text(template), {})
        else:
            self.about.setText("这条提醒自己的文本（支持 {a|b} 变体和 ${变量}）。")
            self.editor.load("", str(self.timed[self.current[1]].get("text", "")), {})

    def _timed_edited(self) -> None:
        if self.current is None or self.current[0] != "timed":
            return
        i = self.current[1]
        before = self.timed[i]
        text = self.editor.template()
        self.timed[i] = self.timed_form.task(text if "text" in before else str(before.get("text", "")))
        if self.timed[i].get("template") != before.get("template"):  # content switched: show it
            if "template" in before:
                self.drafts[before["template"]] = text
            self._show_timed_text()
        self.items.currentItem().setText("　" + self._timed_label(self.timed[i]))
        self.items.currentItem().setToolTip(self._timed_label(self.timed[i], short=False))
        self._update_status()

    def _text_edited(self) -> None:
        self._update_status()

    # ---- dirty state ---------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        self._stash()
        return self.timed != self.timed_saved or any(self.saved.get(n) != t for n, t in self.drafts.items())

    def _update_status(self) -> None:
        self.status.setText("● 有未保存的修改" if self.dirty else "")

    def maybe_save(self) -> bool:
        """Ask about unsaved edits. True = go on (saved or discarded), False = stay."""
        if not self.dirty:
            return True
        return ask_to_save(self, "未保存的修改", "互动话术有未保存的修改，要保存吗？", self.save)

    def revert(self) -> None:
        if self.dirty and not confirm(self, "放弃修改", "放弃互动话术和定时提醒的所有未保存修改吗？\n放弃后无法找回。",
                                      "放弃修改", warning=True):
            return
        self.reload()

    # ---- timed reminders -----------------------------------------------------------------------

    def add_timed(self) -> None:
        if self.timed_error:
            return
        self._stash()
        self.timed.append(dict(NEW_TIMED))
        self.current = None
        self._fill_list()
        self._select(("timed", len(self.timed) - 1))
        self._update_status()

    def delete_timed(self) -> None:
        if self.current is None or self.current[0] != "timed":
            return
        self._stash()
        i = self.current[1]
        name = self.timed[i].get("name", "")
        if not confirm(self, "删除定时提醒", f"删除定时提醒“{name}”吗？\n保存之后才会真正删除，之前可以“放弃修改”。", "删除"):
            return
        del self.timed[i]
        self.current = None
        self._fill_list()
        self._select(("timed", min(i, len(self.timed) - 1)) if self.timed else
                     ("template", next(iter(sorted(self.saved, key=self._order)))) if self.saved else None)
        self._update_status()

    # ---- saving --------------------------------------------------------------------------------

    def problems(self) -> list:
        self._stash()
        texts = {n: self._text(n) for n in self.saved}
        return reaction_problems(texts, self.timed)

    def save(self) -> bool:
        problems = self.problems()
        if problems:
            self.problem_list.show_problems(f"没有保存：有 {len(problems)} 处需要修改（点一条跳到那里）", problems)
            self.notice.emit("error", f"互动话术没有保存：有 {len(problems)} 处需要修改，见编辑区下方的列表")
            return False
        timed_changed = self.timed != self.timed_saved and not self.timed_error
        try:
            for name, text in self.drafts.items():
                if self.saved.get(name) != text:
                    self.templates.save(name, text)
                    self.saved[name] = text
            if timed_changed:
                write_text_atomic(self.templates.root / "timed.json",
                                  json.dumps(self.timed, ensure_ascii=False, indent=2) + "\n")
                self.timed_saved = copy.deepcopy(self.timed)
        except (OSError, ValueError) as exc:
            self.problem_list.show_problems("没有保存：无法写入文件，请检查磁盘空间和文件夹权限。", [str(exc)])
            self.notice.emit("error", "互动话术没有保存：无法写入文件（详见编辑区下方）")
            return False
        self.drafts = {}
        self.problem_list.show_problems("", [])
        self._update_status()
        # Lines are re-read when their file changes; the reminder schedule is read at 开播.
        self.notice.emit("info", "已保存：互动话术下一次说到时就用新的内容" +
                         ("；定时提醒的新安排在下次开播时生效" if timed_changed else ""))
        return True

    def jump_to(self, target: tuple) -> None:
        kind, key, *rest = target
        self._select((kind, key))
        if kind == "template" and len(rest) == 2:
            self.editor.jump_to("template", rest[0], rest[1])
        elif kind == "timed" and rest:
            if rest[0] == "text" and len(rest) == 3:
                self.editor.jump_to("template", rest[1], rest[2])
            else:
                self.timed_form.focus(rest[0])

    def shutdown(self) -> None:
        self.editor.shutdown()
