"""SQLite stores (WAL): the spoken log (every utterance played), live events with bounded
retention, and per-minute stats."""

from app.store.event_log import EventLog, EventLogRecorder
from app.store.spoken_log import SpokenEntry, SpokenLog, default_db_path

__all__ = ["EventLog", "EventLogRecorder", "SpokenEntry", "SpokenLog", "default_db_path"]
