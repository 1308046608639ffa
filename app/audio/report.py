"""What the player did, for the headless report (design §8) and the tests: the utterances heard
and the utterances dropped with why — a projection of the player's records
(``app.audio.utterance.Utterance``), not a second copy of their state."""

from __future__ import annotations

import threading

from app.audio.utterance import Utterance


class PlayLog:
    """Thread-safe; times are relative to ``t0`` on the player's clock. Holds the records (their
    audio released once they are done) in the order they were first heard or dropped."""

    def __init__(self, t0: float):
        self.t0 = t0
        self._played: dict[str, Utterance] = {}
        self._dropped: list[Utterance] = []
        self._lock = threading.Lock()

    def heard(self, item: Utterance) -> None:
        """``item`` was heard (its first sample written); listed once however often it resumes."""
        with self._lock:
            self._played.setdefault(item.id, item)

    def dropped(self, item: Utterance) -> None:
        with self._lock:
            self._dropped.append(item)

    def played(self) -> list[dict]:
        with self._lock:
            items = list(self._played.values())
        return [self._entry(u) for u in items]

    def dropped_list(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"id": u.id, "reason": u.reason} for u in self._dropped]

    def _entry(self, u: Utterance) -> dict:
        return {"id": u.id, "kind": u.kind, "text": u.request.text, "priority": u.priority,
                "source_msg_id": u.request.source_event, "queued_at": self._rel(u.queued_at),
                "started_at": self._rel(u.started_at), "ended_at": self._rel(u.ended_at),
                "interrupted": u.cuts > 0, "resumed": u.resumes > 0}

    def _rel(self, t: float | None) -> float | None:
        return None if t is None else round(t - self.t0, 3)
