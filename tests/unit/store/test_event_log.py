from __future__ import annotations

import time
from collections import Counter

from app import events as ev
from app.bus import MemoryBus
from app.store.event_log import EventLog, EventLogRecorder
from tests.waiting import wait_until


def live(i: int, kind: str = "comment", ts: float | None = None, **kw) -> ev.LiveEvent:
    return ev.LiveEvent(type=kind, msg_id=str(i), room_id="r", ts=time.time() if ts is None else ts,
                        user=ev.User(id=str(i), nickname=f"观众{i}"), text=f"第{i}条", **kw)


def test_events_and_minute_stats_are_stored_and_bounded(tmp_path):
    log = EventLog(tmp_path / "live.sqlite3", event_retention_days=1, max_events=50)
    now = time.time()
    old = [live(i, ts=now - 2 * 86400) for i in range(5)]  # two days old: past retention
    log.write(old, Counter(), now=now)
    assert log.count() == 0
    log.write([live(i) for i in range(80)], Counter({"event.comment": 80}), now=now)
    assert log.count() == 50  # only the newest max_events are kept
    assert log.events(limit=1)[0]["msg_id"] == "79"
    log.write([], Counter({"event.comment": 3}), now=now)
    assert log.minute_stats()[int(now // 60)]["event.comment"] == 83
    log.close()


def minute(log: EventLog) -> dict:
    return next(iter(log.minute_stats().values()), {})


def test_recorder_counts_gift_value_plays_and_drops(tmp_path):
    bus = MemoryBus("t")
    log = EventLog(tmp_path / "live.sqlite3")
    rec = EventLogRecorder(bus, log, flush_s=0.05)
    rec.start()
    gift = live(1, "gift", gift=ev.GiftInfo(id="1", name="玫瑰", count=3, total=3, diamonds=10))
    bus.publish(gift.channel, gift)
    bus.publish(ev.Channel.LIVE_EVENTS, live(2))
    bus.publish(ev.Channel.PLAYER_STATE, ev.PlaybackStarted(id="a", kind="gift", text="谢谢", priority=-1,
                                                            duration_s=1.0))
    bus.publish(ev.Channel.SYSTEM, ev.Dropped(stage="reply", ref="2", reason="not_a_question"))
    everything = ("event.gift", "event.comment", "played.gift", "dropped.not_a_question")
    wait_until(lambda: log.count() == 2 and all(k in minute(log) for k in everything), what="the four in the log")
    rec.stop()
    stats = minute(log)
    assert stats["diamonds"] == 30 and stats["event.gift"] == 1 and stats["event.comment"] == 1
    assert stats["played.gift"] == 1 and stats["dropped.not_a_question"] == 1
    bus.close()
    log.close()
