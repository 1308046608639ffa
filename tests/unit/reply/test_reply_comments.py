"""Comments: filters, keyword rules before the LLM, questions, the global reply rate."""

from __future__ import annotations

from app.events import PrefetchSpeech, Priority, User
from app.reply import ReplyPolicy, ReplySettings
from tests.unit.reply.helpers import Faq, comment, drops, jobs, seen, speech, user

T0 = 1_700_000_000.0

PRICE = Faq({"cup": [("cup-price", "多少钱", "这款杯子现在只要59元", 0)]})


def policy(faq=PRICE, product="cup", **settings) -> ReplyPolicy:
    settings.setdefault("llm_enabled", True)
    settings.setdefault("answer_wait_max_s", 600.0)  # the answer queue limit has a test of its own
    p = ReplyPolicy(settings=ReplySettings(**settings), faq=faq, clock=lambda: T0)
    p.set_product(product)  # what a ProductOnAir does
    return p


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
    assert s.deadline == T0 + p.settings.stale_reply_s
    assert (s.viewer, s.comment) == ("小明", "这个多少钱？")  # for the spoken record
    (q,) = seen(out)
    assert (q.msg_id, q.answer, q.answer_id, q.viewer) == (c.msg_id, "rule", s.id, "小明")


def test_rule_depends_on_the_current_product():
    p = policy()
    p.set_product("shoes")
    out = p.handle(comment(user(), "这个多少钱？"), now=T0)
    assert speech(out) == [] and len(jobs(out)) == 1, "no rule for shoes: the LLM answers"
    assert jobs(out)[0].product == "shoes"


def test_question_without_rule_goes_to_the_llm_with_product_and_deadline():
    p = policy(stale_llm_s=45.0)
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
    (q,) = seen(out)
    assert (q.answer, q.reason) == ("none", "question_llm_disabled")  # the operator sees why


def test_non_question_is_ignored_with_a_reason():
    p = policy()
    out = p.handle(comment(user(), "主播好漂亮"), now=T0)
    assert jobs(out) == [] and speech(out) == [] and reasons(out) == ["not_a_question"]
    assert seen(out) == []  # not a question: not on the operator's question list


def test_question_heuristics():
    p = policy(replies_per_minute=0, duplicate_window_s=0, user_cooldown_s=0, answer_share_max=1.0)
    asked = ["发货快吗", "什么材质", "几天到", "哪里发货", "可以便宜点吗", "有优惠么", "尺码?", "包邮？"]
    said = ["好看", "买了买了", "666", "支持主播"]
    for text in asked:
        assert jobs(p.handle(comment(user(), text), now=T0)), text
    for text in said:
        assert not jobs(p.handle(comment(user(), text), now=T0)), text


def test_duplicate_comment_answered_once_per_window():
    p = policy(duplicate_window_s=60.0, user_cooldown_s=0)
    first = p.handle(comment(user("a"), "怎么洗？"), now=T0)
    again = p.handle(comment(user("b"), "怎么 洗 ?? "), now=T0 + 10)  # same after normalising
    assert len(jobs(first)) == 1 and jobs(again) == [] and reasons(again) == ["duplicate"]
    later = p.handle(comment(user("c"), "怎么洗"), now=T0 + 61)
    assert len(jobs(later)) == 1


def test_per_user_cooldown():
    p = policy(user_cooldown_s=30.0, answer_share_max=1.0)
    u = user("a")
    assert jobs(p.handle(comment(u, "怎么洗？"), now=T0))
    out = p.handle(comment(u, "多大尺寸"), now=T0 + 5)
    assert reasons(out) == ["user_cooldown"]
    assert jobs(p.handle(comment(user("b"), "多大尺寸"), now=T0 + 5)), "other viewers are not held back"
    assert speech(p.handle(comment(u, "这个多少钱"), now=T0 + 31)), "cooldown over"


def test_global_rate_limit_on_comment_replies_but_not_gifts():
    from tests.unit.reply.helpers import gift
    p = policy(replies_per_minute=3, user_cooldown_s=0, answer_share_max=1.0)
    answered, limited = 0, 0
    for i in range(6):
        out = p.handle(comment(user(f"u{i}"), f"第{i}个问题怎么办"), now=T0 + i)
        answered += len(jobs(out))
        limited += reasons(out).count("rate_limited")
    assert (answered, limited) == (3, 3)
    p.handle(gift(user("g"), 1), now=T0 + 6)
    assert len(speech(p.tick(now=T0 + 6 + 1.5 + 3.0))) == 1, "gifts are thanked whatever the reply rate"
    assert len(jobs(p.handle(comment(user("late"), "还有货吗"), now=T0 + 60.5)))  == 1, "window slid"


def test_vip_comment_priority():
    p = policy(vip_user_level=30)
    out = p.handle(comment(user("v", "土豪", pay_level=35), "能开发票吗"), now=T0)
    assert jobs(out)[0].priority == Priority.USER_VIP


def test_rule_priority_and_nickname_placeholder():
    p = policy(Faq({"cup": [("ship", "包邮", "${nickname}，包邮的哦", -1)]}))
    out = p.handle(comment(user(nickname="小美"), "包邮吗"), now=T0)
    (s,) = speech(out)
    assert s.text == "小美，包邮的哦" and s.priority == -1


def test_broken_rule_matcher_still_lets_the_llm_answer():
    p = policy(Faq({}, broken=True))
    assert len(jobs(p.handle(comment(user(), "怎么用？"), now=T0))) == 1


def test_empty_comment():
    p = policy()
    assert reasons(p.handle(comment(user(), " 。。！ "), now=T0)) == ["empty_comment"]


def test_real_keyword_rules_through_the_library_adapter():
    from app.reply.answers import LibraryFaq
    from app.text.keywords import KeywordMatcher, KeywordRule
    from app.text.variants import Renderer

    rules = [KeywordRule(id="price", any=("多少钱", "价格"), reply="${nickname}{你好|您好}，${product}只要${price}",
                         product="cup"),
             KeywordRule(id="ship", any=("发货",), reply="48小时内发货", priority=-1)]
    matcher = KeywordMatcher(rules)
    values = {"cup": {"product": "保温杯", "price": "59元"}}
    faq = LibraryFaq(lambda: matcher, Renderer(1).render, lambda slug: values.get(slug, {}),
                     lambda slug: [r for r in rules if r.product in (None, slug)])
    p = policy(faq, user_cooldown_s=0)
    (s,) = speech(p.handle(comment(user(nickname="小美"), "价格多少"), now=T0))
    assert s.text in ("小美你好，保温杯只要59元", "小美您好，保温杯只要59元")
    (s,) = speech(p.handle(comment(user(), "什么时候发货"), now=T0 + 1))
    assert s.text == "48小时内发货" and s.priority == -1
    p.set_product("shoes", now=T0 + 2)
    assert jobs(p.handle(comment(user(), "价格多少"), now=T0 + 2)), "the cup's rule does not answer for shoes"


# ---- buyers first: answers ready ahead, joined, budgeted ------------------------------------


def test_the_faq_answers_of_the_product_on_air_are_synthesised_ahead():
    faq = Faq({"cup": [("price", "多少钱", "这款杯子现在只要59元。", 0),
                       ("ship", "发货", "${nickname}，48小时内发货。下单就送运费险。", 0)],
               "tea": [("tea-price", "多少钱", "这盒茶叶128元。", 0)]})
    p = policy(faq, product=None)
    out = p.set_product("cup", now=T0)
    (ahead,) = [e for e in out if isinstance(e, PrefetchSpeech)]
    assert set(ahead.texts) == {"这款杯子现在只要59元。", "下单就送运费险。"}  # the viewer's name cannot be said ahead
    assert set(ahead.sentences) == {"这款杯子现在只要五十九元。", "下单就送运费险。"}  # as TTS will say them
    (s,) = speech(p.handle(comment(user(), "多少钱"), now=T0 + 1))
    assert s.text == "这款杯子现在只要59元。"  # one of the readings prepared ahead
    assert s.sentences == ("这款杯子现在只要五十九元。",), "the very sentence synthesised ahead: a cache hit"
    (ship,) = speech(p.handle(comment(user("c"), "什么时候发货"), now=T0 + 1))
    assert ship.sentences == ("小明，四十八小时内发货。", "下单就送运费险。")  # the second one from the cache
    out = p.set_product("tea", now=T0 + 2)
    assert [e.texts for e in out if isinstance(e, PrefetchSpeech)] == [("这盒茶叶128元。",)]
    assert speech(p.handle(comment(user("b"), "多少钱"), now=T0 + 3))[0].text == "这盒茶叶128元。"


def test_a_second_buyer_asking_the_same_joins_the_answer_waiting_to_be_played():
    p = policy(user_cooldown_s=0)
    first = p.handle(comment(user("a", "甲"), "这个多少钱"), now=T0)
    (answer,) = speech(first)
    again = p.handle(comment(user("b", "乙"), "多少钱呀"), now=T0 + 2)
    assert speech(again) == [] and drops(again) == []
    (q,) = seen(again)
    assert (q.answer, q.answer_id, q.viewer) == ("rule", answer.id, "乙")  # answered by the same line
    from app.events import PlaybackStarted
    p.on_player_event(PlaybackStarted(id=answer.id, kind="reply", text=answer.text, priority=0, duration_s=4.0))
    later = p.handle(comment(user("c", "丙"), "多少钱"), now=T0 + 4)
    assert len(speech(later)) == 1, "once it is being heard, a new asker gets an answer of their own"


def test_answers_have_an_airtime_budget_that_the_operator_sets():
    answered, limited = [], []
    faq = Faq({"cup": [(f"r{i}", f"问题{i}", "这个问题的回答大概要说四五秒钟的样子", 0) for i in range(5)]})
    p = policy(faq, answer_share_max=0.1, user_cooldown_s=0, duplicate_window_s=0, replies_per_minute=0)  # 6 s a minute
    for i in range(5):
        out = p.handle(comment(user(f"u{i}"), f"问题{i}"), now=T0 + i)
        answered += speech(out)
        limited += [q for q in seen(out) if q.reason == "answer_budget"]
    assert len(answered) == 1 and len(limited) == 4
    assert speech(p.handle(comment(user("x"), "问题1"), now=T0 + 60))  # the budget refilled


def test_an_answer_with_nothing_speakable_is_dropped_before_it_spends_the_budget():
    """Kana or Hangul alone is nothing a voice can say: the reply leaves it, with that reason,
    instead of paying airtime for a request TTS would reject."""
    faq = Faq({"cup": [("jp", "日文", "こんにちは、ありがとうございます。よろしくおねがいします。", 0),
                       ("kr", "韩文", "안녕하세요, 감사합니다. 잘 부탁드립니다.", 0),
                       ("price", "多少钱", "这个问题的回答大概要说四五秒钟的样子", 0)]})
    p = policy(faq, answer_share_max=0.1, user_cooldown_s=0, duplicate_window_s=0, replies_per_minute=0)  # 6 s a minute
    for asker, question in (("a", "日文怎么说"), ("b", "韩文怎么说")):
        out = p.handle(comment(user(asker), question), now=T0)
        assert speech(out) == [] and reasons(out) == ["unspeakable"]
    assert speech(p.handle(comment(user("c"), "多少钱"), now=T0 + 1)), "no airtime was spent on them"


def test_the_anchors_and_admins_own_comments_are_not_questions_from_viewers():
    p = policy()
    anchor = User(id="1", nickname="主播", is_anchor=True)
    admin = User(id="2", nickname="场控", is_admin=True)
    assert reasons(p.handle(comment(anchor, "这个多少钱"), now=T0)) == ["anchor_comment"]
    assert reasons(p.handle(comment(admin, "这个多少钱"), now=T0)) == ["admin_comment"]
    p = policy(answer_admins=True)
    assert speech(p.handle(comment(admin, "这个多少钱"), now=T0))


def test_a_question_whose_answer_would_wait_too_long_behind_others_is_left_with_why():
    faq = Faq({"cup": [(f"r{i}", f"问题{i}", "这个问题的回答大概要说四五秒钟的样子", 0) for i in range(3)]})
    p = policy(faq, answer_wait_max_s=3.0, user_cooldown_s=0, replies_per_minute=0, answer_share_max=1.0)
    (first,) = speech(p.handle(comment(user("a"), "问题0"), now=T0))
    out = p.handle(comment(user("b"), "问题1"), now=T0 + 1)
    assert speech(out) == [] and [q.reason for q in seen(out)] == ["answer_queue"]
    from app.events import PlaybackFinished, PlaybackStarted
    p.on_player_event(PlaybackStarted(id=first.id, kind="reply", text=first.text, priority=0, duration_s=4.0))
    p.on_player_event(PlaybackFinished(id=first.id))
    assert speech(p.handle(comment(user("c"), "问题2"), now=T0 + 2)), "nothing queued any more: answered"


def test_an_answer_never_heard_of_again_stops_holding_the_queue_at_its_deadline():
    faq = Faq({"cup": [(f"r{i}", f"问题{i}", "这个问题的回答大概要说四五秒钟的样子", 0) for i in range(2)]})
    p = policy(faq, answer_wait_max_s=3.0, user_cooldown_s=0, answer_share_max=1.0, stale_reply_s=30.0)
    assert speech(p.handle(comment(user("a"), "问题0"), now=T0))  # then nothing: lost on the way
    assert [q.reason for q in seen(p.handle(comment(user("b"), "问题1"), now=T0 + 10))] == ["answer_queue"]
    assert speech(p.handle(comment(user("c"), "问题1"), now=T0 + 31)), "past its deadline it is gone"
