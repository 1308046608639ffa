"""One speech request inside the TTS stage, from intake to publication.

A job is owned by one lane at a time: queued, then a GPT-SoVITS worker (``active``), or the
fallback lane (``fallback``) once the player's deadline passed or no route can serve it. The
sentences already synthesised stay with the job, so the fallback speaks only what is left.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app import events
from app.utterance import is_urgent

PREFETCH_GROUP = "prefetch"  # requests made by ``TtsPool.prefetch``: synthesised into the cache, never published


@dataclass(eq=False)
class Job:
    req: events.SpeechRequest
    received: float  # monotonic
    need_at: float | None = None  # monotonic: when the player needed it (None: look-ahead)
    silent_at: float | None = None  # monotonic: when the player said the room is silent waiting for it
    state: str = "queued"  # queued | active | fallback | done
    sentences: list[str] | None = None  # the spoken forms: the request's own, else prepared here
    parts: list = field(default_factory=list)  # SentenceAudio of sentences 0..len(parts)-1
    errors: list[str] = field(default_factory=list)  # why GPT-SoVITS attempts failed
    attempt: object | None = None  # the Attempt the worker waits for now
    waiting_since: float | None = None  # monotonic: waiting for a free server slot
    upgrade: bool = False  # a pooled clip the fallback spoke, synthesised again for the real voice
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return self.req.id

    @property
    def taken_over(self) -> bool:
        return self.state in ("fallback", "done")


def urgent(req: events.SpeechRequest) -> bool:
    """Large gifts, 插播 and emergencies are needed the moment they arrive; so are the clips the
    player pools (they exist to cover a dry queue, so they must be there early)."""
    return is_urgent(req.priority) or req.kind in events.FILLING_KINDS

