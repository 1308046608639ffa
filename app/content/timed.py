"""Timed tasks: say a template every N minutes or at clock times (follow reminder, the time,
a coupon reminder …). Loaded from ``data/templates/timed.json`` (global) and a product's
``"timed"`` list (only while that product is on)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.events import Priority

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TimedTaskError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class TimedTask:
    name: str
    template: str | None = None  # name of a reaction template in data/templates/
    text: str | None = None  # or an inline variant template
    every_s: float | None = None
    at: tuple[tuple[int, int], ...] = ()  # local (hour, minute) pairs
    priority: int = Priority.NORMAL
    product: str | None = None


def timed_from_dict(data: object, *, where: str, product: str | None = None) -> TimedTask:
    if not isinstance(data, dict):
        raise TimedTaskError(f"{where}: 定时任务必须是 {{…}} 对象，现在是 {type(data).__name__}")
    problems = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("'name'（任务名）必须是非空的文字")
    template, text = data.get("template"), data.get("text")
    if (template is None) == (text is None):
        problems.append("'template'（话术模板名）和 'text'（变体话术）必须且只能写一个")
    elif template is not None and (not isinstance(template, str) or not template.strip()):
        problems.append("'template' 必须是模板名")
    elif text is not None and (not isinstance(text, str) or not text.strip()):
        problems.append("'text' 必须是非空的变体话术")
    every = data.get("every_min")
    at_raw = data.get("at", [])
    if isinstance(at_raw, str):
        at_raw = [at_raw]
    at: list[tuple[int, int]] = []
    if not isinstance(at_raw, list):
        problems.append("'at' 必须是 \"HH:MM\" 时间的列表")
    else:
        for t in at_raw:
            m = _CLOCK.match(t) if isinstance(t, str) else None
            if m is None:
                problems.append(f"'at' 里的 {t!r} 不是 HH:MM 格式的时间")
            else:
                at.append((int(m.group(1)), int(m.group(2))))
    if every is not None and (isinstance(every, bool) or not isinstance(every, (int, float)) or every <= 0):
        problems.append("'every_min' 必须是大于 0 的分钟数")
    if every is None and not at_raw:
        problems.append("请写 'every_min'（每隔几分钟）或 'at'（几点几分）")
    priority = data.get("priority", int(Priority.NORMAL))
    if isinstance(priority, bool) or not isinstance(priority, int):
        problems.append("'priority' 必须是整数（越小越优先）")
    if problems:
        raise TimedTaskError(f"{where}: " + "；".join(problems))
    return TimedTask(name=name, template=template, text=text,
                     every_s=float(every) * 60 if every is not None else None,
                     at=tuple(at), priority=priority, product=product)
