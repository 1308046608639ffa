"""How the settings are shown: the pages in the order an operator needs them (what the room says
and replies, the voice, the LLM; the network details last), and Chinese names for option values
(the value itself, as written in config.ini, stays in brackets)."""

from __future__ import annotations

#: (group title, config sections in it). Sections not listed go to 其他 at the end.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("话术与回复", ("reply", "director", "script", "compliance")),
    ("语音", ("tts", "voice", "audio", "music")),
    ("大模型", ("llm",)),
    ("高级", ("priority", "ui", "store")),
    ("网络与连接", ("douyin", "bus")),
)
OTHER = "其他"

#: option value -> what it means; (section, key) entries win over the plain value entries
VALUE_ZH: dict = {
    ("llm", "provider"): {"ark": "火山方舟", "ollama": "本地 Ollama", "none": "不用大模型，只用关键词"},
    ("llm", "thinking"): {"default": "模型默认", "enabled": "开启深度思考", "disabled": "关闭深度思考（首字更快）",
                          "auto": "由模型决定"},
    ("tts", "api_version"): {"v2": "api_v2.py 接口", "v1": "api.py 旧接口"},
    ("tts", "fallback"): {"espeak": "内置离线语音", "none": "不用备用语音"},
    ("audio", "backend"): {"pygame": "声卡", "wav": "录到 WAV 文件", "null": "不出声（测试用）",
                           "sounddevice": "声卡"},
    ("script", "order"): {"in_order": "按列表顺序", "shuffle": "每轮打乱"},
    ("reply", "guest_gift_thanks"): {"name": "感谢时说出收礼的嘉宾", "off": "不感谢"},
    ("music", "order"): {"in_order": "按文件名顺序", "shuffle": "每轮打乱"},
    "replace": "替换成合规说法", "drop_sentence": "删掉这一句", "block": "整段不播",
    "zh": "中文", "en": "英文", "ja": "日文", "ko": "韩文", "yue": "粤语", "auto": "自动识别",
    "auto_yue": "自动识别（含粤语）", "all_zh": "全部按中文", "all_ja": "全部按日文", "all_yue": "全部按粤语",
    "all_ko": "全部按韩文",
}


def value_label(section: str, key: str, value: str) -> str:
    """``中文说明（value）`` for a choice; numbers and unknown values as they are."""
    base = section.partition(".")[0]
    zh = VALUE_ZH.get((base, key), {}).get(value) or VALUE_ZH.get(value)
    if not isinstance(zh, str):
        return value
    return zh if f"（{value}）" in zh else f"{zh}（{value}）"  # the value once, never "（pygame）（pygame）"


def group_of(section: str) -> str:
    base = section.partition(".")[0]
    return next((title for title, names in GROUPS if base in names), OTHER)


def page_order(sections: list[str]) -> list[tuple[str, list[str]]]:
    """``sections`` (as in config.ini, voice.NAME included) grouped and ordered for the list."""
    order = {name: (g, i) for g, (_, names) in enumerate(GROUPS) for i, name in enumerate(names)}
    ranked = sorted(sections, key=lambda s: order.get(s.partition(".")[0], (len(GROUPS), 0)))
    out: list[tuple[str, list[str]]] = []
    for s in ranked:
        title = group_of(s)
        if not out or out[-1][0] != title:
            out.append((title, []))
        out[-1][1].append(s)
    return out
