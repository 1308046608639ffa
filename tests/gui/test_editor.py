"""Products & scripts: typing updates markers and preview, saving writes the files."""

from __future__ import annotations

import json

from PyQt6.QtCore import Qt

from ui.products.view import ProductsView

GOOD = "{宝宝们|家人们}，这款${product}{今天|现在}只要${price}。"


def _view(qtbot, library, compliance, **kw):
    view = ProductsView(library, compliance, **kw)
    qtbot.addWidget(view)
    view.resize(1200, 760)
    return view


def test_edit_updates_preview_and_save_writes_the_file(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    assert view.slug == "face-cream" and view.segment == "opening"
    editor = view.editor
    editor.template_edit.setPlainText(GOOD)
    assert view.dirty and "未保存" in view.status.text()
    # the preview follows once typing pauses (debounced)
    qtbot.waitUntil(lambda: editor.preview is not None and editor.preview.distinct == 4, timeout=2000)
    assert "共 4 种" in editor.count_label.text()
    shown = [editor.preview_list.item(i).text() for i in range(editor.preview_list.count())]
    assert len(shown) == 4 and len(set(shown)) == 4
    assert all("云朵保湿面霜" in s and "89元" in s for s in shown)
    assert not editor.markers

    assert view.save()
    on_disk = (products_dir / "face-cream" / "segments" / "opening.tpl.txt").read_text(encoding="utf-8")
    assert on_disk == GOOD
    assert not view.dirty and view.status.text() == ""
    assert library.get("face-cream").segment("opening").speakable


def test_invalid_template_shows_marker_at_line_col_and_is_saved_flagged(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    editor = view.editor
    editor.template_edit.setPlainText("第一行没问题。\n这里{少了|右括号")
    qtbot.waitUntil(lambda: any(m.kind == "error" for m in editor.markers), timeout=2000)
    err = next(m for m in editor.markers if m.kind == "error")
    assert (err.line, err.col) == (2, 3)
    texts = [editor.marker_list.item(i).text() for i in range(editor.marker_list.count())]
    assert any("2:3" in t for t in texts)
    assert editor.template_edit.extraSelections(), "the error is underlined in the editor"
    assert "错误" in editor.count_label.text() and editor.preview_list.count() == 0

    assert view.save()  # nothing typed is lost: saved, but flagged as not speakable
    assert "右括号" in (products_dir / "face-cream/segments/opening.tpl.txt").read_text(encoding="utf-8")
    assert notices[-1][0] == "warning" and "不会播出" in notices[-1][1]
    assert not library.get("face-cream").segment("opening").speakable


def test_compliance_word_is_marked_where_it_is(qtbot, library, compliance):
    view = _view(qtbot, library, compliance)
    text = "{宝宝们|家人们}，\n这是全网最低价"
    view.editor.template_edit.setPlainText(text)
    view.editor.run_checks()
    hits = [m for m in view.editor.markers if m.kind == "compliance"]
    assert hits and (hits[0].line, hits[0].col) == (2, text.split("\n")[1].index("全网") + 1)
    assert "极限词" in hits[0].message


def test_product_facts_and_faq_round_trip(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    view.form.price.setText("79元")
    view.faq.add_rule({"id": "cream-gift", "any": ["赠品", "送什么"], "reply": "{下单|拍下}送小样{哦|}。"})
    assert view.dirty
    assert view.save()
    data = json.loads((products_dir / "face-cream/product.json").read_text(encoding="utf-8"))
    assert data["price"] == "79元"
    assert data["faq"][-1] == {"id": "cream-gift", "any": ["赠品", "送什么"], "priority": 0,
                               "reply": "{下单|拍下}送小样{哦|}。"}
    assert data["facts"]["净含量"] == "50克"  # untouched rows survive
    assert library.get("face-cream").price == "79元"


def test_bad_product_data_is_not_saved(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    before = (products_dir / "face-cream/product.json").read_text(encoding="utf-8")
    view.form.name.setText("")
    assert not view.save()
    assert view.problem_label.isVisibleTo(view) and "name" in view.problem_label.text()
    assert (products_dir / "face-cream/product.json").read_text(encoding="utf-8") == before


def test_add_duplicate_reorder_delete(qtbot, library, compliance, products_dir):
    view = _view(qtbot, library, compliance)
    slug = view.add_product("夏季防晒霜")
    assert slug and (products_dir / slug / "product.json").exists()
    assert view.slug == slug and library.get(slug).name == "夏季防晒霜"
    copy = view.duplicate_product()
    assert library.get(copy).name == "夏季防晒霜 副本"
    assert library.slugs().index(copy) == library.slugs().index(slug) + 1
    view.move_product(-1)
    assert library.slugs().index(copy) == library.slugs().index(slug) - 1
    order = json.loads((products_dir / "library.json").read_text(encoding="utf-8"))["order"]
    assert order.index(copy) < order.index(slug)
    view.delete_product(confirm=False)
    assert copy not in library.slugs()
    assert any(p.name.startswith(copy) for p in (products_dir / ".trash").iterdir())


def test_switching_product_with_unsaved_edits_asks(qtbot, library, compliance, monkeypatch):
    view = _view(qtbot, library, compliance)
    view.editor.template_edit.setPlainText(GOOD)
    asked = []
    monkeypatch.setattr(view, "maybe_save", lambda: asked.append(1) or False)
    view.product_list.setCurrentRow(1)
    assert asked and view.slug == "face-cream"
    assert view.product_list.currentItem().data(Qt.ItemDataRole.UserRole) == "face-cream"
    assert view.editor.template() == GOOD
