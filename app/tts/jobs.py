"""One speech request inside the TTS stage, from intake to publication.

A job is owned by one lane at a time: queued, then a GPT-SoVITS worker (``active``), or the
fallback lane (``fallback``) once the player's deadline passed or no route can serve it. The
sentences already synthesised stay with the job, so the fallback speaks only what is left.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from app import events
from app.text.sentences import split_sentences
from app.text.spoken import normalize, speakable_length

#: kinds the player keeps in a pool of ready clips: needed as soon as they are asked for
POOLED_KINDS = frozenset({"filler", "bridge"})


@dataclass(eq=False)
class Job:
    req: events.SpeechRequest
    received: float  # monotonic
    need_at: float | None = None  # monotonic: when the player needed it (None: look-ahead)
    state: str = "queued"  # queued | active | fallback | done
    sentences: list[str] | None = None
    cut_from: int = 0  # characters before a cut to the maximum length (0: not cut)
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
    return int(req.priority) <= int(events.Priority.GIFT_LARGE) or req.kind in POOLED_KINDS


def prepare(text: str, *, max_sentence_chars: int, max_chars: int, clause_chars: int | None = None) -> tuple[list[str], int]:
    """Speakable sentences of ``text`` and, when it was longer than ``max_chars``, its length
    before the cut (else 0). The cut falls at a sentence boundary (sentences are at most
    ``max_sentence_chars`` long, so a 2,000-character nickname is cut inside itself)."""
    norm = normalize(text)
    sentences = [s for s in split_sentences(norm, max_sentence_chars, clause_chars) if speakable_length(s)]
    total = sum(len(s) for s in sentences)
    if total <= max_chars:
        return sentences, 0
    kept, used = [], 0
    for s in sentences:
        if kept and used + len(s) > max_chars:
            break
        kept.append(s if len(s) <= max_chars else s[:max_chars])
        used += len(s)
    return kept, total
