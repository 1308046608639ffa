"""config.ini errors (``[FILE:LINE: ][section] key: what is wrong (allowed: …)``, from app/config)
as the settings page shows them: the option's Chinese name, what is wrong in Chinese, what may be
written. A message this table does not know keeps its own words after the Chinese name."""

from __future__ import annotations

import re
from typing import Any

_LINE = re.compile(r"^(?:(?P<file>.+?):(?P<line>\d+): )?\[(?P<section>[\w.\-]+)\] (?P<key>\w+): (?P<msg>.*?)"
                   r"(?: \(allowed: .*\))?$", re.S)
_V = r"(?:'(?P<v>.*?)'|(?P<n>[-\d.e+]+)|the value \(hidden: it looks like a key or password\))"

#: (pattern, Chinese); ``{v}`` is the value as written, ``{1}``… the other groups
_MESSAGES = (
    (rf"{_V} is not a whole number", "“{v}”不是整数"),
    (rf"{_V} is not a (?:finite )?number", "“{v}”不是有效的数字"),
    (rf"{_V} is below the minimum (\S+)", "{v} 小于最小值 {1}"),
    (rf"{_V} is above the maximum (\S+)", "{v} 大于最大值 {1}"),
    (rf"{_V} is not true or false", "“{v}”应为 true（是）或 false（否）"),
    (rf"{_V} is not one of the choices", "“{v}”不是可选的值"),
    (r"must not be empty", "不能为空"),
    (r"is (\d+) characters long, more than (\d+)", "有 {1} 个字符，超过上限 {2}"),
    (rf"{_V} is not a valid URL.*", "“{v}”不是有效的地址"),
    (rf"{_V} does not start with (.+)", "“{v}”应以 {1} 开头"),
    (rf"{_V} has no host", "“{v}”缺少主机名"),
    (rf"{_V} is not .+", "“{v}”的格式不对"),
    (r"item (\d+) is empty.*", "第 {1} 项是空的（多写了一个逗号？）"),
    (r"needs at least (\d+) item\(s\), got (\d+)", "至少要 {1} 项，现在只有 {2} 项"),
    (r"allows at most (\d+) items, got (\d+)", "最多 {1} 项，现在有 {2} 项"),
    (r"lists an item twice", "有重复的项"),
    (r"items must be in increasing order", "要从小到大排列"),
    (r"(\S+) is larger than \[([\w.\-]+)\] (\w+) = (\S+)", "{1} 不能大于 [{2}] {3}（现在是 {4}）"),
    (r"(\S+) must be smaller than \[([\w.\-]+)\] (\w+) = (\S+)", "{1} 必须小于 [{2}] {3}（现在是 {4}）"),
    (r"is empty but provider = (\w+) needs a model name or endpoint id",
     "没有填，但大模型选了 {1}，需要填模型名或方舟接入点 ID"),
    (r"(\d+) is odd; .*", "{1} 是奇数，必须填偶数（整段 16 位采样）"),
    (r"names voice\(s\) with no \[voice\.NAME\] section: (.+)", "写了不存在的音色：{1}（先用“＋ 新增音色”添加，或从列表中去掉）"),
    (r"already exists.*|.*already exists", "已经存在"),
)


def message_zh(msg: str) -> str | None:
    for pattern, zh in _MESSAGES:
        m = re.fullmatch(pattern, msg, flags=re.S)
        if m is None:
            continue
        named = m.groupdict()
        value = named.get("v") if named.get("v") is not None else named.get("n") or "（已隐藏）"
        others = [g for i, g in enumerate(m.groups(), 1) if i > len(named)]
        out = zh.replace("{v}", value)
        for i, g in enumerate(others, 1):
            out = out.replace(f"{{{i}}}", g or "")
        return out.replace(" or ", " 或 ")
    m = re.fullmatch(r"item (\d+): (.*)", msg, flags=re.S)
    if m:
        inner = message_zh(m.group(2))
        return f"第 {m.group(1)} 项：{inner or m.group(2)}"
    return None


def config_error_zh(line: str, schema: Any, allowed_zh=None) -> str:
    """One error line in Chinese: “选项名”（[section] key）：what is wrong；可填：…"""
    m = _LINE.match(line)
    if m is None:
        return line
    section, key, msg = m.group("section"), m.group("key"), m.group("msg")
    try:
        opt = schema.option(section, key)
    except Exception:
        opt = None
    name = f"“{opt.zh.split('（')[0]}”（[{section}] {key}）" if opt is not None else f"[{section}] {key}"
    where = f"第 {m.group('line')} 行 " if m.group("line") else ""
    zh = message_zh(msg)
    text = f"{where}{name}：{zh or msg}"
    if zh is not None and opt is not None and allowed_zh is not None:
        allowed = allowed_zh(opt, section)
        if allowed:
            text += f"；可填：{allowed}"
    return text
