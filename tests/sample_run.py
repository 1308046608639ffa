"""A recorded run written through the real stores (spoken log, sessions and questions, event
log), for the review and the spoken-record tests: two sessions in one database, so a test can
check that nothing of the second leaks into the first."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from app import events
from app.store.event_log import EventLog
from app.store.sessions import SessionLog
from app.store.spoken_log import SpokenLog

T0 = 1_750_000_000.0  # session 1 starts here; it lasts 3 minutes 10 s


def _comment(i: int, ts: float, nick: str, text: str) -> events.LiveEvent:
    return events.LiveEvent(type="comment", msg_id=f"c{i}", room_id="r", ts=ts,
                            user=events.User(id=f"u-{nick}", nickname=nick), text=text)


def _gift(i: int, ts: float, nick: str, name: str, count: int, diamonds: int) -> events.LiveEvent:
    return events.LiveEvent(type="gift", msg_id=f"g{i}", room_id="r", ts=ts,
                            user=events.User(id=f"u-{nick}", nickname=nick), text=f"送出 {name}",
                            gift=events.GiftInfo(id=name, name=name, count=count, total=count, diamonds=diamonds))


def make_run_db(path: Path) -> dict:
    """Write the sample run; returns the session ids and what the test may want to know."""
    sessions = SessionLog(path)
    spoken = SpokenLog(path)
    elog = EventLog(path, event_retention_days=3650 * 10)
    s1 = sessions.open_session(T0, demo=True)
    rows = [  # (start, end, id, kind, text, extra)
        (T0 + 0, T0 + 20, "s1", "script", "这款保温杯十二小时保温", {"product": "保温杯"}),
        (T0 + 20, T0 + 25, "r1", "reply", "很好用的哦", {"viewer": "小美", "comment": "好用吗",
                                                        "original": "最好用的哦", "product": "保温杯"}),
        (T0 + 25, T0 + 30, "s2", "script", "现在下单送杯套", {"product": "保温杯"}),
        (T0 + 55, T0 + 65, "g1", "gift", "感谢榜一大哥的嘉年华", {"viewer": "榜一大哥"}),  # spans a minute
        (T0 + 65, T0 + 100, "s3", "script", "保温杯的材质是三百零四不锈钢", {"product": "保温杯"}),
        (T0 + 100, T0 + 104, "w1", "welcome", "欢迎新来的朋友", {}),
        (T0 + 130, T0 + 140, "l1", "llm", "晚上用也可以的", {"viewer": "阿强", "comment": "晚上能用吗"}),
        (T0 + 140, T0 + 150, "t1", "timed", "点点关注不迷路", {}),
        (T0 + 150, T0 + 170, "s4", "script", "本店销量很高，快来抢", {"original": "本店销量第一，快来抢"}),
    ]
    for start, end, uid, kind, text, extra in rows:
        spoken.record_played(utterance_id=uid, text=text, kind=kind, priority=10, started_at=start,
                             session_id=s1, route="espeak", **extra)
        spoken.mark_finished(uid, end)
    questions = [
        ("q1", T0 + 18, "小美", "好用吗", "answered", "很好用的哦", 2.0, ""),
        ("q2", T0 + 40, "阿花", "多少钱？", "answered", "九十九元", 4.0, ""),
        ("q3", T0 + 70, "老王", "多少钱", "answered", "九十九元", 12.0, ""),
        ("q4", T0 + 75, "小李", "多少 钱!", "unanswered", "", None, "回复太频繁，已限流"),
        ("q5", T0 + 126, "阿强", "晚上能用吗", "answered", "晚上用也可以的", 6.5, ""),
        ("q6", T0 + 185, "小张", "有优惠吗", "waiting", "", None, ""),
    ]
    for msg_id, ts, viewer, text, state, answer, latency, reason in questions:
        sessions.record_question(s1, events.QuestionStatus(msg_id=msg_id, ts=ts, viewer=viewer, text=text,
                                                           state=state, answer=answer, latency_s=latency,
                                                           reason=reason))
    live = [_comment(1, T0 + 5, "小美", "好漂亮"), _comment(2, T0 + 18, "小美", "好用吗"),
            _comment(3, T0 + 40, "阿花", "多少钱？"), _comment(4, T0 + 70, "老王", "多少钱"),
            _comment(5, T0 + 75, "小李", "多少 钱!"), _comment(6, T0 + 126, "阿强", "晚上能用吗"),
            _comment(7, T0 + 185, "小张", "有优惠吗"),
            _gift(1, T0 + 50, "榜一大哥", "嘉年华", 1, 3000), _gift(2, T0 + 52, "小美", "小心心", 5, 1),
            _gift(3, T0 + 130, "小美", "小心心", 3, 1), _gift(4, T0 + 131, "阿花", "玫瑰", 2, 10),
            events.LiveEvent(type="like", msg_id="k1", room_id="r", ts=T0 + 60,
                             like=events.LikeInfo(count=10, total=10))]
    elog.write(live, Counter(), now=T0 + 190)
    sessions.end_session(s1, T0 + 190, "stopped")

    # session 2, an hour later: must not show up in session 1's review
    t2 = T0 + 3600
    s2 = sessions.open_session(t2)
    spoken.record_played(utterance_id="x1", text="第二场的话术", kind="script", priority=10, started_at=t2 + 1,
                         session_id=s2)
    spoken.mark_finished("x1", t2 + 11)
    elog.write([_comment(99, t2 + 2, "路人", "第二场的弹幕"), _gift(99, t2 + 3, "路人", "火箭", 1, 10000)],
               Counter(), now=t2 + 5)
    sessions.record_question(s2, events.QuestionStatus(msg_id="q99", ts=t2 + 2, viewer="路人", text="第二场的问题",
                                                       state="waiting"))
    for store in (sessions, spoken, elog):
        store.close()
    return {"s1": s1, "s2": s2, "start": T0, "end": T0 + 190}
