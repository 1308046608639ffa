"""The spoken log: every utterance actually played, for proving what the room said.

SQLite in WAL mode, so the dashboard or `export-log` can read while the player writes. One row
per playback start; a resumed utterance gets a row of its own (``resumed`` = 1) and an
interrupted one has ``interrupted`` = 1 on the row that was cut. Filter hits are stored as JSON.

The writer is shared by threads (the player thread writes, the GUI reads); one connection with
a lock keeps it simple and SQLite's own locking handles other processes.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from app import paths

CSV_COLUMNS = ("started_at", "ended_at", "id", "kind", "priority", "route", "interrupted",
               "resumed", "text", "filter_hits")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spoken (
    row_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   REAL NOT NULL,          -- epoch seconds
    ended_at     REAL,                   -- NULL while playing (or if the app died mid-play)
    utterance_id TEXT NOT NULL,
    text         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    route        TEXT NOT NULL DEFAULT '',
    interrupted  INTEGER NOT NULL DEFAULT 0,
    resumed      INTEGER NOT NULL DEFAULT 0,
    filter_hits  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS spoken_started ON spoken(started_at);
CREATE INDEX IF NOT EXISTS spoken_utterance ON spoken(utterance_id);
-- Hits noted by the stage that filtered a text, before it is played (keyed by utterance id).
CREATE TABLE IF NOT EXISTS pending_hits (
    utterance_id TEXT PRIMARY KEY,
    filter_hits  TEXT NOT NULL,
    noted_at     REAL NOT NULL
);
"""


def default_db_path() -> Path:
    return paths.data_dir() / "spoken_log.sqlite3"


@dataclass(frozen=True)
class SpokenEntry:
    started_at: float
    utterance_id: str
    text: str
    kind: str
    priority: int
    route: str = ""
    interrupted: bool = False
    resumed: bool = False
    filter_hits: tuple[dict[str, Any], ...] = ()
    ended_at: float | None = None
    row_id: int | None = None


def _hits_json(hits: Iterable[Any]) -> str:
    plain = []
    for h in hits:
        if dataclasses.is_dataclass(h):
            plain.append(dataclasses.asdict(h))
        elif isinstance(h, dict):
            plain.append(h)
        else:
            raise TypeError(f"filter hit must be a dataclass or dict, not {type(h).__name__}")
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


class SpokenLog:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives app crashes
            self._db.executescript(_SCHEMA)

    # ---------------------------------------------------------------- writing

    def note_hits(self, utterance_id: str, hits: Iterable[Any]) -> None:
        """Remember the filter hits of an utterance not yet played; its row picks them up."""
        data = _hits_json(hits)
        if data == "[]":
            return
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO pending_hits VALUES (?, ?, ?)",
                             (utterance_id, data, time.time()))

    def record_played(self, *, utterance_id: str, text: str, kind: str, priority: int,
                      route: str = "", resumed: bool = False, filter_hits: Iterable[Any] | None = None,
                      started_at: float | None = None) -> int:
        """A playback started. Returns the row id. Hits default to those noted earlier."""
        started = time.time() if started_at is None else started_at
        with self._lock:
            if filter_hits is None:
                row = self._db.execute("SELECT filter_hits FROM pending_hits WHERE utterance_id=?",
                                       (utterance_id,)).fetchone()
                hits_json = row[0] if row else "[]"
            else:
                hits_json = _hits_json(filter_hits)
            cur = self._db.execute(
                "INSERT INTO spoken (started_at, utterance_id, text, kind, priority, route, "
                "resumed, filter_hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (started, utterance_id, text, kind, int(priority), route, int(resumed), hits_json))
            return int(cur.lastrowid)

    def _close_row(self, utterance_id: str, at: float | None, interrupted: bool) -> bool:
        ended = time.time() if at is None else at
        with self._lock:
            cur = self._db.execute(
                "UPDATE spoken SET ended_at=?, interrupted=? WHERE row_id = ("
                " SELECT row_id FROM spoken WHERE utterance_id=? AND ended_at IS NULL"
                " ORDER BY row_id DESC LIMIT 1)",
                (ended, int(interrupted), utterance_id))
            if not interrupted:
                self._db.execute("DELETE FROM pending_hits WHERE utterance_id=?", (utterance_id,))
            return cur.rowcount > 0

    def mark_finished(self, utterance_id: str, at: float | None = None) -> bool:
        return self._close_row(utterance_id, at, interrupted=False)

    def mark_interrupted(self, utterance_id: str, at: float | None = None) -> bool:
        return self._close_row(utterance_id, at, interrupted=True)

    # ---------------------------------------------------------------- reading

    def query(self, since: float | None = None, until: float | None = None) -> list[SpokenEntry]:
        """Rows whose playback started in [since, until), oldest first."""
        sql = "SELECT * FROM spoken WHERE started_at >= ? AND started_at < ? ORDER BY started_at, row_id"
        args = (since if since is not None else float("-inf"),
                until if until is not None else float("inf"))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [SpokenEntry(
            started_at=r["started_at"], utterance_id=r["utterance_id"], text=r["text"],
            kind=r["kind"], priority=r["priority"], route=r["route"],
            interrupted=bool(r["interrupted"]), resumed=bool(r["resumed"]),
            filter_hits=tuple(json.loads(r["filter_hits"])), ended_at=r["ended_at"],
            row_id=r["row_id"]) for r in rows]

    def export_csv(self, out: TextIO, since: float | None = None, until: float | None = None) -> int:
        """Write rows as CSV (UTF-8, times as ISO 8601 local time). Returns the row count."""
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        entries = self.query(since, until)
        for e in entries:
            writer.writerow([
                _iso(e.started_at), _iso(e.ended_at) if e.ended_at is not None else "",
                e.utterance_id, e.kind, e.priority, e.route, int(e.interrupted), int(e.resumed),
                e.text, json.dumps(list(e.filter_hits), ensure_ascii=False) if e.filter_hits else "",
            ])
        return len(entries)

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SpokenLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _iso(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")
