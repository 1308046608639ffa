"""Comments: filters, keyword rules before the LLM, questions, the global reply rate."""

from __future__ import annotations

from app.events import Priority
from app.reply import ReplyPolicy, ReplySettings
from tests.unit.reply.helpers import comment, drops, jobs, speech, user

T0 = 1_700_000_000.0


def price_rule(text: str, product: str | None):
    """A stand-in for the keyword matcher: one rule per product."""
    if "多少钱" in text and product == "cup":
        return ("这款杯子现在只要59元", 0)
    return None


def policy(match_rule=price_rule, product="cup", **settings) -> ReplyPolicy:
    settings.setdefault("llm_enabled", True)
    return ReplyPolicy(settings=ReplySettings(**settings), match_rule=match_rule,
                       product=product, clock=lambda: T0)


def reasons(out) -> list[str]:
    return [d.reason for d in drops(out)]


def test_keyword_rule_answers_before_the_llm():
    p = policy()
    c = comment(user(), "这个多少钱？")
    out = p.handle(c, now=T0)
    assert jobs(out) == []
    (s,) = speech(out)
    assert s.text == "这款杯子现在只要59元" and s.kind == "reply"
    assert s.source_event == c.msg_id and s.product == "cup"
    assert s.deadline == T0 + p.settings.stale_reply


def test_rule_depends_on_the_current_product():
    p = policy()
    p.set_product("shoes")
    out = p.handle(comment(user(), "这个多少钱？"), now=T0)
    assert speech(out) == [] and len(jobs(out)) == 1, "no rule for shoes: the LLM answers"
    assert jobs(out)[0].product == "shoes"


def test_question_without_rule_goes_to_the_llm_with_product_and_deadline():
    p = policy(stale_llm=45.0)
    c = comment(user("u7", "小红"), "能不能机洗")
    out = p.handle(c, now=T0)
    (job,) = jobs(out)
    assert job.question == "能不能机洗" and job.nickname == "小红"
    assert job.product == "cup" and job.source_event == c.msg_id
    assert job.deadline == T0 + 45.0 and job.priority == Priority.COMMENT_IMPORTANT


def test_question_is_ignored_with_a_reason_when_no_llm():
    p = policy(llm_enabled=False)
    out = p.handle(comment(user(), "有没有大码的"), now=T0)
    assert jobs(out) == [] and speech(out) == []
    assert reasons(out) == ["question_llm_disabled"]
    assert p.counters()["dropped"] == {"question_llm_disabled": 1}


def test_non_question_is_ignored_with_a_reason():
    p = policy()
    out = p.handle(comment(user(), "主播好漂亮"), now=T0)
    assert jobs(out) == [] and speech(out) == [] and reasons(out) == ["not_a_question"]


def test_question_heuristics():
    p = policy(replies_per_minute=0, duplicate_window=0, user_cooldown=0)
    asked = ["发货快吗", "什么材质", "几天到", "哪里发货", "可以便宜点吗", "有优惠么", "尺码?", "包邮？"]
    said = ["好看", "买了买了", "666", "支持主播"]
    for text in asked:
        assert jobs(p.handle(comment(user(), text), now=T0)), text
    for text in said:
        assert not jobs(p.handle(comment(user(), text), now=T0)), text


def test_duplicate_comment_answered_once_per_window():
    p = policy(duplicate_window=60.0, user_cooldown=0)
    first = p.handle(comment(user("a"), "怎么洗？"), now=T0)
    again = p.handle(comment(user("b"), "怎么 洗 ?? "), now=T0 + 10)  # same after normalising
    assert len(jobs(first)) == 1 and jobs(again) == [] and reasons(again) == ["duplicate"]
    later = p.handle(comment(user("c"), "怎么洗"), now=T0 + 61)
    assert len(jobs(later)) == 1


def test_per_user_cooldown():
    p = policy(user_cooldown=30.0)
    u = user("a")
    assert jobs(p.handle(comment(u, "怎么洗？"), now=T0))
    out = p.handle(comment(u, "多大尺寸"), now=T0 + 5)
    assert reasons(out) == ["user_cooldown"]
    assert jobs(p.handle(comment(user("b"), "多大尺寸"), now=T0 + 5)), "other viewers are not held back"
    assert speech(p.handle(comment(u, "这个多少钱"), now=T0 + 31)), "cooldown over"


def test_global_rate_limit_on_comment_replies_but_not_gifts():
    from tests.unit.reply.helpers import gift
    p = policy(replies_per_minute=3, user_cooldown=0)
    answered, limited = 0, 0
    for i in range(6):
        out = p.handle(comment(user(f"u{i}"), f"第{i}个问题怎么办"), now=T0 + i)
        answered += len(jobs(out))
        limited += reasons(out).count("rate_limited")
    assert (answered, limited) == (3, 3)
    p.handle(gift(user("g"), 1), now=T0 + 6)
    assert len(speech(p.tick(now=T0 + 8))) == 1, "gifts are thanked whatever the reply rate"
    assert len(jobs(p.handle(comment(user("late"), "还有货吗"), now=T0 + 60.5)))  == 1, "window slid"


def test_vip_comment_priority():
    p = policy(vip_level=30)
    out = p.handle(comment(user("v", "土豪", pay_level=35), "能开发票吗"), now=T0)
    assert jobs(out)[0].priority == Priority.USER_VIP


def test_rule_priority_and_nickname_placeholder():
    p = policy(match_rule=lambda text, product: ("${nickname}，包邮的哦", -1))
    out = p.handle(comment(user(nickname="小美"), "包邮吗"), now=T0)
    (s,) = speech(out)
    assert s.text == "小美，包邮的哦" and s.priority == -1


def test_broken_rule_matcher_still_lets_the_llm_answer():
    def broken(text, product):
        raise RuntimeError("bad rules file")
    p = policy(match_rule=broken)
    assert len(jobs(p.handle(comment(user(), "怎么用？"), now=T0))) == 1


def test_empty_comment():
    p = policy()
    assert reasons(p.handle(comment(user(), " 。。！ "), now=T0)) == ["empty_comment"]


def test_real_keyword_rules_through_the_adapter():
    from app.reply.rules import keyword_rule_matcher
    from app.text.keywords import KeywordMatcher, KeywordRule
    from app.text.variants import Renderer

    rules = KeywordMatcher([
        KeywordRule(id="price", any=("多少钱", "价格"), reply="${nickname}{你好|您好}，${product}只要${price}",
                    product="cup"),
        KeywordRule(id="ship", any=("发货",), reply="48小时内发货", priority=-1),
    ])
    values = {"cup": {"product": "保温杯", "price": "59元"}}
    match = keyword_rule_matcher(rules, Renderer(1).render, lambda slug: values.get(slug, {}))
    p = policy(match_rule=match, user_cooldown=0)
    (s,) = speech(p.handle(comment(user(nickname="小美"), "价格多少"), now=T0))
    assert s.text in ("小美你好，保温杯只要59元", "小美您好，保温杯只要59元")
    (s,) = speech(p.handle(comment(user(), "什么时候发货"), now=T0 + 1))
    assert s.text == "48小时内发货" and s.priority == -1
    p.set_product("shoes")
    assert jobs(p.handle(comment(user(), "价格多少"), now=T0 + 2)), "the cup's rule does not answer for shoes"
