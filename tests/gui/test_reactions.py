"""互动话术: welcome/thanks lines and timed reminders, edited with the script editor, checked
before save, saved to the files the runtime reads (driven with clicks and typing)."""

from __future__ import annotations

import json
import shutil

import pytest

from app import paths
from tests.gui.dialogs import DialogAnswerer, close_answering
from tests.gui.ui_driving import click, click_row, row_of, type_text
from ui.reactions.view import ReactionsView


@pytest.fixture
def templates(tmp_path):
    from app.content.templates import Templates

    root = tmp_path / "templates"
    shutil.copytree(paths.bundled_data_dir() / "templates", root)
    return Templates(root, check_interval=0.0)


def _view(qtbot, templates, compliance):
    view = ReactionsView(templates, compliance)
    qtbot.addWidget(view, before_close_func=lambda w: close_answering(qtbot, w))
    view.resize(1200, 760)
    view.show()
    return view


def test_a_reaction_line_is_edited_with_preview_and_checked_before_save(qtbot, templates, compliance):
    view = _view(qtbot, templates, compliance)
    before = (templates.root / "welcome.txt").read_text(encoding="utf-8")
    click_row(qtbot, view.items, row_of(view.items, "欢迎进场"))
    assert view.title.text() == "欢迎进场" and "${names}" in view.about.text()
    assert view.editor.template() == before
    type_text(qtbot, view.editor.template_edit, "{欢迎|热烈欢迎}${names}来到直播间{！|")
    qtbot.waitUntil(lambda: any(m.kind == "error" for m in view.editor.markers), timeout=2000)
    click_row(qtbot, view.items, row_of(view.items, "感谢关注"))  # away and back: the edit stays
    click_row(qtbot, view.items, row_of(view.items, "欢迎进场"))
    assert view.editor.template().endswith("{！|")
    click(qtbot, view.save_b)
    assert (templates.root / "welcome.txt").read_text(encoding="utf-8") == before
    assert any("互动话术“欢迎进场” 第 1 行第 23 列：“{”没有闭合" in p for p in view.problem_list.texts()), \
        view.problem_list.texts()

    type_text(qtbot, view.editor.template_edit, "{欢迎|热烈欢迎}${names}来到直播间{！|～}")
    qtbot.waitUntil(lambda: view.editor.preview is not None and view.editor.preview.distinct == 4, timeout=2000)
    assert all("小美" in view.editor.preview_list.item(i).text() for i in range(4))  # sample names
    click(qtbot, view.save_b)
    assert templates.text("welcome") == "{欢迎|热烈欢迎}${names}来到直播间{！|～}"  # what the runtime reads
    assert not view.dirty and not view.problem_list.isVisible()


def test_a_new_timed_reminder_is_checked_and_saved_for_the_runtime(qtbot, templates, compliance):
    view = _view(qtbot, templates, compliance)
    before = json.loads((templates.root / "timed.json").read_text(encoding="utf-8"))
    click(qtbot, view.add_timed_b)
    assert view.title.text() == "定时提醒：新提醒" and "【待填写" in view.editor.template()
    click(qtbot, view.save_b)  # the placeholder is still there
    assert any("定时提醒第 4 条“新提醒” · 内容 第 1 行第 1 列：还有待替换的提示" in p for p in view.problem_list.texts())
    assert json.loads((templates.root / "timed.json").read_text(encoding="utf-8")) == before

    type_text(qtbot, view.timed_form.name, "收藏提醒")
    type_text(qtbot, view.editor.template_edit, "{喜欢的|觉得不错的}话{点个收藏|收藏一下}{|哦}。")
    type_text(qtbot, view.timed_form.at, "20:30, 21:30")
    click(qtbot, view.save_b)
    saved = json.loads((templates.root / "timed.json").read_text(encoding="utf-8"))
    assert saved[:3] == before
    assert saved[3] == {"name": "收藏提醒", "text": "{喜欢的|觉得不错的}话{点个收藏|收藏一下}{|哦}。", "every_min": 10,
                        "at": ["20:30", "21:30"], "priority": 5}
    task = templates.timed_tasks()[3]  # the runtime's own loader accepts it
    assert task.every_s == 600 and task.at == ((20, 30), (21, 30))
    assert "收藏提醒（每 10 分钟）" in view.items.currentItem().text()


def test_a_bad_clock_time_is_refused_and_a_reminder_is_deleted_after_asking(qtbot, templates, compliance):
    view = _view(qtbot, templates, compliance)
    click_row(qtbot, view.items, row_of(view.items, "报时（20:00"))
    assert view.title.text() == "定时提醒：报时" and "“报时”" in view.about.text()  # it says the 报时 line
    type_text(qtbot, view.timed_form.at, "20:00, 25:00")
    click(qtbot, view.save_b)
    assert any("定点时间“25:00”的格式不对" in p for p in view.problem_list.texts())
    with DialogAnswerer(qtbot, ["放弃修改"]):
        click(qtbot, view.revert_b)
    click_row(qtbot, view.items, row_of(view.items, "优惠券提醒（每"))
    with DialogAnswerer(qtbot, ["取消"]):
        click(qtbot, view.del_timed_b)
    assert any("优惠券提醒（每" in view.items.item(i).text() for i in range(view.items.count()))
    with DialogAnswerer(qtbot, ["删除"]):
        click(qtbot, view.del_timed_b)
    assert not any("优惠券提醒（每" in view.items.item(i).text() for i in range(view.items.count()))
    click(qtbot, view.save_b)
    assert [t.name for t in templates.timed_tasks()] == ["follow_reminder", "time_report"]


def test_the_preview_has_a_sample_for_every_variable_a_template_may_use():
    from app.text.variants.syntax import KNOWN_VARIABLES
    from ui.products.checks import SAMPLE_VALUES, preview_for

    assert KNOWN_VARIABLES - set(SAMPLE_VALUES) <= {"time", "date", "segment"}  # those are made at preview
    text = "".join(f"${{{name}}}" for name in sorted(KNOWN_VARIABLES))
    assert preview_for(text, {}).renderings  # no variable is missing from the preview


def test_every_entry_of_the_list_fits_its_column(qtbot, templates, compliance):
    """Walk finding 10: 报时（20:00、21:00、22:00、23:00） was cut at the list's edge; the
    list names the first times and how many, the tooltip all of them."""
    view = _view(qtbot, templates, compliance)
    qtbot.wait(50)
    lw = view.items
    width = lw.viewport().width()
    for i in range(lw.count()):
        item = lw.item(i)
        assert lw.fontMetrics().horizontalAdvance(item.text()) + 8 <= width, item.text()
    report = lw.item(row_of(lw, "报时（"))
    assert report.text().strip() == "报时（20:00、21:00 等 4 个）"
    assert report.toolTip() == "报时（20:00、21:00、22:00、23:00）"
