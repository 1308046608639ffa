"""插播文字: the operator's line, prepared like every other utterance (``app.text.prepare``: the
compliance filter included), so the room never says an unchecked word, not even the operator's.

A line that cannot be said is not silently lost: it fails as a TTS failure would (the player
drops it with the reason, the report counts it) and the operator is told why, in Chinese, with
what to do.
"""

from __future__ import annotations

from app import events
from app.logs import get_logger
from app.text.prepare import TextPreparer, make_request

log = get_logger("runtime")

_WHY = {"filtered": "含有违禁词（{terms}），已拦截；请改写后再发送",
        "filter_error": "合规检查出错，为安全起见没有播出；请查看日志",
        "unspeakable": "没有能读出来的字（只有符号、表情、日文或韩文）；请改成中文",
        "empty_text": "内容为空；请输入要插播的话"}


def say_now_events(cmd: events.SayNow, *, utterance_id: str, now: float,
                   prepare: TextPreparer) -> list[tuple[str, object]]:
    """(channel, event) to publish for ``cmd``: its request, or why it is not said."""
    prepared = prepare(cmd.text)
    if prepared.ok:
        return [(events.Channel.SPEECH_REQUESTS, make_request(
            prepared, id=utterance_id, kind="say_now", priority=cmd.priority, created_at=now))]
    log.warning("say_now %s not said: %s", utterance_id, prepared.reason)
    terms = "、".join(dict.fromkeys(h.term for h in prepared.hits)) or "?"
    code = "blocked by the text filter" if prepared.reason.startswith("filter") else "nothing speakable"
    request = events.SpeechRequest(id=utterance_id, text=cmd.text, kind="say_now", priority=cmd.priority,
                                   created_at=now, hits=prepared.hits)
    return [(events.Channel.SPEECH_READY, events.SpeechFailed(request=request, reason=f"{code}: {prepared.reason}")),
            (events.Channel.SYSTEM, events.ErrorReport(
                component="插播", message="插播没有播出：" + _WHY[prepared.reason].format(terms=terms), ts=now))]
