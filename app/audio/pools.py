"""Clips kept outside the queue: fillers (played when the queue runs dry, so the stream never
goes silent by accident) and bridge lines (played before an interrupted item resumes)."""

from __future__ import annotations

import threading
from dataclasses import replace

from app.audio.utterance import Utterance


class ClipPool:
    """Ready clips of one kind (fillers, bridges), handed out in rotation so the same line is
    not heard twice in a row while others exist. Each hand-out is a fresh item with its own id
    (``<id>#<n>``) so the report lists every play."""

    def __init__(self, kind: str, max_size: int = 20):
        self.kind = kind
        self.max_size = max_size
        self._clips: list[Utterance] = []  # least recently played first
        self._plays = 0
        self._lock = threading.Lock()

    def add(self, item: Utterance) -> None:
        with self._lock:
            self._clips = [c for c in self._clips if c.id != item.id]
            self._clips.insert(0, item)  # new lines first: fresh material beats repetition
            del self._clips[self.max_size:]

    def remove(self, ids) -> None:
        with self._lock:
            self._clips = [c for c in self._clips if c.id not in ids]

    def take(self, now: float) -> Utterance | None:
        with self._lock:
            if not self._clips:
                return None
            clip = self._clips.pop(0)
            self._clips.append(clip)
            self._plays += 1
            request = clip.request
            play_id = f"{request.id}#{self._plays}"
            return Utterance(request=replace(request, id=play_id), queued_at=now, seq=-self._plays,
                             ready=clip.ready, audio=clip.audio, state="ready", ready_at=now)

    def __len__(self) -> int:
        return len(self._clips)
