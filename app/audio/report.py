"""What the player did, for the headless report (design §8) and the tests: one entry per
utterance played and the utterances dropped with why."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

from app.audio.queue import QueueItem


@dataclass
class PlayedEntry:
    id: str
    kind: str
    text: str
    priority: int
    source_msg_id: str | None
    queued_at: float  # seconds since the player started
    started_at: float
    ended_at: float | None = None
    interrupted: bool = False  # cut at least once
    resumed: bool = False  # continued after a cut


class PlayLog:
    """Thread-safe; times are relative to ``t0`` on the player's clock."""

    def __init__(self, t0: float):
        self.t0 = t0
        self._played: dict[str, PlayedEntry] = {}
        self._dropped: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def started(self, item: QueueItem, now: float, *, resumed: bool) -> None:
        with self._lock:
            entry = self._played.get(item.id)
            if entry is None:
                self._played[item.id] = PlayedEntry(
                    id=item.id, kind=item.request.kind, text=item.request.text,
                    priority=item.priority, source_msg_id=item.request.source_event,
                    queued_at=self._rel(item.queued_at), started_at=self._rel(now))
            elif resumed:
                entry.resumed = True
                entry.ended_at = None

    def ended(self, item: QueueItem, now: float, *, interrupted: bool) -> None:
        with self._lock:
            entry = self._played.get(item.id)
            if entry is not None:
                entry.ended_at = self._rel(now)
                entry.interrupted = entry.interrupted or interrupted

    def dropped(self, item_id: str, reason: str) -> None:
        with self._lock:
            self._dropped.append({"id": item_id, "reason": reason})

    def played(self) -> list[dict]:
        with self._lock:
            return [asdict(e) for e in self._played.values()]

    def dropped_list(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._dropped)

    def _rel(self, t: float) -> float:
        return round(t - self.t0, 3)
