"""Every event and command that crosses the bus, plus the one JSON codec used everywhere.

All types are frozen, keyword-only dataclasses. Each has a ``type`` tag in its JSON form; the
same bytes go over Redis, into logs and out of the CLI. ``LiveEvent`` is special: its tag is
the live event kind itself (``comment``, ``gift``, …) so its JSON is exactly the normalised
event of design §4.

Channel names live here too, so producers and consumers agree on them without importing each
other.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

import msgspec

# --------------------------------------------------------------------------------------------
# Channels (namespaced on the bus as "<namespace>:<channel>")


class Channel:
    LIVE_EVENTS = "live.events"  # comments, likes, entries, stats … (pub/sub)
    LIVE_DURABLE = "live.events.durable"  # gifts and follows: must not be lost
    SPEECH_REQUESTS = "speech.requests"  # durable
    SPEECH_READY = "speech.ready"
    REPLY_JOBS = "reply.jobs"  # questions for the LLM worker
    PLAYER_STATE = "player.state"
    SYSTEM = "system"
    CONTROL = "control"


#: Channels that travel on Redis Streams with a consumer group (acked after handling).
DURABLE_CHANNELS = frozenset({Channel.LIVE_DURABLE, Channel.SPEECH_REQUESTS})

#: A consumer of live events subscribes to both of these.
LIVE_CHANNELS = (Channel.LIVE_EVENTS, Channel.LIVE_DURABLE)


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


LiveEventType = Literal["comment", "gift", "like", "enter", "follow", "share", "fansclub", "stats", "live_end"]
LIVE_EVENT_TYPES: tuple[str, ...] = typing.get_args(LiveEventType)

SpeechKind = Literal[
    "script", "gift", "welcome", "follow", "like", "share", "fansclub", "reply", "llm", "timed",
    "filler", "bridge", "say_now", "system", "disclosure",
]

#: Kinds that only fill a moment: the player keeps them ready in clip pools (not in the queue),
#: anything ready cuts them at once and they never resume; TTS makes them first.
FILLING_KINDS: frozenset[str] = frozenset({"filler", "bridge"})
#: Answers to viewers' questions (a keyword rule's, the LLM's).
REPLY_KINDS: frozenset[str] = frozenset({"reply", "llm"})

# --------------------------------------------------------------------------------------------
# Live events (design §4)


@dataclass(frozen=True, kw_only=True)
class User:
    id: str
    nickname: str
    level: int = 0
    pay_level: int = 0
    fans_club_level: int = 0
    is_anchor: bool = False  # v2.7.9 User.IsAnchor: the room's own anchor (protocols §7.4)
    is_admin: bool = False  # v2.7.9 User.IsAdmin: a room admin


@dataclass(frozen=True, kw_only=True)
class GiftInfo:
    id: str
    name: str
    count: int  # the increase this message carries
    total: int  # running combo total
    diamonds: int  # per-unit value
    to_user: str = ""  # nickname of the receiver when it is not the anchor (连麦 guest); "" = the anchor
    group_id: str = ""  # the feed's GroupId (combo identity; "" or "0" when the feed gave none)


@dataclass(frozen=True, kw_only=True)
class FansClubInfo:
    action: Literal["join", "upgrade"]  # dy-barrage-grab Type 7 Data.Type: 2 join, 1 upgrade
    level: int = 0  # the viewer's fans-club level after this message


@dataclass(frozen=True, kw_only=True)
class LikeInfo:
    count: int
    total: int


@dataclass(frozen=True, kw_only=True)
class RoomStats:
    online: int
    total: int


@dataclass(frozen=True, kw_only=True)
class LiveEvent:
    TAGS: ClassVar[tuple[str, ...]] = LIVE_EVENT_TYPES
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"gift", "like", "stats", "fansclub"})

    type: LiveEventType
    msg_id: str
    room_id: str
    ts: float
    user: User | None = None
    text: str = ""
    gift: GiftInfo | None = None
    like: LikeInfo | None = None
    stats: RoomStats | None = None
    fansclub: FansClubInfo | None = None

    @property
    def durable(self) -> bool:
        return self.type in ("gift", "follow")

    @property
    def channel(self) -> str:
        return Channel.LIVE_DURABLE if self.durable else Channel.LIVE_EVENTS


# --------------------------------------------------------------------------------------------
# Speech


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


# --------------------------------------------------------------------------------------------
# Player state (channel player.state)

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
    the TTS stage has ``[tts] need_deadline_s`` to deliver, else the fallback voice speaks."""

    TAG: ClassVar[str] = "speech_needed"
    id: str
    ts: float = 0.0


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


# --------------------------------------------------------------------------------------------
# System (health, errors, config)

#: "off" is a component the operator turned off (e.g. ``[llm] provider = none``): not a fault.
HealthStatus = Literal["ok", "degraded", "down", "unknown", "off"]


@dataclass(frozen=True, kw_only=True)
class Health:
    """Health of one component: "feed", "bus", "tts:<server>", "llm", "audio" …"""

    TAG: ClassVar[str] = "health"
    component: str
    status: HealthStatus
    detail: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ErrorReport:
    TAG: ClassVar[str] = "error"
    component: str
    message: str
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Dropped:
    """A stage decided not to act on something (an event, a request); ``reason`` says why."""

    TAG: ClassVar[str] = "dropped"
    stage: str
    ref: str
    reason: str
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ConfigChanged:
    TAG: ClassVar[str] = "config_changed"
    changed: tuple[str, ...] = ()  # "section.key" applied live
    pending_restart: tuple[str, ...] = ()  # "section.key" that need a restart


@dataclass(frozen=True, kw_only=True)
class ConfigError:
    TAG: ClassVar[str] = "config_error"
    path: str
    errors: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class QuestionSeen:
    """The reply policy met a viewer's question: how it is answered (``rule``: a keyword FAQ
    answer, ``llm``: a ReplyJob) or why not (``answer == "none"``, ``reason`` a drop code)."""

    TAG: ClassVar[str] = "question_seen"
    msg_id: str
    ts: float
    viewer: str
    text: str
    product: str | None = None
    answer: Literal["rule", "llm", "none"] = "none"
    answer_id: str | None = None  # the rule answer's utterance id, or the ReplyJob id
    reason: str = ""


QuestionState = Literal["waiting", "answered", "unanswered"]


@dataclass(frozen=True, kw_only=True)
class QuestionStatus:
    """One viewer question as the operator sees it (dashboard row, run report): published by
    the run recorder whenever the question's state changes. ``reason`` is Chinese."""

    TAG: ClassVar[str] = "question_status"
    msg_id: str
    ts: float
    viewer: str
    text: str
    state: QuestionState
    answer: str = ""
    latency_s: float | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class LiveEnded:
    """Our room's live ended (dy-barrage-grab Type 9): the room has been silenced."""

    TAG: ClassVar[str] = "live_ended"
    room_id: str = ""
    ts: float = 0.0


@dataclass(frozen=True, kw_only=True)
class FeedRoom:
    """The live room the feed listens to (issue 20.1), published on ``system`` when it is chosen,
    confirmed, re-chosen, learned more about, or withdrawn (``room_id == ""``). ``how`` says why
    it is ours: "SecUid" | "UserId" | "WebRoomId" (matched ``[douyin] room``), "first" (setting
    empty: the first room seen), "only_room" (the anchor is not known to dy-barrage-grab: taken
    as ours because it is the only such room; ``confirmed`` False). ``detail`` is Chinese."""

    TAG: ClassVar[str] = "feed_room"
    room_id: str = ""
    web_room_id: str = ""
    anchor: str = ""  # the anchor's nickname, when the feed gave it
    how: str = ""
    confirmed: bool = True
    detail: str = ""
    ts: float = 0.0


# --------------------------------------------------------------------------------------------
# Operator commands (channel control)


@dataclass(frozen=True, kw_only=True)
class Pause:
    TAG: ClassVar[str] = "pause"


@dataclass(frozen=True, kw_only=True)
class Resume:
    TAG: ClassVar[str] = "resume"


@dataclass(frozen=True, kw_only=True)
class Skip:
    TAG: ClassVar[str] = "skip"


@dataclass(frozen=True, kw_only=True)
class ClearQueue:
    TAG: ClassVar[str] = "clear_queue"


@dataclass(frozen=True, kw_only=True)
class SayNow:
    TAG: ClassVar[str] = "say_now"
    text: str
    priority: int = Priority.EMERGENCY


@dataclass(frozen=True, kw_only=True)
class SwitchProduct:
    TAG: ClassVar[str] = "switch_product"
    slug: str


@dataclass(frozen=True, kw_only=True)
class PinProduct:
    """Stay on this product (no rotation) until unpinned (``slug=None``)."""

    TAG: ClassVar[str] = "pin_product"
    slug: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlayFile:
    """插播音频: play this audio file (on the runtime's machine) as an urgent item."""

    TAG: ClassVar[str] = "play_file"
    path: str
    label: str = ""
    priority: int = Priority.EMERGENCY


@dataclass(frozen=True, kw_only=True)
class SkipTrack:
    """Skip the background music track now playing (the next one starts after a short fade)."""

    TAG: ClassVar[str] = "skip_track"


@dataclass(frozen=True, kw_only=True)
class ReloadConfig:
    TAG: ClassVar[str] = "reload_config"


@dataclass(frozen=True, kw_only=True)
class CancelSpeech:
    """Cancel utterances: their pending synthesis is dropped and results are never applied."""

    TAG: ClassVar[str] = "cancel_speech"
    ids: tuple[str, ...]
    reason: str = ""


Event = Union[  # noqa: UP007 - a long list reads better as Union[...]
    LiveEvent, SpeechRequest, SpeechReady, SpeechFailed, ReplyJob,
    PlayerStateChanged, PlaybackStarted, PlaybackProgress, PlaybackFinished, PlaybackInterrupted,
    PlaybackResumed, UtteranceDropped, QueueSnapshot,
    SpeechNeeded, PrefetchSpeech, ProductOnAir, AirtimeReport, MusicStatus,
    Health, ErrorReport, Dropped, ConfigChanged, ConfigError, QuestionSeen, QuestionStatus, LiveEnded,
    FeedRoom,
    Pause, Resume, Skip, ClearQueue, SayNow, SwitchProduct, PinProduct, PlayFile, SkipTrack, ReloadConfig,
    CancelSpeech,
]
EVENT_CLASSES: tuple[type, ...] = typing.get_args(Event)

# --------------------------------------------------------------------------------------------
# Codec (msgspec: the JSON is parsed, checked against the dataclass and built in C)
#
# The bytes are the design's: ``type`` tag first, design §4 keys for LiveEvent (``gift``,
# ``like``, ``stats``, ``fansclub`` left out when None), Chinese unescaped, no whitespace.


class CodecError(ValueError):
    """A message that cannot be decoded; the text says what is wrong and where."""


class UnknownEventType(CodecError):
    def __init__(self, tag: object):
        super().__init__(f"unknown event type {tag!r}")
        self.tag = tag


def _tags_of(cls: type) -> tuple[str, ...]:
    return getattr(cls, "TAGS", None) or (cls.TAG,)


_BY_TAG: dict[str, type] = {tag: cls for cls in EVENT_CLASSES for tag in _tags_of(cls)}
_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[type, msgspec.json.Decoder] = {cls: msgspec.json.Decoder(cls) for cls in EVENT_CLASSES}
#: ``{"type":"<tag>"`` for every tagged class; msgspec writes the fields, we put the tag first.
_HEAD: dict[type, bytes] = {cls: b'{"type":' + _ENCODER.encode(cls.TAG)
                            for cls in EVENT_CLASSES if cls is not LiveEvent}
#: ``,"gift":null`` …: inside a JSON string every quote is escaped, so these bytes can only be
#: the keys themselves (none of these names is a key of a nested LiveEvent object).
_LIVE_NULLS: tuple[bytes, ...] = tuple(b',"' + k.encode() + b'":null' for k in sorted(LiveEvent.OMIT_IF_NONE))
_TAG_AT = b'{"type":"'


def encode(event: Any) -> bytes:
    """UTF-8 JSON, Chinese kept readable (no \\u escapes), no whitespace."""
    cls = type(event)
    if cls is LiveEvent:
        body = _ENCODER.encode(event)
        for null in _LIVE_NULLS:
            body = body.replace(null, b"")
        return body
    head = _HEAD.get(cls)
    if head is None:
        raise TypeError(f"not an event: {cls.__name__}")
    body = _ENCODER.encode(event)
    return head + b"}" if body == b"{}" else head + b"," + body[1:]


def encode_str(event: Any) -> str:
    return encode(event).decode("utf-8")


def decode(raw: bytes | str) -> Any:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if raw.startswith(_TAG_AT):  # what ``encode`` wrote: the tag names the class, parse once
        end = raw.find(b'"', len(_TAG_AT))
        cls = _BY_TAG.get(raw[len(_TAG_AT):end].decode("ascii", "replace"))
        if cls is not None:
            try:
                return _DECODERS[cls].decode(raw)
            except msgspec.ValidationError as exc:
                raise CodecError(_explain(exc, cls, _tags_of(cls)[0] if cls is not LiveEvent
                                          else raw[len(_TAG_AT):end].decode())) from None
            except msgspec.DecodeError as exc:
                raise CodecError(f"not JSON: {exc}") from None
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise CodecError(f"not JSON: {exc}") from None
    return from_dict(data)


def to_dict(event: Any) -> dict[str, Any]:
    """The JSON-ready dict of an event, with its ``type`` tag first (the dict of ``encode``'s
    JSON; it also takes text UTF-8 cannot carry, which the caller may clean)."""
    try:
        return msgspec.json.decode(encode(event))
    except UnicodeEncodeError:
        data = _lists(msgspec.to_builtins(event))
    cls = type(event)
    if cls is LiveEvent:
        for key in cls.OMIT_IF_NONE:
            if data.get(key, 0) is None:
                del data[key]
        return data
    if cls not in _HEAD:
        raise TypeError(f"not an event: {cls.__name__}")
    return {"type": cls.TAG, **data}


def from_dict(data: Any) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"an event must be a JSON object, got {type(data).__name__}")
    tag = data.get("type")
    if tag is None:
        raise CodecError("event has no 'type'")
    cls = _BY_TAG.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise UnknownEventType(tag)
    try:
        return msgspec.convert(data, cls)  # the dataclass takes no "type" except LiveEvent's own
    except msgspec.ValidationError as exc:
        raise CodecError(_explain(exc, cls, tag)) from None


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


_JSON_KINDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true/false",
               "object": "an object", "array": "a list", "null": "null"}
_MSGSPEC_ERROR = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def _explain(exc: msgspec.ValidationError, cls: type, tag: str) -> str:
    """msgspec's message in the project's words: ``say_now.text: expected a string, got …``."""
    m = _MSGSPEC_ERROR.match(str(exc))
    what, path = m["what"], m["path"] or ""
    where = f"{tag}{path}"
    if missing := re.fullmatch(r"Object missing required field `(.+)`", what):
        return f"{where}: missing field '{missing[1]}'"
    if expected := re.fullmatch(r"Expected `(.+)`, got `(.+)`", what):
        want = " or ".join(_JSON_KINDS.get(k.strip(), k.strip()) for k in expected[1].split("|"))
        return f"{where}: expected {want}, got {_JSON_KINDS.get(expected[2], expected[2])}"
    if bad := re.fullmatch(r"Invalid enum value (.+)", what):
        allowed = _allowed_at(cls, path)
        return f"{where}: {bad[1]} is not one of {allowed}" if allowed else f"{where}: {bad[1]} is not allowed"
    return f"{where}: {what}"


def _allowed_at(cls: type, path: str) -> list[Any] | None:
    """The values a Literal field accepts, found by following ``path`` (``.items[0].state``)."""
    hint: Any = cls
    try:
        for name, _index in re.findall(r"\.(\w+)|\[(\d+|\.\.\.)\]", path):
            hint = _without_none(hint)
            if name:
                hint = typing.get_type_hints(hint)[name]
            else:
                args = typing.get_args(hint)
                hint = args[-1] if typing.get_origin(hint) is dict else args[0]
        hint = _without_none(hint)
    except (KeyError, IndexError, TypeError):
        return None
    return list(typing.get_args(hint)) if typing.get_origin(hint) is Literal else None


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint
