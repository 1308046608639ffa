import json
import os
import re

import pytest

from app import fileio as atomic
from app.content import ProductError, ProductLibrary, Templates
from app.fileio import write_text_atomic
from app.paths import bundled_data_dir
from app.text.variants import Renderer

PRODUCT = {"name": "测试面霜", "price": 89, "segments": ["opening", "urging"],
           "faq": [{"any": ["多少钱"], "reply": "{89元|八十九元}"}]}


@pytest.fixture
def lib(tmp_path):
    (tmp_path / "cream").mkdir()
    (tmp_path / "cream" / "product.json").write_text(json.dumps(PRODUCT, ensure_ascii=False), "utf-8")
    library = ProductLibrary(tmp_path, check_interval=0)
    library.save_segment("cream", "opening", base="欢迎来到直播间。", template="{欢迎|你好}来到直播间。")
    return library


def test_segments_load_in_configured_order_with_base_and_template(lib):
    lib.save_segment("cream", "extra", template="{多|少}说一句。")
    lib.save_segment("cream", "urging", base="快下单。")  # base only: spoken as plain text
    p = lib.get("cream")
    assert [s.name for s in p.segments] == ["opening", "urging", "extra"]
    assert p.segment("opening").base == "欢迎来到直播间。"
    assert p.segment("urging").template.count() == 1
    assert Renderer(1).render(p.segment("urging").template) == "快下单。"
    assert p.price == "89" and p.faq[0].product == "cream"


def test_invalid_template_is_saved_but_flagged_and_not_speakable(lib, tmp_path):
    seg = lib.save_segment("cream", "opening", template="{欢迎|你好来到直播间。\n\n下一段")
    path = tmp_path / "cream" / "segments" / "opening.tpl.txt"
    assert path.read_text("utf-8") == "{欢迎|你好来到直播间。\n\n下一段"  # nothing typed is lost
    assert not seg.speakable and seg.errors
    assert lib.get("cream").speakable_segments == ()
    assert any(line.startswith(f"{path}:2:1: paragraph break") for line in lib.problems())


def test_interrupted_save_leaves_the_previous_file_intact(lib, tmp_path, monkeypatch):
    path = tmp_path / "cream" / "segments" / "opening.tpl.txt"
    before = path.read_text("utf-8")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError):
        lib.save_segment("cream", "opening", template="新内容")
    assert path.read_text("utf-8") == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_write_is_atomic_even_when_the_writer_raises_midway(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    write_text_atomic(target, "旧")
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(target, "新" * 10000)
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)
    assert target.read_text("utf-8") == "旧"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_files_edited_outside_the_app_are_picked_up(lib, tmp_path):
    assert lib.get("cream").segment("opening").template.count() == 2
    path = tmp_path / "cream" / "segments" / "opening.tpl.txt"
    path.write_text("{一|二|三}", "utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert lib.get("cream").segment("opening").template.count() == 3
    (tmp_path / "cream" / "product.json").write_text(json.dumps(dict(PRODUCT, name="新名字")), "utf-8")
    assert lib.get("cream").name == "新名字"


def test_bad_product_json_names_the_file_and_every_problem(lib, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "product.json").write_text('{"name": "x",\n "price": }', "utf-8")
    err = lib.errors()["bad"]
    assert re.match(rf"{re.escape(str(bad / 'product.json'))}:2:11: JSON 格式错误", str(err))
    (bad / "product.json").write_text(json.dumps({"price": True, "faq": [{"any": [], "reply": "x"}]},
                                                 indent=2), "utf-8")
    lib.refresh(force=True)
    lines = lib.errors()["bad"].problems
    path = bad / "product.json"
    assert f"{path}:1: 'name'（商品名）必须是非空的文字" in lines  # absent: the file's first line
    assert any(line.startswith(f"{path}:2: 'price'") for line in lines)
    assert any(line.startswith(f"{path}:4: faq[0]") for line in lines)
    assert [p.slug for p in lib.products()] == ["cream"]  # the good product still loads


def test_save_product_refuses_invalid_data_and_keeps_the_file(lib, tmp_path):
    before = (tmp_path / "cream" / "product.json").read_text("utf-8")
    with pytest.raises(ProductError, match="'name'"):
        lib.save_product("cream", {"name": "", "price": 1})
    assert (tmp_path / "cream" / "product.json").read_text("utf-8") == before
    p = lib.save_product("cream", dict(PRODUCT, price="99元"))
    assert p.price == "99元"


def test_reaction_templates_render_with_variables_and_report_bad_files(tmp_path):
    (tmp_path / "gift_thanks.txt").write_text("{谢谢|感谢}${nickname}的${count}个${gift}\n", "utf-8")
    (tmp_path / "broken.txt").write_text("{a|b", "utf-8")
    t = Templates(tmp_path, seed=1, check_interval=0)
    out = t.render("gift_thanks", nickname="小明", gift="小心心", count=3)
    assert out in ("谢谢小明的3个小心心", "感谢小明的3个小心心")
    assert t.render("gift_thanks", nickname="小明", gift="小心心", count=3) != out
    assert t.problems() == [f"{tmp_path / 'broken.txt'}:1:1: unclosed '{{'"]
    with pytest.raises(LookupError, match="broken.txt:1:1"):
        t.render("broken")


# ---- the shipped demo content -------------------------------------------------------------------

EXTREME = ["最", "第一", "唯一", "国家级", "顶级", "绝对", "100%", "万能", "特效", "永久", "全网最低",
           "万人疯抢", "错过再等一年", "治疗", "药", "祛", "根治", "京东", "淘宝", "拼多多"]


def test_demo_products_are_valid_rich_and_avoid_extreme_words():
    lib = ProductLibrary(bundled_data_dir() / "products", check_interval=0)
    assert lib.problems() == []
    products = lib.products()
    assert [p.slug for p in products] == ["face-cream", "snack", "tshirt"]
    for p in products:
        assert p.facts and len(p.faq) >= 5 and len(p.segments) >= 3
        topics = " ".join(r.id for r in p.faq)
        for topic in ("price", "ship", "after-sales"):
            assert topic in topics
        for seg in p.segments:
            assert seg.speakable, seg.error_lines()
            assert seg.template.count() >= 1_000_000, (p.slug, seg.name)
            assert seg.base.strip()
            texts = [seg.template_text, seg.base] + list(Renderer(1).render(seg.template, p.template_values())
                                                           for _ in range(3))
            for word in EXTREME:
                assert not any(word in t for t in texts), (p.slug, seg.name, word)
        for rule in p.faq:
            assert not any(w in rule.reply for w in EXTREME)
        assert not any(w in p.facts_text() for w in EXTREME)
    m = lib.matcher()
    assert m.match("这个多少钱", product="snack").id == "snack-price"
    assert m.match("什么时候发货", product="tshirt").id == "tee-shipping"


def test_demo_reaction_templates_are_valid_and_timed_tasks_load():
    t = Templates(bundled_data_dir() / "templates", seed=2)
    assert t.problems() == []
    for name in ("gift_thanks", "welcome", "follow_thanks", "like_milestone", "filler", "bridge",
                 "follow_reminder", "time_report", "coupon_reminder", "self_intro"):
        assert t.has(name)
        assert not any(w in t.text(name) for w in EXTREME)
    assert {task.name for task in t.timed_tasks()} >= {"follow_reminder", "time_report"}
