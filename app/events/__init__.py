"""Every event and command that crosses the bus, plus the one JSON codec used everywhere.

All types are frozen, keyword-only dataclasses. Each has a ``type`` tag in its JSON form; the
same bytes go over Redis, into logs and out of the CLI. ``LiveEvent`` is special: its tag is
the live event kind itself (``comment``, ``gift``, …) so its JSON is exactly the normalised
event of design §4.

Channel names live here too, so producers and consumers agree on them without importing each
other.

This package is read as one module: ``from app import events`` and ``events.X`` reach every
name below. Where each lives: ``channels`` (channel names), ``live`` (the feed's events),
``speech`` (requests, audio, reply jobs; priority and speech kinds), ``player`` (channel
player.state), ``system`` (health, errors, config, questions, the room), ``control``
(operator commands), ``codec`` (the JSON codec and the registry of every event type).
"""

from __future__ import annotations

from app.events.channels import DURABLE_CHANNELS, LIVE_CHANNELS, Channel
from app.events.codec import (
    EVENT_CLASSES,
    CodecError,
    Event,
    UnknownEventType,
    decode,
    encode,
    encode_str,
    from_dict,
    to_dict,
)
from app.events.control import (
    CancelSpeech,
    ClearQueue,
    Pause,
    PinProduct,
    PlayFile,
    ReloadConfig,
    Resume,
    SayNow,
    Skip,
    SkipTrack,
    SwitchProduct,
)
from app.events.live import (
    LIVE_EVENT_TYPES,
    FansClubInfo,
    GiftInfo,
    LikeInfo,
    LiveEvent,
    LiveEventType,
    RoomStats,
    User,
)
from app.events.player import (
    AirtimeReport,
    MusicStatus,
    PlaybackFinished,
    PlaybackInterrupted,
    PlaybackProgress,
    PlaybackResumed,
    PlaybackStarted,
    PlayerStateChanged,
    PlayerStateName,
    PrefetchSpeech,
    ProductOnAir,
    QueueItemState,
    QueueItemView,
    QueueSnapshot,
    SpeechNeeded,
    UtteranceDropped,
    UtteranceState,
    UtteranceView,
)
from app.events.speech import (
    FILLING_KINDS,
    REPLY_KINDS,
    FilterHit,
    Priority,
    ReplyJob,
    SpeechFailed,
    SpeechKind,
    SpeechReady,
    SpeechRequest,
)
from app.events.system import (
    ConfigChanged,
    ConfigError,
    Dropped,
    ErrorReport,
    FeedRoom,
    Health,
    HealthStatus,
    LiveEnded,
    QuestionSeen,
    QuestionState,
    QuestionStatus,
)

__all__ = [
    # channels
    "Channel", "DURABLE_CHANNELS", "LIVE_CHANNELS",
    # live
    "LiveEventType", "LIVE_EVENT_TYPES", "User", "GiftInfo", "FansClubInfo", "LikeInfo", "RoomStats",
    "LiveEvent",
    # speech
    "Priority", "SpeechKind", "FILLING_KINDS", "REPLY_KINDS", "FilterHit", "SpeechRequest", "SpeechReady",
    "SpeechFailed", "ReplyJob",
    # player
    "PlayerStateName", "QueueItemState", "UtteranceState", "UtteranceView", "PlayerStateChanged",
    "PlaybackStarted", "PlaybackProgress", "PlaybackFinished", "PlaybackInterrupted", "PlaybackResumed",
    "UtteranceDropped", "QueueItemView", "QueueSnapshot", "SpeechNeeded", "PrefetchSpeech", "ProductOnAir",
    "AirtimeReport", "MusicStatus",
    # system
    "HealthStatus", "Health", "ErrorReport", "Dropped", "ConfigChanged", "ConfigError", "QuestionSeen",
    "QuestionState", "QuestionStatus", "LiveEnded", "FeedRoom",
    # control
    "Pause", "Resume", "Skip", "ClearQueue", "SayNow", "SwitchProduct", "PinProduct", "PlayFile",
    "SkipTrack", "ReloadConfig", "CancelSpeech",
    # codec
    "Event", "EVENT_CLASSES", "CodecError", "UnknownEventType", "encode", "encode_str", "decode",
    "to_dict", "from_dict",
]
