"""Adding and removing a [voice.NAME] section: the rest of the file is untouched, the result
validates, and a removed voice can be found again in config.deleted.ini."""

from __future__ import annotations

import pytest

from app import config

FILE = """\
; 我的直播间
[tts]
servers = http://10.0.0.5:9880
voices = alice, bob   # 轮换这两个

# 甜美女声
[voice.alice]
gpt_weights = GPT_weights/alice.ckpt
ref_audio = refs/alice.wav
prompt_text = 你好呀宝宝们
speed = 1.1

[voice.bob]
# 低沉男声
gpt_weights = GPT_weights/bob.ckpt
prompt_text = 欢迎来到直播间

# ==== 房间 ====
[reply]
welcome_batch_window_s = 8
"""


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "config.ini"
    p.write_text(FILE, encoding="utf-8")
    config.load(p)  # the starting file is valid
    return p


def test_add_copies_an_existing_voice_and_keeps_the_rest_of_the_file(path):
    assert config.add_instance(path, "voice", "carol", copy_from="alice") == "voice.carol"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(FILE)  # nothing above was touched
    snap = config.load(path)
    carol = snap.instances("voice")["carol"]
    assert carol.gpt_weights == "GPT_weights/alice.ckpt" and carol.speed == 1.1
    assert carol.prompt_text == "你好呀宝宝们"
    assert list(snap.instances("voice")) == ["alice", "bob", "carol"]


def test_add_without_a_source_writes_the_defaults(path):
    config.add_instance(path, "voice", "new-1")
    snap = config.load(path)
    assert snap.instances("voice")["new-1"].speed == 1.0
    assert "[voice.new-1]\nenabled = true\n" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name, message", [
    ("alice", "[voice.alice] already exists"),
    ("有 空格", "letters, digits, _ or -"),
    ("", "letters, digits, _ or -"),
])
def test_add_refuses_a_bad_or_taken_name_and_leaves_the_file_alone(path, name, message):
    with pytest.raises(config.ConfigErrors) as caught:
        config.add_instance(path, "voice", name)
    assert message in str(caught.value)
    assert path.read_text(encoding="utf-8") == FILE


def test_remove_takes_out_the_section_and_its_name_from_the_rotation(path):
    removed = config.remove_instance(path, "voice", "alice")
    assert removed.startswith("[voice.alice]\n") and "prompt_text = 你好呀宝宝们" in removed
    text = path.read_text(encoding="utf-8")
    assert "[voice.alice]" not in text and "你好呀宝宝们" not in text
    assert "voices = bob   # 轮换这两个" in text  # the operator's inline comment survives
    assert "# ==== 房间 ====" in text and "# 低沉男声" in text
    snap = config.load(path)  # still valid: the rotation no longer names a missing voice
    assert list(snap.instances("voice")) == ["bob"] and snap.get("tts", "voices") == ("bob",)
    kept = (path.parent / "config.deleted.ini").read_text(encoding="utf-8")
    assert "[voice.alice]" in kept and "ref_audio = refs/alice.wav" in kept


def test_removing_the_last_section_keeps_the_comment_that_introduces_the_next(path):
    config.remove_instance(path, "voice", "bob")
    text = path.read_text(encoding="utf-8")
    assert "[voice.bob]" not in text and "欢迎来到直播间" not in text
    assert "# ==== 房间 ====\n[reply]" in text
    assert config.load(path).get("tts", "voices") == ("alice",)
    config.remove_instance(path, "voice", "alice")
    kept = (path.parent / "config.deleted.ini").read_text(encoding="utf-8")
    assert kept.index("[voice.bob]") < kept.index("[voice.alice]")  # appended, never overwritten


def test_remove_of_a_missing_voice_or_a_fixed_section_is_an_error(path):
    with pytest.raises(config.ConfigErrors, match=r"\[voice.zoe\]: no such section"):
        config.remove_instance(path, "voice", "zoe")
    with pytest.raises(config.ConfigErrors, match="not a section that can repeat"):
        config.remove_instance(path, "tts", "x")
    assert path.read_text(encoding="utf-8") == FILE
