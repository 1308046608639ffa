"""What to say and its synthesis: speech requests, their audio, the LLM's reply jobs, and the
vocabulary they share with every stage (priority, speech kinds)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Literal


class Priority(enum.IntEnum):
    """Lower is more urgent (design §5). Small gifts rank below buyers' questions (design
    §5a "Buyers first"; the original table had them at -1, above every question)."""

    EMERGENCY = -10
    GIFT_LARGE = -5
    USER_VIP = -2
    COMMENT_IMPORTANT = 0
    GIFT_NORMAL = 3
    NORMAL = 5
    SCRIPT = 10
    BACKGROUND = 20


SpeechKind = Literal[
    "script", "gift", "welcome", "follow", "like", "share", "fansclub", "reply", "llm", "timed",
    "filler", "bridge", "say_now", "system", "disclosure",
]

#: Kinds that only fill a moment: the player keeps them ready in clip pools (not in the queue),
#: anything ready cuts them at once and they never resume; TTS makes them first.
FILLING_KINDS: frozenset[str] = frozenset({"filler", "bridge"})
#: Answers to viewers' questions (a keyword rule's, the LLM's).
REPLY_KINDS: frozenset[str] = frozenset({"reply", "llm"})


@dataclass(frozen=True, kw_only=True)
class FilterHit:
    """A listed term the compliance filter found in an utterance (mirrors ``compliance.Hit``;
    the spoken record keeps them in its ``filter_hits`` column)."""

    category: str
    term: str  # as listed
    matched: str  # the text that matched (may include slipped-in symbols)
    action: str  # replace | drop_sentence | block
    replacement: str | None = None


@dataclass(frozen=True, kw_only=True)
class SpeechRequest:
    """Something to say. ``deadline`` is epoch seconds; past it the item is stale.

    ``text`` is what is shown and recorded (filtered, digits as digits); ``sentences`` are its
    spoken forms, prepared once by the producer (``app.text.prepare``), which TTS synthesises
    verbatim. A request without sentences is prepared by TTS with the same step."""

    TAG: ClassVar[str] = "speech_request"
    id: str
    text: str
    kind: SpeechKind
    priority: int
    source_event: str | None = None  # msg_id of the live event this answers
    deadline: float | None = None
    created_at: float = 0.0
    product: str | None = None  # product slug, for scripts and grounded replies
    segment: str | None = None  # script segment name
    sentence_index: int = 0  # position of this text within its segment rendering
    group: str | None = None  # utterances that belong together (one segment rendering, one reply)
    original: str = ""  # the text before the compliance filter, when the filter changed it
    viewer: str = ""  # who this answers or thanks (nickname as spoken), for the spoken record
    comment: str = ""  # the viewer's comment this answers
    sentences: tuple[str, ...] = ()  # the spoken forms TTS synthesises, one per sentence
    hits: tuple[FilterHit, ...] = ()  # what the compliance filter found in the text


@dataclass(frozen=True, kw_only=True)
class SpeechReady:
    """Synthesised, checked and normalised audio for a request, stored as a WAV file."""

    TAG: ClassVar[str] = "speech_ready"
    request: SpeechRequest
    audio_path: str
    sample_rate: int
    duration_s: float
    sentence_starts: tuple[float, ...] = (0.0,)  # seconds; where each sentence begins
    route: str = ""  # e.g. "gptsovits:http://127.0.0.1:9880#model-a" or "espeak"
    attempts: int = 1
    cached: bool = False


@dataclass(frozen=True, kw_only=True)
class SpeechFailed:
    TAG: ClassVar[str] = "speech_failed"
    request: SpeechRequest
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReplyJob:
    """A viewer question for the LLM worker; it answers with SpeechRequests."""

    TAG: ClassVar[str] = "reply_job"
    id: str
    question: str
    nickname: str = ""
    product: str | None = None
    priority: int = Priority.COMMENT_IMPORTANT
    deadline: float | None = None
    source_event: str | None = None
