"""Chinese names for the codes that appear on screen (event types, utterance kinds, states)."""

import re

EVENT_TYPE_ZH = {
    "comment": "弹幕", "gift": "礼物", "like": "点赞", "enter": "进场", "follow": "关注",
    "share": "分享", "fansclub": "粉丝团", "stats": "在线人数", "live_end": "下播",
}

KIND_ZH = {
    "script": "话术", "gift": "谢礼物", "welcome": "欢迎", "follow": "谢关注", "like": "谢点赞",
    "reply": "关键词回复", "llm": "AI 回复", "timed": "定时", "filler": "垫话", "bridge": "过渡",
    "say_now": "插播", "system": "系统", "share": "谢分享", "fansclub": "粉丝团", "disclosure": "AI 标识",
}

STATE_ZH = {"waiting": "排队中", "synthesising": "合成中", "ready": "待播", "playing": "播放中"}

HEALTH_ZH = {"ok": "正常", "degraded": "降级", "down": "故障", "unknown": "未知", "off": "未启用"}
HEALTH_COLOR = {"ok": "#16a34a", "degraded": "#d97706", "down": "#dc2626", "unknown": "#9ca3af",
                "off": "#64748b"}

COMPONENT_ZH = {"feed": "弹幕源", "bus": "总线", "llm": "大模型", "tts": "语音", "audio": "播放"}

#: Reasons a stage gives for dropping something, shown in Chinese where known.
DROP_REASON_ZH = {
    "stale": "已过期", "deadline": "已过期", "cancelled": "已取消", "compliance": "合规拦截",
    "duplicate": "重复", "rate_limited": "限流", "cleared": "已清空", "queue_full": "队列已满",
}


def component_label(component: str) -> str:
    head, _, rest = component.partition(":")
    name = COMPONENT_ZH.get(head, head)
    if not rest:
        return name
    # 播放输出, 播放音乐; a server address stays apart: 语音 http://a:9880
    return f"{name}{rest}" if "\u4e00" <= rest[0] <= "\u9fff" else f"{name} {rest}"


def reason_label(reason: str) -> str:
    key = reason.split(":", 1)[0].strip()
    return DROP_REASON_ZH.get(key, reason)


#: The variant engine's messages (app/text/variants/syntax.py) in Chinese, by pattern.
_VARIANT_ZH = (
    (r"'\|' outside a variant.*", "“|”不在 {…} 里面（要写竖线本身，请写成 \\|）"),
    (r"unmatched '\}'.*", "多了一个“}”，前面没有对应的“{”（要写括号本身，请写成 \\}）"),
    (r"empty variant '\{\}'", "空的变体“{}”：里面至少写一个说法"),
    (r"unterminated variable.*", "变量“${”缺少结尾的“}”"),
    (r"invalid variable name '(.*)'", "变量名“\\1”不合法（只能用字母、数字和下划线）"),
    (r"paragraph break inside a variant \(the '\{' at (\d+:\d+) .*",
     "变体里不能有空行（\\1 处的“{”在这个空行之前没有闭合）"),
    (r"NUL character is not allowed", "不允许出现空字符（NUL）"),
    (r"unclosed '\{'", "“{”没有闭合（缺少对应的“}”）"),
)


def variant_message_zh(message: str) -> str:
    """A variant error message as the operator reads it; unknown messages are returned as they are."""
    m = re.fullmatch(r"unknown variable '\$\{(.*?)\}'(?: \(known: (.*)\))?", message)
    if m:  # the known names as the operator writes them: ${price}、${product} …
        known = "、".join(f"${{{n.strip()}}}" for n in (m.group(2) or "").split(",") if n.strip())
        return f"未知变量“${{{m.group(1)}}}”" + (f"（可用的变量：{known}）" if known else "")
    for pattern, zh in _VARIANT_ZH:
        m = re.fullmatch(pattern, message)
        if m:
            return m.expand(zh)
    return message


#: Health details the stages report (app/bus, app/live, app/tts, app/runtime), in Chinese.
_HEALTH_ZH = (
    (r"in-process bus", "进程内总线"),
    (r"Redis unreachable: (.*)", "连不上 Redis：\\1"),
    (r"Redis reachable again after (.*) s", "Redis 已恢复（中断 \\1 秒）"),
    (r"redis connected \((.*)\)", "已连接 Redis（\\1）"),
    (r"redis unreachable \((.*)\)", "连不上 Redis（\\1）"),
    # app/tts (pool_watch, routes): the fallback's reason, a server's and a voice's state
    (r"espeak-ng fallback speaking(?: \(备用语音在说话\))?: (.*)", "正在用离线语音（espeak-ng）代替 GPT-SoVITS：\\1"),
    (r"GPT-SoVITS speaking again", "GPT-SoVITS 已恢复"),
    (r"no usable GPT-SoVITS route", "没有可用的 GPT-SoVITS 服务"),
    (r"no GPT-SoVITS route can speak now \(没有可用的 GPT-SoVITS\)(?:: (.*))?", "现在没有能用的 GPT-SoVITS 服务：\\1"),
    (r"GPT-SoVITS missed the deadline \(超过等待时限\)(?:: (.*))?", "GPT-SoVITS 超过等待时限：\\1"),
    (r"GPT-SoVITS not ready while the room was silent waiting \(冷场等待超时\)(?:: (.*))?",
     "冷场等待超时：\\1"),
    (r"every GPT-SoVITS attempt failed \(所有 GPT-SoVITS 尝试都失败\)(?:: (.*))?", "所有 GPT-SoVITS 尝试都失败：\\1"),
    (r"no GPT-SoVITS route configured", "没有配置 GPT-SoVITS 服务器，只有离线语音"),
    # several reasons (routes.why_unusable), not the "; " inside one of them
    (r"(.+?); (?!waiting for|checking whether)(.+)", "\\1；\\2"),
    (r"benched \(probing\): (.*)", "暂停使用，正在试探是否恢复：\\1"),
    (r"benched \((\d+) s left\): (.*)", "暂停使用（\\1 秒后再试）：\\2"),
    (r"a request timed out (\d+) s ago; checking whether the server still answers \(.*?\)",
     "\\1 秒前有请求超时，正在确认服务器是否还在响应"),
    (r"(\d+) in flight", "正在合成 \\1 句"),
    (r"voice (\S+) on (\S+) benched: (.*)", "音色 \\1（\\2）暂停使用：\\3"),
    (r"voice (.+) benched: (.*)", "音色 \\1 暂停使用：\\2"),
    (r"(\S+) benched: (.*)", "\\1 暂停使用：\\2"),
    (r"(\S+): a request timed out; waiting for the server to answer again \(.*?\)", "\\1：请求超时，等待服务器恢复响应"),
    (r"(\S+): busy with a request for ([\d.]+) s \(.*?\)", "\\1：上一句合成了 \\2 秒还没完成"),
    (r"(\S+): busy with an earlier sentence the fallback already spoke, for ([\d.]+) s \((.+?): 上一句还在合成\)",
     "\\1：上一句还在合成（音色 \\3，已 \\2 秒；那句已由离线语音说过）"),
    (r"the room has been silent ([\d.]+) s waiting for it with no good audio \(\[tts\] silent_deadline_s\)",
     "冷场 \\1 秒仍没有合格的声音（[tts] silent_deadline_s）"),
    (r"no good audio ([\d.]+) s after the player needed it \(\[tts\] need_deadline_s\)",
     "播放器要播后 \\1 秒仍没有合格的声音（[tts] need_deadline_s）"),
    (r"sentence (\d+)/(\d+) has been on (\S+) for ([\d.]+) s \(.*?\)", "共 \\2 句的第 \\1 句在 \\3 上合成了 \\4 秒还没完成"),
    (r"stopped", "已停止"),
    (r"not connected", "未连接"),
    (r"connected to (.*)", "已连接 \\1"),
    (r"reconnecting in (.*) s: (.*)", "\\1 秒后重连：\\2"),
)


def health_detail_zh(detail: str) -> str:
    """A health detail in Chinese where it is known; others as they are (they name a server or
    an error from the system)."""
    for pattern, zh in _HEALTH_ZH:
        m = re.fullmatch(pattern, detail, flags=re.S)
        if m:
            out = zh
            for i, part in enumerate(m.groups(), 1):  # a part may be a known detail itself
                out = out.replace(f"\\{i}", health_detail_zh(part or ""))
            return out.removesuffix("：")  # a reason with nothing after it
    return detail

#: What 跳过 does, on the toolbar action and the dashboard button (the player decides it:
#: ``app.audio.state_machine``'s skip drops the line playing and the rest of its group: the
#: script's segment, an AI answer's later sentences).
SKIP_TIP = ("停止正在播放的这一句并接着播下一条；若是话术，本段剩下的句子也一并跳过，接着讲下一段；"
            "若是大模型的回答，这条回答剩下的句子也不再播")
