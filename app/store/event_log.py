"""Live events (bounded retention) and per-minute stats, in the same SQLite file as the spoken
log (WAL, so the GUI and `export-log` read while the run writes).

Rows are written in batches from a queue (the feed can bring thousands of events a second;
one transaction per second costs far less than one per event). Retention is enforced on each
flush: rows older than ``retention_days`` go, and at most ``max_events`` are kept.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from app import events
from app.bus.base import Bus
from app.logs import get_logger

log = get_logger("store")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS live_events (
    row_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    ts       REAL NOT NULL,
    type     TEXT NOT NULL,
    msg_id   TEXT NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    text     TEXT NOT NULL DEFAULT '',
    event    TEXT NOT NULL            -- the normalised event (design §4) as JSON
);
CREATE INDEX IF NOT EXISTS live_events_ts ON live_events(ts);
CREATE TABLE IF NOT EXISTS minute_stats (
    minute   INTEGER NOT NULL,        -- epoch seconds // 60
    name     TEXT NOT NULL,           -- "event.gift", "diamonds", "played.reply", "dropped.stale" …
    value    REAL NOT NULL,
    PRIMARY KEY (minute, name)
);
"""


class EventLog:
    def __init__(self, path: str | Path, *, retention_days: float = 7.0, max_events: int = 200_000):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_s = retention_days * 86400
        self.max_events = max_events
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def write(self, live: list[events.LiveEvent], stats: Counter, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        minute = int(now // 60)
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO live_events(ts, type, msg_id, nickname, text, event) VALUES (?,?,?,?,?,?)",
                [(e.ts, e.type, e.msg_id, e.user.nickname if e.user else "", e.text, events.encode_str(e))
                 for e in live])
            self._db.executemany(
                "INSERT INTO minute_stats(minute, name, value) VALUES (?,?,?) "
                "ON CONFLICT(minute, name) DO UPDATE SET value = value + excluded.value",
                [(minute, name, value) for name, value in stats.items()])
            self._db.execute("DELETE FROM live_events WHERE ts < ?", (now - self.retention_s,))
            self._db.execute("DELETE FROM live_events WHERE row_id <= "
                             "(SELECT MAX(row_id) FROM live_events) - ?", (self.max_events,))
            self._db.execute("COMMIT")

    def events(self, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT event FROM live_events ORDER BY row_id DESC LIMIT ?",
                                    (limit,)).fetchall()
        return [json.loads(r[0]) for r in reversed(rows)]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM live_events").fetchone()[0]

    def minute_stats(self, since_minute: int = 0) -> dict[int, dict[str, float]]:
        with self._lock:
            rows = self._db.execute("SELECT minute, name, value FROM minute_stats WHERE minute >= ? "
                                    "ORDER BY minute", (since_minute,)).fetchall()
        out: dict[int, dict[str, float]] = {}
        for minute, name, value in rows:
            out.setdefault(minute, {})[name] = value
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()


class EventLogRecorder:
    """Feeds an EventLog from the bus: live events, what played, what was dropped."""

    def __init__(self, bus: Bus, log_: EventLog, *, flush_s: float = 1.0):
        self.bus = bus
        self.log = log_
        self.flush_s = flush_s
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-log", daemon=True)
        self._subs = []

    def start(self) -> None:
        for channel in (*events.LIVE_CHANNELS, events.Channel.PLAYER_STATE, events.Channel.SYSTEM):
            self._subs.append(self.bus.subscribe(channel, self._inbox.put))
        self._thread.start()

    def stop(self) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(3)

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.flush_s)
            live: list[events.LiveEvent] = []
            stats: Counter = Counter()
            while True:
                try:
                    ev = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if isinstance(ev, events.LiveEvent):
                    live.append(ev)
                    stats[f"event.{ev.type}"] += 1
                    if ev.gift:
                        stats["diamonds"] += ev.gift.count * ev.gift.diamonds
                elif isinstance(ev, events.PlaybackStarted) and not ev.resumed:
                    stats[f"played.{ev.kind}"] += 1
                elif isinstance(ev, events.PlaybackInterrupted):
                    stats["interrupted"] += 1
                elif isinstance(ev, (events.UtteranceDropped, events.Dropped)):
                    stats[f"dropped.{ev.reason.split(':')[0]}"] += 1
            if live or stats:
                try:
                    self.log.write(live, stats)
                except sqlite3.Error:  # a full disk must not stop the stream
                    log.exception("event log: cannot write %d events", len(live))
            if stopping:
                return
