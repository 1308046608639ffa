"""SQLite stores: the spoken log (every utterance played). Event log and stats come later."""

from app.store.spoken_log import SpokenEntry, SpokenLog, default_db_path

__all__ = ["SpokenEntry", "SpokenLog", "default_db_path"]
