"""Why something was not said, in the operator's words.

Stages record a short code (``rate_limited``, ``stale: deadline passed 3.1s ago``, …) with every
drop; this is the one place that turns a code into Chinese for the dashboard, the spoken record
and the run report. Unknown codes are shown as they are.
"""

from __future__ import annotations

from app.utterance import LIVE_ENDED, SKIPPED

#: By the code's first word (before any ":" detail).
REASON_ZH: dict[str, str] = {
    # the operator's limits on answers
    "rate_limited": "回复频率已达每分钟上限",
    "answer_budget": "回答占用的时间已达上限（直播节奏设置）",
    "answer_queue": "前面排队的回答太多，等不及（直播节奏设置）",
    "duplicate": "同样的问题刚回答过",
    "user_cooldown": "这位观众刚被回答过",
    "question_llm_disabled": "没有匹配的关键词回答，且未启用大模型",
    # what the compliance filter or a template did
    "filtered": "回答含违禁内容，已拦截",
    "filter_error": "合规检查出错，为安全起见未播",
    "empty_text": "回答内容为空",
    "unspeakable": "内容里没有能读出来的字（只有符号、表情、日文或韩文），请改成中文",
    "compliance filter dropped": "回答含违禁内容，已拦截",
    # the queue and the player
    "stale": "等待太久已过期",
    "cancelled": "已取消",
    "cancelled before it started": "已取消",
    "cancelled; pending sentences dropped": "已取消",
    "cleared by operator": "运营清空了队列",
    SKIPPED: "运营跳过",
    "synthesis failed": "语音合成失败",
    "bad audio": "语音文件损坏",
    LIVE_ENDED: "已下播",
    "live_ended": "已下播",
    "shutdown": "直播已停止",
    "internal error (see log)": "内部错误（见日志）",
    # comments that are not viewers' questions
    "anchor_comment": "主播自己的评论",
    "admin_comment": "房管的评论（未开启回答房管）",
    "not_a_question": "不是提问",
}


#: The LLM worker's drops (``<error kind>: <detail>``): the same words mean other things there.
LLM_REASON_ZH: dict[str, str] = {
    "auth": "大模型密钥无效，请在设置里检查",
    "model_not_found": "大模型名称或接入点不存在",
    "rate_limited": "大模型请求过于频繁，被服务方限流",
    "unreachable": "连不上大模型服务",
    "stream_interrupted": "大模型回答中途断开",
    "timeout": "大模型回答超时",
    "server_error": "大模型服务出错",
    "bad_response": "大模型返回了无法识别的内容",
    "bad_request": "大模型拒绝了请求",
    "disabled": "未启用大模型",
    "empty answer (nothing speakable passed the filter)": "大模型没有给出可播的回答",
}


def reason_zh(reason: str, stage: str = "") -> str:
    """``stage`` is the ``Dropped.stage`` that gave the reason ("reply", "llm", …), if known."""
    head = reason.split(":", 1)[0].strip()
    if stage == "llm":
        found = LLM_REASON_ZH.get(reason) or LLM_REASON_ZH.get(head)
        if found:
            return found
    if reason in REASON_ZH:
        return REASON_ZH[reason]
    return REASON_ZH.get(head, reason)
