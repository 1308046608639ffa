"""Issue 18.2: bad data never breaks the record. A real SQLite file shared by the event log and
the spoken log, as in a run (``[store] db_path``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter

import pytest

from app import events as ev
from app.bus import MemoryBus
from app.store import safe
from app.store.event_log import EventLog, EventLogRecorder
from app.store.recorder import SpokenLogRecorder
from app.store.spoken_log import SpokenLog

HUGE = 2**40  # count × diamonds = 2^80: more than SQLite's 64-bit INTEGER


def gift(i: int, count: int, diamonds: int, nickname: str = "小王") -> ev.LiveEvent:
    return ev.LiveEvent(type="gift", msg_id=str(i), room_id="r", ts=time.time(),
                        user=ev.User(id=str(i), nickname=nickname), text="送出 玫瑰",
                        gift=ev.GiftInfo(id="1", name="玫瑰", count=count, total=count, diamonds=diamonds))


def comment(i: int, nickname: str = "观众") -> ev.LiveEvent:
    return ev.LiveEvent(type="comment", msg_id=str(i), room_id="r", ts=time.time(),
                        user=ev.User(id=str(i), nickname=nickname), text="多少钱")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "live.sqlite3"


def spoken_write_is_quick(spoken: SpokenLog, uid: str) -> float:
    """Seconds one spoken-log row takes; a lock left held by the event log makes it fail after
    sqlite3's 5 s busy timeout."""
    t0 = time.monotonic()
    spoken.record_played(utterance_id=uid, text="谢谢", kind="gift", priority=-1)
    return time.monotonic() - t0


def test_an_unstorable_number_is_rejected_and_counted_and_the_file_stays_writable(db):
    log, spoken = EventLog(db), SpokenLog(db)
    try:
        log.write([gift(1, HUGE, HUGE)], Counter({"event.gift": 1, "diamonds": HUGE * HUGE}))
        assert log.rejected == {"stat_out_of_range": 1}
        assert log.count() == 1  # the event itself is kept (its JSON holds the numbers as sent)
        stats = next(iter(log.minute_stats().values()))
        assert stats["event.gift"] == 1 and "diamonds" not in stats
        assert stats["rejected.stat_out_of_range"] == 1
        assert spoken_write_is_quick(spoken, "u1") < 1.0
        assert [e.utterance_id for e in spoken.query()] == ["u1"]
    finally:
        log.close()
        spoken.close()


def refuse(db, table: str, when: str, message: str) -> None:
    """Make the file itself refuse some rows (a trigger added from another connection): a write
    that fails midway, after rows of the same transaction were already written."""
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN {when} "
                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    conn.commit()
    conn.close()


def test_a_batch_failing_midway_rolls_back_and_releases_the_lock(db):
    log, spoken = EventLog(db), SpokenLog(db)
    refuse(db, "minute_stats", "NEW.name = 'event.comment'", "boom")  # after the event rows went in
    try:
        log.write([comment(1)], Counter({"event.comment": 1}))
        assert log.count() == 1  # stored once: the failed batch was rolled back, then the row alone
        assert log.rejected == {"unstorable_stat": 1}
        stats = next(iter(log.minute_stats().values()))
        assert "event.comment" not in stats and stats["rejected.unstorable_stat"] == 1
        assert spoken_write_is_quick(spoken, "u1") < 1.0  # no transaction left open holding the lock
    finally:
        log.close()
        spoken.close()


def test_one_bad_row_costs_only_itself(db):
    log = EventLog(db)
    refuse(db, "live_events", "NEW.msg_id = '2'", "cannot store this one")
    try:
        log.write([comment(1), comment(2), comment(3)], Counter())
        assert [e["msg_id"] for e in log.events()] == ["1", "3"]
        assert log.rejected == {"unstorable_event": 1}
    finally:
        log.close()


def test_text_with_a_lone_surrogate_is_stored_not_raised(db):
    """JSON may carry "\\ud83d" (half an emoji); SQLite's UTF-8 cannot bind it."""
    log, spoken = EventLog(db), SpokenLog(db)
    try:
        log.write([comment(1, nickname="坏\ud83d字")], Counter())
        assert log.events()[0]["user"]["nickname"] == "坏\ufffd字"
        bus = MemoryBus("t")
        rec = SpokenLogRecorder(bus, spoken)
        bus.publish(ev.Channel.PLAYER_STATE, ev.PlaybackStarted(id="a", kind="gift", text="谢谢坏\ud83d字",
                                                                priority=-1, duration_s=1.0))
        assert wait_until(lambda: spoken.query())
        assert [e.text for e in spoken.query()] == ["谢谢坏\ufffd字"] and not rec.failures
        rec.close()
        bus.close()
    finally:
        log.close()
        spoken.close()


def test_safe_transaction_rolls_back_on_any_exception(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(OverflowError):
        with safe.transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            conn.execute("INSERT INTO t VALUES (?)", (2**64,))
    assert not conn.in_transaction and conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
    conn.close()


def wait_until(cond, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.02)
    return cond()


def test_the_recorder_survives_an_absurd_gift_and_the_spoken_log_keeps_every_row(db):
    """The issue's run: gift frame with count × diamonds > 2^63, then ordinary events and
    playbacks. Before the fix the writer thread died holding the write lock and the spoken
    log lost every later row ("3 played, 2 logged")."""
    bus = MemoryBus("t")
    log, spoken = EventLog(db), SpokenLog(db)
    rec = EventLogRecorder(bus, log, flush_s=0.05)
    spoken_rec = SpokenLogRecorder(bus, spoken)
    rec.start()
    try:
        for i, e in enumerate([gift(1, HUGE, HUGE), comment(2), gift(3, 2, 10)]):
            bus.publish(e.channel, e)
            bus.publish(ev.Channel.PLAYER_STATE, ev.PlaybackStarted(id=f"u{i}", kind="gift", text=f"谢谢{i}",
                                                                    priority=-1, duration_s=1.0))
            bus.publish(ev.Channel.PLAYER_STATE, ev.PlaybackFinished(id=f"u{i}"))
            assert wait_until(lambda i=i: log.count() == i + 1)  # each in its own flush
        assert wait_until(lambda: len([e for e in spoken.query() if e.ended_at]) == 3)
        assert rec.alive and not rec.failures and not spoken_rec.failures
        stats = next(iter(log.minute_stats().values()))
        assert stats["diamonds"] == 20  # the absurd gift is left out of the sums …
        assert stats["rejected.gift_value_out_of_range"] == 1  # … with its reason counted
        assert rec.counters()["rejected"] == {"gift_value_out_of_range": 1}
    finally:
        rec.stop()
        spoken_rec.close()
        bus.close()
        log.close()
        spoken.close()


def test_a_failing_writer_keeps_running_and_reports_on_system(db, monkeypatch):
    bus = MemoryBus("t")
    log = EventLog(db)
    errors: list = []
    bus.subscribe(ev.Channel.SYSTEM, lambda e: errors.append(e) if isinstance(e, ev.ErrorReport) else None)
    rec = EventLogRecorder(bus, log, flush_s=0.05)
    failing = threading.Event()
    failing.set()
    real_write = log.write

    def write(*a, **kw):
        if failing.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(*a, **kw)

    monkeypatch.setattr(log, "write", write)
    rec.start()
    try:
        bus.publish(ev.Channel.LIVE_EVENTS, comment(1))
        assert wait_until(lambda: rec.failures["write"] >= 1)
        assert wait_until(lambda: len(errors) == 1)
        assert errors[0].component == "store" and "磁盘" in errors[0].message
        failing.clear()  # the disk has room again: the next batch is written
        bus.publish(ev.Channel.LIVE_EVENTS, comment(2))
        assert wait_until(lambda: log.count() == 1)
        assert rec.alive and log.events()[0]["msg_id"] == "2"
    finally:
        rec.stop()
        bus.close()
        log.close()


def test_a_failing_spoken_log_write_is_reported_and_counted(db, monkeypatch):
    bus = MemoryBus("t")
    spoken = SpokenLog(db)
    errors: list = []
    bus.subscribe(ev.Channel.SYSTEM, lambda e: errors.append(e) if isinstance(e, ev.ErrorReport) else None)
    rec = SpokenLogRecorder(bus, spoken)

    def full(**kw):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(spoken, "record_played", full)
    try:
        for i in range(3):
            bus.publish(ev.Channel.PLAYER_STATE, ev.PlaybackStarted(id=f"u{i}", kind="script", text="你好",
                                                                    priority=10, duration_s=1.0))
        assert wait_until(lambda: sum(rec.failures.values()) == 3)
        assert wait_until(lambda: len(errors) == 1)  # one report, not one per row
        assert "播出记录" in errors[0].message
    finally:
        rec.close()
        bus.close()
        spoken.close()
