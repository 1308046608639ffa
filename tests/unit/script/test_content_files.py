"""Issue 18.5 / 19.5: the operator's files are never silently dropped. A file that cannot be
read is reported with its own name and line (log + ``problems()``/``errors()``), the product
shows as broken rather than vanishing, GBK files (Notepad "ANSI" on a Chinese Windows) are
converted with a notice and a backup, and a file's final newline is not spoken."""

from __future__ import annotations

import json
import logging

import pytest

from app.content import ProductLibrary, Templates
from app.content.textfile import json_lines, read_operator_text
from app.text.variants import Renderer

PRODUCT = {"name": "保温杯", "price": "59元", "segments": ["opening", "urging"],
           "facts": {"容量": "500毫升"}}
LATIN1 = "crème brûlée à la française\n".encode("latin-1")  # neither UTF-8 nor Chinese GBK


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "cup" / "segments"
    folder.mkdir(parents=True)
    (tmp_path / "cup" / "product.json").write_text(json.dumps(PRODUCT, ensure_ascii=False, indent=2), "utf-8")
    (folder / "opening.tpl.txt").write_text("{欢迎|你好}来到直播间。", "utf-8")
    (folder / "urging.tpl.txt").write_text("{快|赶紧}下单。", "utf-8")
    return tmp_path


def test_a_gbk_product_json_is_converted_with_a_notice_and_a_backup(root, caplog):
    path = root / "cup" / "product.json"
    original = json.dumps(dict(PRODUCT, name="保温杯（GBK）"), ensure_ascii=False).encode("gbk")
    path.write_bytes(original)
    lib = ProductLibrary(root, check_interval=0)
    with caplog.at_level(logging.WARNING, logger="app.content"):
        product = lib.get("cup")
    assert product is not None and product.name == "保温杯（GBK）"
    assert json.loads(path.read_text("utf-8"))["name"] == "保温杯（GBK）"  # now UTF-8 on disk
    backup = root / "cup" / "product.json.gbk.bak"
    assert backup.read_bytes() == original  # the operator's bytes are kept
    (notice,) = lib.notices()
    assert str(path) in notice and "GBK" in notice and backup.name in notice
    assert notice in caplog.text


def test_a_gbk_segment_is_converted_and_spoken(root):
    seg = root / "cup" / "segments" / "urging.tpl.txt"
    seg.write_bytes("{现在|马上}下单，送杯套。".encode("gbk"))
    lib = ProductLibrary(root, check_interval=0)
    urging = lib.get("cup").segment("urging")
    assert urging.speakable and Renderer(1).render(urging.template).endswith("下单，送杯套。")
    assert (root / "cup" / "segments" / "urging.tpl.txt.gbk.bak").exists()
    assert any(str(seg) in n for n in lib.notices())
    assert [s.name for s in lib.get("cup").segments] == ["opening", "urging"]  # the backup is no segment


def test_an_unreadable_segment_is_blamed_on_itself_and_the_product_still_loads(root, caplog):
    seg = root / "cup" / "segments" / "urging.tpl.txt"
    seg.write_bytes("第一行没问题\n".encode() + LATIN1)
    lib = ProductLibrary(root, check_interval=0)
    with caplog.at_level(logging.WARNING, logger="app.content"):
        product = lib.get("cup")
    assert product is not None and "cup" not in lib.errors()
    urging = product.segment("urging")
    assert not urging.speakable and product.segment("opening").speakable
    (line,) = [p for p in lib.problems() if "urging" in p]
    assert line.startswith(f"{seg}:2: 不是 UTF-8 编码") and "另存为" in line
    assert "product.json" not in " ".join(lib.problems())
    assert str(seg) in caplog.text
    assert seg.read_bytes().endswith(LATIN1)  # left as it was: nothing of the operator's is lost


def test_an_unreadable_product_json_shows_as_broken_with_its_line_and_is_logged(root, caplog):
    path = root / "cup" / "product.json"
    path.write_bytes(b'{\n  "name": "' + LATIN1.strip() + b'"\n}')
    lib = ProductLibrary(root, check_interval=0)
    with caplog.at_level(logging.WARNING, logger="app.content"):
        assert lib.get("cup") is None
    assert lib.slugs() == ["cup"]  # still listed: broken, not vanished
    err = lib.errors()["cup"]
    assert str(err).startswith(f"{path}:2: 不是 UTF-8 编码")
    assert any(p.startswith(f"{path}:2:") for p in lib.problems())
    assert "cup" in caplog.text and str(path) in caplog.text


def test_wrong_types_are_reported_at_their_line_in_chinese(root):
    path = root / "cup" / "product.json"
    path.write_text('{\n  "name": "保温杯",\n  "price": 59,\n  "selling_points": ["保温", 3],\n'
                    '  "facts": {"容量": [500]},\n  "enabled": "yes"\n}\n', "utf-8")
    lib = ProductLibrary(root, check_interval=0)
    problems = lib.errors()["cup"].problems
    assert problems == [
        f"{path}:4: 'selling_points[1]' 必须是非空的文字",
        f"{path}:5: 'facts.容量' 必须是文字或数字，现在是 列表",
        f"{path}:6: 'enabled' 必须是 true 或 false",
    ]


def test_a_final_newline_is_not_part_of_the_rendering(root):
    folder = root / "cup" / "segments"
    (folder / "opening.tpl.txt").write_text("{欢迎|你好}来到直播间。\n", "utf-8")
    (folder / "urging.tpl.txt").unlink()
    (folder / "urging.base.txt").write_text("快下单。\r\n\r\n", "utf-8")  # base only, Windows endings
    lib = ProductLibrary(root, check_interval=0)
    p = lib.get("cup")
    renderer = Renderer(3)
    assert {renderer.render(p.segment("opening").template) for _ in range(4)} == {"欢迎来到直播间。", "你好来到直播间。"}
    assert renderer.render(p.segment("urging").template) == "快下单。"
    assert p.segment("opening").template_text.endswith("\n")  # the file as saved is kept for the editor


def test_reaction_templates_unreadable_or_gbk(tmp_path):
    (tmp_path / "welcome.txt").write_bytes("欢迎${nickname}来到直播间\n".encode("gbk"))
    (tmp_path / "filler.txt").write_bytes(LATIN1)
    t = Templates(tmp_path, check_interval=0)
    assert t.get("welcome").count() == 1
    assert Renderer(1).render(t.get("welcome"), {"nickname": "小王"}) == "欢迎小王来到直播间"
    assert any("welcome.txt" in n and "GBK" in n for n in t.notices())
    assert t.problems() == [f"{tmp_path / 'filler.txt'}:1:1: 不是 UTF-8 编码的文本，从这一行起无法读取。"
                            "请用记事本打开，“另存为”时编码选 UTF-8 后保存"]
    assert not t.has("filler")
    with pytest.raises(LookupError, match="filler.txt:1:1"):
        t.render("filler")


def test_timed_json_problems_name_their_line(tmp_path):
    (tmp_path / "timed.json").write_text('[\n  {"name": "关注", "template": "follow_reminder", "every_min": 5},\n'
                                         '  {"name": "坏的", "every_min": -1}\n]\n', "utf-8")
    with pytest.raises(ValueError) as exc:
        Templates(tmp_path).timed_tasks()
    assert str(exc.value).startswith(f"{tmp_path / 'timed.json'}:3: [1]: 'template'（话术模板名）")


def test_json_lines_maps_paths_to_lines():
    raw = '{\n "a": 1,\n "b": [\n  {"c": 2},\n  3\n ]\n}'
    lines = json_lines(raw)
    assert lines[("a",)] == 2 and lines[("b",)] == 3 and lines[("b", 0, "c")] == 4 and lines[("b", 1)] == 5


def test_read_operator_text_keeps_line_endings_and_drops_the_bom(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes("\ufeff一\r\n二\n".encode())
    assert read_operator_text(p) == ("一\r\n二\n", None)
