"""dy-barrage-grab frames → normalised ``LiveEvent`` (design §4, protocols.md §1).

A frame is ``{"Type": int, "ProcessName": str, "Data": "<JSON object as a string>"}``. The
decoder never raises: every frame gives either a ``LiveEvent`` or a ``Rejection`` that says
what was wrong, and both are counted in ``DecodeStats``. Both feed shapes decode: v2.7.6 (anchor
under the misspelt ``Onwer``) and v2.7.9 (``Owner``); the anchor is not used, so the only
difference that matters is which extra fields are present.

Python's ``json`` keeps 19-digit ``MsgId``/``Id`` values as exact ints (no float rounding), and
they are turned into strings for the event.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.events import GiftInfo, LikeInfo, LiveEvent, RoomStats, User

#: Frames above this many bytes are refused before parsing (dy-barrage-grab frames are ~1.5 kB).
MAX_FRAME_BYTES = 1024 * 1024

TYPE_NAMES: dict[int, str] = {
    1: "comment", 2: "like", 3: "enter", 4: "follow", 5: "gift",
    6: "stats", 7: "fansclub", 8: "share", 9: "live_end",
}

# Rejection categories (keys of DecodeStats.bad_by_category)
TOO_LARGE = "too_large"
NOT_UTF8 = "not_utf8"
NOT_JSON = "not_json"
BAD_ENVELOPE = "bad_envelope"  # not an object, Type/Data missing or of the wrong type
BAD_DATA = "bad_data"  # Data not a JSON object, or a field of the wrong type
UNKNOWN_TYPE = "unknown_type"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Rejection:
    """A frame that produced no event. ``category`` is one of the constants above."""

    category: str
    reason: str
    msg_id: str | None = None

    @property
    def is_bad(self) -> bool:
        """True for malformed frames; False for well-formed frames skipped on purpose."""
        return self.category not in (UNKNOWN_TYPE, DUPLICATE)


@dataclass
class DecodeStats:
    frames: int = 0
    decoded: int = 0
    bad_frames: int = 0
    duplicates: int = 0
    unknown_types: int = 0
    bad_by_category: dict[str, int] = field(default_factory=dict)
    unknown_by_type: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames, "decoded": self.decoded, "bad_frames": self.bad_frames,
            "duplicates": self.duplicates, "unknown_types": self.unknown_types,
            "bad_by_category": dict(self.bad_by_category),
            "unknown_by_type": dict(self.unknown_by_type),
        }


class _Bad(Exception):
    """Internal: a field check failed; carries the category and a path-qualified reason."""

    def __init__(self, category: str, reason: str, code: int | None = None):
        super().__init__(reason)
        self.category = category
        self.reason = reason
        self.code = code  # the frame's Type, for unknown types


class DuplicateWindow:
    """Remembers the last ``size`` keys; memory stays bounded however long the stream runs."""

    def __init__(self, size: int = 4096):
        self.size = max(1, size)
        self._order: deque = deque()
        self._seen: set = set()

    def seen_before(self, key: Any) -> bool:
        """True if ``key`` is in the window; otherwise remember it and return False."""
        if key in self._seen:
            return True
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self.size:
            self._seen.discard(self._order.popleft())
        return False

    def __len__(self) -> int:
        return len(self._order)


class FrameDecoder:
    """Stateful decoder: counts everything and drops duplicate ``MsgId``s within a window.

    Duplicates are keyed by (Type, MsgId), as dy-barrage-grab itself de-duplicates per Douyin
    method. One decoder serves one feed; it is not thread-safe.
    """

    def __init__(self, *, dedupe_window: int = 4096, max_frame_bytes: int = MAX_FRAME_BYTES,
                 clock: Callable[[], float] = time.time):
        self.stats = DecodeStats()
        self._window = DuplicateWindow(dedupe_window)
        self._max = max_frame_bytes
        self._clock = clock

    def decode(self, raw: str | bytes | bytearray, *, ts: float | None = None) -> LiveEvent | Rejection:
        st = self.stats
        st.frames += 1
        try:
            event = _decode_frame(raw, self._max, self._clock() if ts is None else ts)
        except _Bad as bad:
            if bad.category == UNKNOWN_TYPE:
                st.unknown_types += 1
                key = str(bad.code)
                st.unknown_by_type[key] = st.unknown_by_type.get(key, 0) + 1
                return Rejection(UNKNOWN_TYPE, bad.reason)
            return self.reject(bad.category, bad.reason)
        except Exception as exc:  # the decoder must never raise; an unforeseen case is still a bad frame
            return self.reject(BAD_DATA, f"unexpected {type(exc).__name__}: {_short(exc)}")
        if self._window.seen_before((event.type, event.msg_id)):
            st.duplicates += 1
            return Rejection(DUPLICATE, f"duplicate MsgId {event.msg_id} ({event.type})", event.msg_id)
        st.decoded += 1
        return event

    def reject(self, category: str, reason: str) -> Rejection:
        """Count a bad frame found outside ``decode`` (e.g. one the transport refused)."""
        st = self.stats
        st.bad_frames += 1
        st.bad_by_category[category] = st.bad_by_category.get(category, 0) + 1
        return Rejection(category, reason)


# --------------------------------------------------------------------------------------------
# The stateless part


def _decode_frame(raw: str | bytes | bytearray, limit: int, ts: float) -> LiveEvent:
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > limit:
            raise _Bad(TOO_LARGE, f"frame is {len(raw)} bytes, more than the {limit}-byte limit")
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Bad(NOT_UTF8, f"not valid UTF-8 at byte {exc.start}") from None
    elif isinstance(raw, str):
        text = raw
        # A character is at most 4 bytes, so only long strings need the exact byte count.
        if len(text) * 4 > limit:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise _Bad(TOO_LARGE, f"frame is {size} bytes, more than the {limit}-byte limit")
    else:
        raise _Bad(BAD_ENVELOPE, f"a frame must be text, got {type(raw).__name__}")

    try:
        env = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Bad(NOT_JSON, f"frame is not JSON: {_short(exc)}") from None
    if not isinstance(env, dict):
        raise _Bad(BAD_ENVELOPE, f"frame must be a JSON object, got {_jtype(env)}")
    if "Type" not in env:
        raise _Bad(BAD_ENVELOPE, "frame has no 'Type'")
    kind = env["Type"]
    if not _is_int(kind):
        raise _Bad(BAD_ENVELOPE, f"'Type' must be an integer, got {_show(kind)}")
    if "Data" not in env:
        raise _Bad(BAD_ENVELOPE, "frame has no 'Data'")
    data = env["Data"]
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise _Bad(BAD_DATA, f"'Data' is not JSON: {_short(exc)}") from None
    elif not isinstance(data, dict):  # an already-parsed object is tolerated; anything else is not
        raise _Bad(BAD_ENVELOPE, f"'Data' must be a JSON string, got {_jtype(data)}")
    if not isinstance(data, dict):
        raise _Bad(BAD_DATA, f"'Data' must hold a JSON object, got {_jtype(data)}")

    name = TYPE_NAMES.get(kind)
    if name is None:
        raise _Bad(UNKNOWN_TYPE, f"unknown Type {kind} (known: 1-9)", kind)
    return _build(name, data, ts)


def _build(kind: str, d: dict, ts: float) -> LiveEvent:
    msg_id = _id(d, "MsgId", required=True)
    room_id = _id(d, "RoomId", required=False)
    raw_user = d.get("User")
    user = None if raw_user is None else _user(raw_user, "Data.User")
    content = _str(d, "Content", "Data")
    gift = like = stats = None
    if kind == "gift":
        gift = GiftInfo(
            id=_id(d, "GiftId", required=False), name=_str(d, "GiftName", "Data"),
            count=_int(d, "GiftCount", "Data"), total=_int(d, "RepeatCount", "Data"),
            diamonds=_int(d, "DiamondCount", "Data"))
    elif kind == "like":
        like = LikeInfo(count=_int(d, "Count", "Data"), total=_int(d, "Total", "Data"))
    elif kind == "stats":
        stats = RoomStats(online=_int(d, "OnlineUserCount", "Data"), total=_int(d, "TotalUserCount", "Data"))
    elif kind == "live_end":
        user = None  # the end-of-live message has no viewer attached
    elif kind == "fansclub" and user is not None and user.fans_club_level == 0:
        level = _int(d, "Level", "Data")  # the join message's own level, when User.FansClub lacks it
        if level > 0:
            user = User(id=user.id, nickname=user.nickname, level=user.level,
                        pay_level=user.pay_level, fans_club_level=level)
    return LiveEvent(type=kind, msg_id=msg_id, room_id=room_id, ts=ts, user=user, text=content,
                     gift=gift, like=like, stats=stats)


def _user(u: Any, where: str) -> User:
    if not isinstance(u, dict):
        raise _Bad(BAD_DATA, f"{where} must be an object or null, got {_jtype(u)}")
    club = u.get("FansClub")
    if club is None:
        club_level = 0
    elif isinstance(club, dict):
        club_level = _int(club, "Level", f"{where}.FansClub")
    else:
        raise _Bad(BAD_DATA, f"{where}.FansClub must be an object, got {_jtype(club)}")
    nickname = _str(u, "Nickname", where)
    if not nickname:  # dy-barrage-grab's own fallback when Douyin sends no nickname
        display = u.get("DisplayId")
        nickname = f"用户{display}" if isinstance(display, str) and display else "用户"
    return User(id=_id(u, "Id", required=True, where=where), nickname=nickname,
                level=_int(u, "Level", where), pay_level=_int(u, "PayLevel", where),
                fans_club_level=club_level)


# ---- field readers: each names the field on failure ------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(d: dict, key: str, where: str) -> int:
    """An integer field; absent or ``-1`` (dy-barrage-grab's "unknown") reads as 0."""
    v = d.get(key)
    if v is None:
        return 0
    if not _is_int(v):
        raise _Bad(BAD_DATA, f"{where}.{key} must be an integer, got {_show(v)}")
    return v if v >= 0 else 0


def _id(d: dict, key: str, *, required: bool, where: str = "Data") -> str:
    """An id: int64 on the wire for MsgId/Id, a string for RoomId; always a string here."""
    v = d.get(key)
    if v is None:
        if required:
            raise _Bad(BAD_DATA, f"{where}.{key} is missing")
        return ""
    if _is_int(v):
        return str(v)
    if isinstance(v, str) and (v.isdigit() or not required):
        return _clean(v)
    raise _Bad(BAD_DATA, f"{where}.{key} must be an integer id, got {_show(v)}")


def _str(d: dict, key: str, where: str) -> str:
    v = d.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise _Bad(BAD_DATA, f"{where}.{key} must be a string, got {_show(v)}")
    return _clean(v)


def _clean(s: str) -> str:
    """Lone surrogates (from ``\\ud83d``-style escapes cut in half) cannot be written as UTF-8
    downstream; replace them rather than let them crash a later encoder."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace").decode("utf-8")


def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def _show(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if isinstance(v, (str, int, float, bool)) else _jtype(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _short(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):  # its own "line 1 column 5" would read as a file position
        return f"{exc.msg} (character {exc.pos + 1})"
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
