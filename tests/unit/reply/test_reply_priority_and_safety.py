"""Dynamic priority (design §5), nickname masking, the text filter and templates."""

from __future__ import annotations

import pytest

from app.events import Priority
from app.reply import ReplyPolicy, ReplySettings, SettingsError
from app.text.prepare import TextPreparer
from tests.unit.reply.helpers import Faq, comment, drops, enter, gift, jobs, like, speech, user
from tests.word_lists import CheckedTexts

T0 = 1_700_000_000.0


def thanks_priority(p: ReplyPolicy, u) -> int:
    p.handle(gift(u, 1), now=T0)
    (s,) = speech(p.tick(now=T0 + 10))
    return s.priority


def test_level_bonus_uses_the_higher_of_wealth_and_fans_club_level_capped_at_3():
    s = ReplySettings(level_bonus_divisor=10, level_bonus_max=3, large_gift_diamonds=1000)
    assert thanks_priority(ReplyPolicy(settings=s), user(pay_level=9)) == Priority.GIFT_NORMAL
    assert thanks_priority(ReplyPolicy(settings=s), user(pay_level=12)) == Priority.GIFT_NORMAL - 1
    assert thanks_priority(ReplyPolicy(settings=s), user(fans_club_level=25)) == Priority.GIFT_NORMAL - 2
    # capped at 3 levels, and never as urgent as a buyer's question
    assert thanks_priority(ReplyPolicy(settings=s), user(pay_level=60)) == Priority.COMMENT_IMPORTANT + 1


def test_bonuses_never_make_a_small_gift_outrank_a_question_or_a_large_gift():
    p = ReplyPolicy(settings=ReplySettings(activity_bonus_divisor=1, large_gift_diamonds=1000))
    rich = user(pay_level=60)  # level bonus 3
    p.handle(gift(rich, 1), now=T0)
    p.handle(gift(rich, 1), now=T0 + 0.1)  # 2 events: activity bonus 2 → 3 - 5 = -2
    (s,) = speech(p.tick(now=T0 + 10))
    assert s.priority == Priority.COMMENT_IMPORTANT + 1


def test_activity_bonus_counts_the_viewers_events_in_the_session():
    s = ReplySettings(activity_bonus_divisor=10, activity_bonus_max=2, user_cooldown_s=0,
                      duplicate_window_s=0, llm_enabled=True, replies_per_minute=0, answer_wait_max_s=600.0,
                      answer_share_max=1.0)
    p = ReplyPolicy(settings=s)
    fan = user("fan")
    for i in range(9):
        p.handle(like(fan, 1, i + 1), now=T0)
    (job,) = jobs(p.handle(comment(fan, "怎么买？"), now=T0))  # 10th event: bonus 1
    assert job.priority == Priority.COMMENT_IMPORTANT - 1
    for i in range(40):
        p.handle(like(fan, 1, 100 + i), now=T0)
    (job,) = jobs(p.handle(comment(fan, "怎么退？"), now=T0))  # 51 events: capped at 2
    assert job.priority == Priority.COMMENT_IMPORTANT - 2
    (job,) = jobs(p.handle(comment(user("new"), "怎么退？"), now=T0))
    assert job.priority == Priority.COMMENT_IMPORTANT


def test_priority_settings_apply_live():
    p = ReplyPolicy(settings=ReplySettings(large_gift_diamonds=100))
    u = user("u", "大哥")
    assert speech(p.handle(gift(u, 1, diamonds=50), now=T0)) == []
    p.tick(now=T0 + 5)
    p.update_settings(ReplySettings(large_gift_diamonds=50))
    p.handle(gift(u, 1, diamonds=50), now=T0 + 6)
    (s,) = speech(p.tick(now=T0 + 8))
    assert s.priority == Priority.GIFT_LARGE


def test_nicknames_are_masked_before_being_spoken():
    p = ReplyPolicy(mask_nickname=lambda n: n[0] + "*", settings=ReplySettings(llm_enabled=True))
    p.handle(gift(user(nickname="张三丰"), 1), now=T0)
    assert [s.text for s in speech(p.tick(now=T0 + 5))] == ["感谢张*送的1个小心心"]
    (job,) = jobs(p.handle(comment(user("q", "李四"), "怎么用？"), now=T0))
    assert job.nickname == "李*"


def test_filter_applies_and_a_rejected_nickname_falls_back_to_the_generic_name(tmp_path):
    checked = CheckedTexts(tmp_path, {"platform.txt": "最好\n", "absolute.txt": "便宜 => 实惠\n"})  # block, replace
    p = ReplyPolicy(prepare=checked.preparer(),
                    faq=Faq({"cup": [("good", "好吗", "这款最好", 0), ("cheap", "贵", "很便宜", 0)]}),
                    settings=ReplySettings(fallback_nickname="家人", user_cooldown_s=0))
    p.set_product("cup")
    p.handle(gift(user(nickname="最好的我"), 1), now=T0)
    assert [s.text for s in speech(p.tick(now=T0 + 5))] == ["感谢家人送的1个小心心"]
    out = p.handle(comment(user(), "这个好吗"), now=T0 + 6)
    assert speech(out) == [] and [d.reason for d in drops(out)] == ["filtered"]
    (s,) = speech(p.handle(comment(user(), "贵不贵"), now=T0 + 7))
    assert s.text == "很实惠" and s.sentences == ("很实惠",), "the filter's rewrite is what is spoken"
    assert s.original == "很便宜", "and the spoken record shows what it replaced"
    assert [(h.term, h.action, h.replacement) for h in s.hits] == [("便宜", "replace", "实惠")]


def test_injected_templates_are_used_and_a_missing_one_falls_back():
    def render(name, **values):
        if name == "welcome":
            return f"热烈欢迎{values['names']}"
        raise LookupError(f"data/templates/{name}.txt: no such template")
    p = ReplyPolicy(render=render, settings=ReplySettings(welcome_batch_window_s=0.5))
    p.handle(enter(user("a", "甲")), now=T0)
    p.handle(gift(user("b", "乙"), 1), now=T0)
    texts = sorted(s.text for s in speech(p.tick(now=T0 + 5)))
    assert texts == ["感谢乙送的1个小心心", "热烈欢迎甲"]
    assert p.counters()["template_fallbacks"] == 1


def test_bad_settings_say_which_option():
    with pytest.raises(SettingsError, match="like_milestones"):
        ReplySettings(like_milestones=(5000, 1000))
    with pytest.raises(SettingsError, match="gift_window_s"):
        ReplySettings(gift_window_s=-1)
    with pytest.raises(SettingsError, match="level_bonus_divisor"):
        ReplySettings(level_bonus_divisor=0)


def test_a_failing_filter_or_mask_never_lets_unchecked_text_through():
    def broken_filter(text):
        raise RuntimeError("word list missing")

    def broken_mask(name):
        raise RuntimeError("mask broke")
    p = ReplyPolicy(prepare=TextPreparer(broken_filter))
    p.handle(gift(user(), 1), now=T0)
    out = p.tick(now=T0 + 5)
    assert speech(out) == [] and [d.reason for d in drops(out)] == ["filter_error"]
    p = ReplyPolicy(mask_nickname=broken_mask, settings=ReplySettings(fallback_nickname="家人"))
    p.handle(gift(user(nickname="真名"), 1), now=T0)
    assert [s.text for s in speech(p.tick(now=T0 + 5))] == ["感谢家人送的1个小心心"]


def test_the_bundled_reaction_templates_render_through_the_policy():
    from app import paths
    from app.content import Templates

    root = paths.bundled_data_dir() / "templates"
    assert (root / "gift_thanks.txt").is_file(), f"the bundled templates are missing from {root}"
    t = Templates(root, seed=3)
    p = ReplyPolicy(render=t.render, settings=ReplySettings(follow_window_s=1.0, welcome_batch_window_s=1.0,
                                                            like_milestones=(1000,), gift_pool_window_s=0,
                                                            thanks_share_max=1.0))
    from tests.unit.reply.helpers import follow
    p.handle(gift(user("g", "小王"), 3, name="玫瑰"), now=T0)
    p.handle(follow(user("a", "阿甲")), now=T0)
    p.handle(follow(user("b", "阿乙")), now=T0)
    p.handle(enter(user("c", "阿丙")), now=T0)
    out = p.handle(like(user("d"), 30, 1010), now=T0) + p.tick(now=T0 + 2)
    said = {s.kind: s.text for s in speech(out)}
    assert "小王" in said["gift"] and "3个玫瑰" in said["gift"]
    assert "阿甲、阿乙" in said["follow"], "a batch is thanked by every name"
    assert "阿丙" in said["welcome"] and "1000" in said["like"]
    assert p.counters()["template_fallbacks"] == 0
