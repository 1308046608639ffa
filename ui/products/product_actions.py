"""The product list's operations (新建, 改名, 复制, 删除, 回收站, 上移/下移) for ``ProductsView``.

Every one is reached from a button whose ``clicked(bool)`` is not passed on: the slots are
called with no arguments (a bool landing in ``name`` once took the whole app down).
"""

from __future__ import annotations

import json
import re
import shutil

from app.content.atomic import read_text
from app.content.trash import move_to_trash, restore
from ui.dialogs import ask_text, confirm
from ui.products.new_product import SEGMENT_TEMPLATES, new_product_data
from ui.products.trash_dialog import TrashDialog


class ProductActions:
    """Mixed into ProductsView: uses its library, list, form and ``maybe_save``."""

    def _new_slug(self, name: str) -> str:
        base = re.sub(r"[^\w-]+", "-", name).strip("-") or "product"
        slug, n = base, 2
        while (self.library.root / slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    def add_product(self, name: str | None = None) -> str | None:
        """新建: an empty product with the guided template (asks for the name when not given)."""
        if name is None:
            name = ask_text(self, "新建商品", "商品名称：")
            if name is None:
                return None
        name = name.strip()
        if not name:
            self.notice.emit("warning", "没有新建：商品名称不能为空")
            return None
        if not self.maybe_save():
            return None
        slug = self._new_slug(name)
        try:
            (self.library.root / slug / "segments").mkdir(parents=True, exist_ok=True)
            self.library.save_product(slug, new_product_data(name))
            for seg, template in SEGMENT_TEMPLATES.items():
                self.library.save_segment(slug, seg, base="", template=template)
            self.library.save_order([s for s in self.library.slugs() if s != slug] + [slug])
        except (OSError, ValueError) as exc:
            self.notice.emit("error", f"没有新建“{name}”：无法写入商品文件夹（{exc}）")
            return None
        self.reload_list(select=slug)
        self.notice.emit("info", f"已新建“{name}”：请把【待填写：…】换成真实内容，然后勾选“参与话术循环”并保存")
        return slug

    def rename_product(self, name: str | None = None) -> None:
        if self.slug is None:
            return
        if name is None:
            name = ask_text(self, "改名", "新的商品名称：", self.form.name.text())
            if name is None:
                return
        if not name.strip():
            self.notice.emit("warning", "没有改名：商品名称不能为空")
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

    def delete_product(self) -> None:
        """删除, after asking: the folder goes to the recycle bin (``open_trash`` restores it)."""
        if self.slug is None:
            return
        name = self._name()
        unsaved = "\n它还有未保存的修改，这些修改不会保留。" if self.dirty else ""
        if not confirm(self, "删除商品", f"确定删除“{name}”吗？\n删除后放进回收站，可以用“回收站…”恢复。{unsaved}",
                       "删除", warning=True):
            return
        try:
            move_to_trash(self.library, self.slug)
        except OSError as exc:
            self.notice.emit("error", f"没有删除“{name}”：无法移动文件夹（{exc}）")
            return
        self.slug = None
        self.form_dirty = False
        self.drafts = {}
        self.segment = None
        self.reload_list()
        self.notice.emit("info", f"已删除“{name}”（可以在“回收站…”里恢复）")

    def open_trash(self) -> str | None:
        """回收站: pick a deleted product and put it back at the end of the list."""
        dialog = TrashDialog(self.library.root, self)
        if dialog.exec() != TrashDialog.DialogCode.Accepted or dialog.chosen is None:
            return None
        try:
            slug = restore(self.library, dialog.chosen)
        except OSError as exc:
            self.notice.emit("error", f"没有恢复“{dialog.chosen.name}”：无法移动文件夹（{exc}）")
            return None
        self.reload_list(select=slug if self.maybe_save() else None)
        self.notice.emit("info", f"已恢复“{dialog.chosen.name}”，排在商品列表最后")
        return slug

    def move_product(self, step: int) -> None:
        if self.list_panel.move_current(step):
            self._order_changed()

    def _order_changed(self, *args) -> None:
        self.library.save_order(self.list_panel.order())
