"""The runs (场次) and the viewers' questions of each run, in the same SQLite file as the spoken
log and the event log, for the spoken record and the post-live review.

A session is one 开播 … 停止: opened when the run's recorder starts, ended when it stops or when
the room's live ended (``LiveEnded``), whichever comes first. A session whose process died has
no end; readers take its last recorded activity as the end.

A question row is the latest ``QuestionStatus`` of one viewer question (waiting, answered with
its latency, or unanswered with the Chinese reason), keyed by session and message id.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from app import events

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  REAL NOT NULL,
    ended_at    REAL,                        -- NULL while running, or if the process died
    end_reason  TEXT NOT NULL DEFAULT '',    -- stopped | live_end | '' (did not end cleanly)
    demo        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS questions (
    session_id  INTEGER NOT NULL,
    msg_id      TEXT NOT NULL,
    ts          REAL NOT NULL,               -- when the viewer asked (epoch seconds)
    viewer      TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,               -- waiting | answered | unanswered
    answer      TEXT NOT NULL DEFAULT '',
    latency_s   REAL,
    reason      TEXT NOT NULL DEFAULT '',    -- Chinese, for unanswered questions
    PRIMARY KEY (session_id, msg_id)
);
CREATE INDEX IF NOT EXISTS questions_ts ON questions(ts);
"""


@dataclass(frozen=True)
class Session:
    session_id: int
    started_at: float
    ended_at: float | None
    end_reason: str
    demo: bool


@dataclass(frozen=True)
class QuestionRow:
    session_id: int
    msg_id: str
    ts: float
    viewer: str
    text: str
    state: str
    answer: str = ""
    latency_s: float | None = None
    reason: str = ""


class SessionLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    # ---------------------------------------------------------------- writing

    def open_session(self, started_at: float, *, demo: bool = False) -> int:
        with self._lock:
            cur = self._db.execute("INSERT INTO sessions (started_at, demo) VALUES (?, ?)",
                                   (started_at, int(demo)))
            return int(cur.lastrowid)

    def end_session(self, session_id: int, ended_at: float, reason: str) -> bool:
        """The first end wins: a live that ended and was then stopped ended with the live."""
        with self._lock:
            cur = self._db.execute("UPDATE sessions SET ended_at = ?, end_reason = ? "
                                   "WHERE session_id = ? AND ended_at IS NULL",
                                   (ended_at, reason, session_id))
            return cur.rowcount > 0

    def record_question(self, session_id: int, q: events.QuestionStatus) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO questions (session_id, msg_id, ts, viewer, text, state, answer, latency_s, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(session_id, msg_id) DO UPDATE SET "
                "state = excluded.state, answer = excluded.answer, latency_s = excluded.latency_s, "
                "reason = excluded.reason",
                (session_id, q.msg_id, q.ts, q.viewer, q.text, q.state, q.answer, q.latency_s, q.reason))

    # ---------------------------------------------------------------- reading

    def sessions(self) -> list[Session]:
        """Every session, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM sessions ORDER BY session_id DESC").fetchall()
        return [_session(r) for r in rows]

    def session(self, session_id: int) -> Session | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        return _session(row) if row else None

    def questions(self, session_id: int) -> list[QuestionRow]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM questions WHERE session_id = ? ORDER BY ts, msg_id",
                                    (session_id,)).fetchall()
        return [QuestionRow(**{k: r[k] for k in r.keys()}) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _session(r: sqlite3.Row) -> Session:
    return Session(session_id=r["session_id"], started_at=r["started_at"], ended_at=r["ended_at"],
                   end_reason=r["end_reason"], demo=bool(r["demo"]))
