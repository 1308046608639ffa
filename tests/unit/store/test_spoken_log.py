from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time

from app import events
from app.bus.memory import MemoryBus
from app.compliance.filter import Hit
from app.store.recorder import SpokenLogRecorder
from app.store.spoken_log import CSV_COLUMNS, SpokenLog
from app.text.prepare import make_request
from tests.word_lists import CheckedTexts

HIT = Hit(category="absolute", term="最好", matched="最 好", start=2, end=5, line=1, col=3,
          action="replace", replacement="很好")


def test_database_is_in_wal_mode_and_survives_reopening(tmp_path):
    db = tmp_path / "log.sqlite3"
    with SpokenLog(db) as log:
        assert log.journal_mode() == "wal"
        log.record_played(utterance_id="u1", text="你好", kind="script", priority=10, started_at=100.0)
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    with SpokenLog(db) as log:
        assert [e.utterance_id for e in log.query()] == ["u1"]


def test_rows_record_interrupt_resume_and_hits_and_query_by_time(tmp_path):
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        log.record_played(utterance_id="s1", text="开场白", kind="script", priority=10,
                          route="gptsovits:a", started_at=100.0)
        log.mark_interrupted("s1", at=101.0)
        log.record_played(utterance_id="g1", text="谢谢小花的礼物", kind="gift", priority=-5,
                          filter_hits=[HIT], started_at=101.5)
        log.mark_finished("g1", at=103.0)
        log.record_played(utterance_id="s1", text="开场白", kind="script", priority=10,
                          resumed=True, started_at=103.2)
        log.mark_finished("s1", at=105.0)
        rows = log.query()
        assert [(e.utterance_id, e.interrupted, e.resumed, e.ended_at) for e in rows] == [
            ("s1", True, False, 101.0), ("g1", False, False, 103.0), ("s1", False, True, 105.0)]
        assert rows[1].filter_hits[0]["term"] == "最好" and rows[1].filter_hits[0]["col"] == 3
        assert [e.utterance_id for e in log.query(since=101.0, until=103.2)] == ["g1"]


def test_hits_noted_before_playing_are_attached_to_the_played_row(tmp_path):
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        log.note_hits("r1", [HIT])
        log.record_played(utterance_id="r1", text="很好", kind="llm", priority=0)
        assert log.query()[0].filter_hits[0]["category"] == "absolute"


def test_csv_export_has_header_and_one_row_per_playback(tmp_path):
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        log.record_played(utterance_id="a", text="第一句，有逗号", kind="script", priority=10,
                          started_at=time.time())
        log.record_played(utterance_id="b", text="第二句", kind="reply", priority=0,
                          filter_hits=[HIT], started_at=time.time())
        out = io.StringIO()
        assert log.export_csv(out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[2] for r in rows[1:]] == ["a", "b"]
    assert [r[3] for r in rows[1:]] == ["话术", "关键词回复"]  # kinds in Chinese for Excel
    assert rows[1][8] == "第一句，有逗号"
    assert '"最好"' in rows[2][9]


def test_writer_is_safe_from_several_threads(tmp_path):
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        def play(n):
            for i in range(25):
                log.record_played(utterance_id=f"{n}-{i}", text="x", kind="script", priority=10)
        threads = [threading.Thread(target=play, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(log.query()) == 100


def test_recorder_logs_exactly_what_the_player_reports(tmp_path):
    bus = MemoryBus("t")
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        rec = SpokenLogRecorder(bus, log)
        ch = events.Channel.PLAYER_STATE
        bus.publish(ch, events.PlaybackStarted(id="s1", kind="script", text="开场", priority=10,
                                               duration_s=3.0, route="espeak"))
        bus.publish(ch, events.PlaybackInterrupted(id="s1", position_s=1.0, sentence_index=0, by_id="g1"))
        bus.publish(ch, events.PlaybackStarted(id="g1", kind="gift", text="谢谢", priority=-5, duration_s=1.0))
        bus.publish(ch, events.PlaybackFinished(id="g1"))
        bus.publish(ch, events.PlaybackStarted(id="s1", kind="script", text="开场", priority=10,
                                               duration_s=3.0, resumed=True, start_s=1.0))
        bus.publish(ch, events.PlaybackFinished(id="s1"))
        deadline = time.time() + 3
        while time.time() < deadline and not (len(log.query()) == 3 and log.query()[-1].ended_at):
            time.sleep(0.01)
        rows = log.query()
        rec.close()
        bus.close()
    assert [(e.utterance_id, e.kind, e.route, e.interrupted, e.resumed) for e in rows] == [
        ("s1", "script", "espeak", True, False), ("g1", "gift", "", False, False),
        ("s1", "script", "", False, True)]
    assert all(e.ended_at is not None for e in rows)


def _wait(cond, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline and not cond():
        time.sleep(0.01)
    return cond()


def test_a_file_from_before_the_new_columns_is_migrated_without_losing_rows(tmp_path):
    db = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(db)  # the first version's table, with two rows in it
    raw.executescript("""
        CREATE TABLE spoken (row_id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL,
            ended_at REAL, utterance_id TEXT NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL,
            priority INTEGER NOT NULL, route TEXT NOT NULL DEFAULT '', interrupted INTEGER NOT NULL DEFAULT 0,
            resumed INTEGER NOT NULL DEFAULT 0, filter_hits TEXT NOT NULL DEFAULT '[]');
        INSERT INTO spoken (started_at, ended_at, utterance_id, text, kind, priority) VALUES
            (100.0, 101.0, 'old1', '老的第一句', 'script', 10), (102.0, NULL, 'old2', '老的第二句', 'gift', -1);
    """)
    raw.commit()
    raw.close()
    with SpokenLog(db) as log:
        log.record_played(utterance_id="new", text="很好用", kind="reply", priority=0, started_at=103.0,
                          session_id=7, product="保温杯", viewer="小美", comment="好用吗",
                          original="最好用")
        rows = log.query()
    assert [(e.utterance_id, e.text, e.viewer, e.session_id) for e in rows] == [
        ("old1", "老的第一句", "", None), ("old2", "老的第二句", "", None), ("new", "很好用", "小美", 7)]
    assert (rows[2].product, rows[2].comment, rows[2].original) == ("保温杯", "好用吗", "最好用")
    with SpokenLog(db) as log:  # opening a migrated file again changes nothing
        assert len(log.query()) == 3


def test_search_by_text_viewer_time_and_session(tmp_path):
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        log.record_played(utterance_id="a", text="这款保温杯可以保温十二小时", kind="script", priority=10,
                          started_at=100.0, session_id=1)
        log.record_played(utterance_id="b", text="很好用的哦", kind="reply", priority=0, started_at=110.0,
                          session_id=1, viewer="小美_99", comment="好用吗", original="最好用的哦")
        log.record_played(utterance_id="c", text="谢谢阿强的小心心", kind="gift", priority=-1,
                          started_at=120.0, session_id=2, viewer="阿强")
        ids = lambda rows: [e.utterance_id for e in rows]  # noqa: E731
        assert ids(log.query(text="保温")) == ["a"]
        assert ids(log.query(text="最好")) == ["b"], "the text before the filter is searched too"
        assert ids(log.query(viewer="小美")) == ["b"]
        assert ids(log.query(viewer="_9")) == ["b"] and ids(log.query(viewer="%")) == []  # LIKE escaped
        assert ids(log.query(since=105.0, until=120.0)) == ["b"]
        assert ids(log.query(session_id=2)) == ["c"]
        assert ids(log.query(limit=2)) == ["b", "c"], "a limit keeps the newest rows, oldest first"


def _started(req: events.SpeechRequest, **kw) -> events.PlaybackStarted:
    """A PlaybackStarted as the player publishes it: with the utterance's record."""
    view = events.UtteranceView(
        id=req.id, kind=req.kind, text=req.text, original=req.original, product=req.product,
        source_event=req.source_event, viewer=req.viewer, comment=req.comment, priority=req.priority,
        hits=req.hits, sentences=req.sentences, state="playing", route="espeak")
    return events.PlaybackStarted(id=req.id, kind=req.kind, text=req.text, priority=req.priority, duration_s=1.0,
                                  route="espeak", utterance=view, **kw)


def test_recorder_writes_who_asked_and_what_the_filter_changed(tmp_path):
    """Why it was said comes with the playback itself: no request is ever seen on this bus."""
    bus = MemoryBus("t")
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        rec = SpokenLogRecorder(bus, log, product_name={"cup": "保温杯"}.get)
        req = events.SpeechRequest(id="r1", text="很好用的哦", kind="reply", priority=0, source_event="m1",
                                   product="cup", viewer="小美", comment="这个好用吗", original="最好用的哦")
        bus.publish(events.Channel.PLAYER_STATE, _started(req))
        bus.publish(events.Channel.PLAYER_STATE, events.PlaybackFinished(id="r1"))
        assert _wait(lambda: log.query() and log.query()[0].ended_at is not None)
        row = log.query()[0]
        assert (row.product, row.viewer, row.comment, row.original, row.source_event) == (
            "保温杯", "小美", "这个好用吗", "最好用的哦", "m1")
        assert row.session_id == rec.session_id
        rec.close()
    bus.close()


def test_the_row_is_whole_when_written_and_a_resume_row_says_the_same(tmp_path):
    bus = MemoryBus("t")
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        rec = SpokenLogRecorder(bus, log)
        req = events.SpeechRequest(id="f1", text="插播音频：开场音乐", kind="say_now", priority=-10, viewer="运营",
                                   comment="放音乐")
        bus.publish(events.Channel.PLAYER_STATE, _started(req))
        bus.publish(events.Channel.PLAYER_STATE, events.PlaybackInterrupted(id="f1", position_s=0.5,
                                                                           sentence_index=0, by_id="x"))
        bus.publish(events.Channel.PLAYER_STATE, _started(req, resumed=True, start_s=0.5))
        assert _wait(lambda: len(log.query()) == 2)
        assert [(r.viewer, r.comment, r.resumed) for r in log.query()] == [("运营", "放音乐", False),
                                                                           ("运营", "放音乐", True)]
        rec.close()
    bus.close()


def test_the_filter_hits_an_utterance_carries_are_listed_on_its_rows(tmp_path):
    checked = CheckedTexts(tmp_path / "lists")  # 最好 => 很好
    prepared = checked.preparer()("这是最好的面霜。")
    bus = MemoryBus("t")
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        rec = SpokenLogRecorder(bus, log)
        for i in ("a", "b"):
            bus.publish(events.Channel.PLAYER_STATE, _started(make_request(prepared, id=i, kind="script",
                                                                           priority=10)))
        assert _wait(lambda: len(log.query()) == 2)
        for row in log.query():
            assert (row.text, row.original) == ("这是很好的面霜。", "这是最好的面霜。")
            assert [(h["category"], h["term"], h["action"], h["replacement"]) for h in row.filter_hits] == [
                ("absolute", "最好", "replace", "很好")]
        rec.close()
    bus.close()


def test_one_recorder_is_one_session_and_keeps_the_questions(tmp_path):
    from app.store.sessions import SessionLog

    bus = MemoryBus("t")
    clock = iter([1000.0, 1010.0, 1020.0, 1030.0, 1040.0]).__next__
    with SpokenLog(tmp_path / "log.sqlite3") as log:
        rec = SpokenLogRecorder(bus, log, demo=True, clock=clock)
        sys_ch = events.Channel.SYSTEM
        bus.publish(sys_ch, events.QuestionStatus(msg_id="q1", ts=1001.0, viewer="小美", text="多少钱",
                                                  state="waiting"))
        bus.publish(sys_ch, events.QuestionStatus(msg_id="q1", ts=1001.0, viewer="小美", text="多少钱",
                                                  state="answered", answer="九十九元", latency_s=2.5))
        bus.publish(sys_ch, events.QuestionStatus(msg_id="q2", ts=1002.0, viewer="阿强", text="能便宜吗",
                                                  state="unanswered", reason="回复太频繁，已限流"))
        bus.publish(sys_ch, events.LiveEnded(room_id="r", ts=1005.0))
        assert _wait(lambda: (s := rec.sessions.session(rec.session_id)) is not None and s.ended_at)
        assert _wait(lambda: len(rec.sessions.questions(rec.session_id)) == 2
                     and rec.sessions.questions(rec.session_id)[0].state == "answered")
        first = rec.session_id
        rec.close()
        rec2 = SpokenLogRecorder(bus, log, clock=clock)
        bus.publish(events.Channel.PLAYER_STATE, events.PlaybackStarted(
            id="cut", kind="script", text="停止时正在说", priority=10, duration_s=5.0))
        assert _wait(lambda: len(log.query(session_id=rec2.session_id)) == 1)
        rec2.close()
        cut = log.query(session_id=rec2.session_id)[0]
        assert (cut.interrupted, cut.ended_at) == (True, 1040.0), "what played at 停止 was cut there"
    with SessionLog(tmp_path / "log.sqlite3") as sessions:
        newest, oldest = sessions.sessions()
        assert (oldest.session_id, oldest.started_at, oldest.ended_at, oldest.end_reason, oldest.demo) == (
            first, 1000.0, 1005.0, "live_end", True), "the live's end wins over the later stop"
        assert newest.end_reason == "stopped" and newest.ended_at is not None
        q1, q2 = sessions.questions(first)
        assert (q1.state, q1.answer, q1.latency_s) == ("answered", "九十九元", 2.5)
        assert (q2.state, q2.reason) == ("unanswered", "回复太频繁，已限流")
        assert sessions.questions(newest.session_id) == []
    bus.close()
