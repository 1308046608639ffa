"""Chinese names shared by the spoken record, its CSV and the post-live review (``app/`` has no
Qt, so the GUI's own text tables cannot be used here), and the airtime classes.

The airtime classes are the four the director reports in ``AirtimeReport``: the product script,
answers to viewers, thanks (gifts, welcomes, follows, likes) and everything else.
"""

from __future__ import annotations

from app.utterance import LIVE_ENDED, SKIPPED

KIND_ZH = {
    "script": "话术", "gift": "谢礼物", "welcome": "欢迎", "follow": "谢关注", "like": "谢点赞",
    "reply": "关键词回复", "llm": "AI 回复", "timed": "定时", "filler": "垫话", "bridge": "过渡",
    "say_now": "插播", "system": "系统",
}

AIR_CLASSES = ("script", "answer", "thanks", "other")
AIR_CLASS_ZH = {"script": "话术", "answer": "回答", "thanks": "感谢", "other": "其他"}
_AIR_CLASS_OF = {"script": "script", "reply": "answer", "llm": "answer",
                 "gift": "thanks", "welcome": "thanks", "follow": "thanks", "like": "thanks"}

#: How a spoken-record row ended (``SpokenLog`` ``END_STATUSES``; "" while it still sounds).
SPOKEN_STATUS_ZH = {"": "进行中", "finished": "播完", "interrupted": "被打断", "skipped": "已跳过",
                    "cancelled": "已取消", "live_end": "下播时中断", "stopped": "停播时中断"}

SESSION_END_ZH = {"stopped": "手动停止", "live_end": "直播间已下播", "": "未正常结束"}


def air_class(kind: str) -> str:
    """The airtime class of an utterance kind (script / answer / thanks / other)."""
    return _AIR_CLASS_OF.get(kind, "other")


def kind_zh(kind: str) -> str:
    return KIND_ZH.get(kind, kind)


def spoken_status_zh(status: str) -> str:
    return SPOKEN_STATUS_ZH.get(status, status)


def end_status_of_drop(reason: str) -> str:
    """The spoken-record status of an utterance dropped while it sounded, by the drop reason:
    the operator's 跳过 (the player's "skipped by operator", the script's rest of the segment),
    the live's end, or any other cancel (a product switch, 清空队列)."""
    if reason == SKIPPED:
        return "skipped"
    if reason == LIVE_ENDED:
        return "live_end"
    return "cancelled"


#: Why something was not said, by the code a stage gives (the part before ':'), in Chinese.
DROP_REASON_ZH = {
    "stale": "等太久已过期", "deadline": "等太久已过期", "cancelled": "已取消", "compliance": "合规拦截",
    "compliance filter dropped": "合规过滤删掉了整句", "filtered": "合规过滤后没有可说的内容",
    "filter_error": "合规过滤出错", "duplicate": "重复弹幕", "rate_limited": "回复太频繁，已限流",
    "cleared by operator": "运营者清空了队列", "skipped by operator": "运营者跳过", "skip": "运营者跳过",
    "live ended": "直播已下播",
    "queue_full": "队列已满", "queue full": "队列已满", "synthesis failed": "语音合成失败",
    "bad audio": "音频文件损坏", "empty_comment": "空弹幕", "user_cooldown": "同一观众发言太快",
    "not_a_question": "不是问题", "question_llm_disabled": "没有匹配的关键词回复，且大模型未启用",
    "empty_text": "没有可说的内容", "shutdown": "直播已停止", "no_user": "没有观众信息",
    "welcome_disabled": "欢迎语已关闭", "welcome_repeat": "已欢迎过", "welcome_no_name": "没有可念的昵称（话术里的欢迎语已照顾到）", "welcome_named_on_air": "刚在感谢里念过名字，不再欢迎", "welcome_batch_full": "欢迎名单已满",
    "follow_disabled": "感谢关注已关闭", "follow_repeat": "已感谢过关注", "follow_batch_full": "关注名单已满",
    "malformed_gift": "礼物数据有误", "malformed_like": "点赞数据有误", "like_no_milestone": "点赞未到里程碑",
    "internal error (see log)": "内部错误（见日志）", "cancelled before it started": "开始前已取消",
    "cancelled; pending sentences dropped": "已取消",
    "empty answer (nothing speakable passed the filter)": "大模型的回答被合规过滤后为空",
    "blocked by the text filter": "合规过滤拦截",
    "unspeakable": "没有能读出来的字", "nothing speakable": "没有能读出来的字",
}
_DROP_SUFFIX_ZH = {"_thanks_off": "感谢已关闭", "_thanks_cooldown": "感谢冷却中"}


def drop_reason_zh(reason: str) -> str:
    """A drop reason in Chinese: the stage's code or phrase mapped, else a generic sentence that
    still names the code (a new code must never show up as raw English on its own)."""
    text = (reason or "").strip()
    if text in DROP_REASON_ZH:
        return DROP_REASON_ZH[text]
    key = text.split(":", 1)[0].strip()
    if key in DROP_REASON_ZH:
        return DROP_REASON_ZH[key]
    if key.startswith("switch to "):
        return "换了商品"
    if key.startswith("no_speech_for_"):
        return "这类事件不播报"
    for suffix, zh in _DROP_SUFFIX_ZH.items():
        if key.endswith(suffix):
            return zh
    if key in ("auth", "model_not_found", "disabled", "bad_request", "timeout", "rate_limit",
               "server", "connection"):
        return "大模型出错"
    return f"其他原因（{key or '未说明'}）"
