"""Issue 18.3: a nickname is cut to a speakable length before it reaches a template (a
2,000-character nickname made a 700 s thank-you)."""

from __future__ import annotations

from app import config, wiring
from app.reply.lines import cut_nickname
from app.reply.policy import ReplyPolicy
from app.reply.settings import ReplySettings
from tests.unit.reply.helpers import comment, enter, gift, jobs, speech, user

T0 = 1000.0
LONG = "超长昵称" * 500  # 2,000 characters


def test_a_2000_character_nickname_is_thanked_with_its_first_12_characters():
    p = ReplyPolicy(settings=ReplySettings())
    p.handle(gift(user(nickname=LONG), 1), now=T0)
    (s,) = speech(p.tick(now=T0 + 5))
    assert s.text == f"感谢{LONG[:12]}送的1个小心心"


def test_the_limit_follows_the_setting_live_and_applies_to_batches_and_llm_jobs():
    p = ReplyPolicy(settings=ReplySettings(max_nickname_chars=4, llm_enabled=True, welcome_min_interval_s=0))
    for i in range(2):
        p.handle(enter(user(f"e{i}", f"{i}号观众的很长的名字")), now=T0)
    (welcome,) = speech(p.tick(now=T0 + 10))
    assert "0号观众" in welcome.text and "0号观众的" not in welcome.text and "1号观众" in welcome.text
    (job,) = jobs(p.handle(comment(user("q", LONG), "怎么用？"), now=T0 + 11))
    assert job.nickname == LONG[:4]
    p.update_settings(ReplySettings(max_nickname_chars=6))
    p.handle(gift(user("g", LONG), 1), now=T0 + 20)
    (s,) = speech(p.tick(now=T0 + 30))
    assert f"感谢{LONG[:6]}送" in s.text


def test_masking_sees_the_whole_name_before_the_cut():
    seen = []
    p = ReplyPolicy(mask_nickname=lambda n: seen.append(n) or n, settings=ReplySettings(max_nickname_chars=3))
    p.handle(gift(user(nickname="一二三四五"), 1), now=T0)
    (s,) = speech(p.tick(now=T0 + 5))
    assert seen == ["一二三四五"] and s.text.startswith("感谢一二三送")


def test_cut_leaves_no_line_break_or_dangling_joiner():
    assert cut_nickname("小\n王\t\t同学", 12) == "小 王 同学"
    family = "👨\u200d👩\u200d👧"
    assert cut_nickname("ab" + family, 4) == "ab👨"  # the joiner after the man is not left hanging
    assert cut_nickname("e\u0301" * 3, 1) == "e"


def test_config_option_reaches_the_reply_settings(tmp_path):
    ini = tmp_path / "config.ini"
    ini.write_text("[reply]\nmax_nickname_chars = 5\n", encoding="utf-8")
    assert wiring.reply_settings(config.load(ini), llm_enabled=False).max_nickname_chars == 5
    ini.write_text("[reply]\nmax_nickname_chars = 0\n", encoding="utf-8")
    try:
        config.load(ini)
    except config.ConfigErrors as exc:
        assert "max_nickname_chars" in exc.errors[0]
    else:
        raise AssertionError("0 characters was accepted")
