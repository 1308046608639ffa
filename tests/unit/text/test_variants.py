import collections
import random

import pytest

from app.text.variants import (
    ENUMERATE_LIMIT,
    MissingVariable,
    Renderer,
    VariantSyntaxError,
    check,
    literal,
    parse,
)


def errs(text, extra=()):
    return [str(e) for e in check(text, extra)]


# ---- syntax ------------------------------------------------------------------------------------

def test_nested_groups_empty_options_and_escapes_render_every_reading():
    t = parse(r"{我们家{今天|现在}|这款}好{|呢}\{x\|y\}\\")
    readings = {t.fill(r, {}) for r in t.distinct_raw()}
    assert readings == {
        f"{a}好{b}{{x|y}}\\" for a in ("我们家今天", "我们家现在", "这款") for b in ("", "呢")
    }
    assert t.count() == 6


def test_count_is_exact_beyond_64_bits_and_counts_empty_options():
    assert parse("{|呢}").count() == 2
    assert parse("{a|a}").count() == 2  # paths, documented
    assert parse("{a|b|c}" * 50).count() == 3 ** 50
    assert parse("纯文本").count() == 1


def test_variables_are_filled_after_rendering_and_not_parsed_as_syntax():
    t = parse("谢谢${nickname}送的${gift}")
    assert t.variables == {"nickname", "gift"}
    out = Renderer(1).render(t, nickname="{坏|人}", gift="${x}")
    assert out == "谢谢{坏|人}送的${x}"


def test_missing_value_for_a_used_variable_is_a_clear_error():
    with pytest.raises(MissingVariable, match=r"\$\{gift\}"):
        Renderer(1).render(parse("谢谢${gift}"), nickname="a")


def test_extra_variables_allowed_by_the_caller():
    assert errs("${shopname}") == [
        e for e in errs("${shopname}") if "unknown variable '${shopname}'" in e]
    assert errs("${shopname}", ["shopname"]) == []


def test_literal_dollar_and_backslash_stay_literal():
    assert Renderer(0).render(parse(r"价格$9 a\b \$\{price\} $\{x\}")) == r"价格$9 a\b ${price} ${x}"


@pytest.mark.parametrize("text, expected", [
    ("{a|b", ["1:1: unclosed '{'"]),
    ("ab}", ["1:3: unmatched '}' (write \\} for a literal brace)"]),
    ("x{}y", ["1:2: empty variant '{}'"]),
    ("a|b", ["1:2: '|' outside a variant (write \\| for a literal bar)"]),
    ("好\n  ${nick}", ["2:3: unknown variable '${nick}'"]),
    ("${nickname", ["1:1: unterminated variable '${' (missing '}')"]),
    ("${1x}", ["1:1: invalid variable name '1x'"]),
    ("{a\n\nb}", ["2:1: paragraph break inside a variant (the '{' at 1:1 is not closed before this blank line)"]),
    ("{a\n  \nb", ["2:1: paragraph break inside a variant (the '{' at 1:1 is not closed before this blank line)",
                   "1:1: unclosed '{'"]),
])
def test_error_positions(text, expected):
    got = errs(text)
    assert len(got) == len(expected)
    for g, e in zip(sorted(got), sorted(expected), strict=False):
        assert g.startswith(e)


def test_single_newline_inside_a_variant_is_fine():
    assert check("{a\nb|c}") == []


def test_all_errors_of_a_file_are_reported_in_order():
    text = "第一行{好|}\n{}\n{a|b\n\n末尾}${nope}}"
    got = errs(text)
    assert [g.split(": ")[0] for g in got] == ["2:1", "4:1", "5:4", "5:11"]
    with pytest.raises(VariantSyntaxError) as info:
        parse(text)
    assert [str(e) for e in info.value.errors] == got


def test_columns_count_unicode_characters_and_ignore_bom_and_crlf():
    assert errs("\ufeff😀😀{a\r\nb}}") == ["2:3: unmatched '}' (write \\} for a literal brace)"]
    assert errs("好\r\n\r\n{x|😀}\r\n}") == ["4:1: unmatched '}' (write \\} for a literal brace)"]
    assert errs("行\r{\r\r}")[0].startswith("3:1: paragraph break")  # a lone CR is a newline too


def test_paragraph_breaks_outside_variants_are_text():
    t = parse("第一段{a|b}。\n\n第二段。\r\n")
    assert {Renderer(s).render(t) for s in range(20)} == {"第一段a。\n\n第二段。\n", "第一段b。\n\n第二段。\n"}


def test_literal_escapes_any_text_back_to_itself():
    text = "价格{99}|${x} \\ 😀\n\n"
    assert Renderer(3).render(parse(literal(text))) == text


def test_parse_is_cached_by_text():
    assert parse("{缓存|测试}") is parse("{缓存|测试}")


# ---- rendering ---------------------------------------------------------------------------------

BIG = "{a|b|c|d}{e|f|g}{h|i}{j|k|l|m|n}" * 3  # 120**3 paths: beyond the enumerate limit


def test_same_seed_same_renderings():
    t = parse(BIG)
    r1, r2, r3 = Renderer(42), Renderer(42), Renderer(43)
    first = [r1.render(t) for _ in range(50)]
    assert first == [r2.render(t) for _ in range(50)]
    assert first != [r3.render(t) for _ in range(50)]


def test_each_option_is_chosen_about_equally_often():
    t = parse("{a|b|c|d|e}" + "{x|y}" * 20)  # huge: random draws, no enumeration
    assert t.count() > ENUMERATE_LIMIT
    r = Renderer(7)
    counts = collections.Counter(r.render(t)[0] for _ in range(5000))
    assert set(counts) == set("abcde")
    for c in counts.values():
        assert 850 < c < 1150


def test_nested_options_are_equally_likely_at_each_level():
    t = parse("{{a|b}|c}" + "{x|y}" * 20)
    r = Renderer(11)
    counts = collections.Counter(r.render(t)[0] for _ in range(4000))
    assert 1800 < counts["c"] < 2200
    assert 850 < counts["a"] < 1150


def test_small_template_cycles_through_every_reading_before_repeating():
    t = parse("{你好|您好|哈喽}{呀|}，{欢迎|来了}")  # 12 readings
    r = Renderer(5)
    seen = [r.render(t) for _ in range(36)]
    for start in range(0, 36, 12):
        assert len(set(seen[start:start + 12])) == 12
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False))


def test_two_way_template_alternates():
    r = Renderer(1)
    out = [r.render("{甲|乙}") for _ in range(10)]
    assert all(a != b for a, b in zip(out, out[1:], strict=False))


def test_large_template_does_not_repeat_within_its_memory():
    t = parse("{a|b|c}" * 9)  # 19683 readings, beyond the enumerate limit
    r = Renderer(3, memory=1000)
    out = [r.render(t) for _ in range(1000)]
    assert len(set(out)) == 1000


def test_repetition_memory_is_per_template_and_ignores_variable_values():
    t = parse("{谢谢|感谢}${nickname}")
    r = Renderer(9)
    a = [r.render(t, nickname=n) for n in ("甲", "乙", "丙", "丁")]
    assert [x[:2] for x in a[:2]] in (["谢谢", "感谢"], ["感谢", "谢谢"])
    assert all(x[:2] != y[:2] for x, y in zip(a, a[1:], strict=False))


def test_template_render_with_plain_random_is_seeded():
    t = parse(BIG)
    assert t.render(random.Random(1)) == t.render(random.Random(1))
