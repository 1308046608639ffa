"""What the player tells the room's other parts (channel player.state): its state, each
utterance as it plays, is cut, resumes or is dropped, the queue, airtime, music, the product on
air, and what it asks of TTS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from app.events.speech import FilterHit, Priority

PlayerStateName = Literal["IDLE", "PLAYING", "INTERRUPT_DECISION", "INTERRUPTED", "POST_INTERRUPT"]
QueueItemState = Literal["waiting", "synthesising", "ready", "playing"]
UtteranceState = Literal["queued", "ready", "playing", "parked", "finished", "dropped"]


@dataclass(frozen=True, kw_only=True)
class UtteranceView:
    """One utterance as the player knows it at the moment of an event: a snapshot of its record
    (``app.audio.utterance.Utterance``, owned by the player thread). It rides on the player's
    PlaybackStarted / Finished / Interrupted / Resumed and UtteranceDropped, so readers (spoken
    log, run report, question ledger, dashboard) need not join channels by id; it travels by
    value, so it works across processes.

    Identity is the request's (``text`` as shown, ``sentences`` as spoken); times are epoch
    seconds. ``state``: queued (no audio yet), ready, playing, parked (cut, waiting to resume),
    finished, dropped (``reason`` says why). ``cuts``: times its playback was stopped before
    the end; ``resumes``: times it continued after a cut."""

    id: str
    kind: str = ""
    text: str = ""
    original: str = ""
    product: str | None = None
    segment: str | None = None
    group: str | None = None
    sentence_index: int = 0
    source_event: str | None = None
    viewer: str = ""
    comment: str = ""
    priority: int = 0
    deadline: float | None = None
    created_at: float = 0.0
    hits: tuple[FilterHit, ...] = ()
    route: str = ""
    duration_s: float = 0.0
    sentences: tuple[str, ...] = ()
    sentence_starts: tuple[float, ...] = ()
    state: UtteranceState = "queued"
    queued_at: float | None = None
    ready_at: float | None = None
    started_at: float | None = None  # first heard
    ended_at: float | None = None  # last stopped sounding
    position_s: float = 0.0
    cuts: int = 0
    resumes: int = 0
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class PlayerStateChanged:
    TAG: ClassVar[str] = "player_state"
    state: PlayerStateName
    previous: PlayerStateName


@dataclass(frozen=True, kw_only=True)
class PlaybackStarted:
    TAG: ClassVar[str] = "playback_started"
    id: str
    kind: str
    text: str
    priority: int
    duration_s: float
    route: str = ""
    resumed: bool = False
    start_s: float = 0.0  # where in the audio playback starts (non-zero on resume)
    utterance: UtteranceView | None = None


@dataclass(frozen=True, kw_only=True)
class PlaybackProgress:
    TAG: ClassVar[str] = "playback_progress"
    id: str
    position_s: float
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class PlaybackFinished:
    TAG: ClassVar[str] = "playback_finished"
    id: str
    utterance: UtteranceView | None = None


@dataclass(frozen=True, kw_only=True)
class PlaybackInterrupted:
    TAG: ClassVar[str] = "playback_interrupted"
    id: str
    position_s: float
    sentence_index: int
    by_id: str
    utterance: UtteranceView | None = None


@dataclass(frozen=True, kw_only=True)
class PlaybackResumed:
    TAG: ClassVar[str] = "playback_resumed"
    id: str
    sentence_index: int
    position_s: float
    utterance: UtteranceView | None = None


@dataclass(frozen=True, kw_only=True)
class UtteranceDropped:
    """An utterance that will not be played (stale, cancelled, rejected …), with why."""

    TAG: ClassVar[str] = "utterance_dropped"
    id: str
    reason: str
    utterance: UtteranceView | None = None


@dataclass(frozen=True, kw_only=True)
class QueueItemView:
    id: str
    kind: str
    text: str
    priority: int
    state: QueueItemState
    waiting_s: float
    deadline: float | None = None
    expires_in_s: float | None = None  # until the player drops it as stale (None: never), at the snapshot


@dataclass(frozen=True, kw_only=True)
class QueueSnapshot:
    TAG: ClassVar[str] = "queue_snapshot"
    items: tuple[QueueItemView, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SpeechNeeded:
    """The player wants to play this utterance next and has no audio for it yet: from now
    the TTS stage has ``[tts] need_deadline_s`` to deliver, else the fallback voice speaks.

    ``silent``: nothing is playing and the player waits for this utterance (the first line of
    the live, or the queue ran dry), so every second from now is dead air: the TTS stage waits
    at most ``[tts] silent_deadline_s`` for GPT-SoVITS. An utterance first announced while
    something played is announced once more with ``silent=True`` when the room goes silent."""

    TAG: ClassVar[str] = "speech_needed"
    id: str
    ts: float = 0.0
    silent: bool = False


@dataclass(frozen=True, kw_only=True)
class PrefetchSpeech:
    """Synthesise these texts into the TTS cache ahead of need (the FAQ answers of the product
    on air); nothing is played and no SpeechReady is published for them."""

    TAG: ClassVar[str] = "prefetch_speech"
    texts: tuple[str, ...]
    sentences: tuple[str, ...] = ()  # their spoken forms (``app.text.prepare``), synthesised verbatim
    product: str | None = None
    priority: int = Priority.BACKGROUND


@dataclass(frozen=True, kw_only=True)
class ProductOnAir:
    """The product being sold now: the product of the script sentence that started playing.
    The script scheduler is its one owner; replies, the LLM's facts and the dashboard follow."""

    TAG: ClassVar[str] = "product_on_air"
    slug: str | None
    name: str = ""
    pinned: bool = False
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class AirtimeReport:
    """Spoken seconds by class (script, answer, thanks, other) as the player measured them:
    ``total`` since the start, ``last_minute`` over the last 60 s, and how long the room has
    gone without script speech."""

    TAG: ClassVar[str] = "airtime"
    total: dict[str, float] = field(default_factory=dict)
    last_minute: dict[str, float] = field(default_factory=dict)
    since_script_s: float = 0.0
    minute: int = 0  # minutes since the player started (0 = the first minute)
    this_minute: dict[str, float] = field(default_factory=dict)  # spoken so far in ``minute``
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class MusicStatus:
    """Background music as the room hears it, from the audio output when it changes (and every
    few seconds): ``state`` off | loading | playing | empty (no files) | error (none playable);
    ``index``/``count`` place the track in this round; ``detail`` is Chinese."""

    TAG: ClassVar[str] = "music_status"
    state: Literal["off", "loading", "playing", "empty", "error"]
    title: str = ""
    index: int = 0
    count: int = 0
    detail: str = ""
    ts: float = 0.0
