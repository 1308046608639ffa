"""The products & scripts screen: product list on the left; on the right the selected product's
script segments, facts and FAQ rules. Saving is atomic (ProductLibrary); switching product or
closing with unsaved edits asks first."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.content import ProductError
from app.content.atomic import read_text
from app.content.product import DEFAULT_SEGMENTS, SEGMENT_NAME
from ui.products.product_form import FaqTable, ProductForm
from ui.products.segment_editor import SegmentEditor

SEGMENT_ZH = {"opening": "开场", "selling_points": "卖点介绍", "urging": "催单", "after_sales": "售后保障"}


class ProductsView(QWidget):
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
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("商品"))
        self.product_list = QListWidget()
        self.product_list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        self.product_list.model().rowsMoved.connect(self._order_changed)
        self.product_list.currentItemChanged.connect(self._product_clicked)
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
        self.add_b.clicked.connect(self.add_product)
        self.rename_b.clicked.connect(self.rename_product)
        self.dup_b.clicked.connect(self.duplicate_product)
        self.del_b.clicked.connect(self.delete_product)
        self.up_b.clicked.connect(lambda: self.move_product(-1))
        self.down_b.clicked.connect(lambda: self.move_product(1))

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
        self.save_b.clicked.connect(self.save)
        self.revert_b.clicked.connect(self._revert)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

        self.tabs = QTabWidget()
        scripts = QWidget()
        sl = QHBoxLayout(scripts)
        sl.setContentsMargins(4, 4, 4, 4)
        segcol = QVBoxLayout()
        segcol.addWidget(QLabel("话术段落"))
        self.segment_list = QListWidget()
        self.segment_list.setMaximumWidth(170)
        self.segment_list.currentItemChanged.connect(self._segment_clicked)
        segcol.addWidget(self.segment_list, 1)
        self.add_seg_b = QPushButton("新建段落")
        self.add_seg_b.clicked.connect(self.add_segment)
        segcol.addWidget(self.add_seg_b)
        sl.addLayout(segcol)
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
        self.problem_label = QLabel("")
        self.problem_label.setObjectName("errorBanner")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        rl.addWidget(self.problem_label)

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
        """Ask about unsaved edits. True = go on (saved or discarded), False = stay."""
        if not self.dirty:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "未保存的修改",
                          f"“{self.raw.get('name', self.slug)}”有未保存的修改，要保存吗？", parent=self)
        save = box.addButton("保存", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("不保存", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is cancel:
            return False
        if box.clickedButton() is save:
            return self.save()
        return True

    # ---- product list --------------------------------------------------------------------------

    def reload_list(self, select: str | None = None) -> None:
        self.library.refresh(force=True)
        errors = self.library.errors()
        self.product_list.blockSignals(True)
        self.product_list.clear()
        for slug in self.library.slugs():
            p = self.library.get(slug)
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
        target = select or self.slug or (self.library.slugs() or [None])[0]
        for i in range(self.product_list.count()):
            if self.product_list.item(i).data(Qt.ItemDataRole.UserRole) == target:
                self.product_list.blockSignals(True)
                self.product_list.setCurrentRow(i)
                self.product_list.blockSignals(False)
                break
        if target and target != self.slug:
            self.open_product(target)

    def _product_clicked(self, item: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if item is None:
            return
        slug = item.data(Qt.ItemDataRole.UserRole)
        if slug == self.slug:
            return
        if not self.maybe_save():
            self.product_list.blockSignals(True)
            self.product_list.setCurrentItem(previous)
            self.product_list.blockSignals(False)
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
        self._show_problems(str(err) if err else "")
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
        self.segment_list.blockSignals(True)
        self.segment_list.clear()
        for n in names:
            item = QListWidgetItem(SEGMENT_ZH.get(n, n))
            item.setData(Qt.ItemDataRole.UserRole, n)
            self.segment_list.addItem(item)
        self.segment_list.blockSignals(False)
        if names:
            self.segment_list.setCurrentRow(0)
        else:
            self.editor.load("", "", self._variables())
        self._update_status()

    def _variables(self) -> dict[str, str]:
        product = self.library.get(self.slug) if self.slug else None
        if product is not None:
            return product.template_values()
        return {"product": str(self.raw.get("name", "")), "price": str(self.raw.get("price", ""))}

    def _show_problems(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

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
        for i in range(self.segment_list.count()):
            if self.segment_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.segment_list.blockSignals(True)
                self.segment_list.setCurrentRow(i)
                self.segment_list.blockSignals(False)

    def add_segment(self) -> None:
        name, ok = QInputDialog.getText(self, "新建段落", "段落名（字母、数字、下划线，如 opening）：")
        name = name.strip()
        if not ok or not name:
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
        item = QListWidgetItem(SEGMENT_ZH.get(name, name))
        item.setData(Qt.ItemDataRole.UserRole, name)
        self.segment_list.addItem(item)
        self._stash_segment()
        self.select_segment(name)

    # ---- saving --------------------------------------------------------------------------------

    def save(self) -> bool:
        if self.slug is None:
            return True
        self._stash_segment()
        if self.form_dirty:
            data = self.form.data()
            data["faq"] = self.faq.rules()
            try:
                self.library.save_product(self.slug, data)
            except ProductError as exc:
                self._show_problems("商品资料未保存：\n" + str(exc))
                self.notice.emit("error", "商品资料有错误，未保存（详见编辑区下方）")
                return False
            self.raw = data
            self.form_dirty = False
            self._show_problems("")
        bad = []
        for name, (base, tpl) in list(self.drafts.items()):
            if self.saved_texts.get(name) == (base, tpl):
                continue
            seg = self.library.save_segment(self.slug, name, base=base, template=tpl)
            self.saved_texts[name] = (base, tpl)
            if seg.errors:
                bad.append(f"{SEGMENT_ZH.get(name, name)}：{seg.errors[0]}")
        self.drafts = {}
        self._stash_segment()
        self.title.setText(self.raw.get("name", self.slug))
        self._update_status()
        if bad:
            self.notice.emit("warning", "已保存，但这些段落的模板有错误，修正前不会播出：" + "；".join(bad))
        else:
            self.notice.emit("info", f"已保存“{self.raw.get('name', self.slug)}”")
        self.saved.emit(self.slug)
        self._refresh_labels()
        return True

    def _revert(self) -> None:
        if self.slug:
            self.open_product(self.slug)

    def _refresh_labels(self) -> None:
        for i in range(self.product_list.count()):
            item = self.product_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == self.slug:
                item.setText(self.raw.get("name", self.slug))

    # ---- product operations --------------------------------------------------------------------

    def _new_slug(self, name: str) -> str:
        base = re.sub(r"[^\w-]+", "-", name).strip("-") or "product"
        slug, n = base, 2
        while (self.library.root / slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    def add_product(self, name: str | None = None) -> str | None:
        if name is None:
            name, ok = QInputDialog.getText(self, "新建商品", "商品名称：")
            if not ok:
                return None
        name = name.strip()
        if not name or not self.maybe_save():
            return None
        slug = self._new_slug(name)
        data = {"name": name, "price": "待定", "selling_points": [], "facts": {}, "variables": {},
                "segments": list(DEFAULT_SEGMENTS), "faq": []}
        (self.library.root / slug / "segments").mkdir(parents=True, exist_ok=True)
        self.library.save_product(slug, data)
        self.library.save_order(self.library.slugs())
        self.reload_list(select=slug)
        return slug

    def rename_product(self, name: str | None = None) -> None:
        if self.slug is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "改名", "新的商品名称：", text=self.form.name.text())
            if not ok:
                return
        self.form.name.setText(name.strip())
        self.save()

    def duplicate_product(self) -> str | None:
        if self.slug is None or not self.maybe_save():
            return None
        src = self.library.root / self.slug
        name = f"{self.raw.get('name', self.slug)} 副本"
        slug = self._new_slug(f"{self.slug}-copy")
        shutil.copytree(src, self.library.root / slug)
        data = json.loads(read_text(self.library.root / slug / "product.json"))
        data["name"] = name
        self.library.save_product(slug, data)
        order = self.library.slugs()
        order.remove(slug)
        order.insert(order.index(self.slug) + 1, slug)
        self.library.save_order(order)
        self.reload_list(select=slug)
        return slug

    def delete_product(self, confirm: bool = True) -> None:
        if self.slug is None:
            return
        name = self.raw.get("name", self.slug)
        if confirm:
            answer = QMessageBox.question(
                self, "删除商品", f"确定删除“{name}”吗？\n文件会移到 products/.trash 文件夹，可以找回。")
            if answer != QMessageBox.StandardButton.Yes:
                return
        trash = self.library.root / ".trash"
        trash.mkdir(exist_ok=True)
        shutil.move(str(self.library.root / self.slug), str(trash / f"{self.slug}-{time.strftime('%Y%m%d-%H%M%S')}"))
        order = [s for s in self.library.slugs() if s != self.slug]
        self.slug = None
        self.form_dirty = False
        self.drafts = {}
        self.segment = None
        self.library.save_order(order)
        self.reload_list()
        self.notice.emit("info", f"已删除“{name}”（在 products/.trash 可找回）")

    def move_product(self, step: int) -> None:
        row = self.product_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.product_list.count():
            return
        self.product_list.blockSignals(True)
        item = self.product_list.takeItem(row)
        self.product_list.insertItem(target, item)
        self.product_list.setCurrentRow(target)
        self.product_list.blockSignals(False)
        self._order_changed()

    def _order_changed(self, *args) -> None:
        order = [self.product_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.product_list.count())]
        self.library.save_order(order)

    def shutdown(self) -> None:
        self.editor.shutdown()


def trash_dir(root: Path) -> Path:
    return root / ".trash"
