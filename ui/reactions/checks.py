"""What the reaction lines must pass before they are saved (no Qt): every template valid, every
timed reminder complete. Problems name the line or reminder, line:col and what to fix."""

from __future__ import annotations

import re

from ui.products.checks import Problem, template_problems

#: template file name -> (what the operator calls it, when it is said and what it may use)
TEMPLATE_ZH = {
    "welcome": ("欢迎进场", "观众进入直播间时说（几秒内进来的人合并成一句）。可用 ${names} 观众昵称。"),
    "gift_thanks": ("感谢礼物", "观众送礼物时说。可用 ${nickname} 送礼人、${gift} 礼物名、${count} 个数。"),
    "gift_thanks_many": ("感谢礼物（多人）", "很多人同时送小礼物时合并感谢。可用 ${names} 昵称、${count} 人数。"),
    "follow_thanks": ("感谢关注", "观众关注主播时说。可用 ${nickname} 观众昵称。"),
    "share_thanks": ("感谢分享", "观众分享直播间时说。可用 ${nickname} 观众昵称。"),
    "fansclub_thanks": ("感谢加入粉丝团", "观众加入粉丝团时说。可用 ${nickname} 观众昵称。"),
    "fansclub_upgrade": ("祝贺粉丝团升级", "观众的粉丝团等级升级时说（不是新加入）。可用 ${nickname} 观众昵称、${level} 新等级。"),
    "gift_thanks_guest": ("感谢送给嘉宾的礼物", "连麦时观众送礼给嘉宾（不是主播）时说。可用 ${nickname} 送礼人、"
                                             "${receiver} 收礼嘉宾、${gift} 礼物名、${count} 个数。"),
    "like_milestone": ("点赞里程碑", "点赞数到达整数关口时说。可用 ${likes} 点赞数。"),
    "follow_reminder": ("关注提醒", "定时提醒观众点关注（在“定时提醒”里设置多久说一次）。"),
    "coupon_reminder": ("优惠券提醒", "定时提醒观众领券（在“定时提醒”里设置多久说一次）。"),
    "time_report": ("报时", "整点报时。可用 ${time} 当前时间。"),
    "self_intro": ("自我介绍", "介绍直播间。可用 ${shop} 店名。"),
    "filler": ("垫话", "没有别的内容可播时说，避免冷场。"),
    "bridge": ("过渡语", "回答完观众后，接回话术之前说。"),
}

CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def template_label(name: str) -> str:
    return TEMPLATE_ZH.get(name, (name, ""))[0]


def split_times(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，、\s]+", text) if t.strip()]


def reaction_problems(templates: dict[str, str], timed: list[dict]) -> list[Problem]:
    """``templates``: name -> text as it would be saved; ``timed``: timed.json as it would be."""
    out: list[Problem] = []
    for name, text in templates.items():
        where = f"互动话术“{template_label(name)}”"
        if not text.strip():
            out.append(Problem(where, "不能为空", target=("template", name)))
        out += template_problems(text, (), where, ("template", name), placeholders=True)
    names: dict[str, int] = {}
    for i, task in enumerate(timed):
        label = str(task.get("name", "")).strip()
        where = f"定时提醒第 {i + 1} 条" + (f"“{label}”" if label else "")
        if not label:
            out.append(Problem(where, "名称不能为空", target=("timed", i, "name")))
        elif label in names:
            out.append(Problem(where, f"名称与第 {names[label] + 1} 条重复", target=("timed", i, "name")))
        else:
            names[label] = i
        every = task.get("every_min")
        times = task.get("at", [])
        if every is None and not times:
            out.append(Problem(where, "要么填“每隔几分钟”，要么填“定点时间”", target=("timed", i, "every")))
        for t in times:
            if not CLOCK.match(t):
                out.append(Problem(where, f"定点时间“{t}”的格式不对，应为 时:分，例如 20:00", target=("timed", i, "at")))
        if not isinstance(task.get("priority", 5), int):
            out.append(Problem(where, "优先级要填整数", target=("timed", i, "priority")))
        if "template" in task:
            if task["template"] not in templates:
                out.append(Problem(where, f"要说的话术“{task['template']}”不存在", target=("timed", i, "content")))
        else:
            text = str(task.get("text", ""))
            if not text.strip():
                out.append(Problem(where, "要说的内容不能为空", target=("timed", i, "text")))
            out += template_problems(text, (), f"{where} · 内容", ("timed", i, "text"), placeholders=True)
    return out
