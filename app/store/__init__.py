"""SQLite stores (WAL), one file: the spoken log (every utterance played, and why), the runs
(sessions) and their viewer questions, live events with bounded retention, per-minute stats."""

from app.store.event_log import EventLog, EventLogRecorder
from app.store.sessions import QuestionRow, Session, SessionLog
from app.store.spoken_log import SpokenEntry, SpokenLog, default_db_path

__all__ = ["EventLog", "EventLogRecorder", "QuestionRow", "Session", "SessionLog", "SpokenEntry", "SpokenLog",
           "default_db_path"]
