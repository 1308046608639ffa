"""Products & scripts, driven with the mouse and keyboard: typing updates markers and preview;
saving checks every template and table first and refuses with the location; 新建 starts from a
guided template; 删除 asks and can be undone; unsaved edits are never dropped without asking."""

from __future__ import annotations

import json

from PyQt6.QtCore import Qt

from tests.gui.dialogs import DialogAnswerer, close_answering
from tests.gui.ui_driving import click, click_row, click_tab, row_of, type_cell, type_text
from ui.products.view import ProductsView

GOOD = "{宝宝们|家人们}，这款${product}{今天|现在}只要${price}。"


def _view(qtbot, library, compliance, **kw):
    view = ProductsView(library, compliance, **kw)
    qtbot.addWidget(view, before_close_func=lambda w: close_answering(qtbot, w))
    view.resize(1200, 760)
    view.show()
    return view


def _file(products_dir, rel: str) -> str:
    return (products_dir / rel).read_text(encoding="utf-8")


def test_edit_updates_preview_and_save_writes_the_file(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    assert view.slug == "face-cream" and view.segment == "opening"
    editor = view.editor
    type_text(qtbot, editor.template_edit, GOOD)
    assert view.dirty and "未保存" in view.status.text()
    # the preview follows once typing pauses (debounced)
    qtbot.waitUntil(lambda: editor.preview is not None and editor.preview.distinct == 4, timeout=2000)
    assert "共 4 种" in editor.count_label.text()
    shown = [editor.preview_list.item(i).text() for i in range(editor.preview_list.count())]
    assert len(shown) == 4 and len(set(shown)) == 4
    assert all("云朵保湿面霜" in s and "89元" in s for s in shown)
    assert not editor.markers

    click(qtbot, view.save_b)
    assert _file(products_dir, "face-cream/segments/opening.tpl.txt") == GOOD
    assert not view.dirty and view.status.text() == ""
    assert library.get("face-cream").segment("opening").speakable


def test_a_template_with_an_error_is_refused_with_where_it_is(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/segments/opening.tpl.txt")
    editor = view.editor
    type_text(qtbot, editor.template_edit, "第一行没问题。\n这里{少了|右括号")
    qtbot.waitUntil(lambda: any(m.kind == "error" for m in editor.markers), timeout=2000)
    err = next(m for m in editor.markers if m.kind == "error")
    assert (err.line, err.col) == (2, 3) and "没有闭合" in err.message
    assert any("2:3" in editor.marker_list.item(i).text() for i in range(editor.marker_list.count()))
    assert editor.template_edit.extraSelections(), "the error is underlined in the editor"

    click_row(qtbot, view.segment_panel.segment_list, 1)  # to another segment and on: the edit is kept
    click(qtbot, view.save_b)
    assert _file(products_dir, "face-cream/segments/opening.tpl.txt") == before  # refused
    problems = view.problem_list.texts()
    assert "没有保存" in problems[0]
    assert any("话术“开场” · 变体模板 第 2 行第 3 列：“{”没有闭合" in p for p in problems), problems
    assert view.dirty and view.problem_list.isVisible()
    click_row(qtbot, view.problem_list, 1)  # a click on the problem goes there
    assert view.segment == "opening"
    cursor = editor.template_edit.textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (2, 3)
    assert "右括号" in editor.template()  # nothing typed is lost


def test_a_broken_faq_reply_is_refused_and_the_click_selects_its_cell(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/product.json")
    click_tab(qtbot, view.tabs, "关键词回复")
    add = next(b for b in view.faq.findChildren(type(view.save_b)) if b.text() == "添加一行")
    click(qtbot, add)
    row = view.faq.table.rowCount() - 1
    type_cell(qtbot, view.faq.table, row, 1, "赠品, 送什么")
    type_cell(qtbot, view.faq.table, row, 5, "下单送{小样|试用装")
    click(qtbot, view.save_b)
    assert _file(products_dir, "face-cream/product.json") == before
    problems = view.problem_list.texts()
    assert any(f"关键词回复第 {row + 1} 条 · 回复模板 第 1 行第 4 列" in p for p in problems), problems
    click_tab(qtbot, view.tabs, "话术")
    click_row(qtbot, view.problem_list, 1)
    assert view.tabs.currentIndex() == 2 and view.faq.table.currentRow() == row
    assert view.faq.table.currentColumn() == 5

    type_cell(qtbot, view.faq.table, row, 5, "下单送{小样|试用装}。")
    click(qtbot, view.save_b)
    data = json.loads(_file(products_dir, "face-cream/product.json"))
    assert data["faq"][-1] == {"any": ["赠品", "送什么"], "priority": 0, "reply": "下单送{小样|试用装}。"}
    assert data["facts"]["净含量"] == "50克"  # untouched rows survive
    assert not view.problem_list.isVisible()


def test_a_fact_given_twice_is_flagged_not_merged(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/product.json")
    click_tab(qtbot, view.tabs, "商品资料")
    facts = view.form.facts
    add = next(b for b in facts.parentWidget().findChildren(type(view.save_b)) if b.text() == "添加一行")
    click(qtbot, add)
    row = facts.rowCount() - 1
    type_cell(qtbot, facts, row, 0, "净含量")
    type_cell(qtbot, facts, row, 1, "100克")
    click(qtbot, view.save_b)
    assert _file(products_dir, "face-cream/product.json") == before
    assert any(f"资料表第 {row + 1} 行：“净含量”与第 1 行重复" in p for p in view.problem_list.texts())
    type_cell(qtbot, facts, row, 0, "大瓶装净含量")
    click(qtbot, view.save_b)
    data = json.loads(_file(products_dir, "face-cream/product.json"))
    assert data["facts"]["净含量"] == "50克" and data["facts"]["大瓶装净含量"] == "100克"


def test_bad_product_data_is_not_saved(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/product.json")
    click_tab(qtbot, view.tabs, "商品资料")
    view.form.name.setFocus()
    view.form.name.selectAll()
    qtbot.keyClick(view.form.name, Qt.Key.Key_Delete)
    click(qtbot, view.save_b)
    assert any("商品名称：不能为空" in p for p in view.problem_list.texts())
    assert _file(products_dir, "face-cream/product.json") == before


def test_new_product_starts_from_a_guided_template_not_another_products_text(qtbot, library, compliance,
                                                                             products_dir):
    view = _view(qtbot, library, compliance)
    with DialogAnswerer(qtbot, ["保温杯"]):
        click(qtbot, view.list_panel.add_b)
    slug = view.slug
    assert view.title.text() == "保温杯" and library.get(slug).name == "保温杯"
    assert not library.get(slug).enabled and not view.form.enabled.isChecked()  # not spoken yet
    assert view.guide_label.isVisible() and "待填写" in view.guide_label.text()
    everything = "".join(p.read_text(encoding="utf-8") for p in (products_dir / slug).rglob("*") if p.is_file())
    for other in ("耳后", "云朵", "面霜", "T恤", "零食"):
        assert other not in everything, f"the new product carries another product's text: {other}"
    assert "【待填写：" in view.editor.template()
    assert [view.segment_panel.segment_list.item(i).text() for i in range(view.segment_panel.segment_list.count())] == \
        ["开场", "卖点介绍", "催单", "售后保障"]

    click_tab(qtbot, view.tabs, "商品资料")
    click(qtbot, view.form.enabled)  # switching it on with the placeholders left is refused
    click(qtbot, view.save_b)
    problems = view.problem_list.texts()
    assert any("话术“开场” · 变体模板 第 1 行" in p and "待替换" in p for p in problems), problems
    assert any("商品资料 · 价格" in p for p in problems)
    assert not library.get(slug).enabled
    click(qtbot, view.form.enabled)  # switched off again, the draft saves as it is
    click(qtbot, view.save_b)
    assert not view.problem_list.isVisible() and not view.dirty


def test_delete_asks_then_moves_to_the_trash_and_the_trash_restores_it(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/product.json")
    with DialogAnswerer(qtbot, ["取消"]) as dialogs:
        click(qtbot, view.list_panel.del_b)
    assert "确定删除“云朵保湿面霜”" in dialogs.texts[0]
    assert "face-cream" in library.slugs() and view.slug == "face-cream"
    with DialogAnswerer(qtbot, ["删除"]):
        click(qtbot, view.list_panel.del_b)
    assert "face-cream" not in library.slugs() and not (products_dir / "face-cream").exists()
    assert all("云朵" not in view.list_panel.product_list.item(i).text() for i in range(view.list_panel.product_list.count()))
    assert view.slug != "face-cream"

    with DialogAnswerer(qtbot, ["恢复"]) as dialogs:
        click(qtbot, view.list_panel.trash_b)
    assert dialogs.texts[0].startswith("回收站")
    assert library.slugs()[-1] == "face-cream"
    assert _file(products_dir, "face-cream/product.json") == before
    assert view.list_panel.product_list.item(view.list_panel.product_list.count() - 1).text() == "云朵保湿面霜"
    assert not any((products_dir / ".trash").iterdir())


def test_switching_product_with_unsaved_edits_asks(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = _file(products_dir, "face-cream/segments/opening.tpl.txt")
    type_text(qtbot, view.editor.template_edit, GOOD)
    with DialogAnswerer(qtbot, ["取消"]) as dialogs:
        click_row(qtbot, view.list_panel.product_list, 1)
    assert "有未保存的修改" in dialogs.texts[0]
    assert view.slug == "face-cream" and view.editor.template() == GOOD
    assert view.list_panel.product_list.currentItem().data(Qt.ItemDataRole.UserRole) == "face-cream"
    with DialogAnswerer(qtbot, ["不保存"]):
        click_row(qtbot, view.list_panel.product_list, 1)
    assert view.slug != "face-cream"
    assert _file(products_dir, "face-cream/segments/opening.tpl.txt") == before


def test_revert_asks_before_dropping_edits(qtbot, library, compliance):
    view = _view(qtbot, library, compliance)
    type_text(qtbot, view.editor.template_edit, GOOD)
    with DialogAnswerer(qtbot, ["取消"]):
        click(qtbot, view.revert_b)
    assert view.editor.template() == GOOD
    with DialogAnswerer(qtbot, ["放弃修改"]):
        click(qtbot, view.revert_b)
    assert view.editor.template() != GOOD and not view.dirty


def test_rename_copy_and_reorder(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    with DialogAnswerer(qtbot, ["云朵面霜"]):
        click(qtbot, view.list_panel.rename_b)
    assert library.get("face-cream").name == "云朵面霜"
    assert view.list_panel.product_list.item(row_of(view.list_panel.product_list, "云朵面霜")).text() == "云朵面霜"
    click(qtbot, view.list_panel.dup_b)
    copy = view.slug
    assert library.get(copy).name == "云朵面霜 副本"
    assert library.slugs().index(copy) == library.slugs().index("face-cream") + 1
    click(qtbot, view.list_panel.up_b)
    assert library.slugs().index(copy) == library.slugs().index("face-cream") - 1
    order = json.loads(_file(products_dir, "library.json"))["order"]
    assert order.index(copy) < order.index("face-cream")


def test_the_preview_follows_a_rename(qtbot, library, compliance):
    """Walk finding 4: after 改名 the script preview says the new name, without reselecting."""
    view = _view(qtbot, library, compliance)
    type_text(qtbot, view.editor.template_edit, "这款${product}{今天|现在}有货。")
    qtbot.waitUntil(lambda: view.editor.preview is not None and view.editor.preview.distinct == 2, timeout=2000)
    old = library.get("face-cream").name
    shown = lambda: [view.editor.preview_list.item(i).text() for i in range(view.editor.preview_list.count())]  # noqa: E731
    assert all(old in line for line in shown())
    with DialogAnswerer(qtbot, ["云朵面霜"]):  # 改名 saves the product, the typed template with it
        click(qtbot, view.list_panel.rename_b)
    assert library.get("face-cream").name == "云朵面霜"
    assert shown() and all("云朵面霜" in line and old not in line for line in shown())
    assert view.editor.template() == "这款${product}{今天|现在}有货。"


def test_compliance_word_is_marked_where_it_is(qtbot, library, compliance):
    view = _view(qtbot, library, compliance)
    text = "{宝宝们|家人们}，\n这是全网最低价"
    type_text(qtbot, view.editor.template_edit, text)
    qtbot.waitUntil(lambda: any(m.kind == "compliance" for m in view.editor.markers), timeout=2000)
    hits = [m for m in view.editor.markers if m.kind == "compliance"]
    assert (hits[0].line, hits[0].col) == (2, text.split("\n")[1].index("全网") + 1)
    assert "极限词" in hits[0].message
