"""System events (channel system): health, errors, drops, config changes, the questions' fate,
the end of the live and the room the feed listens to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

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
