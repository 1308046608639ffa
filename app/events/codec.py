"""The one JSON codec used everywhere (Redis, logs, the CLI), and the registry of every event
type it carries: each class has a ``type`` tag in its JSON form, and ``Event`` lists them all."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, Union

import msgspec

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
from app.events.live import LiveEvent
from app.events.player import (
    AirtimeReport,
    MusicStatus,
    PlaybackFinished,
    PlaybackInterrupted,
    PlaybackProgress,
    PlaybackResumed,
    PlaybackStarted,
    PlayerStateChanged,
    PrefetchSpeech,
    ProductOnAir,
    QueueSnapshot,
    SpeechNeeded,
    UtteranceDropped,
)
from app.events.speech import ReplyJob, SpeechFailed, SpeechReady, SpeechRequest
from app.events.system import (
    ConfigChanged,
    ConfigError,
    Dropped,
    ErrorReport,
    FeedRoom,
    Health,
    LiveEnded,
    QuestionSeen,
    QuestionStatus,
)

#: Every type that crosses the bus: the codec finds a class by its ``type`` tag.
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
