"""Live events (bounded retention) and per-minute stats, in the same SQLite file as the spoken
log (WAL, so the GUI and `export-log` read while the run writes).

Rows are written in batches from a queue (the feed can bring thousands of events a second;
one transaction per second costs far less than one per event). Retention is enforced on each
flush: rows older than ``event_retention_days`` go, and at most ``max_events`` are kept.

Bad data never breaks the log (issue 18.2): values are checked before they are bound (an
absurd gift value or a non-finite time is rejected with a counted reason, kept in
``EventLog.rejected`` and in the minute stats as ``rejected.<reason>``), every transaction rolls
back on any exception, a batch that still fails is retried row by row so only the bad row is
lost, and the recorder thread outlives every failure and reports it (ErrorReport on ``system``).
"""

from __future__ import annotations

import json
import math
import queue
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from app import events
from app.bus.base import Bus
from app.logs import get_logger
from app.store import safe

log = get_logger("store")

#: One gift message worth more than this many diamonds (about 1亿元) is bad data, not a gift:
#: the dearest Douyin gift is 30,000 diamonds and a combo message carries at most a few
#: thousand of them.
MAX_GIFT_DIAMONDS = 10**9
#: At most one ErrorReport per this many seconds from a failing writer (the log has every one).
REPORT_EVERY_S = 30.0

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
    def __init__(self, path: str | Path, *, event_retention_days: float = 7.0, max_events: int = 200_000):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_s = event_retention_days * 86400
        self.max_events = max_events
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self.rejected: Counter = Counter()  # reason → values or events not stored

    def write(self, live: list[events.LiveEvent], stats: Counter, *, now: float | None = None) -> None:
        """Store live events and add ``stats`` to this minute's counters. Values SQLite cannot
        hold are rejected and counted; a write that fails leaves no transaction open. Raises
        ``sqlite3.OperationalError`` when the file itself cannot be written (disk full, locked)."""
        now = time.time() if now is None else now
        minute = int(now // 60)
        rejected: Counter = Counter()
        rows = [row for e in live if (row := self._event_row(e, now, rejected)) is not None]
        stat_rows = []
        for name, value in stats.items():
            v = safe.real(value, rejected, "stat_out_of_range")
            if v is not None:
                stat_rows.append((minute, safe.text(name), v))
        with self._lock:
            try:
                with safe.transaction(self._db):
                    self._insert(rows, stat_rows, rejected, minute, now)
            except sqlite3.OperationalError:
                raise  # the file, not the data: the caller reports it
            except Exception:
                log.exception("event log: batch of %d events not storable, retrying one by one", len(rows))
                self._insert_one_by_one(rows, stat_rows, rejected, minute, now)
            self.rejected.update(rejected)
        if rejected:
            log.warning("event log: rejected %s", dict(rejected))

    def _event_row(self, e: events.LiveEvent, now: float, rejected: Counter) -> tuple | None:
        try:
            ts = e.ts if isinstance(e.ts, (int, float)) and math.isfinite(e.ts) else None
            if ts is None:
                rejected["bad_ts"] += 1
                ts = now
            return (float(ts), safe.text(e.type), safe.text(e.msg_id),
                    safe.text(e.user.nickname) if e.user else "", safe.text(e.text),
                    safe.text(json.dumps(events.to_dict(e), ensure_ascii=False, separators=(",", ":"))))
        except Exception:  # an event the codec cannot encode: skipped, counted
            log.exception("event log: event %r not storable", getattr(e, "msg_id", "?"))
            rejected["unencodable_event"] += 1
            return None

    def _insert(self, rows: list[tuple], stat_rows: list[tuple], rejected: Counter, minute: int,
                now: float) -> None:
        self._db.executemany(
            "INSERT INTO live_events(ts, type, msg_id, nickname, text, event) VALUES (?,?,?,?,?,?)", rows)
        self._db.executemany(
            "INSERT INTO minute_stats(minute, name, value) VALUES (?,?,?) "
            "ON CONFLICT(minute, name) DO UPDATE SET value = value + excluded.value",
            stat_rows + [(minute, f"rejected.{reason}", float(n)) for reason, n in rejected.items()])
        self._db.execute("DELETE FROM live_events WHERE ts < ?", (now - self.retention_s,))
        self._db.execute("DELETE FROM live_events WHERE row_id <= "
                         "(SELECT MAX(row_id) FROM live_events) - ?", (self.max_events,))

    def _insert_one_by_one(self, rows: list[tuple], stat_rows: list[tuple], rejected: Counter, minute: int,
                           now: float) -> None:
        """After a batch failed on its data: each row in its own transaction, so one bad row
        costs only itself."""
        for reason, one in [("unstorable_event", ([row], [])) for row in rows] + \
                           [("unstorable_stat", ([], [stat])) for stat in stat_rows]:
            try:
                with safe.transaction(self._db):
                    self._insert(*one, Counter(), minute, now)
            except sqlite3.OperationalError:
                raise
            except Exception:
                rejected[reason] += 1
        try:  # the counts of what was lost, in the minute stats too
            with safe.transaction(self._db):
                self._insert([], [], rejected, minute, now)
        except sqlite3.OperationalError:
            raise
        except Exception:
            log.exception("event log: rejection counts not stored")

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
    """Feeds an EventLog from the bus: live events, what played, what was dropped.

    It writes every ``flush_s`` (its inbox's tick) and never stops on a bad event or a failed
    write: each failure is logged, counted in ``failures`` and reported as an ``ErrorReport`` on
    ``system`` (at most one per ``REPORT_EVERY_S``), and the next batch is tried as usual."""

    def __init__(self, bus: Bus, log_: EventLog, *, flush_s: float = 1.0, clock=time.monotonic):
        self.bus = bus
        self.log = log_
        self.flush_s = flush_s
        self._clock = clock
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._subs = []
        self.failures: Counter = Counter()  # what went wrong → times
        self.rejected: Counter = Counter()  # gift values left out of the sums (bad data)
        self._reported_at: float | None = None

    def start(self) -> None:
        self._subs = [self.bus.inbox("event-log", (*events.LIVE_CHANNELS, events.Channel.PLAYER_STATE,
                                                   events.Channel.SYSTEM), self._inbox.put,
                                     tick=self._flush_safely, every=self.flush_s)]

    def stop(self) -> None:
        for sub in self._subs:
            self.bus.unsubscribe(sub)
        self._subs = []
        self._flush_safely()  # what came since the last tick

    @property
    def alive(self) -> bool:
        """Still recording: its inbox is open (a failure never closes it)."""
        return any(not sub.closed for sub in self._subs)

    def counters(self) -> dict:
        """Failures of this writer and values the store rejected, for a report."""
        return {"failures": dict(self.failures), "rejected": dict(self.log.rejected + self.rejected)}

    def _flush_safely(self) -> None:
        try:
            self._flush()
        except Exception as exc:  # nothing may stop the recording: the next flush tries again
            self._failed("flush", exc)

    def _flush(self) -> None:
        live: list[events.LiveEvent] = []
        stats: Counter = Counter()
        while True:
            try:
                ev = self._inbox.get_nowait()
            except queue.Empty:
                break
            try:
                self._count(ev, live, stats)
            except Exception as exc:  # one odd event is skipped, the batch goes on
                self._failed("event", exc)
        if live or stats:
            try:
                self.log.write(live, stats)
            except Exception as exc:  # a full disk must not stop the stream
                self._failed("write", exc, f"{len(live)} 条直播事件未能写入")

    def _count(self, ev, live: list, stats: Counter) -> None:
        if isinstance(ev, events.LiveEvent):
            live.append(ev)
            stats[f"event.{ev.type}"] += 1
            if ev.gift:
                value = ev.gift.count * ev.gift.diamonds
                if 0 <= value <= MAX_GIFT_DIAMONDS:
                    stats["diamonds"] += value
                else:  # bad data, not a gift: kept as an event, left out of the sums
                    stats["rejected.gift_value_out_of_range"] += 1
                    self.rejected["gift_value_out_of_range"] += 1
        elif isinstance(ev, events.PlaybackStarted) and not ev.resumed:
            stats[f"played.{ev.kind}"] += 1
        elif isinstance(ev, events.PlaybackInterrupted):
            stats["interrupted"] += 1
        elif isinstance(ev, (events.UtteranceDropped, events.Dropped)):
            stats[f"dropped.{ev.reason.split(':')[0]}"] += 1

    def _failed(self, what: str, exc: Exception, lost: str = "") -> None:
        self.failures[what] += 1
        log.error("event log: %s failed (%d so far): %s: %s", what, self.failures[what], type(exc).__name__, exc,
                  exc_info=exc)
        now = self._clock()
        if self._reported_at is not None and now - self._reported_at < REPORT_EVERY_S:
            return
        self._reported_at = now
        message = (f"直播事件记录写入失败（{type(exc).__name__}: {exc}）"
                   + (f"，{lost}" if lost else "") + "；直播继续，播出记录不受影响。请检查磁盘空间和日志。")
        try:
            self.bus.publish(events.Channel.SYSTEM, events.ErrorReport(component="store", message=message,
                                                                       ts=time.time()))
        except Exception:  # the bus reports its own outages
            log.exception("event log: cannot report the failure")
