import pytest

from app.text.keywords import KeywordMatcher, KeywordRule, RuleError, rule_from_dict


def rule(id, **kw):
    return KeywordRule(id=id, reply=f"回复{id}", **kw)


RULES = [
    rule("price", any=("多少钱", "价格")),
    rule("ship", any=("发货", "快递"), none=("退货",)),
    rule("return", any=("退货", "退款")),
    rule("colour", all=("颜色", "黑")),
    rule("vip", any=("VIP",), priority=-1),
    rule("cream-price", any=("多少钱",), product="cream"),
    rule("cream-price-coupon", any=("多少钱",), all=("券",), product="cream"),
]
M = KeywordMatcher(RULES)


def ids(text, product=None):
    return [m.rule.id for m in M.matches(text, product)]


def test_any_keyword_matches_chinese_text():
    assert M.match("这个多少钱呀").id == "price"
    assert M.match("几天发货？").id == "ship"
    assert M.match("今天天气不错") is None


def test_none_keywords_exclude_a_rule():
    assert ids("退货的快递谁出") == ["return"]


def test_all_keywords_are_all_required():
    assert M.match("有什么颜色") is None
    assert M.match("黑颜色有吗").id == "colour"


def test_case_and_full_width_are_ignored():
    assert M.match("我是ｖｉｐ").id == "vip"
    assert M.match("Vip来了").id == "vip"


def test_priority_then_product_then_specificity():
    assert M.match("vip问一下多少钱").id == "vip"  # lower priority number wins
    assert M.match("多少钱", product="cream").id == "cream-price"  # product rule over global
    assert M.match("用券后多少钱", product="cream").id == "cream-price-coupon"  # more keywords
    assert M.match("多少钱", product="shirt").id == "price"  # other product's rules are out


def test_rule_needs_a_positive_keyword_and_json_errors_say_where():
    with pytest.raises(RuleError):
        rule("bad", none=("x",))
    with pytest.raises(RuleError, match=r"faq\[2\]: 'any' must be a list"):
        rule_from_dict({"any": 3, "reply": "x"}, where="faq[2]")
    with pytest.raises(RuleError, match="'reply'"):
        rule_from_dict({"any": ["x"]}, where="faq[0]")
    r = rule_from_dict({"any": "价格", "reply": "{九十九|99}元"}, where="w", product="p", index=4)
    assert (r.id, r.any, r.product) == ("p#4", ("价格",), "p")


def test_empty_matcher_matches_nothing():
    assert KeywordMatcher([]).match("多少钱") is None


def test_many_rules_match_in_one_pass():
    rules = [rule(f"r{i}", any=(f"词{i}号",)) for i in range(3000)]
    m = KeywordMatcher(rules)
    assert m.match("我想问词2999号的事").id == "r2999"
