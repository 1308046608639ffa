"""Issue 18 (fault row "bad data"): a real runtime (demo mode, WAV sink, memory bus) replays a
recording with a gift whose count × diamonds exceeds 2^63, a viewer with a 2,000-character
nickname and a 10 MB frame. The run goes on, the spoken log equals what was played row for row
(the player's report and the WAV sink's segments), and the long nickname is spoken cut short.

Before the fix the event-log writer died on the gift holding SQLite's write lock and every
later spoken-log row was lost ("database is locked": 3 played, 2 logged)."""

from __future__ import annotations

import threading

from app import events
from app.runtime import Runtime
from app.store import EventLog, SpokenLog
from tests.standins.dybarrage import Room, Viewer

RUN_S = 20.0
ROOM = Room()
LONG_NAME = "超长昵称的观众" * 286  # 2,002 characters
HUGE = 2**40  # count × diamonds = 2^80
BIG_GIFT_ID = 7400000000000000103


def recording() -> str:
    fan, rich, long_named = Viewer(11, "小王"), Viewer(12, "大哥"), Viewer(13, LONG_NAME)
    frames = [
        (0.3, ROOM.stats(7400000000000000101, online=120, total=3400)),
        (0.8, ROOM.comment(7400000000000000102, fan, "这个多少钱")),
        (1.5, ROOM.gift(BIG_GIFT_ID, rich, gift_id=3, name="嘉年华", diamonds=HUGE, increment=HUGE,
                        repeat=HUGE)),
        (2.2, ROOM.gift(7400000000000000104, long_named, gift_id=5655, name="小心心", diamonds=1,
                        increment=1, repeat=1)),
        (3.0, ROOM.comment(7400000000000000105, fan, "x" * (10 * 2**20))),  # a 10 MB frame
        (4.0, ROOM.comment(7400000000000000106, Viewer(14, "小李"), "包邮吗")),
        (5.0, ROOM.gift(7400000000000000107, fan, gift_id=5655, name="小心心", diamonds=1, increment=3,
                        repeat=3)),
        (6.0, ROOM.follow(7400000000000000108, Viewer(15, "小张"))),
        (7.0, ROOM.comment(7400000000000000109, Viewer(16, "小赵"), "什么时候发货")),
    ]
    return "".join(f"{t:.3f}\t{frame}\n" for t, frame in frames)


def merged(ids: list[str]) -> list[str]:
    """Consecutive samples of one utterance are one playback."""
    out: list[str] = []
    for i in ids:
        if not out or out[-1] != i:
            out.append(i)
    return out


def test_bad_data_does_not_break_the_record_and_the_spoken_log_equals_what_played(tmp_path):
    rec = tmp_path / "faults.feed"
    rec.write_text(recording(), encoding="utf-8")
    db = tmp_path / "live.sqlite3"
    config = tmp_path / "config.ini"
    config.write_text(f"[bus]\nurl = memory\n[store]\ndb_path = {db}\n", encoding="utf-8")
    runtime = Runtime(config, demo=True, replay=rec, sink=f"wav:{tmp_path / 'room.wav'}")
    errors: list[events.ErrorReport] = []
    runtime.bus.subscribe(events.Channel.SYSTEM,
                          lambda e: errors.append(e) if isinstance(e, events.ErrorReport) else None)
    runtime.start()
    try:
        threading.Event().wait(RUN_S)
        sink = runtime.player.sink
    finally:
        # The room stops as the operator's 停止 stops it, and the report is what it played: every
        # utterance heard up to the last sample, which the spoken log must hold too (the recorder
        # writes what it was handed before it closes).
        runtime.stop()
        report = runtime.report()
        runtime.close()

    # the run went on: the feed read past every bad frame, the script and the replies played
    feed = report["feed"]
    assert feed["detail"]["published"] >= 6, feed
    kinds = {p["kind"] for p in report["played"]}
    assert {"gift", "reply"} <= kinds, kinds  # (buyers first: the script may not have had its turn yet)
    # the absurd gift is counted as a bad frame at decode and skipped, not thanked for 2^80 diamonds
    assert feed["detail"]["out_of_range"] == 1, feed
    assert not any("1099511627776" in p["text"] for p in report["played"])

    # the spoken log equals what was played, row for row
    with SpokenLog(db) as spoken:
        rows = spoken.query()
    logged = [r.utterance_id for r in rows]
    # (an item the player had begun, its first sample not yet written when the report was taken,
    # has not been heard: it is neither in the WAV nor announced as started)
    written = {s.id for s in sink.segments if s.id}
    played = [p for p in sorted(report["played"], key=lambda p: p["started_at"]) if p["id"] in written]
    assert len(logged) >= 3 and played[-1]["started_at"] > 3.0, f"the log stopped early: {logged}"  # past the 10 MB frame
    assert list(dict.fromkeys(logged)) == [p["id"] for p in played]
    assert logged == merged([s.id for s in sink.segments if s.id])
    assert [r.text for r in rows if not r.resumed] == [p["text"] for p in played]
    assert all(r.ended_at is not None for r in rows[:-1])  # every row but the last is closed

    assert not [e for e in errors if e.component == "store"], [e.message for e in errors]

    # the 2,000-character nickname reached the room cut to 12 characters
    thanked = [p["text"] for p in played if LONG_NAME[:12] in p["text"]]
    assert thanked, "the viewer with the long nickname was never thanked"
    assert not any(LONG_NAME[:13] in p["text"] for p in played)

    # the absurd gift is in the event log; its value is left out of the sums with a counted reason
    log = EventLog(db)
    try:
        stored = {e["msg_id"] for e in log.events(limit=100)}
        stats: dict[str, float] = {}
        for minute in log.minute_stats().values():
            for name, value in minute.items():
                stats[name] = stats.get(name, 0) + value
    finally:
        log.close()
    if str(BIG_GIFT_ID) in stored:  # (the decoder may reject it first: then it never reaches the store)
        assert stats.get("rejected.gift_value_out_of_range") == 1, stats
        assert stats.get("diamonds", 0) < 10**9
    assert stats.get("event.comment", 0) >= 2 and stats.get("event.follow", 0) == 1
    assert "7400000000000000109" in stored, "the event-log writer stopped before the last event"
