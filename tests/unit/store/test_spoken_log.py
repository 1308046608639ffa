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
