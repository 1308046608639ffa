"""The spoken log: every utterance actually played, for proving what the room said.

SQLite in WAL mode, so the dashboard or `export-log` can read while the player writes. One row
per playback start; a resumed utterance gets a row of its own (``resumed`` = 1). A row is
closed when its sound stopped, and ``status`` says how (``END_STATUSES``): played to its end,
interrupted (cut, may resume), skipped by the operator, cancelled, cut by the live's end, or
still sounding when the run stopped; ``interrupted`` = 1 on every row that did not play to its
end (older files have no ``status``: ``SpokenEntry.end_status`` reads it from that flag). Filter
hits are stored as JSON.

Each row also says why it was said: the run (``session_id``), the product, the viewer and the
comment it answered, and the text before the compliance filter changed it (``original``; empty
when the filter changed nothing). Files written before these columns existed are migrated in
place (columns added, rows kept).

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
from app.store.labels import kind_zh, spoken_status_zh

#: The CSV of `export-log` and of the spoken-record view (one writer: ``write_csv``). The first
#: ten columns keep their order from the first version, so older scripts still find them.
CSV_COLUMNS = ("开始时间", "结束时间", "编号", "类型", "优先级", "语音线路", "被打断", "续播",
               "播出内容", "合规命中", "商品", "观众", "观众弹幕", "过滤前原文", "场次", "状态")

#: How a row ended: played to its end, or why not (``labels.spoken_status_zh`` in Chinese).
END_STATUSES = ("finished", "interrupted", "skipped", "cancelled", "live_end", "stopped")

#: Columns added after the first version: (name, declaration), added to older files on open.
_ADDED_COLUMNS = (
    ("session_id", "INTEGER"),
    ("product", "TEXT NOT NULL DEFAULT ''"),
    ("viewer", "TEXT NOT NULL DEFAULT ''"),
    ("comment", "TEXT NOT NULL DEFAULT ''"),
    ("original", "TEXT NOT NULL DEFAULT ''"),
    ("source_event", "TEXT NOT NULL DEFAULT ''"),
    ("status", "TEXT NOT NULL DEFAULT ''"),  # END_STATUSES; '' while sounding (and in older rows)
)

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
    """Where runs write when ``[store] db_path`` is at its default (``data/live.sqlite3``)."""
    return paths.data_dir() / "live.sqlite3"


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
    session_id: int | None = None
    product: str = ""
    viewer: str = ""
    comment: str = ""
    original: str = ""  # the text before the compliance filter; "" when it changed nothing
    source_event: str = ""
    status: str = ""  # END_STATUSES; "" while sounding, and in rows written before the column

    @property
    def end_status(self) -> str:
        """How the row ended ("" while it sounds); older rows without ``status`` by their flag."""
        if self.ended_at is None:
            return ""
        return self.status or ("interrupted" if self.interrupted else "finished")

    @property
    def duration_s(self) -> float:
        return max(0.0, self.ended_at - self.started_at) if self.ended_at is not None else 0.0


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
            self._migrate()

    def _migrate(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(spoken)")}
        for name, decl in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE spoken ADD COLUMN {name} {decl}")
        self._db.execute("CREATE INDEX IF NOT EXISTS spoken_session ON spoken(session_id)")

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
                      started_at: float | None = None, session_id: int | None = None,
                      product: str = "", viewer: str = "", comment: str = "", original: str = "",
                      source_event: str = "") -> int:
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
                "resumed, filter_hits, session_id, product, viewer, comment, original, source_event) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (started, utterance_id, text, kind, int(priority), route, int(resumed), hits_json,
                 session_id, product or "", viewer or "", comment or "",
                 original if original and original != text else "", source_event or ""))
            return int(cur.lastrowid)

    def mark_ended(self, utterance_id: str, at: float | None = None, status: str = "finished") -> bool:
        """The utterance's sound stopped at ``at``: its open row is closed with ``status``
        (``END_STATUSES``). False when it has no open row (it was never heard, or already closed)."""
        if status not in END_STATUSES:
            raise ValueError(f"unknown end status {status!r} (expected one of {', '.join(END_STATUSES)})")
        ended = time.time() if at is None else at
        with self._lock:
            cur = self._db.execute(
                "UPDATE spoken SET ended_at=MAX(?, started_at), interrupted=?, status=? WHERE row_id = ("
                " SELECT row_id FROM spoken WHERE utterance_id=? AND ended_at IS NULL"
                " ORDER BY row_id DESC LIMIT 1)",
                (ended, int(status != "finished"), status, utterance_id))
            if status == "finished":
                self._db.execute("DELETE FROM pending_hits WHERE utterance_id=?", (utterance_id,))
            return cur.rowcount > 0

    def close_open_rows(self, session_id: int | None, at: float, status: str = "stopped") -> int:
        """Close every row of the session still open, at ``at`` (never before its own start):
        what was sounding when the run stopped (``stopped``), or rows whose end never came
        (only one thing sounds at a time, so a new start ends them). Returns how many."""
        if status not in END_STATUSES:
            raise ValueError(f"unknown end status {status!r} (expected one of {', '.join(END_STATUSES)})")
        with self._lock:
            cur = self._db.execute("UPDATE spoken SET ended_at = MAX(?, started_at), interrupted = 1, status = ? "
                                   "WHERE session_id IS ? AND ended_at IS NULL", (at, status, session_id))
            return cur.rowcount

    def close_session_rows(self, session_id: int, at: float) -> int:
        """The run stopped: what was still playing was cut there (ended at ``at``, ``stopped``)."""
        return self.close_open_rows(session_id, at, "stopped")

    def mark_finished(self, utterance_id: str, at: float | None = None) -> bool:
        return self.mark_ended(utterance_id, at, "finished")

    def mark_interrupted(self, utterance_id: str, at: float | None = None) -> bool:
        return self.mark_ended(utterance_id, at, "interrupted")

    # ---------------------------------------------------------------- reading

    def query(self, since: float | None = None, until: float | None = None, *, text: str = "",
              viewer: str = "", session_id: int | None = None, limit: int | None = None) -> list[SpokenEntry]:
        """Rows whose playback started in [since, until), oldest first. ``text`` matches the
        spoken text or the original before the filter, ``viewer`` the viewer's nickname (both
        contain, case-insensitive); ``limit`` keeps the newest rows."""
        where = ["started_at >= ?", "started_at < ?"]
        args: list[Any] = [since if since is not None else float("-inf"),
                           until if until is not None else float("inf")]
        if text:
            where.append("(text LIKE ? ESCAPE '\\' OR original LIKE ? ESCAPE '\\')")
            args += [_like(text)] * 2
        if viewer:
            where.append("viewer LIKE ? ESCAPE '\\'")
            args.append(_like(viewer))
        if session_id is not None:
            where.append("session_id = ?")
            args.append(session_id)
        sql = f"SELECT * FROM spoken WHERE {' AND '.join(where)} ORDER BY started_at DESC, row_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_entry(r) for r in reversed(rows)]

    def export_csv(self, out: TextIO, since: float | None = None, until: float | None = None, **filters) -> int:
        """Write rows as CSV (``write_csv``). Returns the row count."""
        return write_csv(out, self.query(since, until, **filters))

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


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _entry(r: sqlite3.Row) -> SpokenEntry:
    return SpokenEntry(
        started_at=r["started_at"], utterance_id=r["utterance_id"], text=r["text"],
        kind=r["kind"], priority=r["priority"], route=r["route"],
        interrupted=bool(r["interrupted"]), resumed=bool(r["resumed"]),
        filter_hits=tuple(json.loads(r["filter_hits"] or "[]")), ended_at=r["ended_at"],
        row_id=r["row_id"], session_id=r["session_id"], product=r["product"], viewer=r["viewer"],
        comment=r["comment"], original=r["original"], source_event=r["source_event"], status=r["status"])


def write_csv(out: TextIO, entries: Iterable[SpokenEntry]) -> int:
    """The spoken record as CSV, columns ``CSV_COLUMNS`` (times ISO 8601 local time, kinds in
    Chinese). The caller opens the file as ``utf-8-sig`` (with BOM) so Excel reads Chinese."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for e in entries:
        writer.writerow([
            _iso(e.started_at), _iso(e.ended_at) if e.ended_at is not None else "",
            e.utterance_id, kind_zh(e.kind), e.priority, e.route, int(e.interrupted), int(e.resumed),
            e.text, json.dumps(list(e.filter_hits), ensure_ascii=False) if e.filter_hits else "",
            e.product, e.viewer, e.comment, e.original, "" if e.session_id is None else e.session_id,
            spoken_status_zh(e.end_status),
        ])
        count += 1
    return count


def _iso(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")
