"""Checking and previewing a template (no Qt): variant errors, compliance hits, renderings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.text.variants import Renderer, check, parse

#: Values used for the preview when the product does not supply them.
SAMPLE_VALUES = {
    "nickname": "小美", "names": "小美、阿强、乐乐", "gift": "小心心", "count": "3", "total": "10",
    "online": "321", "likes": "1200", "shop": "本店", "brand": "本店", "anchor": "主播",
    "minutes": "5", "coupon": "满100减10", "product": "这款商品", "price": "99元",
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
    kind: str  # "error" | "compliance"

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


def markers_for(text: str, variables: frozenset[str] | set[str], compliance: Any | None,
                *, syntax: bool = True) -> list[Marker]:
    out: list[Marker] = []
    if syntax and text.strip():
        out += [Marker(e.line, e.col, 1, e.message, "error") for e in check(text, variables)]
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
    return Preview([renderer.render(template, values) for _ in range(shown)], total)


def validator(variables: frozenset[str], compliance: Any | None):
    """The check a generated template must pass: variant syntax, then compliance words."""

    def validate(text: str) -> list[str]:
        return [str(m) for m in markers_for(text, variables, compliance)]

    return validate
