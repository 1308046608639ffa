"""The products & scripts screen: product list on the left; on the right the selected product's
script segments, facts and FAQ rules.

Saving checks everything first (every template, duplicate keys, placeholders left in a product
that is switched on) and refuses with the list of what to fix; a save that passes is atomic
(ProductLibrary). Switching product, 放弃修改, the demo switch and closing the window ask before
unsaved edits go. 删除 asks and moves the product to the recycle bin (回收站 brings it back)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.content import ProductError
from app.content.atomic import read_text
from app.content.product import SEGMENT_NAME
from ui.dialogs import ask_text, ask_to_save, confirm
from ui.products.checks import PLACEHOLDER, product_problems
from ui.products.new_product import GUIDE
from ui.products.problems import ProblemList
from ui.products.product_actions import ProductActions
from ui.products.product_form import FaqTable, ProductForm
from ui.products.product_list import ProductListPanel
from ui.products.segment_editor import SegmentEditor
from ui.products.segment_list import SEGMENT_ZH, SegmentList


class ProductsView(ProductActions, QWidget):
    notice = pyqtSignal(str, str)  # level, message
    saved = pyqtSignal(str)  # slug

    def __init__(self, library: Any, compliance: Any | None = None,
                 llm_client: Callable[[], Any] | None = None, parent=None):
        super().__init__(parent)
        self.library = library
        self.slug: str | None = None
        self.raw: dict = {}  # product.json as loaded
        self.segment: str | None = None
        self.saved_texts: dict[str, tuple[str, str]] = {}  # segment -> (base, template) on disk
        self.drafts: dict[str, tuple[str, str]] = {}  # segment -> edited (base, template)
        self.form_dirty = False
        self._build(compliance, llm_client)
        self.reload_list()

    # ---- layout --------------------------------------------------------------------------------

    def _build(self, compliance, llm_client) -> None:
        self.list_panel = left = ProductListPanel()
        self.list_panel.product_list.model().rowsMoved.connect(self._order_changed)
        self.list_panel.product_list.currentItemChanged.connect(self._product_clicked)
        # clicked(bool) must not reach a parameter: the slots are called with no arguments.
        left.add_b.clicked.connect(lambda: self.add_product())
        left.rename_b.clicked.connect(lambda: self.rename_product())
        left.dup_b.clicked.connect(lambda: self.duplicate_product())
        left.del_b.clicked.connect(lambda: self.delete_product())
        left.trash_b.clicked.connect(lambda: self.open_trash())
        left.up_b.clicked.connect(lambda: self.move_product(-1))
        left.down_b.clicked.connect(lambda: self.move_product(1))

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.save_b = QPushButton("保存 (Ctrl+S)")
        self.save_b.setObjectName("primary")
        self.revert_b = QPushButton("放弃修改")
        head.addWidget(self.title)
        head.addWidget(self.status, 1)
        head.addWidget(self.revert_b)
        head.addWidget(self.save_b)
        rl.addLayout(head)
        self.save_b.clicked.connect(lambda: self.save())
        self.revert_b.clicked.connect(lambda: self.revert())
        QShortcut(QKeySequence.StandardKey.Save, self, activated=lambda: self.save())
        self.guide_label = QLabel(GUIDE)
        self.guide_label.setObjectName("guide")
        self.guide_label.setWordWrap(True)
        self.guide_label.hide()
        rl.addWidget(self.guide_label)

        self.tabs = QTabWidget()
        scripts = QWidget()
        sl = QHBoxLayout(scripts)
        sl.setContentsMargins(4, 4, 4, 4)
        self.segment_panel = SegmentList()
        self.segment_panel.segment_list.currentItemChanged.connect(self._segment_clicked)
        self.segment_panel.add_seg_b.clicked.connect(lambda: self.add_segment())
        sl.addWidget(self.segment_panel)
        self.editor = SegmentEditor(compliance, llm_client)
        self.editor.edited.connect(self._segment_edited)
        self.editor.notice.connect(self.notice)
        sl.addWidget(self.editor, 1)
        self.form = ProductForm()
        self.form.edited.connect(self._form_edited)
        form_scroll = QScrollArea()
        form_scroll.setWidgetResizable(True)
        form_scroll.setWidget(self.form)
        self.faq = FaqTable()
        self.faq.edited.connect(self._form_edited)
        self.tabs.addTab(scripts, "话术")
        self.tabs.addTab(form_scroll, "商品资料")
        self.tabs.addTab(self.faq, "关键词回复")
        rl.addWidget(self.tabs, 1)
        self.problem_list = ProblemList()
        self.problem_list.jump.connect(self.jump_to)
        rl.addWidget(self.problem_list)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([220, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.split)

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("products/split", self.split.saveState())
        settings.setValue("products/editor_split", self.editor.split.saveState())

    def restore_layout(self, settings: QSettings) -> None:
        for key, sp in (("products/split", self.split), ("products/editor_split", self.editor.split)):
            state = settings.value(key)
            if state is not None:
                sp.restoreState(state)

    # ---- dirty state ---------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        self._stash_segment()
        return self.form_dirty or any(self.drafts.get(n) != self.saved_texts.get(n) for n in self.drafts)

    def _update_status(self) -> None:
        self.status.setText("● 有未保存的修改" if self.dirty else "")

    def _segment_edited(self) -> None:
        self._update_status()

    def _form_edited(self) -> None:
        self.form_dirty = True
        self._update_status()

    def maybe_save(self) -> bool:
        """Ask about unsaved edits. True = go on (saved or discarded), False = stay (also when
        the save was refused: the edits stay on screen with the list of what to fix)."""
        if not self.dirty:
            return True
        return ask_to_save(self, "未保存的修改", f"“{self._name()}”有未保存的修改，要保存吗？", self.save)

    # ---- product list --------------------------------------------------------------------------

    def reload_list(self, select: str | None = None) -> None:
        self.library.refresh(force=True)
        self.list_panel.fill(self.library)
        target = select or self.slug or (self.library.slugs() or [None])[0]
        self.list_panel.select(target)
        if target and target != self.slug:
            self.open_product(target)

    def _product_clicked(self, item: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if item is None:
            return
        slug = item.data(Qt.ItemDataRole.UserRole)
        if slug == self.slug:
            return
        if not self.maybe_save():
            self.list_panel.keep(previous)
            return
        self.open_product(slug)

    def open_product(self, slug: str) -> None:
        self.slug = slug
        folder = self.library.root / slug
        try:
            self.raw = json.loads(read_text(folder / "product.json"))
        except (OSError, ValueError) as exc:
            self.raw = {}
            self.notice.emit("error", f"{folder / 'product.json'}: {exc}")
        err = self.library.errors().get(slug)
        self.problem_list.show_problems("这个商品的文件有错误，没有加载，也不会播出：",
                                        str(err).splitlines() if err else [])
        product = self.library.get(slug)
        self.title.setText(self.raw.get("name", slug) if isinstance(self.raw, dict) else slug)
        self.form.load(self.raw if isinstance(self.raw, dict) else {})
        self.faq.load(self.raw.get("faq", []) if isinstance(self.raw, dict) else [])
        self.form_dirty = False
        self.saved_texts = {}
        names = list(self.raw.get("segments", []) or []) if isinstance(self.raw, dict) else []
        for seg in product.segments if product else ():
            self.saved_texts[seg.name] = (seg.base, seg.template_text or "")
            if seg.name not in names:
                names.append(seg.name)
        for n in names:
            self.saved_texts.setdefault(n, ("", ""))
        self.drafts = {}
        self.segment = None
        self.segment_panel.fill(names)
        if names:
            self.segment_panel.segment_list.setCurrentRow(0)
        else:
            self.editor.load("", "", self._variables())
        texts = [json.dumps(self.raw, ensure_ascii=False)] + [t for pair in self.saved_texts.values() for t in pair]
        self.guide_label.setVisible(any(PLACEHOLDER.search(t) for t in texts))
        self._update_status()

    def _name(self) -> str:
        return str(self.raw.get("name", self.slug)) if isinstance(self.raw, dict) else str(self.slug)

    def _variables(self) -> dict[str, str]:
        product = self.library.get(self.slug) if self.slug else None
        if product is not None:
            return product.template_values()
        return {"product": str(self.raw.get("name", "")), "price": str(self.raw.get("price", ""))}

    def jump_to(self, target: tuple) -> None:
        """Show where a problem is: the segment and line:col, the FAQ cell, the table row."""
        kind = target[0]
        if kind == "segment":
            _, name, which, *pos = target
            self.tabs.setCurrentIndex(0)
            if name != self.segment:
                self._stash_segment()
                self.select_segment(name)
            if pos:
                self.editor.jump_to(which, pos[0], pos[1])
        elif kind == "faq":
            self.tabs.setCurrentIndex(2)
            self.faq.show_cell(target[1], target[2])
        elif kind in ("facts", "variables"):
            self.tabs.setCurrentIndex(1)
            getattr(self.form, kind).show_row(target[1])
        elif kind == "field":
            self.tabs.setCurrentIndex(1)
            {"name": self.form.name, "price": self.form.price, "points": self.form.points}[target[1]].setFocus()

    # ---- segments ------------------------------------------------------------------------------

    def _stash_segment(self) -> None:
        if self.segment is not None:
            self.drafts[self.segment] = (self.editor.base(), self.editor.template())

    def _segment_clicked(self, item: QListWidgetItem | None, _prev=None) -> None:
        if item is None:
            return
        self._stash_segment()
        self.select_segment(item.data(Qt.ItemDataRole.UserRole))

    def select_segment(self, name: str) -> None:
        self.segment = name
        base, tpl = self.drafts.get(name) or self.saved_texts.get(name, ("", ""))
        self.editor.load(base, tpl, self._variables())
        self.segment_panel.select(name)

    def add_segment(self) -> None:
        name = ask_text(self, "新建段落", "段落名（如 赠品说明；不能有空格和标点）：")
        if not name:
            return
        if not SEGMENT_NAME.match(name) or name in self.saved_texts:
            self.notice.emit("warning", f"段落名“{name}”不可用（已存在，或含有空格、符号）")
            return
        self.saved_texts[name] = ("", "")
        segs = list(self.raw.get("segments", []) or [])
        segs.append(name)
        self.raw["segments"] = segs
        self.form._data["segments"] = segs
        self.form_dirty = True
        self.segment_panel.append(name)
        self._stash_segment()
        self.select_segment(name)

    # ---- saving --------------------------------------------------------------------------------

    def problems(self) -> list:
        """Why the product as edited cannot be saved (empty when it can)."""
        self._stash_segment()
        data = self.form.data()
        segments = {n: self.drafts.get(n) or self.saved_texts.get(n, ("", ""))
                    for n in dict.fromkeys([*self.saved_texts, *self.drafts])}
        return product_problems(data, fact_rows=self.form.facts.indexed_rows(),
                                variable_rows=self.form.variables.indexed_rows(),
                                faq_rows=self.faq.indexed_rules(), segments=segments,
                                segment_label=lambda n: SEGMENT_ZH.get(n, n))

    def save(self) -> bool:
        """Check, then save. Refused (False) with the list of what to fix under the editor."""
        if self.slug is None:
            return True
        problems = self.problems()
        if problems:
            self.problem_list.show_problems(f"没有保存：有 {len(problems)} 处需要修改（点一条跳到那里）", problems)
            self.notice.emit("error", f"“{self._name()}”没有保存：有 {len(problems)} 处需要修改，见编辑区下方的列表")
            return False
        try:
            if self.form_dirty:
                data = self.form.data()
                data["faq"] = self.faq.rules()
                self.library.save_product(self.slug, data)
                self.raw = data
                self.form_dirty = False
            for name, (base, tpl) in list(self.drafts.items()):
                if self.saved_texts.get(name) != (base, tpl):
                    self.library.save_segment(self.slug, name, base=base, template=tpl)
                    self.saved_texts[name] = (base, tpl)
        except ProductError as exc:  # the library's own check; the file on disk is unchanged
            self.problem_list.show_problems("商品资料没有保存，文件检查未通过：", str(exc).splitlines())
            self.notice.emit("error", "商品资料没有保存（详见编辑区下方）")
            return False
        except (OSError, ValueError) as exc:
            self.problem_list.show_problems("没有保存：无法写入文件，请检查磁盘空间和文件夹权限。", [str(exc)])
            self.notice.emit("error", "没有保存：无法写入文件（详见编辑区下方）")
            return False
        self.problem_list.show_problems("", [])
        self.drafts = {}
        self._stash_segment()
        self.title.setText(self._name())
        self.editor.set_variables(self._variables())  # the preview says the new name / price
        self.guide_label.setVisible(self.guide_label.isVisibleTo(self) and self._has_placeholders())
        self._update_status()
        self.notice.emit("info", f"已保存“{self._name()}”")
        self.saved.emit(self.slug)
        self._refresh_labels()
        return True

    def _has_placeholders(self) -> bool:
        texts = [json.dumps(self.form.data(), ensure_ascii=False), json.dumps(self.faq.rules(), ensure_ascii=False)]
        texts += [t for pair in self.saved_texts.values() for t in pair]
        return any(PLACEHOLDER.search(t) for t in texts)

    def revert(self) -> None:
        """放弃修改: back to what is saved, after asking."""
        if self.slug is None:
            return
        if self.dirty:
            if not confirm(self, "放弃修改", f"放弃对“{self._name()}”的所有未保存修改吗？\n放弃后无法找回。",
                           "放弃修改", warning=True):
                return
        self.open_product(self.slug)

    def _refresh_labels(self) -> None:
        self.list_panel.set_label(self.slug, self._name() + ("" if self.raw.get("enabled", True) else "（已停用）"))

    def shutdown(self) -> None:
        self.editor.shutdown()
