"""Checking and previewing a template (no Qt): variant errors, compliance hits, renderings,
and the checks a product must pass before it is saved (``product_problems``)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from app.text.variants import Renderer, check, parse
from ui.texts import variant_message_zh

#: What a new product's guided template asks the operator to replace. A product that still has
#: one cannot be switched on (it would be spoken as it is).
PLACEHOLDER = re.compile(r"【待填写(?:[:：][^】\n]*)?】")

#: Values used for the preview when the product does not supply them.
SAMPLE_VALUES = {
    "nickname": "小美", "names": "小美、阿强、乐乐", "gift": "小心心", "count": "3", "total": "10",
    "online": "321", "likes": "1200", "shop": "本店", "brand": "本店", "anchor": "主播",
    "minutes": "5", "coupon": "满100减10", "product": "这款商品", "price": "99元", "level": "5",
    "receiver": "嘉宾小林",
}


CATEGORY_ZH = {"absolute": "极限词", "first_only": "“首个/唯一”类用语", "authority": "权威背书用语",
               "efficacy": "功效承诺用语", "urgency": "虚假紧迫用语", "platform": "平台违禁词",
               "profanity": "不文明用语"}
ACTION_ZH = {"replace": "会被替换", "drop_sentence": "整句删除", "block": "整条拦截", "warn": "仅提醒",
             "allow": "放行"}


@dataclass(frozen=True)
class Marker:
    line: int
    col: int
    length: int  # in code points; 1 for a syntax error
    message: str
    kind: str  # "error" | "compliance" | "todo" (a 【待填写】 placeholder)

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


def markers_for(text: str, variables: frozenset[str] | set[str], compliance: Any | None,
                *, syntax: bool = True) -> list[Marker]:
    out: list[Marker] = []
    if syntax and text.strip():
        out += [Marker(e.line, e.col, 1, variant_message_zh(e.message), "error") for e in check(text, variables)]
    for line, col, p in placeholder_positions(text):
        out.append(Marker(line, col, len(p), "还没有替换的提示：请换成真实内容", "todo"))
    if compliance is not None and text.strip():
        for h in compliance.check_text(text):
            out.append(Marker(h.line, h.col, max(1, len(h.matched)),
                              f"合规：“{h.term}”属于{CATEGORY_ZH.get(h.category, h.category)}"
                              f"（播出时{ACTION_ZH.get(h.action, h.action)}）", "compliance"))
    out.sort(key=lambda m: (m.line, m.col))
    return out


@dataclass(frozen=True)
class Preview:
    renderings: list[str]
    distinct: int  # distinct renderings the template has (0 when it has errors)
    error: str = ""


def preview_for(text: str, variables: dict[str, str], *, count: int = 5, seed: int | None = None) -> Preview:
    if not text.strip():
        return Preview([], 0, "（空）")
    allowed = frozenset(variables)
    errors = check(text, allowed)
    if errors:
        return Preview([], 0, f"模板有 {len(errors)} 处错误，修正后显示预览")
    template = parse(text, allowed)
    values = {**SAMPLE_VALUES, "time": time.strftime("%H:%M"), "date": time.strftime("%m月%d日"),
              "segment": "", **variables}
    renderer = Renderer(seed)
    total = template.count()
    shown = min(count, total)
    # A file's final newline is not part of what is said.
    return Preview([renderer.render(template, values).strip() for _ in range(shown)], total)


def validator(variables: frozenset[str], compliance: Any | None):
    """The check a generated template must pass: variant syntax, then compliance words."""

    def validate(text: str) -> list[str]:
        return [str(m) for m in markers_for(text, variables, compliance)]

    return validate


# ---- checks before saving -------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """Something that stops a save: where (in the operator's words), line:col when it is in a
    text, the message, and ``target`` for the editor to jump to."""

    where: str
    message: str
    line: int = 0
    col: int = 0
    target: tuple = ()

    def __str__(self) -> str:
        at = f" 第 {self.line} 行第 {self.col} 列" if self.line else ""
        return f"{self.where}{at}：{self.message}"


def placeholder_positions(text: str) -> list[tuple[int, int, str]]:
    """(line, col, placeholder) of every 【待填写：…】 left in ``text`` (1-based, code points)."""
    out = []
    for m in PLACEHOLDER.finditer(text):
        before = text[: m.start()]
        out.append((before.count("\n") + 1, m.start() - (before.rfind("\n") + 1) + 1, m.group()))
    return out


def template_problems(text: str, variables, where: str, target: tuple, *,
                      placeholders: bool) -> list[Problem]:
    """Variant errors of a template (and 【待填写】 left in it when ``placeholders``)."""
    out = [Problem(where, variant_message_zh(e.message), e.line, e.col, (*target, e.line, e.col))
           for e in check(text, frozenset(variables))] if text.strip() else []
    if placeholders:
        out += [Problem(where, f"还有待替换的提示{p}", line, col, (*target, line, col))
                for line, col, p in placeholder_positions(text)]
    return sorted(out, key=lambda p: (p.line, p.col))


def duplicate_keys(rows: list[tuple[int, str, str]], what: str, table: str) -> list[Problem]:
    """A key given twice (product.json keeps only one of them: the other would be lost).
    ``rows``: (table row, key, value)."""
    first: dict[str, int] = {}
    out = []
    for i, key, _value in rows:
        if not key:
            continue
        if key in first:
            out.append(Problem(f"{what}第 {i + 1} 行", f"“{key}”与第 {first[key] + 1} 行重复，请合并成一行或改名",
                               target=(table, i)))
        else:
            first[key] = i
    return out


def product_problems(data: dict, *, fact_rows: list[tuple[int, str, str]],
                     variable_rows: list[tuple[int, str, str]],
                     faq_rows: list[tuple[int, dict]], segments: dict[str, tuple[str, str]],
                     segment_label=lambda name: name) -> list[Problem]:
    """Every reason not to save this product, in the order the operator meets them.

    ``data`` is the form's product.json data; ``fact_rows``/``variable_rows`` (table row, key,
    value) and ``faq_rows`` (table row, rule) as the tables have them; ``segments`` name -> (base script, variant template) as they would be saved."""
    live = bool(data.get("enabled", True))  # placeholders only stop a product that is spoken
    out: list[Problem] = []
    if not str(data.get("name", "")).strip():
        out.append(Problem("商品资料 · 商品名称", "不能为空", target=("field", "name")))
    price = str(data.get("price", "")).strip()
    if not price:
        out.append(Problem("商品资料 · 价格", "不能为空（例如 89元）", target=("field", "price")))
    elif live and PLACEHOLDER.search(price):
        out.append(Problem("商品资料 · 价格", "还是待填写的提示，请填真实价格", target=("field", "price")))
    if live:
        for i, point in enumerate(data.get("selling_points", []) or []):
            if PLACEHOLDER.search(point):
                out.append(Problem(f"商品资料 · 卖点第 {i + 1} 条", "还有待替换的提示", target=("field", "points")))
    out += duplicate_keys(fact_rows, "商品资料 · 资料表", "facts")
    for i, key, value in fact_rows:
        if key and not value:
            out.append(Problem(f"商品资料 · 资料表第 {i + 1} 行", f"“{key}”还没有填内容", target=("facts", i)))
        if live and (PLACEHOLDER.search(key) or PLACEHOLDER.search(value)):
            out.append(Problem(f"商品资料 · 资料表第 {i + 1} 行", "还有待替换的提示", target=("facts", i)))
    out += duplicate_keys(variable_rows, "商品资料 · 模板变量", "variables")
    for i, key, _value in variable_rows:
        if not key or not key.isidentifier():
            out.append(Problem(f"商品资料 · 模板变量第 {i + 1} 行",
                               f"变量名“{key}”不可用：只能用字母、数字、下划线或汉字，不能以数字开头",
                               target=("variables", i)))
    names = {k for _, k, _ in variable_rows if k}
    ids: dict[str, int] = {}
    for row, rule in faq_rows:
        where = f"关键词回复第 {row + 1} 条" + (f"（{rule['id']}）" if rule.get("id") else "")
        if not rule.get("any") and not rule.get("all"):
            out.append(Problem(where, "至少要填一个关键词（“任一关键词”或“同时包含”）", target=("faq", row, 1)))
        if not isinstance(rule.get("priority", 0), int):
            out.append(Problem(where, f"优先级“{rule.get('priority')}”要填整数（数字越小越优先）",
                               target=("faq", row, 4)))
        rid = rule.get("id")
        if rid:
            if rid in ids:
                out.append(Problem(where, f"编号“{rid}”与第 {ids[rid] + 1} 条重复", target=("faq", row, 0)))
            else:
                ids[rid] = row
        reply = str(rule.get("reply", ""))
        if not reply.strip():
            out.append(Problem(where, "回复模板不能为空", target=("faq", row, 5)))
        else:
            out += template_problems(reply, names, f"{where} · 回复模板", ("faq", row, 5), placeholders=live)
    for name, (base, template) in segments.items():
        label = segment_label(name)
        out += template_problems(template, names, f"话术“{label}” · 变体模板", ("segment", name, "template"),
                                 placeholders=live)
        if live and not template.strip():  # spoken from the base script
            out += [Problem(f"话术“{label}” · 基础话术", f"还有待替换的提示{p}", line, col,
                            ("segment", name, "base", line, col))
                    for line, col, p in placeholder_positions(base)]
    return out
